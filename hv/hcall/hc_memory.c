/* hc_memory.c — the memory hypercalls: HvCallDepositMemory, WithdrawMemory, MapGpaPages,
 * UnmapGpaPages (TLFS 5.6 "Memory Pools", 5.7 "GPA Mapping"; docs/HYPERVISOR.md "Memory").
 *
 * Rules (beyond the dispatcher's checks):
 *  - Deposit/Withdraw: only the root (the pages are the root's: identity-mapped, GPA = HPA) into
 *    or out of itself or a child. A deposited page must be mapped readable and writable in the
 *    root's EPT, be RAM and not be mapped into a child (hv_part_page_shared) — so a page already
 *    deposited, hypervisor memory, device MMIO or a page a child can reach is
 *    INVALID_PARAMETER, and so is a page the hypervisor writes for the root (root_overlay_page:
 *    its hypercall page, reference TSC page, and any of its VPs' SynIC message or event-flags
 *    page, while enabled: the hypervisor must never write into a page it has taken for itself);
 *    it is unmapped from the root (ept_unmap, then one ept_flush per exit) and joins the
 *    target's pool.
 *    Withdraw takes free pages of the target's pool (zeroed), maps them back into the root at
 *    GPA = HPA and returns their page numbers; an empty pool ends the call with NO_RESOURCES and
 *    the pages withdrawn so far in reps completed (as Linux's mshv expects).
 *  - Map: the target is the caller's child in state INITIALIZED or FINALIZED; flags only R, W,
 *    kernel/user execute, and R is required (EPT: write or execute without read is a
 *    misconfiguration or needs a capability, SDM Vol. 3 29.3.3.1); the target range
 *    [base, base + rep count) pages lies below HV_CHILD_GPA_LIMIT; each source page is a GPA of
 *    the caller mapped readable and writable in the caller's EPT (never hypervisor memory nor a
 *    deposited page, which the root's EPT does not map). EPT tables come from the target's pool
 *    (INSUFFICIENT_MEMORY when empty, with the pages mapped so far in reps completed); each
 *    source page is recorded as shared (NO_RESOURCES when the child's 64 ranges are full).
 *  - Unmap: same target rules; flags must be 0; a page that is not mapped is INVALID_PARAMETER.
 *
 * Invariants: an ept_flush of every EPT that lost or changed a mapping runs before the call
 * returns to any guest, so no stale translation survives a deposit or an unmap.
 */
#include "hv/hcall/hcall.h"
#include "hv/part/partition.h"
#include "krt/krt.h"

#define PFN_MAX ((1ull << 52) - 1)   /* page numbers of 64-bit addresses */

static uint64_t rep_u64(const struct hc_ctx *x, size_t header, uint32_t i)
{
    uint64_t v;
    memcpy(&v, x->in + header + (size_t)i * 8, 8);
    return v;
}

static bool caller_is_root(const struct hc_ctx *x)
{
    return x->caller->id == HV_PARTITION_ROOT_ID && !x->caller->parent;
}

/* Is GPA page `gpa` one the hypervisor writes into for the root: the hypercall page and the
 * reference TSC page (TLFS 3.13, 12.7) or a VP's SIMP / SIEFP (TLFS 11.8), enabled (bit 0)? */
static bool root_overlay_page(const struct hv_partition *root, uint64_t gpa)
{
    const uint64_t mask = ~0xFFFull;
    if (((root->hypercall_msr & 1) && (root->hypercall_msr & mask) == gpa) ||
        ((root->ref_tsc_msr & 1) && (root->ref_tsc_msr & mask) == gpa))
        return true;
    for (uint32_t i = 0; i < HV_MAX_VPS; i++) {
        const struct hv_vp *vp = root->vp[i];
        if (vp && (((vp->synic.simp & 1) && (vp->synic.simp & mask) == gpa) ||
                   ((vp->synic.siefp & 1) && (vp->synic.siefp & mask) == gpa)))
            return true;
    }
    return false;
}

uint16_t hc_deposit_memory(struct hc_ctx *x)
{
    struct hv_input_deposit_memory in;
    memcpy(&in, x->in, sizeof(in));
    if (!caller_is_root(x))
        return HV_STATUS_ACCESS_DENIED;
    struct hv_partition *p, *root = x->caller;
    uint16_t st = hc_child(x, in.partition_id, true, &p);
    if (st)
        return st;
    bool unmapped = false;
    for (uint32_t i = x->rep_start; i < x->rep_end; i++) {
        uint64_t pfn = rep_u64(x, sizeof(in), i), hpa;
        unsigned perms;
        if (pfn > PFN_MAX || ept_lookup(&root->ept, pfn << 12, &hpa, &perms) != 0 ||
            (perms & (EPT_R | EPT_W)) != (EPT_R | EPT_W) || !hv_part_is_ram(hpa) ||
            hv_part_page_shared(hpa) || root_overlay_page(root, pfn << 12)) {
            st = HV_STATUS_INVALID_PARAMETER;
            break;
        }
        if (ept_unmap(&root->ept, pfn << 12) != 0) {  /* splitting a 2 MiB leaf needs a table */
            st = HV_STATUS_INSUFFICIENT_MEMORY;
            break;
        }
        unmapped = true;
        hv_pool_add(&p->pool, hpa & ~0xFFFull);
        x->rep_done = i + 1;
    }
    if (unmapped)
        ept_flush(&root->ept);
    return st;
}

