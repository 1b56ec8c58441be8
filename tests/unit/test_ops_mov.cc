// test_ops_mov.cc — data movement and flag instructions (cpu/ops_mov.c, cpu/ops_cond.c): MOV in
// all general forms incl. moffs, MOVZX/MOVSX/MOVSXD, LEA, BSWAP, MOVBE, CBW..CQO, XLAT, CMOVcc,
// SETcc, LAHF/SAHF, CMC/CLC/STC/CLD/STD, SALC. Expected values from the SDM instruction pages.
#include "tests/unit/test_ops_harness.h"

using namespace opstest;

TEST(OpsMov, MoffsForms64)
{
    Machine m;
    m.wr(DATA + 0x10, 0x8877665544332211ull);
    m.r(R_RAX) = 0xffffffffffffff00ull;
    ASSERT_EQ(m.exec({ 0xa0, 0x10, 0xa0, 0, 0, 0, 0, 0, 0 }), -1);   // movabs al, [0xa010]
    EXPECT_EQ(m.r(R_RAX), 0xffffffffffffff11ull);
    m.r(R_RAX) = 0x0123456789abcdefull;
    ASSERT_EQ(m.exec({ 0x48, 0xa3, 0x18, 0xa0, 0, 0, 0, 0, 0, 0 }), -1);  // movabs [0xa018], rax
    EXPECT_EQ(m.rd(DATA + 0x18), 0x0123456789abcdefull);
}

TEST(OpsMov, MoffsForms32And16)
{
    Machine m32(M32);
    m32.wr(DATA + 0x10, 0x44332211, 4);
    m32.r(R_RAX) = 0xcafe0000;
    ASSERT_EQ(m32.exec({ 0xa0, 0x10, 0xa0, 0x00, 0x00 }), -1);   // mov al, [0xa010]
    EXPECT_EQ(m32.r(R_RAX), 0xcafe0011u);
    ASSERT_EQ(m32.exec({ 0xa3, 0x18, 0xa0, 0x00, 0x00 }), -1);   // mov [0xa018], eax
    EXPECT_EQ(m32.rd(DATA + 0x18, 4), 0xcafe0011u);

    Machine m16(M16);
    m16.wr(DATA + 0x10, 0xbeef, 2);
    m16.r(R_RAX) = 0x12340000;
    ASSERT_EQ(m16.exec({ 0xa1, 0x10, 0xa0 }), -1);               // mov ax, [0xa010]
    EXPECT_EQ(m16.r(R_RAX), 0x1234beefu);
}

TEST(OpsMov, Addressing16)
{
    Machine m(M16);
    m.r(R_RBX) = 0xa000;
    m.r(R_RSI) = 0x0010;
    m.wr(DATA + 0x12, 0x5a5a, 2);
    ASSERT_EQ(m.exec({ 0x8b, 0x40, 0x02 }), -1);                 // mov ax, [bx+si+2]
    EXPECT_EQ(m.r(R_RAX) & 0xffff, 0x5a5au);
    m.r(R_RBP) = 0x0001;
    m.r(R_RDI) = 0xffff;
    ASSERT_EQ(m.exec({ 0x8d, 0x43, 0xff }), -1);                 // lea ax, [bp+di-1]: wraps
    EXPECT_EQ(m.r(R_RAX) & 0xffff, 0xffffu);
}

TEST(OpsMov, ImmediateToMemory)
{
    Machine m;
    m.r(R_RBX) = DATA;
    m.wr(DATA, ~0ull);
    ASSERT_EQ(m.exec({ 0xc6, 0x03, 0x80,                         // mov byte [rbx], 0x80
                       0x48, 0xc7, 0x43, 0x08, 0xfe, 0xff, 0xff, 0xff }), -1);  // mov qword [rbx+8], -2
    EXPECT_EQ(m.rd(DATA), 0xffffffffffffff80ull);
    EXPECT_EQ(m.rd(DATA + 8), 0xfffffffffffffffeull);
}

