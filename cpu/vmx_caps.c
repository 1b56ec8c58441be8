/* vmx_caps.c — VMX discovery: the capability MSRs IA32_VMX_BASIC ... IA32_VMX_VMFUNC (SDM Vol. 3
 * Appendix A), the checks on a model's vmx.* keys, the CR0/CR4 fixed bits of VMX operation
 * (23.8, A.7, A.8) and the existence of VMCS fields on a model (Appendix B).
 *
 * Invariants:
 *  - Every capability value comes from the CPU model (vmx.* keys) or is derived from it and the
 *    CPUID table; nothing here depends on the processor's state except CR4_FIXED1, which follows
 *    CPUID exactly as the CR4 write check does (sys_cr4_valid).
 *  - A model can only offer a subset of what hvsim knows (the HV_* masks below), and its values
 *    obey the allowed-0/allowed-1 rules of A.3-A.5 (vmx_caps_check), so a hypervisor that
 *    follows the SDM never sees an impossible combination.
 */
#include <stdio.h>

#include "cpu/cpu.h"
#include "cpu/model.h"
#include "cpu/sys_ctl.h"
#include "cpu/vmx.h"

/* What hvsim's VMX knows (the upper bound of any model): the built-in default's set. */
#define HV_PIN     0x0000007full    /* ext-int, NMI, virtual NMIs, preemption timer + default1 */
#define HV_PROC    0xfff9fffeull    /* every primary control but the tertiary controls */
#define HV_PROC2   0x000034efull    /* APIC access, EPT, desc-table, RDTSCP, VPID, WBINVD,
                                     * unrestricted guest, PLE, INVPCID, VM functions */
#define HV_EXIT    0x007fefffull    /* default1, host size, ack int, PAT/EFER save+load, timer */
#define HV_ENTRY   0x0000d3ffull    /* default1, IA-32e guest, load PAT, load EFER */
#define HV_EPT_VPID 0x00000f0106334141ull
#define HV_VMFUNC  0x1ull           /* EPTP switching */
/* MISC: timer rate 4:0, LMA store 5, activity HLT/shutdown/wait-for-SIPI 8:6, CR3 targets
 * 24:16, MSR-list size 27:25, VMWRITE to any field 29, zero-length injection 30 */
#define HV_MISC    0x6fff01ffull

#define ALLOWED0(v) ((uint32_t)(v))
#define ALLOWED1(v) ((uint32_t)((v) >> 32))

bool vmx_msr(uint32_t msr)
{
    return msr >= VMX_MSR_FIRST && msr <= VMX_MSR_LAST;
}

static bool has_vmx(const struct cpu *c)
{
    return sys_has(c, F_VMX);
}

bool vmx_msr_read(const struct cpu *c, uint32_t msr, uint64_t *v)
{
    if (!has_vmx(c))
        return false;
    const struct cpu_model_vmx *x = &c->model->vmx;
    bool true_ctls = x->basic & VMX_BASIC_TRUE_CTLS;
    bool proc2 = ALLOWED1(x->procbased) & VMX_PROC_SECONDARY;
    uint32_t p2 = proc2 ? ALLOWED1(x->procbased2) : 0;
    switch (msr) {
    case MSR_VMX_BASIC: *v = x->basic; return true;
    case MSR_VMX_PINBASED_CTLS: *v = x->pinbased; return true;
    case MSR_VMX_PROCBASED_CTLS: *v = x->procbased; return true;
    case MSR_VMX_EXIT_CTLS: *v = x->exit; return true;
    case MSR_VMX_ENTRY_CTLS: *v = x->entry; return true;
    case MSR_VMX_MISC: *v = x->misc; return true;
    /* A.7, A.8: bits 1 in FIXED0 must be 1, bits 0 in FIXED1 must be 0 in VMX operation */
    case MSR_VMX_CR0_FIXED0: *v = VMX_CR0_FIXED0; return true;
    case MSR_VMX_CR0_FIXED1: *v = 0xffffffffull; return true;
    case MSR_VMX_CR4_FIXED0: *v = VMX_CR4_FIXED0; return true;
    case MSR_VMX_CR4_FIXED1: *v = sys_cr4_valid(c); return true;
    case MSR_VMX_VMCS_ENUM: *v = vmx_vmcs_enum(c->model); return true;
    /* A.3.3: present if the primary controls allow "activate secondary controls" to be 1 */
    case MSR_VMX_PROCBASED_CTLS2: *v = x->procbased2; return proc2;
    /* A.10: present if EPT or VPID can be 1 */
    case MSR_VMX_EPT_VPID_CAP:
        *v = x->ept_vpid_cap;
        return p2 & (VMX_PROC2_EPT | VMX_PROC2_VPID);
    /* A.2: the TRUE_ MSRs are present if IA32_VMX_BASIC[55] = 1 */
    case MSR_VMX_TRUE_PINBASED_CTLS: *v = x->true_pinbased; return true_ctls;
    case MSR_VMX_TRUE_PROCBASED_CTLS: *v = x->true_procbased; return true_ctls;
    case MSR_VMX_TRUE_EXIT_CTLS: *v = x->true_exit; return true_ctls;
    case MSR_VMX_TRUE_ENTRY_CTLS: *v = x->true_entry; return true_ctls;
    /* A.11: present if "enable VM functions" can be 1 */
    case MSR_VMX_VMFUNC: *v = x->vmfunc; return p2 & VMX_PROC2_VMFUNC;
    default: return false;
    }
}

