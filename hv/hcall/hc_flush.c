/* hc_flush.c — the virtual-TLB and scheduling hints of the hypercall interface:
 * HvCallFlushVirtualAddressSpace (0x0002), HvCallFlushVirtualAddressList (0x0003, rep) (TLFS
 * "Virtual MMU": flushing the virtual TLB) and HvCallNotifyLongSpinWait (0x0008) (TLFS
 * "Scheduler": long spin-wait notification) (docs/HYPERVISOR.md "Hypercalls").
 *
 * Rules (beyond the dispatcher's checks):
 *  - Flush*: flags outside HV_FLUSH_VALID_FLAGS (bits 2:0) → INVALID_PARAMETER (bit 3, the
 *    extended GVA range format, is not offered). The target VPs are the caller's own
 *    partition's: every created VP with HV_FLUSH_ALL_PROCESSORS, else those whose index has its
 *    bit in processor_mask (an index with no VP is ignored, as a real hypervisor ignores absent
 *    CPUs of a mask; VP indexes ≥ 64 cannot be named in this form). An empty set is a success
 *    that flushes nothing. The address space (CR3) and HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY are
 *    hints: every address space's translations, global ones included, are dropped (a superset
 *    is always correct: the TLB is a cache). The list form: element i is a GVA whose bits 11:0
 *    count the additional pages after the first (so 1..4096 pages); each exit flushes its
 *    elements with one vp_flush_tlb call and completes them all.
 *  - NotifyLongSpinWait: the calling VP gives up the rest of its time slice (vp_kick on its own
 *    LP: the loop picks the next runnable VP of the LP round robin; alone, it runs on). The
 *    spin count is only a hint. Always SUCCESS.
 *
 * Invariants: a partition can only flush its own VPs' TLBs (never another partition's); the
 * handlers read only x->in.
 */
#include "hv/hcall/hcall.h"
#include "hv/part/partition.h"
#include "krt/krt.h"

/* The caller's VPs selected by the header; their count. */
static unsigned flush_targets(const struct hc_ctx *x, const struct hv_input_flush_virtual_address *h,
                              struct hv_vp **vps)
{
    struct hv_partition *p = x->caller;
    unsigned n = 0;
    for (uint32_t i = 0; i < HV_MAX_VPS; i++) {
        if (!p->vp[i])
            continue;
        if ((h->flags & HV_FLUSH_ALL_PROCESSORS) || (i < 64 && (h->processor_mask >> i) & 1))
            vps[n++] = p->vp[i];
    }
    return n;
}

static uint16_t flush_header(const struct hc_ctx *x, struct hv_input_flush_virtual_address *h)
{
    memcpy(h, x->in, sizeof(*h));
    if (h->flags & ~HV_FLUSH_VALID_FLAGS)
        return HV_STATUS_INVALID_PARAMETER;
    return HV_STATUS_SUCCESS;
}

uint16_t hc_flush_va_space(struct hc_ctx *x)
{
    struct hv_input_flush_virtual_address h;
    uint16_t st = flush_header(x, &h);
    if (st)
        return st;
    struct hv_vp *vps[HV_MAX_VPS];
    unsigned n = flush_targets(x, &h, vps);
    if (n)
        vp_flush_tlb(vps, n, NULL, 0);
    return HV_STATUS_SUCCESS;
}

uint16_t hc_flush_va_list(struct hc_ctx *x)
{
    struct hv_input_flush_virtual_address h;
    uint16_t st = flush_header(x, &h);
    if (st)
        return st;
    struct hv_gva_range r[HC_REP_BUDGET];
    unsigned nr = 0;
    for (uint32_t i = x->rep_start; i < x->rep_end && nr < HC_REP_BUDGET; i++) {
        uint64_t e;
        memcpy(&e, x->in + sizeof(h) + (uint64_t)i * 8, 8);
        r[nr].gva = e & ~HV_FLUSH_GVA_PAGE_MASK;
        r[nr].pages = (e & HV_FLUSH_GVA_PAGE_MASK) + 1;
        nr++;
    }
    struct hv_vp *vps[HV_MAX_VPS];
    unsigned n = flush_targets(x, &h, vps);
    if (n && nr)
        vp_flush_tlb(vps, n, r, nr);
    x->rep_done = x->rep_start + nr;
    return HV_STATUS_SUCCESS;
}

uint16_t hc_notify_long_spin_wait(struct hc_ctx *x)
{
    vp_kick(x->vp);         /* its own LP: reschedule after this exit (no IPI) */
    return HV_STATUS_SUCCESS;
}
