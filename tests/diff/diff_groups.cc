/* diff_groups.cc — the registry of instruction groups of the differential tests (diff_gen.h):
 * name, generator, modes and case length of each, and the "mixed" group that interleaves the
 * others. The generators are in diff_grp_*.cc, one file per group family; the helpers they share
 * in diff_group_util.cc.
 *
 * Invariant: the table's order and the generator list of "mixed" are part of the generated
 * cases (mixed picks a generator by index): append, do not reorder.
 */
#include "tests/diff/diff_groups.h"

namespace diff {

void gen_mixed(Builder &b)
{
    static void (*const gens[])(Builder &) = {
        gen_alu, gen_mov, gen_shift, gen_rotate, gen_shiftd, gen_muldiv, gen_bitops, gen_cmov,
        gen_string, gen_atomic, gen_stack, gen_bswap, gen_flags,
    };
    b.rng.pick(gens)(b);
}

/* Groups: name, generator, modes (1: 32-bit, 2: 64-bit), instructions under test per case. */
const Group groups[] = {
    { "alu", gen_alu, 3, 4 },
    { "mov", gen_mov, 3, 4 },
    { "shift", gen_shift, 3, 4 },
    { "rotate", gen_rotate, 3, 4 },
    { "shiftd", gen_shiftd, 3, 3 },
    { "muldiv", gen_muldiv, 3, 3 },
    { "bitops", gen_bitops, 3, 3 },
    { "cmovsetcc", gen_cmov, 3, 4 },
    { "string", gen_string, 3, 3 },
    { "atomic", gen_atomic, 3, 3 },
    { "stack", gen_stack, 3, 8 },
    { "bswap", gen_bswap, 3, 3 },
    { "branch", gen_branch, 3, 8 },
    { "flags", gen_flags, 3, 5 },
    { "bcd", gen_bcd, 1, 3 },
    { "mixed", gen_mixed, 3, 10 },
    { "fault", gen_fault, 3, 1 },
};
const unsigned n_groups = sizeof groups / sizeof groups[0];

} // namespace diff