bool vmx_cr_fixed_ok(const struct cpu *c, uint64_t cr0, uint64_t cr4)
{
    return (cr0 & VMX_CR0_FIXED0) == VMX_CR0_FIXED0 && !(cr0 >> 32) &&
           (cr4 & VMX_CR4_FIXED0) == VMX_CR4_FIXED0 && !(cr4 & ~sys_cr4_valid(c));
}

/* In VMX root operation the value must satisfy the fixed bits (23.8). In non-root operation the
 * guest/host masks decide first (a MOV that changes an owned bit exits, vmx_icpt_cr.c) and the
 * value that would be loaded must still satisfy the fixed bits, except CR0.PE and CR0.PG when the
 * "unrestricted guest" control is 1 (SDM Vol. 3 25.3, MOV to CR0 / MOV to CR4). */
void vmx_check_cr_write(struct cpu *c, uint64_t cr0, uint64_t cr4)
{
    if (!c->vmx.on)
        return;
    if (c->vmx.nonroot) {
        uint64_t proc = c->vmx.vmcs[VMCS_PROC_CONTROLS];
        uint64_t proc2 = (proc & VMX_PROC_SECONDARY) ? c->vmx.vmcs[VMCS_PROC_CONTROLS2] : 0;
        if (proc2 & (1u << 7))          /* unrestricted guest (24.6.2, Table 24-7) */
            cr0 |= CR0_PE | CR0_PG;
    }
    if (!vmx_cr_fixed_ok(c, cr0, cr4))
        cpu_fault(c, VEC_GP, 0);
}

/* ------------------------------------------------------------------ model checks */

static int cerr(char *err, unsigned len, const char *what)
{
    if (err && len)
        snprintf(err, len, "%s", what);
    return -1;
}

/* One pair of control MSRs (non-TRUE and TRUE) against the A.3-A.5 rules. */
static const char *check_ctls(uint64_t v, uint64_t tv, bool true_ctls, uint32_t default1,
                              uint64_t known)
{
    if (ALLOWED0(v) & ~ALLOWED1(v))
        return "a control's allowed-0 setting is 1 but allowed-1 is 0";
    if (ALLOWED0(v) != default1)
        return "the non-TRUE allowed-0 settings must be exactly the default1 class (SDM A.2)";
    if (ALLOWED1(v) & ~known)
        return "allowed-1 settings beyond what hvsim implements";
    if (!true_ctls)
        return tv ? "TRUE control values given but vmx.basic bit 55 is 0" : NULL;
    if (ALLOWED1(tv) != ALLOWED1(v))
        return "TRUE allowed-1 settings must equal the non-TRUE ones (SDM A.3.2)";
    if (ALLOWED0(tv) & ~ALLOWED0(v))
        return "TRUE allowed-0 settings must be a subset of the non-TRUE ones (SDM A.2)";
    return NULL;
}

