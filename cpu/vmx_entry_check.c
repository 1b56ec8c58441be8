/* vmx_entry_check.c — the checks VM entry makes before it changes anything (SDM Vol. 3 27.2:
 * VMX controls and host-state area, VMfailValid 7 or 8) and on the guest-state area (27.3.1:
 * VM-entry failure with exit reason 33), as pure functions of the current VMCS, the CPU model's
 * capability MSRs and (27.2.4) the processor's own IA32_EFER.LMA.
 *
 * Each check cites the paragraph it implements; checks appear in the SDM's order. hvsim leaves
 * out the checks of features the capability MSRs never allow (posted interrupts, virtual-
 * interrupt delivery, PML, #VE, VMCS shadowing, SMM, PERF_GLOBAL_CTRL, BNDCFGS, CET, PKRS):
 * their controls are already refused by the reserved-bit checks.
 *
 * Invariants: nothing here writes any state; memory is only read (virtual-APIC page TPR byte,
 * VMCS link pointer revision) through the bus.
 */
#include "cpu/cpu.h"
#include "cpu/model.h"
#include "mmu/ept.h"
#include "sim/bus.h"

#define VF(c, name) ((c)->vmx.vmcs[VMCS_##name])

/* Controls that the checks name (24.6-24.8). */
#define PIN_NMI_EXITING     (1u << 3)
#define PIN_VIRTUAL_NMI     (1u << 5)
#define PROC_NMI_WINDOW     (1u << 22)
#define PROC_IO_BITMAPS     (1u << 25)
#define PROC_MTF            VMX_PROC_MTF
#define PROC_MSR_BITMAPS    (1u << 28)
#define PROC2_X2APIC        (1u << 4)
#define PROC2_UNRESTRICTED  (1u << 7)
#define PROC2_APIC_REGS     (1u << 8)
#define EXIT_HOST_64        (1u << 9)
#define EXIT_SAVE_PREEMPT   (1u << 22)
#define ENTRY_LOAD_DEBUG    (1u << 2)
#define ENTRY_IA32E         (1u << 9)
#define VMFUNC_EPTP_SWITCH  1ull

/* ------------------------------------------------------------------ helpers */

/* A capability MSR of controls: allowed-0 settings (bits that must be 1) in 31:0, allowed-1
 * settings (bits that may be 1) in 63:32 (Appendix A.3-A.5). */
static bool ctls_ok(uint64_t cap, uint32_t v)
{
    uint32_t must1 = (uint32_t)cap, may1 = (uint32_t)(cap >> 32);
    return (v & must1) == must1 && !(v & ~may1);
}

static unsigned phys_bits(const struct cpu *c) { return c->model->max_phys_bits; }

/* A physical address: no bit at or above MAXPHYADDR, and `align`-aligned. */
static bool pa_ok(const struct cpu *c, uint64_t pa, uint64_t align)
{
    return !(pa >> phys_bits(c)) && !(pa & (align - 1));
}

static bool canonical(const struct cpu *c, uint64_t v)
{
    unsigned sh = 64 - c->model->max_lin_bits;
    return (uint64_t)((int64_t)(v << sh) >> sh) == v;
}

/* PAT entries: each byte a valid memory type (0, 1, 4, 5, 6, 7). */
static bool pat_ok(uint64_t pat)
{
    for (int k = 0; k < 8; k++) {
        unsigned t = (pat >> (8 * k)) & 0xff;
        if (t > 7 || t == 2 || t == 3)
            return false;
    }
    return true;
}

/* An MSR list: 16-byte aligned, its last byte within MAXPHYADDR (27.2.1.2, 27.2.1.3). */
static bool msr_list_ok(const struct cpu *c, uint64_t addr, uint32_t count)
{
    if (!count)
        return true;
    return !(addr & 0xf) && pa_ok(c, addr, 1) && pa_ok(c, addr + 16ull * count - 1, 1);
}

static bool cr_fixed_ok(uint64_t v, uint64_t fixed0, uint64_t fixed1)
{
    return (v & fixed0) == fixed0 && !(v & ~fixed1);
}

static uint64_t cap(const struct cpu *c, uint32_t msr)
{
    uint64_t v = 0;
    (void)vmx_msr_read(c, msr, &v);
    return v;
}

/* ------------------------------------------------------------------ 27.2.1 VMX controls */

