/* diff_grp_atomic.cc — group "atomic": XCHG, XADD, CMPXCHG (comparison succeeding or failing),
 * CMPXCHG8B/16B, and locked read-modify-write ALU instructions (SDM Vol. 2 XCHG, XADD, CMPXCHG,
 * CMPXCHG8B/CMPXCHG16B, LOCK).
 *
 * Invariants: CMPXCHG16B operands are 16-byte aligned; rAX/rDX used by the comparison are never
 * address registers; LOCK only on memory destinations of lockable instructions.
 */
#include <string>

#include "tests/diff/diff_groups.h"

namespace diff {

static void gen_cmpxchg8b(Builder &b, bool wide)
{
    Rng &rng = b.rng;
    const int size = wide ? 16 : 8;
    MemOp m = b.mem(size, BIT_RAX | BIT_RDX, wide ? 16 : 1, Area::Data, nullptr);
    Enc e;
    e.op = { 0x0f, 0xc7 };
    e.digit(1);
    if (wide)
        e.w = true;
    e.mem(m, b.mode);
    bool lock = rng.chance(40);
    if (lock)
        e.pfx.insert(e.pfx.begin(), 0xf0);
    if (rng.chance(50)) {                       /* make the comparison succeed */
        uint64_t lo = rng.value(64), hi = rng.value(64);
        if (!wide) {
            b.store_mem(m, 8, lo, 0, BIT_RAX | BIT_RDX);
            b.set_reg(RAX, upper_garbage(b, lo & 0xffffffff, 4));
            b.set_reg(RDX, upper_garbage(b, lo >> 32, 4));
        } else {
            b.store_mem(m, 16, lo, hi, BIT_RAX | BIT_RDX);
            b.set_reg(RAX, lo);
            b.set_reg(RDX, hi);
        }
    }
    std::string mn = wide ? "cmpxchg16b" : "cmpxchg8b";
    b.emit(e, lock ? "lock " + mn : mn, size);
}

void gen_atomic(Builder &b)
{
    static const Form xchg_forms[] = {
        one("xchg", { 0x86 }, -1, O_E, O_G, O_NONE, SZ_B, I_NONE, F_BOTHW | F_MEM | F_LOCK),
        one("xchg", { 0x87 }, -1, O_E, O_G, O_NONE, SZ_WDQ, I_NONE, F_BOTHW | F_MEM | F_LOCK),
        one("xadd", { 0x0f, 0xc0 }, -1, O_E, O_G, O_NONE, SZ_B, I_NONE, F_BOTHW | F_LOCK),
        one("xadd", { 0x0f, 0xc1 }, -1, O_E, O_G, O_NONE, SZ_WDQ, I_NONE, F_BOTHW | F_LOCK),
    };
    static const Form cx_forms[] = {
        one("cmpxchg", { 0x0f, 0xb0 }, -1, O_E, O_G, O_NONE, SZ_B, I_NONE, F_LOCK),
        one("cmpxchg", { 0x0f, 0xb1 }, -1, O_E, O_G, O_NONE, SZ_WDQ, I_NONE, F_LOCK),
    };
    Rng &rng = b.rng;
    switch (rng.below(6)) {
    case 0: case 1:
        gen_form(b, pick_form(b, xchg_forms, 4));
        return;
    case 2: case 3: {
        const Form &f = pick_form(b, cx_forms, 2);
        FormOpts o;
        o.osz = form_pick_size(b, f);
        o.excl_mem = BIT_RAX;
        o.excl_reg = BIT_RSP;                   /* the destination may be set up below */
        gen_form_with(b, f, o, [&](FormResult &r) {
            if (b.mode == 8 && o.osz == 4) {
                /* Unicorn 2.0.1 zero-extends RAX even when the comparison succeeds (SDM: the
                 * accumulator is written only on failure), and the write-back of a failing
                 * 32-bit register destination is ambiguous (SDM pseudo-code DEST <- TEMP vs.
                 * hardware leaving it untouched): upper halves are made zero so that neither
                 * matters; DiffDirected.Cmpxchg32KeepsRaxOnSuccess checks hvsim directly. */
                b.set_reg(RAX, (uint32_t)rng.value(32));
                if (!r.is_mem && r.e_reg != RAX)
                    b.set_reg(r.e_reg, (uint32_t)rng.value(32));
            }
            if (!rng.chance(50))
                return;
            uint64_t v = rng.value(o.osz * 8);  /* accumulator == destination */
            if (r.is_mem) {
                b.store_mem(r.m, o.osz, v, 0, BIT_RAX);
            } else {
                if (reg8_gpr(r.e_reg) == RAX && o.osz == 1)
                    return;
                if (o.osz == 1)
                    b.set_reg8(r.e_reg, (uint8_t)v);
                else if (r.e_reg != RAX)
                    b.set_reg(r.e_reg, b.mode == 8 && o.osz == 4 ? v : upper_garbage(b, v, o.osz));
            }
            if (o.osz == 1)
                b.set_reg8(RAX, (uint8_t)v);
            else if (r.is_mem || r.e_reg != RAX)
                b.set_reg(RAX, b.mode == 8 && o.osz == 4 ? v : upper_garbage(b, v, o.osz));
        });
        return;
    }
    case 4:
        gen_cmpxchg8b(b, b.mode == 8 && rng.chance(50));
        return;
    default: {                                  /* any lockable read-modify-write, locked */
        unsigned n;
        const Form *t = forms_alu(&n);
        for (;;) {
            const Form &f = pick_form(b, t, n);
            if (!(f.fl & F_LOCK))
                continue;
            FormOpts o;
            o.mem = 1;
            o.lock = 1;
            gen_form(b, f, o);
            return;
        }
    }
    }
}

} // namespace diff