int vmx_caps_check(const struct cpu_model *m, char *err, unsigned errlen)
{
    const struct cpu_model_vmx *x = &m->vmx;
    uint64_t b = x->basic;
    uint32_t rev = (uint32_t)b;
    if (!VMX_BASIC_REVISION(b) || (rev >> 31))
        return cerr(err, errlen, "vmx.basic: revision identifier (bits 30:0) must be non-zero and "
                    "bit 31 zero");
    if (VMX_BASIC_SIZE(b) < VMX_VMCS_IMAGE_SIZE || VMX_BASIC_SIZE(b) > 4096)
        return cerr(err, errlen, "vmx.basic: VMCS region size (bits 44:32) must hold hvsim's "
                    "VMCS image and be at most 4096");
    if (VMX_BASIC_MEMTYPE(b) != 6 && VMX_BASIC_MEMTYPE(b) != 0)
        return cerr(err, errlen, "vmx.basic: memory type (bits 53:50) must be 0 (UC) or 6 (WB)");
    if (b & (VMX_BASIC_32BIT_PA | VMX_BASIC_DUAL_MONITOR | (7ull << 45) | (0xffull << 56)))
        return cerr(err, errlen, "vmx.basic: bits 48 (32-bit addresses), 49 (dual-monitor SMM), "
                    "47:45 and 63:56 must be 0");
    bool t = b & VMX_BASIC_TRUE_CTLS;
    const char *why;
    if ((why = check_ctls(x->pinbased, x->true_pinbased, t, VMX_PIN_DEFAULT1, HV_PIN)) ||
        (why = check_ctls(x->procbased, x->true_procbased, t, VMX_PROC_DEFAULT1, HV_PROC)) ||
        (why = check_ctls(x->exit, x->true_exit, t, VMX_EXIT_DEFAULT1, HV_EXIT)) ||
        (why = check_ctls(x->entry, x->true_entry, t, VMX_ENTRY_DEFAULT1, HV_ENTRY))) {
        char buf[200];
        snprintf(buf, sizeof buf, "vmx controls: %s", why);
        return cerr(err, errlen, buf);
    }
    uint32_t p2 = ALLOWED1(x->procbased2);
    if (ALLOWED0(x->procbased2) || (p2 & ~HV_PROC2))
        return cerr(err, errlen, "vmx.procbased2: allowed-0 must be 0 (SDM A.3.3) and allowed-1 "
                    "within what hvsim implements");
    if (p2 && !(ALLOWED1(x->procbased) & VMX_PROC_SECONDARY))
        return cerr(err, errlen, "vmx.procbased2 given but vmx.procbased does not allow "
                    "\"activate secondary controls\" (bit 63)");
    uint64_t ev = x->ept_vpid_cap;
    if (ev & ~HV_EPT_VPID)
        return cerr(err, errlen, "vmx.ept_vpid_cap: bits beyond what hvsim implements");
    if (p2 & VMX_PROC2_EPT) {
        if (!(ev & (1u << 6)) || !(ev & ((1u << 14) | (1u << 8))))
            return cerr(err, errlen, "vmx.ept_vpid_cap: EPT needs the 4-level walk (bit 6) and a "
                        "paging-structure memory type (bit 8 or 14)");
    } else if ((uint32_t)ev) {
        return cerr(err, errlen, "vmx.ept_vpid_cap: EPT capabilities without \"enable EPT\"");
    }
    if (!(p2 & VMX_PROC2_VPID) && (ev >> 32))
        return cerr(err, errlen, "vmx.ept_vpid_cap: INVVPID capabilities without \"enable VPID\"");
    if ((p2 & VMX_PROC2_VPID) && !(ev & (1ull << 32)))
        return cerr(err, errlen, "vmx.ept_vpid_cap: VPID needs INVVPID (bit 32)");
    if (x->vmfunc & ~HV_VMFUNC)
        return cerr(err, errlen, "vmx.vmfunc: only EPTP switching (bit 0) is implemented");
    if (x->vmfunc && !(p2 & VMX_PROC2_VMFUNC))
        return cerr(err, errlen, "vmx.vmfunc given but \"enable VM functions\" is not allowed");
    if ((x->vmfunc & 1) && !(p2 & VMX_PROC2_EPT))
        return cerr(err, errlen, "vmx.vmfunc: EPTP switching needs EPT");
    if (x->misc & ~HV_MISC)
        return cerr(err, errlen, "vmx.misc: bits beyond what hvsim implements");
    if (VMX_MISC_CR3_TARGETS(x->misc) > 4)
        return cerr(err, errlen, "vmx.misc: at most 4 CR3-target values (bits 24:16)");
    /* A.6: bit 5 is 1 on any processor that supports unrestricted guest */
    if ((p2 & (1u << 7)) && !(x->misc & (1u << 5)))
        return cerr(err, errlen, "vmx.misc: bit 5 (store LMA) must be 1 with unrestricted guest");
    if ((p2 & (1u << 7)) && !(p2 & VMX_PROC2_EPT))
        return cerr(err, errlen, "vmx.procbased2: unrestricted guest needs EPT");
    return 0;
}

