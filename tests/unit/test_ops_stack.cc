// test_ops_stack.cc — PUSH/POP of registers, memory and immediates, PUSHA/POPA, ENTER, LEAVE
// (cpu/ops_stack.c, cpu/stack.c): sizes in each mode, the RSP special cases of the SDM POP/PUSH
// pages, nesting levels of ENTER, 16-bit stack wrap, and faults that leave RSP unchanged.
#include "tests/unit/test_ops_harness.h"

using namespace opstest;

TEST(OpsStack, PushPopRegister)
{
    Machine m;
    m.r(R_RAX) = 0x0123456789abcdefull;
    m.r(R_R12) = 0x1212;
    ASSERT_EQ(m.exec({ 0x50, 0x5b,                               // push rax; pop rbx
                       0x41, 0x54, 0x41, 0x5d }), -1);           // push r12; pop r13
    EXPECT_EQ(m.r(R_RBX), 0x0123456789abcdefull);
    EXPECT_EQ(m.r(R_R13), 0x1212u);
    EXPECT_EQ(m.r(R_RSP), STACK);
    EXPECT_EQ(m.rd(STACK - 8), 0x1212u);
    m.r(R_RAX) = 0x7777;
    ASSERT_EQ(m.exec({ 0x66, 0x50 }), -1);                       // push ax: 2 bytes
    EXPECT_EQ(m.r(R_RSP), STACK - 2);
    EXPECT_EQ(m.rd(STACK - 2, 2), 0x7777u);
}

TEST(OpsStack, PushRspPopRsp)
{
    Machine m;
    ASSERT_EQ(m.exec({ 0x54, 0x58 }), -1);                       // push rsp; pop rax
    EXPECT_EQ(m.r(R_RAX), STACK);                                // the value before the push
    m.r(R_RAX) = 0x5000;
    ASSERT_EQ(m.exec({ 0x50, 0x5c }), -1);                       // push rax; pop rsp
    EXPECT_EQ(m.r(R_RSP), 0x5000u);                              // the popped value wins
}

TEST(OpsStack, PopToRspBasedAddressUsesIncrementedRsp)
{
    Machine m;
    ASSERT_EQ(m.exec({ 0x6a, 0x11, 0x6a, 0x22,                   // push 0x11; push 0x22
                       0x8f, 0x04, 0x24 }), -1);                 // pop qword [rsp]
    EXPECT_EQ(m.r(R_RSP), STACK - 8);
    EXPECT_EQ(m.rd(STACK - 8), 0x22u);
}

TEST(OpsStack, PushImmediates)
{
    Machine m;
    ASSERT_EQ(m.exec({ 0x6a, 0xff,                               // push -1 (8 bytes)
                       0x66, 0x6a, 0xfe,                         // push word -2
                       0x68, 0x00, 0x00, 0x00, 0x80 }), -1);     // push 0xffffffff80000000
    EXPECT_EQ(m.rd(STACK - 8), ~0ull);
    EXPECT_EQ(m.rd(STACK - 10, 2), 0xfffeu);
    EXPECT_EQ(m.rd(STACK - 18), 0xffffffff80000000ull);
    EXPECT_EQ(m.r(R_RSP), STACK - 18);
}

TEST(OpsStack, PushPopMemory)
{
    Machine m;
    m.r(R_RBX) = DATA;
    m.wr(DATA, 0x1122334455667788ull);
    ASSERT_EQ(m.exec({ 0xff, 0x33,                               // push qword [rbx]
                       0x66, 0xff, 0x33 }), -1);                 // push word [rbx]
    EXPECT_EQ(m.rd(STACK - 8), 0x1122334455667788ull);
    EXPECT_EQ(m.rd(STACK - 10, 2), 0x7788u);
    m.wr(DATA, 0);
    ASSERT_EQ(m.exec({ 0x66, 0x8f, 0x03,                         // pop word [rbx]
                       0x8f, 0x03 }), -1);                       // pop qword [rbx]
    EXPECT_EQ(m.rd(DATA), 0x1122334455667788ull);
    EXPECT_EQ(m.r(R_RSP), STACK);
}

TEST(OpsStack, PopFaultLeavesRsp)
{
    Machine m;
    m.r(R_RBX) = NP_PAGE;
    ASSERT_EQ(m.exec({ 0x6a, 0x05,                               // push 5
                       0x8f, 0x03 }), VEC_PF);                   // pop qword [rbx]
    EXPECT_EQ(m.rd(m.r(R_RSP) + 32), STACK - 8);                 // RSP in the frame
    EXPECT_EQ(m.fault_error(), 2u);                              // write, not present
}

TEST(OpsStack, EnterLevel0AndLeave)
{
    Machine m;
    m.r(R_RBP) = 0xbbbb;
    ASSERT_EQ(m.exec({ 0xc8, 0x20, 0x00, 0x00 }), -1);           // enter 0x20, 0
    EXPECT_EQ(m.rd(STACK - 8), 0xbbbbu);
    EXPECT_EQ(m.r(R_RBP), STACK - 8);
    EXPECT_EQ(m.r(R_RSP), STACK - 8 - 0x20);
    ASSERT_EQ(m.exec({ 0xc9 }), -1);                             // leave
    EXPECT_EQ(m.r(R_RBP), 0xbbbbu);
    EXPECT_EQ(m.r(R_RSP), STACK);
}

