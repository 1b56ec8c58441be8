/* smp.c — VP 0 of the root starts the root's other VPs and proves each one runs (sequence and
 * invariants: smp.h; TLFS 7.8.1 HvCallStartVirtualProcessor; SDM Vol. 3 11.6.1 the ICR, 11.8.5
 * EOI, 11.4.7 the SVR). */
#include "partitions/root/smp.h"

#include "krt/krt.h"
#include "partitions/lib/kcon.h"
#include "partitions/lib/winhv.h"
#include "partitions/root/pm.h"
#include "partitions/root/smp_plan.h"

#define APIC_BASE    0xFEE00000u        /* the root maps it identity (entry.S) */
#define APIC_ID      0x020
#define APIC_SVR     0x0F0
#define APIC_ICR_LO  0x300
#define APIC_ICR_HI  0x310
#define APIC_SVR_ON  0x1FFu             /* software enable, spurious vector FFH */
#define PAT_POWER_UP 0x0007040600070406ull  /* the root never changes its PAT (SDM 13.12.4) */
#define IA32_EFER    0xC0000080u        /* VP 0's: LME, and LMA since paging is on */

void root_idt_load(void);
void root_idt_set_gate(unsigned v, const void *handler);
void root_ap_main(void);
void root_smp_ipi(void);
extern const uint8_t root_ap_entry[], root_smp_ipi_stub[];

static uint8_t root_ap_stack[WINHV_MAX_VPS - 1][ROOT_AP_STACK] __attribute__((aligned(16)));

/* VP k's record: written by VP k (online last, with release), read by VP 0. */
static struct {
    uint32_t online;
    int32_t vp_index;                   /* what winhv_init_vp read (HV_X64_MSR_VP_INDEX) */
    uint32_t apic_id;                   /* its xAPIC ID register, bits 31:24 */
    uint32_t ipis;                      /* ROOT_SMP_VECTOR interrupts taken */
} root_vp[WINHV_MAX_VPS];

static uint32_t apic_rd(uint32_t off)
{
    return *(volatile uint32_t *)(uintptr_t)(APIC_BASE + off);
}
static void apic_wr(uint32_t off, uint32_t v)
{
    *(volatile uint32_t *)(uintptr_t)(APIC_BASE + off) = v;
}

/* ROOT_SMP_VECTOR (from root_smp_ipi_stub, interrupts off): count on this VP, EOI through
 * HV_X64_MSR_EOI (TLFS "Virtual Interrupt Controller"; the same as the EOI register, SDM Vol. 3
 * 11.8.5, without decoding a MOV: this handler only runs under the hypervisor). */
void root_smp_ipi(void)
{
    __atomic_add_fetch(&root_vp[winhv_self_vp()].ipis, 1, __ATOMIC_RELEASE);
    wrmsr(HV_X64_MSR_EOI, 0);
}

void root_ap_main(void)
{
    volatile char here = 0;
    uint64_t j = ((uintptr_t)&here - (uintptr_t)root_ap_stack) / ROOT_AP_STACK;
    root_idt_load();
    apic_wr(APIC_SVR, APIC_SVR_ON);
    int k = winhv_init_vp(root_ap_stack[j], root_ap_stack[j] + ROOT_AP_STACK);
    if (k > 0)
        pm_synic_init((uint32_t)k);     /* its own SynIC: its LP's intercepts come here */
    root_vp[j + 1].vp_index = k;
    root_vp[j + 1].apic_id = apic_rd(APIC_ID) >> 24;
    __atomic_store_n(&root_vp[j + 1].online, 1, __ATOMIC_RELEASE);
    pm_ap_loop();                       /* interrupts off until its HLT */
}

/* Spin until *p >= want or ROOT_SMP_TIMEOUT of reference time passed. */
static bool wait_for(const uint32_t *p, uint32_t want)
{
    uint64_t end = rdmsr(HV_X64_MSR_TIME_REF_COUNT) + ROOT_SMP_TIMEOUT;
    for (;;) {
        for (unsigned i = 0; i < 256; i++) {
            if (__atomic_load_n(p, __ATOMIC_ACQUIRE) >= want)
                return true;
            cpu_pause();
        }
        if (rdmsr(HV_X64_MSR_TIME_REF_COUNT) >= end)
            return __atomic_load_n(p, __ATOMIC_ACQUIRE) >= want;
    }
}

