/* diff_grp_bitops.cc — group "bitops": BT/BTS/BTR/BTC with a register or imm8 bit offset, and
 * BSF/BSR/TZCNT/LZCNT/POPCNT (SDM Vol. 2 BT, BSF, BSR, TZCNT, LZCNT, POPCNT).
 *
 * Invariants: a register bit offset with a memory operand stays within -256..255 so the accessed
 * bit string is inside the data area; BSF/BSR never see a zero source (destination undefined);
 * POPCNT marks the case as using an instruction Unicorn emulates (emulated_insn).
 */
#include <string.h>

#include "tests/diff/diff_groups.h"

namespace diff {

void gen_bitops(Builder &b)
{
    static const Form bt_forms[] = {
        one("bt", { 0x0f, 0xa3 }, -1, O_E, O_G, O_NONE, SZ_WDQ, I_NONE, F_RO),
        one("bts", { 0x0f, 0xab }, -1, O_E, O_G, O_NONE, SZ_WDQ, I_NONE, F_LOCK),
        one("btr", { 0x0f, 0xb3 }, -1, O_E, O_G, O_NONE, SZ_WDQ, I_NONE, F_LOCK),
        one("btc", { 0x0f, 0xbb }, -1, O_E, O_G, O_NONE, SZ_WDQ, I_NONE, F_LOCK),
        one("bt", { 0x0f, 0xba }, 4, O_E, O_I, O_NONE, SZ_WDQ, I_B, F_RO),
        one("bts", { 0x0f, 0xba }, 5, O_E, O_I, O_NONE, SZ_WDQ, I_B, F_LOCK),
        one("btr", { 0x0f, 0xba }, 6, O_E, O_I, O_NONE, SZ_WDQ, I_B, F_LOCK),
        one("btc", { 0x0f, 0xba }, 7, O_E, O_I, O_NONE, SZ_WDQ, I_B, F_LOCK),
    };
    static const Form scan_forms[] = {
        one("bsf", { 0x0f, 0xbc }, -1, O_G, O_E, O_NONE, SZ_WDQ),
        one("bsr", { 0x0f, 0xbd }, -1, O_G, O_E, O_NONE, SZ_WDQ),
        one("tzcnt", { 0x0f, 0xbc }, -1, O_G, O_E, O_NONE, SZ_WDQ, I_NONE, F_F3),
        one("lzcnt", { 0x0f, 0xbd }, -1, O_G, O_E, O_NONE, SZ_WDQ, I_NONE, F_F3),
        one("popcnt", { 0x0f, 0xb8 }, -1, O_G, O_E, O_NONE, SZ_WDQ, I_NONE, F_F3),
    };
    Rng &rng = b.rng;
    if (rng.chance(55)) {
        const Form &f = pick_form(b, bt_forms, 8);
        FormOpts o;
        o.osz = form_pick_size(b, f);
        if (f.o[1] == O_G) {
            /* register bit offset: a memory operand addresses a bit string around EA, so keep
             * the signed offset small (SDM Vol. 2 BT, "bit base / bit offset") */
            int g = b.reg(o.osz, false, BIT_RSP, Enc());
            o.force_g = g;
            o.excl_mem = 1u << g;
            gen_form_with(b, f, o, [&](FormResult &r) {
                if (r.is_mem)
                    b.set_reg(g, upper_garbage(b, (uint64_t)rng.range(-256, 255), o.osz));
            });
        } else {
            gen_form(b, f, o);
        }
        return;
    }
    const Form &f = pick_form(b, scan_forms, 5);
    FormOpts o;
    o.osz = form_pick_size(b, f);
    o.excl_reg = BIT_RSP;                       /* the source may be set up below */
    const bool nonzero = f.mn[0] == 'b';        /* BSF/BSR of 0: destination undefined */
    if (!strcmp(f.mn, "popcnt"))
        b.c.emulated_insn = true;
    gen_form_with(b, f, o, [&](FormResult &r) {
        if (!nonzero && !rng.chance(50))
            return;
        uint64_t v = rng.value(o.osz * 8);
        if (nonzero && v == 0)
            v = 1ull << rng.below(o.osz * 8);
        if (r.is_mem)
            b.store_mem(r.m, o.osz, v, 0, 0);
        else
            b.set_reg(r.e_reg, upper_garbage(b, v, o.osz));
    });
}

} // namespace diff
