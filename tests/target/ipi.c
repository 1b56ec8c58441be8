/* ipi.c — inter-processor interrupts between 4 processors, run by tests/target/ipi.cfg
 * (cpus = 4, APIC IDs 0-3 from the MADT, the BSP is ID 0).
 *
 * Expected values (Intel SDM Vol. 3 chapter 10):
 *   - Fixed IPIs (10.6.1, Figure 10-12) reach exactly the processors the destination selects:
 *     physical destination = an APIC ID (10.6.2.1); logical flat model, DFR = FFFFFFFFH, a
 *     processor is selected when dest & LDR[31:24] != 0 (10.6.2.2); logical cluster model,
 *     DFR = 0FFFFFFFH, dest[7:4] = LDR[31:28] and dest[3:0] & LDR[27:24] != 0; 0xFF selects all
 *     in both models; the shorthands self, all including self, all excluding self (10.6.1
 *     "Destination Shorthand").
 *   - The DFR reads its model in bits 31:28 and 1s in bits 27:0; LDR bits 31:24 read back
 *     (Figures 10-13, 10-14).
 *   - Delivery status (ICR bit 12) reads idle once the IPI was sent (10.6.1).
 *   - Lowest priority (10.6.2.4): the processor with the lowest priority (PPR, here the TPR since
 *     nothing is in service) among those selected gets the interrupt. hvsim breaks ties towards
 *     the lowest processor index (docs/APIC.md "Routing on the APIC bus"; the SDM leaves ties to
 *     the focus processor or the chipset, which hvsim does not model), so the winner is known.
 *   - NMI IPIs (delivery mode 100) run the vector-2 handler (6.7), also while the receiver has
 *     IF = 0 (6.8.1: NMIs are not masked by IF).
 *   - INIT (delivery mode 101) puts an AP back into wait-for-SIPI: fixed IPIs are then not
 *     taken (8.4.1, 10.4.7.3); a start-up IPI restarts it at the trampoline with its APIC reset
 *     to the power-up values except the ID (10.4.7.3: SVR = 0FFH, TPR 0, LDR 0, DFR FFFFFFFFH).
 *   - A fixed IPI to oneself: IRR, then ISR while the handler runs, cleared by EOI (10.8.4);
 *     held in the IRR while its priority class is not above the TPR's (10.8.3.1), delivered when
 *     the TPR is lowered.
 *   - A fixed IPI with a vector below 16 is not sent and sets ESR bit 5 "send illegal vector"
 *     (10.5.3, Figure 10-9), read after writing the ESR; the LVT error entry then raises its
 *     vector.
 */
#include "lib/kernel.h"
#include "lib/smp.h"
#include "lib/test.h"

#define NCPUS 4
#define VEC_FIXED 0x50
#define VEC_LOWEST 0x80
#define VEC_SELF 0x60
#define VEC_ERROR 0xfe
#define SETTLE_US 50                       /* after the expected deliveries: 5 scheduler rounds */

static uint32_t all_mask;                  /* bit per APIC ID of the MADT */

/* ---- work the APs do ----------------------------------------------------------------------- */
struct send_args {
    uint32_t dest, icr, icr_after;
};
static void ap_send(void *p)
{
    struct send_args *a = p;
    a->icr_after = lapic_send(a->dest, a->icr);
}

static void ap_set_tpr(void *p)
{
    lapic_write(LAPIC_TPR, (uint32_t)(uintptr_t)p);
}

struct logical {
    uint32_t dfr, ldr;
    uint32_t dfr_read, ldr_read;
};
static struct logical lg[SMP_MAX_CPUS];
static void set_logical(void *p)
{
    struct logical *l = p;
    lapic_write(LAPIC_DFR, l->dfr);
    lapic_write(LAPIC_LDR, l->ldr);
    l->dfr_read = lapic_read(LAPIC_DFR);
    l->ldr_read = lapic_read(LAPIC_LDR);
}

static void on_cpu(uint32_t id, void (*fn)(void *), void *arg)
{
    if (id == smp_bsp_id)
        fn(arg);
    else if (smp_call(id, fn, arg))
        tprintf("# ipi: APIC ID %u did not finish its work\n", id);
}

/* ---- delivery checks --------------------------------------------------------------------- */
static uint32_t snap[SMP_MAX_CPUS];

static void snapshot(unsigned vec)
{
    for (unsigned k = 0; k < smp_ncpus; k++)
        snap[smp_apic_ids[k]] = smp_cpu[smp_apic_ids[k]].irq_count[vec];
}

