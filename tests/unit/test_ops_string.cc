// test_ops_string.cc — MOVS CMPS SCAS LODS STOS with REP/REPE/REPNE (cpu/ops_string.c): direction,
// element sizes, address sizes (RSI/RDI/RCX widths), the source segment override, termination of
// REPE/REPNE, restart after REP_CHUNK iterations, registers left consistent by a fault part way,
// and the per-element cycle charge.
#include "tests/unit/test_ops_harness.h"

using namespace opstest;

TEST(OpsString, RepMovsbForward)
{
    Machine m;
    memcpy(m.bus.ram + DATA, "hello", 5);
    m.r(R_RSI) = DATA;
    m.r(R_RDI) = DATA + 0x100;
    m.r(R_RCX) = 5;
    ASSERT_EQ(m.exec({ 0xf3, 0xa4 }), -1);                       // rep movsb
    EXPECT_EQ(memcmp(m.bus.ram + DATA + 0x100, "hello", 5), 0);
    EXPECT_EQ(m.r(R_RSI), DATA + 5);
    EXPECT_EQ(m.r(R_RDI), DATA + 0x105);
    EXPECT_EQ(m.r(R_RCX), 0u);
}

TEST(OpsString, RepMovsqBackward)
{
    Machine m;
    for (int k = 0; k < 4; k++)
        m.wr(DATA + 8 * k, 0x1000 + k);
    m.r(R_RSI) = DATA + 0x18;
    m.r(R_RDI) = DATA + 0x118;
    m.r(R_RCX) = 3;
    ASSERT_EQ(m.exec({ 0xfd, 0xf3, 0x48, 0xa5, 0xfc }), -1);     // std; rep movsq; cld
    EXPECT_EQ(m.rd(DATA + 0x118), 0x1003u);
    EXPECT_EQ(m.rd(DATA + 0x110), 0x1002u);
    EXPECT_EQ(m.rd(DATA + 0x108), 0x1001u);
    EXPECT_EQ(m.rd(DATA + 0x100), 0u);
    EXPECT_EQ(m.r(R_RSI), DATA);
    EXPECT_EQ(m.r(R_RDI), DATA + 0x100);
}

TEST(OpsString, OverlappingMovsbReplicates)
{
    Machine m;
    m.wr(DATA, 0xab, 1);
    m.r(R_RSI) = DATA;
    m.r(R_RDI) = DATA + 1;
    m.r(R_RCX) = 8;
    ASSERT_EQ(m.exec({ 0xf3, 0xa4 }), -1);                       // byte by byte, in order
    for (int k = 0; k <= 8; k++)
        EXPECT_EQ(m.rd(DATA + k, 1), 0xabu) << k;
}

TEST(OpsString, RepeCmpsbStopsAtMismatch)
{
    Machine m;
    memcpy(m.bus.ram + DATA, "abcXe", 5);
    memcpy(m.bus.ram + DATA + 0x100, "abcYe", 5);
    m.r(R_RSI) = DATA;
    m.r(R_RDI) = DATA + 0x100;
    m.r(R_RCX) = 10;
    ASSERT_EQ(m.exec({ 0xf3, 0xa6 }), -1);                       // repe cmpsb
    EXPECT_EQ(m.r(R_RCX), 6u);
    EXPECT_EQ(m.r(R_RSI), DATA + 4);
    EXPECT_EQ(m.r(R_RDI), DATA + 0x104);
    EXPECT_EQ(m.flags() & (ZF | CF | SF), CF | SF);              // 'X' - 'Y' = -1
}

TEST(OpsString, RepneScasbFindsTerminator)
{
    Machine m;
    memcpy(m.bus.ram + DATA, "hello", 6);
    m.r(R_RDI) = DATA;
    m.r(R_RAX) = 0;
    m.r(R_RCX) = ~0ull;
    ASSERT_EQ(m.exec({ 0xf2, 0xae }), -1);                       // repne scasb
    EXPECT_EQ(m.r(R_RDI), DATA + 6);
    EXPECT_EQ(m.r(R_RCX), ~0ull - 6);
    EXPECT_EQ(m.flags() & ZF, ZF);
}

TEST(OpsString, LodsAndStos)
{
    Machine m;
    m.wr(DATA, 0x89abcdef, 4);
    m.r(R_RSI) = DATA;
    m.r(R_RDI) = DATA + 0x20;
    m.r(R_RAX) = ~0ull;
    ASSERT_EQ(m.exec({ 0xad,                                     // lodsd
                       0x66, 0xab }), -1);                       // stosw
    EXPECT_EQ(m.r(R_RAX), 0x89abcdefu);                          // zero-extended
    EXPECT_EQ(m.rd(DATA + 0x20, 4), 0xcdefu);
    EXPECT_EQ(m.r(R_RSI), DATA + 4);
    EXPECT_EQ(m.r(R_RDI), DATA + 0x22);
}

TEST(OpsString, RepWithZeroCountDoesNothing)
{
    Machine m;
    m.r(R_RDI) = NP_PAGE;                                        // would fault if accessed
    m.r(R_RCX) = 0;
    ASSERT_EQ(m.exec({ 0xf3, 0x48, 0xab }), -1);                 // rep stosq
    EXPECT_EQ(m.r(R_RDI), NP_PAGE);
}

