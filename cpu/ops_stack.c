/* ops_stack.c — PUSH and POP of general registers, memory and immediates, PUSHA/POPA, ENTER, LEAVE
 * (SDM Vol. 2 pages of each). PUSH/POP of segment registers and PUSHF/POPF are system handlers;
 * PUSH/POP with a segment-register operand share the Capstone id and are handed to
 * sys_select_shared().
 *
 * Sizes: PUSH/POP default to 64 bits in 64-bit mode (16 with 66), the code-segment default
 * toggled by 66 elsewhere (osz_stack); the stack pointer width is c->stack_size (stack.h).
 *
 * Invariants:
 *  - Every stack access is done before rSP or any register is changed: multi-value sequences
 *    (PUSHA, POPA, ENTER) write or read all values at offsets from the old rSP and commit last.
 *  - PUSH rSP pushes the value before the decrement; POP rSP leaves the popped value in rSP;
 *    POP m with an rSP-based address uses rSP after the increment (SDM Vol. 2 POP).
 *  - PUSHA/POPA exist only outside 64-bit mode (Capstone does not decode them there).
 */
#include "cpu/ops.h"
#include "cpu/ops_common.h"
#include "cpu/stack.h"

/* ---- PUSH ---- */

/* 64-bit mode, 64-bit push of a register (the hot form). */
static void push_r64(struct cpu *c, const struct insn *i)
{
    uint64_t sp = c->gpr[R_RSP] - 8;
    vwrite(c, SEG_SS, sp, c->gpr[i->op[0].reg], 8);
    c->gpr[R_RSP] = sp;
}

static void push_r(struct cpu *c, const struct insn *i)
{
    stack_push(c, reg_read(c, i->op[0].reg, i->op[0].size), i->op[0].size);
}

static void push_m(struct cpu *c, const struct insn *i)
{
    unsigned sz = osz_stack(c, i);
    stack_push(c, vread(c, i->seg, insn_ea(c, i), sz), sz);
}

static void push_i(struct cpu *c, const struct insn *i)
{
    unsigned sz = osz_stack(c, i);
    stack_push(c, trunc_sz((uint64_t)i->imm, sz), sz);
}

static int sel_push(struct insn *i)
{
    const struct opnd *o = &i->op[0];
    if (i->nops != 1)
        return -1;
    if (o->kind == OPK_SEG)
        return sys_select_shared(i);
    if (i->pfx & PFX_LOCK)
        return -1;
    switch (o->kind) {
    case OPK_REG:
        i->fn = (o->size == 8 && i->asz == 8) ? push_r64 : push_r;
        return 0;
    case OPK_MEM: i->fn = push_m; return 0;
    case OPK_IMM: i->fn = push_i; return 0;
    default: return -1;
    }
}

/* ---- POP ---- */

static void pop_r64(struct cpu *c, const struct insn *i)
{
    uint64_t sp = c->gpr[R_RSP], v = vread(c, SEG_SS, sp, 8);
    c->gpr[R_RSP] = sp + 8;
    c->gpr[i->op[0].reg] = v;
}

static void pop_r(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->op[0].size;
    uint64_t v = stack_read(c, 0, sz);
    stack_set_sp(c, stack_off(c, sz));
    reg_write(c, i->op[0].reg, v, sz);
}

/* POP m: the address is computed with rSP already incremented; the store may fault, so rSP is
 * only committed after it. */
static void pop_m(struct cpu *c, const struct insn *i)
{
    unsigned sz = osz_stack(c, i);
    uint64_t v = stack_read(c, 0, sz), old = c->gpr[R_RSP];
    stack_set_sp(c, stack_off(c, sz));
    uint64_t newsp = c->gpr[R_RSP], ea = insn_ea(c, i);
    c->gpr[R_RSP] = old;
    vwrite(c, i->seg, ea, v, sz);
    c->gpr[R_RSP] = newsp;
}

static int sel_pop(struct insn *i)
{
    const struct opnd *o = &i->op[0];
    if (i->nops != 1)
        return -1;
    if (o->kind == OPK_SEG)
        return sys_select_shared(i);
    if (i->pfx & PFX_LOCK)
        return -1;
    switch (o->kind) {
    case OPK_REG:
        i->fn = (o->size == 8 && i->asz == 8) ? pop_r64 : pop_r;
        return 0;
    case OPK_MEM: i->fn = pop_m; return 0;
    default: return -1;
    }
}

