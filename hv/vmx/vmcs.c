/* vmcs.c — the VMCS of a VP (SDM Vol. 3 chapter 24): control, host-state and guest-state fields,
 * and the copy between the VMCS and the VP's software context (vp->ctx, docs/HYPERVISOR.md
 * "Register access").
 *
 * Segment attributes: the TLFS HV_X64_SEGMENT_REGISTER attribute word (type 3:0, S 4, DPL 6:5,
 * P 7, reserved 11:8, AVL 12, L 13, D/B 14, G 15) has the layout of VMX access-rights bits 15:0
 * (24.4.1, table 24-2); VMX bit 16 "unusable" has no TLFS bit: a segment other than CS and TR
 * that is not present is loaded as unusable and reads back as attributes 0.
 *
 * CR0/CR4: the bits the fixed-0 MSRs force (CR0.NE, CR4.VMXE; CR0.PE/PG are free for an
 * unrestricted guest, 25.3) are host-owned (guest/host mask set) and the read shadows hold the
 * values the guest wrote, so a guest never sees or loses them (exit_cr.c handles the writes).
 *
 * Invariants: every function here runs on vp->lp with vp's VMCS current; fields the hypervisor
 * does not use are written 0; the GPRs other than RSP live in vp->ctx.gpr at all times.
 */
#include "hv/vmx/vmx.h"
#include "krt/krt.h"

#define GPR_RSP 4

uint64_t vmx_cr0_mask(void)
{
    return vmx_caps.cr0_fixed0 & ~(CR0_PE | CR0_PG);
}

uint64_t vmx_cr4_mask(void)
{
    return vmx_caps.cr4_fixed0;
}

static uint16_t sel(int which)
{
    uint16_t v = 0;
    switch (which) {
    case 0: __asm__ volatile("mov %%cs, %0" : "=r"(v)); break;
    case 1: __asm__ volatile("mov %%ss, %0" : "=r"(v)); break;
    case 2: __asm__ volatile("mov %%ds, %0" : "=r"(v)); break;
    case 3: __asm__ volatile("mov %%es, %0" : "=r"(v)); break;
    case 4: __asm__ volatile("mov %%fs, %0" : "=r"(v)); break;
    case 5: __asm__ volatile("mov %%gs, %0" : "=r"(v)); break;
    default: __asm__ volatile("str %0" : "=r"(v)); break;
    }
    return v & 0xFFF8;   /* 26.2.3: host selectors have RPL 0 and TI 0 */
}

extern char vmx_exit_entry[];

/* Host-state area (24.5, 26.2.2-26.2.4): this LP as it is now. HOST_RSP is written by run.S
 * before each entry. */
static void host_state(struct hv_lp *lp)
{
    vmx_write(VMCS_H_CR0, read_cr0());
    vmx_write(VMCS_H_CR3, read_cr3());
    vmx_write(VMCS_H_CR4, read_cr4());
    vmx_write(VMCS_H_CS_SEL, sel(0));
    vmx_write(VMCS_H_SS_SEL, sel(1));
    vmx_write(VMCS_H_DS_SEL, sel(2));
    vmx_write(VMCS_H_ES_SEL, sel(3));
    vmx_write(VMCS_H_FS_SEL, sel(4));
    vmx_write(VMCS_H_GS_SEL, sel(5));
    vmx_write(VMCS_H_TR_SEL, sel(6));
    vmx_write(VMCS_H_FS_BASE, rdmsr(MSR_IA32_FS_BASE));
    vmx_write(VMCS_H_GS_BASE, rdmsr(MSR_IA32_GS_BASE));
    vmx_write(VMCS_H_TR_BASE, lp->tss_base);
    vmx_write(VMCS_H_GDTR_BASE, lp->gdt_base);
    vmx_write(VMCS_H_IDTR_BASE, lp->idt_base);
    vmx_write(VMCS_H_SYSENTER_CS, 0);
    vmx_write(VMCS_H_SYSENTER_ESP, 0);
    vmx_write(VMCS_H_SYSENTER_EIP, 0);
    vmx_write(VMCS_H_EFER, rdmsr(MSR_IA32_EFER));
    vmx_write(VMCS_H_PAT, rdmsr(MSR_IA32_PAT));
    vmx_write(VMCS_H_RIP, (uint64_t)vmx_exit_entry);
}

