/* hv_vtimer_test.c — the virtual local APIC timer checked from the root partition on the real
 * hypervisor (docs/HYPERVISOR.md "Virtual local APIC", "The timer"; SDM Vol. 3 11.5.4,
 * 11.5.4.1; TLFS HV_X64_MSR_TSC_FREQUENCY / APIC_FREQUENCY), run by
 * tests/build/check-hv-vtimer.sh with tests/target/hv_vtimer.cfg: hv/hvsim-hv.elf is the kernel,
 * this program module 0.
 *
 * A 64-bit root kernel over the root's entry and IDT (partitions/root/entry.S, isr.S, idt.c),
 * WinHv (detection) and krt/. It software-enables its (virtual) xAPIC, then programs the timer:
 * one-shot with a known count, each divide path through a count × divide product, periodic,
 * masked, initial count 0, TSC-deadline (when CPUID.1:ECX[24] says the mode exists), the mode
 * changes that disarm, and reads the frequency MSRs.
 *
 * Every bound comes from the programmed values: the timer's input clock is the TSC (the APIC
 * frequency MSR says so and is checked first), so a count N with divide D expires N × D TSC
 * ticks after the write — never earlier; the upper bound adds LATE, the delivery bound
 * docs/HYPERVISOR.md gives for a halted VP (100 µs: a preemption-timer tick or the idle LP's
 * wake-up). Interrupt times are the TSC read in the handler. Waits halt (STI; HLT), so the timer
 * must wake a halted VP; STIMER3 in direct mode is the watchdog that ends a wait that would
 * otherwise never end. Each check prints "PASS name" or "FAIL name: detail"; the last line is
 * "hv_vtimer: N checks passed, M failed", then M != 0 goes to the debug-exit port (0xF4).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/abi/tlfs.h"
#include "krt/krt.h"
#include "krt/x86.h"
#include "partitions/lib/kcon.h"
#include "partitions/lib/winhv.h"
#include "tests/target/hv_check.h"

void root_main(uint32_t magic, uint32_t info);
void root_idt_init(void);
void root_pic_mask(void);

#define LAPIC 0xFEE00000ull             /* the xAPIC at its reset base (SDM Vol. 3 11.4.4) */
#define APIC_SVR 0x0F0
#define APIC_LVT_TIMER 0x320
#define APIC_TIMER_ICR 0x380
#define APIC_TIMER_CCR 0x390
#define APIC_TIMER_DCR 0x3E0
#define LVT_MASKED (1u << 16)
#define LVT_ONESHOT (0u << 17)
#define LVT_PERIODIC (1u << 17)
#define LVT_TSC_DEADLINE (2u << 17)
#define DCR_DIV1 0xBu                   /* figure 11-10: 1011 ÷1, 0000 ÷2, 1010 ÷128 */
#define DCR_DIV2 0x0u
#define DCR_DIV128 0xAu
#define MSR_IA32_TSC_DEADLINE 0x6E0u

#define V_ONE 0x61                      /* one-shot */
#define V_PER 0x62                      /* periodic */
#define V_MSK 0x63                      /* masked */
#define V_DL 0x64                       /* TSC-deadline */
#define V_WD 0x65                       /* STIMER3: the watchdog of wait_irq */

static uint64_t tsc_hz;                 /* HV_X64_MSR_TSC_FREQUENCY */
static uint64_t late;                   /* LATE in TSC ticks: 100 us */


static uint32_t apic_rd(uint32_t off) { return *(volatile uint32_t *)(uintptr_t)(LAPIC + off); }
static void apic_wr(uint32_t off, uint32_t v) { *(volatile uint32_t *)(uintptr_t)(LAPIC + off) = v; }

/* ---------------------------------------------------------------- interrupts */

struct iframe { uint64_t rip, cs, rflags, rsp, ss; };

static volatile uint32_t irq_count[256];
static volatile uint64_t irq_tsc[256][8];  /* the TSC at the first 8 of each vector */

static inline void irq_note(unsigned v)
{
    uint32_t k = irq_count[v];
    if (k < 8)
        irq_tsc[v][k] = rdtsc();
    irq_count[v] = k + 1;
    apic_wr(0xB0, 0);                   /* EOI (SDM Vol. 3 11.8.5) */
}

#define IRQ_HANDLER(v)                                                                  \
    __attribute__((interrupt)) static void irq_##v(struct iframe *f)                    \
    {                                                                                   \
        (void)f;                                                                        \
        irq_note(v);                                                                    \
    }