TEST(OpsMov, RegisterWidths)
{
    Machine m;
    m.r(R_RAX) = 0x1111111111111111ull;
    m.r(R_RBX) = 0x22;
    m.r(R_RDI) = 0x77;
    m.r(R_R9) = 0x9999999999999999ull;
    m.r(R_RCX) = 0xaaaaaaaabbbbccccull;
    ASSERT_EQ(m.exec({ 0x88, 0xdc,                               // mov ah, bl
                       0x41, 0x88, 0xf9 }), -1);                 // mov r9b, dil
    EXPECT_EQ(m.r(R_RAX), 0x1111111111112211ull);
    EXPECT_EQ(m.r(R_R9), 0x9999999999999977ull);
    ASSERT_EQ(m.exec({ 0x66, 0x89, 0xc8 }), -1);                 // mov ax, cx
    EXPECT_EQ(m.r(R_RAX), 0x111111111111ccccull);
    ASSERT_EQ(m.exec({ 0x89, 0xc8 }), -1);                       // mov eax, ecx
    EXPECT_EQ(m.r(R_RAX), 0xbbbbccccull);
}

TEST(OpsMov, ZeroAndSignExtension)
{
    Machine m;
    m.r(R_RBX) = DATA;
    m.wr(DATA, 0x8081, 2);
    m.r(R_RAX) = 0xffffffffffff9f00ull;
    ASSERT_EQ(m.exec({ 0x0f, 0xb6, 0xc4 }), -1);                 // movzx eax, ah
    EXPECT_EQ(m.r(R_RAX), 0x9fu);
    m.r(R_RCX) = ~0ull;
    ASSERT_EQ(m.exec({ 0x48, 0x0f, 0xb7, 0x0b }), -1);           // movzx rcx, word [rbx]
    EXPECT_EQ(m.r(R_RCX), 0x8081u);
    ASSERT_EQ(m.exec({ 0x48, 0x0f, 0xbe, 0x03 }), -1);           // movsx rax, byte [rbx]
    EXPECT_EQ(m.r(R_RAX), 0xffffffffffffff81ull);
    m.r(R_RDX) = 0x8000;
    ASSERT_EQ(m.exec({ 0x0f, 0xbf, 0xca }), -1);                 // movsx ecx, dx
    EXPECT_EQ(m.r(R_RCX), 0xffff8000ull);
}

TEST(OpsMov, Movsxd)
{
    Machine m;
    m.r(R_RCX) = 0x1234567880000000ull;
    ASSERT_EQ(m.exec({ 0x48, 0x63, 0xc1 }), -1);                 // movsxd rax, ecx
    EXPECT_EQ(m.r(R_RAX), 0xffffffff80000000ull);
    m.r(R_RBX) = DATA;
    m.wr(DATA, 0x7fffffff, 4);
    ASSERT_EQ(m.exec({ 0x48, 0x63, 0x03 }), -1);                 // movsxd rax, dword [rbx]
    EXPECT_EQ(m.r(R_RAX), 0x7fffffffull);
    // 63 /r without REX.W is MOVSXD r32, r/m32: a plain 32-bit move (zero-extended).
    m.r(R_RAX) = ~0ull;
    ASSERT_EQ(m.exec({ 0x63, 0xc1 }), -1);                       // movsxd eax, ecx
    EXPECT_EQ(m.r(R_RAX), 0x80000000ull);
}

TEST(OpsMov, Lea)
{
    Machine m;
    m.r(R_RBX) = 0x100000000ull;
    m.r(R_RCX) = 3;
    ASSERT_EQ(m.exec({ 0x48, 0x8d, 0x44, 0x8b, 0x10 }), -1);     // lea rax, [rbx+rcx*4+0x10]
    EXPECT_EQ(m.r(R_RAX), 0x10000001cull);
    ASSERT_EQ(m.exec({ 0x8d, 0x44, 0x8b, 0xf8 }), -1);           // lea eax, [rbx+rcx*4-8]
    EXPECT_EQ(m.r(R_RAX), 0x4u);
    m.r(R_RAX) = 0x5555555555555555ull;
    m.r(R_RBX) = 0xffff;
    ASSERT_EQ(m.exec({ 0x66, 0x8d, 0x43, 0x01 }), -1);           // lea ax, [rbx+1]
    EXPECT_EQ(m.r(R_RAX), 0x5555555555550000ull);
    m.r(R_RAX) = 0xfffffff0;
    m.r(R_RCX) = 0x20;
    ASSERT_EQ(m.exec({ 0x67, 0x48, 0x8d, 0x04, 0x08 }), -1);     // lea rax, [eax+ecx]: 32-bit wrap
    EXPECT_EQ(m.r(R_RAX), 0x10u);
    ASSERT_EQ(m.exec({ 0x48, 0x8d, 0x05, 0x00, 0x01, 0x00, 0x00 }), -1);  // lea rax, [rip+0x100]
    EXPECT_EQ(m.r(R_RAX), CODE + 7 + 0x100);
    EXPECT_EQ(m.flags() & ARITH, 0u);                            // LEA sets no flags
}