static bool true_ctls(const struct cpu *c)
{
    return c->model->vmx.basic & VMX_BASIC_TRUE_CTLS;
}

/* 27.2.1.1 VM-execution control fields. */
static bool exec_controls_ok(const struct cpu *c)
{
    uint32_t pin = (uint32_t)VF(c, PIN_CONTROLS), proc = (uint32_t)VF(c, PROC_CONTROLS);
    uint32_t proc2 = (proc & VMX_PROC_SECONDARY) ? (uint32_t)VF(c, PROC_CONTROLS2) : 0;
    if (!ctls_ok(cap(c, true_ctls(c) ? MSR_VMX_TRUE_PINBASED_CTLS : MSR_VMX_PINBASED_CTLS), pin) ||
        !ctls_ok(cap(c, true_ctls(c) ? MSR_VMX_TRUE_PROCBASED_CTLS : MSR_VMX_PROCBASED_CTLS),
                 proc))
        return false;
    if ((proc & VMX_PROC_SECONDARY) && !ctls_ok(cap(c, MSR_VMX_PROCBASED_CTLS2), proc2))
        return false;
    if (VF(c, CR3_TARGET_COUNT) > VMX_MISC_CR3_TARGETS(c->model->vmx.misc))
        return false;
    if ((proc & PROC_IO_BITMAPS) &&
        (!pa_ok(c, VF(c, IO_BITMAP_A), 4096) || !pa_ok(c, VF(c, IO_BITMAP_B), 4096)))
        return false;
    if ((proc & PROC_MSR_BITMAPS) && !pa_ok(c, VF(c, MSR_BITMAP), 4096))
        return false;
    if (proc & VMX_PROC_TPR_SHADOW) {
        uint64_t vapic = VF(c, VIRTUAL_APIC_ADDR);
        uint32_t thr = (uint32_t)VF(c, TPR_THRESHOLD);
        if (!pa_ok(c, vapic, 4096) || (thr >> 4))
            return false;
        /* without "virtualize APIC accesses": threshold[3:0] <= VTPR[7:4] */
        if (!(proc2 & VMX_PROC2_APIC_ACCESS) &&
            (thr & 0xf) > ((bus_read(c->bus, vapic + 0x80, 1) >> 4) & 0xf))
            return false;
    } else if (proc2 & (PROC2_X2APIC | PROC2_APIC_REGS | VMX_PROC2_VID)) {
        return false;
    }
    if (!(pin & PIN_NMI_EXITING) && (pin & PIN_VIRTUAL_NMI))
        return false;
    if (!(pin & PIN_VIRTUAL_NMI) && (proc & PROC_NMI_WINDOW))
        return false;
    if ((proc2 & VMX_PROC2_APIC_ACCESS) && !pa_ok(c, VF(c, APIC_ACCESS_ADDR), 4096))
        return false;
    if ((proc2 & PROC2_X2APIC) && (proc2 & VMX_PROC2_APIC_ACCESS))
        return false;
    if ((proc2 & VMX_PROC2_VPID) && VF(c, VPID) == 0)
        return false;
    if ((proc2 & VMX_PROC2_EPT) && !ept_eptp_valid(c->model, VF(c, EPT_POINTER)))
        return false;
    if ((proc2 & PROC2_UNRESTRICTED) && !(proc2 & VMX_PROC2_EPT))
        return false;
    if (proc2 & VMX_PROC2_VMFUNC) {
        uint64_t f = VF(c, VMFUNC_CONTROLS);
        if (f & ~c->model->vmx.vmfunc)
            return false;
        if ((f & VMFUNC_EPTP_SWITCH) &&
            (!(proc2 & VMX_PROC2_EPT) || !pa_ok(c, VF(c, EPTP_LIST_ADDR), 4096)))
            return false;
    }
    return true;
}

/* 27.2.1.2 VM-exit control fields. */
static bool exit_controls_ok(const struct cpu *c)
{
    uint32_t ex = (uint32_t)VF(c, EXIT_CONTROLS);
    if (!ctls_ok(cap(c, true_ctls(c) ? MSR_VMX_TRUE_EXIT_CTLS : MSR_VMX_EXIT_CTLS), ex))
        return false;
    if (!(VF(c, PIN_CONTROLS) & VMX_PIN_PREEMPT_TIMER) && (ex & EXIT_SAVE_PREEMPT))
        return false;
    return msr_list_ok(c, VF(c, EXIT_MSR_STORE_ADDR), (uint32_t)VF(c, EXIT_MSR_STORE_COUNT)) &&
           msr_list_ok(c, VF(c, EXIT_MSR_LOAD_ADDR), (uint32_t)VF(c, EXIT_MSR_LOAD_COUNT));
}

