/* apic_timer.c — the local APIC timer of the BSP in its three modes, run by
 * tests/target/apic_timer.cfg (one processor).
 *
 * Expected values (Intel SDM Vol. 3 10.5.4 "APIC Timer", 10.5.4.1 "TSC-Deadline Mode", 10.4.7.1
 * state after power-up; Figure 10-10 divide configuration):
 *   - Power-up: LVT timer masked (10.4.7.1: every LVT entry has its mask bit set), divide
 *     configuration, initial and current count 0.
 *   - Divide configuration bits 3,1,0: 000 /2, 001 /4, 010 /8, 011 /16, 100 /32, 101 /64,
 *     110 /128, 111 /1; the register reads back what was written in those bits.
 *   - Time base: the timer counts at 25 MHz / divisor (APIC_TIMER_HZ, lib/smp.h: the model's
 *     core crystal) and the TSC at 2.4 GHz (MSR_PLATFORM_INFO[15:8] x 100 MHz), so one count at
 *     divide-by-1 is 2.4e9 / 25e6 = 96 TSC cycles. A one-shot count N at divisor D expires
 *     N x D x 96 TSC cycles after the initial-count write: count 1000 at /1 -> 96,000 cycles
 *     (40 us); count 256 at /128 -> 3,145,728 cycles (1.31 ms).
 *   - The interrupt is taken at the expiry time, not before; measured from the TSC read just
 *     before the write to the TSC read in the handler, the delay exceeds N x D x 96 by the cost
 *     of the write, the interrupt delivery and the handler's entry: at most TOL_TSC cycles (a
 *     few hundred cycles of this kernel's instructions, see below).
 *   - The current count reads N - floor(elapsed TSC / (96 D)): checked against TSC reads just
 *     before and after the register read. A one-shot timer reads 0 after expiry.
 *   - Periodic mode reloads from the initial count: with the processor halted between
 *     interrupts, interrupt k arrives k x N x D x 96 cycles after the first, exactly (no
 *     drift), and the count reads within (0, N] in between. Writing the initial count 0 stops
 *     the timer in both modes. A new initial count restarts the count.
 *   - A masked timer still counts (current count reaches 0) but raises no interrupt (no IRR
 *     bit); unmasking later raises nothing.
 *   - TSC-deadline (CPUID.1 ECX[24]): the interrupt comes when the TSC reaches the value written
 *     to IA32_TSC_DEADLINE (MSR 6E0H); a value already passed fires at once (right after the
 *     WRMSR); the MSR reads 0 after the interrupt; writing 0 disarms; a change of timer mode
 *     disarms; initial-count writes are ignored and the current count reads 0 in this mode; in
 *     the other modes the MSR reads 0 and writes to it are ignored.
 * TOL_TSC: hvsim charges each instruction its class cost (cpu/models/default.model); the write,
 * the interrupt delivery, the IDT stub, PUSHAD and the call to the handler are about 20
 * instructions. The tolerance is 600 TSC cycles (0.25 us, about 6 counts at /1); this kernel
 * measures 275-350.
 */
#include "lib/kernel.h"
#include "lib/smp.h"
#include "lib/test.h"

#define VEC 0x40
#define TOL_TSC 600u
#define NPER 10

static uint64_t tsc_per_count;             /* 96 */
static volatile uint32_t nirq;
static volatile uint64_t irq_tsc[NPER + 4];

static void timer_handler(struct kframe *f)
{
    (void)f;
    uint64_t t = rdtsc();
    if (nirq < NPER + 4)
        irq_tsc[nirq] = t;
    nirq++;
    lapic_eoi();
}

static const struct {
    uint32_t code;
    uint32_t div;
} divs[8] = { { 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 }, { 0x8, 32 }, { 0x9, 64 },
              { 0xa, 128 }, { 0xb, 1 } };

/* wait (interrupts on, spinning) until nirq > n or `cycles` TSC cycles passed; returns nirq */
static uint32_t wait_irq(uint32_t n, uint64_t cycles)
{
    uint64_t end = rdtsc() + cycles;
    sti();
    while (nirq <= n && rdtsc() < end)
        cpu_relax();
    cli();
    return nirq;
}

/* one-shot count n at divide code `code`: returns the TSC from just before the write to the
 * interrupt, or 0 if no interrupt came within twice the expected time + 1 ms */
