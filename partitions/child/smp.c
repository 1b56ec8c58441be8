/* smp.c — the child's VPs other than VP 0, and the `smp` workload (docs/HYPERVISOR.md "The
 * scenario", "Child memory layout").
 *
 * Start-up: the root starts every VP (entry.S: RSI = VP index). VP 0, once its hypercall page
 * works (winhv_init), calls child_smp_boot: the CHILD_SMP_VECTOR gate goes into the shared IDT,
 * `hv_ready` is set (release) and every other VP gets CHILD_SMP_VECTOR through
 * HvCallSendSyntheticClusterIpi. VP k (child_ap_main): hypervisor check, the IDT (child_idt_init
 * loads the one IDT), its local APIC (child_apic_init, apic.c), then `sti; hlt`
 * until hv_ready (its APIC is enabled before it looks, so the wake-up IPI is never lost),
 * winhv_init_vp on its stack (HV_X64_MSR_VP_INDEX must equal RSI; CPUID.1:EBX[31:24], the
 * initial APIC ID the hypervisor gives a child VP, is recorded and checked too), then its part of
 * the workload: with `smp`, the sum of the primes of its share (smp_sum.h). It stores its
 * result, sets `done` (release), sends CHILD_SMP_VECTOR to VP 0 and halts with interrupts off
 * for good.
 *
 * VP 0's `smp` workload: its own share, then `sti; hlt` until every VP's `done` is set (the
 * IPIs end the HLTs; no spinning), the total printed and checked against SMP_SUM_PRIMES and
 * SMP_SUM_TOTAL. Before VP 0 ends (child_smp_park), every VP has set `done`: the others are
 * halted with interrupts off when the root sees the child finish.
 *
 * Invariants: VP k writes only vp_state[k] (and its slice of smp_mark); VP 0 reads them with
 * acquire loads. The IPI handler counts and EOIs (child_eoi, apic.c: the child's virtual APIC
 * keeps the vector in service until then).
 */
#include "krt/krt.h"
#include "partitions/child/child.h"
#include "partitions/child/smp_sum.h"
#include "partitions/lib/kcon.h"
#include "partitions/lib/winhv.h"

void child_ap_main(const char *cmdline, uint64_t k, uint64_t stack_top);
void child_smp_ipi(void);
extern const uint8_t child_smp_ipi_stub[];

static uint8_t smp_mark[SMP_SUM_LIMIT];     /* VP k sieves only its share's bytes */
static uint32_t hv_ready;
static uint32_t smp_vps = 1;
static struct {
    uint32_t done;                          /* set last, with release */
    int32_t vp_index;                       /* winhv_init_vp's (HV_X64_MSR_VP_INDEX) */
    uint32_t cpuid_apic;                    /* CPUID.1:EBX[31:24] */
    uint32_t count;                         /* primes in its share (smp) */
    uint64_t sum;
} vp_state[WINHV_MAX_VPS];
static uint64_t smp_ipis[WINHV_MAX_VPS];

void child_smp_ipi(void)
{
    __atomic_add_fetch(&smp_ipis[winhv_self_vp()], 1, __ATOMIC_RELAXED);
    child_eoi();
}

/* The CHILD_SMP_VECTOR gate in the IDT child_idt_init loaded (SDM Vol. 3 6.14.1: 64-bit
 * interrupt gate, selector 08H, present, DPL 0). */
static void set_gate(void)
{
    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idtr;
    __asm__ volatile("sidt %0" : "=m"(idtr));
    if (idtr.limit < CHILD_SMP_VECTOR * 16 + 15)
        return;
    uint64_t h = (uint64_t)(uintptr_t)child_smp_ipi_stub;
    uint64_t lo = (h & 0xFFFF) | 0x08ull << 16 | 0x8Eull << 40 | ((h >> 16) & 0xFFFF) << 48;
    uint64_t *g = (uint64_t *)(uintptr_t)(idtr.base + CHILD_SMP_VECTOR * 16);
    g[0] = lo;
    g[1] = h >> 32;
}

