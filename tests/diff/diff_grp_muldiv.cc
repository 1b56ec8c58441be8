/* diff_grp_muldiv.cc — group "muldiv": MUL/IMUL (one-, two- and three-operand forms) and
 * DIV/IDIV with dividend and divisor chosen so that the quotient fits; gen_div_kind() also makes
 * the #DE cases (zero divisor, quotient overflow) for the fault group (SDM Vol. 2 DIV, IDIV).
 *
 * Invariants: rDX:rAX (AX for byte size) and the divisor are set up after the operands are chosen,
 * so addressing never uses rAX/rDX; a non-faulting signed division has a remainder with the
 * dividend's sign and smaller magnitude than the divisor.
 */
#include "tests/diff/diff_groups.h"

namespace diff {

static void gen_mul(Builder &b)
{
    static const Form forms[] = {
        one("mul", { 0xf6 }, 4, O_E, O_NONE, O_NONE, SZ_B, I_NONE, F_RO),
        one("mul", { 0xf7 }, 4, O_E, O_NONE, O_NONE, SZ_WDQ, I_NONE, F_RO),
        one("imul", { 0xf6 }, 5, O_E, O_NONE, O_NONE, SZ_B, I_NONE, F_RO),
        one("imul", { 0xf7 }, 5, O_E, O_NONE, O_NONE, SZ_WDQ, I_NONE, F_RO),
        one("imul", { 0x0f, 0xaf }, -1, O_G, O_E, O_NONE, SZ_WDQ),
        one("imul", { 0x6b }, -1, O_G, O_E, O_I, SZ_WDQ, I_B),
        one("imul", { 0x69 }, -1, O_G, O_E, O_I, SZ_WDQ, I_Z),
    };
    gen_form(b, pick_form(b, forms, 7));
}

static int64_t sext(uint64_t v, int bits)
{
    return bits >= 64 ? (int64_t)v : (int64_t)(v << (64 - bits)) >> (64 - bits);
}

/* DIV/IDIV with a dividend and divisor chosen so the quotient fits (fault = 0), or with a
 * zero divisor (fault = 1) or an overflowing quotient (fault = 2): SDM Vol. 2 DIV/IDIV. */
void gen_div_kind(Builder &b, int fault)
{
    Rng &rng = b.rng;
    const bool sgn = rng.chance(50);
    const int osz = rand_osz(b);
    const int bits = osz * 8;
    const uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
    uint64_t d, hi, lo;
    if (!sgn) {
        do
            d = rng.value(bits);
        while (d == 0);
        hi = fault == 2 ? d + rng.below(4) : rng.value(bits) % d;
        if (fault == 2 && (hi & mask) < d)
            hi = mask;
        lo = rng.value(bits);
    } else {
        int64_t sd;
        do
            sd = sext(rng.value(bits), bits);
        while (sd == 0);
        __int128 D;
        if (fault == 2) {
            __int128 q = ((__int128)1 << (bits - 1)) + rng.below(3);   /* one past the range */
            if (rng.chance(50)) {
                q = -q - 1;
            }
            D = q * sd;
            if (rng.chance(30)) {              /* the classic: INT_MIN / -1 */
                sd = -1;
                D = -((__int128)1 << (bits - 1));
            }
        } else {
            int64_t q = sext(rng.value(bits), bits);
            __int128 ad = sd < 0 ? -(__int128)sd : sd;
            __int128 r = ad > 1 ? (__int128)(rng.next() % (uint64_t)(ad > (__int128)UINT64_MAX
                                                                   ? UINT64_MAX : (uint64_t)ad))
                                : 0;
            if (r >= ad)
                r = 0;
            if (rng.chance(50))
                r = -r;
            D = (__int128)q * sd + r;
            if (r != 0 && (D == 0 || (D < 0) != (r < 0))) {
                r = -r;
                D = (__int128)q * sd + r;
                if (D == 0 || (D < 0) != (r < 0)) {
                    r = 0;
                    D = (__int128)q * sd;
                }
            }
        }
        d = (uint64_t)sd & mask;
        lo = (uint64_t)D & mask;
        hi = (uint64_t)(D >> bits) & mask;
    }
    if (fault == 1)
        d = 0;
    Form f = one(sgn ? "idiv" : "div", { (uint8_t)(osz == 1 ? 0xf6 : 0xf7) }, sgn ? 7 : 6, O_E,
                 O_NONE, O_NONE, (uint8_t)osz, I_NONE, F_RO);
    FormOpts o;
    o.osz = osz;
    o.excl_mem = BIT_RAX | BIT_RDX;
    o.excl_reg = (osz == 1 ? BIT_RAX : BIT_RAX | BIT_RDX) | BIT_RSP;   /* set-up below */
    gen_form_with(b, f, o, [&](FormResult &r) {
        if (r.is_mem)
            b.store_mem(r.m, osz, d, 0, BIT_RAX | BIT_RDX);
        else if (osz == 1)
            b.set_reg8(r.e_reg, (uint8_t)d);
        else
            b.set_reg(r.e_reg, upper_garbage(b, d, osz));
        if (osz == 1) {
            b.set_reg(RAX, upper_garbage(b, (hi << 8) | lo, 2));
        } else {
            b.set_reg(RDX, upper_garbage(b, hi, osz));
            b.set_reg(RAX, upper_garbage(b, lo, osz));
        }
    });
}

void gen_muldiv(Builder &b)
{
    if (b.rng.chance(50))
        gen_mul(b);
    else
        gen_div_kind(b, 0);
}

} // namespace diff
