/* smp.c — starting the application processors (docs/HYPERVISOR.md "Boot" 3; SDM Vol. 3 9.4.4
 * "MP Initialization Example", MP specification 1.4 B.4 "Application Processor Startup").
 *
 * hv_smp_start copies the trampoline (trampoline.S) to hv_boot.trampoline, then for each AP in
 * LP order: writes its stack and hv_lp into the copy, sends INIT-SIPI-SIPI with the delays of the
 * MP specification (lapic_start_ap: 10 ms, 200 us, 200 us, timed with the calibrated TSC,
 * tsc.c), and waits until the AP sets lp->online — at most HV_AP_TIMEOUT_MS, else a panic naming
 * the LP and its APIC ID. One AP at a time: the copy's stack/LP fields serve every AP, and the log
 * lines come out in LP order (deterministic).
 * hv_ap_main (on the AP): the per-LP set-up (hv_arch_lp_setup), hv_vmx_lp_init, the "online"
 * line, lp->online = true, then hv_lp_loop forever.
 * Invariants: an AP touches nothing of another LP; the BSP reads lp->online only.
 */
#include "hv/arch/arch.h"
#include "hv/boot/boot.h"
#include "hv/hv_svc.h"
#include "krt/krt.h"

#define HV_AP_TIMEOUT_MS 500

extern const char hv_tramp_start[], hv_tramp_end[];
extern const char hv_tramp_cr3[], hv_tramp_stack[], hv_tramp_lp[], hv_tramp_entry[];
extern char hv_boot_pml4[];

static void tramp_set(const char *field, uint64_t v)
{
    uint64_t off = (uint64_t)(field - hv_tramp_start);
    *(volatile uint64_t *)hv_hpa_ptr(hv_boot.trampoline + off) = v;
}

void hv_ap_main(struct hv_lp *lp)
{
    hv_arch_lp_setup(lp);
    hv_vmx_lp_init(lp);
    hv_log("hv: LP %u (APIC ID %u) online\n", lp->index, lp->apic_id);
    __atomic_store_n(&lp->online, true, __ATOMIC_SEQ_CST);
    hv_lp_loop();
}

void hv_smp_start(void)
{
    size_t size = (size_t)(hv_tramp_end - hv_tramp_start);
    if (size > 4096)
        hv_panic("the trampoline (%zu bytes) is larger than a page", size);
    memcpy(hv_hpa_ptr(hv_boot.trampoline), hv_tramp_start, size);
    tramp_set(hv_tramp_cr3, (uint64_t)(uintptr_t)hv_boot_pml4);
    tramp_set(hv_tramp_entry, (uint64_t)(uintptr_t)hv_ap_main);
    for (uint32_t k = 1; k < hv_nlps; k++) {
        struct hv_lp *lp = &hv_lps[k];
        lp->stack_top = (uint64_t)(uintptr_t)&hv_lp_stacks[k][HV_STACK_SIZE];
        tramp_set(hv_tramp_stack, lp->stack_top);
        tramp_set(hv_tramp_lp, (uint64_t)(uintptr_t)lp);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        lapic_start_ap(lp->apic_id, (uint8_t)(hv_boot.trampoline >> 12));
        uint64_t start = hv_rdtsc(), limit = hv_tsc_hz() / 1000 * HV_AP_TIMEOUT_MS;
        while (!__atomic_load_n(&lp->online, __ATOMIC_SEQ_CST)) {
            if (hv_rdtsc() - start > limit)
                hv_panic("LP %u (APIC ID %u) did not come up within %u ms of its start-up IPIs",
                         k, lp->apic_id, HV_AP_TIMEOUT_MS);
            cpu_pause();
        }
    }
}
