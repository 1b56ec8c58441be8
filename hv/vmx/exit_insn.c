/* exit_insn.c — exits of instructions the hypervisor emulates: VMCALL (the TLFS hypercall, to
 * hc_dispatch), CPUID, RDMSR/WRMSR, MOV to/from CR0/CR4/CR8, XSETBV (SDM Vol. 3 25.1.2-25.1.3,
 * 27.2.1 exit qualifications; Vol. 2 for each instruction's faults).
 *
 * Invariants: a handler either completes the instruction (results written, RIP advanced past
 * it) or injects the fault the instruction would raise (RIP unchanged); values from the guest
 * are checked before they reach a physical register (CR bits against the fixed-1 MSRs, XCR0
 * against CPUID.(EAX=0DH,ECX=0)); the root never sees VMX (CPUID.1:ECX[5] = 0, the VMX MSRs and
 * IA32_FEATURE_CONTROL raise #GP) nor x2APIC (its APIC is a virtual xAPIC). A child's MSR that
 * is neither synthetic nor protected (msr_protected) is an intercept message to the root, and
 * so is a child's CPUID of a leaf the root installed an intercept for (HvCallInstallIntercept).
 */
#include "hv/vapic/vapic.h"
#include "hv/vmx/vmx.h"
#include "krt/krt.h"

#define RAX 0
#define RCX 1
#define RDX 2
#define RSP 4
#define R8 8
/* IA32_TSC_DEADLINE (SDM Vol. 3 11.5.4.1): every VP's, root or child, is its virtual APIC's
 * (hv/vapic/vapic_timer.c); the physical one is the hypervisor's. */
#define MSR_IA32_TSC_DEADLINE 0x6E0u

static bool is_root(const struct hv_vp *vp) { return vp->part->id == HV_PARTITION_ROOT_ID; }

static uint64_t gpr_get(struct hv_vp *vp, unsigned r)
{
    return r == RSP ? vmx_read(VMCS_G_RSP) : vp->ctx.gpr[r];
}

static void gpr_set(struct hv_vp *vp, unsigned r, uint64_t v)
{
    if (r == RSP)
        vmx_write(VMCS_G_RSP, v);
    else
        vp->ctx.gpr[r] = v;
}

static bool long_mode(void)
{
    return (vmx_read(VMCS_G_EFER) & EFER_LMA) && (vmx_read(VMCS_G_CS_AR) & (1u << 13));
}

/* TLFS 3.4 (hypercall interface): x64 register calling convention from CPL 0 in long mode. */
int vmx_exit_vmcall(struct hv_vp *vp)
{
    unsigned cpl = (vmx_read(VMCS_G_SS_AR) >> 5) & 3;   /* 24.4.1: CPL = SS.DPL */
    if (cpl != 0 || !long_mode()) {
        vmx_inject_exception(VEC_UD, false, 0);
        return 0;
    }
    struct hc_call c = {
        .input = vp->ctx.gpr[RCX], .in_gpa = vp->ctx.gpr[RDX], .out_gpa = vp->ctx.gpr[R8],
        .result = 0, .advance = true,
    };
    hc_dispatch(vp, &c);
    vp->ctx.gpr[RAX] = c.result;
    if (c.advance)
        vmx_advance_rip();
    else
        vp->ctx.gpr[RCX] = c.input;
    /* a hypercall may have changed this VP's state (e.g. suspended it) */
    return vp->state == HV_VP_RUNNABLE ? 0 : 1;
}

int vmx_exit_cpuid(struct hv_vp *vp)
{
    uint32_t leaf = (uint32_t)vp->ctx.gpr[RAX], sub = (uint32_t)vp->ctx.gpr[RCX];
    uint32_t r[4] = { 0, 0, 0, 0 };
    if (leaf >= 0x40000000u && leaf <= 0x400000FFu) {
        if (!synic_cpuid(vp, leaf, sub, r))
            r[0] = r[1] = r[2] = r[3] = 0;
    } else {
        cpuid(leaf, sub, r);
        if (leaf == 1) {
            r[2] |= 1u << 31;                  /* hypervisor present (TLFS 2.4) */
            r[2] &= ~(1u << 5);                /* no VMX in a partition */
            r[2] &= ~(1u << 21);               /* no x2APIC: the APIC is a virtual xAPIC */
            r[2] &= ~(1u << 27);               /* OSXSAVE follows the guest's CR4.OSXSAVE */
            if (vmx_read(VMCS_G_CR4) & (1u << 18))   /* guest-owned bit: the real value */
                r[2] |= 1u << 27;
            if (!is_root(vp))                  /* initial APIC ID = VP index for a child */
                r[1] = (r[1] & 0x00FFFFFFu) | (vp->index << 24);
        }
    }
    /* a leaf the parent intercepts (HvCallInstallIntercept, hv/hcall/hc_intercept.c; never
     * 40000000H-400000FFH): HVMSG_X64_CPUID_INTERCEPT with the result above as the default;
     * the VP waits INTERCEPT_SUSPENDED, registers and RIP untouched, until the root completes
     * the instruction (RAX/RBX/RCX/RDX, RIP + 2) and resumes it */
    if (!is_root(vp) && hv_cpuid_intercepted(vp->part, leaf)) {
        struct hv_intercept ii = {
            .type = HVMSG_X64_CPUID_INTERCEPT,
            .insn_len = (uint8_t)vmx_read(VMCS_EXIT_INSN_LEN),
            .access = HV_INTERCEPT_ACCESS_EXECUTE,
            .cpuid_default = { r[0], r[1], r[2], r[3] },
        };
        vmx_vp_stop(vp, HV_VP_INTERCEPT_SUSPENDED);
        synic_intercept(vp, &ii);
        return 1;
    }
    vp->ctx.gpr[RAX] = r[0];
    vp->ctx.gpr[3] = r[1];   /* RBX */
    vp->ctx.gpr[RCX] = r[2];
    vp->ctx.gpr[RDX] = r[3];
    vmx_advance_rip();
    return 0;
}

