// test_flags.cc — lazy flag evaluation against hand-computed flag values from the SDM
// instruction pages (ADD/SUB/INC/DEC/NEG/logic/shift) and condition codes (SDM Vol. 2 B.1.4.7).
#include <gtest/gtest.h>

#include "cpu/cpu.h"
#include "cpu/flags.h"

namespace {

uint64_t F(lf_op op, unsigned size, uint64_t res, uint64_t a, uint64_t b, uint8_t cf_in = 0) {
    lazy_flags lf{};
    lf.op = op;
    lf.size = (uint8_t)size;
    lf.res = res;
    lf.src1 = a;
    lf.src2 = b;
    lf.cf_in = cf_in;
    return flags_compute(&lf);
}

TEST(Flags, AddOverflowAndCarry) {
    // 0x7f + 1 = 0x80 (8-bit): OF, SF, AF set; CF, ZF clear; PF: 0x80 has one bit -> clear
    EXPECT_EQ(F(LF_ADD, 1, 0x80, 0x7f, 1), RF_OF | RF_SF | RF_AF);
    // 0xff + 1 = 0x00: CF, ZF, AF, PF
    EXPECT_EQ(F(LF_ADD, 1, 0x00, 0xff, 1), RF_CF | RF_ZF | RF_AF | RF_PF);
    // 64-bit: 0xffffffffffffffff + 2 = 1: CF, AF (f+2 carries out of bit 3)
    EXPECT_EQ(F(LF_ADD, 8, 1, ~0ull, 2), RF_CF | RF_AF);
}

TEST(Flags, AdcWithCarryIn) {
    // 0xff + 0 + CF=1 = 0x00: CF set even though res == a? res(0) < a(0xff) anyway
    EXPECT_EQ(F(LF_ADC, 1, 0x00, 0xff, 0, 1), RF_CF | RF_ZF | RF_AF | RF_PF);
    // 0x01 + 0xff + 1 = 0x01: CF (res <= a with carry-in), AF
    EXPECT_EQ(F(LF_ADC, 1, 0x01, 0x01, 0xff, 1), RF_CF | RF_AF);
}

TEST(Flags, SubBorrowAndOverflow) {
    // 0 - 1 = 0xffffffff (32-bit): CF, SF, AF, PF (0xff low byte has 8 bits -> even)
    EXPECT_EQ(F(LF_SUB, 4, 0xffffffffu, 0, 1), RF_CF | RF_SF | RF_AF | RF_PF);
    // 0x80 - 1 = 0x7f (8-bit): OF, AF
    EXPECT_EQ(F(LF_SUB, 1, 0x7f, 0x80, 1), RF_OF | RF_AF);
    // 5 - 5 = 0: ZF, PF
    EXPECT_EQ(F(LF_SUB, 2, 0, 5, 5), RF_ZF | RF_PF);
    // SBB 0 - 0 - 1 = 0xff: CF (a <= b with borrow-in), SF, AF, PF
    EXPECT_EQ(F(LF_SBB, 1, 0xff, 0, 0, 1), RF_CF | RF_SF | RF_AF | RF_PF);
}

TEST(Flags, IncDecKeepCarry) {
    EXPECT_EQ(F(LF_INC, 1, 0x80, 0x7f, 1, 1), RF_CF | RF_OF | RF_SF | RF_AF);
    EXPECT_EQ(F(LF_DEC, 2, 0x7fff, 0x8000, 1, 0), RF_OF | RF_AF | RF_PF);
}

TEST(Flags, NegAndLogic) {
    EXPECT_EQ(F(LF_NEG, 1, 0x80, 0x80, 0), RF_CF | RF_OF | RF_SF);
    EXPECT_EQ(F(LF_NEG, 4, 0, 0, 0), RF_ZF | RF_PF);
    EXPECT_EQ(F(LF_LOGIC, 8, 0x8000000000000003ull, 0, 0), RF_SF | RF_PF);
}

TEST(Flags, Shifts) {
    // shl al(0x81), 1 = 0x02: CF=1 (bit 7 out), OF = MSB(res)^CF = 1
    EXPECT_EQ(F(LF_SHL, 1, 0x02, 0x81, 1), RF_CF | RF_OF);
    // shr al(0x81), 1 = 0x40: CF=1, OF = MSB(orig) = 1
    EXPECT_EQ(F(LF_SHR, 1, 0x40, 0x81, 1), RF_CF | RF_OF);
    // sar al(0x81), 1 = 0xc0: CF=1, OF=0, SF, PF (0xc0: two bits)
    EXPECT_EQ(F(LF_SAR, 1, 0xc0, 0x81, 1), RF_CF | RF_SF | RF_PF);
}

TEST(Flags, ConditionCodes) {
    cpu c{};
    c.rflags = RF_FIXED1 | RF_ZF | RF_CF;
    c.lf.op = LF_NONE;
    EXPECT_TRUE(cond_eval(&c, 0x4));    // E
    EXPECT_FALSE(cond_eval(&c, 0x5));   // NE
    EXPECT_TRUE(cond_eval(&c, 0x2));    // B
    EXPECT_TRUE(cond_eval(&c, 0x6));    // BE
    EXPECT_FALSE(cond_eval(&c, 0x7));   // A
    c.rflags = RF_FIXED1 | RF_SF;       // SF != OF: less
    EXPECT_TRUE(cond_eval(&c, 0xc));    // L
    EXPECT_TRUE(cond_eval(&c, 0xe));    // LE
    EXPECT_FALSE(cond_eval(&c, 0xd));   // GE
    // lazy: cmp 3, 5 -> 3-5 borrows: B true, L true
    lf_set(&c, LF_SUB, 4, (uint32_t)(3 - 5), 3, 5);
    EXPECT_TRUE(cond_eval(&c, 0x2));
    EXPECT_TRUE(cond_eval(&c, 0xc));
    EXPECT_FALSE(cond_eval(&c, 0x4));
}

}  // namespace
