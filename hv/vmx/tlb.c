/* tlb.c — guest TLB invalidation for HvCallFlushVirtualAddressSpace/List (vp_flush_tlb of
 * hv/hv_svc.h; docs/HYPERVISOR.md "Hypercalls"): INVVPID (SDM Vol. 3 30.3 INVVPID; 29.4.3.3
 * "Guidelines for use of the INVVPID instruction") on the LP each VP runs on.
 *
 * A VP's cached linear/combined translations live only on its own LP (VPs never migrate, and
 * they are tagged with its VPID: 29.1, 29.4.1), so:
 *  - a VP of this LP: INVVPID here and now — individual-address (type 0) for each page when the
 *    ranges are short and the type is offered (IA32_VMX_EPT_VPID_CAP bit 40), else
 *    single-context (type 1, bit 41) for its VPID;
 *  - VPs of other LPs: each such LP gets a request (a generation number) and HV_VECTOR_KICK; it
 *    serves the request in vmx_tlb_flush_service() (its loop calls it before each VM entry and
 *    in the idle loop) with an all-context INVVPID (type 2, bit 42: every VPID but 0, a superset
 *    of its VPs) and acknowledges; vp_flush_tlb waits for every acknowledgement, serving its
 *    own requests and ept_flush's meanwhile (two LPs flushing each other never deadlock).
 * Without the INVVPID type needed, INVEPT of the VP's EPT (single- or all-context) is used:
 * with EPT on, linear translations are combined mappings, which INVEPT drops too (29.4.3.1).
 * Non-canonical addresses are skipped (no translation can exist for them; INVVPID type 0 would
 * VMfail on them, 30.3).
 *
 * Invariants: INVVPID never names VPID 0 (the hypervisor's own; 30.3: VMfail); after
 * vp_flush_tlb returns, every LP named has executed its INVVPID after the request was made.
 */
#include "hv/vmx/vmx.h"
#include "krt/krt.h"

void vmx_run_list_lock(uint32_t lp);      /* vp.c */
void vmx_run_list_unlock(uint32_t lp);

#define CAP_INVVPID (1ull << 32)
#define CAP_INVVPID_ADDR (1ull << 40)
#define CAP_INVVPID_SINGLE (1ull << 41)
#define CAP_INVVPID_ALL (1ull << 42)
/* pages above which one single-context flush replaces individual-address ones */
#define TLB_ADDR_MAX 32

static volatile uint64_t tlb_req[HV_MAX_LPS];   /* generation asked of LP k */
static volatile uint64_t tlb_ack[HV_MAX_LPS];   /* generation LP k has served */
static volatile uint64_t tlb_gen;

/* INVVPID (30.3): descriptor = VPID in 15:0 (63:16 zero), linear address in 127:64. */
static void invvpid(uint64_t type, uint16_t vpid, uint64_t la)
{
    struct { uint64_t vpid, la; } __attribute__((aligned(16))) d = { vpid, la };
    uint64_t fl;
    __asm__ volatile("invvpid %1, %2; pushfq; popq %0" : "=r"(fl) : "m"(d), "r"(type)
                     : "cc", "memory");
    if (!vmx_ok(fl))
        hv_panic("vmx: INVVPID type %lu of VPID %u failed", (unsigned long)type, vpid);
}

static bool canonical(uint64_t la) { return (uint64_t)(((int64_t)la << 16) >> 16) == la; }

static void invept_of(const struct hv_vp *vp)
{
    if (vmx_caps.invept_single)
        vmx_invept(1, vp->part->ept.eptp);
    else
        vmx_invept(2, 0);
}

/* Every cached translation of vp (on this LP). */
static void flush_vp_all(const struct hv_vp *vp)
{
    uint64_t cap = vmx_caps.ept_vpid_cap;
    if ((cap & CAP_INVVPID) && (cap & CAP_INVVPID_SINGLE))
        invvpid(1, vp->vpid, 0);
    else if ((cap & CAP_INVVPID) && (cap & CAP_INVVPID_ALL))
        invvpid(2, 0, 0);
    else
        invept_of(vp);
}

static void flush_vp(const struct hv_vp *vp, const struct hv_gva_range *r, unsigned nr)
{
    uint64_t cap = vmx_caps.ept_vpid_cap, pages = 0;
    for (unsigned i = 0; i < nr; i++)
        pages += r[i].pages;
    if (nr == 0 || pages > TLB_ADDR_MAX || !(cap & CAP_INVVPID) || !(cap & CAP_INVVPID_ADDR)) {
        flush_vp_all(vp);
        return;
    }
    for (unsigned i = 0; i < nr; i++)
        for (uint64_t k = 0; k < r[i].pages; k++) {
            uint64_t la = r[i].gva + k * 4096;
            if (canonical(la))
                invvpid(0, vp->vpid, la);
        }
}

void vmx_tlb_flush_service(void)
{
    struct hv_lp *lp = this_lp();
    uint64_t want = tlb_req[lp->index];
    if (tlb_ack[lp->index] == want)
        return;
    uint64_t cap = vmx_caps.ept_vpid_cap;
    if ((cap & CAP_INVVPID) && (cap & CAP_INVVPID_ALL)) {
        invvpid(2, 0, 0);
    } else {
        /* every VP of this LP, one by one */
        vmx_run_list_lock(lp->index);
        for (struct hv_vp *v = lp->run_list; v; v = v->next_on_lp)
            flush_vp_all(v);
        vmx_run_list_unlock(lp->index);
    }
    __atomic_store_n(&tlb_ack[lp->index], want, __ATOMIC_RELEASE);
}

void vp_flush_tlb(struct hv_vp *const *vps, unsigned n, const struct hv_gva_range *r,
                  unsigned nr)
{
    struct hv_lp *me = this_lp();
    bool remote[HV_MAX_LPS] = { false };
    uint64_t gen = __atomic_add_fetch(&tlb_gen, 1, __ATOMIC_SEQ_CST);
    for (unsigned i = 0; i < n; i++) {
        const struct hv_vp *vp = vps[i];
        if (vp->lp == me->index)
            flush_vp(vp, r, nr);
        else if (vp->lp < hv_nlps)
            remote[vp->lp] = true;
    }
    for (uint32_t k = 0; k < hv_nlps; k++) {
        if (!remote[k] || !hv_lps[k].online)
            continue;
        /* a newer generation covers an older one: only ever raise the request */
        uint64_t cur = tlb_req[k];
        while (cur < gen && !__atomic_compare_exchange_n(&tlb_req[k], &cur, gen, false,
                                                         __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
            ;
        lapic_send_ipi(hv_lps[k].apic_id, HV_VECTOR_KICK);
    }
    for (uint32_t k = 0; k < hv_nlps; k++)
        while (remote[k] && hv_lps[k].online &&
               __atomic_load_n(&tlb_ack[k], __ATOMIC_ACQUIRE) < gen) {
            vmx_tlb_flush_service();
            ept_flush_service();
            cpu_pause();
        }
}
