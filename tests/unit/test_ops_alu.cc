// test_ops_alu.cc — ADD ADC SUB SBB AND OR XOR CMP TEST INC DEC NEG NOT (cpu/ops_alu.c), run as
// machine code. Expected values are worked out by hand from the SDM instruction pages; the flag
// bits are spelled out in each comment.
#include "tests/unit/test_ops_harness.h"

using namespace opstest;

TEST(OpsAlu, Add64SignedOverflow)
{
    Machine m;
    m.r(R_RAX) = 0x7fffffffffffffffull;
    m.r(R_RCX) = 1;
    ASSERT_EQ(m.exec({ 0x48, 0x01, 0xc8 }), -1);            // add rax, rcx
    EXPECT_EQ(m.r(R_RAX), 0x8000000000000000ull);
    // CF 0 (no unsigned carry), OF 1, SF 1, ZF 0, AF 1 (f+1 carries out of bit 3), PF 1 (00h)
    EXPECT_EQ(m.flags() & ARITH, OF | SF | AF | PF);
}

TEST(OpsAlu, Sub32ZeroExtendsAndBorrows)
{
    Machine m;
    m.r(R_RAX) = 0xffffffff00000005ull;
    m.r(R_RCX) = 7;
    ASSERT_EQ(m.exec({ 0x29, 0xc8 }), -1);                  // sub eax, ecx
    EXPECT_EQ(m.r(R_RAX), 0xfffffffeull);                   // upper half cleared
    // 5 - 7: CF 1, SF 1, AF 1 (5 < 7 in the low nibble), PF 0 (FEh has 7 ones), OF 0
    EXPECT_EQ(m.flags() & ARITH, CF | SF | AF);
}

TEST(OpsAlu, AdcUsesCarryIn)
{
    Machine m;
    m.r(R_RAX) = 0x1234567800ull;
    ASSERT_EQ(m.exec({ 0xf9, 0x14, 0xff }), -1);            // stc; adc al, 0xff
    EXPECT_EQ(m.r(R_RAX), 0x1234567800ull);                 // 00 + FF + 1 = 100h: AL = 0
    // CF 1, ZF 1, AF 1 (0 + F + 1), PF 1, OF 0 (0 + -1 + 1 = 0), SF 0
    EXPECT_EQ(m.flags() & ARITH, CF | ZF | AF | PF);
}

TEST(OpsAlu, SbbBorrowKeepsUpperBits)
{
    Machine m;
    m.r(R_RAX) = 0xaaaa0000ull;
    ASSERT_EQ(m.exec({ 0xf9, 0x66, 0x83, 0xd8, 0x00 }), -1);  // stc; sbb ax, 0
    EXPECT_EQ(m.r(R_RAX), 0xaaaaffffull);
    // 0 - 0 - 1 = FFFFh: CF 1, SF 1, AF 1, PF 1 (FFh), OF 0, ZF 0
    EXPECT_EQ(m.flags() & ARITH, CF | SF | AF | PF);
}

TEST(OpsAlu, HighByteRegister)
{
    Machine m;
    m.r(R_RAX) = 0xffff1234ull;
    ASSERT_EQ(m.exec({ 0x00, 0xc4 }), -1);                  // add ah, al
    EXPECT_EQ(m.r(R_RAX), 0xffff4634ull);                   // 12h + 34h = 46h
    // 46h: PF 0 (3 ones), others 0
    EXPECT_EQ(m.flags() & ARITH, 0u);
}

TEST(OpsAlu, CmpMemoryImmediateDoesNotWrite)
{
    Machine m;
    m.wr(DATA, 5, 4);
    ASSERT_EQ(m.exec({ 0x83, 0x3c, 0x25, 0x00, 0xa0, 0x00, 0x00, 0x05 }), -1);  // cmp dword [0xa000], 5
    EXPECT_EQ(m.rd(DATA, 4), 5u);
    EXPECT_EQ(m.flags() & ARITH, ZF | PF);
}