TEST(OpsString, AddressSize32In64BitMode)
{
    Machine m;
    m.r(R_RDI) = 0xffffffff00000000ull | DATA;
    m.r(R_RCX) = 0xffffffff00000004ull;
    m.r(R_RAX) = 0x5a;
    ASSERT_EQ(m.exec({ 0x67, 0xf3, 0xaa }), -1);                 // rep stosb es:[edi] (ECX)
    EXPECT_EQ(m.rd(DATA, 4), 0x5a5a5a5au);
    EXPECT_EQ(m.r(R_RDI), DATA + 4);                             // 32-bit writes zero-extend
    EXPECT_EQ(m.r(R_RCX), 0u);
}

TEST(OpsString, LongRepRestartsAndCompletes)
{
    Machine m;
    m.r(R_RDI) = 0x10000;
    m.r(R_RCX) = 10000;
    m.r(R_RAX) = 0xee;
    uint64_t insns0 = m.c.ctr.insns, cyc0 = m.c.ctr.cycles;
    ASSERT_EQ(m.exec({ 0xf3, 0xaa }), -1);                       // rep stosb
    EXPECT_EQ(m.r(R_RCX), 0u);
    EXPECT_EQ(m.r(R_RDI), 0x10000u + 10000);
    EXPECT_EQ(m.rd(0x10000, 1), 0xeeu);
    EXPECT_EQ(m.rd(0x10000 + 9999, 1), 0xeeu);
    EXPECT_EQ(m.rd(0x10000 + 10000, 1), 0u);
    EXPECT_GE(m.c.ctr.insns - insns0, 3u);                       // ran in several chunks
    EXPECT_GE(m.c.ctr.cycles - cyc0, 10000ull * m.c.model->string_elem);
}

TEST(OpsString, FaultPartWayLeavesRegistersConsistent)
{
    Machine m;
    m.r(R_RSI) = DATA;
    m.r(R_RDI) = RO_PAGE - 3;                                    // 3 writable bytes, then read-only
    m.r(R_RCX) = 10;
    memcpy(m.bus.ram + DATA, "0123456789", 10);
    ASSERT_EQ(m.exec({ 0xf3, 0xa4 }), VEC_PF);                   // rep movsb
    EXPECT_EQ(m.r(R_RCX), 7u);
    EXPECT_EQ(m.r(R_RSI), DATA + 3);
    EXPECT_EQ(m.r(R_RDI), RO_PAGE);
    EXPECT_EQ(memcmp(m.bus.ram + RO_PAGE - 3, "012", 3), 0);
    EXPECT_EQ(m.c.cr2, RO_PAGE);
    EXPECT_EQ(m.rd(m.r(R_RSP) + 8), CODE);                       // restartable at the instruction
}

TEST(OpsString, SourceSegmentOverride)
{
    Machine m;
    m.c.seg[SEG_FS].base = 0x1000;
    m.wr(DATA, 0x77, 1);
    m.r(R_RSI) = DATA - 0x1000;
    m.r(R_RDI) = DATA + 0x40;
    ASSERT_EQ(m.exec({ 0x64, 0xa4 }), -1);                       // movsb from fs:[rsi]
    EXPECT_EQ(m.rd(DATA + 0x40, 1), 0x77u);

    Machine m32(M32);
    m32.c.seg[SEG_FS].base = 0x1000;
    m32.c.seg[SEG_ES].base = 0x20;                               // the destination uses ES
    m32.wr(DATA, 0x66, 1);
    m32.r(R_RSI) = DATA - 0x1000;
    m32.r(R_RDI) = DATA + 0x40;
    ASSERT_EQ(m32.exec({ 0x64, 0xa4 }), -1);                     // fs movsb
    EXPECT_EQ(m32.rd(DATA + 0x60, 1), 0x66u);
}

TEST(OpsString, Mode16IndexWraps)
{
    Machine m(M16);
    m.wr(0xffff, 0x31, 1);
    m.r(R_RSI) = 0x5555ffff;
    m.r(R_RDI) = DATA;
    ASSERT_EQ(m.exec({ 0xa4 }), -1);                             // movsb
    EXPECT_EQ(m.rd(DATA, 1), 0x31u);
    EXPECT_EQ(m.r(R_RSI), 0x55550000u);                          // SI wrapped, upper kept
    EXPECT_EQ(m.r(R_RDI), DATA + 1);
    m.wr(DATA + 0x10, 0xbeefcafe, 4);
    m.r(R_RSI) = DATA + 0x10;
    m.r(R_RDI) = DATA + 0x20;
    m.r(R_RCX) = 2;
    ASSERT_EQ(m.exec({ 0xf3, 0xa5 }), -1);                       // rep movsw (CX)
    EXPECT_EQ(m.rd(DATA + 0x20, 4), 0xbeefcafeu);
    EXPECT_EQ(m.r(R_RCX), 0u);
}

TEST(OpsString, SingleStepTrapsAfterEachIteration)
{
    Machine m;
    m.r(R_RDI) = DATA;
    m.r(R_RCX) = 3;
    m.r(R_RAX) = 0x11;
    m.set_flags(RF_TF);
    ASSERT_EQ(m.exec({ 0xf3, 0xaa }), VEC_DB);                   // rep stosb, TF = 1
    EXPECT_EQ(m.r(R_RCX), 2u);                                   // one iteration done
    EXPECT_EQ(m.r(R_RDI), DATA + 1);
    EXPECT_EQ(m.rd(m.r(R_RSP)), CODE);                           // trap RIP: still the REP insn
}
