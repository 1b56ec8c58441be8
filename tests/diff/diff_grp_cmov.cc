/* diff_grp_cmov.cc — group "cmovsetcc": CMOVcc r, r/m and SETcc r/m8 on all 16 conditions,
 * sometimes after an ALU instruction that produces fresh flags (SDM Vol. 2 CMOVcc, SETcc).
 *
 * Invariant: the condition's flags are defined when it is evaluated (Builder::emit inserts a CMP
 * otherwise); a CMOVcc with a false condition still writes a 32-bit destination's upper half.
 */
#include <string>

#include "tests/diff/diff_groups.h"

namespace diff {

void gen_cmov(Builder &b)
{
    if (b.rng.chance(40))
        gen_alu(b);                             /* produce fresh flags */
    int cc = (int)b.rng.below(16);
    if (b.rng.chance(50)) {
        Form f = one(cc_mn("cmov", cc).c_str(), { 0x0f, (uint8_t)(0x40 + cc) }, -1, O_G, O_E,
                     O_NONE, SZ_WDQ);
        gen_form(b, f);
    } else {
        Form f = one(cc_mn("set", cc).c_str(), { 0x0f, (uint8_t)(0x90 + cc) }, 0, O_E, O_NONE,
                     O_NONE, SZ_B);
        gen_form(b, f);
    }
}

} // namespace diff
