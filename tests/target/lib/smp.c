/* smp.c — the multiprocessor runtime of the test kernels (see smp.h for the API, the sources and
 * the invariants). SDM Vol. 3 section numbers beside each step. */
#include "smp.h"

#include "desc.h"
#include "kacpi.h"
#include "test.h"

struct percpu smp_cpu[SMP_MAX_CPUS];
unsigned smp_ncpus;
uint32_t smp_apic_ids[SMP_MAX_CPUS];
uint32_t smp_bsp_id;
uint32_t smp_lapic_mmio = 0xfee00000u;
uint64_t smp_tsc_hz;
struct kacpi smp_acpi;
volatile uint32_t kfix_last_error;

static uint64_t gdt[3 + SMP_MAX_CPUS] __attribute__((aligned(8)));
static struct dtr_ptr gdtr, idtr;
static uint8_t ap_stacks[SMP_MAX_CPUS][SMP_STACK_SIZE] __attribute__((aligned(16)));
static volatile uint32_t console_lock;

extern char ap_tramp_start[], ap_tramp_end[], ap_tramp_recs[];
extern uint32_t ap_tramp_stacks, ap_tramp_entry;
extern char kfix_rd_insn[], kfix_rd_resume[], kfix_wr_insn[], kfix_wr_resume[];

/* the address in the copy at SMP_TRAMP_BASE of a trampoline symbol */
static void *tramp_copy(const void *sym)
{
    return phys_ptr(SMP_TRAMP_BASE + (uint32_t)((const char *)sym - ap_tramp_start));
}

const volatile struct ap_tramp_rec *ap_tramp_rec(uint32_t apic_id)
{
    return (const volatile struct ap_tramp_rec *)tramp_copy(ap_tramp_recs) + apic_id;
}

/* ---- time ---------------------------------------------------------------------------------- */
uint64_t us_to_tsc(uint64_t us)
{
    return udiv64(smp_tsc_hz * us, 1000000, 0);
}

void delay_tsc(uint64_t cycles)
{
    uint64_t end = rdtsc() + cycles;
    while (rdtsc() < end)
        cpu_relax();
}

void delay_us(uint64_t us)
{
    delay_tsc(us_to_tsc(us));
}

/* ---- local APIC ------------------------------------------------------------------------------ */
uint32_t lapic_read(unsigned reg)
{
    if (this_cpu()->x2apic)
        return (uint32_t)rdmsr(MSR_X2APIC(reg));
    return *(volatile uint32_t *)phys_ptr(smp_lapic_mmio + reg);
}

void lapic_write(unsigned reg, uint32_t v)
{
    if (this_cpu()->x2apic)
        wrmsr(MSR_X2APIC(reg), v);
    else
        *(volatile uint32_t *)phys_ptr(smp_lapic_mmio + reg) = v;
}

void lapic_eoi(void)
{
    lapic_write(LAPIC_EOI, 0);
}

uint32_t lapic_send(uint32_t dest, uint32_t icr_lo)
{
    if (this_cpu()->x2apic) {              /* 10.12.9: one 64-bit write, dest in 63:32 */
        wrmsr(MSR_X2APIC_ICR, (uint64_t)dest << 32 | icr_lo);
        return (uint32_t)rdmsr(MSR_X2APIC_ICR);
    }
    lapic_write(LAPIC_ICR_HI, dest << 24); /* 10.6.1: the low write sends */
    lapic_write(LAPIC_ICR_LO, icr_lo);
    return lapic_read(LAPIC_ICR_LO);
}

void lapic_enable_x2apic(void)
{
    uint64_t b = rdmsr(MSR_APIC_BASE);
    wrmsr(MSR_APIC_BASE, b | APIC_BASE_EN | APIC_BASE_EXTD);
    this_cpu()->x2apic = 1;
}

void lapic_sw_enable(void)
{
    lapic_write(LAPIC_SVR, SVR_ENABLE | SMP_SPURIOUS_VECTOR);     /* 10.9 */
    lapic_write(LAPIC_TPR, 0);
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
    lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
    lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
    if (this_cpu()->apic_id != smp_bsp_id)
        lapic_write(LAPIC_LVT_LINT1, LVT_MASKED);
}

/* ---- interrupt handlers ------------------------------------------------------------------ */
void smp_count_handler(struct kframe *f)
{
    struct percpu *c = this_cpu();
    c->last_tsc = rdtsc();
    c->last_vector = f->vector;
    c->irq_count[f->vector & 255]++;
    lapic_eoi();
}

void smp_nmi_handler(struct kframe *f)
{
    struct percpu *c = this_cpu();
    c->last_tsc = rdtsc();
    c->last_vector = f->vector;
    c->nmi_count++;
}

static void wake_handler(struct kframe *f)
{
    this_cpu()->irq_count[f->vector & 255]++;
    lapic_eoi();
}

static void spurious_handler(struct kframe *f)
{
    this_cpu()->irq_count[f->vector & 255]++;           /* 10.9: no EOI for the spurious vector */
}