static void share(uint32_t k)
{
    uint32_t lo, hi;
    smp_share(k, smp_vps, SMP_SUM_LIMIT, &lo, &hi);
    vp_state[k].sum = smp_prime_sum(lo, hi, smp_mark + lo, &vp_state[k].count);
}

static uint32_t cpuid_apic_id(void)
{
    uint32_t r[4];
    cpuid(1, 0, r);
    return r[1] >> 24;
}

void child_smp_boot(uint32_t vps)
{
    smp_vps = vps < 1 ? 1 : vps > WINHV_MAX_VPS ? WINHV_MAX_VPS : vps;
    set_gate();
    __atomic_store_n(&hv_ready, 1, __ATOMIC_RELEASE);
    if (smp_vps > 1) {
        uint64_t mask = ((1ull << smp_vps) - 1) & ~1ull;
        uint16_t st = winhv_send_ipi(CHILD_SMP_VECTOR, mask);
        if (st != HV_STATUS_SUCCESS)
            kcon_printf("child %s: SendSyntheticClusterIpi(0x%x, 0x%llx): %s\n", child_name,
                        CHILD_SMP_VECTOR, (unsigned long long)mask, winhv_status_name(st));
    }
}

/* sti; hlt until every VP 1..n-1 has set done (interrupts off again at the end). */
static void wait_all_done(void)
{
    for (;;) {
        uint32_t k = 1;
        while (k < smp_vps && __atomic_load_n(&vp_state[k].done, __ATOMIC_ACQUIRE))
            k++;
        if (k == smp_vps)
            return;
        __asm__ volatile("sti; hlt; cli" ::: "memory");   /* STI's shadow covers HLT */
    }
}

void child_smp_park(void)
{
    wait_all_done();
}

void wl_smp(void)
{
    share(0);
    wait_all_done();
    uint64_t sum = 0;
    uint32_t count = 0;
    for (uint32_t k = 0; k < smp_vps; k++) {
        sum += vp_state[k].sum;
        count += vp_state[k].count;
        if (k && (vp_state[k].vp_index != (int32_t)k || vp_state[k].cpuid_apic != k))
            kcon_printf("child %s: smp: VP %u reported VP index %d, CPUID APIC ID %u\n",
                        child_name, k, vp_state[k].vp_index, vp_state[k].cpuid_apic);
    }
    bool ok = sum == SMP_SUM_TOTAL && count == SMP_SUM_PRIMES;
    kcon_printf("child %s: smp: %u VPs, %u primes below %u, sum %llu (%s)\n", child_name,
                smp_vps, count, SMP_SUM_LIMIT, (unsigned long long)sum,
                ok ? "correct" : "WRONG");
}

void child_ap_main(const char *cmdline, uint64_t k, uint64_t stack_top)
{
    struct winhv_cpuid hv;
    winhv_detect(&hv);
    if (!hv.present || k >= WINHV_MAX_VPS) {
        kcon_init();
        kcon_printf("child: no hypervisor (CPUID.1:ECX[31] = 0)\n");
        child_exit(1);
    }
    child_idt_init();
    child_apic_init();
    while (!__atomic_load_n(&hv_ready, __ATOMIC_ACQUIRE))
        __asm__ volatile("sti; hlt; cli" ::: "memory");
    vp_state[k].vp_index = winhv_init_vp((const void *)(uintptr_t)(stack_top - CHILD_STACK_SIZE),
                                         (const void *)(uintptr_t)stack_top);
    vp_state[k].cpuid_apic = cpuid_apic_id();
    char wl[64];
    cmdline_get(cmdline, "workload", wl, sizeof wl);
    if (vp_state[k].vp_index == (int32_t)k && child_has_item(wl, "smp"))
        share((uint32_t)k);
    __atomic_store_n(&vp_state[k].done, 1, __ATOMIC_RELEASE);
    winhv_send_ipi(CHILD_SMP_VECTOR, 1);                /* VP 0; a fast call: no pages */
    for (;;)
        __asm__ volatile("cli; hlt" ::: "memory");
}
