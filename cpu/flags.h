/* flags.h — lazy evaluation of the arithmetic flags (CF PF AF ZF SF OF), SDM Vol. 1 3.4.3.1 and
 * Appendix A (EFLAGS cross-reference).
 *
 * A flag-setting instruction records its operation, operand size, operands and result with
 * lf_set(); the flags are computed only when something reads them (Jcc, SETcc, PUSHF, ADC...).
 * Instructions whose flag rules do not fit the lazy ops (rotates, MUL, BT, BSF...) set the bits
 * eagerly with flags_set_arith().
 *
 * Invariant (see cpu.h): RFLAGS arithmetic bits in c->rflags are valid iff c->lf.op == LF_NONE.
 */
#ifndef HVSIM_FLAGS_H
#define HVSIM_FLAGS_H

#include <stdbool.h>
#include "cpu/cpu.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Compute the arithmetic flags from c->lf into c->rflags and clear the lazy state. */
void flags_materialize(struct cpu *c);

/* Arithmetic bits for a lazy record (pure function; exposed for tests). */
uint64_t flags_compute(const struct lazy_flags *lf);

static inline void lf_set(struct cpu *c, enum lf_op op, unsigned size, uint64_t res,
                          uint64_t s1, uint64_t s2)
{
    c->lf.op = (uint8_t)op;
    c->lf.size = (uint8_t)size;
    c->lf.res = res;
    c->lf.src1 = s1;
    c->lf.src2 = s2;
}

static inline uint64_t flags_get(struct cpu *c)
{
    if (c->lf.op != LF_NONE)
        flags_materialize(c);
    return c->rflags;
}

static inline bool flag_cf(struct cpu *c) { return flags_get(c) & RF_CF; }

/* INC/DEC keep CF: record the incoming CF along with the operation. */
static inline void lf_set_incdec(struct cpu *c, enum lf_op op, unsigned size, uint64_t res,
                                 uint64_t s1)
{
    uint8_t cf = flag_cf(c);
    lf_set(c, op, size, res, s1, 1);
    c->lf.cf_in = cf;
}

/* ADC/SBB: carry-in recorded so CF/OF/AF are exact. */
static inline void lf_set_carry(struct cpu *c, enum lf_op op, unsigned size, uint64_t res,
                                uint64_t s1, uint64_t s2, unsigned carry_in)
{
    lf_set(c, op, size, res, s1, s2);
    c->lf.cf_in = (uint8_t)carry_in;
}

/* Set the arithmetic flags given in `mask` to `bits` (others unchanged). */
static inline void flags_set_arith(struct cpu *c, uint64_t mask, uint64_t bits)
{
    flags_get(c);
    c->rflags = (c->rflags & ~mask) | (bits & mask);
}

/* Parity of the low byte: PF set if an even number of bits is 1. */
static inline uint64_t parity_flag(uint64_t v)
{
    return (__builtin_parity((unsigned)(v & 0xff)) ? 0 : RF_PF);
}

/* Evaluate condition code cc (the low nibble of Jcc/SETcc/CMOVcc, SDM Vol. 2 Appendix B.1.4.7). */
bool cond_eval(struct cpu *c, unsigned cc);

#ifdef __cplusplus
}
#endif
#endif
