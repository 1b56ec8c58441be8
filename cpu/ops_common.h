/* ops_common.h — small inline helpers shared by the general-purpose ISA handlers (ops_*.c):
 * operand access without the generic dispatch, read-modify-write of the memory operand, operand
 * sizes of instructions that default to 64 bits, fast condition evaluation from the lazy flags,
 * and near-branch target checks.
 *
 * Invariants:
 *  - A handler performs every access that can fault before it commits architectural state:
 *    memory writes come before register and flag updates (SDM Vol. 3 6.6).
 *  - A read-modify-write of memory translates the address once, for writing, so a fault reports a
 *    write access (as for locked and RMW instructions on Intel processors), then reads and writes
 *    the same linear address.
 *  - cond_fast() returns exactly cond_eval() and lazy_cf() exactly the materialised CF; they only
 *    skip materialising the flags (tests/unit/test_ops_common.cc checks both exhaustively).
 */
#ifndef HVSIM_OPS_COMMON_H
#define HVSIM_OPS_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include "cpu/cpu.h"
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/mem.h"
#include "cpu/model.h"

#define OPS_INLINE static inline __attribute__((always_inline))

/* ---- register operands (OPK_REG or OPK_REGH) ---- */

OPS_INLINE uint64_t reg_get(const struct cpu *c, const struct opnd *o)
{
    if (o->kind == OPK_REGH)
        return (c->gpr[o->reg & 3] >> 8) & 0xff;
    return reg_read(c, o->reg, o->size);
}

OPS_INLINE void reg_put(struct cpu *c, const struct opnd *o, uint64_t v)
{
    if (o->kind == OPK_REGH)
        *cpu_reg8h(c, o->reg) = (uint8_t)v;
    else
        reg_write(c, o->reg, v, o->size);
}

/* ---- any source operand: register, memory, immediate ---- */

OPS_INLINE uint64_t src_get(struct cpu *c, const struct insn *i, int n)
{
    const struct opnd *o = &i->op[n];
    switch (o->kind) {
    case OPK_MEM: return vread(c, i->seg, insn_ea(c, i), o->size);
    case OPK_IMM: return trunc_sz((uint64_t)i->imm, o->size ? o->size : 8);
    default:      return reg_get(c, o);
    }
}

/* ---- read-modify-write destination (register or memory) ---- */

/* Linear address of the memory operand, checked for a write of `size` bytes. */
OPS_INLINE uint64_t mem_lin_rmw(struct cpu *c, const struct insn *i, unsigned size)
{
    uint64_t lin = seg_lin(c, i->seg, insn_ea(c, i), size, ACC_WRITE);
    mmu_check(c, lin, size, seg_acc(i->seg, ACC_WRITE));
    return lin;
}

/* The read of a read-modify-write: segment checks for writing, and an mmu_read whose access kind
 * is ACC_WRITE, i.e. translated (and faulting, and setting dirty bits) as a write — one TLB
 * lookup instead of a check plus a read. */
OPS_INLINE uint64_t mem_rmw_read(struct cpu *c, const struct insn *i, unsigned size, uint64_t *lin)
{
    *lin = seg_lin(c, i->seg, insn_ea(c, i), size, ACC_WRITE);
    return mmu_read(c, *lin, size, seg_acc(i->seg, ACC_WRITE));
}

OPS_INLINE void mem_rmw_write(struct cpu *c, const struct insn *i, uint64_t lin, uint64_t v,
                              unsigned size)
{
    mmu_write(c, lin, v, size, seg_acc(i->seg, ACC_WRITE));
}

/* Operand n as a read-modify-write destination: read it (memory: translated for write). */
OPS_INLINE uint64_t dst_read(struct cpu *c, const struct insn *i, int n, uint64_t *lin)
{
    const struct opnd *o = &i->op[n];
    if (o->kind == OPK_MEM)
        return mem_rmw_read(c, i, o->size, lin);
    return reg_get(c, o);
}

OPS_INLINE void dst_write(struct cpu *c, const struct insn *i, int n, uint64_t lin, uint64_t v)
{
    const struct opnd *o = &i->op[n];
    if (o->kind == OPK_MEM)
        mem_rmw_write(c, i, lin, v, o->size);
    else
        reg_put(c, o, v);
}

/* Plain store to operand n (no preceding read). */
OPS_INLINE void dst_store(struct cpu *c, const struct insn *i, int n, uint64_t v)
{
    const struct opnd *o = &i->op[n];
    if (o->kind == OPK_MEM)
        vwrite(c, i->seg, insn_ea(c, i), v, o->size);
    else
        reg_put(c, o, v);
}

/* ---- sizes ---- */

OPS_INLINE unsigned size_log2(unsigned size)
{
    return size == 8 ? 3 : size == 4 ? 2 : size == 2 ? 1 : 0;
}

