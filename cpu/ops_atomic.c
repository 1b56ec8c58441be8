/* ops_atomic.c — exchange instructions: XCHG, CMPXCHG, CMPXCHG8B, CMPXCHG16B, XADD (SDM Vol. 2
 * pages of each).
 *
 * Invariants:
 *  - The memory operand is translated for writing before it is read (one read-modify-write; an
 *    XCHG with memory is locked implicitly, CMPXCHG always writes its destination, SDM CMPXCHG
 *    "the destination operand is written back if the comparison fails").
 *  - The store comes before register and flag updates (faults leave no partial state).
 *  - CMPXCHG with a register destination writes only the register the outcome selects: on success
 *    the destination (zero-extended when 32-bit), on failure the accumulator (zero-extended when
 *    32-bit); the other keeps all 64 bits. This is what Intel and AMD hardware do; Unicorn 2.0.1
 *    also rewrites the accumulator on success (see docs/ISA.md).
 *  - CMPXCHG16B needs a 16-byte-aligned linear address, else #GP(0).
 *  - The simulator runs one LP at a time on one host thread, so every read-modify-write here is
 *    atomic; LOCK needs no further action. LOCK with a register destination is #UD.
 */
#include "cpu/ops.h"
#include "cpu/ops_common.h"

/* ---- XCHG ---- */

static void xchg_rr(struct cpu *c, const struct insn *i)
{
    const struct opnd *a = &i->op[0], *b = &i->op[1];
    uint64_t va = reg_get(c, a), vb = reg_get(c, b);
    reg_put(c, a, vb);
    reg_put(c, b, va);
}

static void xchg_mem(struct cpu *c, const struct insn *i)
{
    int m = i->op[0].kind == OPK_MEM ? 0 : 1;
    const struct opnd *r = &i->op[1 - m];
    unsigned sz = i->op[m].size;
    uint64_t lin, old = mem_rmw_read(c, i, sz, &lin);
    mem_rmw_write(c, i, lin, reg_get(c, r), sz);
    reg_put(c, r, old);
}

static int sel_xchg(struct insn *i)
{
    const struct opnd *a = &i->op[0], *b = &i->op[1];
    if (i->nops != 2)
        return -1;
    bool ra = a->kind == OPK_REG || a->kind == OPK_REGH, rb = b->kind == OPK_REG || b->kind == OPK_REGH;
    if (ra && rb) {
        if (i->pfx & PFX_LOCK)
            return -1;
        i->fn = xchg_rr;
        i->cls = CLS_MOV;
        return 0;
    }
    if ((ra && b->kind == OPK_MEM) || (a->kind == OPK_MEM && rb)) {
        i->fn = xchg_mem;
        i->cls = CLS_XCHG_LOCKED;
        return 0;
    }
    return -1;
}

/* ---- CMPXCHG: compare rAX with dest; equal: dest := src; else rAX := dest ---- */

static void op_cmpxchg(struct cpu *c, const struct insn *i)
{
    const struct opnd *d = &i->op[0], *s = &i->op[1];
    unsigned sz = d->size;
    uint64_t acc = reg_read(c, R_RAX, sz), src = reg_get(c, s), lin = 0;
    uint64_t t = trunc_sz(dst_read(c, i, 0, &lin), sz);
    bool eq = acc == t;
    if (d->kind == OPK_MEM) {
        mem_rmw_write(c, i, lin, eq ? src : t, sz);
        if (!eq)
            reg_write(c, R_RAX, t, sz);
    } else if (eq) {
        reg_put(c, d, src);
    } else {
        reg_write(c, R_RAX, t, sz);
    }
    lf_set(c, LF_SUB, sz, acc - t, acc, t);
}

static int sel_cmpxchg(struct insn *i)
{
    if (i->nops != 2 || (i->op[1].kind != OPK_REG && i->op[1].kind != OPK_REGH))
        return -1;
    if (i->op[0].kind == OPK_MEM) {
        i->cls = CLS_XCHG_LOCKED;
        return 0;
    }
    return (i->pfx & PFX_LOCK) ? -1 : 0;
}

/* ---- CMPXCHG8B / CMPXCHG16B: compare rDX:rAX with m64/m128; equal: m := rCX:rBX, ZF = 1;
 * else rDX:rAX := m, ZF = 0 (memory written back). Only ZF changes. ---- */