/* Exceptions that push an error code (Table 6-1): #DF #TS #NP #SS #GP #PF #AC. */
static bool has_error_code(unsigned v)
{
    return v == 8 || (v >= 10 && v <= 14) || v == 17;
}

static bool unrestricted(const struct cpu *c)
{
    return (VF(c, PROC_CONTROLS) & VMX_PROC_SECONDARY) &&
           (VF(c, PROC_CONTROLS2) & PROC2_UNRESTRICTED);
}

/* 27.2.1.3 VM-entry control fields, event injection included. */
static bool entry_controls_ok(const struct cpu *c)
{
    uint32_t en = (uint32_t)VF(c, ENTRY_CONTROLS);
    if (!ctls_ok(cap(c, true_ctls(c) ? MSR_VMX_TRUE_ENTRY_CTLS : MSR_VMX_ENTRY_CTLS), en))
        return false;
    uint32_t info = (uint32_t)VF(c, ENTRY_INTR_INFO);
    if (info & VMX_INTR_VALID) {
        unsigned type = VMX_INTR_TYPE(info), vec = VMX_INTR_VECTOR(info);
        if (type == 1)
            return false;                           /* reserved type */
        if (type == VMX_INTR_OTHER &&
            !(cap(c, MSR_VMX_TRUE_PROCBASED_CTLS) >> 32 & PROC_MTF))
            return false;
        if ((type == VMX_INTR_NMI && vec != 2) || (type == VMX_INTR_HW_EXCEPTION && vec > 31) ||
            (type == VMX_INTR_OTHER && vec != 0))
            return false;
        bool prot = !unrestricted(c) || (VF(c, GUEST_CR0) & CR0_PE);
        bool want_err = type == VMX_INTR_HW_EXCEPTION && prot && has_error_code(vec);
        if (!!(info & VMX_INTR_HAS_ERROR) != want_err)
            return false;
        if (info & 0x7ffff000u)                     /* bits 30:12 reserved */
            return false;
        if ((info & VMX_INTR_HAS_ERROR) && (VF(c, ENTRY_EXCEPTION_ERROR) >> 16))
            return false;
        if (type >= VMX_INTR_SW_INT && type <= VMX_INTR_SW_EXCEPTION) {
            uint32_t len = (uint32_t)VF(c, ENTRY_INSN_LEN);
            bool zero_ok = c->model->vmx.misc & (1ull << 30);
            if (len > 15 || (len == 0 && !zero_ok))
                return false;
        }
    }
    return msr_list_ok(c, VF(c, ENTRY_MSR_LOAD_ADDR), (uint32_t)VF(c, ENTRY_MSR_LOAD_COUNT));
}

enum vmx_insn_error vmx_check_controls(const struct cpu *c)
{
    if (!exec_controls_ok(c) || !exit_controls_ok(c) || !entry_controls_ok(c))
        return VMXERR_ENTRY_BAD_CONTROLS;
    return 0;
}

/* ------------------------------------------------------------------ 27.2.2-27.2.4 host state */

static uint64_t cr0_fixed1(const struct cpu *c) { return cap(c, MSR_VMX_CR0_FIXED1); }
static uint64_t cr4_fixed1(const struct cpu *c) { return cap(c, MSR_VMX_CR4_FIXED1); }

