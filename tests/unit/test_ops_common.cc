// test_ops_common.cc — the lazy-flag shortcuts of cpu/ops_common.h against flags.c: cond_fast()
// must equal cond_eval() and lazy_cf() must equal the materialised CF for every lazy operation,
// size and condition, over operand values chosen around the carry/overflow/sign boundaries.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "cpu/ops_common.h"

namespace {

std::vector<uint64_t> interesting(unsigned size)
{
    uint64_t m = size >= 8 ? ~0ull : (1ull << (size * 8)) - 1, h = (m >> 1) + 1;
    std::vector<uint64_t> v = { 0, 1, 2, 0x0f, 0x10, 0x7f, 0x80, 0xff, h - 1, h, h + 1, m - 1, m,
                                0x5555555555555555ull & m, 0xaaaaaaaaaaaaaaaaull & m };
    uint64_t x = 0x9e3779b97f4a7c15ull;                         // fixed sequence, no host state
    for (int k = 0; k < 8; k++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        v.push_back(x & m);
        v.push_back(x | ~m);                                     // garbage above the size
    }
    return v;
}

TEST(OpsCommon, CondFastEqualsCondEval)
{
    static const enum lf_op ops[] = { LF_ADD, LF_ADC, LF_SUB, LF_SBB, LF_LOGIC, LF_INC, LF_DEC,
                                      LF_NEG };
    struct cpu c;
    unsigned checked = 0;
    for (unsigned size : { 1u, 2u, 4u, 8u }) {
        std::vector<uint64_t> vals = interesting(size);
        for (enum lf_op op : ops) {
            for (uint64_t a : vals) {
                for (uint64_t b : vals) {
                    for (unsigned cin = 0; cin < 2; cin++) {
                        memset(&c, 0, sizeof c);
                        c.rflags = RF_FIXED1 | (cin ? RF_CF : 0);
                        uint64_t r;
                        switch (op) {
                        case LF_ADD: r = a + b; lf_set(&c, op, size, r, a, b); break;
                        case LF_ADC: r = a + b + cin; lf_set_carry(&c, op, size, r, a, b, cin); break;
                        case LF_SUB: r = a - b; lf_set(&c, op, size, r, a, b); break;
                        case LF_SBB: r = a - b - cin; lf_set_carry(&c, op, size, r, a, b, cin); break;
                        case LF_LOGIC: r = a & b; lf_set(&c, op, size, r, a, b); break;
                        case LF_INC: r = a + 1; lf_set_incdec_fast(&c, op, size, r, a); break;
                        case LF_DEC: r = a - 1; lf_set_incdec_fast(&c, op, size, r, a); break;
                        default: r = 0 - a; lf_set(&c, op, size, r, a, 0); break;
                        }
                        for (unsigned cc = 0; cc < 16; cc++) {
                            struct cpu ref = c;
                            bool want = cond_eval(&ref, cc);
                            struct cpu fast = c;
                            ASSERT_EQ(cond_fast(&fast, cc), want)
                                << "op " << op << " size " << size << " a " << a << " b " << b
                                << " cc " << cc;
                            checked++;
                        }
                        struct cpu ref = c, fast = c;
                        ASSERT_EQ(lazy_cf(&fast), (unsigned)flag_cf(&ref))
                            << "op " << op << " size " << size << " a " << a << " b " << b;
                    }
                }
            }
        }
    }
    EXPECT_GT(checked, 100000u);
}

TEST(OpsCommon, Canonical)
{
    struct cpu c;
    memset(&c, 0, sizeof c);
    EXPECT_TRUE(lin_canonical(&c, 0x00007fffffffffffull));
    EXPECT_FALSE(lin_canonical(&c, 0x0000800000000000ull));
    EXPECT_TRUE(lin_canonical(&c, 0xffff800000000000ull));
    EXPECT_FALSE(lin_canonical(&c, 0xfeff800000000000ull));
    c.cr4 = CR4_LA57;
    EXPECT_TRUE(lin_canonical(&c, 0x0000800000000000ull));
    EXPECT_TRUE(lin_canonical(&c, 0x00ffffffffffffffull));
    EXPECT_FALSE(lin_canonical(&c, 0x0100000000000000ull));
}

}  // namespace
