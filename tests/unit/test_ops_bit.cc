// test_ops_bit.cc — BT BTS BTR BTC, BSF BSR, TZCNT LZCNT POPCNT (cpu/ops_bit.c): bit selection
// modulo the width for register/immediate offsets, the signed "bit base + bit offset" addressing
// of the memory form with a register offset (SDM Vol. 2 BT), CF/ZF as defined, and the counts.
#include "tests/unit/test_ops_harness.h"

using namespace opstest;

TEST(OpsBit, BtRegisterOffsetIsModuloWidth)
{
    Machine m;
    m.r(R_RAX) = 1ull << 40;
    m.r(R_RCX) = 64 + 40;
    m.set_flags(ZF);
    ASSERT_EQ(m.exec({ 0x48, 0x0f, 0xa3, 0xc8 }), -1);           // bt rax, rcx
    EXPECT_EQ(m.flags() & (CF | ZF), CF | ZF);                   // ZF unaffected
    m.r(R_RAX) = 2;
    ASSERT_EQ(m.exec({ 0x0f, 0xba, 0xe0, 0x21 }), -1);           // bt eax, 33 -> bit 1
    EXPECT_EQ(m.flags() & CF, CF);
}

TEST(OpsBit, BtsMemoryRegisterOffsetAddressesBeyondOperand)
{
    Machine m;
    m.r(R_RBX) = DATA + 0x100;
    m.r(R_RCX) = 35;                                             // dword +1, bit 3
    m.wr(DATA + 0x100, 0, 8);
    ASSERT_EQ(m.exec({ 0x0f, 0xab, 0x0b }), -1);                 // bts dword [rbx], ecx
    EXPECT_EQ(m.rd(DATA + 0x104, 4), 8u);
    EXPECT_EQ(m.flags() & CF, 0u);
    m.r(R_RCX) = (uint32_t)-1;                                   // dword -1, bit 31
    m.wr(DATA + 0xfc, 0x80000000, 4);
    ASSERT_EQ(m.exec({ 0x0f, 0xab, 0x0b }), -1);
    EXPECT_EQ(m.rd(DATA + 0xfc, 4), 0x80000000u);
    EXPECT_EQ(m.flags() & CF, CF);                               // it was already set
}

TEST(OpsBit, BtWordNegativeOffset)
{
    Machine m;
    m.r(R_RBX) = DATA + 0x10;
    m.r(R_RCX) = 0xfff0;                                         // CX = -16: word -1, bit 0
    m.wr(DATA + 0x0e, 1, 2);
    m.wr(DATA + 0x10, 0, 2);
    ASSERT_EQ(m.exec({ 0x66, 0x0f, 0xa3, 0x0b }), -1);           // bt word [rbx], cx
    EXPECT_EQ(m.flags() & CF, CF);
}

TEST(OpsBit, BtrImmediateIsMaskedAndBtc)
{
    Machine m;
    m.r(R_RBX) = DATA;
    m.wr(DATA, 0xffff, 2);
    ASSERT_EQ(m.exec({ 0x66, 0x0f, 0xba, 0x33, 0x13 }), -1);     // btr word [rbx], 0x13 -> bit 3
    EXPECT_EQ(m.rd(DATA, 2), 0xfff7u);
    EXPECT_EQ(m.flags() & CF, CF);
    m.r(R_RAX) = 0;
    ASSERT_EQ(m.exec({ 0x48, 0x0f, 0xba, 0xf8, 0x3f }), -1);     // btc rax, 63
    EXPECT_EQ(m.r(R_RAX), 1ull << 63);
    EXPECT_EQ(m.flags() & CF, 0u);
}

TEST(OpsBit, LockBts)
{
    Machine m;
    m.r(R_RBX) = DATA;
    m.r(R_RCX) = 130;                                            // qword +2, bit 2
    m.wr(DATA + 16, 0);
    ASSERT_EQ(m.exec({ 0xf0, 0x48, 0x0f, 0xab, 0x0b }), -1);     // lock bts qword [rbx], rcx
    EXPECT_EQ(m.rd(DATA + 16), 4u);
}

TEST(OpsBit, BtsMemory32BitMode)
{
    Machine m(M32);
    m.r(R_RBX) = DATA;
    m.r(R_RCX) = 0xffffffe0;                                     // -32: dword -1, bit 0
    m.wr(DATA - 4, 0, 4);
    ASSERT_EQ(m.exec({ 0x0f, 0xab, 0x0b }), -1);                 // bts dword [ebx], ecx
    EXPECT_EQ(m.rd(DATA - 4, 4), 1u);
}

TEST(OpsBit, BitScan)
{
    Machine m;
    m.r(R_RCX) = 0x8000000000000100ull;
    ASSERT_EQ(m.exec({ 0x48, 0x0f, 0xbc, 0xc1 }), -1);           // bsf rax, rcx
    EXPECT_EQ(m.r(R_RAX), 8u);
    EXPECT_EQ(m.flags() & ZF, 0u);
    ASSERT_EQ(m.exec({ 0x48, 0x0f, 0xbd, 0xc1 }), -1);           // bsr rax, rcx
    EXPECT_EQ(m.r(R_RAX), 63u);
    m.r(R_RBX) = DATA;
    m.wr(DATA, 0x00012345, 4);
    ASSERT_EQ(m.exec({ 0x0f, 0xbd, 0x13 }), -1);                 // bsr edx, [rbx]
    EXPECT_EQ(m.r(R_RDX), 16u);
}

