/* x2apic.c — x2APIC mode on 4 processors, run by tests/target/x2apic.cfg (cpus = 4).
 *
 * Expected values (Intel SDM Vol. 3 10.12 "Extended XAPIC (x2APIC)"):
 *   - CPUID.1 ECX[21] reports x2APIC (10.12.1).
 *   - Mode transitions (10.12.5, Figure 10-27): IA32_APIC_BASE EN = 0 with EXTD = 1 is invalid
 *     (#GP); xAPIC -> x2APIC by setting EXTD; x2APIC -> xAPIC directly is invalid (#GP); x2APIC
 *     -> disabled is allowed and resets the APIC (10.4.3); disabled -> x2APIC directly is
 *     invalid (#GP); disabled -> xAPIC is allowed, with the APIC in its power-up state (SVR
 *     0FFH, 10.4.7.1) and the xAPIC ID (ID << 24).
 *   - MSR access (10.12.1.2, Table 10-6): the registers at 800H + offset / 16; in xAPIC mode
 *     any access to 800H-8FFH raises #GP; in x2APIC mode #GP for the registers that exist only
 *     in xAPIC mode (DFR 80EH, APR 809H, RRD 80CH), for reads of write-only registers (EOI 80BH,
 *     SELF IPI 83FH), for writes of read-only ones (ID 802H, version 803H, PPR 80AH, LDR 80DH,
 *     current count 839H), for a non-zero EOI or ESR write, and for writes that set reserved
 *     bits (bits 63:32 of the TPR); the xAPIC page is not served any more (10.12.1.2: the MMIO
 *     interface behaves as with a globally disabled APIC; on the PC nothing else decodes it, so
 *     it reads all ones).
 *   - ID (10.12.8.1): the 32-bit x2APIC ID = CPUID.0BH EDX; here the initial APIC ID. Version:
 *     the same register as in xAPIC mode. LDR (10.12.10.2): derived from the ID, read-only:
 *     (ID[31:4] << 16) | (1 << ID[3:0]).
 *   - IPIs through the 64-bit ICR (MSR 830H, 10.12.9: one WRMSR sends, destination in bits
 *     63:32): INIT and start-up IPIs start the APs; fixed IPIs with a physical destination, a
 *     logical destination (10.12.10.2: dest[31:16] = cluster, dest[15:0] a bit mask within it),
 *     the broadcast FFFFFFFFH, the all-excluding-self shorthand; AP to BSP.
 *   - SELF IPI (MSR 83FH, 10.12.11): a fixed interrupt with the vector written, to this
 *     processor only; ISR through MSR 810H-817H.
 *   - The timer through MSRs 832H (LVT), 83EH (divide), 838H (initial), 839H (current): one-shot
 *     count 1000 at /1 fires 96,000 TSC cycles later (25 MHz timer, 2.4 GHz TSC: apic_timer.c).
 */
#include "lib/kernel.h"
#include "lib/smp.h"
#include "lib/test.h"

#define NCPUS 4
#define VEC_IPI 0x50
#define VEC_SELF 0x60
#define VEC_TIMER 0x40
#define TOL_TSC 600u

static uint32_t all_mask;

/* ---- work for the APs ----------------------------------------------------------------------- */
struct ap_x2 {
    uint64_t base;
    uint32_t id, ldr, ver;
    int dfr_gp;
};
static struct ap_x2 apx[SMP_MAX_CPUS];

static void ap_go_x2apic(void *p)
{
    (void)p;
    struct ap_x2 *a = &apx[this_cpu()->apic_id];
    lapic_enable_x2apic();
    a->base = rdmsr(MSR_APIC_BASE);
    a->id = (uint32_t)rdmsr(MSR_X2APIC(LAPIC_ID));
    a->ldr = (uint32_t)rdmsr(MSR_X2APIC(LAPIC_LDR));
    a->ver = (uint32_t)rdmsr(MSR_X2APIC(LAPIC_VER));
    uint64_t v;
    a->dfr_gp = msr_read_safe(MSR_X2APIC(LAPIC_DFR), &v);
    lapic_write(LAPIC_SVR, SVR_ENABLE | SMP_SPURIOUS_VECTOR);
}