/* ------------------------------------------------------------------ field existence */

bool vmx_field_exists(const struct cpu_model *m, int index)
{
    static const uint8_t gate[VMX_NFIELDS] = {
#define VMX_FIELD_GATE(name, enc, g) [VMCS_##name] = (g),
        VMX_FIELDS(VMX_FIELD_GATE)
#undef VMX_FIELD_GATE
    };
    if (index < 0 || index >= VMX_NFIELDS)
        return false;
    const struct cpu_model_vmx *x = &m->vmx;
    uint32_t pin = ALLOWED1(x->pinbased), proc = ALLOWED1(x->procbased);
    uint32_t p2 = (proc & VMX_PROC_SECONDARY) ? ALLOWED1(x->procbased2) : 0;
    uint32_t ex = ALLOWED1(x->exit), en = ALLOWED1(x->entry);
    switch ((enum vmx_gate)gate[index]) {
    case VG_ALWAYS: return true;
    case VG_VPID: return p2 & VMX_PROC2_VPID;
    case VG_PINTR: return pin & VMX_PIN_POSTED_INTR;
    case VG_VE: return p2 & VMX_PROC2_EPT_VE;
    case VG_VID: return p2 & VMX_PROC2_VID;
    case VG_PML: return p2 & VMX_PROC2_PML;
    case VG_EPT: return p2 & VMX_PROC2_EPT;
    case VG_VMFUNC: return p2 & VMX_PROC2_VMFUNC;
    case VG_EPTP_LIST: return (p2 & VMX_PROC2_VMFUNC) && (x->vmfunc & 1);
    case VG_SHADOW: return p2 & VMX_PROC2_SHADOW_VMCS;
    case VG_XSAVES: return p2 & VMX_PROC2_XSAVES;
    case VG_ENCLS: return p2 & VMX_PROC2_ENCLS;
    case VG_TSC_SCALE: return p2 & VMX_PROC2_TSC_SCALING;
    case VG_APIC_ACCESS: return p2 & VMX_PROC2_APIC_ACCESS;
    case VG_TPR_SHADOW: return proc & VMX_PROC_TPR_SHADOW;
    case VG_PLE: return p2 & VMX_PROC2_PLE;
    case VG_PROC2: return proc & VMX_PROC_SECONDARY;
    case VG_PREEMPT: return pin & VMX_PIN_PREEMPT_TIMER;
    case VG_GUEST_PAT: return (en & VMX_ENTRY_LOAD_PAT) || (ex & VMX_EXIT_SAVE_PAT);
    case VG_GUEST_EFER: return (en & VMX_ENTRY_LOAD_EFER) || (ex & VMX_EXIT_SAVE_EFER);
    case VG_GUEST_PERF: return en & VMX_ENTRY_LOAD_PERF;
    case VG_BNDCFGS: return (en & VMX_ENTRY_LOAD_BNDCFGS) || (ex & VMX_EXIT_CLEAR_BNDCFGS);
    case VG_HOST_PAT: return ex & VMX_EXIT_LOAD_PAT;
    case VG_HOST_EFER: return ex & VMX_EXIT_LOAD_EFER;
    case VG_HOST_PERF: return ex & VMX_EXIT_LOAD_PERF;
    case VG_CR3_TARGET:     /* CR3-target value n is encoding 0x6008 + 2n */
        return ((vmx_field_encoding(index) - 0x6008u) >> 1) < VMX_MISC_CR3_TARGETS(x->misc);
    }
    return false;
}

uint64_t vmx_vmcs_enum(const struct cpu_model *m)
{
    unsigned hi = 0;
    for (int k = 0; k < VMX_NFIELDS; k++)
        if (vmx_field_exists(m, k) && VMCS_ENC_INDEX(vmx_field_encoding(k)) > hi)
            hi = VMCS_ENC_INDEX(vmx_field_encoding(k));
    return (uint64_t)hi << 1;
}
