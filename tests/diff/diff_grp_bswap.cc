/* diff_grp_bswap.cc — group "bswap": BSWAP r32/r64 and MOVBE load/store (SDM Vol. 2 BSWAP, MOVBE).
 *
 * Invariants: no 16-bit BSWAP (result undefined); MOVBE marks the case emulated_insn.
 */
#include "tests/diff/diff_groups.h"

namespace diff {

void gen_bswap(Builder &b)
{
    static const Form forms[] = {
        /* BSWAP of a 16-bit register is undefined (SDM): only 32 and 64 */
        one("bswap", { 0x0f, 0xc8 }, -1, O_R, O_NONE, O_NONE, SZ_DQ),
        one("movbe", { 0x0f, 0x38, 0xf0 }, -1, O_G, O_M, O_NONE, SZ_WDQ),
        one("movbe", { 0x0f, 0x38, 0xf1 }, -1, O_M, O_G, O_NONE, SZ_WDQ, I_NONE, F_RO),
    };
    const Form &f = pick_form(b, forms, 3);
    if (f.mn[0] == 'm')
        b.c.emulated_insn = true;
    gen_form(b, f);
}

} // namespace diff
