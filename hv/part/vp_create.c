/* vp_create.c — creation and destruction of a child's virtual processor (HvCallCreateVp,
 * TLFS 7.8; docs/HYPERVISOR.md "Partitions and virtual processors").
 *
 * Invariants: the VP object is one page of its partition's pool (never reachable through any
 * EPT); a VP is created NOT_STARTED with the architectural reset state of its registers
 * (SDM Vol. 3 10.1.1, table 10-1) in vp->ctx and its SynIC registers at their TLFS reset values
 * (SINTx masked); VP k of partition id runs on LP (id + k) mod hv_nlps for its whole life.
 */
#include "hv/part/partition.h"

#include "hv/arch/lp.h"
#include "hv/hv_svc.h"
#include "hv/synic/synic.h"
#include "krt/krt.h"

HV_STATIC_ASSERT(sizeof(struct hv_vp) <= HV_PAGE_SIZE, "a VP object fits in one pool page");

/* SDM Vol. 3 table 10-1: register state after INIT (the root sets the real state before start). */
static void ctx_reset(struct hv_vp_context *c)
{
    memset(c, 0, sizeof(*c));
    c->rflags = 0x2;
    c->rip = 0xFFF0;
    c->cr0 = 0x60000010;
    c->pat = 0x0007040600070406ull;
    c->cs = (struct hv_seg){ .base = 0xFFFF0000, .limit = 0xFFFF, .selector = 0xF000,
                             .attributes = 0x9B };
    struct hv_seg data = { .base = 0, .limit = 0xFFFF, .selector = 0, .attributes = 0x93 };
    c->ds = c->es = c->ss = c->fs = c->gs = data;
    c->ldtr = (struct hv_seg){ .limit = 0xFFFF, .attributes = 0x82 };
    c->tr = (struct hv_seg){ .limit = 0xFFFF, .attributes = 0x8B };
    c->gdtr.limit = c->idtr.limit = 0xFFFF;
    c->dirty = true;
}

int hv_vp_create(struct hv_partition *p, uint32_t index, struct hv_vp **out)
{
    uint64_t page = hv_pool_alloc(&p->pool);
    if (!page)
        return HV_STATUS_INSUFFICIENT_MEMORY;
    struct hv_vp *vp = hv_hpa_ptr(page);
    memset(vp, 0, sizeof(*vp));
    vp->part = p;
    vp->index = index;
    /* spread partitions over the LPs: VP k of partition id runs on LP (id + k) mod n, so the
     * first VPs of consecutive children do not all share LP 0 with the root's busiest VP */
    vp->lp = hv_nlps ? (uint32_t)((p->id + index) % hv_nlps) : 0;
    vp->vpid = hv_vp_vpid(p->id, index);
    vp->state = HV_VP_NOT_STARTED;
    ctx_reset(&vp->ctx);
    synic_vp_init(vp);
    if (vp_arch_init(vp) != 0) {
        hv_pool_free(&p->pool, page);
        return HV_STATUS_INSUFFICIENT_MEMORY;
    }
    p->vp[index] = vp;
    p->nvps++;
    *out = vp;
    return HV_STATUS_SUCCESS;
}

/* The page of a VP object: the hypervisor maps memory 1:1 (hv_hpa_ptr), so its address is its
 * HPA on the target; the host fakes translate back. */
#ifdef HV_TARGET
static uint64_t hv_vp_page(const struct hv_vp *vp) { return (uint64_t)(uintptr_t)vp; }
#else
uint64_t hv_test_ptr_hpa(const void *ptr);
static uint64_t hv_vp_page(const struct hv_vp *vp) { return hv_test_ptr_hpa(vp); }
#endif

void hv_vp_destroy(struct hv_vp *vp)
{
    struct hv_partition *p = vp->part;
    vp->state = HV_VP_STOPPED;
    vp_arch_destroy(vp);
    hv_pool_free(&p->pool, hv_vp_page(vp));
}
