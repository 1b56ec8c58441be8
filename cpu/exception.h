/* exception.h — delivery of exceptions and interrupts (SDM Vol. 3 chapter 6). Implemented in
 * cpu/exception.c (system side); the run loop (exec.c) calls these. */
#ifndef HVSIM_EXCEPTION_H
#define HVSIM_EXCEPTION_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct cpu;

/* Kinds of event for cpu_deliver_interrupt (they differ in privilege checks, EXT bit, RIP). */
enum intr_kind {
    INTR_EXTERNAL,      /* maskable external interrupt (from the irq_source) */
    INTR_NMI,
    INTR_SOFTWARE,      /* INT n */
    INTR_SOFT_EXCEPTION, /* INT3, INTO: software exceptions (DPL check, trap-like) */
    INTR_ICEBP          /* INT1 (F1): privileged software exception, no DPL check, EXT = 1 */
};

/* c->delivering holds the exception vector being delivered, this value while an interrupt
 * (external, NMI, INT n, INT1) is being delivered, or -1. */
#define DELIVERING_INTR 0x7f

/* Deliver exception `vector` (with an error code if has_error). is_fault: RIP of the faulting
 * instruction is pushed (c->rip already reset to it); otherwise a trap (next RIP).
 * Handles #DF escalation and triple fault (c->stop = STOP_TRIPLE_FAULT). */
void cpu_deliver_exception(struct cpu *c, int vector, bool has_error, uint32_t error, bool is_fault);

/* Deliver an interrupt of the given kind through the IVT/IDT. */
void cpu_deliver_interrupt(struct cpu *c, uint8_t vector, int kind);

#ifdef __cplusplus
}
#endif
#endif
