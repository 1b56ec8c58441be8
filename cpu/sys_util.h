/* sys_util.h — small helpers shared by the system-instruction files (sys_*.c, seg.c, exception.c):
 * operand sizes of instructions whose size Capstone does not report usefully, privilege checks,
 * canonical addresses and the selector error code. Stack accesses use cpu/stack.h.
 *
 * Invariant: every helper that can fault does so through cpu_fault() before it changes any
 * register.
 */
#ifndef HVSIM_SYS_UTIL_H
#define HVSIM_SYS_UTIL_H

#include "cpu/cpu.h"
#include "cpu/insn.h"
#include "cpu/mem.h"
#include "cpu/model.h"
#include "cpu/stack.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Selector error code (SDM Vol. 3 6.13): index and TI from the selector, IDT bit, EXT bit. */
#define ERR_EXT 1u
#define ERR_IDT 2u
static inline uint32_t sel_err(uint16_t sel, unsigned ext) { return (sel & 0xfffcu) | (ext & 1); }
static inline uint32_t idt_err(unsigned vector, unsigned ext) { return vector << 3 | ERR_IDT | (ext & 1); }

/* Protected mode in the architectural sense: CR0.PE=1 and not virtual-8086. */
static inline bool sys_prot(const struct cpu *c) { return c->mode != MODE_REAL && c->mode != MODE_VM86; }
static inline bool sys_long(const struct cpu *c) { return c->mode == MODE_LONG64 || c->mode == MODE_COMPAT; }

/* #GP(0) unless CPL = 0 (real mode counts as CPL 0; virtual-8086 mode is CPL 3). */
static inline void sys_need_cpl0(struct cpu *c)
{
    if (c->cpl != 0)
        cpu_fault(c, VEC_GP, 0);
}

/* #UD in real-address and virtual-8086 mode (LLDT, LTR, LAR, ... "not recognized"). */
static inline void sys_need_prot(struct cpu *c)
{
    if (!sys_prot(c))
        cpu_fault_noerr(c, VEC_UD);
}

/* Canonical for the model's linear-address width (SDM Vol. 1 3.3.7.1). */
static inline bool sys_canonical(const struct cpu *c, uint64_t v)
{
    unsigned sh = 64 - (c->model ? c->model->max_lin_bits : 48);
    return (uint64_t)((int64_t)(v << sh) >> sh) == v;
}

/* Operand size for instructions whose default is 32 even in 64-bit mode (far JMP/CALL/RET
 * memory pointers, LAR...): 66 selects 16, REX.W selects 64 (SDM Vol. 1 3.6.1, Table 3-4). */
static inline unsigned sys_osz(const struct cpu *c, const struct insn *i)
{
    if (c->code_size == 8)
        return (i->pfx & PFX_REXW) ? 8 : (i->pfx & PFX_OPSIZE) ? 2 : 4;
    return ((c->code_size == 4) != !!(i->pfx & PFX_OPSIZE)) ? 4 : 2;
}

/* Operand size of a stack operation (PUSH/POP Sreg): 64 by default in 64-bit mode. */
static inline unsigned sys_stack_osz(const struct cpu *c, const struct insn *i)
{
    if (c->code_size == 8)
        return (i->pfx & PFX_OPSIZE) ? 2 : 8;
    return ((c->code_size == 4) != !!(i->pfx & PFX_OPSIZE)) ? 4 : 2;
}

/* Set CF/ZF etc. from a system instruction (LAR, LSL, VERR, VERW, ARPL only touch ZF). */
static inline void sys_set_zf(struct cpu *c, bool zf)
{
    uint64_t f = cpu_get_rflags(c);
    cpu_set_rflags(c, zf ? (f | RF_ZF) : (f & ~(uint64_t)RF_ZF));
}

/* Leave the block: something changed how later instructions decode or execute. */
static inline void sys_block_end(struct cpu *c) { c->block_end = true; }

/* Stop the machine cleanly for something hvsim does not implement (task switches, VM86 ...):
 * STOP_SHUTDOWN_UNSUPPORTED with a message; the instruction does not retire. Never returns. */
_Noreturn void sys_unsupported(struct cpu *c, const char *what);

#ifdef __cplusplus
}
#endif
#endif
