/* smp_boot.c — multiprocessor start-up, run by tests/target/smp_boot.cfg (cpus = 4).
 *
 * Expected values:
 *   ACPI 6.3: an RSDP with valid checksums in 0xE0000-0xFFFFF (5.2.5), an RSDT (and XSDT listing
 *     the same tables) with a MADT (5.2.7, 5.2.8, 5.2.12) that lists one enabled processor per
 *     configured CPU with distinct APIC IDs, the BSP among them; the MADT's local APIC address is
 *     the one IA32_APIC_BASE holds; PCAT_COMPAT (flags bit 0) because a PC has the 8259A pair; one
 *     I/O APIC whose ID register (82093AA 3.1: index 0, bits 27:24), read at the MADT's address,
 *     is the MADT's ID; ISA IRQ 0 overridden to GSI 2 (every PC routes the PIT to pin 2).
 *   BSP (SDM Vol. 3 8.4.1, 10.4.4): IA32_APIC_BASE BSP (bit 8) and EN (bit 11) set, base
 *     0xFEE00000 (the power-up default, Figure 10-5); CPUID.1 EDX[9] (APIC) set; the APIC ID
 *     register bits 31:24 = CPUID.1 EBX[31:24] = CPUID.0BH EDX (10.4.6, 10.12.8.1); the version
 *     register (10.4.8) reads an integrated APIC (version 10H-15H) with at least the 5 LVT
 *     entries every integrated APIC has (max LVT entry >= 4).
 *   Each AP, started with INIT, 10 ms, SIPI, 200 us, SIPI (8.4.4.1), vector 08H:
 *     - starts in real mode at CS = 0800H, IP = 0 (10.6.1 "Start-Up": CS:IP = VV00:0000H): the
 *       trampoline's first record is CS and the IP a CALL at a known offset pushes; CR0 =
 *       60000010H and EDX = the processor signature (= CPUID.1 EAX) at its first instruction
 *       (9.1.1 Table 9-1, 9.1.4);
 *     - runs the trampoline exactly once: the second SIPI reaches a running processor and is
 *       ignored (8.4.4.1 notes it), and so is a third one sent later;
 *     - sees IA32_APIC_BASE with BSP clear, EN set, the same base; its CPUID.1 EBX[31:24],
 *       CPUID.0BH EDX and APIC ID register agree with the MADT's APIC ID.
 *   Each AP has its own APIC timer (10.5.4): one-shot 1000 at /1 on all three APs at once fires
 *     96,000 of the AP's TSC cycles after its write (apic_timer.c has the arithmetic).
 *   All processors then work together: LOCK XADD and a LOCK CMPXCHG spinlock make 4 x 20000
 *     increments exact (SDM Vol. 3 8.1.2.2 locked instructions); per-CPU data through GS; a
 *     barrier; each processor's TSC (invariant TSC, 17.17) agrees with the BSP's within one
 *     scheduler round of hvsim (10 us: docs/ARCHITECTURE.md; processors run in turn within a
 *     round, so a later one may be behind by up to a round).
 * The configuration (smp_boot.cfg) gives 4 processors; NCPUS below must match it.
 */
#include "lib/kernel.h"
#include "lib/smp.h"
#include "lib/test.h"

#define NCPUS 4
#define ROUND_TSC 24000u                   /* 10 us at the 2.4 GHz TSC (checked below) */
#define INCS 20000u

static volatile uint32_t xadd_counter, locked_counter, plain_lock;
static struct smp_barrier bar;
static volatile uint32_t barrier_fail;
static volatile uint64_t ap_tsc[SMP_MAX_CPUS];
static volatile uint32_t gs_id[SMP_MAX_CPUS];

static void count_work(void *arg)
{
    (void)arg;
    struct percpu *c = this_cpu();
    gs_id[c->apic_id] = c->apic_id;
    if (smp_barrier_wait(&bar, NCPUS))
        barrier_fail++;
    for (uint32_t k = 0; k < INCS; k++) {
        atomic_xadd(&xadd_counter, 1);
        spin_lock(&plain_lock);
        locked_counter = locked_counter + 1;
        spin_unlock(&plain_lock);
    }
    if (smp_barrier_wait(&bar, NCPUS))
        barrier_fail++;
}

