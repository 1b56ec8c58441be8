/* lapic_timer.h — the local APIC timer as the idle LP's alarm clock (hv/arch/lapic_timer.c;
 * SDM Vol. 3 11.5.4 "APIC Timer").
 *
 * Invariants: used only by the LP's own loop in host mode with IF = 0; the timer interrupts on
 * HV_VECTOR_TIMER, which the IDT handler only acknowledges (its job is to end a HLT); after
 * lapic_timer_disarm no HV_VECTOR_TIMER interrupt of this LP is armed or pending, so none
 * reaches a guest's external-interrupt exit.
 */
#ifndef HV_ARCH_LAPIC_TIMER_H
#define HV_ARCH_LAPIC_TIMER_H

#include <stdint.h>

#define HV_VECTOR_TIMER 0xF1        /* the idle LP's wake-up (priority class F, like the kick) */

/* Interrupt this LP on HV_VECTOR_TIMER at TSC `tsc_deadline` (at once if that has passed;
 * possibly earlier when the one-shot count would not fit: the caller re-arms then). */
void lapic_timer_arm(uint64_t tsc_deadline);
/* Stop this LP's timer and take a timer interrupt that is already pending (briefly STI). */
void lapic_timer_disarm(void);

#endif
