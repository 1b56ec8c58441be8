// test_ops_atomic.cc — XCHG, CMPXCHG, CMPXCHG8B, CMPXCHG16B, XADD (cpu/ops_atomic.c): exchanges,
// the compare outcome in ZF and the CMP flags, which registers each outcome writes (hardware
// behaviour for 32-bit operands), the alignment rule of CMPXCHG16B, and faults before any write.
#include "tests/unit/test_ops_harness.h"

using namespace opstest;

TEST(OpsAtomic, XchgRegisters)
{
    Machine m;
    m.r(R_RAX) = 0x1111111111111111ull;
    m.r(R_RCX) = 0x2222222222222222ull;
    ASSERT_EQ(m.exec({ 0x48, 0x91 }), -1);                       // xchg rax, rcx
    EXPECT_EQ(m.r(R_RAX), 0x2222222222222222ull);
    EXPECT_EQ(m.r(R_RCX), 0x1111111111111111ull);
    m.r(R_RAX) = 0x1234;
    ASSERT_EQ(m.exec({ 0x86, 0xc4 }), -1);                       // xchg ah, al
    EXPECT_EQ(m.r(R_RAX), 0x3412u);
    m.r(R_RAX) = 0xffffffff00000001ull;
    m.r(R_R8) = 0xeeeeeeee00000002ull;
    ASSERT_EQ(m.exec({ 0x41, 0x90 }), -1);                       // xchg eax, r8d (not a NOP)
    EXPECT_EQ(m.r(R_RAX), 2u);
    EXPECT_EQ(m.r(R_R8), 1u);
    m.r(R_RAX) = 0xffffffff00000005ull;
    ASSERT_EQ(m.exec({ 0x87, 0xc0 }), -1);                       // xchg eax, eax zero-extends
    EXPECT_EQ(m.r(R_RAX), 5u);
    m.r(R_RAX) = 0xffffffff00000005ull;
    ASSERT_EQ(m.exec({ 0x90 }), -1);                             // 90 is NOP: nothing changes
    EXPECT_EQ(m.r(R_RAX), 0xffffffff00000005ull);
}

TEST(OpsAtomic, XchgMemory)
{
    Machine m;
    m.r(R_RBX) = DATA;
    m.wr(DATA, 0xaaaaaaaaaaaaaaaaull);
    m.r(R_RCX) = 0x5555555555555555ull;
    ASSERT_EQ(m.exec({ 0x48, 0x87, 0x0b }), -1);                 // xchg [rbx], rcx
    EXPECT_EQ(m.rd(DATA), 0x5555555555555555ull);
    EXPECT_EQ(m.r(R_RCX), 0xaaaaaaaaaaaaaaaaull);
    ASSERT_EQ(m.exec({ 0x87, 0x0b }), -1);                       // xchg ecx, [rbx]
    EXPECT_EQ(m.r(R_RCX), 0x55555555u);
    EXPECT_EQ(m.rd(DATA), 0x55555555aaaaaaaaull);
}

TEST(OpsAtomic, XchgReadOnlyFaultsBeforeRegisterWrite)
{
    Machine m;
    m.r(R_RBX) = RO_PAGE;
    m.r(R_RCX) = 7;
    EXPECT_EQ(m.exec({ 0x48, 0x87, 0x0b }), VEC_PF);             // xchg [rbx], rcx
    EXPECT_EQ(m.r(R_RCX), 7u);
    EXPECT_EQ(m.fault_error(), 3u);
}

TEST(OpsAtomic, Cmpxchg32Register)
{
    // Success writes only the destination (zero-extended); failure writes only EAX.
    Machine m;
    m.r(R_RAX) = 0xaaaaaaaa00000005ull;
    m.r(R_RCX) = 0xbbbbbbbb00000005ull;
    m.r(R_RDX) = 0xcccccccc00000009ull;
    ASSERT_EQ(m.exec({ 0x0f, 0xb1, 0xd1 }), -1);                 // cmpxchg ecx, edx: equal
    EXPECT_EQ(m.r(R_RCX), 9u);
    EXPECT_EQ(m.r(R_RAX), 0xaaaaaaaa00000005ull);
    EXPECT_EQ(m.flags() & ARITH, ZF | PF);
    m.r(R_RCX) = 0xbbbbbbbb00000007ull;
    ASSERT_EQ(m.exec({ 0x0f, 0xb1, 0xd1 }), -1);                 // 5 != 7
    EXPECT_EQ(m.r(R_RAX), 7u);
    EXPECT_EQ(m.r(R_RCX), 0xbbbbbbbb00000007ull);
    EXPECT_EQ(m.flags() & ARITH, CF | SF | AF);                  // flags of 5 - 7 = FEh (PF 0)
}

TEST(OpsAtomic, CmpxchgAccumulatorDestination)
{
    Machine m;
    m.r(R_RAX) = 0xffffffff00000003ull;
    m.r(R_RCX) = 0xffffffff00000004ull;
    ASSERT_EQ(m.exec({ 0x0f, 0xb1, 0xc8 }), -1);                 // cmpxchg eax, ecx: always equal
    EXPECT_EQ(m.r(R_RAX), 4u);
    EXPECT_EQ(m.flags() & ZF, ZF);
}