TEST(OpsMov, BswapAndMovbe)
{
    Machine m;
    m.r(R_RAX) = 0xffffffff11223344ull;
    m.r(R_R10) = 0x0102030405060708ull;
    ASSERT_EQ(m.exec({ 0x0f, 0xc8, 0x49, 0x0f, 0xca }), -1);     // bswap eax; bswap r10
    EXPECT_EQ(m.r(R_RAX), 0x44332211ull);
    EXPECT_EQ(m.r(R_R10), 0x0807060504030201ull);
    m.r(R_RBX) = DATA;
    m.wr(DATA, 0xaabbccdd, 4);
    m.r(R_RCX) = 0x1234;
    ASSERT_EQ(m.exec({ 0x0f, 0x38, 0xf0, 0x03,                   // movbe eax, [rbx]
                       0x66, 0x0f, 0x38, 0xf1, 0x4b, 0x04 }), -1);  // movbe [rbx+4], cx
    EXPECT_EQ(m.r(R_RAX), 0xddccbbaaull);
    EXPECT_EQ(m.rd(DATA + 4, 2), 0x3412u);
}

TEST(OpsMov, SignExtendAccumulator)
{
    Machine m;
    m.r(R_RAX) = 0x1234567890abcd80ull;
    ASSERT_EQ(m.exec({ 0x66, 0x98 }), -1);                       // cbw
    EXPECT_EQ(m.r(R_RAX), 0x1234567890abff80ull);
    ASSERT_EQ(m.exec({ 0x98 }), -1);                             // cwde
    EXPECT_EQ(m.r(R_RAX), 0xffffff80ull);
    ASSERT_EQ(m.exec({ 0x48, 0x98 }), -1);                       // cdqe
    EXPECT_EQ(m.r(R_RAX), 0xffffffffffffff80ull);
    m.r(R_RDX) = 0x1111111111111111ull;
    ASSERT_EQ(m.exec({ 0x66, 0x99 }), -1);                       // cwd
    EXPECT_EQ(m.r(R_RDX), 0x111111111111ffffull);
    m.r(R_RAX) = 0x7fffffff;
    ASSERT_EQ(m.exec({ 0x99 }), -1);                             // cdq
    EXPECT_EQ(m.r(R_RDX), 0u);
    m.r(R_RAX) = 1ull << 63;
    ASSERT_EQ(m.exec({ 0x48, 0x99 }), -1);                       // cqo
    EXPECT_EQ(m.r(R_RDX), ~0ull);
}

TEST(OpsMov, Xlat)
{
    Machine m;
    m.r(R_RBX) = DATA;
    m.r(R_RAX) = 0x11111111111111f0ull;
    m.wr(DATA + 0xf0, 0x5c, 1);
    ASSERT_EQ(m.exec({ 0xd7 }), -1);                             // xlatb
    EXPECT_EQ(m.r(R_RAX), 0x111111111111115cull);
}

TEST(OpsMov, CmovZeroExtendsEvenWhenFalse)
{
    Machine m;
    m.r(R_RAX) = 0xdeadbeef00000001ull;
    m.r(R_RCX) = 2;
    m.set_flags(0);                                              // ZF = 0: cmove not taken
    ASSERT_EQ(m.exec({ 0x0f, 0x44, 0xc1 }), -1);                 // cmove eax, ecx
    EXPECT_EQ(m.r(R_RAX), 1u);                                   // upper half cleared
    m.r(R_RBX) = DATA;
    m.wr(DATA, 0x1122334455667788ull);
    ASSERT_EQ(m.exec({ 0x48, 0x0f, 0x45, 0x03 }), -1);           // cmovne rax, [rbx]
    EXPECT_EQ(m.r(R_RAX), 0x1122334455667788ull);
    m.set_flags(ZF);
    m.r(R_RAX) = 0xabcdef;
    ASSERT_EQ(m.exec({ 0x66, 0x0f, 0x42, 0xc1 }), -1);           // cmovb ax, cx: CF = 0
    EXPECT_EQ(m.r(R_RAX), 0xabcdefu);
}

TEST(OpsMov, CmovReadsMemoryEvenWhenFalse)
{
    Machine m;
    m.r(R_RBX) = NP_PAGE;
    m.set_flags(ZF);                                             // cmovne not taken
    EXPECT_EQ(m.exec({ 0x48, 0x0f, 0x45, 0x03 }), VEC_PF);       // cmovne rax, [rbx]
}

