// test_ops_branch.cc — near JMP, Jcc, JrCXZ, LOOPcc, CALL, RET (cpu/ops_branch.c) in 64-, 32- and
// 16-bit code: targets, operand and address sizes, what is pushed, and #GP(0) for non-canonical
// targets (64-bit) or targets beyond the CS limit (other modes) with nothing committed.
#include "tests/unit/test_ops_harness.h"

using namespace opstest;

// CALL to a subroutine that sets EAX = 7 and returns; the caller copies EAX to EBX and jumps to
// the end (the same bytes in 64- and 32-bit code).
static const std::vector<uint8_t> CALL_RET = {
    0xe8, 0x04, 0x00, 0x00, 0x00,               // call +4
    0x89, 0xc3,                                 // mov ebx, eax
    0xeb, 0x06,                                 // jmp end
    0xb8, 0x07, 0x00, 0x00, 0x00,               // mov eax, 7
    0xc3,                                       // ret
};

TEST(OpsBranch, JmpRelAndIndirect)
{
    Machine m;
    ASSERT_EQ(m.exec({ 0x31, 0xc0,                               // xor eax, eax
                       0xeb, 0x05,                               // jmp +5
                       0xb8, 0x01, 0x00, 0x00, 0x00,             // mov eax, 1 (skipped)
                       0x48, 0x8d, 0x0d, 0x07, 0x00, 0x00, 0x00, // lea rcx, [rip+7]
                       0xff, 0xe1,                               // jmp rcx
                       0xb8, 0x02, 0x00, 0x00, 0x00,             // mov eax, 2 (skipped)
                       0x90 }), -1);
    EXPECT_EQ(m.r(R_RAX), 0u);
}

TEST(OpsBranch, JmpMemoryIndirect)
{
    Machine m;
    m.r(R_RBX) = DATA;
    m.wr(DATA, CODE + 7);
    ASSERT_EQ(m.exec({ 0xff, 0x23,                               // jmp [rbx]
                       0xb8, 0x02, 0x00, 0x00, 0x00,             // mov eax, 2 (skipped)
                       0x90 }), -1);
    EXPECT_EQ(m.r(R_RAX), 0u);
}

TEST(OpsBranch, JmpNonCanonicalIsGP)
{
    Machine m;
    m.r(R_RCX) = 0x0000800000000000ull;
    ASSERT_EQ(m.exec({ 0xff, 0xe1 }), VEC_GP);                   // jmp rcx
    EXPECT_EQ(m.fault_error(), 0u);
    EXPECT_EQ(m.rd(m.r(R_RSP) + 8), CODE);                       // faulting RIP
}

TEST(OpsBranch, JccLoop)
{
    Machine m;
    ASSERT_EQ(m.exec({ 0xb9, 0x05, 0x00, 0x00, 0x00,             // mov ecx, 5
                       0x31, 0xc0,                               // xor eax, eax
                       0x01, 0xc8,                               // add eax, ecx
                       0xff, 0xc9,                               // dec ecx
                       0x75, 0xfa }), -1);                       // jnz back
    EXPECT_EQ(m.r(R_RAX), 15u);
    EXPECT_EQ(m.r(R_RCX), 0u);
}

TEST(OpsBranch, JccNearAndSigned)
{
    Machine m;
    m.r(R_RAX) = (uint64_t)-5;
    ASSERT_EQ(m.exec({ 0x48, 0x83, 0xf8, 0x03,                   // cmp rax, 3
                       0x0f, 0x8c, 0x05, 0x00, 0x00, 0x00,       // jl +5 (taken: -5 < 3)
                       0xbb, 0x01, 0x00, 0x00, 0x00,             // mov ebx, 1 (skipped)
                       0x0f, 0x82, 0x05, 0x00, 0x00, 0x00,       // jb +5 (not taken: unsigned)
                       0xb9, 0x01, 0x00, 0x00, 0x00 }), -1);     // mov ecx, 1
    EXPECT_EQ(m.r(R_RBX), 0u);
    EXPECT_EQ(m.r(R_RCX), 1u);
}

TEST(OpsBranch, JrcxzAndJecxz)
{
    Machine m;
    m.r(R_RCX) = 0x100000000ull;
    ASSERT_EQ(m.exec({ 0xe3, 0x05,                               // jrcxz +5: RCX != 0
                       0xb8, 0x09, 0x00, 0x00, 0x00 }), -1);     // mov eax, 9
    EXPECT_EQ(m.r(R_RAX), 9u);
    m.r(R_RAX) = 0;
    ASSERT_EQ(m.exec({ 0x67, 0xe3, 0x05,                         // jecxz +5: ECX == 0
                       0xb8, 0x09, 0x00, 0x00, 0x00 }), -1);
    EXPECT_EQ(m.r(R_RAX), 0u);
}

TEST(OpsBranch, Loops)
{
    Machine m;
    ASSERT_EQ(m.exec({ 0xb9, 0x03, 0x00, 0x00, 0x00,             // mov ecx, 3
                       0x31, 0xc0,                               // xor eax, eax
                       0xff, 0xc0,                               // inc eax
                       0xe2, 0xfc }), -1);                       // loop back
    EXPECT_EQ(m.r(R_RAX), 3u);
    EXPECT_EQ(m.r(R_RCX), 0u);
    ASSERT_EQ(m.exec({ 0xb9, 0x0a, 0x00, 0x00, 0x00,             // mov ecx, 10
                       0x31, 0xc0,                               // xor eax, eax
                       0xff, 0xc0,                               // inc eax
                       0x83, 0xf8, 0x04,                         // cmp eax, 4
                       0xe0, 0xf9 }), -1);                       // loopne back
    EXPECT_EQ(m.r(R_RAX), 4u);
    EXPECT_EQ(m.r(R_RCX), 6u);
    m.r(R_RCX) = 0xffffffff00000002ull;
    ASSERT_EQ(m.exec({ 0x67, 0xe2, 0xfd }), -1);                 // loop (ECX) to itself
    EXPECT_EQ(m.r(R_RCX), 0u);
}