struct send_args {
    uint32_t dest, icr;
};
static void ap_send(void *p)
{
    struct send_args *a = p;
    lapic_send(a->dest, a->icr);
}

/* ---- helpers ---------------------------------------------------------------------------------- */
static uint32_t snap[SMP_MAX_CPUS];

static void expect(const char *name, uint32_t from, uint32_t dest, uint32_t icr, uint32_t want)
{
    for (unsigned id = 0; id < NCPUS; id++)
        snap[id] = smp_cpu[id].irq_count[VEC_IPI];
    struct send_args a = { dest, icr };
    if (from == smp_bsp_id)
        ap_send(&a);
    else
        smp_call(from, ap_send, &a);
    uint64_t end = rdtsc() + us_to_tsc(10000);
    sti();
    for (;;) {
        uint32_t got = 0;
        for (unsigned id = 0; id < NCPUS; id++)
            if (smp_cpu[id].irq_count[VEC_IPI] != snap[id])
                got |= 1u << id;
        if ((got & want) == want || rdtsc() >= end)
            break;
        cpu_relax();
    }
    delay_us(50);
    cli();
    uint32_t got = 0;
    for (unsigned id = 0; id < NCPUS; id++) {
        uint32_t d = smp_cpu[id].irq_count[VEC_IPI] - snap[id];
        got |= d == 1 ? 1u << id : d > 1 ? 1u << 31 : 0;
    }
    t_check(got == want, name, "receivers 0x%x, want 0x%x", got, want);
}

static void gp(const char *name, int vector)
{
    t_check(vector == 13, name, "%s (vector %d)", vector ? "another exception" : "no fault",
            vector);
}

static volatile uint32_t self_count, self_isr;
static void self_handler(struct kframe *f)
{
    (void)f;
    self_isr = (uint32_t)(rdmsr(MSR_X2APIC(LAPIC_ISR) + VEC_SELF / 32) >> (VEC_SELF % 32)) & 1;
    self_count++;
    lapic_eoi();
}

/* ---- the tests ------------------------------------------------------------------------------- */
static uint32_t xapic_version;

static void test_enable(void)
{
    uint32_t r[4];
    cpuid(1, 0, r);
    t_eq("CPUID.1 ECX[21]: x2APIC supported", (r[2] >> 21) & 1, 1);
    uint64_t v;
    gp("xAPIC mode: RDMSR of the x2APIC ID (802H) raises #GP",
       msr_read_safe(MSR_X2APIC(LAPIC_ID), &v));
    uint64_t base = rdmsr(MSR_APIC_BASE);
    gp("IA32_APIC_BASE: EN = 0 with EXTD = 1 (invalid) raises #GP",
       msr_write_safe(MSR_APIC_BASE, (base & ~(uint64_t)APIC_BASE_EN) | APIC_BASE_EXTD));
    t_eq("IA32_APIC_BASE unchanged by the refused write", rdmsr(MSR_APIC_BASE), base);
    xapic_version = lapic_read(LAPIC_VER);

    lapic_enable_x2apic();
    uint64_t nb = rdmsr(MSR_APIC_BASE);
    t_eq("x2APIC: IA32_APIC_BASE reads BSP | EN | EXTD | base",
         nb, base | APIC_BASE_EN | APIC_BASE_EXTD);
    cpuid(0xb, 0, r);
    uint32_t id = (uint32_t)rdmsr(MSR_X2APIC(LAPIC_ID));
    t_check(id == r[3] && id == smp_bsp_id, "x2APIC: ID MSR 802H = CPUID.0BH EDX = the initial "
            "APIC ID (32 bits, not shifted)", "ID 0x%x, CPUID 0x%x", id, r[3]);
    t_eq("x2APIC: version MSR 803H = the xAPIC version register",
         (uint32_t)rdmsr(MSR_X2APIC(LAPIC_VER)), xapic_version);
    t_eq("x2APIC: LDR MSR 80DH = (ID[31:4] << 16) | 1 << ID[3:0]",
         (uint32_t)rdmsr(MSR_X2APIC(LAPIC_LDR)), ((id >> 4) << 16) | 1u << (id & 15));
    t_eq("x2APIC: SVR kept from xAPIC mode", (uint32_t)rdmsr(MSR_X2APIC(LAPIC_SVR)),
         SVR_ENABLE | SMP_SPURIOUS_VECTOR);
    t_eq("x2APIC: the xAPIC page reads all ones (not decoded)",
         *(volatile uint32_t *)phys_ptr(smp_lapic_mmio + LAPIC_VER), 0xffffffffu);
}