/* Wait (BSP interrupts on) until every processor in `want` received `vec` once more, then
 * SETTLE_US more; returns the set of processors that received it exactly once (bit 31: some
 * processor received it more than once). */
static uint32_t received(unsigned vec, uint32_t want)
{
    uint64_t end = rdtsc() + us_to_tsc(10000);
    sti();
    for (;;) {
        uint32_t got = 0;
        for (unsigned k = 0; k < smp_ncpus; k++) {
            uint32_t id = smp_apic_ids[k];
            if (smp_cpu[id].irq_count[vec] != snap[id])
                got |= 1u << id;
        }
        if ((got & want) == want || rdtsc() >= end)
            break;
        cpu_relax();
    }
    delay_us(SETTLE_US);
    cli();
    uint32_t got = 0;
    for (unsigned k = 0; k < smp_ncpus; k++) {
        uint32_t id = smp_apic_ids[k];
        uint32_t d = smp_cpu[id].irq_count[vec] - snap[id];
        if (d == 1)
            got |= 1u << id;
        else if (d > 1)
            got |= 1u << 31;
    }
    return got;
}

/* send from processor `from` (the BSP or an AP through its mailbox) and check who received */
static void expect(const char *name, uint32_t from, uint32_t dest, uint32_t icr, uint32_t want)
{
    unsigned vec = icr & 0xff;
    snapshot(vec);
    struct send_args a = { dest, icr, 0 };
    on_cpu(from, ap_send, &a);
    uint32_t got = received(vec, want);
    t_check(got == want, name, "receivers 0x%x, want 0x%x (bit n = APIC ID n, bit 31: "
            "received twice)", got, want);
}

static int icr_idle(void)
{
    uint64_t end = rdtsc() + us_to_tsc(1000);
    while ((lapic_read(LAPIC_ICR_LO) & ICR_BUSY) && rdtsc() < end)
        cpu_relax();
    return !(lapic_read(LAPIC_ICR_LO) & ICR_BUSY);
}

/* ---- the tests ------------------------------------------------------------------------------- */
static void test_physical(void)
{
    static const char *names[NCPUS] = {
        "fixed, physical: BSP -> APIC ID 0 (itself) reaches it only",
        "fixed, physical: BSP -> APIC ID 1 reaches it only",
        "fixed, physical: BSP -> APIC ID 2 reaches it only",
        "fixed, physical: BSP -> APIC ID 3 reaches it only",
    };
    for (unsigned k = 0; k < smp_ncpus; k++) {
        uint32_t id = smp_apic_ids[k];
        snapshot(VEC_FIXED);
        lapic_send(id, ICR_FIXED | VEC_FIXED);
        uint32_t got = received(VEC_FIXED, 1u << id);
        t_check(got == 1u << id, names[id], "receivers 0x%x", got);
    }
    t_check(icr_idle(), "ICR delivery status (bit 12) reads idle after the send", "ICR low 0x%x",
            lapic_read(LAPIC_ICR_LO));
    expect("fixed, physical: AP 1 -> AP 2", 1, 2, ICR_FIXED | VEC_FIXED, 1u << 2);
    expect("fixed, physical: AP 3 -> BSP", 3, 0, ICR_FIXED | VEC_FIXED, 1u << 0);
    expect("fixed, physical: AP 2 -> itself by its ID", 2, 2, ICR_FIXED | VEC_FIXED, 1u << 2);
    expect("fixed, physical: destination 0xFF is a broadcast", 0, 0xff, ICR_FIXED | VEC_FIXED,
           all_mask);
    expect("fixed, physical: a destination no APIC has reaches nobody", 0, 9,
           ICR_FIXED | VEC_FIXED, 0);
}

static void set_all_logical(int cluster)
{
    for (unsigned k = 0; k < smp_ncpus; k++) {
        uint32_t id = smp_apic_ids[k];
        if (cluster)
            lg[id] = (struct logical){ 0x0fffffffu, ((id / 2) << 28 | (1u << (id % 2)) << 24),
                                       0, 0 };
        else
            lg[id] = (struct logical){ 0xffffffffu, (1u << id) << 24, 0, 0 };
        on_cpu(id, set_logical, &lg[id]);
    }
}

