/* ept.c — a partition's extended page tables (SDM Vol. 3 29.3): 4-level tables from the
 * partition's pool, 4 KiB leaves (ept_map / ept_map_type) and 2 MiB leaves (ept_map_2m, used for
 * the root's identity map), lookup by walking the tables, invalidation with INVEPT on every LP.
 *
 * Entry format (29.3.2, tables 29-1..29-6): bits 2:0 read/write/execute; in a leaf bits 5:3 the
 * EPT memory type (0 UC, 6 WB) and bit 7 "this PDE maps a 2 MiB page"; bits 51:12 the address.
 * A non-leaf entry grants R/W/X (the leaf decides). An entry with bits 2:0 = 0 is not present.
 *
 * Invariants: every table page comes from e->pool and is freed to it by ept_destroy; a 2 MiB
 * leaf is split into 512 4 KiB leaves with the same permissions and type before one of its pages
 * is changed; after ept_flush returns, no LP holds a translation derived from the old entries
 * (each online LP executes INVEPT and acknowledges before ept_flush returns).
 */
#include "hv/hv_svc.h"
#include "hv/arch/lp.h"
#include "hv/vmx/vmx.h"
#include "krt/krt.h"

#define EPTE_ADDR 0x000FFFFFFFFFF000ull
#define EPTE_PS (1ull << 7)
#define EPTE_RWX 7ull
#define EPT_MT_SHIFT 3

static uint64_t *table(uint64_t hpa) { return (uint64_t *)hv_hpa_ptr(hpa); }

int ept_init(struct hv_ept *e, struct hv_pool *pool)
{
    e->pool = pool;
    e->pml4 = hv_pool_alloc(pool);
    if (!e->pml4)
        return -1;
    /* EPTP (24.6.11): memory type WB (6) in 2:0, page-walk length - 1 = 3 in 5:3 */
    e->eptp = e->pml4 | 6 | (3 << 3);
    return 0;
}

/* The entry of level `level` (3 = PML4E .. 0 = PTE) for gpa in table t. */
static unsigned idx(uint64_t gpa, int level) { return (gpa >> (12 + 9 * level)) & 511; }

/* Split a 2 MiB leaf into a page table (29.3.2: same permissions and memory type per page). */
static int split_2m(struct hv_ept *e, uint64_t *pde)
{
    uint64_t pt = hv_pool_alloc(e->pool);
    if (!pt)
        return -1;
    uint64_t base = *pde & EPTE_ADDR & ~0x1FFFFFull;
    uint64_t attrs = *pde & 0x3F;   /* RWX + memory type + ignore-PAT (bit 6) */
    uint64_t *t = table(pt);
    for (unsigned i = 0; i < 512; i++)
        t[i] = (base + ((uint64_t)i << 12)) | attrs;
    *pde = pt | EPTE_RWX;
    return 0;
}

/* Walk to the table of level `stop` for gpa, creating tables (and splitting 2 MiB leaves above
 * it) when `create`. Returns the entry pointer at level `stop`, or NULL. */
static uint64_t *walk(struct hv_ept *e, uint64_t gpa, int stop, bool create)
{
    uint64_t *t = table(e->pml4);
    for (int level = 3; level > stop; level--) {
        uint64_t *ent = &t[idx(gpa, level)];
        if ((*ent & EPTE_RWX) == 0) {
            if (!create)
                return NULL;
            uint64_t nt = hv_pool_alloc(e->pool);
            if (!nt)
                return NULL;
            *ent = nt | EPTE_RWX;
        } else if (*ent & EPTE_PS) {
            if (!create || level != 1 || split_2m(e, ent) != 0)
                return NULL;
        }
        t = table(*ent & EPTE_ADDR);
    }
    return &t[idx(gpa, stop)];
}

int ept_map_type(struct hv_ept *e, uint64_t gpa, uint64_t hpa, unsigned perms, unsigned type)
{
    uint64_t *pte = walk(e, gpa, 0, true);
    if (!pte)
        return -1;
    *pte = (hpa & EPTE_ADDR) | ((uint64_t)(type & 7) << EPT_MT_SHIFT) | (perms & EPTE_RWX);
    return 0;
}

int ept_map(struct hv_ept *e, uint64_t gpa, uint64_t hpa, unsigned perms)
{
    return ept_map_type(e, gpa, hpa, perms, EPT_MT_WB);
}