static void test_msr_rules(void)
{
    uint64_t v;
    gp("x2APIC: RDMSR DFR (80EH, xAPIC only) raises #GP", msr_read_safe(0x80e, &v));
    gp("x2APIC: WRMSR DFR (80EH) raises #GP", msr_write_safe(0x80e, 0xffffffffu));
    gp("x2APIC: RDMSR APR (809H, xAPIC only) raises #GP", msr_read_safe(0x809, &v));
    gp("x2APIC: RDMSR RRD (80CH, xAPIC only) raises #GP", msr_read_safe(0x80c, &v));
    gp("x2APIC: WRMSR ID (802H, read-only) raises #GP", msr_write_safe(0x802, 5));
    gp("x2APIC: WRMSR version (803H, read-only) raises #GP", msr_write_safe(0x803, 0));
    gp("x2APIC: WRMSR PPR (80AH, read-only) raises #GP", msr_write_safe(0x80a, 0));
    gp("x2APIC: WRMSR LDR (80DH, read-only) raises #GP", msr_write_safe(0x80d, 2));
    gp("x2APIC: WRMSR current count (839H, read-only) raises #GP", msr_write_safe(0x839, 1));
    gp("x2APIC: RDMSR EOI (80BH, write-only) raises #GP", msr_read_safe(0x80b, &v));
    gp("x2APIC: RDMSR SELF IPI (83FH, write-only) raises #GP", msr_read_safe(0x83f, &v));
    gp("x2APIC: WRMSR EOI with a non-zero value raises #GP", msr_write_safe(0x80b, 1));
    gp("x2APIC: WRMSR ESR with a non-zero value raises #GP", msr_write_safe(0x828, 1));
    gp("x2APIC: WRMSR TPR with bit 32 set (reserved) raises #GP",
       msr_write_safe(0x808, 1ull << 32));
    t_eq("x2APIC: the ID survived the refused write", (uint32_t)rdmsr(0x802), smp_bsp_id);
    t_eq("x2APIC: WRMSR TPR (808H) then RDMSR reads it back",
         (wrmsr(0x808, 0x20), (uint32_t)rdmsr(0x808)), 0x20);
    t_eq("x2APIC: PPR (80AH) = TPR with nothing in service", (uint32_t)rdmsr(0x80a), 0x20);
    wrmsr(0x808, 0);
    t_eq("x2APIC: WRMSR ESR 0 then RDMSR: no error", (wrmsr(0x828, 0), (uint32_t)rdmsr(0x828)), 0);
}

