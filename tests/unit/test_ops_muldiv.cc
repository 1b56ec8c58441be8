// test_ops_muldiv.cc — MUL, IMUL (1-, 2-, 3-operand), DIV, IDIV (cpu/ops_muldiv.c): products,
// quotients and remainders worked out by hand, CF = OF per the SDM, SF/ZF/PF from the low half
// (the values Unicorn produces for these undefined flags), #DE on zero divisors and quotient
// overflow with no state change, and the DIV cycle extra.
#include "tests/unit/test_ops_harness.h"

using namespace opstest;

TEST(OpsMulDiv, Mul64)
{
    Machine m;
    m.r(R_RAX) = ~0ull;
    m.r(R_RCX) = 2;
    ASSERT_EQ(m.exec({ 0x48, 0xf7, 0xe1 }), -1);                 // mul rcx
    EXPECT_EQ(m.r(R_RAX), 0xfffffffffffffffeull);
    EXPECT_EQ(m.r(R_RDX), 1u);
    EXPECT_EQ(m.flags() & ARITH, CF | OF | SF);                  // FEh: 7 ones, PF 0
}

TEST(OpsMulDiv, Mul8Memory)
{
    Machine m;
    m.r(R_RAX) = 0xaaaaaaaaaaaa0010ull;
    m.r(R_RBX) = DATA;
    m.wr(DATA, 0x10, 1);
    ASSERT_EQ(m.exec({ 0xf6, 0x23 }), -1);                       // mul byte [rbx]
    EXPECT_EQ(m.r(R_RAX), 0xaaaaaaaaaaaa0100ull);                // AX := 100h
    EXPECT_EQ(m.flags() & ARITH, CF | OF | ZF | PF);             // AL = 0
}

TEST(OpsMulDiv, Mul16And32)
{
    Machine m;
    m.r(R_RAX) = 0x5555555555551234ull;
    m.r(R_RDX) = 0x6666666666666666ull;
    m.r(R_RCX) = 0x10;
    ASSERT_EQ(m.exec({ 0x66, 0xf7, 0xe1 }), -1);                 // mul cx: 12340h
    EXPECT_EQ(m.r(R_RAX), 0x5555555555552340ull);
    EXPECT_EQ(m.r(R_RDX), 0x6666666666660001ull);
    EXPECT_EQ(m.flags() & (CF | OF), CF | OF);
    m.r(R_RAX) = 0xffffffff00010000ull;
    m.r(R_RCX) = 0x10000;
    ASSERT_EQ(m.exec({ 0xf7, 0xe1 }), -1);                       // mul ecx: 1_0000_0000h
    EXPECT_EQ(m.r(R_RAX), 0u);
    EXPECT_EQ(m.r(R_RDX), 1u);
    EXPECT_EQ(m.flags() & ARITH, CF | OF | ZF | PF);
    m.r(R_RAX) = 3;
    m.r(R_RCX) = 4;
    ASSERT_EQ(m.exec({ 0xf7, 0xe1 }), -1);                       // 12: upper half 0
    EXPECT_EQ(m.r(R_RAX), 12u);
    EXPECT_EQ(m.r(R_RDX), 0u);
    EXPECT_EQ(m.flags() & ARITH, PF);                            // 0Ch: 2 ones
}

TEST(OpsMulDiv, Imul1Operand)
{
    Machine m;
    m.r(R_RAX) = (uint64_t)-2;
    m.r(R_RCX) = 3;
    ASSERT_EQ(m.exec({ 0x48, 0xf7, 0xe9 }), -1);                 // imul rcx: -6
    EXPECT_EQ(m.r(R_RAX), (uint64_t)-6);
    EXPECT_EQ(m.r(R_RDX), ~0ull);
    EXPECT_EQ(m.flags() & ARITH, SF | PF);                       // FAh: 6 ones; upper = sign
    m.r(R_RAX) = 0x0240;                                         // AH = 2, AL = 64
    ASSERT_EQ(m.exec({ 0xf6, 0xec }), -1);                       // imul ah: 128 doesn't fit
    EXPECT_EQ(m.r(R_RAX), 0x0080u);
    EXPECT_EQ(m.flags() & ARITH, CF | OF | SF);
    m.r(R_RAX) = 0xffff;
    m.r(R_RCX) = 0xffff;
    m.r(R_RDX) = 0x1234ffff;
    ASSERT_EQ(m.exec({ 0x66, 0xf7, 0xe9 }), -1);                 // imul cx: -1 * -1
    EXPECT_EQ(m.r(R_RAX), 1u);
    EXPECT_EQ(m.r(R_RDX), 0x12340000u);
    EXPECT_EQ(m.flags() & (CF | OF), 0u);
}

