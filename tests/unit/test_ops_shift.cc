// test_ops_shift.cc — SHL/SAL SHR SAR ROL ROR RCL RCR SHLD SHRD (cpu/ops_shift.c): results and the
// flags the SDM defines (CF = last bit out, OF for count 1, untouched flags for a masked count of
// 0), count masking, and the rotate-through-carry modulus. Values worked out by hand.
#include "tests/unit/test_ops_harness.h"

using namespace opstest;

static constexpr uint64_t NOOF = ARITH & ~OF;   // OF is undefined for counts > 1

TEST(OpsShift, ShlByOne)
{
    Machine m;
    m.r(R_RAX) = 0xc0;
    ASSERT_EQ(m.exec({ 0xd0, 0xe0 }), -1);                       // shl al, 1
    EXPECT_EQ(m.r(R_RAX), 0x80u);
    EXPECT_EQ(m.flags() & ARITH, CF | SF);                       // OF = MSB ^ CF = 0
    m.r(R_RAX) = 0x4000;
    ASSERT_EQ(m.exec({ 0xd0, 0xe4 }), -1);                       // sal ah, 1
    EXPECT_EQ(m.r(R_RAX), 0x8000u);
    EXPECT_EQ(m.flags() & ARITH, OF | SF);                       // 80h: one bit set, PF 0
}

TEST(OpsShift, CountIsMasked)
{
    Machine m;
    m.r(R_RAX) = 0x2000000000000001ull;
    m.r(R_RCX) = 64 + 3;
    ASSERT_EQ(m.exec({ 0x48, 0xd3, 0xe0 }), -1);                 // shl rax, cl: count 3
    EXPECT_EQ(m.r(R_RAX), 8u);
    EXPECT_EQ(m.flags() & NOOF, CF);                             // bit 61 was the last out
}

TEST(OpsShift, ZeroCountKeepsFlagsButZeroExtends)
{
    Machine m;
    m.r(R_RAX) = 0xdeadbeef12345678ull;
    m.r(R_RCX) = 0x20;                                           // masked to 0
    m.set_flags(CF | ZF | OF);
    ASSERT_EQ(m.exec({ 0xd3, 0xe0 }), -1);                       // shl eax, cl
    EXPECT_EQ(m.r(R_RAX), 0x12345678u);
    EXPECT_EQ(m.flags() & ARITH, CF | ZF | OF);
}

TEST(OpsShift, ShrAndSar)
{
    Machine m;
    m.r(R_RAX) = 0x80000001;
    ASSERT_EQ(m.exec({ 0xd1, 0xe8 }), -1);                       // shr eax, 1
    EXPECT_EQ(m.r(R_RAX), 0x40000000u);
    EXPECT_EQ(m.flags() & ARITH, CF | OF | PF);                  // OF = MSB of the original
    m.r(R_RBX) = DATA;
    m.wr(DATA, 0x81, 1);
    ASSERT_EQ(m.exec({ 0xc0, 0x3b, 0x03 }), -1);                 // sar byte [rbx], 3
    EXPECT_EQ(m.rd(DATA, 1), 0xf0u);                             // -127 >> 3 = -16
    EXPECT_EQ(m.flags() & NOOF, SF | PF);                        // bit 2 out: 0
}

TEST(OpsShift, CountsBeyondTheWidth)
{
    Machine m;
    m.r(R_RAX) = 0xff;
    m.r(R_RCX) = 9;
    ASSERT_EQ(m.exec({ 0xd2, 0xe0 }), -1);                       // shl al, cl (9)
    EXPECT_EQ(m.r(R_RAX), 0u);
    EXPECT_EQ(m.flags() & NOOF, ZF | PF);
    m.r(R_RAX) = 0x8000;
    m.r(R_RCX) = 20;
    ASSERT_EQ(m.exec({ 0x66, 0xd3, 0xf8 }), -1);                 // sar ax, cl (20)
    EXPECT_EQ(m.r(R_RAX), 0xffffu);
    EXPECT_EQ(m.flags() & NOOF, CF | SF | PF);                   // the sign was shifted out last
}

TEST(OpsShift, Rotates)
{
    Machine m;
    m.r(R_RAX) = 0x81;
    m.set_flags(ZF);
    ASSERT_EQ(m.exec({ 0xd0, 0xc0 }), -1);                       // rol al, 1
    EXPECT_EQ(m.r(R_RAX), 0x03u);
    EXPECT_EQ(m.flags() & ARITH, CF | OF | ZF);                  // ZF untouched by rotates
    m.r(R_RAX) = 0x12345678;
    ASSERT_EQ(m.exec({ 0xc1, 0xc8, 0x04 }), -1);                 // ror eax, 4
    EXPECT_EQ(m.r(R_RAX), 0x81234567u);
    EXPECT_EQ(m.flags() & CF, CF);                               // CF = MSB of the result
    m.r(R_RAX) = 0x8001;
    m.r(R_RCX) = 16;                                             // nonzero masked count, mod 16 = 0
    m.set_flags(0);
    ASSERT_EQ(m.exec({ 0x66, 0xd3, 0xc0 }), -1);                 // rol ax, cl
    EXPECT_EQ(m.r(R_RAX), 0x8001u);
    EXPECT_EQ(m.flags() & CF, CF);                               // CF = LSB still updated
}