uint16_t hc_withdraw_memory(struct hc_ctx *x)
{
    struct hv_input_withdraw_memory in;
    memcpy(&in, x->in, sizeof(in));
    if (!caller_is_root(x))
        return HV_STATUS_ACCESS_DENIED;
    struct hv_partition *p;
    uint16_t st = hc_child(x, in.partition_id, true, &p);
    if (st)
        return st;
    for (uint32_t i = x->rep_start; i < x->rep_end; i++) {
        uint64_t hpa = hv_pool_alloc(&p->pool);
        if (!hpa)
            return HV_STATUS_NO_RESOURCES;
        if (hv_part_return_page_to_root(hpa) != 0) {
            hv_pool_free(&p->pool, hpa);
            return HV_STATUS_INSUFFICIENT_MEMORY;
        }
        p->pool.total_pages--;
        uint64_t pfn = hpa >> 12;
        memcpy(x->out + (size_t)i * 8, &pfn, 8);
        x->rep_done = i + 1;
    }
    return HV_STATUS_SUCCESS;
}

/* The target of Map/Unmap: the caller's child, its EPT made (INITIALIZED or FINALIZED), and the
 * whole range below the child's address limit. */
static uint16_t map_target(struct hc_ctx *x, uint64_t id, uint64_t base, struct hv_partition **p)
{
    uint16_t st = hc_child(x, id, false, p);
    if (st)
        return st;
    if ((*p)->state != HV_PART_INITIALIZED && (*p)->state != HV_PART_FINALIZED)
        return HV_STATUS_INVALID_PARTITION_STATE;
    if (base > (HV_CHILD_GPA_LIMIT >> 12) || x->rep_count > (HV_CHILD_GPA_LIMIT >> 12) - base)
        return HV_STATUS_INVALID_PARAMETER;
    return HV_STATUS_SUCCESS;
}

uint16_t hc_map_gpa_pages(struct hc_ctx *x)
{
    struct hv_input_map_gpa_pages in;
    memcpy(&in, x->in, sizeof(in));
    struct hv_partition *p;
    uint16_t st = map_target(x, in.target_partition_id, in.target_gpa_base, &p);
    if (st)
        return st;
    uint32_t f = in.map_flags;
    if ((f & ~(HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE | HV_MAP_GPA_EXECUTABLE)) ||
        !(f & HV_MAP_GPA_READABLE) || in.padding)
        return HV_STATUS_INVALID_PARAMETER;
    unsigned perms = EPT_R | ((f & HV_MAP_GPA_WRITABLE) ? EPT_W : 0) |
                     ((f & HV_MAP_GPA_EXECUTABLE) ? EPT_X : 0);
    bool replaced = false;
    for (uint32_t i = x->rep_start; i < x->rep_end; i++) {
        uint64_t src = rep_u64(x, sizeof(in), i), hpa, gpa = (in.target_gpa_base + i) << 12;
        unsigned sp;
        if (src > PFN_MAX || ept_lookup(&x->caller->ept, src << 12, &hpa, &sp) != 0 ||
            (sp & (EPT_R | EPT_W)) != (EPT_R | EPT_W)) {
            st = HV_STATUS_INVALID_PARAMETER;
            break;
        }
        if (hv_part_note_shared(p, hpa) != 0) {
            st = HV_STATUS_NO_RESOURCES;
            break;
        }
        replaced |= ept_lookup(&p->ept, gpa, NULL, NULL) == 0;
        if (ept_map(&p->ept, gpa, hpa & ~0xFFFull, perms) != 0) {
            st = HV_STATUS_INSUFFICIENT_MEMORY;
            break;
        }
        x->rep_done = i + 1;
    }
    if (replaced)
        ept_flush(&p->ept);
    return st;
}

uint16_t hc_unmap_gpa_pages(struct hc_ctx *x)
{
    struct hv_input_unmap_gpa_pages in;
    memcpy(&in, x->in, sizeof(in));
    struct hv_partition *p;
    uint16_t st = map_target(x, in.target_partition_id, in.target_gpa_base, &p);
    if (st)
        return st;
    if (in.unmap_flags || in.padding)
        return HV_STATUS_INVALID_PARAMETER;
    bool unmapped = false;
    for (uint32_t i = x->rep_start; i < x->rep_end; i++) {
        if (ept_unmap(&p->ept, (in.target_gpa_base + i) << 12) != 0) {
            st = HV_STATUS_INVALID_PARAMETER;
            break;
        }
        unmapped = true;
        x->rep_done = i + 1;
    }
    if (unmapped)
        ept_flush(&p->ept);
    return st;
}