static void read_tsc(void *arg)
{
    (void)arg;
    ap_tsc[this_cpu()->apic_id] = rdtsc();
}

/* Each processor has its own APIC timer (SDM 10.5.4): a one-shot count of 1000 at /1 on the
 * AP fires 1000 x 96 = 96,000 of its TSC cycles after the write (docs/APIC.md: 25 MHz timer,
 * 2.4 GHz TSC), within TIMER_TOL cycles of interrupt latency. */
#define TIMER_VEC 0x40
#define TIMER_TOL 600u
static volatile uint64_t timer_delay[SMP_MAX_CPUS];
static void ap_timer(void *arg)
{
    (void)arg;
    struct percpu *c = this_cpu();
    uint32_t n = c->irq_count[TIMER_VEC];
    lapic_write(LAPIC_LVT_TIMER, TIMER_VEC | LVT_ONESHOT);
    lapic_write(LAPIC_TIMER_DCR, 0xb);
    uint64_t t0 = rdtsc();
    lapic_write(LAPIC_TIMER_ICR, 1000);
    if (smp_wait_change(&c->irq_count[TIMER_VEC], n, 1000) == 0)
        timer_delay[c->apic_id] = c->last_tsc - t0;
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
}

static void say_hello(void *arg)
{
    (void)arg;
    struct percpu *c = this_cpu();
    tprintf("# smp_boot: hello from APIC ID %u (this line is printed by that processor)\n",
            c->apic_id);
}

static void check_acpi(void)
{
    struct kacpi *a = &smp_acpi;
    t_check(a->rsdp >= 0xe0000 && a->rsdp < 0x100000 && (a->rsdp & 15) == 0,
            "ACPI: RSDP found on a 16-byte boundary in 0xE0000-0xFFFFF", "at 0x%x", a->rsdp);
    t_check(a->rsdp_revision >= 2 && a->xsdt && a->xsdt_matches_rsdt,
            "ACPI: RSDP revision 2 with an XSDT listing the RSDT's tables", "revision %u, XSDT "
            "0x%llx, match %d", a->rsdp_revision, (unsigned long long)a->xsdt,
            a->xsdt_matches_rsdt);
    t_eq("MADT: one enabled processor entry per configured CPU", a->ncpus, NCPUS);
    int distinct = 1, bsp_listed = 0;
    for (unsigned i = 0; i < a->ncpus; i++) {
        bsp_listed |= a->apic_id[i] == smp_bsp_id;
        for (unsigned j = 0; j < i; j++)
            distinct &= a->apic_id[i] != a->apic_id[j];
    }
    t_check(distinct && bsp_listed, "MADT: APIC IDs distinct, the BSP's among them",
            "distinct %d, BSP %u listed %d", distinct, smp_bsp_id, bsp_listed);
    t_eq("MADT: local APIC address = IA32_APIC_BASE base", a->lapic_addr, smp_lapic_mmio);
    t_eq("MADT: flags PCAT_COMPAT (8259A pair present)", a->madt_flags & 1, 1);
    t_eq("MADT: one I/O APIC", a->nioapic, 1);
    volatile uint32_t *io = phys_ptr(a->ioapic_addr);
    io[0] = 0;                              /* IOREGSEL = ID */
    t_eq("MADT: I/O APIC ID = the ID register at the MADT's address", (io[4] >> 24) & 15,
         a->ioapic_id);
    uint16_t fl;
    t_eq("MADT: ISA IRQ 0 (PIT) overridden to GSI 2", kacpi_isa_gsi(a, 0, &fl), 2);
    t_check(a->nmi_lint == 0 || a->nmi_lint == 1, "MADT: a local APIC NMI entry for all "
            "processors names LINT0 or LINT1", "LINT %d", a->nmi_lint);
}

