/* vapic.h — the virtual local APIC of every VP, root and child (SDM Vol. 3 chapter 11, xAPIC
 * register set; TLFS "Virtual Interrupt Controller": the synthetic APIC MSRs EOI/ICR/TPR
 * 0x40000070-0x40000072). docs/HYPERVISOR.md "Virtual local APIC".
 *
 * The hypervisor owns the physical local APICs; every VP sees this one instead:
 *  - IRR is vp->arch.pending_irq (set with locked ORs from any LP by vapic_accept; cleared only
 *    on the VP's LP). ISR, TPR, the LVTs and the timer are touched only on the VP's LP (exit
 *    handlers of that VP, the loop before its entry) or while the VP is not running.
 *  - TPR: bits 7:4 are vp->ctx.cr8 (MOV CR8 and the TPR register are one register, SDM Vol. 3
 *    11.8.6.1); bits 3:0 are `tpr_low` (a CR8 write clears them).
 *  - A vector is injected only if its class (7:4) is above PPR's class (11.8.3.1) and the APIC is
 *    software-enabled; injection moves it from IRR to ISR (11.8.4), except an auto-EOI vector
 *    (a SynIC SINT with AutoEOI, TLFS 11.8.3): then no ISR bit is set.
 *  - EOI clears the highest ISR bit (11.8.5).
 *  - While software-disabled (SVR bit 8 = 0, the reset state 11.4.7.1-2) fixed interrupts are not
 *    accepted (dropped) and the LVT mask bits stay set.
 *
 * Files: vapic.c (register file, IRR/ISR/PPR, EOI, ICR, pure logic: host unit-tested),
 * vapic_timer.c (the LVT timer: one-shot, periodic, TSC-deadline; current count; deadlines for
 * the scheduler), hv/vmx/vapic_mmio.c (the xAPIC page's MOV decoding; reads the VMCS).
 */
#ifndef HV_VAPIC_VAPIC_H
#define HV_VAPIC_VAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/part/part.h"

#define VAPIC_DEFAULT_BASE 0xFEE00000ull   /* IA32_APIC_BASE after reset (SDM Vol. 3 11.4.4) */
#define VAPIC_VERSION 0x00060014u          /* version 14H, max LVT entry 6 (CMCI..error) */

/* xAPIC register offsets (SDM Vol. 3 table 11-1) */
#define VAPIC_ID 0x020
#define VAPIC_VER 0x030
#define VAPIC_TPR 0x080
#define VAPIC_APR 0x090
#define VAPIC_PPR 0x0A0
#define VAPIC_EOI 0x0B0
#define VAPIC_RRD 0x0C0
#define VAPIC_LDR 0x0D0
#define VAPIC_DFR 0x0E0
#define VAPIC_SVR 0x0F0
#define VAPIC_ISR0 0x100                   /* ISR 100H-170H, TMR 180H-1F0H, IRR 200H-270H */
#define VAPIC_TMR0 0x180
#define VAPIC_IRR0 0x200
#define VAPIC_ESR 0x280
#define VAPIC_LVT_CMCI 0x2F0
#define VAPIC_ICR_LO 0x300
#define VAPIC_ICR_HI 0x310
#define VAPIC_LVT_TIMER 0x320
#define VAPIC_LVT_THERMAL 0x330
#define VAPIC_LVT_PERF 0x340
#define VAPIC_LVT_LINT0 0x350
#define VAPIC_LVT_LINT1 0x360
#define VAPIC_LVT_ERROR 0x370
#define VAPIC_TIMER_ICR 0x380
#define VAPIC_TIMER_CCR 0x390
#define VAPIC_TIMER_DCR 0x3E0

#define VAPIC_LVT_MASKED (1u << 16)
#define VAPIC_SVR_ENABLE (1u << 8)

/* Power-up / INIT state (SDM Vol. 3 11.4.7.1) with APIC ID `apic_id` (the root's VP k: LP k's
 * physical APIC ID, so the MADT stays true; a child's VP: its VP index). Called when the VP is
 * created (vp_arch_init) and never while it runs. */
void vapic_reset(struct hv_vp *vp, uint32_t apic_id);

/* A fixed interrupt for vp from any source on any LP (a device vector for the root, an IPI,
 * SynIC, a synthetic timer in direct mode, the APIC timer): set its IRR bit unless the APIC is
 * software-disabled or the vector is below 16 (then it is dropped, ESR's illegal-vector bit is
 * set for < 16); true if accepted. The caller kicks the VP (vp_raise_irq does both). */
bool vapic_accept(struct hv_vp *vp, uint8_t vector);

/* PPR (11.8.3.1): TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4] << 4. */
uint32_t vapic_ppr(const struct hv_vp *vp);
/* The vector to inject now: the highest IRR vector whose class is above PPR's class, or -1.
 * (The caller still checks RFLAGS.IF and the interrupt shadow.) */
int vapic_next_vector(const struct hv_vp *vp);
/* The vector was injected (the VM entry delivers it): IRR bit cleared, ISR bit set unless the
 * vector is auto-EOI. On the VP's LP. */
void vapic_deliver(struct hv_vp *vp, uint8_t vector);
/* EOI (a write of the EOI register or of HV_X64_MSR_EOI): clear the highest ISR bit. */
void vapic_eoi(struct hv_vp *vp);
/* hv/synic: `vector` is (or is no longer) the vector of a SINT with AutoEOI set. */
void vapic_set_auto_eoi(struct hv_vp *vp, uint8_t vector, bool on);

/* The register at xAPIC offset `off` (16-byte aligned, 0..3F0H), as a 32-bit read sees it;
 * vapic_write: a 32-bit write (read-only registers ignore it; the EOI, ICR and timer registers
 * act). ICR: fixed, lowest-priority (as fixed) and NMI-less delivery to the VPs of vp's own
 * partition only (destination by APIC ID, flat/cluster logical over the LDRs, shorthands);
 * INIT and start-up are ignored (VPs are started by hypercall). */
uint32_t vapic_read(struct hv_vp *vp, uint32_t off);
void vapic_write(struct hv_vp *vp, uint32_t off, uint32_t value);
/* TLFS HV_X64_MSR_ICR (0x40000071): the 64-bit ICR in one write (high dword = destination). */
void vapic_write_icr64(struct hv_vp *vp, uint64_t icr);

/* ---- the timer (vapic_timer.c; SDM Vol. 3 11.5.4) ---- */
/* The timer registers (LVT timer 320H, initial count 380H, current count 390H, divide 3E0H);
 * vapic_read/vapic_write forward these offsets here. */
uint32_t vapic_timer_read(struct hv_vp *vp, uint32_t off);
void vapic_timer_write(struct hv_vp *vp, uint32_t off, uint32_t value);
/* IA32_TSC_DEADLINE (6E0H, 11.5.4.1): read and write (a write in another timer mode is
 * ignored, a read then gives 0). */
uint64_t vapic_tsc_deadline_read(struct hv_vp *vp);
void vapic_tsc_deadline_write(struct hv_vp *vp, uint64_t tsc);
/* The TSC at which vp's timer next fires, 0 if not armed. */
uint64_t vapic_timer_deadline(const struct hv_vp *vp);
/* If vp's timer is due at TSC `now`: accept its vector (unless masked) and re-arm a periodic
 * one. On the VP's LP, before each entry and for halted VPs. */
void vapic_timer_poll(struct hv_vp *vp, uint64_t now);
/* The virtual timer's input clock in Hz (before the divide configuration): the TSC's. Also the
 * value of HV_X64_MSR_APIC_FREQUENCY. */
uint64_t vapic_timer_hz(void);

#endif