IRQ_HANDLER(0x61)
IRQ_HANDLER(0x62)
IRQ_HANDLER(0x63)
IRQ_HANDLER(0x64)
IRQ_HANDLER(0x65)

/* Point IDT entry v at h: a 64-bit interrupt gate (SDM Vol. 3 6.14.1), as idt.c writes them. */
static void idt_set(unsigned v, void (*h)(struct iframe *))
{
    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idtr;
    __asm__ volatile("sidt %0" : "=m"(idtr));
    uint64_t *idt = (uint64_t *)(uintptr_t)idtr.base;
    uint64_t a = (uint64_t)(uintptr_t)h;
    idt[2 * v] = (a & 0xFFFF) | 0x08ull << 16 | 0x8Eull << 40 | ((a >> 16) & 0xFFFF) << 48;
    idt[2 * v + 1] = a >> 32;
}

/* Halt with interrupts on until vector v has been seen `want` times or `ticks` TSC ticks
 * passed. A halted VP wakes only for an interrupt, so STIMER3 (one-shot, direct mode, V_WD,
 * at the limit in reference time, rounded up) ends a wait nothing else would end. */
static void wait_irq(unsigned v, uint32_t want, uint64_t ticks)
{
    uint64_t t0 = rdtsc();
    uint64_t ref = rdmsr(HV_X64_MSR_TIME_REF_COUNT);
    uint32_t wd = irq_count[V_WD];
    wrmsr(HV_X64_MSR_STIMER3_COUNT, ref + ticks * HV_CLOCK_HZ / tsc_hz + 1);
    wrmsr((HV_X64_MSR_STIMER3_COUNT - 1), HV_STIMER_ENABLE | HV_STIMER_DIRECT_MODE |
                                         ((uint64_t)V_WD << 4));
    while (irq_count[v] < want && irq_count[V_WD] == wd && rdtsc() - t0 < ticks)
        __asm__ volatile("sti; hlt; cli" ::: "memory");
    wrmsr((HV_X64_MSR_STIMER3_COUNT - 1), 0);
}

/* Run with interrupts enabled, without halting, for `ticks` TSC ticks. */
static void spin(uint64_t ticks)
{
    uint64_t t0 = rdtsc();
    while (rdtsc() - t0 < ticks)
        __asm__ volatile("sti; pause; cli" ::: "memory");
}

/* ---------------------------------------------------------------- the checks */

static void test_frequency(void)
{
    uint32_t r[4];
    cpuid(HYPERV_CPUID_FEATURES, 0, r);
    hv_check(r[0] & HV_ACCESS_FREQUENCY_MSRS, "cpuid: 0x40000003 EAX[11] AccessFrequencyRegs",
          "eax 0x%x", r[0]);
    hv_check(r[3] & HV_FEATURE_FREQUENCY_MSRS_AVAILABLE,
          "cpuid: 0x40000003 EDX[8] frequency MSRs available", "edx 0x%x", r[3]);
    tsc_hz = rdmsr(HV_X64_MSR_TSC_FREQUENCY);
    uint64_t apic_hz = rdmsr(HV_X64_MSR_APIC_FREQUENCY);
    hv_check(tsc_hz >= 1000000, "msr: TSC_FREQUENCY is a frequency (>= 1 MHz)", "%llu",
          (unsigned long long)tsc_hz);
    hv_check(apic_hz == tsc_hz, "msr: APIC_FREQUENCY = TSC_FREQUENCY (the timer counts the TSC)",
          "apic %llu tsc %llu", (unsigned long long)apic_hz, (unsigned long long)tsc_hz);
    if (tsc_hz < 1000000)
        tsc_hz = 1000000;               /* keep the waits below finite */
    late = tsc_hz / 10000;
    /* the frequency agrees with the reference counter the hypervisor derives from the same
     * TSC frequency (TLFS 12.4: 100 ns units): over d ticks it advances d * 10^7 / f, ±2
     * for the two reads' truncation and the reads' order */
    uint64_t a0 = rdtsc(), r0 = rdmsr(HV_X64_MSR_TIME_REF_COUNT), a1 = rdtsc();
    spin(tsc_hz / 1000);
    uint64_t b0 = rdtsc(), r1 = rdmsr(HV_X64_MSR_TIME_REF_COUNT), b1 = rdtsc();
    uint64_t lo = (b0 - a1) * HV_CLOCK_HZ / tsc_hz, hi = (b1 - a0) * HV_CLOCK_HZ / tsc_hz;
    hv_check(r1 - r0 + 2 >= lo && r1 - r0 <= hi + 2,
          "msr: TIME_REF_COUNT advances TSC ticks * 10^7 / TSC_FREQUENCY",
          "ref %llu, want [%llu, %llu]", (unsigned long long)(r1 - r0),
          (unsigned long long)lo, (unsigned long long)hi);
    hv_check(rdmsr(MSR_IA32_TSC_DEADLINE) == 0,
          "tsc-deadline: IA32_TSC_DEADLINE reads 0 outside TSC-deadline mode", "0x%llx",
          (unsigned long long)rdmsr(MSR_IA32_TSC_DEADLINE));
}

