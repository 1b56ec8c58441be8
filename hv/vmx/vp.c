/* vp.c — a VP's VMX resources and its place on its LP (docs/HYPERVISOR.md "Running VPs"):
 * vp_arch_init / vp_arch_destroy (VMCS region, MSR bitmap, I/O bitmaps A/B; SDM Vol. 3 24.2,
 * 24.6.4, 24.6.9), vp_kick and vp_raise_irq.
 *
 * Invariants: the VMCS fields are written on vp->lp only, by the loop the first time the VP is
 * picked (vp->arch.vmcs_ready), never in the middle of another VP's exit handling; a VP is on
 * exactly one run list (its LP's) from vp_arch_init to vp_arch_destroy, and run lists change only
 * under that LP's lock; pending_irq bits are set with locked ORs (any LP) and cleared by vp->lp.
 */
#include "hv/part/annot.h"
#include "hv/vmx/vmx.h"
#include "krt/krt.h"

static struct krt_spinlock run_lock[HV_MAX_LPS];

void vmx_run_list_lock(uint32_t lp) { krt_lock(&run_lock[lp]); }
void vmx_run_list_unlock(uint32_t lp) { krt_unlock(&run_lock[lp]); }

static struct hv_pool *vp_pool(struct hv_vp *vp)
{
    return vp->part->id == HV_PARTITION_ROOT_ID ? &hv_pool : &vp->part->pool;
}

static void bitmap_set(uint8_t *bm, uint32_t bit) { bm[bit >> 3] |= (uint8_t)(1u << (bit & 7)); }

/* 24.6.9: read bitmap for MSRs 0-1FFFH at offset 0, writes at 2048 (the high range is not
 * intercepted by the root's bitmap; MSRs outside both ranges always exit). */
static void msr_intercept(uint8_t *bm, uint32_t msr, bool rd, bool wr)
{
    if (msr > 0x1FFF)
        return;
    if (rd)
        bitmap_set(bm, msr);
    if (wr)
        bitmap_set(bm + 2048, msr);
}

int vp_arch_init(struct hv_vp *vp)
{
    struct hv_pool *pool = vp_pool(vp);
    struct hv_vp_arch *a = &vp->arch;
    memset(a, 0, sizeof *a);
    a->vmcs = hv_pool_alloc(pool);
    a->msr_bitmap = hv_pool_alloc(pool);
    a->io_bitmap_a = hv_pool_alloc(pool);
    a->io_bitmap_b = hv_pool_alloc(pool);
    if (!a->vmcs || !a->msr_bitmap || !a->io_bitmap_a || !a->io_bitmap_b) {
        vp_arch_destroy(vp);
        return -1;
    }
    /* 24.2: revision identifier; VMCLEAR initialises the region (launch state clear) */
    *(volatile uint32_t *)hv_hpa_ptr(a->vmcs) = vmx_caps.revision;
    if (vmclear(a->vmcs) != 0)
        hv_panic("vmx: VMCLEAR of a new VMCS failed");
    uint8_t *msr = hv_hpa_ptr(a->msr_bitmap);
    if (vp->part->id == HV_PARTITION_ROOT_ID) {
        /* the root owns the ports (bitmaps stay 0) and most MSRs; intercepted: the x2APIC
         * range (its APIC is virtual), IA32_APIC_BASE writes, IA32_FEATURE_CONTROL and the VMX
         * capability MSRs (VMX is not offered) */
        for (uint32_t m = 0x800; m <= 0x8FF; m++)
            msr_intercept(msr, m, true, true);
        msr_intercept(msr, MSR_IA32_FEATURE_CONTROL, true, true);
        msr_intercept(msr, MSR_IA32_APIC_BASE, false, true);
        for (uint32_t m = MSR_IA32_VMX_BASIC; m <= MSR_IA32_VMX_VMFUNC; m++)
            msr_intercept(msr, m, true, true);
    } else {
        memset(msr, 0xFF, 4096);
        memset(hv_hpa_ptr(a->io_bitmap_a), 0xFF, 4096);
        memset(hv_hpa_ptr(a->io_bitmap_b), 0xFF, 4096);
    }
    /* traces/annot_abi.h: exits on this VMCS belong to this partition and VP */
    hv_annotate(HVSIM_ANNOT_VMCS_IDENTITY, a->vmcs, vp->part->id, vp->index, 0);
    vp->next_on_lp = NULL;
    vmx_run_list_lock(vp->lp);
    struct hv_vp **pp = &hv_lps[vp->lp].run_list;
    while (*pp)
        pp = &(*pp)->next_on_lp;
    *pp = vp;
    vmx_run_list_unlock(vp->lp);
    return 0;
}

void vp_arch_destroy(struct hv_vp *vp)
{
    struct hv_vp_arch *a = &vp->arch;
    struct hv_lp *lp = &hv_lps[vp->lp];
    if (a->vmcs && lp->current == vp) {
        if (lp == this_lp()) {
            vmclear(a->vmcs);
            lp->current = NULL;
        } else {
            /* its LP must VMCLEAR it (a VMCS is current on one LP only): ask and wait */
            a->clear_req = true;
            lp->resched = 1;
            lapic_send_ipi(lp->apic_id, HV_VECTOR_KICK);
            while (lp->current == vp) {
                ept_flush_service();
                vmx_tlb_flush_service();
                cpu_pause();
            }
        }
    }
    vmx_run_list_lock(vp->lp);
    for (struct hv_vp **pp = &lp->run_list; *pp; pp = &(*pp)->next_on_lp)
        if (*pp == vp) {
            *pp = vp->next_on_lp;
            break;
        }
    vmx_run_list_unlock(vp->lp);
    vp->next_on_lp = NULL;
    if (a->vmcs)
        hv_annotate(HVSIM_ANNOT_VMCS_IDENTITY, a->vmcs, 0xFFFF, 0, 0);
    struct hv_pool *pool = vp_pool(vp);
    uint64_t pages[4] = { a->vmcs, a->msr_bitmap, a->io_bitmap_a, a->io_bitmap_b };
    for (int i = 0; i < 4; i++)
        if (pages[i])
            hv_pool_free(pool, pages[i]);
    a->vmcs = a->msr_bitmap = a->io_bitmap_a = a->io_bitmap_b = 0;
    a->vmcs_ready = false;
}

void vp_kick(struct hv_vp *vp)
{
    struct hv_lp *lp = &hv_lps[vp->lp];
    lp->resched = 1;
    if (lp != this_lp())
        lapic_send_ipi(lp->apic_id, HV_VECTOR_KICK);
}

void vp_raise_irq(struct hv_vp *vp, uint8_t vector)
{
    __atomic_fetch_or(&vp->arch.pending_irq[vector >> 6], 1ull << (vector & 63), __ATOMIC_SEQ_CST);
    vp_kick(vp);
}
