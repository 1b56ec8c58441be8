/* stack.h — the implicit stack accesses of PUSH/POP/CALL/RET/ENTER/LEAVE/far transfers/INT.
 *
 * The stack is SS:rSP with the stack-address width c->stack_size (SS.B outside 64-bit mode, 64
 * bits in 64-bit mode; SDM Vol. 1 6.2.3, Vol. 3 3.4.5). The pointer wraps at that width and only
 * those bits of RSP are written (a 16-bit stack changes SP only).
 *
 * Invariants:
 *  - stack_push writes the memory first and updates rSP only after the write succeeded, and
 *    stack_pop reads first: a fault leaves rSP unchanged (SDM Vol. 3 6.6, faults are restartable).
 *  - Every access goes through vread/vwrite on SEG_SS, so limit/#SS, canonical/#SS and paging
 *    checks apply.
 *  - For multi-value sequences (PUSHA, ENTER, far CALL/RET, IRET, exception frames), callers
 *    read/write with stack_read/stack_write at offsets from the current rSP and commit the new rSP
 *    with stack_set_sp() once every access has succeeded.
 */
#ifndef HVSIM_STACK_H
#define HVSIM_STACK_H

#include <stdint.h>
#include "cpu/cpu.h"
#include "cpu/mem.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Current stack pointer, truncated to the stack-address width. */
static inline uint64_t stack_sp(const struct cpu *c)
{
    return trunc_sz(c->gpr[R_RSP], c->stack_size);
}

/* Write rSP with the stack-address width (16-bit: SP only; 32-bit: ESP, upper half cleared). */
static inline void stack_set_sp(struct cpu *c, uint64_t sp)
{
    reg_write(c, R_RSP, sp, c->stack_size);
}

/* The stack offset rSP + delta, wrapped at the stack-address width. */
static inline uint64_t stack_off(const struct cpu *c, int64_t delta)
{
    return trunc_sz(c->gpr[R_RSP] + (uint64_t)delta, c->stack_size);
}

/* Read / write `size` bytes at SS:(rSP + delta) without changing rSP. */
static inline uint64_t stack_read(struct cpu *c, int64_t delta, unsigned size)
{
    return vread(c, SEG_SS, stack_off(c, delta), size);
}
static inline void stack_write(struct cpu *c, int64_t delta, uint64_t v, unsigned size)
{
    vwrite(c, SEG_SS, stack_off(c, delta), v, size);
}

/* PUSH of `size` (2, 4 or 8) bytes: store at rSP - size, then rSP -= size. */
void stack_push(struct cpu *c, uint64_t value, unsigned size);
/* POP of `size` bytes: load at rSP, then rSP += size. Returns the value (zero-extended). */
uint64_t stack_pop(struct cpu *c, unsigned size);

#ifdef __cplusplus
}
#endif
#endif