/* ---- PUSHA / POPA (aux = operand size 2 or 4, from the Capstone id) ---- */

static void op_pusha(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->aux;
    static const uint8_t order[8] = { R_RAX, R_RCX, R_RDX, R_RBX, R_RSP, R_RBP, R_RSI, R_RDI };
    for (int k = 0; k < 8; k++)
        stack_write(c, -(int64_t)(sz * (k + 1)), c->gpr[order[k]], sz);
    stack_set_sp(c, stack_off(c, -(int64_t)(8 * sz)));
}

static void op_popa(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->aux;
    static const uint8_t order[8] = { R_RDI, R_RSI, R_RBP, R_RSP, R_RBX, R_RDX, R_RCX, R_RAX };
    uint64_t v[8];
    for (int k = 0; k < 8; k++)
        v[k] = stack_read(c, (int64_t)(sz * k), sz);
    stack_set_sp(c, stack_off(c, 8 * sz));
    for (int k = 0; k < 8; k++)
        if (order[k] != R_RSP)          /* the saved rSP is skipped */
            reg_write(c, order[k], v[k], sz);
}

static int sel_pusha(struct insn *i)
{
    if (i->pfx & PFX_LOCK)
        return -1;
    i->aux = (i->id == X86_INS_PUSHAL || i->id == X86_INS_POPAL) ? 4 : 2;
    return 0;
}

/* ---- ENTER imm16, imm8 (SDM Vol. 2 ENTER; nesting level mod 32) ---- */

static void op_enter(struct cpu *c, const struct insn *i)
{
    unsigned sz = osz_stack(c, i), sw = c->stack_size;
    uint64_t alloc = (uint16_t)i->imm;
    unsigned level = (unsigned)i->imm2 & 31;
    int64_t d = -(int64_t)sz;                       /* offset of the next push from rSP */
    uint64_t frame = stack_off(c, d);               /* FrameTemp: rSP after pushing rBP */

    stack_write(c, d, c->gpr[R_RBP], sz);
    if (level > 0) {
        for (unsigned k = 1; k < level; k++) {
            uint64_t src = trunc_sz(c->gpr[R_RBP] - (uint64_t)(k * sz), sw);
            d -= sz;
            stack_write(c, d, vread(c, SEG_SS, src, sz), sz);
        }
        d -= sz;
        stack_write(c, d, frame, sz);
    }
    uint64_t newsp = trunc_sz(frame - (uint64_t)(level * sz) - alloc, sw);
    if (c->mode != MODE_LONG64)
        (void)seg_lin(c, SEG_SS, newsp, 1, ACC_WRITE);   /* #SS(0) if beyond the limit */
    reg_write(c, R_RBP, frame, sz);
    stack_set_sp(c, newsp);
}

/* ---- LEAVE: rSP := rBP; rBP := POP() ---- */

static void op_leave(struct cpu *c, const struct insn *i)
{
    unsigned sz = osz_stack(c, i), sw = c->stack_size;
    uint64_t bp = trunc_sz(c->gpr[R_RBP], sw);
    uint64_t v = vread(c, SEG_SS, bp, sz);
    stack_set_sp(c, trunc_sz(bp + sz, sw));
    reg_write(c, R_RBP, v, sz);
}

static int sel_nolock(struct insn *i)
{
    return (i->pfx & PFX_LOCK) ? -1 : 0;
}

void ops_stack_register(void)
{
    op_reg(X86_INS_PUSH, push_r, sel_push, CLS_STACK);
    op_reg(X86_INS_POP, pop_r, sel_pop, CLS_STACK);
    op_reg(X86_INS_PUSHAW, op_pusha, sel_pusha, CLS_STACK);
    op_reg(X86_INS_PUSHAL, op_pusha, sel_pusha, CLS_STACK);
    op_reg(X86_INS_POPAW, op_popa, sel_pusha, CLS_STACK);
    op_reg(X86_INS_POPAL, op_popa, sel_pusha, CLS_STACK);
    op_reg(X86_INS_ENTER, op_enter, sel_nolock, CLS_STACK);
    op_reg(X86_INS_LEAVE, op_leave, sel_nolock, CLS_STACK);
}