enum vmx_insn_error vmx_check_host_state(const struct cpu *c)
{
    const enum vmx_insn_error bad = VMXERR_ENTRY_BAD_HOST_STATE;
    uint32_t ex = (uint32_t)VF(c, EXIT_CONTROLS);
    bool host64 = ex & EXIT_HOST_64;
    /* 27.2.2 control registers and MSRs */
    uint64_t cr4 = VF(c, HOST_CR4);
    if (!cr_fixed_ok(VF(c, HOST_CR0), cap(c, MSR_VMX_CR0_FIXED0), cr0_fixed1(c)) ||
        !cr_fixed_ok(cr4, cap(c, MSR_VMX_CR4_FIXED0), cr4_fixed1(c)))
        return bad;
    if (!pa_ok(c, VF(c, HOST_CR3), 1))
        return bad;
    if (!canonical(c, VF(c, HOST_SYSENTER_ESP)) || !canonical(c, VF(c, HOST_SYSENTER_EIP)))
        return bad;
    if ((ex & VMX_EXIT_LOAD_PAT) && !pat_ok(VF(c, HOST_PAT)))
        return bad;
    if (ex & VMX_EXIT_LOAD_EFER) {
        uint64_t efer = VF(c, HOST_EFER);
        if ((efer & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)) ||
            !!(efer & EFER_LMA) != host64 || !!(efer & EFER_LME) != host64)
            return bad;
    }
    /* 27.2.3 segment and descriptor-table registers: RPL and TI 0, CS and TR not null, SS not
     * null for a 32-bit host; bases canonical */
    static const int sels[] = { VMCS_HOST_ES_SEL, VMCS_HOST_CS_SEL, VMCS_HOST_SS_SEL,
                                VMCS_HOST_DS_SEL, VMCS_HOST_FS_SEL, VMCS_HOST_GS_SEL,
                                VMCS_HOST_TR_SEL };
    for (unsigned k = 0; k < sizeof sels / sizeof sels[0]; k++)
        if (c->vmx.vmcs[sels[k]] & 7)
            return bad;
    if (VF(c, HOST_CS_SEL) == 0 || VF(c, HOST_TR_SEL) == 0 || (!host64 && VF(c, HOST_SS_SEL) == 0))
        return bad;
    if (!canonical(c, VF(c, HOST_FS_BASE)) || !canonical(c, VF(c, HOST_GS_BASE)) ||
        !canonical(c, VF(c, HOST_GDTR_BASE)) || !canonical(c, VF(c, HOST_IDTR_BASE)) ||
        !canonical(c, VF(c, HOST_TR_BASE)))
        return bad;
    /* 27.2.4 address-space size */
    bool lma = c->msr.efer & EFER_LMA;
    if (!lma && (host64 || (VF(c, ENTRY_CONTROLS) & ENTRY_IA32E)))
        return bad;
    if (lma && !host64)
        return bad;
    if (!host64 && ((cr4 & CR4_PCIDE) || (VF(c, HOST_RIP) >> 32)))
        return bad;
    if (host64 && (!(cr4 & CR4_PAE) || !canonical(c, VF(c, HOST_RIP))))
        return bad;
    return 0;
}

/* ------------------------------------------------------------------ 27.3.1 guest state */

#define AR_RESERVED 0xfffe0f00u         /* bits 11:8 and 31:17 */

/* Limit and G consistent: limit[11:0] not all ones => G = 0; limit[31:20] not zero => G = 1. */
static bool limit_g_ok(uint32_t limit, uint32_t ar)
{
    if ((limit & 0xfff) != 0xfff && (ar & AR_G))
        return false;
    if ((limit >> 20) && !(ar & AR_G))
        return false;
    return true;
}

/* 27.3.1.1 control registers, debug registers, MSRs. */
static bool guest_regs_ok(const struct cpu *c)
{
    uint32_t en = (uint32_t)VF(c, ENTRY_CONTROLS);
    bool ia32e = en & ENTRY_IA32E;
    uint64_t cr0 = VF(c, GUEST_CR0), cr4 = VF(c, GUEST_CR4);
    uint64_t fixed0 = cap(c, MSR_VMX_CR0_FIXED0);
    if (unrestricted(c))
        fixed0 &= ~(CR0_PE | CR0_PG);
    if (!cr_fixed_ok(cr0, fixed0, cr0_fixed1(c)) || ((cr0 & CR0_PG) && !(cr0 & CR0_PE)))
        return false;
    if (!cr_fixed_ok(cr4, cap(c, MSR_VMX_CR4_FIXED0), cr4_fixed1(c)))
        return false;
    /* load debug controls: DR7 bits 63:32 and the reserved IA32_DEBUGCTL bits (5:2, 63:16) */
    if ((en & ENTRY_LOAD_DEBUG) &&
        ((VF(c, GUEST_DR7) >> 32) || (VF(c, GUEST_DEBUGCTL) & (0x3cull | ~0xffffull))))
        return false;
    if (ia32e && (!(cr0 & CR0_PG) || !(cr4 & CR4_PAE)))
        return false;
    if (!ia32e && (cr4 & CR4_PCIDE))
        return false;
    if (!pa_ok(c, VF(c, GUEST_CR3), 1))
        return false;
    if (!canonical(c, VF(c, GUEST_SYSENTER_ESP)) || !canonical(c, VF(c, GUEST_SYSENTER_EIP)))
        return false;
    if ((en & VMX_ENTRY_LOAD_PAT) && !pat_ok(VF(c, GUEST_PAT)))
        return false;
    if (en & VMX_ENTRY_LOAD_EFER) {
        uint64_t efer = VF(c, GUEST_EFER);
        if ((efer & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)) || !!(efer & EFER_LMA) != ia32e)
            return false;
        if ((cr0 & CR0_PG) && !!(efer & EFER_LME) != !!(efer & EFER_LMA))
            return false;
    }
    return true;
}

