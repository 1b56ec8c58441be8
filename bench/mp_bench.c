/* mp_bench.c — a long multiprocessor workload without VMX, for `make trace-bench`
 * (bench/trace_bench.sh, docs/PERFORMANCE.md "Trace overhead"): every processor (4 in
 * bench/mp_bench.cfg) computes CRC-32s over its own buffer, takes a shared spinlock once per
 * round, runs a periodic APIC timer (every 20 us of its TSC: vector 0x40) and sends a fixed IPI
 * (vector 0x41) to the next processor every 16 rounds — the interrupt traffic of a busy SMP
 * kernel, denser than a real OS's tick. A 32-bit Multiboot kernel on the SMP runtime of the test
 * kernels (tests/target/lib/smp.h).
 *
 * Command line: `rounds=N` (default 2000) rounds per processor. Checks: the shared counter is
 * processors x rounds (the lock works), every processor took timer interrupts. Output on COM1:
 * `bench: mp_rounds=... crc=...` and PASS/FAIL lines.
 */
#include "lib/kernel.h"
#include "lib/smp.h"
#include "lib/test.h"

#define TIMER_VEC 0x40
#define IPI_VEC 0x41
#define TIMER_US 20
#define BUF 256
#define DEFAULT_ROUNDS 2000u

static uint8_t buf[SMP_MAX_CPUS][BUF];
static volatile uint32_t shared_count, shared_lock, finished;
static volatile uint32_t crc_out[SMP_MAX_CPUS];
static uint32_t rounds = DEFAULT_ROUNDS;

static uint32_t crc32_buf(uint32_t crc, const uint8_t *p, unsigned n)
{
    crc = ~crc;
    for (unsigned k = 0; k < n; k++) {
        crc ^= p[k];
        for (int b = 0; b < 8; b++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
    }
    return ~crc;
}

/* `rounds=N` from the Multiboot command line (decimal, 1..10^9), else the default. */
static uint32_t cmdline_rounds(void)
{
    const struct mb1_info *mbi = phys_ptr(mb_entry.ebx);
    if (mb_entry.eax != MB1_BOOT_MAGIC || !(mbi->flags & MB1_INFO_CMDLINE))
        return DEFAULT_ROUNDS;
    const char *s = phys_ptr(mbi->cmdline);
    for (const char *p = s; *p; p++) {
        if ((p == s || p[-1] == ' ') && p[0] == 'r' && p[1] == 'o' && p[2] == 'u' &&
            p[3] == 'n' && p[4] == 'd' && p[5] == 's' && p[6] == '=') {
            uint32_t v = 0;
            for (p += 7; *p >= '0' && *p <= '9' && v < 1000000000u; p++)
                v = v * 10 + (uint32_t)(*p - '0');
            return v ? v : DEFAULT_ROUNDS;
        }
    }
    return DEFAULT_ROUNDS;
}

/* The work of one processor (the BSP directly, each AP through its mailbox). */
static void work(void *arg)
{
    unsigned idx = (unsigned)(uintptr_t)arg;
    uint32_t me = this_cpu()->apic_id;
    uint32_t next = smp_apic_ids[(idx + 1) % smp_ncpus];
    for (unsigned k = 0; k < BUF; k++)
        buf[idx][k] = (uint8_t)(k * 7 + idx);
    lapic_write(LAPIC_TIMER_DCR, 0xb);                                  /* divide by 1 */
    lapic_write(LAPIC_LVT_TIMER, TIMER_VEC | LVT_PERIODIC);
    lapic_write(LAPIC_TIMER_ICR, APIC_TIMER_HZ / 1000000u * TIMER_US);
    __asm__ volatile("sti");
    uint32_t crc = 0;
    for (uint32_t r = 0; r < rounds; r++) {
        crc = crc32_buf(crc, buf[idx], BUF);
        buf[idx][r % BUF] ^= (uint8_t)crc;
        spin_lock(&shared_lock);
        shared_count++;
        spin_unlock(&shared_lock);
        if (r % 16 == 15 && next != me)
            lapic_send(next, ICR_FIXED | IPI_VEC);
    }
    __asm__ volatile("cli");
    lapic_write(LAPIC_LVT_TIMER, TIMER_VEC | LVT_MASKED);
    lapic_write(LAPIC_TIMER_ICR, 0);
    crc_out[idx] = crc;
    atomic_xadd(&finished, 1);
}

int main(void)
{
    t_begin("mp_bench");
    const char *err = "";
    if (smp_init(&err) != 0)
        return t_check(0, "ACPI: the MADT found", "%s", err), t_finish();
    rounds = cmdline_rounds();
    kidt_set(TIMER_VEC, smp_count_handler);
    kidt_set(IPI_VEC, smp_count_handler);
    unsigned up = smp_start_aps();
    t_eq("every processor of the MADT started", up + 1, smp_ncpus);
    for (unsigned k = 0; k < smp_ncpus; k++)
        if (smp_apic_ids[k] != smp_bsp_id)
            smp_post(smp_apic_ids[k], work, (void *)(uintptr_t)k);
    unsigned bsp_idx = 0;
    for (unsigned k = 0; k < smp_ncpus; k++)
        if (smp_apic_ids[k] == smp_bsp_id)
            bsp_idx = k;
    work((void *)(uintptr_t)bsp_idx);
    while (finished < smp_ncpus)            /* unbounded: the run's length is the point */
        cpu_relax();
    t_eq("the shared counter: processors x rounds", shared_count, smp_ncpus * rounds);
    uint32_t crc = 0, timer_min = ~0u;
    for (unsigned k = 0; k < smp_ncpus; k++) {
        crc ^= crc_out[k];
        uint32_t t = smp_cpu[smp_apic_ids[k]].irq_count[TIMER_VEC];
        if (t < timer_min)
            timer_min = t;
    }
    t_check(timer_min > 0, "every processor took timer interrupts", "fewest %u", timer_min);
    tprintf("bench: mp_rounds=%u cpus=%u crc=0x%x timer_irqs_min=%u\n", rounds, smp_ncpus, crc,
            timer_min);
    return t_finish();
}