static void test_self_ipi(void)
{
    kidt_set(VEC_SELF, self_handler);
    wrmsr(MSR_X2APIC_SELF_IPI, VEC_SELF);   /* IF = 0: pending */
    uint32_t irr = (uint32_t)(rdmsr(MSR_X2APIC(LAPIC_IRR) + VEC_SELF / 32) >> (VEC_SELF % 32)) & 1;
    sti();
    __asm__ volatile("nop; nop");
    cli();
    t_check(irr == 1 && self_count == 1 && self_isr == 1, "SELF IPI MSR 83FH: IRR bit, then "
            "taken once with its ISR bit set", "IRR %u, taken %u, ISR %u", irr, self_count,
            self_isr);
    t_eq("SELF IPI: EOI cleared the ISR bit",
         (rdmsr(MSR_X2APIC(LAPIC_ISR) + VEC_SELF / 32) >> (VEC_SELF % 32)) & 1, 0);
    expect("SELF IPI reaches this processor only", 0, 0, ICR_FIXED | ICR_SELF | VEC_IPI, 0x1);
}

static void test_aps(void)
{
    unsigned up = smp_start_aps();         /* INIT and SIPIs through MSR 830H */
    t_eq("INIT-SIPI-SIPI through the x2APIC ICR (830H) starts the 3 APs", up, NCPUS - 1);
    if (up != NCPUS - 1)
        return;
    int ok = 1, gp_ok = 1, calls = 0;
    for (unsigned id = 1; id < NCPUS; id++) {
        calls |= smp_call(id, ap_go_x2apic, 0);
        struct ap_x2 *a = &apx[id];
        ok &= a->id == id && a->ldr == (1u << id) && a->ver == xapic_version &&
              (a->base & (APIC_BASE_EN | APIC_BASE_EXTD | APIC_BASE_BSP)) ==
              (APIC_BASE_EN | APIC_BASE_EXTD);
        gp_ok &= a->dfr_gp == 13;
        if (!ok)
            tprintf("# x2apic: AP %u: base 0x%llx ID 0x%x LDR 0x%x version 0x%x\n", id,
                    (unsigned long long)a->base, a->id, a->ldr, a->ver);
    }
    t_eq("every AP switched itself to x2APIC (work done within the timeout)", calls, 0);
    t_check(ok, "APs in x2APIC: EN | EXTD, BSP clear; ID = APIC ID; LDR = 1 << ID; same "
            "version", "see above");
    t_check(gp_ok, "APs in x2APIC: RDMSR DFR raises #GP there too", "mismatch");

    for (unsigned id = 0; id < NCPUS; id++) {
        static const char *names[NCPUS] = {
            "x2APIC ICR: fixed, physical destination 0 (itself)",
            "x2APIC ICR: fixed, physical destination 1",
            "x2APIC ICR: fixed, physical destination 2",
            "x2APIC ICR: fixed, physical destination 3",
        };
        expect(names[id], 0, id, ICR_FIXED | VEC_IPI, 1u << id);
    }
    expect("x2APIC ICR: logical destination 0000000AH (cluster 0, IDs 1 and 3)", 0, 0x0000000a,
           ICR_FIXED | ICR_LOGICAL | VEC_IPI, 0xa);
    expect("x2APIC ICR: logical destination 00010001H (cluster 1: nobody)", 0, 0x00010001,
           ICR_FIXED | ICR_LOGICAL | VEC_IPI, 0);
    expect("x2APIC ICR: physical FFFFFFFFH is a broadcast", 0, 0xffffffffu, ICR_FIXED | VEC_IPI,
           all_mask);
    expect("x2APIC ICR: all excluding self", 0, 0, ICR_FIXED | ICR_OTHERS | VEC_IPI,
           all_mask & ~1u);
    expect("x2APIC ICR: AP 2 -> BSP", 2, 0, ICR_FIXED | VEC_IPI, 0x1);
    expect("x2APIC ICR: AP 3 -> logical 00000006H (IDs 1 and 2)", 3, 0x6,
           ICR_FIXED | ICR_LOGICAL | VEC_IPI, 0x6);
    uint32_t n = smp_cpu[1].nmi_count;
    lapic_send(1, ICR_NMI);
    smp_wait_change(&smp_cpu[1].nmi_count, n, 10000);
    t_eq("x2APIC ICR: NMI to AP 1", smp_cpu[1].nmi_count - n, 1);
}