OPS_INLINE uint64_t size_mask(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

OPS_INLINE uint64_t size_msb(uint64_t v, unsigned size)
{
    return (v >> (size * 8 - 1)) & 1;
}

/* Operand size of near branches, PUSH/POP and the other instructions that default to 64 bits in
 * 64-bit mode (SDM Vol. 1 3.6.1, Table 3-4; Vol. 2 2.2.1.7): 64 unless a 66 prefix selects 16
 * (REX.W wins over 66). Elsewhere the code-segment default toggled by 66. Capstone decodes the
 * 66-prefixed near branches of 64-bit mode with a 16-bit operand, as AMD processors execute them;
 * we follow that decode (see docs/ISA.md). */
OPS_INLINE unsigned osz_stack(const struct cpu *c, const struct insn *i)
{
    if (c->code_size == 8)
        return (i->pfx & (PFX_OPSIZE | PFX_REXW)) == PFX_OPSIZE ? 2 : 8;
    return ((c->code_size == 4) ^ !!(i->pfx & PFX_OPSIZE)) ? 4 : 2;
}

/* Operand size of instructions without explicit operands (CBW family, PUSHA, string ops...). */
OPS_INLINE unsigned osz_default(const struct cpu *c, const struct insn *i)
{
    if (c->code_size == 8 && (i->pfx & PFX_REXW))
        return 8;
    return ((c->code_size != 2) ^ !!(i->pfx & PFX_OPSIZE)) ? 4 : 2;
}

/* ---- carry from the lazy record ---- */

/* CF without materialising the other flags: the common producers (CMP/SUB, ADD, logic,
 * INC/DEC) are answered from their operands; anything else goes through flags.c. */
OPS_INLINE unsigned lazy_cf(struct cpu *c)
{
    unsigned sh = 64 - c->lf.size * 8;
    switch (c->lf.op) {
    case LF_NONE:  return (unsigned)(c->rflags & RF_CF);
    case LF_LOGIC: return 0;
    case LF_INC:
    case LF_DEC:   return c->lf.cf_in;
    case LF_SUB:   return (c->lf.src1 << sh) < (c->lf.src2 << sh);
    case LF_ADD:   return (c->lf.res << sh) < (c->lf.src1 << sh);
    default:       return flag_cf(c);
    }
}

/* INC/DEC: record the operation with the incoming CF (they preserve CF). */
OPS_INLINE void lf_set_incdec_fast(struct cpu *c, enum lf_op op, unsigned size, uint64_t res,
                                   uint64_t s1)
{
    unsigned cf = lazy_cf(c);
    lf_set(c, op, size, res, s1, 1);
    c->lf.cf_in = (uint8_t)cf;
}

/* ---- eager flags ---- */

/* ZF SF PF of a result of `size` bytes. */
OPS_INLINE uint64_t flags_zsp(uint64_t v, unsigned size)
{
    uint64_t f = parity_flag(v);
    if (trunc_sz(v, size) == 0)
        f |= RF_ZF;
    if (size_msb(v, size))
        f |= RF_SF;
    return f;
}

/* Set all six arithmetic flags at once (no need to materialise the lazy record first). */
OPS_INLINE void flags_set_all(struct cpu *c, uint64_t bits)
{
    c->lf.op = LF_NONE;
    c->rflags = (c->rflags & ~(uint64_t)RF_ARITH) | (bits & RF_ARITH);
}

/* ---- cycle extras (c->model may be NULL in unit tests) ---- */

OPS_INLINE void charge_string(struct cpu *c, uint64_t n)
{
    if (c->model)
        c->ctr.cycles += n * c->model->string_elem;
}

/* ---- conditions ---- */

/* Condition cc (SDM Vol. 1 Appendix B) evaluated from the lazy record when that is cheaper than
 * materialising RFLAGS: ZF/SF from the result for every lazy op, CF/ZF/SF/OF combinations of
 * SUB (CMP) and logic ops (TEST) by comparing the operands, aligned to bit 63. */
OPS_INLINE bool cond_fast(struct cpu *c, unsigned cc)
{
    unsigned op = c->lf.op;
    if (op != LF_NONE) {
        unsigned sh = 64 - c->lf.size * 8;
        uint64_t r = c->lf.res << sh;
        bool inv = cc & 1;
        switch (cc >> 1) {
        case 2: return (r == 0) ^ inv;                     /* E / NE */
        case 4: return ((int64_t)r < 0) ^ inv;             /* S / NS */
        default: break;
        }
        if (op == LF_SUB) {
            uint64_t a = c->lf.src1 << sh, b = c->lf.src2 << sh;
            switch (cc >> 1) {
            case 1: return (a < b) ^ inv;                  /* B / NB */
            case 3: return (a <= b) ^ inv;                 /* BE / A */
            case 6: return ((int64_t)a < (int64_t)b) ^ inv;   /* L / GE */
            case 7: return ((int64_t)a <= (int64_t)b) ^ inv;  /* LE / G */
            default: break;
            }
        } else if (op == LF_LOGIC) {
            switch (cc >> 1) {
            case 0: case 1: return inv;                    /* O, B: OF = CF = 0 */
            case 3: return (r == 0) ^ inv;                 /* BE: CF | ZF */
            case 6: return ((int64_t)r < 0) ^ inv;         /* L: SF != OF, OF = 0 */
            case 7: return ((int64_t)r <= 0) ^ inv;        /* LE: ZF | SF */
            default: break;
            }
        }
    }
    return cond_eval(c, cc);
}

/* ---- near branches (ops_branch.c) ---- */

/* Is v canonical for the current linear-address width (48 bits, 57 with CR4.LA57)? */
OPS_INLINE bool lin_canonical(const struct cpu *c, uint64_t v)
{
    unsigned sh = (c->cr4 & CR4_LA57) ? 7 : 16;
    return (uint64_t)((int64_t)(v << sh) >> sh) == v;
}

/* Check a near-branch target of operand size `size` and return it truncated: #GP(0) if it is
 * non-canonical (64-bit mode) or beyond the CS limit (other modes). SDM Vol. 2 JMP, CALL, RET. */
uint64_t branch_target(struct cpu *c, uint64_t target, unsigned size);
/* Check and commit a near branch: rip = target, leave the block. */
void branch_near(struct cpu *c, uint64_t target, unsigned size);

#endif