TEST(OpsAlu, LockAddMemory)
{
    Machine m;
    m.wr(DATA, 0xfffffffffffffff0ull);
    m.r(R_RBX) = DATA;
    m.r(R_RCX) = 0x20;
    ASSERT_EQ(m.exec({ 0xf0, 0x48, 0x01, 0x0b }), -1);      // lock add [rbx], rcx
    EXPECT_EQ(m.rd(DATA), 0x10u);
    // F0h + 20h: CF 1, AF 0 (0 + 0), PF 0 (10h: one bit), OF 0 (-16 + 32)
    EXPECT_EQ(m.flags() & ARITH, CF);
}

TEST(OpsAlu, LockWithRegisterDestinationIsUD)
{
    Machine m;
    m.r(R_RAX) = 1;
    EXPECT_EQ(m.exec({ 0xf0, 0x01, 0xc8 }), VEC_UD);        // lock add eax, ecx
    EXPECT_EQ(m.r(R_RAX), 1u);
}

TEST(OpsAlu, LockCmpIsUD)
{
    Machine m;
    m.r(R_RBX) = DATA;
    EXPECT_EQ(m.exec({ 0xf0, 0x39, 0x0b }), VEC_UD);        // lock cmp [rbx], ecx
}

TEST(OpsAlu, LogicClearsCarryAndOverflow)
{
    Machine m;
    m.r(R_RAX) = 0xf0f0f0f0f0f0f0f0ull;
    m.r(R_RCX) = 0x8f00000000000001ull;
    ASSERT_EQ(m.exec({ 0xf9, 0x48, 0x21, 0xc8 }), -1);      // stc; and rax, rcx
    EXPECT_EQ(m.r(R_RAX), 0x8000000000000000ull);
    EXPECT_EQ(m.flags() & ARITH, SF | PF);                  // low byte 00h: PF 1
}

TEST(OpsAlu, OrSignExtendedImm8)
{
    Machine m;
    m.r(R_RCX) = 0xffffffff00000001ull;
    ASSERT_EQ(m.exec({ 0x83, 0xc9, 0x80 }), -1);            // or ecx, -128
    EXPECT_EQ(m.r(R_RCX), 0xffffff81ull);
    EXPECT_EQ(m.flags() & ARITH, SF | PF);                  // 81h: two ones, PF 1
}

TEST(OpsAlu, XorSelfZeroes)
{
    Machine m;
    m.r(R_RDX) = 0x123456789ull;
    ASSERT_EQ(m.exec({ 0x48, 0x31, 0xd2 }), -1);            // xor rdx, rdx
    EXPECT_EQ(m.r(R_RDX), 0u);
    EXPECT_EQ(m.flags() & ARITH, ZF | PF);
}

TEST(OpsAlu, TestMemory)
{
    Machine m;
    m.wr(DATA + 4, 0x80, 1);
    m.r(R_RBX) = DATA;
    ASSERT_EQ(m.exec({ 0xf6, 0x43, 0x04, 0x81 }), -1);      // test byte [rbx+4], 0x81
    EXPECT_EQ(m.rd(DATA + 4, 1), 0x80u);
    EXPECT_EQ(m.flags() & ARITH, SF);                       // 80h: PF 0
}

TEST(OpsAlu, IncKeepsCarry)
{
    Machine m;
    m.r(R_RAX) = ~0ull;
    ASSERT_EQ(m.exec({ 0xf9, 0x48, 0xff, 0xc0 }), -1);      // stc; inc rax
    EXPECT_EQ(m.r(R_RAX), 0u);
    EXPECT_EQ(m.flags() & ARITH, CF | ZF | AF | PF);        // CF kept from STC
}

TEST(OpsAlu, DecOverflow32)
{
    Machine m;
    m.r(R_RCX) = 0x80000000ull;
    ASSERT_EQ(m.exec({ 0xf8, 0xff, 0xc9 }), -1);            // clc; dec ecx
    EXPECT_EQ(m.r(R_RCX), 0x7fffffffull);
    EXPECT_EQ(m.flags() & ARITH, OF | AF | PF);             // FFh low byte: PF 1; 0 - 1: AF
}