static void test_logical(void)
{
    set_all_logical(0);
    int ok = 1;
    for (unsigned k = 0; k < smp_ncpus; k++) {
        uint32_t id = smp_apic_ids[k];
        ok &= lg[id].dfr_read == 0xffffffffu && lg[id].ldr_read == lg[id].ldr;
    }
    t_check(ok, "logical flat: DFR reads FFFFFFFFH, LDR[31:24] reads back on every processor",
            "mismatch");
    expect("logical flat: dest 0x0A reaches APIC IDs 1 and 3", 0, 0x0a,
           ICR_FIXED | ICR_LOGICAL | VEC_FIXED, 0xa);
    expect("logical flat: dest 0x05 from AP 3 reaches IDs 0 and 2", 3, 0x05,
           ICR_FIXED | ICR_LOGICAL | VEC_FIXED, 0x5);
    expect("logical flat: dest 0x0F reaches all four", 0, 0x0f,
           ICR_FIXED | ICR_LOGICAL | VEC_FIXED, 0xf);
    expect("logical flat: dest 0x00 reaches nobody", 0, 0x00,
           ICR_FIXED | ICR_LOGICAL | VEC_FIXED, 0);

    /* cluster model: ID n in cluster n/2, member bit n%2 */
    set_all_logical(1);
    ok = 1;
    for (unsigned k = 0; k < smp_ncpus; k++) {
        uint32_t id = smp_apic_ids[k];
        ok &= lg[id].dfr_read == 0x0fffffffu && lg[id].ldr_read == lg[id].ldr;
    }
    t_check(ok, "logical cluster: DFR reads 0FFFFFFFH, LDR reads back", "mismatch");
    expect("logical cluster: dest 0x01 (cluster 0, member 0) reaches ID 0", 2, 0x01,
           ICR_FIXED | ICR_LOGICAL | VEC_FIXED, 0x1);
    expect("logical cluster: dest 0x12 (cluster 1, member 1) reaches ID 3", 0, 0x12,
           ICR_FIXED | ICR_LOGICAL | VEC_FIXED, 0x8);
    expect("logical cluster: dest 0x13 (cluster 1, both) reaches IDs 2 and 3", 0, 0x13,
           ICR_FIXED | ICR_LOGICAL | VEC_FIXED, 0xc);
    expect("logical cluster: dest 0x22 (cluster 2: nobody) reaches nobody", 0, 0x22,
           ICR_FIXED | ICR_LOGICAL | VEC_FIXED, 0);
    expect("logical cluster: dest 0xFF reaches all four", 1, 0xff,
           ICR_FIXED | ICR_LOGICAL | VEC_FIXED, 0xf);
    set_all_logical(0);
}

static void test_shorthands(void)
{
    expect("shorthand self (BSP)", 0, 0, ICR_FIXED | ICR_SELF | VEC_FIXED, 0x1);
    expect("shorthand all including self (BSP)", 0, 0, ICR_FIXED | ICR_ALL | VEC_FIXED, 0xf);
    expect("shorthand all excluding self (BSP)", 0, 0, ICR_FIXED | ICR_OTHERS | VEC_FIXED, 0xe);
    expect("shorthand self (AP 2)", 2, 0, ICR_FIXED | ICR_SELF | VEC_FIXED, 0x4);
    expect("shorthand all including self (AP 2)", 2, 0, ICR_FIXED | ICR_ALL | VEC_FIXED, 0xf);
    expect("shorthand all excluding self (AP 2)", 2, 0, ICR_FIXED | ICR_OTHERS | VEC_FIXED, 0xb);
    expect("shorthand self ignores the destination field", 0, 3,
           ICR_FIXED | ICR_SELF | VEC_FIXED, 0x1);
}

static void set_tprs(uint32_t t0, uint32_t t1, uint32_t t2, uint32_t t3)
{
    uint32_t t[4] = { t0, t1, t2, t3 };
    for (unsigned id = 0; id < NCPUS; id++)
        on_cpu(id, ap_set_tpr, (void *)(uintptr_t)t[id]);
}

static void test_lowest(void)
{
    set_tprs(0x40, 0x20, 0x10, 0x30);
    expect("lowest priority: TPRs 40H/20H/10H/30H, dest all: ID 2 (lowest TPR) takes it", 0,
           0x0f, ICR_LOWEST | ICR_LOGICAL | VEC_LOWEST, 0x4);
    expect("lowest priority: dest IDs 0 and 3: ID 3 (30H < 40H) takes it", 1, 0x09,
           ICR_LOWEST | ICR_LOGICAL | VEC_LOWEST, 0x8);
    set_tprs(0x40, 0x10, 0x10, 0x30);
    expect("lowest priority: tie 10H between IDs 1 and 2: ID 1 (lowest index) takes it", 0,
           0x0f, ICR_LOWEST | ICR_LOGICAL | VEC_LOWEST, 0x2);
    expect("lowest priority: physical broadcast 0xFF, same TPRs: ID 1", 3, 0xff,
           ICR_LOWEST | VEC_LOWEST, 0x2);
    set_tprs(0, 0, 0, 0);
}