TEST(OpsShift, RotateThroughCarry)
{
    Machine m;
    m.r(R_RAX) = 0x80;
    m.set_flags(CF);
    ASSERT_EQ(m.exec({ 0xd0, 0xd0 }), -1);                       // rcl al, 1
    EXPECT_EQ(m.r(R_RAX), 0x01u);                                // CF came in at bit 0
    EXPECT_EQ(m.flags() & (CF | OF), CF | OF);                   // OF = MSB(res) ^ CF = 0 ^ 1
    m.r(R_RBX) = 0x5a;
    m.r(R_RCX) = 9;                                              // 9 mod 9 = 0
    m.set_flags(CF | OF);
    ASSERT_EQ(m.exec({ 0xd2, 0xdb }), -1);                       // rcr bl, cl
    EXPECT_EQ(m.r(R_RBX), 0x5au);
    EXPECT_EQ(m.flags() & (CF | OF), CF | OF);
    m.r(R_RAX) = 1;
    m.set_flags(ZF);
    ASSERT_EQ(m.exec({ 0xd1, 0xd8 }), -1);                       // rcr eax, 1 with CF = 0
    EXPECT_EQ(m.r(R_RAX), 0u);
    EXPECT_EQ(m.flags() & (CF | OF | ZF), CF | ZF);              // OF = MSB ^ CF(before) = 0
    m.r(R_RAX) = 0xa000000000000000ull;
    m.set_flags(CF);
    ASSERT_EQ(m.exec({ 0x48, 0xc1, 0xd0, 0x03 }), -1);           // rcl rax, 3
    EXPECT_EQ(m.r(R_RAX), 6u);                                   // CF<<2 | bits 63:62 >> 62
    EXPECT_EQ(m.flags() & CF, CF);                               // bit 61 out last
}

TEST(OpsShift, DoubleShifts)
{
    Machine m;
    m.r(R_RAX) = 0x12345678;
    m.r(R_RCX) = 0x9abcdef0;
    ASSERT_EQ(m.exec({ 0x0f, 0xa4, 0xc8, 0x04 }), -1);           // shld eax, ecx, 4
    EXPECT_EQ(m.r(R_RAX), 0x23456789u);
    EXPECT_EQ(m.flags() & NOOF, CF);                             // bit 28 out; 89h: PF 0
    m.r(R_RAX) = 0x1122334455667788ull;
    m.r(R_RDX) = 0xaa;
    m.r(R_RCX) = 8;
    ASSERT_EQ(m.exec({ 0x48, 0x0f, 0xad, 0xd0 }), -1);           // shrd rax, rdx, cl
    EXPECT_EQ(m.r(R_RAX), 0xaa11223344556677ull);
    EXPECT_EQ(m.flags() & NOOF, CF | SF | PF);                   // bit 7 of 88h out
    m.r(R_RBX) = DATA;
    m.wr(DATA, 0x12345678, 4);
    m.r(R_RCX) = 0xabcdef01;
    ASSERT_EQ(m.exec({ 0x0f, 0xa4, 0x0b, 0x08 }), -1);           // shld dword [rbx], ecx, 8
    EXPECT_EQ(m.rd(DATA, 4), 0x345678abu);
    EXPECT_EQ(m.flags() & CF, 0u);                               // bit 24 of 12345678h
}

TEST(OpsShift, DoubleShift16CountAbove16)
{
    // Intel (and Unicorn) shift dest:src:dest for 16-bit counts 17..31.
    Machine m;
    m.r(R_RAX) = 0x1234;
    m.r(R_RCX) = 0x5678;
    ASSERT_EQ(m.exec({ 0x66, 0x0f, 0xa4, 0xc8, 0x14 }), -1);     // shld ax, cx, 20
    EXPECT_EQ(m.r(R_RAX), 0x6781u);
    EXPECT_EQ(m.flags() & CF, CF);
}

TEST(OpsShift, DoubleShiftZeroCount)
{
    Machine m;
    m.r(R_RAX) = 0xffffffff87654321ull;
    m.set_flags(ZF | SF);
    ASSERT_EQ(m.exec({ 0x0f, 0xac, 0xc8, 0x00 }), -1);           // shrd eax, ecx, 0
    EXPECT_EQ(m.r(R_RAX), 0x87654321u);
    EXPECT_EQ(m.flags() & ARITH, ZF | SF);
}
