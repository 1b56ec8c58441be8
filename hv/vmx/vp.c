/* vp.c — a VP's VMX resources and its place on its LP (docs/HYPERVISOR.md "Running VPs"):
 * vp_arch_init / vp_arch_destroy (VMCS region, MSR bitmap, I/O bitmaps A/B, the XSAVE area of
 * guest_switch.c; SDM Vol. 3 24.2, 24.6.4, 24.6.9), vp_kick and vp_raise_irq.
 *
 * Invariants: the VMCS fields are written on vp->lp only, by the loop the first time the VP is
 * picked (vp->arch.vmcs_ready), never in the middle of another VP's exit handling; a VP is on
 * exactly one run list (its LP's) from vp_arch_init to vp_arch_destroy, and run lists change only
 * under that LP's lock; pending_irq bits are set with locked ORs (any LP) and cleared by vp->lp.
 */
#include "hv/part/annot.h"
#include "hv/vapic/vapic.h"
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

/* 24.6.9: reads and writes of `msr` (low range 0-1FFFH at offsets 0 / 2048, high range
 * C0000000H-C0001FFFH at 1024 / 3072) do not exit. */
static void msr_pass(uint8_t *bm, uint32_t msr)
{
    uint32_t base = msr >= 0xC0000000u ? 1024 : 0, bit = msr & 0x1FFF;
    bm[base + (bit >> 3)] &= (uint8_t)~(1u << (bit & 7));
    bm[base + 2048 + (bit >> 3)] &= (uint8_t)~(1u << (bit & 7));
}

/* A child's MSRs that are its own register state, not the machine's: the VMCS switches EFER,
 * PAT, SYSENTER and FS/GS base (26.3.2.1, 27.3.1); guest_switch.c the SYSCALL MSRs,
 * KERNEL_GS_BASE and TSC_AUX. Their accesses need neither the hypervisor nor the root. */
static const uint32_t child_own_msrs[] = {
    MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP, MSR_IA32_PAT,
    MSR_IA32_EFER, MSR_IA32_STAR, MSR_IA32_LSTAR, MSR_IA32_CSTAR, MSR_IA32_FMASK,
    MSR_IA32_FS_BASE, MSR_IA32_GS_BASE, MSR_IA32_KERNEL_GS_BASE,
};

int vp_arch_init(struct hv_vp *vp)
{
    struct hv_pool *pool = vp_pool(vp);
    struct hv_vp_arch *a = &vp->arch;
    memset(a, 0, sizeof *a);
    a->vmcs = hv_pool_alloc(pool);
    a->msr_bitmap = hv_pool_alloc(pool);
    a->io_bitmap_a = hv_pool_alloc(pool);
    a->io_bitmap_b = hv_pool_alloc(pool);
    a->xsave_area = hv_pool_alloc(pool);
    if (!a->vmcs || !a->msr_bitmap || !a->io_bitmap_a || !a->io_bitmap_b || !a->xsave_area) {
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
        /* IA32_TSC_DEADLINE: the physical APIC timer is the hypervisor's (hv/arch/lapic_timer.c);
         * the root's is its virtual APIC's (hv/vapic/vapic_timer.c, SDM Vol. 3 11.5.4.1) */
        msr_intercept(msr, 0x6E0u, true, true);
        for (uint32_t m = MSR_IA32_VMX_BASIC; m <= MSR_IA32_VMX_VMFUNC; m++)
            msr_intercept(msr, m, true, true);
    } else {
        memset(msr, 0xFF, 4096);
        for (unsigned i = 0; i < sizeof child_own_msrs / sizeof child_own_msrs[0]; i++)
            msr_pass(msr, child_own_msrs[i]);
        if (vmx_caps.proc2 & PROC2_RDTSCP)   /* IA32_TSC_AUX exists with RDTSCP */
            msr_pass(msr, MSR_IA32_TSC_AUX);
        memset(hv_hpa_ptr(a->io_bitmap_a), 0xFF, 4096);
        memset(hv_hpa_ptr(a->io_bitmap_b), 0xFF, 4096);
    }
    vmx_guest_init(vp);
    /* the virtual local APIC in its power-up state (SDM Vol. 3 11.4.7.1): the root's VP k has
     * LP k's physical APIC ID (the MADT stays true), a child's VP its VP index */
    vapic_reset(vp, vp->part->id == HV_PARTITION_ROOT_ID && vp->index < hv_nlps
                        ? hv_lps[vp->index].apic_id : vp->index);
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
    if (a->vmcs && (lp->current == vp || lp->guest == vp)) {
        if (lp == this_lp()) {
            if (lp->current == vp)
                vmclear(a->vmcs);
            lp->current = lp->current == vp ? NULL : lp->current;
            lp->guest = lp->guest == vp ? NULL : lp->guest;
        } else {
            /* its LP must VMCLEAR it (a VMCS is current on one LP only) and stop saving its
             * registers into its area (guest_switch.c): ask and wait */
            a->clear_req = true;
            lp->resched = 1;
            lapic_send_ipi(lp->apic_id, HV_VECTOR_KICK);
            while (lp->current == vp || lp->guest == vp) {
                ept_flush_service();
                vmx_tlb_flush_service();
                cpu_pause();
            }
        }
        a->clear_req = false;
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
    uint64_t pages[5] = { a->vmcs, a->msr_bitmap, a->io_bitmap_a, a->io_bitmap_b,
                          a->xsave_area };
    for (int i = 0; i < 5; i++)
        if (pages[i])
            hv_pool_free(pool, pages[i]);
    a->vmcs = a->msr_bitmap = a->io_bitmap_a = a->io_bitmap_b = a->xsave_area = 0;
    a->vmcs_ready = false;
}

void vp_kick(struct hv_vp *vp)
{
    struct hv_lp *lp = &hv_lps[vp->lp];
    lp->resched = 1;
    if (lp != this_lp())
        lapic_send_ipi(lp->apic_id, HV_VECTOR_KICK);
}

/* The VP's virtual APIC accepts the vector into its IRR (hv/vapic: dropped while it is
 * software-disabled, or for vectors 0-15), and the VP's LP looks at it. */
void vp_raise_irq(struct hv_vp *vp, uint8_t vector)
{
    if (vapic_accept(vp, vector))
        vp_kick(vp);
}
