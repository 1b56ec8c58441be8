/* smp.h — the multiprocessor runtime of the 32-bit test kernels (issue 4): local APIC access
 * (xAPIC MMIO or x2APIC MSRs), IPIs, the application-processor start-up through INIT-SIPI-SIPI,
 * per-CPU data, a COM1 line lock, a barrier, work handed to an AP, and MSR accesses that survive
 * a #GP.
 *
 * Files: smp.c (this API), ap_tramp.S (the real-mode trampoline copied to SMP_TRAMP_BASE),
 * kfix.S (msr_read_safe / msr_write_safe), kacpi.c (the ACPI reading that finds the processors).
 *
 * Model of the machine, from the specifications only:
 *   - Intel SDM Vol. 3 chapter 10 (APIC; chapter 11 in newer editions): register offsets
 *     (Table 10-1), ICR (Figure 10-12), SVR (10.9), x2APIC MSRs (10.12.1.2, Table 10-6).
 *   - SDM Vol. 3 8.4.4.1 "Typical BSP Initialization Sequence": INIT IPI, 10 ms, start-up IPI,
 *     200 us, start-up IPI, 200 us; the AP starts in real mode at CS:IP = (vector << 8):0000.
 *   - ACPI 6.3 5.2.12: the MADT lists the processors; processor k of the MADT is started with its
 *     APIC ID. The BSP is the processor whose IA32_APIC_BASE bit 8 is set (SDM 8.4.1).
 *
 * Invariants:
 *   - After smp_init every processor runs with the runtime's GDT (0x08 flat code, 0x10 flat
 *     data, 0x18 + 8 * APIC ID: a data segment whose base is that CPU's struct percpu, in GS), the
 *     one IDT of kidt.c, and interrupts off except while it waits (smp_idle, sti_hlt).
 *   - struct percpu is indexed by the initial APIC ID (CPUID.1 EBX[31:24]), which must be below
 *     SMP_MAX_CPUS; this_cpu() is the running processor's entry.
 *   - Only the BSP calls t_check (the PASS/FAIL counters are not shared); APs record what they
 *     see in their struct percpu and the BSP checks it. Console lines are atomic: the first
 *     character of a line takes the console lock, the newline releases it.
 *   - Every wait is bounded by the TSC (SMP_TIMEOUT_US), so a lost interrupt or an AP that never
 *     starts ends as a FAIL line, not a hang.
 */
#ifndef TARGET_SMP_H
#define TARGET_SMP_H

#include <stdint.h>

#include "kacpi.h"
#include "kernel.h"

#define SMP_MAX_CPUS 16
#define SMP_STACK_SIZE 8192
#define SMP_TRAMP_BASE 0x8000u             /* page-aligned, below 1 MiB: SIPI vector 0x08 */
#define SMP_SIPI_VECTOR (SMP_TRAMP_BASE >> 12)
#define SMP_WAKE_VECTOR 0xf0               /* IPI that makes an idle AP look at its mailbox */
#define SMP_SPURIOUS_VECTOR 0xff
#define SMP_TIMEOUT_US 100000u             /* bound of every wait: 100 ms of TSC */
#define SEL_CODE 0x08
#define SEL_DATA 0x10
#define SEL_PERCPU(id) (0x18 + 8 * (id))

/* The APIC timer clock: the model's 25 MHz core crystal (cpu/models/default.model
 * apic_timer_hz, docs/APIC.md "Timer"); CPUID leaf 15H is not reported by that model (its
 * maximum basic leaf is 0DH), so a kernel cannot read it and states it here. */
#define APIC_TIMER_HZ 25000000u

/* ---- local APIC registers (SDM Vol. 3 Table 10-1; x2APIC MSR = 0x800 + offset / 16) ------- */
enum {
    LAPIC_ID = 0x20, LAPIC_VER = 0x30, LAPIC_TPR = 0x80, LAPIC_APR = 0x90, LAPIC_PPR = 0xa0,
    LAPIC_EOI = 0xb0, LAPIC_LDR = 0xd0, LAPIC_DFR = 0xe0, LAPIC_SVR = 0xf0, LAPIC_ISR = 0x100,
    LAPIC_TMR = 0x180, LAPIC_IRR = 0x200, LAPIC_ESR = 0x280, LAPIC_ICR_LO = 0x300,
    LAPIC_ICR_HI = 0x310, LAPIC_LVT_TIMER = 0x320, LAPIC_LVT_THERMAL = 0x330,
    LAPIC_LVT_PERF = 0x340, LAPIC_LVT_LINT0 = 0x350, LAPIC_LVT_LINT1 = 0x360,
    LAPIC_LVT_ERROR = 0x370, LAPIC_TIMER_ICR = 0x380, LAPIC_TIMER_CCR = 0x390,
    LAPIC_TIMER_DCR = 0x3e0,
};
#define MSR_APIC_BASE 0x1bu
#define APIC_BASE_BSP (1u << 8)
#define APIC_BASE_EXTD (1u << 10)
#define APIC_BASE_EN (1u << 11)
#define MSR_TSC_DEADLINE 0x6e0u
#define MSR_X2APIC(off) (0x800u + (off) / 16)
#define MSR_X2APIC_ICR 0x830u
#define MSR_X2APIC_SELF_IPI 0x83fu