TEST(OpsMulDiv, Imul2And3Operand)
{
    Machine m;
    m.r(R_RAX) = 1ull << 32;
    m.r(R_RCX) = 1ull << 32;
    ASSERT_EQ(m.exec({ 0x48, 0x0f, 0xaf, 0xc1 }), -1);           // imul rax, rcx: 2^64
    EXPECT_EQ(m.r(R_RAX), 0u);
    EXPECT_EQ(m.flags() & ARITH, CF | OF | ZF | PF);
    m.r(R_RBX) = DATA;
    m.wr(DATA, 5, 4);
    m.r(R_RAX) = ~0ull;
    ASSERT_EQ(m.exec({ 0x6b, 0x03, 0xfd }), -1);                 // imul eax, [rbx], -3
    EXPECT_EQ(m.r(R_RAX), 0xfffffff1u);
    EXPECT_EQ(m.flags() & ARITH, SF);                            // F1h: 5 ones, PF 0
}

TEST(OpsMulDiv, Imul3Word)
{
    Machine m;
    m.r(R_RAX) = 0x7777777777777777ull;
    m.r(R_RCX) = 0x80;
    ASSERT_EQ(m.exec({ 0x66, 0x69, 0xc1, 0x00, 0x01 }), -1);     // imul ax, cx, 0x100
    EXPECT_EQ(m.r(R_RAX), 0x7777777777778000ull);                // 32768 overflows int16
    EXPECT_EQ(m.flags() & ARITH, CF | OF | SF | PF);             // AL = 00h
}

TEST(OpsMulDiv, Div)
{
    Machine m;
    m.r(R_RDX) = 1;
    m.r(R_RAX) = 0;
    m.r(R_RCX) = 2;
    ASSERT_EQ(m.exec({ 0x48, 0xf7, 0xf1 }), -1);                 // div rcx: 2^64 / 2
    EXPECT_EQ(m.r(R_RAX), 1ull << 63);
    EXPECT_EQ(m.r(R_RDX), 0u);
    m.r(R_RAX) = 0xffffffffffff0105ull;                          // AX = 261
    m.r(R_RBX) = 10;
    ASSERT_EQ(m.exec({ 0xf6, 0xf3 }), -1);                       // div bl
    EXPECT_EQ(m.r(R_RAX), 0xffffffffffff011aull);                // AH = 1, AL = 26
    m.r(R_RDX) = 0xaaaa0001;
    m.r(R_RAX) = 0xbbbb0000;
    m.r(R_RCX) = 3;
    ASSERT_EQ(m.exec({ 0x66, 0xf7, 0xf1 }), -1);                 // div cx: 65536 / 3
    EXPECT_EQ(m.r(R_RAX), 0xbbbb5555u);
    EXPECT_EQ(m.r(R_RDX), 0xaaaa0001u);
    m.r(R_RDX) = 0xffffffff00000000ull;
    m.r(R_RAX) = 0xffffffff00000064ull;
    m.r(R_RCX) = 7;
    ASSERT_EQ(m.exec({ 0xf7, 0xf1 }), -1);                       // div ecx: 100 / 7
    EXPECT_EQ(m.r(R_RAX), 14u);
    EXPECT_EQ(m.r(R_RDX), 2u);
}

