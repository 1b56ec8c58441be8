/* lapic.h — the local APIC of one logical processor (Intel SDM Vol. 3 chapter 10, "Advanced
 * Programmable Interrupt Controller"): xAPIC registers through MMIO at IA32_APIC_BASE, x2APIC
 * registers through MSRs 0x800-0x8FF, IRR/ISR/TMR with TPR/PPR priority arbitration, EOI (with
 * the EOI broadcast to the I/O APICs and its suppression), the local vector table, the error
 * status register, the timer (one-shot, periodic, TSC-deadline) and the ICR that sends IPIs
 * through the APIC bus (apic/apic_bus.h).
 *
 * Files: lapic.c (state, acceptance, priority, INTA, EOI, IPIs, reset, mode transitions),
 * lapic_regs.c (the register file seen through MMIO and MSRs), lapic_timer.c (the timer).
 *
 * Invariants:
 *  - Every register value is in `struct lapic`; nothing comes from the host. Time is the
 *    processor's local virtual time (its retired cycles at the model's tsc_hz) or the time of the
 *    timer event; the timer's current count is computed from it on read (no per-tick events).
 *  - irr_sum / isr_sum have bit k set exactly when irr[k] / isr[k] is non-zero.
 *  - Vectors 0-15 never enter the IRR (they set ESR "receive illegal vector" instead).
 *  - cpu->cr8 always equals TPR[7:4] (SDM 10.8.6.1): every TPR change goes through lapic_set_tpr.
 */
#ifndef HVSIM_LAPIC_H
#define HVSIM_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "apic/apic_msg.h"
#include "cpu/cpu.h"
#include "sim/evq.h"