TEST(OpsBranch, CallRet)
{
    Machine m;
    m.load(CALL_RET);
    ASSERT_EQ(m.run(), -1);
    EXPECT_EQ(m.r(R_RBX), 7u);
    EXPECT_EQ(m.r(R_RSP), STACK);
    EXPECT_EQ(m.rd(STACK - 8), CODE + 5);                        // the pushed return address
}

TEST(OpsBranch, CallIndirect)
{
    Machine m;
    m.r(R_RAX) = CODE + 4;
    m.r(R_RBX) = DATA;
    m.wr(DATA, CODE + 4);
    ASSERT_EQ(m.exec({ 0xff, 0xd0,                               // call rax
                       0xeb, 0x01,                               // jmp end
                       0xc3 }), -1);                             // ret
    EXPECT_EQ(m.r(R_RSP), STACK);
    ASSERT_EQ(m.exec({ 0xff, 0x13,                               // call [rbx]
                       0xeb, 0x01,
                       0xc3 }), -1);
    EXPECT_EQ(m.rd(STACK - 8), CODE + 2);
}

TEST(OpsBranch, RetImm16)
{
    Machine m;
    ASSERT_EQ(m.exec({ 0x6a, 0x01,                               // push 1
                       0x6a, 0x02,                               // push 2
                       0xe8, 0x02, 0x00, 0x00, 0x00,             // call +2
                       0xeb, 0x03,                               // jmp end
                       0xc2, 0x10, 0x00 }), -1);                 // ret 16
    EXPECT_EQ(m.r(R_RSP), STACK);
}

TEST(OpsBranch, RetNonCanonicalIsGPWithRspUnchanged)
{
    Machine m;
    ASSERT_EQ(m.exec({ 0x48, 0xb8, 0, 0, 0, 0, 0, 0x80, 0, 0,    // mov rax, 0x0000800000000000
                       0x50,                                     // push rax
                       0xc3 }), VEC_GP);                         // ret
    EXPECT_EQ(m.rd(m.r(R_RSP) + 8), CODE + 11);                  // RIP of the RET
    EXPECT_EQ(m.rd(m.r(R_RSP) + 32), STACK - 8);                 // RSP before the RET
}

TEST(OpsBranch, OperandSize16In64BitMode)
{
    // 66 E8 rel16 as Capstone decodes it: 16-bit target and a 2-byte push (docs/ISA.md).
    Machine m;
    ASSERT_EQ(m.exec({ 0x66, 0xe8, 0x02, 0x00,                   // call (16-bit) +2
                       0xeb, 0x02,                               // jmp end
                       0x66, 0xc3 }), -1);                       // ret (16-bit)
    EXPECT_EQ(m.r(R_RSP), STACK);
    EXPECT_EQ(m.rd(STACK - 2, 2), (CODE + 4) & 0xffff);
}

TEST(OpsBranch, Mode32CallAndCsLimit)
{
    Machine m(M32);
    m.load(CALL_RET);
    ASSERT_EQ(m.run(), -1);
    EXPECT_EQ(m.r(R_RBX), 7u);
    EXPECT_EQ(m.r(R_RSP), STACK);
    EXPECT_EQ(m.rd(STACK - 4, 4), CODE + 5);
    m.c.seg[SEG_CS].limit = 0x8fff;
    ASSERT_EQ(m.exec({ 0xe9, 0xfb, 0x0f, 0x00, 0x00 }), VEC_GP); // jmp 0x9000: beyond the limit
    EXPECT_EQ(m.fault_error(), 0u);
    EXPECT_EQ(m.rd(m.r(R_RSP) + 4, 4), CODE);
}

TEST(OpsBranch, Mode16CallLoopJcxz)
{
    Machine m(M16);
    ASSERT_EQ(m.exec({ 0xe8, 0x04, 0x00,                         // call +4
                       0x89, 0xc3,                               // mov bx, ax
                       0xeb, 0x04,                               // jmp end
                       0xb8, 0x07, 0x00,                         // mov ax, 7
                       0xc3 }), -1);                             // ret
    EXPECT_EQ(m.r(R_RBX) & 0xffff, 7u);
    EXPECT_EQ(m.r(R_RSP), STACK);
    EXPECT_EQ(m.rd(STACK - 2, 2), CODE + 3);
    m.r(R_RCX) = 0x12340002;
    ASSERT_EQ(m.exec({ 0xe2, 0xfe }), -1);                       // loop (CX) to itself
    EXPECT_EQ(m.r(R_RCX), 0x12340000u);
    m.r(R_RAX) = 0;
    ASSERT_EQ(m.exec({ 0xe3, 0x03,                               // jcxz +3
                       0xb8, 0x09, 0x00 }), -1);                 // mov ax, 9 (skipped)
    EXPECT_EQ(m.r(R_RAX), 0u);
}