static void test_reset_and_enable(void)
{
    hv_check(apic_rd(APIC_LVT_TIMER) == LVT_MASKED, "reset: LVT timer masked (11.4.7.1)", "0x%x",
          apic_rd(APIC_LVT_TIMER));
    hv_check(apic_rd(APIC_TIMER_ICR) == 0 && apic_rd(APIC_TIMER_CCR) == 0 &&
              apic_rd(APIC_TIMER_DCR) == 0,
          "reset: initial, current count and divide 0", "icr %u ccr %u dcr %u",
          apic_rd(APIC_TIMER_ICR), apic_rd(APIC_TIMER_CCR), apic_rd(APIC_TIMER_DCR));
    apic_wr(APIC_SVR, 0x1FF);           /* software-enable (11.4.7.2), spurious vector FFH */
    hv_check((apic_rd(APIC_SVR) & 0x1FF) == 0x1FF, "svr: software-enabled", "0x%x",
          apic_rd(APIC_SVR));
    apic_wr(APIC_TIMER_DCR, 0xFFFFFFFFu);
    hv_check(apic_rd(APIC_TIMER_DCR) == 0xB, "divide: only bits 0, 1, 3 are kept", "0x%x",
          apic_rd(APIC_TIMER_DCR));
}

/* One-shot, count n with divide register dcr (divide div): one interrupt at n * div ticks. */
static void one_shot(uint32_t n, uint32_t dcr, uint64_t div, const char *name)
{
    char nm[96];
    irq_count[V_ONE] = 0;
    apic_wr(APIC_LVT_TIMER, LVT_ONESHOT | V_ONE);
    apic_wr(APIC_TIMER_DCR, dcr);
    uint64_t span = (uint64_t)n * div;
    uint64_t t0 = rdtsc();
    apic_wr(APIC_TIMER_ICR, n);
    uint64_t t1 = rdtsc();
    uint32_t c = apic_rd(APIC_TIMER_CCR);
    uint64_t t2 = rdtsc();
    /* CCR = n - floor((read - start) / div), start in [t0, t1], read in [t1, t2] */
    krt_snprintf(nm, sizeof nm, "%s: current count right after the write", name);
    hv_check(c <= n && (uint64_t)c + (t2 - t0) / div + 1 >= n, nm, "ccr %u of %u (%llu ticks)", c,
          n, (unsigned long long)(t2 - t0));
    wait_irq(V_ONE, 1, span + 20 * late);
    uint64_t at = irq_tsc[V_ONE][0];
    krt_snprintf(nm, sizeof nm, "%s: one interrupt, not before count x divide, within 100 us",
                 name);
    hv_check(irq_count[V_ONE] == 1 && at >= t0 + span && at <= t1 + span + late, nm,
          "count %u, %llu ticks after the write, want [%llu, %llu]", irq_count[V_ONE],
          (unsigned long long)(at - t0), (unsigned long long)span,
          (unsigned long long)(span + (t1 - t0) + late));
    krt_snprintf(nm, sizeof nm, "%s: current count 0 after the expiry", name);
    hv_check(apic_rd(APIC_TIMER_CCR) == 0, nm, "ccr %u", apic_rd(APIC_TIMER_CCR));
    krt_snprintf(nm, sizeof nm, "%s: initial count unchanged", name);
    hv_check(apic_rd(APIC_TIMER_ICR) == n, nm, "icr %u", apic_rd(APIC_TIMER_ICR));
}

static void test_one_shot(void)
{
    uint64_t ms = tsc_hz / 1000;
    one_shot((uint32_t)ms, DCR_DIV1, 1, "one-shot /1");
    one_shot((uint32_t)(ms / 2), DCR_DIV2, 2, "one-shot /2");
    one_shot((uint32_t)(ms / 128), DCR_DIV128, 128, "one-shot /128");
    wait_irq(V_ONE, 2, 2 * ms);
    hv_check(irq_count[V_ONE] == 1, "one-shot: no second interrupt", "count %u", irq_count[V_ONE]);
}