TEST(OpsAtomic, CmpxchgMemory)
{
    Machine m;
    m.r(R_RBX) = DATA;
    m.wr(DATA, 100);
    m.r(R_RAX) = 100;
    m.r(R_RDX) = 200;
    ASSERT_EQ(m.exec({ 0x48, 0x0f, 0xb1, 0x13 }), -1);           // cmpxchg [rbx], rdx
    EXPECT_EQ(m.rd(DATA), 200u);
    EXPECT_EQ(m.flags() & ZF, ZF);
    ASSERT_EQ(m.exec({ 0x48, 0x0f, 0xb1, 0x13 }), -1);           // now 100 != 200
    EXPECT_EQ(m.rd(DATA), 200u);
    EXPECT_EQ(m.r(R_RAX), 200u);
    EXPECT_EQ(m.flags() & (ZF | CF), CF);                        // 100 - 200 borrows
    m.wr(DATA, 0x42, 1);
    m.r(R_RAX) = 0x42;
    m.r(R_RDX) = 0x9900;                                         // DH = 99h
    ASSERT_EQ(m.exec({ 0xf0, 0x0f, 0xb0, 0x33 }), -1);           // lock cmpxchg [rbx], dh
    EXPECT_EQ(m.rd(DATA, 1), 0x99u);
}

TEST(OpsAtomic, CmpxchgAlwaysWritesMemory)
{
    // The destination is written even when the comparison fails, so a read-only page faults.
    Machine m;
    m.r(R_RBX) = RO_PAGE;
    m.wr(RO_PAGE, 1);
    m.r(R_RAX) = 2;
    EXPECT_EQ(m.exec({ 0x48, 0x0f, 0xb1, 0x13 }), VEC_PF);
    EXPECT_EQ(m.r(R_RAX), 2u);
}

TEST(OpsAtomic, Cmpxchg8b)
{
    Machine m;
    m.wr(DATA, 0x1111111122222222ull);
    m.r(R_RDX) = 0xffffffff11111111ull;
    m.r(R_RAX) = 0xffffffff22222222ull;
    m.r(R_RCX) = 0x33333333;
    m.r(R_RSI) = DATA;                                           // EBX holds the new low half
    m.r(R_RBX) = 0x44444444;
    ASSERT_EQ(m.exec({ 0x0f, 0xc7, 0x0e }), -1);                 // cmpxchg8b [rsi]
    EXPECT_EQ(m.rd(DATA), 0x3333333344444444ull);
    EXPECT_EQ(m.flags() & ZF, ZF);
    EXPECT_EQ(m.r(R_RDX), 0xffffffff11111111ull);                // untouched on success
    ASSERT_EQ(m.exec({ 0x0f, 0xc7, 0x0e }), -1);                 // now different
    EXPECT_EQ(m.flags() & ZF, 0u);
    EXPECT_EQ(m.r(R_RDX), 0x33333333u);                          // loaded, zero-extended
    EXPECT_EQ(m.r(R_RAX), 0x44444444u);
}

TEST(OpsAtomic, Cmpxchg16b)
{
    Machine m;
    m.r(R_RSI) = DATA;
    m.wr(DATA, 1);
    m.wr(DATA + 8, 2);
    m.r(R_RAX) = 1;
    m.r(R_RDX) = 2;
    m.r(R_RBX) = 3;
    m.r(R_RCX) = 4;
    ASSERT_EQ(m.exec({ 0xf0, 0x48, 0x0f, 0xc7, 0x0e }), -1);     // lock cmpxchg16b [rsi]
    EXPECT_EQ(m.rd(DATA), 3u);
    EXPECT_EQ(m.rd(DATA + 8), 4u);
    EXPECT_EQ(m.flags() & ZF, ZF);
    ASSERT_EQ(m.exec({ 0xf0, 0x48, 0x0f, 0xc7, 0x0e }), -1);
    EXPECT_EQ(m.flags() & ZF, 0u);
    EXPECT_EQ(m.r(R_RAX), 3u);
    EXPECT_EQ(m.r(R_RDX), 4u);
}

TEST(OpsAtomic, Cmpxchg16bMisalignedIsGP)
{
    Machine m;
    m.r(R_RSI) = DATA + 8;
    m.r(R_RAX) = 0;
    EXPECT_EQ(m.exec({ 0xf0, 0x48, 0x0f, 0xc7, 0x0e }), VEC_GP);
    EXPECT_EQ(m.fault_error(), 0u);
}

TEST(OpsAtomic, Xadd)
{
    Machine m;
    m.r(R_RAX) = 5;
    m.r(R_RCX) = ~0ull;
    ASSERT_EQ(m.exec({ 0x48, 0x0f, 0xc1, 0xc8 }), -1);           // xadd rax, rcx
    EXPECT_EQ(m.r(R_RAX), 4u);
    EXPECT_EQ(m.r(R_RCX), 5u);
    EXPECT_EQ(m.flags() & (CF | ZF), CF);                        // 5 + (-1) carries
    m.r(R_RBX) = DATA;
    m.wr(DATA, 10, 4);
    m.r(R_RCX) = 0xffffffff00000003ull;
    ASSERT_EQ(m.exec({ 0xf0, 0x0f, 0xc1, 0x0b }), -1);           // lock xadd [rbx], ecx
    EXPECT_EQ(m.rd(DATA, 4), 13u);
    EXPECT_EQ(m.r(R_RCX), 10u);
    m.r(R_RAX) = 21;
    ASSERT_EQ(m.exec({ 0x0f, 0xc1, 0xc0 }), -1);                 // xadd eax, eax: the sum wins
    EXPECT_EQ(m.r(R_RAX), 42u);
}