static uint64_t oneshot(uint32_t n, uint32_t code, uint64_t expect)
{
    lapic_write(LAPIC_LVT_TIMER, VEC | LVT_ONESHOT);
    lapic_write(LAPIC_TIMER_DCR, code);
    uint32_t before = nirq;
    uint64_t t0 = rdtsc();
    lapic_write(LAPIC_TIMER_ICR, n);
    if (wait_irq(before, 2 * expect + us_to_tsc(1000)) == before)
        return 0;
    return irq_tsc[before] - t0;
}

static void check_delay(const char *name, uint64_t got, uint64_t want)
{
    t_check(got >= want && got <= want + TOL_TSC, name, "interrupt %llu TSC cycles after the "
            "write, want %llu + [0, %u]", (unsigned long long)got, (unsigned long long)want,
            TOL_TSC);
}

static void test_power_up(void)
{
    /* before smp_init touched the APIC: the xAPIC page at the power-up base */
    volatile uint32_t *apic = phys_ptr(0xfee00000u);
    uint32_t lvt = apic[LAPIC_LVT_TIMER / 4], dcr = apic[LAPIC_TIMER_DCR / 4];
    uint32_t icr = apic[LAPIC_TIMER_ICR / 4], ccr = apic[LAPIC_TIMER_CCR / 4];
    t_eq("power-up: LVT timer masked (10.4.7.1)", lvt, LVT_MASKED);
    t_check(dcr == 0 && icr == 0 && ccr == 0, "power-up: divide configuration, initial and "
            "current count 0", "DCR 0x%x, initial %u, current %u", dcr, icr, ccr);
}

static void test_divide_config(void)
{
    int ok = 1;
    for (unsigned k = 0; k < 8; k++) {
        lapic_write(LAPIC_TIMER_DCR, divs[k].code);
        ok &= (lapic_read(LAPIC_TIMER_DCR) & 0xb) == divs[k].code;
    }
    t_check(ok, "divide configuration reads back bits 3,1,0 for all 8 values", "mismatch");
}

static void test_oneshot(void)
{
    uint64_t want = 1000 * tsc_per_count;   /* 96,000 cycles = 40 us */
    uint64_t d = oneshot(1000, 0xb, want);
    tprintf("# apic_timer: one-shot 1000 at /1: interrupt %llu cycles after the write (%llu "
            "expected)\n", (unsigned long long)d, (unsigned long long)want);
    check_delay("one-shot: count 1000 at /1 fires 96,000 TSC cycles (40 us) after the write", d,
                want);
    t_eq("one-shot: current count 0 after expiry", lapic_read(LAPIC_TIMER_CCR), 0);
    t_eq("one-shot: initial count still reads 1000", lapic_read(LAPIC_TIMER_ICR), 1000);
    uint32_t n = nirq;
    delay_us(200);
    t_eq("one-shot: fires once", nirq, n);

    /* every divisor: count 256 */
    for (unsigned k = 0; k < 8; k++) {
        uint64_t w = 256 * divs[k].div * tsc_per_count;
        d = oneshot(256, divs[k].code, w);
        static const char *names[8] = {
            "one-shot: count 256 at /2 (DCR 0000b) fires after 49,152 TSC cycles",
            "one-shot: count 256 at /4 (DCR 0001b) fires after 98,304 TSC cycles",
            "one-shot: count 256 at /8 (DCR 0010b) fires after 196,608 TSC cycles",
            "one-shot: count 256 at /16 (DCR 0011b) fires after 393,216 TSC cycles",
            "one-shot: count 256 at /32 (DCR 1000b) fires after 786,432 TSC cycles",
            "one-shot: count 256 at /64 (DCR 1001b) fires after 1,572,864 TSC cycles",
            "one-shot: count 256 at /128 (DCR 1010b) fires after 3,145,728 TSC cycles",
            "one-shot: count 256 at /1 (DCR 1011b) fires after 24,576 TSC cycles",
        };
        check_delay(names[k], d, w);
    }
}