static void read_state(struct smp_root_state *s)
{
    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } g, i;
    uint16_t cs, ds;
    __asm__ volatile("sgdt %0; sidt %1; mov %%cs, %2; mov %%ds, %3"
                     : "=m"(g), "=m"(i), "=r"(cs), "=r"(ds));
    *s = (struct smp_root_state){ .cr0 = read_cr0(), .cr3 = read_cr3(), .cr4 = read_cr4(),
                                  .efer = rdmsr(IA32_EFER), .pat = PAT_POWER_UP,
                                  .gdt_base = g.base, .gdt_limit = g.limit,
                                  .idt_base = i.base, .idt_limit = i.limit,
                                  .code_sel = cs, .data_sel = ds };
}

static bool start_one(const struct smp_root_state *s, uint32_t k, uint32_t apic)
{
    struct hv_initial_vp_context ctx;
    smp_root_ap_context(s, (uint64_t)(uintptr_t)root_ap_entry,
                        (uint64_t)(uintptr_t)(root_ap_stack[k - 1] + ROOT_AP_STACK), &ctx);
    uint16_t st = winhv_start_vp(HV_PARTITION_ID_SELF, k, &ctx);
    if (st != HV_STATUS_SUCCESS) {
        kcon_printf("root: VP %u: StartVirtualProcessor failed: %s (0x%x)\n", k,
                    winhv_status_name(st), st);
        return false;
    }
    if (!wait_for(&root_vp[k].online, 1)) {
        kcon_printf("root: VP %u (APIC ID %u) did not report in within 1 s\n", k, apic);
        return false;
    }
    if (root_vp[k].vp_index != (int32_t)k || root_vp[k].apic_id != apic) {
        kcon_printf("root: VP %u reports VP index %d, APIC ID %u (expected %u, %u)\n", k,
                    root_vp[k].vp_index, root_vp[k].apic_id, k, apic);
        return false;
    }
    apic_wr(APIC_ICR_HI, apic << 24);
    apic_wr(APIC_ICR_LO, smp_icr_fixed(ROOT_SMP_VECTOR));
    if (!wait_for(&root_vp[k].ipis, 1)) {
        kcon_printf("root: VP %u (APIC ID %u) did not take IPI 0x%x within 1 s\n", k, apic,
                    ROOT_SMP_VECTOR);
        return false;
    }
    kcon_printf("root: VP %u online (APIC ID %u)\n", k, apic);
    if (!pm_synic_ready(k))
        kcon_printf("root: VP %u: its SynIC was not enabled: intercepts on LP %u go to VP 0\n",
                    k, k);
    return true;
}

uint32_t root_smp_start(acpi_map_fn map)
{
    apic_wr(APIC_SVR, APIC_SVR_ON);
    uint32_t bsp = apic_rd(APIC_ID) >> 24, len = 0, ids[WINHV_MAX_VPS];
    char err[96];
    const uint8_t *madt = acpi_find_table(map, 0, 0, "APIC", &len, err, sizeof err);
    int more = 0;
    int n = madt ? smp_madt_apic_ids(madt, len, bsp, ids, WINHV_MAX_VPS, &more, err, sizeof err)
                 : -1;
    if (n < 0) {
        kcon_printf("root: %s: only VP 0 runs\n", err);
        return 1;
    }
    if (more)
        kcon_printf("root: the MADT lists more than %u processors: VPs %u.. are not started\n",
                    WINHV_MAX_VPS, WINHV_MAX_VPS);
    root_idt_set_gate(ROOT_SMP_VECTOR, root_smp_ipi_stub);
    struct smp_root_state s;
    read_state(&s);
    uint32_t online = 1;
    for (uint32_t k = 1; k < (uint32_t)n; k++)
        online += start_one(&s, k, ids[k]);
    kcon_printf("root: %u of %d VPs online\n", online, n);
    return online;
}
