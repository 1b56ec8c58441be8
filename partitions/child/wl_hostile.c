/* wl_hostile.c — the hostile child's attempts (docs/HYPERVISOR.md "The hostile child"): each one
 * must fail the way the TLFS and the design say, and the hypervisor, the root and the other
 * children must keep running. In order, each result printed as
 * "child NAME: hostile: WHAT: RESULT":
 *   1. HvCallCreatePartition: ACCESS_DENIED (needs CreatePartitions, TLFS 5; a child never has it)
 *   2. HvCallDepositMemory into itself: ACCESS_DENIED (needs AccessMemoryPool, root only)
 *   3. HvCallMapGpaPages into the root (id 1) and into its neighbour (id - 1): ACCESS_DENIED
 *      (needs CreatePartitions)
 *   4. HvCallPostMessage on connections 0x1000 and 0x1001 (the ids the root gives the message
 *      connections of its first two children) and 0: INVALID_CONNECTION_ID (a connection id
 *      names a connection of the caller's own partition, TLFS 11.10)
 *   5. RDMSR and WRMSR of IA32_MISC_ENABLE (1A0H), an MSR the hypervisor does not handle for a
 *      child: MSR intercepts the root completes (it prints `[NAME] msr read 0x1a0` and
 *      `[NAME] msr write 0x1a0 = 0x1`, reads return 0, writes are dropped); the child goes on
 *   6. a read of GPA WL_HOSTILE_GPA_HV (the host-physical place of the hypervisor's pool in a
 *      128 MiB machine) through a page-table entry it adds itself: that GPA is outside its RAM,
 *      so unmapped in its EPT: an intercept the root answers by stopping the child (it never
 *      reaches the "read" line). Its RAM is GPA 0..size, so no GPA of its own names root or
 *      hypervisor memory.
 */
#include "krt/krt.h"
#include "partitions/child/child.h"
#include "partitions/lib/kcon.h"
#include "partitions/lib/winhv.h"

#define WL_HOSTILE_GPA_HV 0x07000000ull
#define WL_HOSTILE_MSR    0x1a0u         /* IA32_MISC_ENABLE (SDM Vol. 4 2.1) */
#define WL_HOSTILE_VA     0x40000000ull  /* 1 GiB: PDPT entry 1, never the child's RAM (<= 1G) */

static uint64_t wl_pd[512] __attribute__((aligned(4096)));
static uint64_t wl_pt[512] __attribute__((aligned(4096)));

static void report(const char *what, uint16_t st)
{
    kcon_printf("child %s: hostile: %s: %s\n", child_name, what, winhv_status_name(st));
}

/* Map WL_HOSTILE_VA to `gpa` (4 KiB, present + writable) in the child's own page tables (SDM
 * Vol. 3 4.5: PML4E -> PDPTE -> PDE -> PTE); 0, or -1 if PDPT entry 1 is already in use. */
static int map_foreign(uint64_t gpa)
{
    const uint64_t addr_mask = 0x000FFFFFFFFFF000ull;
    uint64_t *pml4 = (uint64_t *)(uintptr_t)(read_cr3() & addr_mask);
    uint64_t *pdpt = (uint64_t *)(uintptr_t)(pml4[0] & addr_mask);
    if ((pdpt[1] & 1) && (pdpt[1] & addr_mask) != (uint64_t)(uintptr_t)wl_pd)
        return -1;
    wl_pt[0] = gpa | 3;
    wl_pd[0] = (uint64_t)(uintptr_t)wl_pt | 3;
    pdpt[1] = (uint64_t)(uintptr_t)wl_pd | 3;
    __asm__ volatile("invlpg (%0)" : : "r"(WL_HOSTILE_VA) : "memory");
    return 0;
}

void wl_hostile(uint64_t my_id)
{
    uint64_t id = 0;
    report("CreatePartition", winhv_create_partition(0, "intruder", &id));
    uint64_t pfn = (uint64_t)(uintptr_t)wl_pt >> 12;
    report("DepositMemory into itself", winhv_deposit_memory(my_id, &pfn, 1));
    report("MapGpaPages into the root", winhv_map_gpa_pages(1, 0, HV_MAP_GPA_READABLE, &pfn, 1));
    report("MapGpaPages into its neighbour",
           winhv_map_gpa_pages(my_id - 1, 0, HV_MAP_GPA_READABLE, &pfn, 1));
    static const uint32_t conns[] = { 0x1000, 0x1001, 0 };
    for (unsigned k = 0; k < sizeof conns / sizeof conns[0]; k++) {
        char what[48];
        krt_snprintf(what, sizeof what, "PostMessage on connection 0x%x", conns[k]);
        report(what, winhv_post_message(conns[k], 0x100, "intrusion", 10));
    }
    /* an MSR the hypervisor leaves to the root (docs/HYPERVISOR.md "MSRs") */
    uint64_t misc = rdmsr(WL_HOSTILE_MSR);
    kcon_printf("child %s: hostile: rdmsr 0x%x: 0x%llx\n", child_name, WL_HOSTILE_MSR,
                (unsigned long long)misc);
    wrmsr(WL_HOSTILE_MSR, 1);
    kcon_printf("child %s: hostile: wrmsr 0x%x done\n", child_name, WL_HOSTILE_MSR);
    if (map_foreign(WL_HOSTILE_GPA_HV) < 0) {
        kcon_printf("child %s: hostile: PDPT entry 1 is in use: no foreign read\n", child_name);
        return;
    }
    kcon_printf("child %s: hostile: reading GPA 0x%llx (outside its RAM)\n", child_name,
                (unsigned long long)WL_HOSTILE_GPA_HV);
    uint64_t v = *(volatile uint64_t *)(uintptr_t)WL_HOSTILE_VA;
    kcon_printf("child %s: hostile: read GPA 0x%llx: 0x%llx\n", child_name,
                (unsigned long long)WL_HOSTILE_GPA_HV, (unsigned long long)v);
}