/* 27.3.1.2 segment registers. */
static bool guest_segs_ok(const struct cpu *c)
{
    const uint64_t *v = c->vmx.vmcs;
    bool ia32e = v[VMCS_ENTRY_CONTROLS] & ENTRY_IA32E, urg = unrestricted(c);
    bool v86 = v[VMCS_GUEST_RFLAGS] & RF_VM;
    uint32_t ar[8], lim[8];
    uint16_t sel[8];
    uint64_t base[8];
    for (int s = 0; s < 8; s++) {
        ar[s] = (uint32_t)v[VMCS_GUEST_ES_AR + s];
        lim[s] = (uint32_t)v[VMCS_GUEST_ES_LIMIT + s];
        sel[s] = (uint16_t)v[VMCS_GUEST_ES_SEL + s];
        base[s] = v[VMCS_GUEST_ES_BASE + s];
    }
#define USABLE(s) (!(ar[s] & AR_UNUSABLE))
    /* selectors */
    if (sel[SEG_TR] & 4)
        return false;
    if (USABLE(SEG_LDTR) && (sel[SEG_LDTR] & 4))
        return false;
    if (!v86 && !urg && (sel[SEG_SS] & 3) != (sel[SEG_CS] & 3))
        return false;
    /* bases */
    if (!canonical(c, base[SEG_TR]) || !canonical(c, base[SEG_FS]) || !canonical(c, base[SEG_GS]))
        return false;
    if (USABLE(SEG_LDTR) && !canonical(c, base[SEG_LDTR]))
        return false;
    if (base[SEG_CS] >> 32)
        return false;
    for (int s = SEG_ES; s <= SEG_DS; s++)
        if (s != SEG_CS && USABLE(s) && (base[s] >> 32))
            return false;
    if (v86) {
        /* virtual-8086 guest: base = selector << 4, limit FFFFH, access rights F3H */
        for (int s = 0; s < SEG_NSEG; s++)
            if (base[s] != (uint64_t)sel[s] << 4 || lim[s] != 0xffff || ar[s] != 0xf3)
                return false;
    } else {
        unsigned cs_type = AR_TYPE(ar[SEG_CS]), ss_dpl = AR_DPL(ar[SEG_SS]);
        /* CS: accessed code (9, 11, 13, 15), or accessed read/write data (3) with unrestricted */
        if (!(cs_type == 9 || cs_type == 11 || cs_type == 13 || cs_type == 15 ||
              (urg && cs_type == 3)))
            return false;
        if (!(ar[SEG_CS] & AR_S) || !(ar[SEG_CS] & AR_P) || (ar[SEG_CS] & (AR_RESERVED |
            AR_UNUSABLE)) || !limit_g_ok(lim[SEG_CS], ar[SEG_CS]))
            return false;
        unsigned cs_dpl = AR_DPL(ar[SEG_CS]);
        if ((cs_type == 3 && cs_dpl != 0) || ((cs_type == 9 || cs_type == 11) && cs_dpl != ss_dpl) ||
            ((cs_type == 13 || cs_type == 15) && cs_dpl > ss_dpl))
            return false;
        if (ia32e && (ar[SEG_CS] & AR_L) && (ar[SEG_CS] & AR_DB))
            return false;
        /* SS */
        if (USABLE(SEG_SS)) {
            unsigned t = AR_TYPE(ar[SEG_SS]);
            if ((t != 3 && t != 7) || !(ar[SEG_SS] & AR_S) || !(ar[SEG_SS] & AR_P) ||
                (ar[SEG_SS] & AR_RESERVED) || !limit_g_ok(lim[SEG_SS], ar[SEG_SS]))
                return false;
        }
        if (!urg && ss_dpl != (sel[SEG_SS] & 3u))
            return false;
        if ((cs_type == 3 || !(v[VMCS_GUEST_CR0] & CR0_PE)) && ss_dpl != 0)
            return false;
        /* DS, ES, FS, GS */
        static const int data[] = { SEG_ES, SEG_DS, SEG_FS, SEG_GS };
        for (unsigned k = 0; k < 4; k++) {
            int s = data[k];
            if (!USABLE(s))
                continue;
            unsigned t = AR_TYPE(ar[s]);
            if (!(t & 1) || ((t & 8) && !(t & 2)) || !(ar[s] & AR_S) || !(ar[s] & AR_P) ||
                (ar[s] & AR_RESERVED) || !limit_g_ok(lim[s], ar[s]))
                return false;
            if (!urg && t <= 11 && AR_DPL(ar[s]) < (sel[s] & 3u))
                return false;
        }
    }
    /* TR: busy TSS (11; 3 also outside IA-32e mode), S = 0, present, usable */
    unsigned tr_type = AR_TYPE(ar[SEG_TR]);
    if (!(tr_type == 11 || (!ia32e && tr_type == 3)) || (ar[SEG_TR] & AR_S) ||
        !(ar[SEG_TR] & AR_P) || (ar[SEG_TR] & (AR_RESERVED | AR_UNUSABLE)) ||
        !limit_g_ok(lim[SEG_TR], ar[SEG_TR]))
        return false;
    /* LDTR if usable: type 2, S = 0, present */
    if (USABLE(SEG_LDTR) && (AR_TYPE(ar[SEG_LDTR]) != 2 || (ar[SEG_LDTR] & AR_S) ||
                             !(ar[SEG_LDTR] & AR_P) || (ar[SEG_LDTR] & AR_RESERVED) ||
                             !limit_g_ok(lim[SEG_LDTR], ar[SEG_LDTR])))
        return false;
#undef USABLE
    return true;
}