/* #GP and #UD: resume after a kfix instruction (kfix.S), else report as kidt.c does. */
static void kfix_trap(struct kframe *f)
{
    uint32_t eip = f->eip;
    if (eip == (uint32_t)(uintptr_t)kfix_rd_insn)
        f->eip = (uint32_t)(uintptr_t)kfix_rd_resume;
    else if (eip == (uint32_t)(uintptr_t)kfix_wr_insn)
        f->eip = (uint32_t)(uintptr_t)kfix_wr_resume;
    else {
        tconsole_set(0);
        t_check(0, "no unexpected exception", "vector %u, error code 0x%x, at CS:EIP %x:%x on "
                "APIC ID %u", f->vector, f->error, f->cs, f->eip, this_cpu()->apic_id);
        t_finish();
        target_exit(2);
    }
    kfix_last_error = f->error;
    f->ebx = f->vector;
}

int smp_wait_change(const volatile uint32_t *p, uint32_t old, uint32_t timeout_us)
{
    uint64_t end = rdtsc() + us_to_tsc(timeout_us);
    sti();
    while (*p == old && rdtsc() < end)
        cpu_relax();
    cli();
    return *p == old ? -1 : 0;
}

/* ---- console lock: one line at a time -------------------------------------------------------- */
static void smp_putc(char c)
{
    uint32_t me = this_cpu()->apic_id + 1;
    if (console_lock != me)
        for (unsigned n = 0; atomic_cmpxchg(&console_lock, 0, me) != 0; n++)
            if (n > 10000000) {                /* a holder that never ends its line */
                console_lock = me;
                break;
            }
    com1_putc(c);
    if (c == '\n')
        __atomic_store_n(&console_lock, 0, __ATOMIC_RELEASE);
}

void spin_lock(volatile uint32_t *l)
{
    while (atomic_cmpxchg(l, 0, 1) != 0)
        while (*l)
            cpu_relax();
}