TEST(OpsMulDiv, DivFaultsLeaveStateUnchanged)
{
    Machine m;
    m.r(R_RDX) = 2;
    m.r(R_RAX) = 5;
    m.r(R_RCX) = 2;
    m.set_flags(CF | ZF);
    EXPECT_EQ(m.exec({ 0x48, 0xf7, 0xf1 }), VEC_DE);             // quotient >= 2^64
    EXPECT_EQ(m.r(R_RAX), 5u);
    EXPECT_EQ(m.r(R_RDX), 2u);
    m.r(R_RCX) = 0;
    EXPECT_EQ(m.exec({ 0x48, 0xf7, 0xf1 }), VEC_DE);             // divide by zero
    EXPECT_EQ(m.r(R_RAX), 5u);
}

TEST(OpsMulDiv, DivLeavesFlags)
{
    Machine m;
    m.r(R_RAX) = 100;
    m.r(R_RDX) = 0;
    m.r(R_RCX) = 7;
    m.set_flags(CF | ZF | OF);
    ASSERT_EQ(m.exec({ 0xf7, 0xf1 }), -1);                       // div ecx
    EXPECT_EQ(m.flags() & ARITH, CF | ZF | OF);
}

TEST(OpsMulDiv, Idiv)
{
    Machine m;
    m.r(R_RDX) = ~0ull;
    m.r(R_RAX) = (uint64_t)-7;
    m.r(R_RCX) = 2;
    ASSERT_EQ(m.exec({ 0x48, 0xf7, 0xf9 }), -1);                 // idiv rcx: -7 / 2
    EXPECT_EQ(m.r(R_RAX), (uint64_t)-3);                         // truncates toward zero
    EXPECT_EQ(m.r(R_RDX), (uint64_t)-1);                         // remainder has the dividend's sign
    m.r(R_RDX) = 0xffff;
    m.r(R_RAX) = 0x8000;                                         // DX:AX = -32768
    m.r(R_RCX) = 1;
    ASSERT_EQ(m.exec({ 0x66, 0xf7, 0xf9 }), -1);                 // idiv cx: the most negative fits
    EXPECT_EQ(m.r(R_RAX), 0x8000u);
    EXPECT_EQ(m.r(R_RDX), 0u);
}

TEST(OpsMulDiv, IdivOverflow)
{
    Machine m;
    m.r(R_RAX) = 0xff80;                                         // AX = -128
    m.r(R_RBX) = 0xff;                                           // BL = -1
    EXPECT_EQ(m.exec({ 0xf6, 0xfb }), VEC_DE);                   // idiv bl: +128
    EXPECT_EQ(m.r(R_RAX), 0xff80u);
    m.r(R_RDX) = 0x80000000;
    m.r(R_RAX) = 0;
    m.r(R_RCX) = 0xffffffff;
    EXPECT_EQ(m.exec({ 0xf7, 0xf9 }), VEC_DE);                   // idiv ecx: INT64_MIN / -1
    m.r(R_RDX) = 1ull << 63;
    m.r(R_RAX) = 0;
    m.r(R_RCX) = ~0ull;
    EXPECT_EQ(m.exec({ 0x48, 0xf7, 0xf9 }), VEC_DE);             // idiv rcx: -2^127 / -1
    EXPECT_EQ(m.r(R_RDX), 1ull << 63);
}

TEST(OpsMulDiv, DivChargesExtraCycles)
{
    Machine m;
    const struct cpu_model *md = m.c.model;
    ASSERT_NE(md, nullptr);
    m.exec({ 0x90 });                                            // warm the TLBs
    uint64_t c0 = m.c.ctr.cycles;
    ASSERT_EQ(m.exec({ 0x90 }), -1);                             // nop
    uint64_t nop = m.c.ctr.cycles - c0;
    m.r(R_RAX) = 10;
    m.r(R_RDX) = 0;
    m.r(R_RCX) = 3;
    c0 = m.c.ctr.cycles;
    ASSERT_EQ(m.exec({ 0x48, 0xf7, 0xf1 }), -1);                 // div rcx
    uint64_t div = m.c.ctr.cycles - c0;
    EXPECT_EQ(div - nop, (uint64_t)md->class_cost[CLS_DIV] + md->div_extra[3] -
                             md->class_cost[CLS_NOP]);
}