static volatile uint32_t tn;
static volatile uint64_t ttsc;
static void timer_handler(struct kframe *f)
{
    (void)f;
    ttsc = rdtsc();
    tn++;
    lapic_eoi();
}

static void test_timer(void)
{
    kidt_set(VEC_TIMER, timer_handler);
    wrmsr(MSR_X2APIC(LAPIC_LVT_TIMER), VEC_TIMER);
    wrmsr(MSR_X2APIC(LAPIC_TIMER_DCR), 0xb);
    t_eq("timer MSRs: divide configuration (83EH) reads back", rdmsr(0x83e) & 0xb, 0xb);
    uint64_t t0 = rdtsc();
    wrmsr(MSR_X2APIC(LAPIC_TIMER_ICR), 1000);
    delay_tsc(48000);
    uint32_t cur = (uint32_t)rdmsr(MSR_X2APIC(LAPIC_TIMER_CCR));
    t_check(cur > 0 && cur <= 500, "timer MSRs: current count (839H) halfway ~500", "%u", cur);
    uint64_t end = rdtsc() + us_to_tsc(1000);
    sti();
    while (!tn && rdtsc() < end)
        cpu_relax();
    cli();
    t_check(tn == 1 && ttsc - t0 >= 96000 && ttsc - t0 <= 96000 + TOL_TSC, "timer MSRs: "
            "one-shot 1000 at /1 fires 96,000 TSC cycles after the write", "%u interrupts, "
            "%llu cycles", tn, (unsigned long long)(ttsc - t0));
    t_eq("timer MSRs: initial count (838H) reads 1000", rdmsr(0x838), 1000);
}

static void test_leave(void)
{
    uint64_t base = rdmsr(MSR_APIC_BASE);
    gp("x2APIC -> xAPIC directly (EXTD cleared, EN kept) raises #GP",
       msr_write_safe(MSR_APIC_BASE, base & ~(uint64_t)APIC_BASE_EXTD));
    t_eq("still x2APIC after the refused write", rdmsr(MSR_APIC_BASE), base);
    uint64_t off = base & ~(uint64_t)(APIC_BASE_EN | APIC_BASE_EXTD);
    t_eq("x2APIC -> disabled is allowed", msr_write_safe(MSR_APIC_BASE, off), 0);
    this_cpu()->x2apic = 0;
    uint32_t r[4];
    cpuid(1, 0, r);
    t_eq("disabled: CPUID.1 EDX[9] (APIC) reads 0", (r[3] >> 9) & 1, 0);
    gp("disabled -> x2APIC directly raises #GP",
       msr_write_safe(MSR_APIC_BASE, off | APIC_BASE_EN | APIC_BASE_EXTD));
    t_eq("disabled -> xAPIC is allowed", msr_write_safe(MSR_APIC_BASE, off | APIC_BASE_EN), 0);
    t_eq("xAPIC again: the ID register reads ID << 24", lapic_read(LAPIC_ID), smp_bsp_id << 24);
    t_eq("xAPIC again: SVR at its power-up value FFH (the disable reset the APIC)",
         lapic_read(LAPIC_SVR), 0xff);
    lapic_sw_enable();
}

int main(void)
{
    t_begin("x2apic");
    const char *err = "";
    if (!t_check(smp_init(&err) == 0, "runtime: ACPI tables read, APIC enabled", "%s", err))
        return t_finish();
    t_check(smp_ncpus == NCPUS && smp_bsp_id == 0, "4 processors, the BSP is APIC ID 0",
            "%u processors, BSP %u", smp_ncpus, smp_bsp_id);
    if (smp_ncpus != NCPUS || smp_bsp_id != 0)
        return t_finish();
    for (unsigned k = 0; k < smp_ncpus; k++)
        all_mask |= 1u << smp_apic_ids[k];
    kidt_set(VEC_IPI, smp_count_handler);
    test_enable();
    test_msr_rules();
    test_self_ipi();
    test_aps();
    test_timer();
    test_leave();
    return t_finish();
}