static void test_current_count(void)
{
    /* count 100000 at /2: 2 x 96 = 192 cycles per count, 19.2 M cycles (8 ms) in all */
    const uint32_t n = 100000, div = 2;
    lapic_write(LAPIC_LVT_TIMER, VEC | LVT_MASKED | LVT_ONESHOT);
    lapic_write(LAPIC_TIMER_DCR, 0x0);
    uint64_t t0 = rdtsc();
    lapic_write(LAPIC_TIMER_ICR, n);
    uint64_t t0b = rdtsc();
    int ok = 1;
    uint32_t prev = n + 1;
    for (unsigned k = 0; k < 5; k++) {
        delay_us(300 * (k + 1));
        uint64_t a = rdtsc();
        uint32_t c = lapic_read(LAPIC_TIMER_CCR);
        uint64_t b = rdtsc();
        uint64_t lo = udiv64(a - t0b, div * tsc_per_count, 0);                /* counts at least */
        uint64_t hi = udiv64(b - t0 + div * tsc_per_count - 1, div * tsc_per_count, 0);
        uint32_t elapsed = n - c;
        tprintf("# apic_timer: current count %u, elapsed counts %u in [%llu, %llu]\n", c,
                elapsed, (unsigned long long)lo, (unsigned long long)hi);
        if (elapsed < lo || elapsed > hi || c >= prev)
            ok = 0;
        prev = c;
    }
    t_check(ok, "current count = initial - elapsed TSC / (96 x 2), decreasing (5 reads at /2)",
            "see the lines above");
    lapic_write(LAPIC_TIMER_ICR, 0);
    t_eq("initial count 0 stops the timer: current count 0", lapic_read(LAPIC_TIMER_CCR), 0);
    lapic_write(LAPIC_TIMER_DCR, 0xb);
}

static void test_periodic(void)
{
    /* count 1000 at /4: period 1000 x 4 x 96 = 384,000 TSC cycles (160 us) */
    const uint32_t n = 1000;
    const uint64_t period = 1000 * 4 * tsc_per_count;
    nirq = 0;
    lapic_write(LAPIC_LVT_TIMER, VEC | LVT_PERIODIC);
    lapic_write(LAPIC_TIMER_DCR, 0x1);
    uint64_t t0 = rdtsc();
    lapic_write(LAPIC_TIMER_ICR, n);
    uint64_t end = t0 + (NPER + 2) * period;
    uint32_t ccr_mid = 0xffffffffu;
    while (nirq < NPER && rdtsc() < end) {
        sti_hlt();                          /* the processor waits halted: exact wake-up */
        cli();
        if (nirq == 3 && ccr_mid == 0xffffffffu)
            ccr_mid = lapic_read(LAPIC_TIMER_CCR);
    }
    lapic_write(LAPIC_TIMER_ICR, 0);        /* stop */
    uint32_t got = nirq;
    t_eq("periodic: 10 interrupts", got, NPER);
    if (got < NPER)
        return;
    check_delay("periodic: first interrupt one period (384,000 TSC cycles) after the write",
                irq_tsc[0] - t0, period);
    int exact = 1;
    for (unsigned k = 1; k < NPER; k++) {
        int64_t dev = (int64_t)(irq_tsc[k] - irq_tsc[0]) - (int64_t)(k * period);
        if (dev)
            exact = 0;
        if (dev || k == NPER - 1)
            tprintf("# apic_timer: periodic interrupt %u at +%llu cycles, deviation %lld\n", k,
                    (unsigned long long)(irq_tsc[k] - irq_tsc[0]), (long long)dev);
    }
    t_check(exact, "periodic: interrupt k arrives exactly k x 384,000 TSC cycles after the first "
            "(9 periods, no drift)", "see the lines above");
    t_check(ccr_mid > 0 && ccr_mid <= n, "periodic: current count reloads (reads in (0, 1000] "
            "after 3 periods)", "%u", ccr_mid);
    uint32_t after = nirq;
    delay_us(500);
    t_eq("periodic: initial count 0 stops it (no interrupt in 500 us)", nirq, after);
}