TEST(OpsAlu, NegFlags)
{
    Machine m;
    m.r(R_RAX) = 1;
    m.r(R_RBX) = DATA;
    m.wr(DATA, 0x80, 1);
    ASSERT_EQ(m.exec({ 0x48, 0xf7, 0xd8 }), -1);            // neg rax
    EXPECT_EQ(m.r(R_RAX), ~0ull);
    EXPECT_EQ(m.flags() & ARITH, CF | SF | AF | PF);
    ASSERT_EQ(m.exec({ 0xf6, 0x1b }), -1);                  // neg byte [rbx]: -(-128)
    EXPECT_EQ(m.rd(DATA, 1), 0x80u);
    EXPECT_EQ(m.flags() & ARITH, CF | OF | SF);
    m.r(R_RAX) = 0;
    ASSERT_EQ(m.exec({ 0x48, 0xf7, 0xd8 }), -1);            // neg 0: CF 0
    EXPECT_EQ(m.flags() & ARITH, ZF | PF);
}

TEST(OpsAlu, NotLeavesFlags)
{
    Machine m;
    m.r(R_RAX) = 0x00ff00ff00ff00ffull;
    m.r(R_RBX) = 0x1200;
    ASSERT_EQ(m.exec({ 0xf9, 0x48, 0xf7, 0xd0, 0xf6, 0xd7 }), -1);  // stc; not rax; not bh
    EXPECT_EQ(m.r(R_RAX), 0xff00ff00ff00ff00ull);
    EXPECT_EQ(m.r(R_RBX), 0xed00u);
    EXPECT_EQ(m.flags() & CF, CF);
}

TEST(OpsAlu, ScaledIndexMemoryDestination)
{
    Machine m;
    m.r(R_RBX) = DATA;
    m.r(R_RCX) = 3;
    m.wr(DATA + 16 + 24, 0x15);
    ASSERT_EQ(m.exec({ 0x48, 0x83, 0x6c, 0xcb, 0x10, 0x10 }), -1);  // sub qword [rbx+rcx*8+16], 16
    EXPECT_EQ(m.rd(DATA + 40), 5u);
}

TEST(OpsAlu, WriteToReadOnlyPageFaultsWithoutSideEffects)
{
    Machine m;
    m.r(R_RSI) = RO_PAGE + 0x10;
    m.r(R_RAX) = 1;
    m.wr(RO_PAGE + 0x10, 7, 4);
    m.set_flags(0);
    ASSERT_EQ(m.exec({ 0x01, 0x06 }), VEC_PF);              // add [rsi], eax
    EXPECT_EQ(m.rd(RO_PAGE + 0x10, 4), 7u);
    EXPECT_EQ(m.c.cr2, RO_PAGE + 0x10);
    EXPECT_EQ(m.fault_error(), 3u);                         // P=1, W/R=1 (read-modify-write)
    EXPECT_EQ(m.flags() & ARITH, 0u);
}

TEST(OpsAlu, ReadModifyWriteOfNotPresentPageReportsWrite)
{
    Machine m;
    m.r(R_RSI) = NP_PAGE;
    ASSERT_EQ(m.exec({ 0x01, 0x06 }), VEC_PF);              // add [rsi], eax
    EXPECT_EQ(m.fault_error(), 2u);                         // P=0, W/R=1
    EXPECT_EQ(m.c.cr2, NP_PAGE);
}

TEST(OpsAlu, Mode16Add)
{
    Machine m(M16);
    m.r(R_RAX) = 0x1234ffffull;
    ASSERT_EQ(m.exec({ 0x83, 0xc0, 0x01 }), -1);            // add ax, 1 (16-bit code)
    EXPECT_EQ(m.r(R_RAX), 0x12340000ull);
    EXPECT_EQ(m.flags() & ARITH, CF | ZF | AF | PF);
}

TEST(OpsAlu, Mode32IncIsOneByte)
{
    Machine m(M32);
    m.r(R_RAX) = 0x7fffffff;
    ASSERT_EQ(m.exec({ 0x40 }), -1);                        // inc eax (REX in 64-bit mode)
    EXPECT_EQ(m.r(R_RAX), 0x80000000ull);
    EXPECT_EQ(m.flags() & ARITH, OF | SF | AF | PF);
}