/* MSRs whose accesses the hypervisor refuses itself (#GP) for every partition: VMX is not
 * offered (IA32_FEATURE_CONTROL, the VMX capability MSRs 480H-491H: SDM Vol. 3 A.1, 23.7), the
 * x2APIC range 800H-8FFH (no x2APIC: CPUID.1:ECX[21] = 0, so they #GP as on such a CPU, SDM
 * Vol. 3 11.12.1) and the hypervisor's synthetic range 40000000H-400000FFH (TLFS 2.4: an
 * unknown synthetic MSR #GPs). Every other MSR a child reads or writes is the root's to emulate
 * (docs/HYPERVISOR.md "Intercepts"). */
static bool msr_protected(uint32_t msr)
{
    return msr == MSR_IA32_FEATURE_CONTROL ||
           (msr >= MSR_IA32_VMX_BASIC && msr <= MSR_IA32_VMX_VMFUNC) ||
           (msr >= 0x800u && msr <= 0x8FFu) || (msr >= 0x40000000u && msr <= 0x400000FFu);
}

/* A child's RDMSR/WRMSR of an MSR the hypervisor does not handle: TLFS HVMSG_X64_MSR_INTERCEPT
 * to the root (hv/synic/intercept.c: MSR number, RDX, RAX); the VP waits INTERCEPT_SUSPENDED
 * until the root completes the instruction (RIP + length, RAX/RDX of a read) and resumes it. */
static int msr_intercept(struct hv_vp *vp, uint32_t msr, uint8_t access)
{
    struct hv_intercept ii = {
        .type = HVMSG_X64_MSR_INTERCEPT,
        .insn_len = (uint8_t)vmx_read(VMCS_EXIT_INSN_LEN),
        .access = access,
        .msr = msr,
    };
    vmx_vp_stop(vp, HV_VP_INTERCEPT_SUSPENDED);
    synic_intercept(vp, &ii);
    return 1;
}

int vmx_exit_rdmsr(struct hv_vp *vp)
{
    uint32_t msr = (uint32_t)vp->ctx.gpr[RCX];
    uint64_t v = 0;
    int rc = msr == MSR_IA32_TSC_DEADLINE ? (v = vapic_tsc_deadline_read(vp), 0)
                                          : synic_rdmsr(vp, msr, &v);
    /* not synthetic: the root's bitmap passes the MSRs it may use through without an exit;
     * what exits (IA32_FEATURE_CONTROL, the VMX MSRs, x2APIC, MSRs outside the bitmap's
     * ranges) is not offered. A child's goes to the root as an intercept unless protected. */
    if (rc == 1 && !is_root(vp) && !msr_protected(msr))
        return msr_intercept(vp, msr, HV_INTERCEPT_ACCESS_READ);
    if (rc == 1)
        rc = -1;
    if (rc != 0) {
        vmx_inject_exception(VEC_GP, true, 0);
        return 0;
    }
    vp->ctx.gpr[RAX] = (uint32_t)v;
    vp->ctx.gpr[RDX] = v >> 32;
    vmx_advance_rip();
    return 0;
}

int vmx_exit_wrmsr(struct hv_vp *vp)
{
    uint32_t msr = (uint32_t)vp->ctx.gpr[RCX];
    uint64_t v = (vp->ctx.gpr[RDX] << 32) | (uint32_t)vp->ctx.gpr[RAX];
    int rc = msr == MSR_IA32_TSC_DEADLINE ? (vapic_tsc_deadline_write(vp, v), 0)
                                          : synic_wrmsr(vp, msr, v);
    if (rc == SYNIC_MSR_RETRY)
        return 0;   /* the hypercall lock is busy: WRMSR runs again (RIP not advanced) */
    if (rc == 1 && !is_root(vp) && !msr_protected(msr))
        return msr_intercept(vp, msr, HV_INTERCEPT_ACCESS_WRITE);
    if (rc == 1) {
        rc = -1;
        if (is_root(vp) && msr == MSR_IA32_APIC_BASE) {
            /* the root's APIC is virtual: a write that keeps the base, the enable bit and
             * xAPIC mode is accepted (no effect); anything else is refused */
            uint64_t cur = rdmsr(MSR_IA32_APIC_BASE);
            if ((v & ~0x100ull) == (cur & ~0x100ull))
                rc = 0;
        }
    }
    if (rc != 0) {
        vmx_inject_exception(VEC_GP, true, 0);
        return 0;
    }
    vmx_advance_rip();
    return 0;
}