void vmcs_setup(struct hv_vp *vp)
{
    const struct vmx_caps *c = &vmx_caps;

    /* 24.6: execution controls. Every VP, the root's too, has the preemption timer: a root VP
     * that never halts must not starve the children that share its LP (loop.c). */
    vmx_write(VMCS_PIN, c->pin);
    vmx_write(VMCS_PROC, c->proc);
    vmx_write(VMCS_PROC2, c->proc2);
    vmx_write(VMCS_EXIT_CTLS, c->exit);
    vmx_write(VMCS_ENTRY_CTLS, c->entry);
    vmx_write(VMCS_EXC_BITMAP, 0);
    vmx_write(VMCS_PF_MASK, 0);
    vmx_write(VMCS_PF_MATCH, 0);
    vmx_write(VMCS_CR3_TARGET_COUNT, 0);
    vmx_write(VMCS_EXIT_MSR_STORE_COUNT, 0);
    vmx_write(VMCS_EXIT_MSR_LOAD_COUNT, 0);
    vmx_write(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
    vmx_write(VMCS_ENTRY_INTR_INFO, 0);
    vmx_write(VMCS_IO_BITMAP_A, vp->arch.io_bitmap_a);
    vmx_write(VMCS_IO_BITMAP_B, vp->arch.io_bitmap_b);
    vmx_write(VMCS_MSR_BITMAP, vp->arch.msr_bitmap);
    vmx_write(VMCS_TSC_OFFSET, 0);
    vmx_write(VMCS_EPTP, vp->part->ept.eptp);
    vmx_write(VMCS_VPID, vp->vpid);
    vmx_write(VMCS_LINK_PTR, ~0ull);   /* 26.3.1.5: no shadow VMCS */
    vmx_write(VMCS_CR0_MASK, vmx_cr0_mask());
    vmx_write(VMCS_CR4_MASK, vmx_cr4_mask());

    host_state(&hv_lps[vp->lp]);

    /* guest non-register state (24.4.2) */
    vmx_write(VMCS_G_ACTIVITY, 0);
    vmx_write(VMCS_G_INTERRUPTIBILITY, 0);
    vmx_write(VMCS_G_PENDING_DBG, 0);
    vmx_write(VMCS_G_DEBUGCTL, 0);
    vmx_write(VMCS_G_DR7, 0x400);
    vmx_write(VMCS_PREEMPT_TIMER, c->slice_ticks);
    vp_ctx_load(vp);
    vp->arch.vmcs_ready = true;
}

/* ---- context <-> VMCS ---- */
struct seg_fields { uint32_t sel, limit, ar, base; };
static const struct seg_fields segf[8] = {
    { VMCS_G_ES_SEL, VMCS_G_ES_LIMIT, VMCS_G_ES_AR, VMCS_G_ES_BASE },
    { VMCS_G_CS_SEL, VMCS_G_CS_LIMIT, VMCS_G_CS_AR, VMCS_G_CS_BASE },
    { VMCS_G_SS_SEL, VMCS_G_SS_LIMIT, VMCS_G_SS_AR, VMCS_G_SS_BASE },
    { VMCS_G_DS_SEL, VMCS_G_DS_LIMIT, VMCS_G_DS_AR, VMCS_G_DS_BASE },
    { VMCS_G_FS_SEL, VMCS_G_FS_LIMIT, VMCS_G_FS_AR, VMCS_G_FS_BASE },
    { VMCS_G_GS_SEL, VMCS_G_GS_LIMIT, VMCS_G_GS_AR, VMCS_G_GS_BASE },
    { VMCS_G_LDTR_SEL, VMCS_G_LDTR_LIMIT, VMCS_G_LDTR_AR, VMCS_G_LDTR_BASE },
    { VMCS_G_TR_SEL, VMCS_G_TR_LIMIT, VMCS_G_TR_AR, VMCS_G_TR_BASE },
};

static struct hv_seg *ctx_seg(struct hv_vp_context *x, int i)
{
    struct hv_seg *s[8] = { &x->es, &x->cs, &x->ss, &x->ds, &x->fs, &x->gs, &x->ldtr, &x->tr };
    return s[i];
}

void vp_ctx_load(struct hv_vp *vp)
{
    struct hv_vp_context *x = &vp->ctx;
    for (int i = 0; i < 8; i++) {
        const struct hv_seg *s = ctx_seg(x, i);
        uint32_t ar = s->attributes & 0xF0FF;
        /* CS (index 1) and TR (7) are always usable */
        if (i != 1 && i != 7 && !(ar & 0x80))
            ar = 0x10000;
        vmx_write(segf[i].sel, s->selector);
        vmx_write(segf[i].limit, s->limit);
        vmx_write(segf[i].ar, ar);
        vmx_write(segf[i].base, s->base);
    }
    vmx_write(VMCS_G_GDTR_BASE, x->gdtr.base);
    vmx_write(VMCS_G_GDTR_LIMIT, x->gdtr.limit);
    vmx_write(VMCS_G_IDTR_BASE, x->idtr.base);
    vmx_write(VMCS_G_IDTR_LIMIT, x->idtr.limit);
    vmx_write(VMCS_G_RSP, x->gpr[GPR_RSP]);
    vmx_write(VMCS_G_RIP, x->rip);
    vmx_write(VMCS_G_RFLAGS, x->rflags | 2);
    uint64_t cr0 = x->cr0;
    uint64_t cr0m = vmx_cr0_mask(), cr4m = vmx_cr4_mask();
    vmx_write(VMCS_G_CR0, (cr0 | cr0m) & vmx_caps.cr0_fixed1);
    vmx_write(VMCS_CR0_SHADOW, cr0);
    vmx_write(VMCS_G_CR4, (x->cr4 | cr4m) & vmx_caps.cr4_fixed1);
    vmx_write(VMCS_CR4_SHADOW, x->cr4);
    vmx_write(VMCS_G_CR3, x->cr3);
    /* 26.2.4/26.3.1.1: EFER.LMA = IA-32e mode guest = (CR0.PG and EFER.LME) */
    uint64_t efer = x->efer;
    if ((cr0 & CR0_PG) && (efer & EFER_LME))
        efer |= EFER_LMA;
    else
        efer &= ~EFER_LMA;
    vmx_write(VMCS_G_EFER, efer);
    vmx_write(VMCS_G_PAT, x->pat);
    vmx_write(VMCS_G_SYSENTER_CS, x->sysenter_cs);
    vmx_write(VMCS_G_SYSENTER_EIP, x->sysenter_eip);
    vmx_write(VMCS_G_SYSENTER_ESP, x->sysenter_esp);
    uint64_t entry = vmx_read(VMCS_ENTRY_CTLS) & ~(uint64_t)ENTRY_IA32E;
    vmx_write(VMCS_ENTRY_CTLS, entry | ((efer & EFER_LMA) ? ENTRY_IA32E : 0));
    /* 25.2: the exceptions the parent intercepts (HvCallInstallIntercept; 0 for the root) */
    vmx_write(VMCS_EXC_BITMAP, __atomic_load_n(&vp->part->exc_icpt_bitmap, __ATOMIC_ACQUIRE));
    x->dirty = false;
}

void vp_ctx_save(struct hv_vp *vp)
{
    struct hv_vp_context *x = &vp->ctx;
    for (int i = 0; i < 8; i++) {
        struct hv_seg *s = ctx_seg(x, i);
        uint32_t ar = (uint32_t)vmx_read(segf[i].ar);
        s->selector = (uint16_t)vmx_read(segf[i].sel);
        s->limit = (uint32_t)vmx_read(segf[i].limit);
        s->base = vmx_read(segf[i].base);
        s->attributes = (ar & 0x10000) ? 0 : (uint16_t)(ar & 0xF0FF);
    }
    x->gdtr.base = vmx_read(VMCS_G_GDTR_BASE);
    x->gdtr.limit = (uint16_t)vmx_read(VMCS_G_GDTR_LIMIT);
    x->idtr.base = vmx_read(VMCS_G_IDTR_BASE);
    x->idtr.limit = (uint16_t)vmx_read(VMCS_G_IDTR_LIMIT);
    x->gpr[GPR_RSP] = vmx_read(VMCS_G_RSP);
    x->rip = vmx_read(VMCS_G_RIP);
    x->rflags = vmx_read(VMCS_G_RFLAGS);
    uint64_t cr0m = vmx_cr0_mask(), cr4m = vmx_cr4_mask();
    x->cr0 = (vmx_read(VMCS_G_CR0) & ~cr0m) | (vmx_read(VMCS_CR0_SHADOW) & cr0m);
    x->cr4 = (vmx_read(VMCS_G_CR4) & ~cr4m) | (vmx_read(VMCS_CR4_SHADOW) & cr4m);
    x->cr3 = vmx_read(VMCS_G_CR3);
    x->efer = vmx_read(VMCS_G_EFER);
    x->pat = vmx_read(VMCS_G_PAT);
    x->sysenter_cs = vmx_read(VMCS_G_SYSENTER_CS);
    x->sysenter_eip = vmx_read(VMCS_G_SYSENTER_EIP);
    x->sysenter_esp = vmx_read(VMCS_G_SYSENTER_ESP);
}