#ifdef __cplusplus
extern "C" {
#endif

struct apic_bus;

/* xAPIC register offsets in the 4 KiB page (SDM Vol. 3 Table 10-1). x2APIC MSR = 0x800 + off/16. */
enum lapic_reg {
    LAPIC_ID = 0x20, LAPIC_VER = 0x30, LAPIC_TPR = 0x80, LAPIC_APR = 0x90, LAPIC_PPR = 0xa0,
    LAPIC_EOI = 0xb0, LAPIC_RRD = 0xc0, LAPIC_LDR = 0xd0, LAPIC_DFR = 0xe0, LAPIC_SVR = 0xf0,
    LAPIC_ISR = 0x100, LAPIC_TMR = 0x180, LAPIC_IRR = 0x200, LAPIC_ESR = 0x280,
    LAPIC_LVT_CMCI = 0x2f0, LAPIC_ICR_LO = 0x300, LAPIC_ICR_HI = 0x310,
    LAPIC_LVT_TIMER = 0x320, LAPIC_LVT_THERMAL = 0x330, LAPIC_LVT_PERF = 0x340,
    LAPIC_LVT_LINT0 = 0x350, LAPIC_LVT_LINT1 = 0x360, LAPIC_LVT_ERROR = 0x370,
    LAPIC_TIMER_ICR = 0x380, LAPIC_TIMER_CCR = 0x390, LAPIC_TIMER_DCR = 0x3e0,
    LAPIC_SELF_IPI = 0x3f0,            /* x2APIC only */
};

/* Local vector table entries, in the order of the register offsets (index = what lvt[] holds). */
enum lapic_lvt { LVT_CMCI, LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR,
                 LVT_COUNT };

/* LVT / ICR fields (SDM Vol. 3 Figures 10-8, 10-12). */
#define LAPIC_VEC_MASK      0xffu
#define LAPIC_DM_SHIFT      8
#define LAPIC_DS            (1u << 12)   /* delivery status (always idle: delivery is instant) */
#define LAPIC_POLARITY      (1u << 13)
#define LAPIC_REMOTE_IRR    (1u << 14)
#define LAPIC_LEVEL         (1u << 15)
#define LAPIC_MASKED        (1u << 16)
#define LAPIC_TIMER_MODE_SHIFT 17
enum lapic_timer_mode { LAPIC_TIMER_ONESHOT = 0, LAPIC_TIMER_PERIODIC = 1,
                        LAPIC_TIMER_DEADLINE = 2 };

/* SVR bits (SDM Vol. 3 Figure 10-23). */
#define LAPIC_SVR_ENABLE    (1u << 8)
#define LAPIC_SVR_FOCUS_OFF (1u << 9)
#define LAPIC_SVR_NO_EOI_BC (1u << 12)   /* suppress EOI broadcast (directed EOI) */

/* ESR bits (SDM Vol. 3 Figure 10-9). */
#define LAPIC_ESR_SEND_ACCEPT  (1u << 2)
#define LAPIC_ESR_RECV_ACCEPT  (1u << 3)
#define LAPIC_ESR_REDIR_IPI    (1u << 4)
#define LAPIC_ESR_SEND_ILLEGAL (1u << 5)
#define LAPIC_ESR_RECV_ILLEGAL (1u << 6)
#define LAPIC_ESR_ILLEGAL_REG  (1u << 7)

/* Version register: version 0x14 (integrated xAPIC), max LVT entry 6 (CMCI present: 7 LVT
 * entries), bit 24: EOI-broadcast suppression supported (SDM Vol. 3 10.4.8, Figure 10-7). */
#define LAPIC_VERSION 0x01060014u

/* IA32_APIC_BASE bits (SDM Vol. 3 Figure 10-5, 10.12.1). */
#define APIC_BASE_BSP   (1ull << 8)
#define APIC_BASE_EXTD  (1ull << 10)
#define APIC_BASE_EN    (1ull << 11)
#define APIC_BASE_DEFAULT 0xfee00000ull

enum lapic_mode { LAPIC_MODE_DISABLED, LAPIC_MODE_XAPIC, LAPIC_MODE_X2APIC };

#define MSR_IA32_TSC_DEADLINE 0x6e0u

struct lapic {
    struct cpu *cpu;               /* the processor this APIC belongs to */
    struct evq *q;                 /* the machine's event queue (timer) */
    struct apic_bus *bus;          /* where ICR writes go (NULL: IPIs are dropped) */
    uint64_t timer_hz;             /* timer input clock (model apic_timer_hz) */
    uint32_t initial_id;           /* hardware APIC id = logical-processor index */

    uint8_t mode;                  /* enum lapic_mode, follows IA32_APIC_BASE EN/EXTD */
    uint64_t base;                 /* MMIO base (IA32_APIC_BASE[51:12]) */
    uint32_t id;                   /* APIC id (xAPIC: bits 31:24 of the register; x2APIC: 32-bit) */
    uint32_t tpr, ldr, dfr, svr;
    uint32_t esr;                  /* the value software reads */
    uint32_t esr_pending;          /* errors detected since the last ESR write */
    uint32_t icr_lo, icr_hi;
    uint32_t irr[8], isr[8], tmr[8];
    uint8_t irr_sum, isr_sum;      /* bit k: word k non-zero */
    uint32_t lvt[LVT_COUNT];

    /* timer (lapic_timer.c) */
    uint32_t timer_icr;            /* initial count */
    uint32_t timer_dcr;            /* divide configuration register (bits 0, 1, 3) */
    uint32_t timer_base_count;     /* count at timer_start (the first period; later: timer_icr) */
    uint64_t timer_start;          /* ps: when the count was timer_base_count */
    uint64_t timer_periods;        /* expiries since timer_start (periodic) */
    bool timer_running;
    uint64_t tsc_deadline;         /* IA32_TSC_DEADLINE (0: disarmed) */
    struct event timer_ev;

    /* LINT0 in ExtINT mode: the 8259 pair's INTR output (virtual wire, SDM 10.5.1) */
    struct irq_source ext;
    bool lint_active[2];           /* LINT0/1 pin state after polarity (edge detection) */

    /* statistics for the run summary */
    uint64_t smi_count;            /* SMIs received: not modelled, counted */
    uint64_t spurious_count;       /* INTA cycles that returned the spurious vector */
    uint64_t timer_fired;
    uint64_t ipis_sent;
};

/* Set up the APIC of processor `c` (power-up state: hardware enabled at 0xFEE00000, software
 * disabled, all LVTs masked; SDM 10.4.7.1). `bus` may be NULL (no IPIs), `q` may be NULL only if
 * the timer is never used. Does not attach: see lapic_attach. */
void lapic_init(struct lapic *l, struct cpu *c, struct evq *q, struct apic_bus *bus, uint32_t id);
/* Make the processor take its external interrupts from this APIC (c->irq, c->apic). `ext` is the
 * 8259 pair's INTR (reaches the processor through LINT0 in ExtINT mode or with the APIC
 * disabled); may be NULL. */
void lapic_attach(struct lapic *l, const struct irq_source *ext);
/* What a PC BIOS leaves on the BSP (virtual wire mode, MP spec 3.6.2.2): SVR enabled with
 * spurious vector 0xFF, LINT0 ExtINT, LINT1 NMI. For direct kernel boot (no BIOS). */
void lapic_bios_virtual_wire(struct lapic *l);

/* --- events into the APIC --- */
/* A message addressed to this APIC (the bus already decided it is selected). */
void lapic_deliver(struct lapic *l, const struct apic_msg *m);
/* Accept a fixed interrupt into the IRR (SDM 10.8.3): false if refused (illegal vector 0-15,
 * APIC disabled). */
bool lapic_accept(struct lapic *l, uint8_t vector, bool level);
/* Drive the LINT0 / LINT1 pin (edge on a rising level for edge-triggered entries). */
void lapic_set_lint(struct lapic *l, int pin, bool level);

/* --- the processor side --- */
bool lapic_irq_pending(void *opaque);      /* struct irq_source.pending */
uint8_t lapic_irq_ack(void *opaque);       /* struct irq_source.ack (INTA) */
void lapic_eoi(struct lapic *l);
void lapic_set_tpr(struct lapic *l, uint32_t tpr);
uint32_t lapic_ppr(const struct lapic *l);
uint32_t lapic_apr(const struct lapic *l);
int lapic_highest_irr(const struct lapic *l);   /* -1 if empty */
int lapic_highest_isr(const struct lapic *l);

/* --- register access (lapic_regs.c) --- */
/* xAPIC MMIO access at `offset` in the page (any size; see docs/APIC.md for sub-dword rules). */
uint64_t lapic_mmio_read(struct lapic *l, uint64_t offset, unsigned size);
void lapic_mmio_write(struct lapic *l, uint64_t offset, uint64_t value, unsigned size);
/* RDMSR/WRMSR of 0x800-0x8FF and IA32_TSC_DEADLINE: false means #GP(0). */
bool lapic_msr_read(struct lapic *l, uint32_t msr, uint64_t *v);
bool lapic_msr_write(struct lapic *l, uint32_t msr, uint64_t v);
/* A WRMSR to IA32_APIC_BASE the CPU already checked for reserved bits: false if the mode
 * transition is invalid (SDM 10.12.5, #GP). On success updates cpu->msr.apic_base. */
bool lapic_write_apic_base(struct lapic *l, uint64_t v);
/* MOV to CR8 (already checked): TPR = v << 4 (SDM 10.8.6.1). */
void lapic_write_cr8(struct lapic *l, uint64_t v);
/* The per-processor CPUID fields (leaf 1 APIC/x2APIC/TSC-deadline bits and initial APIC id,
 * leaf 0xB x2APIC id and topology) on top of the model's table; c->apic may be NULL (no APIC:
 * the APIC, x2APIC and TSC-deadline bits read 0). */
void lapic_cpuid(const struct cpu *c, uint32_t leaf, uint32_t sub, uint32_t out[4]);

/* --- sending (lapic.c) --- */
/* Send the IPI an ICR write describes (xAPIC: lo/hi registers; x2APIC: hi = destination). */
void lapic_send_icr(struct lapic *l, uint32_t lo, uint32_t hi);
/* Record errors in the ESR and raise the LVT error interrupt (SDM 10.5.3). */
void lapic_error(struct lapic *l, uint32_t bits);
/* Fire a local vector table entry (timer, error, LINT) through its delivery mode. */
void lapic_lvt_fire(struct lapic *l, int lvt);
/* Derived x2APIC logical id (SDM 10.12.10.2): cluster (id[31:4]) << 16 | 1 << id[3:0]. */
static inline uint32_t lapic_x2apic_ldr(uint32_t id) { return (id >> 4) << 16 | 1u << (id & 15); }

/* --- reset --- */
/* INIT (SDM 10.4.7.3): registers back to power-up values except the APIC id; mode kept. */
void lapic_init_reset(struct lapic *l);

/* --- timer (lapic_timer.c) --- */
uint64_t lapic_now(const struct lapic *l);      /* the processor's local time, ps */
uint32_t lapic_timer_ccr(const struct lapic *l, uint64_t now);
void lapic_timer_write_icr(struct lapic *l, uint32_t v, uint64_t now);
void lapic_timer_write_dcr(struct lapic *l, uint32_t v, uint64_t now);
void lapic_timer_write_lvt(struct lapic *l, uint32_t v, uint64_t now);
uint64_t lapic_timer_read_deadline(const struct lapic *l);
void lapic_timer_write_deadline(struct lapic *l, uint64_t v, uint64_t now);
void lapic_timer_stop(struct lapic *l);
/* The timer event (an evq_fn; opaque is the struct lapic). */
void lapic_timer_expire(void *opaque, uint64_t now);
unsigned lapic_timer_divisor(uint32_t dcr);     /* 1..128 */
/* Picoseconds for `counts` decrements of the counter at divisor `div` (rounded up). */
uint64_t lapic_counts_to_ps(const struct lapic *l, uint64_t counts, unsigned div);

#ifdef __cplusplus
}
#endif
#endif
