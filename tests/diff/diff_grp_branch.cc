/* diff_grp_branch.cc — group "branch": Jcc/JMP rel8 and rel32 (forward), LOOP/LOOPE/LOOPNE
 * counted loops (backward), JrCXZ, JMP/CALL through a register or memory operand, mixed with ALU
 * and CMOVcc/SETcc for flags (SDM Vol. 2 Jcc, JMP, LOOP/LOOPcc, CALL).
 *
 * Invariants: forward targets are labels bound 0..2 instructions later, so every path reaches
 * the final HLT; backward loops run at most 4 times with rCX set up just before; loop bodies
 * never write rCX.
 */
#include "tests/diff/diff_groups.h"

namespace diff {

/* FF /digit (CALL or JMP) through a register or a memory operand of the mode's size holding the
 * absolute address of a forward label bound 0..1 instructions later (SDM Vol. 2 CALL, JMP). */
void gen_indirect_branch(Builder &b, int digit, const char *mn)
{
    Rng &rng = b.rng;
    int l = b.label();
    Enc e;
    e.op = { 0xff };
    e.digit(digit);
    if (rng.chance(50)) {
        int r = b.reg(8, true, 0, Enc());
        Enc mv;                                 /* MOV r32, imm32: the target address */
        mv.op = { 0xb8 };
        mv.opreg(r, 4);
        mv.isz = 4;
        b.emit_abs(mv, l, "mov", true);
        e.rm_reg(r, b.mode);
    } else {
        MemOp m = b.mem(b.mode, 0, 1, Area::Data, nullptr);
        Enc st;                                 /* MOV r/m, imm32: the target address */
        st.op = { 0xc7 };
        st.digit(0);
        st.opsize(b.mode);
        st.mem(m, b.mode);
        st.isz = 4;
        b.emit_abs(st, l, "mov", true);
        e.mem(m, b.mode);
    }
    b.branches = true;
    b.emit(e, mn, b.mode);
    b.defer_bind(l, (int)rng.below(2));
}

void gen_branch(Builder &b)
{
    Rng &rng = b.rng;
    switch (rng.below(11)) {
    case 0: case 1:
        gen_alu(b);
        return;
    case 2: case 3: case 4: {                   /* Jcc rel8 / rel32, forward */
        int cc = (int)rng.below(16);
        int l = b.label();
        Enc e;
        bool near = rng.chance(60);
        if (near) {
            e.op = { (uint8_t)(0x70 + cc) };
            e.isz = 1;
        } else {
            e.op = { 0x0f, (uint8_t)(0x80 + cc) };
            e.isz = 4;
        }
        FlagFx fx;
        fx.reads = cc_reads(cc);
        b.emit_rel(e, l, cc_mn("j", cc), fx);
        b.defer_bind(l, (int)rng.below(near ? 2 : 3));
        return;
    }
    case 5: {                                   /* JMP rel8 / rel32 */
        int l = b.label();
        Enc e;
        bool near = rng.chance(50);
        e.op = { (uint8_t)(near ? 0xeb : 0xe9) };
        e.isz = near ? 1 : 4;
        b.emit_rel(e, l, "jmp");
        b.defer_bind(l, (int)rng.below(near ? 2 : 3));
        return;
    }
    case 6: {                                   /* counted loop: LOOP/LOOPE/LOOPNE backward */
        static const char *const lm[3] = { "loopne", "loope", "loop" };
        int kind = (int)rng.below(3);
        int asz = rand_asz(b, 20);
        b.set_reg(RCX, upper_garbage(b, 1 + rng.below(4), asz));
        int l = b.label();
        b.bind(l);
        int body = 1 + (int)rng.below(2);
        unsigned n;
        const Form *t = forms_alu(&n);
        for (int i = 0; i < body; i++) {
            FormOpts o;
            o.mem = 0;
            o.excl_reg = BIT_RCX;
            gen_form(b, pick_form(b, t, n), o);
        }
        Enc e;
        e.op = { (uint8_t)(0xe0 + kind) };
        addr_size_prefix(e, asz, b.mode);
        e.isz = 1;
        FlagFx fx;
        if (kind < 2)
            fx.reads = FL_ZF;
        b.emit_rel(e, l, lm[kind], fx);
        return;
    }
    case 7: {                                   /* JrCXZ / forward LOOP with random rCX */
        int asz = rand_asz(b, 30);
        bool jcxz = rng.chance(60);
        if (rng.chance(50))
            b.set_reg(RCX, upper_garbage(b, rng.chance(50) ? 0 : 1, asz));
        int l = b.label();
        Enc e;
        e.op = { (uint8_t)(jcxz ? 0xe3 : 0xe2) };
        addr_size_prefix(e, asz, b.mode);
        e.isz = 1;
        const char *mn = jcxz ? (asz == 8 ? "jrcxz" : asz == 4 ? "jecxz" : "jcxz") : "loop";
        b.emit_rel(e, l, mn);
        b.defer_bind(l, (int)rng.below(2));
        return;
    }
    case 8:                                     /* JMP r / JMP m */
        gen_indirect_branch(b, 4, "jmp");
        return;
    default:
        gen_cmov(b);
        return;
    }
}

} // namespace diff