void spin_unlock(volatile uint32_t *l)
{
    __atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

int smp_barrier_wait(struct smp_barrier *b, unsigned n)
{
    uint32_t gen = b->gen;
    if (atomic_xadd(&b->count, 1) + 1 == n) {
        b->count = 0;
        __atomic_store_n(&b->gen, gen + 1, __ATOMIC_RELEASE);
        return 0;
    }
    uint64_t end = rdtsc() + us_to_tsc(SMP_TIMEOUT_US);
    while (b->gen == gen)
        if (rdtsc() >= end)
            return -1;
        else
            cpu_relax();
    return 0;
}

/* ---- segments ------------------------------------------------------------------------------- */
static void load_segments(uint32_t apic_id)
{
    lgdt(&gdtr);
    __asm__ volatile("ljmp %0, $1f\n1:\n\t"
                     "mov %1, %%ds\n\tmov %1, %%es\n\tmov %1, %%ss\n\tmov %1, %%fs\n\t"
                     "mov %2, %%gs"
                     :: "i"(SEL_CODE), "r"(SEL_DATA), "r"(SEL_PERCPU(apic_id)) : "memory");
}

static uint32_t cpuid_apic_id(void)
{
    uint32_t r[4];
    cpuid(1, 0, r);
    return r[1] >> 24;
}

/* ---- application processors ------------------------------------------------------------------ */
void smp_idle(void)
{
    struct percpu *c = this_cpu();
    for (;;) {
        cli();
        void (*fn)(void *) = c->fn;
        if (fn) {
            fn(c->arg);
            c->fn = 0;
            atomic_xadd(&c->done, 1);
            continue;
        }
        sti_hlt();                         /* the STI shadow: an IPI sent after the check wakes it */
    }
}

__attribute__((noreturn, used)) void smp_ap_entry(uint32_t apic_id);
__attribute__((noreturn, used)) void smp_ap_entry(uint32_t apic_id)
{
    load_segments(apic_id);
    lidt(&idtr);
    struct percpu *c = &smp_cpu[apic_id];
    c->apic_base_msr = rdmsr(MSR_APIC_BASE);
    c->x2apic = (c->apic_base_msr & APIC_BASE_EXTD) != 0;
    uint32_t r[4];
    cpuid(1, 0, r);
    c->cpuid_apic_id = r[1] >> 24;
    cpuid(0xb, 0, r);
    c->cpuid_x2apic_id = r[3];
    c->apic_id_reg = lapic_read(LAPIC_ID);
    c->svr_at_start = lapic_read(LAPIC_SVR);
    c->tpr_at_start = lapic_read(LAPIC_TPR);
    c->ldr_at_start = lapic_read(LAPIC_LDR);
    c->dfr_at_start = c->x2apic ? 0 : lapic_read(LAPIC_DFR);   /* no DFR in x2APIC mode */
    lapic_sw_enable();
    c->fn = 0;
    atomic_xadd(&c->starts, 1);
    __atomic_store_n(&c->alive, 1, __ATOMIC_RELEASE);
    smp_idle();
}

int smp_start_ap(uint32_t id)
{
    if (id >= SMP_MAX_CPUS)
        return -1;
    struct percpu *c = &smp_cpu[id];
    c->alive = 0;
    lapic_send(id, ICR_INIT | ICR_ASSERT);              /* 8.4.4.1: INIT IPI */
    delay_us(10000);                                    /* 10 ms */
    lapic_send(id, ICR_STARTUP | SMP_SIPI_VECTOR);      /* start-up IPI */
    delay_us(200);
    lapic_send(id, ICR_STARTUP | SMP_SIPI_VECTOR);      /* second start-up IPI */
    delay_us(200);
    uint64_t end = rdtsc() + us_to_tsc(SMP_TIMEOUT_US);
    while (!c->alive && rdtsc() < end)
        cpu_relax();
    return c->alive ? 0 : -1;
}

unsigned smp_start_aps(void)
{
    unsigned up = 0;
    for (unsigned k = 0; k < smp_ncpus; k++)
        if (smp_apic_ids[k] != smp_bsp_id && smp_start_ap(smp_apic_ids[k]) == 0)
            up++;
    return up;
}

void smp_post(uint32_t id, void (*fn)(void *), void *arg)
{
    struct percpu *c = &smp_cpu[id];
    c->arg = arg;
    __atomic_store_n(&c->fn, fn, __ATOMIC_RELEASE);
    lapic_send(id, ICR_FIXED | SMP_WAKE_VECTOR);
}

int smp_wait(uint32_t id)
{
    struct percpu *c = &smp_cpu[id];
    uint64_t end = rdtsc() + us_to_tsc(SMP_TIMEOUT_US);
    while (c->fn && rdtsc() < end)
        cpu_relax();
    return c->fn ? -1 : 0;
}

int smp_call(uint32_t id, void (*fn)(void *), void *arg)
{
    smp_post(id, fn, arg);
    return smp_wait(id);
}

/* ---- set-up on the BSP ----------------------------------------------------------------------- */
int smp_init(const char **err)
{
    struct kacpi *acpi = &smp_acpi;
    smp_tsc_hz = tsc_hz();
    uint32_t bsp = cpuid_apic_id();
    if (bsp >= SMP_MAX_CPUS)
        return *err = "the BSP's APIC ID is not below SMP_MAX_CPUS", -1;
    smp_bsp_id = bsp;

    /* GDT: null, flat code, flat data, one per-CPU data segment each (SDM 3.4.5) */
    gdt[1] = seg_desc(0, 0xfffff, DA_P | DA_S | DA_CODE_XR, DF_G | DF_DB);
    gdt[2] = seg_desc(0, 0xfffff, DA_P | DA_S | DA_DATA_RW, DF_G | DF_DB);
    for (unsigned k = 0; k < SMP_MAX_CPUS; k++) {
        smp_cpu[k].self = &smp_cpu[k];
        smp_cpu[k].apic_id = k;
        gdt[3 + k] = seg_desc((uint32_t)(uintptr_t)&smp_cpu[k], sizeof smp_cpu[k] - 1,
                              DA_P | DA_S | DA_DATA_RW, DF_DB);
    }
    gdtr = (struct dtr_ptr){ sizeof gdt - 1, (unsigned long)(uintptr_t)gdt };
    load_segments(bsp);
    kidt_init();
    __asm__ volatile("sidt %0" : "=m"(idtr));
    kidt_set(2, smp_nmi_handler);
    kidt_set(6, kfix_trap);
    kidt_set(13, kfix_trap);
    kidt_set(SMP_WAKE_VECTOR, wake_handler);
    kidt_set(SMP_SPURIOUS_VECTOR, spurious_handler);
    tconsole_set(smp_putc);

    pic_init(0x20, 0x28, 0xffff);          /* the 8259A pair: initialised, every IRQ masked */
    uint64_t base = rdmsr(MSR_APIC_BASE);
    smp_lapic_mmio = (uint32_t)base & 0xfffff000u;
    smp_cpu[bsp].x2apic = (base & APIC_BASE_EXTD) != 0;
    smp_cpu[bsp].apic_base_msr = base;
    lapic_sw_enable();

    /* the trampoline and what it needs */
    memcpy(phys_ptr(SMP_TRAMP_BASE), ap_tramp_start, (size_t)(ap_tramp_end - ap_tramp_start));
    *(volatile uint32_t *)tramp_copy(&ap_tramp_stacks) = (uint32_t)(uintptr_t)ap_stacks;
    *(volatile uint32_t *)tramp_copy(&ap_tramp_entry) = (uint32_t)(uintptr_t)smp_ap_entry;

    if (kacpi_read(acpi, err))
        return -1;
    smp_ncpus = 0;
    for (unsigned k = 0; k < acpi->ncpus && k < SMP_MAX_CPUS; k++) {
        if (acpi->apic_id[k] >= SMP_MAX_CPUS)
            return *err = "a MADT APIC ID is not below SMP_MAX_CPUS", -1;
        smp_apic_ids[smp_ncpus++] = acpi->apic_id[k];
    }
    return 0;
}