static void test_nmi(void)
{
    uint32_t n1 = smp_cpu[1].nmi_count;
    struct send_args a = { 1, ICR_NMI, 0 };
    ap_send(&a);
    smp_wait_change(&smp_cpu[1].nmi_count, n1, 10000);
    delay_us(SETTLE_US);
    t_check(smp_cpu[1].nmi_count == n1 + 1 && smp_cpu[1].last_vector == 2,
            "NMI IPI: BSP -> AP 1 runs its vector-2 handler once", "NMIs %u, last vector %u",
            smp_cpu[1].nmi_count - n1, smp_cpu[1].last_vector);

    /* AP 3 -> BSP while the BSP spins with IF = 0 */
    uint32_t n0 = smp_cpu[0].nmi_count;
    struct send_args b = { 0, ICR_NMI, 0 };
    smp_post(3, ap_send, &b);
    uint64_t end = rdtsc() + us_to_tsc(10000);
    cli();
    while (smp_cpu[0].nmi_count == n0 && rdtsc() < end)
        cpu_relax();
    uint32_t if_flag = (uint32_t)(read_flags() & X86_FL_IF);
    smp_wait(3);
    t_check(smp_cpu[0].nmi_count == n0 + 1 && if_flag == 0,
            "NMI IPI: AP 3 -> BSP is taken while the BSP has IF = 0", "NMIs %u, IF %u",
            smp_cpu[0].nmi_count - n0, if_flag != 0);
    expect("NMI IPI: not counted as a fixed interrupt anywhere (vector field ignored)", 0, 2,
           ICR_NMI | VEC_FIXED, 0);
    delay_us(SETTLE_US);
}

static void test_init_sipi(void)
{
    const uint32_t id = 3;
    on_cpu(id, ap_set_tpr, (void *)(uintptr_t)0x20);
    lg[id] = (struct logical){ 0xffffffffu, (1u << id) << 24, 0, 0 };
    on_cpu(id, set_logical, &lg[id]);
    uint32_t starts = smp_cpu[id].starts, tramp = ap_tramp_rec(id)->count;
    smp_cpu[id].alive = 0;
    lapic_send(id, ICR_INIT | ICR_ASSERT);
    delay_us(1000);
    expect("INIT: an AP waiting for SIPI takes no fixed IPI", 0, id, ICR_FIXED | VEC_FIXED, 0);
    uint32_t n = smp_cpu[id].nmi_count;
    lapic_send(id, ICR_NMI);
    delay_us(SETTLE_US);
    t_eq("INIT: an AP waiting for SIPI takes no NMI", smp_cpu[id].nmi_count, n);
    lapic_send(id, ICR_STARTUP | SMP_SIPI_VECTOR);
    uint64_t end = rdtsc() + us_to_tsc(10000);
    while (!smp_cpu[id].alive && rdtsc() < end)
        cpu_relax();
    t_check(smp_cpu[id].alive && smp_cpu[id].starts == starts + 1 &&
            ap_tramp_rec(id)->count == tramp + 1, "INIT then SIPI restarts the AP at the "
            "trampoline", "alive %u, C entries +%u, trampoline runs +%u", smp_cpu[id].alive,
            smp_cpu[id].starts - starts, ap_tramp_rec(id)->count - tramp);
    struct percpu *c = &smp_cpu[id];
    t_check(c->svr_at_start == 0xff && c->tpr_at_start == 0 && c->ldr_at_start == 0 &&
            c->dfr_at_start == 0xffffffffu && c->apic_id_reg >> 24 == id,
            "INIT reset the AP's APIC: SVR FFH, TPR 0, LDR 0, DFR FFFFFFFFH, ID kept",
            "SVR 0x%x TPR 0x%x LDR 0x%x DFR 0x%x ID reg 0x%x", c->svr_at_start,
            c->tpr_at_start, c->ldr_at_start, c->dfr_at_start, c->apic_id_reg);
    t_eq("INIT then SIPI: the AP's trampoline ran again at CS 0800H", ap_tramp_rec(id)->cs,
         0x0800);
    expect("INIT then SIPI: the restarted AP takes fixed IPIs again", 0, id,
           ICR_FIXED | VEC_FIXED, 1u << id);
}

