// test_ops_bcd.cc — DAA DAS AAA AAS AAM AAD (cpu/ops_bcd.c) in 32-bit code, with the adjustments
// worked out from the SDM pseudocode, #DE for AAM 0, and #UD in 64-bit mode.
#include "tests/unit/test_ops_harness.h"

using namespace opstest;

TEST(OpsBcd, Daa)
{
    Machine m(M32);
    ASSERT_EQ(m.exec({ 0xb0, 0x79,                               // mov al, 0x79
                       0x04, 0x35,                               // add al, 0x35: AEh
                       0x27 }), -1);                             // daa: 79 + 35 = 114
    EXPECT_EQ(m.r(R_RAX) & 0xff, 0x14u);
    EXPECT_EQ(m.flags() & (CF | AF | ZF | SF | PF), CF | AF | PF);
}

TEST(OpsBcd, Das)
{
    Machine m(M32);
    ASSERT_EQ(m.exec({ 0xb0, 0x35,                               // mov al, 0x35
                       0x2c, 0x47,                               // sub al, 0x47: EEh, CF, AF
                       0x2f }), -1);                             // das: 35 - 47 = -12 -> 88
    EXPECT_EQ(m.r(R_RAX) & 0xff, 0x88u);
    EXPECT_EQ(m.flags() & (CF | AF | ZF | SF | PF), CF | AF | SF | PF);
}

TEST(OpsBcd, AaaAas)
{
    Machine m(M32);
    ASSERT_EQ(m.exec({ 0x66, 0xb8, 0x09, 0x00,                   // mov ax, 9
                       0x04, 0x08,                               // add al, 8: 11h, AF
                       0x37 }), -1);                             // aaa: 9 + 8 = 1:7
    EXPECT_EQ(m.r(R_RAX) & 0xffff, 0x0107u);
    EXPECT_EQ(m.flags() & (CF | AF), CF | AF);
    ASSERT_EQ(m.exec({ 0x66, 0xb8, 0x02, 0x01,                   // mov ax, 0x102
                       0x2c, 0x05,                               // sub al, 5: FDh, AF
                       0x3f }), -1);                             // aas: 12 - 5 = 0:7
    EXPECT_EQ(m.r(R_RAX) & 0xffff, 0x0007u);
    EXPECT_EQ(m.flags() & (CF | AF), CF | AF);
    m.r(R_RAX) = 0x0335;
    m.set_flags(CF);
    ASSERT_EQ(m.exec({ 0x37 }), -1);                             // aaa, low digit valid, AF = 0
    EXPECT_EQ(m.r(R_RAX) & 0xffff, 0x0305u);                     // only the high nibble cleared
    EXPECT_EQ(m.flags() & (CF | AF), 0u);
    m.r(R_RAX) = 0x0305;
    m.set_flags(AF);
    ASSERT_EQ(m.exec({ 0x37 }), -1);                             // AF = 1 forces the adjustment
    EXPECT_EQ(m.r(R_RAX) & 0xffff, 0x040bu);                     // AX + 106h, AL & 0Fh
    EXPECT_EQ(m.flags() & (CF | AF), CF | AF);
}

TEST(OpsBcd, AamAad)
{
    Machine m(M32);
    ASSERT_EQ(m.exec({ 0xb0, 0x4f,                               // mov al, 79
                       0xd4, 0x0a }), -1);                       // aam
    EXPECT_EQ(m.r(R_RAX) & 0xffff, 0x0709u);
    EXPECT_EQ(m.flags() & (ZF | SF | PF), PF);                   // 09h: two ones
    ASSERT_EQ(m.exec({ 0xd5, 0x0a }), -1);                       // aad
    EXPECT_EQ(m.r(R_RAX) & 0xffff, 0x004fu);
    EXPECT_EQ(m.flags() & (ZF | SF | PF), 0u);                   // 4Fh: five ones
    ASSERT_EQ(m.exec({ 0xd4, 0x10 }), -1);                       // aam 16
    EXPECT_EQ(m.r(R_RAX) & 0xffff, 0x040fu);
}

TEST(OpsBcd, AamZeroIsDE)
{
    Machine m(M32);
    m.r(R_RAX) = 0x1234;
    EXPECT_EQ(m.exec({ 0xd4, 0x00 }), VEC_DE);                   // aam 0
    EXPECT_EQ(m.r(R_RAX), 0x1234u);
}

TEST(OpsBcd, InvalidIn64BitMode)
{
    Machine m;
    EXPECT_EQ(m.exec({ 0x27 }), VEC_UD);                         // daa
    EXPECT_EQ(m.exec({ 0xd4, 0x0a }), VEC_UD);                   // aam
}
