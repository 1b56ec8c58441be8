/* test_diff_groups.cc — the differential tests: for each instruction group, hundreds of
 * generated sequences run on hvsim and on Unicorn 2.0.1; registers, defined flags and memory must
 * match (tests/diff/diff_*.h, docs/DIFFERENTIAL-TESTING.md). Reproduce one group with e.g.
 *   HVSIM_DIFF_SEED=0x1234 HVSIM_DIFF_CASES=2000 tests/diff/hvsim_diff --gtest_filter='Diff64.Alu'
 */
#include <gtest/gtest.h>

#include "tests/diff/diff_driver.h"

using diff::run_group;

#define DIFF_TESTS(Name, group)                                       \
    TEST(Diff64, Name) { run_group(group, 8); }                       \
    TEST(Diff32, Name) { run_group(group, 4); }

DIFF_TESTS(Alu, "alu")
DIFF_TESTS(Mov, "mov")
DIFF_TESTS(Shift, "shift")
DIFF_TESTS(Rotate, "rotate")
DIFF_TESTS(ShiftDouble, "shiftd")
DIFF_TESTS(MulDiv, "muldiv")
DIFF_TESTS(BitOps, "bitops")
DIFF_TESTS(CmovSetcc, "cmovsetcc")
DIFF_TESTS(String, "string")
DIFF_TESTS(Atomic, "atomic")
DIFF_TESTS(Stack, "stack")
DIFF_TESTS(ByteSwap, "bswap")
DIFF_TESTS(Branch, "branch")
DIFF_TESTS(FlagsNop, "flags")
DIFF_TESTS(Mixed, "mixed")
DIFF_TESTS(Fault, "fault")

TEST(Diff32, Bcd) { run_group("bcd", 4); }