static volatile uint32_t self_isr, self_irr_in_handler, self_count;
static void self_handler(struct kframe *f)
{
    (void)f;
    self_isr = (lapic_read(LAPIC_ISR + 0x10 * (VEC_SELF / 32)) >> (VEC_SELF % 32)) & 1;
    self_irr_in_handler = (lapic_read(LAPIC_IRR + 0x10 * (VEC_SELF / 32)) >> (VEC_SELF % 32)) & 1;
    self_count++;
    lapic_eoi();
}

static void test_self_priority(void)
{
    kidt_set(VEC_SELF, self_handler);
    lapic_write(LAPIC_TPR, 0x70);          /* class 7 >= the vector's class 6: held */
    t_eq("PPR = TPR with nothing in service", lapic_read(LAPIC_PPR), 0x70);
    sti();
    lapic_send(0, ICR_FIXED | ICR_SELF | VEC_SELF);
    delay_us(20);
    cli();
    uint32_t irr = (lapic_read(LAPIC_IRR + 0x10 * (VEC_SELF / 32)) >> (VEC_SELF % 32)) & 1;
    t_check(self_count == 0 && irr == 1, "self-IPI of class 6 with TPR 70H waits in the IRR",
            "taken %u, IRR bit %u", self_count, irr);
    sti();
    lapic_write(LAPIC_TPR, 0x50);
    delay_us(5);
    cli();
    t_eq("self-IPI is taken when the TPR drops below its class", self_count, 1);
    t_check(self_isr == 1 && self_irr_in_handler == 0, "self-IPI: ISR bit set, IRR bit clear in "
            "the handler", "ISR %u IRR %u", self_isr, self_irr_in_handler);
    uint32_t isr = (lapic_read(LAPIC_ISR + 0x10 * (VEC_SELF / 32)) >> (VEC_SELF % 32)) & 1;
    t_eq("self-IPI: EOI cleared the ISR bit", isr, 0);
    lapic_write(LAPIC_TPR, 0);
}

static void test_esr(void)
{
    kidt_set(VEC_ERROR, smp_count_handler);
    lapic_write(LAPIC_LVT_ERROR, VEC_ERROR);
    lapic_write(LAPIC_ESR, 0);
    lapic_write(LAPIC_ESR, 0);             /* 10.5.3: write, then read */
    uint32_t esr0 = lapic_read(LAPIC_ESR);
    t_eq("ESR reads 0 before any error", esr0, 0);
    uint32_t e0 = smp_cpu[0].irq_count[VEC_ERROR];
    snapshot(5);
    sti();
    lapic_send(1, ICR_FIXED | 5);
    delay_us(SETTLE_US);
    cli();
    uint32_t got = received(5, 0);
    lapic_write(LAPIC_ESR, 0);
    uint32_t esr = lapic_read(LAPIC_ESR);
    t_eq("illegal vector 5: nobody receives it", got, 0);
    t_eq("illegal vector 5: ESR bit 5 (send illegal vector)", esr & 0x20, 0x20);
    t_eq("illegal vector 5: the LVT error entry raised its vector once",
         smp_cpu[0].irq_count[VEC_ERROR] - e0, 1);
    lapic_write(LAPIC_ESR, 0);
    t_eq("ESR: a second write-then-read reads 0 again", lapic_read(LAPIC_ESR), 0);
    lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
}

int main(void)
{
    t_begin("ipi");
    const char *err = "";
    if (!t_check(smp_init(&err) == 0, "runtime: ACPI tables read, APIC enabled", "%s", err))
        return t_finish();
    t_check(smp_ncpus == NCPUS && smp_bsp_id == 0, "4 processors, the BSP is APIC ID 0",
            "%u processors, BSP %u", smp_ncpus, smp_bsp_id);
    for (unsigned k = 0; k < smp_ncpus; k++) {
        if (smp_apic_ids[k] >= NCPUS)
            return t_check(0, "APIC IDs 0-3", "ID %u", smp_apic_ids[k]), t_finish();
        all_mask |= 1u << smp_apic_ids[k];
    }
    kidt_set(VEC_FIXED, smp_count_handler);
    kidt_set(VEC_LOWEST, smp_count_handler);
    kidt_set(5, smp_count_handler);         /* would count a wrongly delivered vector 5 */
    t_eq("all APs started", smp_start_aps(), NCPUS - 1);
    if (smp_ncpus != NCPUS)
        return t_finish();
    test_physical();
    test_logical();
    test_shorthands();
    test_lowest();
    test_nmi();
    test_self_priority();
    test_esr();
    test_init_sipi();
    return t_finish();
}
