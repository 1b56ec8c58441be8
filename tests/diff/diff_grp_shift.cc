/* diff_grp_shift.cc — groups "shift" (SHL/SHR/SAR/SAL), "rotate" (ROL/ROR/RCL/RCR) and "shiftd"
 * (SHLD/SHRD): by 1, by CL and by imm8, with counts biased to the edges (0, 1, size - 1, size,
 * size + 1) where the flag rules change (SDM Vol. 2 SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD, SHRD).
 *
 * Invariants: the count is passed to the flag tracker (flags undefined for counts > 1 are masked);
 * 16-bit SHLD/SHRD never get a masked count above 16 (result undefined).
 */
#include "tests/diff/diff_groups.h"

namespace diff {

static int shift_count(Rng &rng, int osz)
{
    int bits = osz * 8;
    switch (rng.below(7)) {
    case 0: return 0;
    case 1: return 1;
    case 2: return bits - 1;
    case 3: return bits;
    case 4: return (bits + 1) & 0xff;
    case 5: return (int)rng.below(bits);
    default: return (int)rng.below(256);
    }
}

/* The count operand: CL (set up here, so never an address register) or an imm8. */
static void count_operand(Builder &b, FormOpts &o, bool in_cl, int count)
{
    if (in_cl) {
        o.excl_mem = BIT_RCX;
        b.set_reg8(RCX, (uint8_t)count);
    } else {
        o.fixed_imm = true;
        o.imm = (uint64_t)count;
    }
    o.count = count;
}

static void gen_shift_kind(Builder &b, bool rotate)
{
    unsigned n;
    const Form *t = forms_shift(&n);
    const Form *f;
    for (;;) {
        f = &pick_form(b, t, n);
        bool is_rot = f->mn[0] == 'r';
        if (is_rot == rotate)
            break;
    }
    FormOpts o;
    o.osz = form_pick_size(b, *f);
    int count = shift_count(b.rng, o.osz);
    if (f->o[1] == O_ONE)
        o.count = 1;
    else
        count_operand(b, o, f->o[1] == O_CL, count);
    gen_form(b, *f, o);
}

void gen_shift(Builder &b) { gen_shift_kind(b, false); }
void gen_rotate(Builder &b) { gen_shift_kind(b, true); }

void gen_shiftd(Builder &b)
{
    static const Form forms[] = {
        one("shld", { 0x0f, 0xa4 }, -1, O_E, O_G, O_I, SZ_WDQ, I_B),
        one("shld", { 0x0f, 0xa5 }, -1, O_E, O_G, O_CL, SZ_WDQ),
        one("shrd", { 0x0f, 0xac }, -1, O_E, O_G, O_I, SZ_WDQ, I_B),
        one("shrd", { 0x0f, 0xad }, -1, O_E, O_G, O_CL, SZ_WDQ),
    };
    const Form &f = pick_form(b, forms, 4);
    FormOpts o;
    o.osz = form_pick_size(b, f);
    int count;
    if (o.osz == 2)     /* count (mod 32) > 16 leaves the result undefined: not generated */
        count = (int)b.rng.below(17) + (b.rng.chance(20) ? 32 * (int)b.rng.below(8) : 0);
    else
        count = shift_count(b.rng, o.osz);
    count_operand(b, o, f.o[2] == O_CL, count);
    /* Unicorn 2.0.1 forgets the imm8 when it computes RIP-relative addresses of SHLD/SHRD
     * (off by one): not compared, covered by DiffDirected.ShldRipRelative */
    if (f.o[2] != O_CL)
        o.no_riprel = true;
    gen_form(b, f, o);
}

} // namespace diff