static void check_bsp(void)
{
    uint64_t base = rdmsr(MSR_APIC_BASE);
    t_check((base & APIC_BASE_BSP) && (base & APIC_BASE_EN) && !(base & APIC_BASE_EXTD),
            "BSP: IA32_APIC_BASE BSP and EN set, xAPIC mode", "0x%llx", (unsigned long long)base);
    t_eq("BSP: APIC base 0xFEE00000 (power-up default)", base & 0xfffff000u, 0xfee00000u);
    uint32_t r[4];
    cpuid(1, 0, r);
    t_eq("BSP: CPUID.1 EDX[9] APIC", (r[3] >> 9) & 1, 1);
    uint32_t id = r[1] >> 24;
    t_eq("BSP: APIC ID register[31:24] = CPUID.1 EBX[31:24]", lapic_read(LAPIC_ID) >> 24, id);
    cpuid(0xb, 0, r);
    t_eq("BSP: CPUID.0BH EDX (x2APIC ID) = initial APIC ID", r[3], id);
    uint32_t ver = lapic_read(LAPIC_VER);
    t_check((ver & 0xff) >= 0x10 && (ver & 0xff) <= 0x15 && ((ver >> 16) & 0xff) >= 4,
            "BSP: version register: integrated APIC, >= 5 LVT entries", "0x%x", ver);
}

static void check_ap(uint32_t id, uint32_t signature)
{
    struct percpu *c = &smp_cpu[id];
    const volatile struct ap_tramp_rec *r = ap_tramp_rec(id);
    tprintf("# smp_boot: AP %u: trampoline ran %u time(s), CS %04x IP %04x EDX %08x CR0 %08x\n",
            id, r->count, r->cs, r->ip, r->edx, r->cr0);
    t_eq("AP: trampoline ran once (the second SIPI ignored)", r->count, 1);
    t_check(r->cs == SMP_SIPI_VECTOR << 8 && r->ip == ap_tramp_call_next,
            "AP: real mode at CS:IP = 0800:0000 (vector 08H)", "CS %04x, IP after the CALL "
            "%04x, want 0800 and %04x", r->cs, r->ip, ap_tramp_call_next);
    t_eq("AP: CR0 = 60000010H at the first instruction (Table 9-1)", r->cr0, 0x60000010u);
    t_eq("AP: EDX = processor signature (CPUID.1 EAX) at the first instruction", r->edx,
         signature);
    t_eq("AP: reached C once", c->starts, 1);
    t_check(!(c->apic_base_msr & APIC_BASE_BSP) && (c->apic_base_msr & APIC_BASE_EN) &&
            (c->apic_base_msr & 0xfffff000u) == smp_lapic_mmio,
            "AP: IA32_APIC_BASE: BSP clear, EN set, same base", "0x%llx",
            (unsigned long long)c->apic_base_msr);
    t_check(c->cpuid_apic_id == id && c->cpuid_x2apic_id == id && c->apic_id_reg >> 24 == id,
            "AP: CPUID.1 EBX[31:24], CPUID.0BH EDX and the APIC ID register = the MADT's ID",
            "%u, %u, 0x%x, want %u", c->cpuid_apic_id, c->cpuid_x2apic_id, c->apic_id_reg, id);
}