/* 27.3.1.3 descriptor-table registers, 27.3.1.4 RIP and RFLAGS. */
static bool guest_dtr_rip_ok(const struct cpu *c)
{
    const uint64_t *v = c->vmx.vmcs;
    if (!canonical(c, v[VMCS_GUEST_GDTR_BASE]) || !canonical(c, v[VMCS_GUEST_IDTR_BASE]) ||
        (v[VMCS_GUEST_GDTR_LIMIT] >> 16) || (v[VMCS_GUEST_IDTR_LIMIT] >> 16))
        return false;
    bool ia32e = v[VMCS_ENTRY_CONTROLS] & ENTRY_IA32E;
    bool cs_l = v[VMCS_GUEST_CS_AR] & AR_L;
    uint64_t rip = v[VMCS_GUEST_RIP], fl = v[VMCS_GUEST_RFLAGS];
    if ((!ia32e || !cs_l) && (rip >> 32))
        return false;
    if (ia32e && cs_l && !canonical(c, rip))
        return false;
    /* RFLAGS: 63:22, 15, 5, 3 reserved (0), bit 1 reserved (1) */
    if ((fl & 0xffffffffffc08028ull) || !(fl & RF_FIXED1))
        return false;
    if ((fl & RF_VM) && (ia32e || !(v[VMCS_GUEST_CR0] & CR0_PE)))
        return false;
    uint32_t info = (uint32_t)v[VMCS_ENTRY_INTR_INFO];
    if ((info & VMX_INTR_VALID) && VMX_INTR_TYPE(info) == VMX_INTR_EXTERNAL && !(fl & RF_IF))
        return false;
    return true;
}