TEST(OpsMov, Setcc)
{
    Machine m;
    m.r(R_RAX) = 0xffff;
    m.r(R_RBX) = DATA + 0x0100;                                  // BH = 0xa1
    m.set_flags(SF);                                             // L: SF != OF
    ASSERT_EQ(m.exec({ 0x0f, 0x94, 0xc0,                         // sete al
                       0x0f, 0x9c, 0xc7 }), -1);                 // setl bh
    EXPECT_EQ(m.r(R_RAX), 0xff00u);
    EXPECT_EQ(m.r(R_RBX), 0x0100u);                              // BH := 1
    m.r(R_RBX) = DATA;
    m.set_flags(0);                                              // A: CF = 0 and ZF = 0
    ASSERT_EQ(m.exec({ 0x0f, 0x97, 0x03 }), -1);                 // seta byte [rbx]
    EXPECT_EQ(m.rd(DATA, 1), 1u);
}

TEST(OpsMov, ConditionsAfterCompare)
{
    // cmp eax, ecx then setcc for every condition, checked against the definitions.
    struct Case { uint32_t a, b; };
    const Case cases[] = { { 1, 2 }, { 2, 1 }, { 5, 5 }, { 0x80000000u, 1 }, { 1, 0x80000000u },
                           { 0x7fffffffu, 0xffffffffu }, { 0, 0 } };
    for (const Case &k : cases) {
        for (unsigned cc = 0; cc < 16; cc++) {
            Machine m;
            m.r(R_RAX) = k.a;
            m.r(R_RCX) = k.b;
            m.r(R_RDX) = 0xff;
            ASSERT_EQ(m.exec({ 0x39, 0xc8,                       // cmp eax, ecx
                               0x0f, (uint8_t)(0x90 + cc), 0xc2 }), -1);   // setcc dl
            int64_t sa = (int32_t)k.a, sb = (int32_t)k.b;
            uint32_t r = k.a - k.b;
            bool cf = k.a < k.b, zf = r == 0, sf = r >> 31;
            bool of = (sa - sb) != (int32_t)r;
            bool pf = !__builtin_parity(r & 0xff);
            bool v[8] = { of, cf, zf, cf || zf, sf, pf, sf != of, zf || (sf != of) };
            bool want = (cc & 1) ? !v[cc >> 1] : v[cc >> 1];
            EXPECT_EQ(m.r(R_RDX), (uint64_t)want) << "cc " << cc << " a " << k.a << " b " << k.b;
        }
    }
}

TEST(OpsMov, LahfSahf)
{
    Machine m;
    m.r(R_RAX) = 0;
    m.set_flags(CF | ZF | OF);
    ASSERT_EQ(m.exec({ 0x9f }), -1);                             // lahf
    EXPECT_EQ(m.r(R_RAX), 0x4300u);                              // ZF(6) | bit 1 | CF
    m.r(R_RAX) = 0xd500;                                         // SF ZF AF PF CF
    m.set_flags(OF);
    ASSERT_EQ(m.exec({ 0x9e }), -1);                             // sahf
    EXPECT_EQ(m.flags() & ARITH, SF | ZF | AF | PF | CF | OF);  // OF untouched
}

TEST(OpsMov, FlagInstructions)
{
    Machine m;
    m.set_flags(0);
    ASSERT_EQ(m.exec({ 0xf9, 0xfd }), -1);                       // stc; std
    EXPECT_EQ(m.flags() & (CF | RF_DF), CF | RF_DF);
    ASSERT_EQ(m.exec({ 0xf5, 0xfc }), -1);                       // cmc; cld
    EXPECT_EQ(m.flags() & (CF | RF_DF), 0u);
    ASSERT_EQ(m.exec({ 0xf5, 0xf8 }), -1);                       // cmc; clc
    EXPECT_EQ(m.flags() & CF, 0u);
}

TEST(OpsMov, Salc32)
{
    Machine m(M32);
    m.r(R_RAX) = 0x12345600;
    m.set_flags(CF);
    ASSERT_EQ(m.exec({ 0xd6 }), -1);                             // salc
    EXPECT_EQ(m.r(R_RAX), 0x123456ffu);
    EXPECT_EQ(m.flags() & CF, CF);
}

TEST(OpsMov, LockMovIsUD)
{
    Machine m;
    m.r(R_RBX) = DATA;
    EXPECT_EQ(m.exec({ 0xf0, 0x89, 0x0b }), VEC_UD);             // lock mov [rbx], ecx
}
