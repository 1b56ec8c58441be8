/* diff_grp_stack.cc — group "stack": PUSH/POP (register, immediate, r/m), PUSHF/POPF, CALL
 * (relative, register, memory), RET [imm16], ENTER, LEAVE, PUSHA/POPA (32-bit only) and MOV
 * through [rSP + disp] (SDM Vol. 2 PUSH, POP, CALL, RET, ENTER, LEAVE, PUSHA, POPA).
 *
 * Invariants: the Builder tracks RSP (b.rsp); pushes happen only with 512 bytes of stack left,
 * pops only with 512 bytes above RSP; POP RSP only as the last instruction (then rsp_valid is
 * cleared and later calls fall back to ALU instructions); POPF loads only arithmetic flags and DF.
 */
#include "tests/diff/diff_groups.h"

namespace diff {

void gen_stack(Builder &b)
{
    Rng &rng = b.rng;
    if (!b.rsp_valid) {
        gen_alu(b);
        return;
    }
    const int psz = b.mode;                     /* default push size */
    const bool can_push = b.rsp > (int64_t)STACK_BASE + 512;
    const bool can_pop = b.rsp < (int64_t)(STACK_BASE + STACK_SIZE) - 512;
    auto sz = [&](void) { return rng.chance(20) ? 2 : psz; };
    int k = (int)rng.below(14);
    if (!can_push && k != 1 && k != 4 && k != 10)
        k = 1;
    if (!can_pop && (k == 1 || k == 4 || k == 10))
        k = 0;
    switch (k) {
    case 0: {                                   /* PUSH r */
        int osz = sz();
        Enc e;
        e.op = { 0x50 };
        e.opsize(osz == 8 ? 4 : osz);           /* 64-bit push needs no REX.W */
        int r = (int)rng.below(b.nregs());
        e.opreg(r, osz);
        b.emit(e, "push", osz);
        b.rsp -= osz;
        return;
    }
    case 1: {                                   /* POP r (POP RSP only as the last one) */
        int osz = sz();
        Enc e;
        e.op = { 0x58 };
        e.opsize(osz == 8 ? 4 : osz);
        uint32_t ex = (b.remaining == 0 && osz != 2) ? 0 : BIT_RSP;
        int r = b.reg(osz, false, ex, e);
        e.opreg(r, osz);
        b.emit(e, "pop", osz);
        b.rsp += osz;
        if (r == RSP)
            b.rsp_valid = false;
        return;
    }
    case 2: {                                   /* PUSH imm8 / imm16/32 */
        int osz = sz();
        Enc e;
        bool i8 = rng.chance(50);
        e.op = { (uint8_t)(i8 ? 0x6a : 0x68) };
        if (osz == 2)
            e.opsize(2);
        e.isz = i8 ? 1 : osz == 2 ? 2 : 4;
        e.imm = rng.value(e.isz * 8);
        b.emit(e, "push", osz);
        b.rsp -= osz;
        return;
    }
    case 3: {                                   /* PUSH r/m */
        int osz = sz();
        Form f = one("push", { 0xff }, 6, O_E, O_NONE, O_NONE, (uint8_t)osz, I_NONE, F_RO);
        FormOpts o;
        o.osz = osz;
        o.area = rng.chance(30) ? Area::Stack : Area::Data;
        FormPlan p = plan_form(b, f, o);
        if (osz == 8)
            p.e.w = false;                      /* default 64-bit operand size */
        emit_plan(b, p, o);
        b.rsp -= osz;
        return;
    }
    case 4: {                                   /* POP r/m (RSP-based EA uses the new RSP) */
        int osz = sz();
        Form f = one("pop", { 0x8f }, 0, O_E, O_NONE, O_NONE, (uint8_t)osz);
        FormOpts o;
        o.osz = osz;
        o.area = rng.chance(30) ? Area::Stack : Area::Data;
        FormPlan p = plan_form(b, f, o);
        if (osz == 8)
            p.e.w = false;
        emit_plan(b, p, o);
        b.rsp += osz;
        return;
    }
    case 5: {                                   /* PUSHF, or PUSH value + POPF */
        int osz = sz();
        static const char *const pf[9] = { nullptr, nullptr, "pushf", nullptr, "pushfd", nullptr,
                                           nullptr, nullptr, "pushfq" };
        static const char *const pp[9] = { nullptr, nullptr, "popf", nullptr, "popfd", nullptr,
                                           nullptr, nullptr, "popfq" };
        Enc e;
        if (rng.chance(50)) {
            e.op = { 0x9c };
            if (osz == 2)
                e.opsize(2);
            b.emit(e, pf[osz], osz);
            b.rsp -= osz;
            return;
        }
        Enc pu;                                 /* only arithmetic flags and DF change */
        pu.op = { 0x68 };
        if (osz == 2)
            pu.opsize(2);
        pu.isz = osz == 2 ? 2 : 4;
        pu.imm = 0x2 | (rng.next() & (FL_ARITH | FL_DF));
        b.emit(pu, "push", osz, -1, true);
        e.op = { 0x9d };
        if (osz == 2)
            e.opsize(2);
        b.emit(e, pp[osz], osz);
        return;
    }
    case 6: {                                   /* CALL rel32, forward */
        Enc e;
        e.op = { 0xe8 };
        e.isz = 4;
        int l = b.label();
        b.emit_rel(e, l, "call");
        b.defer_bind(l, (int)rng.below(2));
        b.rsp -= psz;
        return;
    }
    case 7: {                                   /* PUSH target; RET [imm16] */
        int l = b.label();
        Enc pu;
        pu.op = { 0x68 };
        pu.isz = 4;
        b.emit_abs(pu, l, "push", true);
        Enc e;
        uint16_t extra = 0;
        if (rng.chance(40)) {
            extra = (uint16_t)rng.below(40);
            e.op = { 0xc2 };
            e.isz = 2;
            e.imm = extra;
        } else {
            e.op = { 0xc3 };
        }
        b.branches = true;
        b.emit(e, "ret", psz);
        b.rsp += extra;
        b.defer_bind(l, 0);
        return;
    }
    case 8:                                     /* CALL r / CALL m, forward */
        gen_indirect_branch(b, 2, "call");
        b.rsp -= psz;
        return;
    case 9: {                                   /* ENTER size, level */
        int level = rng.chance(50) ? 0 : (int)rng.below(4);
        int size = (int)rng.below(64);
        if (level > 0)                          /* nesting copies frame pointers from [rBP-n] */
            b.set_reg(RBP, (uint64_t)(b.rsp + 8 * (int64_t)rng.below(8)));
        Enc e;
        e.op = { 0xc8 };
        e.isz = 2;
        e.imm = (uint64_t)size;
        e.isz2 = 1;
        e.imm2 = (uint64_t)level;
        b.emit(e, "enter", psz);
        b.rsp -= psz * (level > 0 ? level + 1 : 1) + size;
        return;
    }
    case 10: {                                  /* LEAVE with a frame pointer in the stack */
        int64_t rbp = b.rsp + 8 * (int64_t)rng.below(16) - 32;
        b.set_reg(RBP, (uint64_t)rbp);
        Enc e;
        e.op = { 0xc9 };
        b.emit(e, "leave", psz);
        b.rsp = rbp + psz;
        return;
    }
    case 11:
        if (b.mode == 4) {                      /* PUSHA/POPA (not in 64-bit mode) */
            bool w = rng.chance(25);
            bool pop = rng.chance(50) && can_pop;
            Enc e;
            e.op = { (uint8_t)(pop ? 0x61 : 0x60) };
            if (w)
                e.opsize(2);
            b.emit(e, pop ? (w ? "popaw" : "popal") : (w ? "pushaw" : "pushal"), w ? 2 : 4);
            b.rsp += (pop ? 1 : -1) * (w ? 16 : 32);
            return;
        }
        /* fall through */
    default: {                                  /* MOV to/from [rSP + disp] */
        unsigned n;
        const Form *t = forms_mov(&n);
        const Form &f = t[rng.below(4)];        /* 88, 89, 8A, 8B */
        FormOpts o;
        o.area = Area::Stack;
        o.mem = 1;
        gen_form(b, f, o);
        return;
    }
    }
}

} // namespace diff