static void test_periodic(void)
{
    const uint32_t n = 5;
    uint64_t period = tsc_hz / 2000;                    /* 0.5 ms: count period / 2, ÷2 */
    uint32_t count = (uint32_t)(period / 2);
    period = (uint64_t)count * 2;
    apic_wr(APIC_LVT_TIMER, LVT_PERIODIC | V_PER);
    apic_wr(APIC_TIMER_DCR, DCR_DIV2);
    uint64_t t0 = rdtsc();
    apic_wr(APIC_TIMER_ICR, count);
    uint64_t t1 = rdtsc();
    wait_irq(V_PER, n, n * period + 20 * late);
    uint32_t got = irq_count[V_PER];
    bool on_time = got >= n;
    for (uint32_t k = 1; k <= n && k <= 8 && on_time; k++) {
        uint64_t at = irq_tsc[V_PER][k - 1];
        /* the k-th expiry is k periods after the start: re-armed from the expiry, no drift */
        if (at < t0 + k * period || at > t1 + k * period + late) {
            on_time = false;
            kcon_printf("# periodic expiry %u at +%llu, window [%llu, %llu]\n", k,
                        (unsigned long long)(at - t0), (unsigned long long)(k * period),
                        (unsigned long long)(k * period + (t1 - t0) + late));
        }
    }
    hv_check(got >= n && on_time, "periodic: the k-th interrupt at start + k x period (5 of them)",
          "count %u", got);
    uint32_t c = apic_rd(APIC_TIMER_CCR);
    hv_check(c >= 1 && c <= count, "periodic: the current count reloads (1..initial)", "ccr %u",
          c);
    apic_wr(APIC_TIMER_ICR, 0);                         /* 11.5.4: stops the timer */
    uint32_t stopped = irq_count[V_PER];
    hv_check(apic_rd(APIC_TIMER_CCR) == 0, "periodic: initial count 0 stops it (current 0)",
          "ccr %u", apic_rd(APIC_TIMER_CCR));
    wait_irq(V_PER, stopped + 1, 3 * period);
    hv_check(irq_count[V_PER] == stopped, "periodic: no interrupt after initial count 0",
          "count %u, was %u", irq_count[V_PER], stopped);
}

static void test_masked(void)
{
    uint64_t span = tsc_hz / 2000;
    apic_wr(APIC_LVT_TIMER, LVT_MASKED | LVT_ONESHOT | V_MSK);
    apic_wr(APIC_TIMER_DCR, DCR_DIV1);
    apic_wr(APIC_TIMER_ICR, (uint32_t)span);
    spin(span + late);
    hv_check(apic_rd(APIC_TIMER_CCR) == 0, "masked: the count still runs out", "ccr %u",
          apic_rd(APIC_TIMER_CCR));
    apic_wr(APIC_LVT_TIMER, LVT_ONESHOT | V_MSK);      /* unmasking after it expired */
    spin(late);
    apic_wr(APIC_LVT_TIMER, LVT_MASKED | LVT_PERIODIC | V_MSK);
    apic_wr(APIC_TIMER_ICR, (uint32_t)(span / 4));
    spin(2 * span);
    apic_wr(APIC_TIMER_ICR, 0);
    hv_check(irq_count[V_MSK] == 0, "masked: one-shot and periodic expiries interrupt never",
          "count %u", irq_count[V_MSK]);
}

