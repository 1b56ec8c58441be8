/* diff_grp_alu.cc — group "alu": one ALU/logic instruction (ADD, OR, ADC, SBB, AND, SUB, XOR,
 * CMP, TEST, INC, DEC, NEG, NOT in all their SDM encodings) from the form table forms_alu()
 * (diff_form.cc), with random operand size, registers, memory operand, immediate and LOCK.
 *
 * Invariant: one pick_form draw then gen_form's draws; gen_alu is also the flag producer that
 * other groups call, so its draw order is shared by them.
 */
#include "tests/diff/diff_groups.h"

namespace diff {

void gen_alu(Builder &b)
{
    unsigned n;
    const Form *t = forms_alu(&n);
    gen_form(b, pick_form(b, t, n));
}

} // namespace diff
