/* diff_grp_fault.cc — group "fault": one faulting instruction after 0..2 ALU instructions:
 * #DE (divide by zero, quotient overflow, AAM 0), #UD (UD2, LOCK on a register destination, on a
 * non-RMW MOV or on CMP, opcodes invalid in 64-bit mode) and #GP (misaligned CMPXCHG16B)
 * (SDM Vol. 3 6.15; Vol. 2 LOCK, CMPXCHG16B).
 *
 * Invariants: the case is marked expect_fault; where Unicorn 2.0.1 executes a LOCK misuse
 * instead of raising #UD, sdm_fault/uc_count make the comparison use the SDM's vector and stop
 * Unicorn before that instruction.
 */
#include <string.h>

#include "tests/diff/diff_groups.h"

namespace diff {

/* Emit the planned instruction with a LOCK prefix it does not allow: #UD (SDM Vol. 2 LOCK).
 * Unicorn 2.0.1 executes these instead: it runs only the instructions before this one and the
 * SDM's vector stands in for its exception. */
static void emit_lock_misuse(Builder &b, FormPlan &p, const FormOpts &o)
{
    p.e.pfx.insert(p.e.pfx.begin(), 0xf0);
    p.mn = "lock " + p.mn;
    b.c.sdm_fault = VEC_UD_;
    b.c.uc_count = b.c.insns.size() + b.c.uc_patch.size();   /* + NOPs */
    emit_plan(b, p, o);
    b.c.insns.back().may_be_bad = true;     /* Capstone 4 rejects some LOCK misuses */
}

void gen_fault(Builder &b)
{
    Rng &rng = b.rng;
    b.c.expect_fault = true;
    int pre = (int)rng.below(3);
    for (int i = 0; i < pre; i++)
        gen_alu(b);
    switch (rng.below(8)) {
    case 0: gen_div_kind(b, 1); return;         /* #DE: divide by zero */
    case 1: gen_div_kind(b, 2); return;         /* #DE: quotient too large */
    case 2: {                                   /* #UD: LOCK with a register destination */
        unsigned n;
        const Form *t = forms_alu(&n);
        const Form *f;
        do
            f = &pick_form(b, t, n);
        while (!(f->fl & F_LOCK));
        FormOpts o;
        o.mem = 0;
        FormPlan p = plan_form(b, *f, o);
        emit_lock_misuse(b, p, o);
        return;
    }
    case 3: {                                   /* #UD: UD2 */
        Enc e;
        e.op = { 0x0f, 0x0b };
        b.emit(e, "ud2", 4);
        return;
    }
    case 4: {                                   /* #UD: LOCK on an instruction that is not RMW */
        unsigned n;
        const Form *t = forms_mov(&n);
        FormOpts o;
        o.mem = 1;
        o.lock = 0;
        FormPlan p = plan_form(b, t[rng.below(2)], o);     /* MOV m, r */
        emit_lock_misuse(b, p, o);
        return;
    }
    case 5:
        if (b.mode == 8) {                      /* #GP: CMPXCHG16B on a misaligned operand */
            Enc e;
            e.op = { 0x0f, 0xc7 };
            e.digit(1);
            e.w = true;
            /* force misalignment: a base register pointing 8 bytes off a 16-byte boundary */
            MemOp mm;
            mm.asz = 8;
            mm.base = b.reg(8, false, BIT_RSP, Enc());
            mm.dsz = 0;
            b.set_reg(mm.base, (DATA_BASE + 0x100 + 16 * rng.below(64)) | (1 + rng.below(15)));
            e.mem(mm, 8);
            b.emit(e, "cmpxchg16b", 16);
        } else {                                /* #DE: AAM 0 */
            Enc e;
            e.op = { 0xd4 };
            e.isz = 1;
            e.imm = 0;
            b.emit(e, "aam", 1);
        }
        return;
    case 6:
        if (b.mode == 8) {                      /* #UD: opcodes invalid in 64-bit mode */
            static const uint8_t bad[] = { 0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f, 0x27, 0x2f,
                                           0x37, 0x3f, 0x60, 0x61, 0xce };
            Enc e;
            e.op = { rng.pick(bad) };
            b.emit(e, "(bad)", 4);
            return;
        }
        /* fall through */
    default: {                                  /* #UD: LOCK CMP (CMP is not lockable) */
        unsigned n;
        const Form *t = forms_alu(&n);
        const Form *f;
        do
            f = &pick_form(b, t, n);
        while (strcmp(f->mn, "cmp") || f->o[0] != O_E);
        FormOpts o;
        o.mem = 1;
        FormPlan p = plan_form(b, *f, o);
        emit_lock_misuse(b, p, o);
        return;
    }
    }
}

} // namespace diff