/* 27.2.1 table 27-3: control-register accesses. CR0 and CR4 exit only when a host-owned bit
 * (CR0.NE, CR4.VMXE) would change against the read shadow; CR8 always (TPR = ctx.cr8). */
int vmx_exit_cr(struct hv_vp *vp)
{
    uint64_t q = vmx_read(VMCS_EXIT_QUAL);
    unsigned cr = q & 15, type = (q >> 4) & 3, reg = (q >> 8) & 15;
    if (type == 1 && cr == 8) {
        gpr_set(vp, reg, vp->ctx.cr8);
    } else if (type == 0 && cr == 8) {
        uint64_t v = gpr_get(vp, reg);
        if (v >> 4) {
            vmx_inject_exception(VEC_GP, true, 0);
            return 0;
        }
        vp->ctx.cr8 = v;
        vp->vapic.tpr_low = 0;   /* SDM Vol. 3 11.8.6.1: MOV to CR8 clears TPR[3:0] */
    } else if (type == 0 && cr == 4) {
        uint64_t v = gpr_get(vp, reg);
        if ((v & CR4_VMXE) || (v & ~(vmx_caps.cr4_fixed1 | CR4_VMXE))) {
            vmx_inject_exception(VEC_GP, true, 0);
            return 0;
        }
        vmx_write(VMCS_G_CR4, v | vmx_cr4_mask());
        vmx_write(VMCS_CR4_SHADOW, v);
    } else if (type == 0 && cr == 0) {
        uint64_t v = gpr_get(vp, reg), old = vmx_read(VMCS_CR0_SHADOW);
        uint64_t efer = vmx_read(VMCS_G_EFER);
        if (!long_mode())
            v = (uint32_t)v;
        /* SDM Vol. 3 9.8.5: turning paging on with EFER.LME activates IA-32e mode (needs PAE);
         * turning it off leaves it */
        if ((v & CR0_PG) && !(old & CR0_PG) && (efer & EFER_LME)) {
            if (!(vmx_read(VMCS_G_CR4) & CR4_PAE)) {
                vmx_inject_exception(VEC_GP, true, 0);
                return 0;
            }
            efer |= EFER_LMA;
        } else if (!(v & CR0_PG) && (old & CR0_PG)) {
            efer &= ~EFER_LMA;
        }
        if ((v & CR0_PG) && !(v & CR0_PE)) {
            vmx_inject_exception(VEC_GP, true, 0);
            return 0;
        }
        vmx_write(VMCS_G_EFER, efer);
        uint64_t entry = vmx_read(VMCS_ENTRY_CTLS) & ~(uint64_t)ENTRY_IA32E;
        vmx_write(VMCS_ENTRY_CTLS, entry | ((efer & EFER_LMA) ? ENTRY_IA32E : 0));
        vmx_write(VMCS_G_CR0, (v | vmx_cr0_mask()) & vmx_caps.cr0_fixed1);
        vmx_write(VMCS_CR0_SHADOW, v);
    } else {
        hv_log("vmx: partition %lu VP %u: unexpected CR access, qualification %#lx\n",
               (unsigned long)vp->part->id, vp->index, (unsigned long)q);
        vmx_inject_exception(VEC_UD, false, 0);
        return 0;
    }
    vmx_advance_rip();
    return 0;
}

/* SDM Vol. 2 XSETBV (an exit whatever the controls, 25.1.2): #GP(0) for ECX != 0 or a value
 * XSETBV refuses (vmx_xsetbv_ok); else the VP's XCR0, in the LP now (the VP is the LP's guest:
 * guest_switch.c) and kept with the VP's other non-VMCS state. The processor checked CPL 0 and
 * CR4.OSXSAVE before the exit. */
int vmx_exit_xsetbv(struct hv_vp *vp)
{
    uint64_t v = (vp->ctx.gpr[RDX] << 32) | (uint32_t)vp->ctx.gpr[RAX];
    if ((uint32_t)vp->ctx.gpr[RCX] != 0 || !vmx_xsetbv_ok(v)) {
        vmx_inject_exception(VEC_GP, true, 0);
        return 0;
    }
    vp->arch.xcr0 = v;
    __asm__ volatile("xsetbv" : : "c"(0), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
    vmx_advance_rip();
    return 0;
}