/* ICR low (Figure 10-12) and LVT fields (Figure 10-8). */
#define ICR_FIXED (0u << 8)
#define ICR_LOWEST (1u << 8)
#define ICR_SMI (2u << 8)
#define ICR_NMI (4u << 8)
#define ICR_INIT (5u << 8)
#define ICR_STARTUP (6u << 8)
#define ICR_LOGICAL (1u << 11)
#define ICR_BUSY (1u << 12)                /* delivery status: send pending */
#define ICR_ASSERT (1u << 14)
#define ICR_LEVEL (1u << 15)
#define ICR_SELF (1u << 18)
#define ICR_ALL (2u << 18)
#define ICR_OTHERS (3u << 18)
#define LVT_MASKED (1u << 16)
#define LVT_ONESHOT (0u << 17)
#define LVT_PERIODIC (1u << 17)
#define LVT_DEADLINE (2u << 17)
#define SVR_ENABLE (1u << 8)
#define SVR_NO_EOI_BCAST (1u << 12)

/* ---- per-CPU data -------------------------------------------------------------------------- */
struct percpu {
    struct percpu *self;                   /* offset 0: this_cpu() reads %gs:0 */
    uint32_t apic_id;                      /* initial APIC ID (CPUID.1 EBX[31:24]) */
    volatile uint32_t x2apic;              /* the APIC is in x2APIC mode (lapic_* use MSRs) */
    volatile uint32_t alive;               /* set by the AP when it reached C */
    volatile uint32_t starts;              /* times the AP entered smp_ap_entry */
    void (*volatile fn)(void *arg);        /* mailbox: work for an idle AP, cleared when done */
    void *volatile arg;
    volatile uint32_t done;                /* mailbox items completed */
    /* recorded by the AP at start-up, for the BSP to check */
    uint32_t cpuid_apic_id;                /* CPUID.1 EBX[31:24] */
    uint32_t cpuid_x2apic_id;              /* CPUID.0BH EDX */
    uint32_t apic_id_reg;                  /* APIC ID register as read by the AP */
    uint64_t apic_base_msr;                /* IA32_APIC_BASE as the AP found it */
    uint32_t svr_at_start, tpr_at_start, ldr_at_start, dfr_at_start;  /* before lapic_sw_enable */
    /* interrupts taken by smp_count_handler */
    volatile uint32_t irq_count[256];
    volatile uint32_t last_vector;
    volatile uint64_t last_tsc;
    volatile uint32_t nmi_count;           /* NMIs taken by smp_nmi_handler */
};
extern struct percpu smp_cpu[SMP_MAX_CPUS];
static inline struct percpu *this_cpu(void)
{
    struct percpu *p;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(p));
    return p;
}

/* The processors found in the MADT (kacpi.c): smp_apic_ids[0 .. smp_ncpus-1], in MADT order;
 * smp_bsp_id is the BSP's APIC ID. */
extern unsigned smp_ncpus;
extern uint32_t smp_apic_ids[SMP_MAX_CPUS];
extern uint32_t smp_bsp_id;
extern struct kacpi smp_acpi;             /* the tables as smp_init read them */
extern uint32_t smp_lapic_mmio;            /* xAPIC page (IA32_APIC_BASE[31:12]) */

/* The trampoline's view of each AP start (ap_tramp.S, in the copy at SMP_TRAMP_BASE): what
 * the processor looked like at its first real-mode instruction. */
struct ap_tramp_rec {
    uint32_t count;                        /* times the trampoline ran on this APIC ID */
    uint16_t cs, ip;                       /* CS selector; IP of the instruction after a CALL at
                                            * trampoline offset AP_TRAMP_CALL_NEXT */
    uint32_t edx;                          /* EDX at the first instruction */
    uint32_t cr0;                          /* CR0 at the first instruction */
};
const volatile struct ap_tramp_rec *ap_tramp_rec(uint32_t apic_id);
extern const uint32_t ap_tramp_call_next;  /* offset the IP recorded should have */