static void test_mask_restart(void)
{
    /* masked one-shot: count 100 at /1 = 9600 cycles */
    uint32_t n0 = nirq;
    lapic_write(LAPIC_LVT_TIMER, VEC | LVT_MASKED | LVT_ONESHOT);
    lapic_write(LAPIC_TIMER_DCR, 0xb);
    lapic_write(LAPIC_TIMER_ICR, 100);
    sti();
    delay_us(20);
    cli();
    uint32_t irr = lapic_read(LAPIC_IRR + 0x10 * (VEC / 32));
    t_eq("masked: no interrupt", nirq, n0);
    t_eq("masked: the timer still counts to 0", lapic_read(LAPIC_TIMER_CCR), 0);
    t_eq("masked: no IRR bit for the vector", (irr >> (VEC % 32)) & 1, 0);
    lapic_write(LAPIC_LVT_TIMER, VEC | LVT_ONESHOT);
    sti();
    delay_us(20);
    cli();
    t_eq("masked: unmasking after expiry raises nothing", nirq, n0);

    /* masked periodic keeps reloading */
    lapic_write(LAPIC_LVT_TIMER, VEC | LVT_MASKED | LVT_PERIODIC);
    lapic_write(LAPIC_TIMER_ICR, 1000);     /* period 96,000 cycles */
    delay_us(100);                          /* 2.5 periods */
    uint32_t c = lapic_read(LAPIC_TIMER_CCR);
    lapic_write(LAPIC_TIMER_ICR, 0);
    t_check(c > 0 && c <= 1000 && nirq == n0, "masked periodic: keeps reloading, no interrupt",
            "current count %u, interrupts %u", c, nirq - n0);

    /* stop before expiry: count 1000 (40 us), stopped after 10 us */
    lapic_write(LAPIC_LVT_TIMER, VEC | LVT_ONESHOT);
    lapic_write(LAPIC_TIMER_ICR, 1000);
    delay_us(10);
    lapic_write(LAPIC_TIMER_ICR, 0);
    sti();
    delay_us(100);
    cli();
    t_eq("one-shot: initial count 0 before expiry: no interrupt", nirq, n0);

    /* restart: count 1000 (96,000 cycles), rewritten after ~48,000 cycles */
    lapic_write(LAPIC_TIMER_ICR, 1000);
    delay_tsc(48000);
    uint64_t t1 = rdtsc();
    lapic_write(LAPIC_TIMER_ICR, 1000);
    wait_irq(n0, us_to_tsc(1000));
    t_check(nirq == n0 + 1, "one-shot: a new initial count restarts the count", "%u "
            "interrupts", nirq - n0);
    if (nirq == n0 + 1)
        check_delay("one-shot: restarted count fires 96,000 cycles after the second write",
                    irq_tsc[n0] - t1, 1000 * tsc_per_count);
}

static void test_deadline(void)
{
    uint32_t r[4];
    cpuid(1, 0, r);
    t_eq("TSC-deadline: CPUID.1 ECX[24]", (r[2] >> 24) & 1, 1);

    /* in one-shot mode the MSR reads 0 and ignores writes */
    lapic_write(LAPIC_LVT_TIMER, VEC | LVT_ONESHOT);
    wrmsr(MSR_TSC_DEADLINE, rdtsc() + 10000);
    t_eq("TSC-deadline: MSR reads 0 outside TSC-deadline mode", rdmsr(MSR_TSC_DEADLINE), 0);
    uint32_t n0 = nirq;
    sti();
    delay_us(20);
    cli();
    t_eq("TSC-deadline: a write outside the mode arms nothing", nirq, n0);

    lapic_write(LAPIC_LVT_TIMER, VEC | LVT_DEADLINE);
    t_eq("TSC-deadline: LVT timer reads back mode 10b", lapic_read(LAPIC_LVT_TIMER),
         VEC | LVT_DEADLINE);
    lapic_write(LAPIC_TIMER_ICR, 1000);
    t_check(lapic_read(LAPIC_TIMER_CCR) == 0, "TSC-deadline: current count reads 0, "
            "initial-count writes ignored", "current %u", lapic_read(LAPIC_TIMER_CCR));
    sti();
    delay_us(60);                           /* the ignored count would have fired at 40 us */
    cli();
    t_eq("TSC-deadline: the ignored initial count raises nothing", nirq, n0);

    /* arm 100,000 cycles ahead */
    uint64_t dl = rdtsc() + 100000;
    wrmsr(MSR_TSC_DEADLINE, dl);
    uint64_t rd = rdmsr(MSR_TSC_DEADLINE);
    wait_irq(n0, us_to_tsc(1000));
    t_eq("TSC-deadline: one interrupt", nirq, n0 + 1);
    if (nirq == n0 + 1) {
        uint64_t late = irq_tsc[n0] - dl;
        tprintf("# apic_timer: TSC-deadline interrupt %lld cycles after the deadline\n",
                (long long)(irq_tsc[n0] - dl));
        t_check(irq_tsc[n0] >= dl && late <= TOL_TSC, "TSC-deadline: interrupt when the TSC "
                "reaches the deadline", "%lld cycles after it", (long long)(irq_tsc[n0] - dl));
    }
    t_eq("TSC-deadline: MSR reads the armed deadline", rd, dl);
    t_eq("TSC-deadline: MSR reads 0 after the interrupt", rdmsr(MSR_TSC_DEADLINE), 0);

    /* a deadline already passed fires at once: the interrupt comes right after WRMSR */
    n0 = nirq;
    sti();
    wrmsr(MSR_TSC_DEADLINE, 1);
    uint32_t right_after = nirq;
    cli();
    t_eq("TSC-deadline: a deadline in the past fires right after the WRMSR", right_after,
         n0 + 1);

    /* writing 0 disarms */
    n0 = nirq;
    wrmsr(MSR_TSC_DEADLINE, rdtsc() + 20000);
    wrmsr(MSR_TSC_DEADLINE, 0);
    sti();
    delay_us(30);                           /* 72,000 cycles */
    cli();
    t_eq("TSC-deadline: writing 0 disarms", nirq, n0);

    /* changing the timer mode disarms */
    wrmsr(MSR_TSC_DEADLINE, rdtsc() + 20000);
    lapic_write(LAPIC_LVT_TIMER, VEC | LVT_ONESHOT);
    lapic_write(LAPIC_LVT_TIMER, VEC | LVT_DEADLINE);
    sti();
    delay_us(30);
    cli();
    t_eq("TSC-deadline: a change of timer mode disarms", nirq, n0);
    t_eq("TSC-deadline: MSR reads 0 after the mode change", rdmsr(MSR_TSC_DEADLINE), 0);

    /* masked: counts as fired, no interrupt */
    lapic_write(LAPIC_LVT_TIMER, VEC | LVT_MASKED | LVT_DEADLINE);
    wrmsr(MSR_TSC_DEADLINE, rdtsc() + 20000);
    sti();
    delay_us(30);
    cli();
    t_eq("TSC-deadline: masked, no interrupt", nirq, n0);
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
}