TEST(OpsStack, EnterNested)
{
    Machine m;
    const uint64_t bp = 0x6000;
    m.r(R_RBP) = bp;
    m.wr(bp - 8, 0xd1);                                          // the caller's display
    m.wr(bp - 16, 0xd2);
    ASSERT_EQ(m.exec({ 0xc8, 0x10, 0x00, 0x03 }), -1);           // enter 16, 3
    EXPECT_EQ(m.rd(STACK - 8), bp);                              // old RBP
    EXPECT_EQ(m.rd(STACK - 16), 0xd1u);                          // copied frame pointers
    EXPECT_EQ(m.rd(STACK - 24), 0xd2u);
    EXPECT_EQ(m.rd(STACK - 32), STACK - 8);                      // this frame
    EXPECT_EQ(m.r(R_RBP), STACK - 8);
    EXPECT_EQ(m.r(R_RSP), STACK - 32 - 16);
}

TEST(OpsStack, Mode32PushadPopad)
{
    Machine m(M32);
    const uint32_t vals[8] = { 0xa0, 0xc1, 0xd2, 0xb3, 0 /* esp */, 0xb5, 0x56, 0xd7 };
    for (int r = 0; r < 8; r++)
        if (r != R_RSP)
            m.r(r) = vals[r];
    ASSERT_EQ(m.exec({ 0x60 }), -1);                             // pushad
    EXPECT_EQ(m.r(R_RSP), STACK - 32);
    for (int k = 0; k < 8; k++) {                                // EAX highest, EDI lowest
        uint64_t want = k == R_RSP ? STACK : vals[k];
        EXPECT_EQ(m.rd(STACK - 4 * (k + 1), 4), want) << "slot " << k;
    }
    m.wr(STACK - 20, 0x1234, 4);                                 // saved ESP is ignored
    for (int r = 0; r < 8; r++)
        if (r != R_RSP)
            m.r(r) = 0;
    ASSERT_EQ(m.exec({ 0x61 }), -1);                             // popad
    EXPECT_EQ(m.r(R_RSP), STACK);
    for (int r = 0; r < 8; r++) {
        if (r != R_RSP) {
            EXPECT_EQ(m.r(r), vals[r]) << "reg " << r;
        }
    }
}

TEST(OpsStack, Mode32PushawAndEnter)
{
    Machine m(M32);
    m.r(R_RAX) = 0xffff0001;
    ASSERT_EQ(m.exec({ 0x66, 0x60 }), -1);                       // pushaw: 8 words
    EXPECT_EQ(m.r(R_RSP), STACK - 16);
    EXPECT_EQ(m.rd(STACK - 2, 2), 1u);
    EXPECT_EQ(m.rd(STACK - 10, 2), STACK & 0xffff);              // SP before
    m.r(R_RSP) = STACK;
    m.r(R_RBP) = 0x6100;
    m.wr(0x6100 - 4, 0xe1, 4);
    ASSERT_EQ(m.exec({ 0xc8, 0x08, 0x00, 0x02 }), -1);           // enter 8, 2
    EXPECT_EQ(m.rd(STACK - 4, 4), 0x6100u);
    EXPECT_EQ(m.rd(STACK - 8, 4), 0xe1u);
    EXPECT_EQ(m.rd(STACK - 12, 4), STACK - 4);
    EXPECT_EQ(m.r(R_RBP), STACK - 4);
    EXPECT_EQ(m.r(R_RSP), STACK - 12 - 8);
}

TEST(OpsStack, Mode16WrapAndEnter)
{
    Machine m(M16);
    m.r(R_RSP) = 0xabcd0000;                                     // SP = 0: the push wraps
    m.r(R_RAX) = 0x4242;
    ASSERT_EQ(m.exec({ 0x50 }), -1);                             // push ax
    EXPECT_EQ(m.r(R_RSP), 0xabcdfffeu);                          // only SP changes
    EXPECT_EQ(m.rd(0xfffe, 2), 0x4242u);
    ASSERT_EQ(m.exec({ 0x59 }), -1);                             // pop cx
    EXPECT_EQ(m.r(R_RCX) & 0xffff, 0x4242u);
    EXPECT_EQ(m.r(R_RSP), 0xabcd0000u);
    m.r(R_RSP) = STACK;
    m.r(R_RBP) = 0x1111;
    ASSERT_EQ(m.exec({ 0xc8, 0x04, 0x00, 0x01 }), -1);           // enter 4, 1
    EXPECT_EQ(m.rd(STACK - 2, 2), 0x1111u);
    EXPECT_EQ(m.rd(STACK - 4, 2), STACK - 2);
    EXPECT_EQ(m.r(R_RBP), STACK - 2);
    EXPECT_EQ(m.r(R_RSP), STACK - 4 - 4);
    ASSERT_EQ(m.exec({ 0xc9 }), -1);                             // leave
    EXPECT_EQ(m.r(R_RSP), STACK);
    EXPECT_EQ(m.r(R_RBP), 0x1111u);
}

TEST(OpsStack, PushaIsInvalidIn64BitMode)
{
    Machine m;
    EXPECT_EQ(m.exec({ 0x60 }), VEC_UD);
}