/* ---- set-up -------------------------------------------------------------------------------- */
/* BSP: read the MADT (FAIL lines are the caller's: returns 0, or -1 with *err set), load the
 * runtime's GDT and GS, build the IDT (kidt_init) with the wake, spurious and NMI handlers,
 * mask the 8259A pair (ICW as in kdev.c, all IRQs masked), software-enable the BSP's APIC
 * (SVR = 0x1FF), copy the trampoline to SMP_TRAMP_BASE and install the COM1 line lock. */
int smp_init(const char **err);
/* Start one AP with INIT, 10 ms, SIPI, 200 us, SIPI, 200 us, then wait for it to reach C.
 * 0 if it did, -1 if not within SMP_TIMEOUT_US. */
int smp_start_ap(uint32_t apic_id);
/* Start every AP of the MADT; returns how many came up. */
unsigned smp_start_aps(void);
/* The loop an AP runs when idle: runs mailbox work, else waits with STI; HLT. */
__attribute__((noreturn)) void smp_idle(void);

/* Hand fn(arg) to an idle AP and wake it with a fixed IPI (SMP_WAKE_VECTOR); smp_call also
 * waits until it finished. 0, or -1 on timeout. fn runs with interrupts off. */
void smp_post(uint32_t apic_id, void (*fn)(void *), void *arg);
int smp_wait(uint32_t apic_id);
int smp_call(uint32_t apic_id, void (*fn)(void *), void *arg);

/* ---- local APIC access (this processor, in its current mode) --------------------------------- */
uint32_t lapic_read(unsigned reg);
void lapic_write(unsigned reg, uint32_t v);
void lapic_eoi(void);
/* Send an IPI: xAPIC writes ICR high (dest << 24) then ICR low; x2APIC writes MSR 0x830 with
 * dest in bits 63:32. Returns the ICR low value read back right after (delivery status). */
uint32_t lapic_send(uint32_t dest, uint32_t icr_lo);
/* Switch this processor's APIC to x2APIC mode (IA32_APIC_BASE EN | EXTD; SDM 10.12.5). */
void lapic_enable_x2apic(void);
/* Software-enable this processor's APIC: SVR = enable | SMP_SPURIOUS_VECTOR, TPR 0, LVT timer,
 * error and LINT0 masked (the 8259A pair is not used); LINT1 masked on APs, while the BSP keeps
 * LINT1 = NMI as the MADT's NMI entry says. */
void lapic_sw_enable(void);

/* ---- interrupt helpers ----------------------------------------------------------------------- */
/* Counts the vector in this_cpu()->irq_count, records vector and TSC, EOI. */
void smp_count_handler(struct kframe *f);
/* NMI (vector 2): counts this_cpu()->nmi_count, no EOI (an NMI is not in the ISR). */
void smp_nmi_handler(struct kframe *f);
/* Wait with interrupts enabled until *p != old or the timeout; returns 0 if it changed. */
int smp_wait_change(const volatile uint32_t *p, uint32_t old, uint32_t timeout_us);

/* ---- synchronisation --------------------------------------------------------------------- */
static inline uint32_t atomic_xadd(volatile uint32_t *p, uint32_t v)
{
    __asm__ volatile("lock xaddl %0, %1" : "+r"(v), "+m"(*p) :: "memory");
    return v;                              /* the old value */
}
static inline uint32_t atomic_cmpxchg(volatile uint32_t *p, uint32_t old, uint32_t new_)
{
    __asm__ volatile("lock cmpxchgl %2, %1" : "+a"(old), "+m"(*p) : "r"(new_) : "memory");
    return old;                            /* the value found */
}
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
void spin_lock(volatile uint32_t *l);
void spin_unlock(volatile uint32_t *l);
struct smp_barrier {
    volatile uint32_t count, gen;
};
/* Wait until n processors arrived (sense-reversing; reusable). 0, or -1 on timeout. */
int smp_barrier_wait(struct smp_barrier *b, unsigned n);

/* ---- time ------------------------------------------------------------------------------------ */
extern uint64_t smp_tsc_hz;                /* tsc_hz(), read once by smp_init */
uint64_t us_to_tsc(uint64_t us);
void delay_us(uint64_t us);
void delay_tsc(uint64_t cycles);

/* ---- MSRs that may fault (kfix.S; the #GP handler is installed by smp_init) ----------------- */
/* 0 if the instruction completed, else the exception vector (13 for #GP). */
int msr_read_safe(uint32_t msr, uint64_t *v);
int msr_write_safe(uint32_t msr, uint64_t v);
extern volatile uint32_t kfix_last_error;  /* error code of the last fixed-up fault */

#endif