TEST(OpsBit, BitScanZeroSource)
{
    Machine m;
    m.r(R_RAX) = 0xffffffff12345678ull;
    m.r(R_RCX) = 0;
    ASSERT_EQ(m.exec({ 0x0f, 0xbc, 0xc1 }), -1);                 // bsf eax, ecx
    EXPECT_EQ(m.flags() & ZF, ZF);
    EXPECT_EQ(m.r(R_RAX) & 0xffffffff, 0x12345678u);             // value unchanged
    EXPECT_EQ(m.r(R_RAX), 0x12345678u);                          // 32-bit write-back (Unicorn)
}

// The default model (Skylake-SP class without BMI1) executes F3 0F BC as BSF, like a processor
// without BMI1; a model that reports BMI1 (CPUID.7.0:EBX bit 3) gets TZCNT.
static const struct cpu_model *model_with_bmi1()
{
    static struct cpu_model md;
    md = *model_default();
    for (int k = 0; k < md.n_cpuid; k++)
        if (md.cpuid[k].leaf == 7 && md.cpuid[k].subleaf == 0)
            md.cpuid[k].ebx |= 1u << 3;
    return &md;
}

TEST(OpsBit, TzcntWithoutBmi1IsBsf)
{
    Machine m;
    uint32_t r[4];
    model_cpuid(m.c.model, 7, 0, r);
    ASSERT_EQ(r[1] & (1u << 3), 0u);
    m.r(R_RAX) = 0xffffffff00000077ull;
    m.r(R_RCX) = 0;
    ASSERT_EQ(m.exec({ 0xf3, 0x0f, 0xbc, 0xc1 }), -1);           // tzcnt eax, ecx = bsf
    EXPECT_EQ(m.r(R_RAX), 0x77u);
    EXPECT_EQ(m.flags() & ZF, ZF);
    m.r(R_RCX) = 0x30;
    ASSERT_EQ(m.exec({ 0xf3, 0x0f, 0xbc, 0xc1 }), -1);
    EXPECT_EQ(m.r(R_RAX), 4u);
}

TEST(OpsBit, Tzcnt)
{
    Machine m(M64, model_with_bmi1());
    m.r(R_RCX) = 0;
    ASSERT_EQ(m.exec({ 0xf3, 0x0f, 0xbc, 0xc1 }), -1);           // tzcnt eax, ecx
    EXPECT_EQ(m.r(R_RAX), 32u);
    EXPECT_EQ(m.flags() & (CF | ZF), CF);
    m.r(R_RCX) = 1;
    ASSERT_EQ(m.exec({ 0xf3, 0x48, 0x0f, 0xbc, 0xc1 }), -1);     // tzcnt rax, rcx
    EXPECT_EQ(m.r(R_RAX), 0u);
    EXPECT_EQ(m.flags() & (CF | ZF), ZF);
}

TEST(OpsBit, Lzcnt)
{
    Machine m;
    m.r(R_RAX) = 0xaaaa0000;
    m.r(R_RCX) = 0x0010;
    ASSERT_EQ(m.exec({ 0x66, 0xf3, 0x0f, 0xbd, 0xc1 }), -1);     // lzcnt ax, cx
    EXPECT_EQ(m.r(R_RAX), 0xaaaa000bu);
    EXPECT_EQ(m.flags() & (CF | ZF), 0u);
    m.r(R_RCX) = 0;
    ASSERT_EQ(m.exec({ 0xf3, 0x0f, 0xbd, 0xc1 }), -1);           // lzcnt eax, ecx
    EXPECT_EQ(m.r(R_RAX), 32u);
    EXPECT_EQ(m.flags() & (CF | ZF), CF);
}

TEST(OpsBit, Popcnt)
{
    Machine m;
    m.r(R_RCX) = 0x8000000000ff00ffull;
    m.set_flags(CF | SF | OF | AF | PF);
    ASSERT_EQ(m.exec({ 0xf3, 0x48, 0x0f, 0xb8, 0xc1 }), -1);     // popcnt rax, rcx
    EXPECT_EQ(m.r(R_RAX), 17u);
    EXPECT_EQ(m.flags() & ARITH, 0u);                            // all cleared
    m.r(R_RBX) = DATA;
    m.wr(DATA, 0, 4);
    ASSERT_EQ(m.exec({ 0xf3, 0x0f, 0xb8, 0x03 }), -1);           // popcnt eax, [rbx]
    EXPECT_EQ(m.r(R_RAX), 0u);
    EXPECT_EQ(m.flags() & ARITH, ZF);
}

TEST(OpsBit, TzcntWithPrefixAfterF3)
{
    // F3 67 0F BC: Capstone 4.0.2 reports BSF; hardware (and hvsim, via the decoder's REP prefix)
    // executes TZCNT. F3 F2 0F BC: the last of F2/F3 wins, so it is BSF.
    Machine m(M64, model_with_bmi1());
    m.r(R_RCX) = 0;
    m.r(R_RAX) = 5;
    ASSERT_EQ(m.exec({ 0xf3, 0x67, 0x0f, 0xbc, 0xc1 }), -1);     // tzcnt eax, ecx
    EXPECT_EQ(m.r(R_RAX), 32u);
    EXPECT_EQ(m.flags() & CF, CF);
    m.r(R_RAX) = 5;
    ASSERT_EQ(m.exec({ 0xf3, 0xf2, 0x0f, 0xbc, 0xc1 }), -1);     // bsf eax, ecx
    EXPECT_EQ(m.r(R_RAX), 5u);
    EXPECT_EQ(m.flags() & ZF, ZF);
}