int ept_map_2m(struct hv_ept *e, uint64_t gpa, uint64_t hpa, unsigned perms, unsigned type)
{
    if ((gpa | hpa) & 0x1FFFFF)
        return -1;
    uint64_t *pde = walk(e, gpa, 1, true);
    if (!pde)
        return -1;
    if ((*pde & EPTE_RWX) && !(*pde & EPTE_PS))
        hv_pool_free(e->pool, *pde & EPTE_ADDR);   /* a page table under it goes */
    *pde = (hpa & EPTE_ADDR) | EPTE_PS | ((uint64_t)(type & 7) << EPT_MT_SHIFT) |
           (perms & EPTE_RWX);
    return 0;
}

int ept_unmap(struct hv_ept *e, uint64_t gpa)
{
    /* find without creating; a 2 MiB leaf on the way is split first */
    uint64_t *pde = walk(e, gpa, 1, false);
    if (!pde || (*pde & EPTE_RWX) == 0)
        return -1;
    if ((*pde & EPTE_PS) && split_2m(e, pde) != 0)
        return -1;
    uint64_t *pte = &table(*pde & EPTE_ADDR)[idx(gpa, 0)];
    if ((*pte & EPTE_RWX) == 0)
        return -1;
    *pte = 0;
    return 0;
}

int ept_lookup(const struct hv_ept *e, uint64_t gpa, uint64_t *hpa, unsigned *perms)
{
    if (!e->pml4 || (gpa >> 48))
        return -1;
    uint64_t *t = table(e->pml4);
    for (int level = 3; level >= 0; level--) {
        uint64_t ent = t[idx(gpa, level)];
        if ((ent & EPTE_RWX) == 0)
            return -1;
        if (level == 0 || (level == 1 && (ent & EPTE_PS))) {
            uint64_t mask = level ? 0x1FFFFFull : 0xFFFull;
            if (hpa)
                *hpa = (ent & EPTE_ADDR & ~mask) | (gpa & mask);
            if (perms)
                *perms = ent & EPTE_RWX;
            return 0;
        }
        t = table(ent & EPTE_ADDR);
    }
    return -1;
}

static void free_level(struct hv_ept *e, uint64_t hpa, int level)
{
    uint64_t *t = table(hpa);
    if (level > 0)
        for (unsigned i = 0; i < 512; i++)
            if ((t[i] & EPTE_RWX) && !(t[i] & EPTE_PS))
                free_level(e, t[i] & EPTE_ADDR, level - 1);
    hv_pool_free(e->pool, hpa);
}

void ept_destroy(struct hv_ept *e)
{
    if (e->pml4)
        free_level(e, e->pml4, 3);
    e->pml4 = e->eptp = 0;
}

/* ---- invalidation (SDM Vol. 3 29.4.3.1: INVEPT; 29.4.3.4 guidelines) ----
 * The caller's LP invalidates now; every other online LP is sent HV_VECTOR_KICK and invalidates
 * all EPT-derived translations in ept_flush_service() (called by its loop before each VM entry,
 * in the idle loop and while waiting here), then acknowledges the generation. */
static struct krt_spinlock flush_lock = KRT_SPINLOCK_INIT;
static volatile uint64_t flush_gen;
static volatile uint64_t flush_eptp;
static volatile uint64_t flush_ack[HV_MAX_LPS];

void ept_flush_service(void)
{
    struct hv_lp *lp = this_lp();
    uint64_t gen = flush_gen;
    if (flush_ack[lp->index] == gen)
        return;
    if (vmx_caps.invept_single && !(vmx_caps.ept_vpid_cap & (1ull << 26)))
        vmx_invept(1, flush_eptp);
    else
        vmx_invept(2, 0);
    flush_ack[lp->index] = gen;
}

void ept_flush(struct hv_ept *e)
{
    struct hv_lp *me = this_lp();
    /* another LP may hold the lock and wait for us: serve its request while spinning */
    for (;;) {
        uint32_t old = 1;
        __asm__ volatile("xchg %0, %1" : "+r"(old), "+m"(flush_lock.v) : : "memory");
        if (old == 0)
            break;
        ept_flush_service();
        cpu_pause();
    }
    flush_eptp = e->eptp;
    uint64_t gen = flush_gen + 1;
    flush_gen = gen;
    vmx_invept(vmx_caps.invept_single ? 1 : 2, e->eptp);
    flush_ack[me->index] = gen;
    for (uint32_t k = 0; k < hv_nlps; k++)
        if (k != me->index && hv_lps[k].online)
            lapic_send_ipi(hv_lps[k].apic_id, HV_VECTOR_KICK);
    for (uint32_t k = 0; k < hv_nlps; k++)
        while (k != me->index && hv_lps[k].online && flush_ack[k] < gen)
            cpu_pause();
    krt_unlock(&flush_lock);
}