/* 27.3.1.5 non-register state; *qual = 3 for an NMI injected under blocking by STI. */
static bool guest_nonreg_ok(const struct cpu *c, uint32_t *qual)
{
    const uint64_t *v = c->vmx.vmcs;
    uint32_t act = (uint32_t)v[VMCS_GUEST_ACTIVITY_STATE];
    uint32_t intr = (uint32_t)v[VMCS_GUEST_INTERRUPTIBILITY];
    uint32_t info = (uint32_t)v[VMCS_ENTRY_INTR_INFO];
    bool inject = info & VMX_INTR_VALID;
    unsigned type = VMX_INTR_TYPE(info), vec = VMX_INTR_VECTOR(info);
    uint64_t fl = v[VMCS_GUEST_RFLAGS];
    /* activity state: 0-3 and supported (IA32_VMX_MISC bits 6-8 for 1-3) */
    if (act > 3 || (act && !(c->model->vmx.misc >> (5 + act) & 1)))
        return false;
    if (act == 1 && AR_DPL(v[VMCS_GUEST_SS_AR]) != 0)
        return false;
    if ((intr & 3) && act != 0)
        return false;
    if (inject) {
        bool ok = true;
        if (act == 1)
            ok = type == VMX_INTR_EXTERNAL || type == VMX_INTR_NMI ||
                 (type == VMX_INTR_HW_EXCEPTION && (vec == 1 || vec == 18)) ||
                 (type == VMX_INTR_OTHER && vec == 0);
        else if (act == 2)
            ok = type == VMX_INTR_NMI || (type == VMX_INTR_HW_EXCEPTION && vec == 18);
        else if (act == 3)
            ok = false;
        if (!ok)
            return false;
    }
    /* interruptibility state: 31:5 reserved, bit 4 (enclave) 0 without SGX, not both STI and
     * MOV SS, STI only with IF = 1, no SMI blocking outside SMM */
    if ((intr & ~0xfu) || (intr & 3) == 3 || ((intr & 1) && !(fl & RF_IF)) || (intr & 4))
        return false;
    if (inject && type == VMX_INTR_EXTERNAL && (intr & 3))
        return false;
    if (inject && type == VMX_INTR_NMI) {
        if (intr & 2)
            return false;
        if (intr & 1) {
            *qual = 3;
            return false;
        }
        if ((v[VMCS_PIN_CONTROLS] & PIN_VIRTUAL_NMI) && (intr & 8))
            return false;
    }
    /* pending debug exceptions: 11:4, 13, 15, 63:17 reserved; BS consistent with TF when
     * blocking by STI/MOV SS or in HLT (IA32_DEBUGCTL.BTF reads 0 in hvsim) */
    uint64_t pd = v[VMCS_GUEST_PENDING_DBG];
    if (pd & 0xfffffffffffeaff0ull)
        return false;
    if ((intr & 3) || act == 1) {
        bool bs = pd & (1u << 14), tf = fl & RF_TF;
        if (bs != tf)
            return false;
    }
    /* VMCS link pointer: ~0, or a 4 KiB-aligned address within MAXPHYADDR holding a VMCS of
     * our revision (no shadow-VMCS indicator: VMCS shadowing is not offered) */
    uint64_t link = v[VMCS_VMCS_LINK_PTR];
    if (link != ~0ull) {
        uint32_t rev = 0;
        if (pa_ok(c, link, 4096))
            rev = (uint32_t)bus_read(c->bus, link, 4);
        if (!pa_ok(c, link, 4096) || rev != VMX_BASIC_REVISION(c->model->vmx.basic)) {
            *qual = 4;
            return false;
        }
    }
    return true;
}

/* 27.3.1.6 with EPT and PAE paging: the PDPTE fields (present entries: bits 2:1, 8:5 and those
 * at or above MAXPHYADDR reserved). Without EPT they are checked when loaded (vmx_entry.c). */
static bool guest_pdptes_ok(const struct cpu *c)
{
    const uint64_t *v = c->vmx.vmcs;
    bool ept = (v[VMCS_PROC_CONTROLS] & VMX_PROC_SECONDARY) &&
               (v[VMCS_PROC_CONTROLS2] & VMX_PROC2_EPT);
    bool pae = (v[VMCS_GUEST_CR0] & CR0_PG) && (v[VMCS_GUEST_CR4] & CR4_PAE) &&
               !(v[VMCS_ENTRY_CONTROLS] & ENTRY_IA32E);
    if (!ept || !pae)
        return true;
    uint64_t rsvd = 0x1e6ull | ~((1ull << phys_bits(c)) - 1);
    for (int k = 0; k < 4; k++) {
        uint64_t e = v[VMCS_GUEST_PDPTE0 + k];
        if ((e & 1) && (e & rsvd))
            return false;
    }
    return true;
}

bool vmx_check_guest_state(const struct cpu *c, uint32_t *qual)
{
    *qual = 0;
    return guest_regs_ok(c) && guest_segs_ok(c) && guest_dtr_rip_ok(c) &&
           guest_nonreg_ok(c, qual) && guest_pdptes_ok(c);
}
