/* lapic_timer.c — the local APIC timer that wakes an idle LP at a TSC deadline (SDM Vol. 3
 * 11.5.4 "APIC Timer", 11.5.4.1 "TSC-Deadline Mode"; docs/HYPERVISOR.md "Synthetic timers").
 *
 * Mode: TSC-deadline when CPUID.1:ECX[24] says so: LVT timer (320H) = vector with mode 10b
 * (bits 18:17), then IA32_TSC_DEADLINE (6E0H) = the deadline (0 disarms; a past value fires at
 * once). Otherwise one-shot (mode 00b) with the divide configuration (3E0H) = 1011b (divide by
 * 1) and the initial count (380H) = the TSC interval converted with a ratio measured once:
 * the count the timer loses over 1 ms of TSC with its LVT masked (bit 16; a 25 MHz timer
 * gives 25000 counts, so the ratio is good to 0.004%: a wake-up is rarely early, and an early
 * one is re-armed).
 * The registers are reached through lapic_read/lapic_write (hv/arch/lapic.c: the xAPIC page or
 * the x2APIC MSRs).
 *
 * Invariants: called on the LP whose timer it is, with IF = 0; the LVT timer is written before
 * the first arm of each LP; MFENCE orders the LVT's MMIO write before WRMSR of the deadline
 * (SDM 11.5.4.1).
 */
#include "hv/arch/lapic_timer.h"

#include "hv/arch/arch.h"
#include "hv/hv_svc.h"
#include "krt/krt.h"

#define MSR_IA32_TSC_DEADLINE 0x6E0u
#define LAPIC_LVT_TIMER 0x320u
#define LAPIC_TIMER_ICR 0x380u
#define LAPIC_TIMER_CCR 0x390u
#define LAPIC_TIMER_DCR 0x3E0u
#define LVT_MASKED (1u << 16)
#define LVT_MODE_ONESHOT (0u << 17)
#define LVT_MODE_DEADLINE (2u << 17)
#define DCR_DIVIDE_1 0xBu                   /* 11.5.4 Figure 11-10: 1011b */

static int use_deadline = -1;               /* -1: CPUID not read yet */
static uint64_t cal_apic, cal_tsc;          /* one-shot: cal_apic timer ticks per cal_tsc */
static uint8_t lvt_ready[HV_MAX_LPS];

static inline uint32_t rd(uint32_t reg) { return lapic_read(reg); }
static inline void wr(uint32_t reg, uint32_t v) { lapic_write(reg, v); }

static void setup(void)
{
    if (use_deadline < 0) {
        uint32_t r[4];
        cpuid(1, 0, r);
        use_deadline = (r[2] >> 24) & 1;
    }
    struct hv_lp *lp = this_lp();
    if (lvt_ready[lp->index])
        return;
    if (use_deadline) {
        wr(LAPIC_LVT_TIMER, LVT_MODE_DEADLINE | HV_VECTOR_TIMER);
        __asm__ volatile("mfence" ::: "memory");
    } else {
        wr(LAPIC_TIMER_DCR, DCR_DIVIDE_1);
        if (cal_tsc == 0) {
            /* the timer's rate against the TSC, with the interrupt masked */
            wr(LAPIC_LVT_TIMER, LVT_MASKED | LVT_MODE_ONESHOT | HV_VECTOR_TIMER);
            wr(LAPIC_TIMER_ICR, 0xFFFFFFFFu);
            uint64_t t0 = rdtsc();
            hv_udelay(1000);
            uint32_t left = rd(LAPIC_TIMER_CCR);
            uint64_t t1 = rdtsc();
            wr(LAPIC_TIMER_ICR, 0);
            cal_apic = 0xFFFFFFFFu - left;
            cal_tsc = t1 - t0 ? t1 - t0 : 1;
            if (cal_apic == 0)
                hv_panic("the local APIC timer does not count (one-shot mode, divide by 1)");
        }
        wr(LAPIC_LVT_TIMER, LVT_MODE_ONESHOT | HV_VECTOR_TIMER);
    }
    lvt_ready[lp->index] = 1;
}

void lapic_timer_arm(uint64_t tsc_deadline)
{
    setup();
    if (use_deadline) {
        wrmsr(MSR_IA32_TSC_DEADLINE, tsc_deadline ? tsc_deadline : 1);
        return;
    }
    uint64_t now = rdtsc();
    uint64_t d = tsc_deadline > now ? tsc_deadline - now : 0;
    if (d > (1ull << 40))
        d = 1ull << 40;                         /* minutes: an early wake-up, then re-armed */
    /* d * cal_apic / cal_tsc in 64 bits (no 128-bit division in the freestanding image) */
    uint64_t c = d / cal_tsc * cal_apic + (d % cal_tsc * cal_apic + cal_tsc - 1) / cal_tsc;
    /* rounded up: an early wake-up only costs a re-arm, but there is no point in it */
    uint32_t count = c > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)c;
    wr(LAPIC_TIMER_ICR, count ? count : 1);     /* 0 would stop it instead */
}

void lapic_timer_disarm(void)
{
    if (use_deadline < 0)
        return;                                 /* never armed */
    if (use_deadline)
        wrmsr(MSR_IA32_TSC_DEADLINE, 0);
    else
        wr(LAPIC_TIMER_ICR, 0);
    /* an expiry just before the write is pending: take it now (STI's shadow covers the NOP,
     * the interrupt is recognised before CLI) */
    __asm__ volatile("sti; nop; cli" ::: "memory");
}