/* STI; HLT while an interrupt is already pending (SDM Vol. 2 HLT: an enabled interrupt resumes
 * execution; STI: interrupts are recognized after the instruction that follows STI, so the
 * pending interrupt is taken as soon as HLT has executed): the handler runs at once, not at
 * some later time. */
static volatile uint32_t self_n;
static volatile uint64_t self_tsc;
static void self_handler(struct kframe *f)
{
    (void)f;
    self_tsc = rdtsc();
    self_n++;
    lapic_eoi();
}

static void test_hlt_pending(void)
{
    kidt_set(VEC + 1, self_handler);
    lapic_send(0, ICR_FIXED | ICR_SELF | (VEC + 1));  /* IF = 0: stays pending in the IRR */
    uint64_t t0 = rdtsc();
    sti_hlt();
    cli();
    t_check(self_n == 1 && self_tsc - t0 <= TOL_TSC, "STI; HLT with a self-IPI pending: taken "
            "at once", "%u interrupts, handler %llu TSC cycles after STI", self_n,
            (unsigned long long)(self_tsc - t0));

    lapic_write(LAPIC_LVT_TIMER, VEC | LVT_ONESHOT);
    lapic_write(LAPIC_TIMER_DCR, 0xb);
    uint32_t n0 = nirq;
    lapic_write(LAPIC_TIMER_ICR, 1);        /* expires 96 cycles later, IF = 0 */
    delay_tsc(500);
    uint64_t t1 = rdtsc();
    sti_hlt();
    cli();
    t_check(nirq == n0 + 1 && irq_tsc[n0] - t1 <= TOL_TSC, "STI; HLT with the expired timer's "
            "interrupt pending: taken at once", "%u interrupts, handler %llu TSC cycles after "
            "STI", nirq - n0, (unsigned long long)(irq_tsc[n0] - t1));
}

int main(void)
{
    t_begin("apic_timer");
    test_power_up();
    const char *err = "";
    if (!t_check(smp_init(&err) == 0, "runtime: ACPI tables read, APIC enabled", "%s", err))
        return t_finish();
    uint64_t rem;
    tsc_per_count = udiv64(smp_tsc_hz, APIC_TIMER_HZ, &rem);
    t_check(tsc_per_count == 96 && rem == 0, "TSC 2.4 GHz = 96 x the 25 MHz APIC timer clock",
            "TSC %llu Hz", (unsigned long long)smp_tsc_hz);
    kidt_set(VEC, timer_handler);
    test_divide_config();
    test_oneshot();
    test_current_count();
    test_periodic();
    test_mask_restart();
    test_deadline();
    test_hlt_pending();
    return t_finish();
}