int main(void)
{
    t_begin("smp_boot");
    const char *err = "";
    int ok = smp_init(&err) == 0;
    t_check(ok, "ACPI: RSDP, RSDT and MADT found with valid checksums", "%s", err);
    if (!ok)
        return t_finish();
    t_eq("TSC at 2.4 GHz (the scheduler-round tolerance below assumes it)", smp_tsc_hz,
         2400000000ull);
    check_acpi();
    check_bsp();

    uint32_t sig[4];
    cpuid(1, 0, sig);
    for (unsigned k = 0; k < smp_ncpus; k++) {
        uint32_t id = smp_apic_ids[k];
        if (id == smp_bsp_id)
            continue;
        int up = smp_start_ap(id) == 0;
        t_check(up, "AP: started by INIT-SIPI-SIPI and reached C", "APIC ID %u", id);
        if (up)
            check_ap(id, sig[0]);
    }

    /* a SIPI to a running processor is ignored; the processor keeps working */
    uint32_t ap = smp_apic_ids[0] == smp_bsp_id ? smp_apic_ids[1] : smp_apic_ids[0];
    lapic_send(ap, ICR_STARTUP | SMP_SIPI_VECTOR);
    delay_us(1000);
    t_check(ap_tramp_rec(ap)->count == 1 && smp_cpu[ap].starts == 1,
            "AP: a SIPI to a running AP is ignored", "trampoline ran %u times, C entered %u times",
            ap_tramp_rec(ap)->count, smp_cpu[ap].starts);
    t_eq("AP: still runs work after the ignored SIPI", smp_call(ap, read_tsc, 0), 0);

    /* every AP prints its own line: the console lock keeps lines whole */
    for (unsigned k = 0; k < smp_ncpus; k++)
        if (smp_apic_ids[k] != smp_bsp_id)
            smp_post(smp_apic_ids[k], say_hello, 0);
    for (unsigned k = 0; k < smp_ncpus; k++)
        if (smp_apic_ids[k] != smp_bsp_id)
            smp_wait(smp_apic_ids[k]);

    /* every AP's own APIC timer, all running at once */
    kidt_set(TIMER_VEC, smp_count_handler);
    for (unsigned k = 0; k < smp_ncpus; k++)
        if (smp_apic_ids[k] != smp_bsp_id)
            smp_post(smp_apic_ids[k], ap_timer, 0);
    int timers_ok = 1;
    for (unsigned k = 0; k < smp_ncpus; k++) {
        uint32_t id = smp_apic_ids[k];
        if (id == smp_bsp_id)
            continue;
        smp_wait(id);
        tprintf("# smp_boot: APIC ID %u: its timer fired %llu TSC cycles after the write\n", id,
                (unsigned long long)timer_delay[id]);
        timers_ok &= timer_delay[id] >= 96000 && timer_delay[id] <= 96000 + TIMER_TOL;
    }
    t_check(timers_ok, "APs: each AP's own APIC timer fires 96,000 TSC cycles after its write",
            "see the lines above");

    /* TSCs agree within a round */
    int tsc_ok = 1;
    for (unsigned k = 0; k < smp_ncpus; k++) {
        uint32_t id = smp_apic_ids[k];
        if (id == smp_bsp_id)
            continue;
        uint64_t before = rdtsc();
        smp_call(id, read_tsc, 0);
        uint64_t after = rdtsc();
        if (ap_tsc[id] + ROUND_TSC < before || ap_tsc[id] > after + ROUND_TSC) {
            tsc_ok = 0;
            tprintf("# smp_boot: APIC ID %u TSC %llu outside [%llu, %llu] +- %u\n", id,
                    (unsigned long long)ap_tsc[id], (unsigned long long)before,
                    (unsigned long long)after, ROUND_TSC);
        }
    }
    t_check(tsc_ok, "TSC: every AP's TSC agrees with the BSP's within one round", "see above");

    /* all four processors: barrier, locked increments, per-CPU data through GS */
    for (unsigned k = 0; k < SMP_MAX_CPUS; k++)
        gs_id[k] = 0xffffffffu;
    for (unsigned k = 0; k < smp_ncpus; k++)
        if (smp_apic_ids[k] != smp_bsp_id)
            smp_post(smp_apic_ids[k], count_work, 0);
    count_work(0);
    int waited = 0;
    for (unsigned k = 0; k < smp_ncpus; k++)
        if (smp_apic_ids[k] != smp_bsp_id)
            waited |= smp_wait(smp_apic_ids[k]);
    t_check(!waited && !barrier_fail, "SMP: all processors pass two barriers", "wait %d, "
            "barrier timeouts %u", waited, barrier_fail);
    t_eq("SMP: LOCK XADD: 4 x 20000 increments", xadd_counter, NCPUS * INCS);
    t_eq("SMP: LOCK CMPXCHG spinlock: 4 x 20000 increments", locked_counter, NCPUS * INCS);
    int gs_ok = 1;
    for (unsigned k = 0; k < smp_ncpus; k++)
        gs_ok &= gs_id[smp_apic_ids[k]] == smp_apic_ids[k];
    t_check(gs_ok, "SMP: per-CPU data through GS on every processor", "mismatch");
    return t_finish();
}