static void test_tsc_deadline(bool supported)
{
    apic_wr(APIC_LVT_TIMER, LVT_TSC_DEADLINE | V_DL);
    uint32_t lvt = apic_rd(APIC_LVT_TIMER);
    if (!supported) {
        /* CPUID.1:ECX[24] = 0: bit 18 is reserved (11.5.4.1), the mode is one-shot */
        hv_check(lvt == (LVT_ONESHOT | V_DL), "tsc-deadline: no such mode, bit 18 reads 0",
              "lvt 0x%x", lvt);
        wrmsr(MSR_IA32_TSC_DEADLINE, rdtsc() + late);
        hv_check(rdmsr(MSR_IA32_TSC_DEADLINE) == 0, "tsc-deadline: the MSR is ignored", "0x%llx",
              (unsigned long long)rdmsr(MSR_IA32_TSC_DEADLINE));
        return;
    }
    hv_check(lvt == (LVT_TSC_DEADLINE | V_DL), "tsc-deadline: LVT mode 10 reads back", "lvt 0x%x",
          lvt);
    uint64_t d = tsc_hz / 1000;
    apic_wr(APIC_TIMER_ICR, 12345);
    hv_check(apic_rd(APIC_TIMER_ICR) == 0 && apic_rd(APIC_TIMER_CCR) == 0,
          "tsc-deadline: initial count writes ignored, current count 0", "icr %u ccr %u",
          apic_rd(APIC_TIMER_ICR), apic_rd(APIC_TIMER_CCR));
    uint64_t due = rdtsc() + d;
    wrmsr(MSR_IA32_TSC_DEADLINE, due);
    hv_check(rdmsr(MSR_IA32_TSC_DEADLINE) == due, "tsc-deadline: the MSR reads the deadline",
          "0x%llx, want 0x%llx", (unsigned long long)rdmsr(MSR_IA32_TSC_DEADLINE),
          (unsigned long long)due);
    wait_irq(V_DL, 1, d + 20 * late);
    uint64_t at = irq_tsc[V_DL][0];
    hv_check(irq_count[V_DL] == 1 && at >= due && at <= due + late,
          "tsc-deadline: one interrupt at TSC >= the deadline, within 100 us",
          "count %u, at deadline %+lld", irq_count[V_DL], (long long)(at - due));
    hv_check(rdmsr(MSR_IA32_TSC_DEADLINE) == 0, "tsc-deadline: the expiry clears the MSR",
          "0x%llx", (unsigned long long)rdmsr(MSR_IA32_TSC_DEADLINE));
    wait_irq(V_DL, 2, d);
    hv_check(irq_count[V_DL] == 1, "tsc-deadline: one interrupt per write", "count %u",
          irq_count[V_DL]);

    wrmsr(MSR_IA32_TSC_DEADLINE, rdtsc() + d);
    wrmsr(MSR_IA32_TSC_DEADLINE, 0);                    /* disarms */
    wait_irq(V_DL, 2, 2 * d);
    hv_check(irq_count[V_DL] == 1, "tsc-deadline: writing 0 disarms", "count %u",
          irq_count[V_DL]);

    wrmsr(MSR_IA32_TSC_DEADLINE, rdtsc() + d);
    apic_wr(APIC_LVT_TIMER, LVT_ONESHOT | V_DL);       /* 11.5.4.1: a mode change disarms */
    hv_check(rdmsr(MSR_IA32_TSC_DEADLINE) == 0, "tsc-deadline: leaving the mode clears the MSR",
          "0x%llx", (unsigned long long)rdmsr(MSR_IA32_TSC_DEADLINE));
    wait_irq(V_DL, 2, 2 * d);
    hv_check(irq_count[V_DL] == 1, "tsc-deadline: leaving the mode disarms", "count %u",
          irq_count[V_DL]);

    apic_wr(APIC_TIMER_DCR, DCR_DIV1);                  /* counting, then into the mode */
    apic_wr(APIC_TIMER_ICR, (uint32_t)d);
    apic_wr(APIC_LVT_TIMER, LVT_TSC_DEADLINE | V_DL);
    wait_irq(V_DL, 2, 2 * d);
    hv_check(irq_count[V_DL] == 1, "tsc-deadline: entering the mode stops a running count",
          "count %u", irq_count[V_DL]);
    apic_wr(APIC_LVT_TIMER, LVT_MASKED | LVT_ONESHOT | V_DL);
}

void root_main(uint32_t magic, uint32_t info)
{
    (void)info;
    kcon_init();
    root_idt_init();
    root_pic_mask();
    kcon_printf("hv_vtimer: start\n");
    hv_check(magic == 0x36D76289u, "boot: Multiboot2 magic", "0x%x", magic);
    struct winhv_cpuid c;
    winhv_detect(&c);
    hv_check(c.present && c.microsoft_hv, "boot: a TLFS hypervisor", "privileges 0x%llx",
          (unsigned long long)c.privileges);
    if (c.present && c.microsoft_hv) {
        uint32_t r[4];
        cpuid(1, 0, r);
        bool tsc_deadline = (r[2] >> 24) & 1;
        kcon_printf("# CPUID.1:ECX[24] TSC-deadline = %u\n", tsc_deadline ? 1u : 0u);
        idt_set(V_ONE, irq_0x61);
        idt_set(V_PER, irq_0x62);
        idt_set(V_MSK, irq_0x63);
        idt_set(V_DL, irq_0x64);
        idt_set(V_WD, irq_0x65);
        test_frequency();
        test_reset_and_enable();
        test_one_shot();
        test_periodic();
        test_masked();
        test_tsc_deadline(tsc_deadline);
    }
    hv_check_finish("hv_vtimer");
}
