// test_ops_nop.cc — NOPs of every length, ENDBR64/32, prefetch hints and UD0/UD1/UD2
// (cpu/ops_nop.c): nothing changes, memory operands are never accessed, LOCK makes them #UD.
#include "tests/unit/test_ops_harness.h"

using namespace opstest;

TEST(OpsNop, RecommendedMultiByteNops)
{
    // SDM Vol. 2 NOP, Table 4-12: the 1- to 9-byte sequences, then longer ones with prefixes.
    Machine m;
    m.r(R_RAX) = NP_PAGE;                                        // memory operands point nowhere
    m.set_flags(CF | ZF);
    const uint64_t rax = m.r(R_RAX);
    ASSERT_EQ(m.exec({ 0x90,
                       0x66, 0x90,
                       0x0f, 0x1f, 0x00,
                       0x0f, 0x1f, 0x40, 0x00,
                       0x0f, 0x1f, 0x44, 0x00, 0x00,
                       0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00,
                       0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00,
                       0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00,
                       0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00,
                       0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00,
                       0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00,
                       0x48, 0x90,                               // REX.W 90: still NOP
                       0x0f, 0x19, 0x00,                         // reserved-NOP opcodes
                       0x0f, 0x1e, 0x00 }), -1);
    EXPECT_EQ(m.r(R_RAX), rax);
    EXPECT_EQ(m.r(R_RSP), STACK);
    EXPECT_EQ(m.flags() & ARITH, CF | ZF);
}

TEST(OpsNop, EndbrAndPrefetch)
{
    Machine m;
    m.r(R_RAX) = NP_PAGE;
    ASSERT_EQ(m.exec({ 0xf3, 0x0f, 0x1e, 0xfa,                   // endbr64
                       0xf3, 0x0f, 0x1e, 0xfb,                   // endbr32
                       0x0f, 0x18, 0x00,                         // prefetchnta [rax]
                       0x0f, 0x18, 0x08,                         // prefetcht0 [rax]
                       0x0f, 0x0d, 0x08 }), -1);                 // prefetchw [rax]
    EXPECT_EQ(m.c.cr2, 0u);                                      // no access was attempted
}

TEST(OpsNop, LockNopAndUdAreUD)
{
    Machine m;
    EXPECT_EQ(m.exec({ 0xf0, 0x0f, 0x1f, 0x00 }), VEC_UD);       // lock nop [rax]
    EXPECT_EQ(m.exec({ 0x0f, 0x0b }), VEC_UD);                   // ud2
    EXPECT_EQ(m.exec({ 0x0f, 0xb9, 0x00 }), VEC_UD);             // ud1
    EXPECT_EQ(m.exec({ 0x0f, 0xff, 0x00 }), VEC_UD);             // ud0
}