static void op_cmpxchg8b(struct cpu *c, const struct insn *i)
{
    uint64_t lin = mem_lin_rmw(c, i, 8);
    unsigned acc = seg_acc(i->seg, ACC_READ), wacc = seg_acc(i->seg, ACC_WRITE);
    uint64_t m = mmu_read(c, lin, 8, acc);
    uint64_t cmp = (c->gpr[R_RDX] << 32) | (uint32_t)c->gpr[R_RAX];
    bool eq = m == cmp;
    mmu_write(c, lin, eq ? ((c->gpr[R_RCX] << 32) | (uint32_t)c->gpr[R_RBX]) : m, 8, wacc);
    if (!eq) {
        c->gpr[R_RAX] = (uint32_t)m;
        c->gpr[R_RDX] = m >> 32;
    }
    flags_set_arith(c, RF_ZF, eq ? RF_ZF : 0);
}

static void op_cmpxchg16b(struct cpu *c, const struct insn *i)
{
    uint64_t lin = seg_lin(c, i->seg, insn_ea(c, i), 16, ACC_WRITE);
    if (lin & 15)
        cpu_fault(c, VEC_GP, 0);
    unsigned acc = seg_acc(i->seg, ACC_READ), wacc = seg_acc(i->seg, ACC_WRITE);
    mmu_check(c, lin, 8, wacc);
    mmu_check(c, lin + 8, 8, wacc);
    uint64_t lo = mmu_read(c, lin, 8, acc), hi = mmu_read(c, lin + 8, 8, acc);
    bool eq = lo == c->gpr[R_RAX] && hi == c->gpr[R_RDX];
    mmu_write(c, lin, eq ? c->gpr[R_RBX] : lo, 8, wacc);
    mmu_write(c, lin + 8, eq ? c->gpr[R_RCX] : hi, 8, wacc);
    if (!eq) {
        c->gpr[R_RAX] = lo;
        c->gpr[R_RDX] = hi;
    }
    flags_set_arith(c, RF_ZF, eq ? RF_ZF : 0);
}

static int sel_cmpxchg8b(struct insn *i)
{
    if (i->nops != 1 || i->op[0].kind != OPK_MEM)
        return -1;
    i->cls = CLS_XCHG_LOCKED;
    return 0;
}

/* ---- XADD: tmp := dest + src; src := dest; dest := tmp; flags of the ADD ---- */

static void op_xadd(struct cpu *c, const struct insn *i)
{
    const struct opnd *d = &i->op[0], *s = &i->op[1];
    unsigned sz = d->size;
    uint64_t lin = 0, a = trunc_sz(dst_read(c, i, 0, &lin), sz), b = reg_get(c, s), r = a + b;
    if (d->kind == OPK_MEM) {
        mem_rmw_write(c, i, lin, r, sz);
        reg_put(c, s, a);
    } else {
        reg_put(c, s, a);
        reg_put(c, d, r);       /* written last: XADD r, r leaves the sum */
    }
    lf_set(c, LF_ADD, sz, r, a, b);
}

static int sel_xadd(struct insn *i)
{
    if (i->nops != 2 || (i->op[1].kind != OPK_REG && i->op[1].kind != OPK_REGH))
        return -1;
    if (i->op[0].kind == OPK_MEM) {
        i->cls = CLS_XCHG_LOCKED;
        return 0;
    }
    return (i->pfx & PFX_LOCK) ? -1 : 0;
}

void ops_atomic_register(void)
{
    op_reg(X86_INS_XCHG, xchg_rr, sel_xchg, CLS_MOV);
    op_reg(X86_INS_CMPXCHG, op_cmpxchg, sel_cmpxchg, CLS_ALU);
    op_reg(X86_INS_CMPXCHG8B, op_cmpxchg8b, sel_cmpxchg8b, CLS_XCHG_LOCKED);
    op_reg(X86_INS_CMPXCHG16B, op_cmpxchg16b, sel_cmpxchg8b, CLS_XCHG_LOCKED);
    op_reg(X86_INS_XADD, op_xadd, sel_xadd, CLS_ALU);
}
