/* vmx_lib.c — enabling VMX, capability-driven controls, the default VMCS (host = this kernel,
 * guest = the same flat 64-bit world), VM entry and exit checks for the VMX test kernels
 * (vmx_lib.h). SDM Vol. 3: 23.6-23.7 (discovery, enabling), 24.4-24.8 (VMCS areas), 26.2-26.3
 * (the VM-entry checks this default state satisfies), Appendix A (capabilities).
 */
#include "desc.h"
#include "trap64.h"
#include "vmx_lib.h"

struct vmx_gregs vmx_gregs;
struct vmx_gtrap vmx_gtrap;
int vmx_launched;
uint64_t vmx_exit_rflags;
uint64_t vmx_basic_msr;
uint8_t vmx_vmcs[4096] __attribute__((aligned(4096)));
uint8_t vmx_guest_stack[16384] __attribute__((aligned(16)));
uint64_t vmx_gidt[512] __attribute__((aligned(16)));
static uint8_t vmxon_region[4096] __attribute__((aligned(4096)));
extern char vmx_guest_return[], vmx_gidt_stubs[];

uint64_t vmread(uint64_t enc)
{
    uint64_t v;
    int r = vmread_r(enc, &v);
    if (r != VMX_OK)
        t_check(0, "vmread", "field %04llx: outcome %d", (unsigned long long)enc, r);
    return v;
}

void vmwrite(uint64_t enc, uint64_t v)
{
    int r = vmwrite_r(enc, v);
    if (r != VMX_OK)
        t_check(0, "vmwrite", "field %04llx value 0x%llx: outcome %d", (unsigned long long)enc,
                (unsigned long long)v, r);
}

uint64_t vmxon_region_pa(void) { return va_pa(vmxon_region); }

int vmx_enable(void)
{
    uint32_t r[4];
    cpuid(1, 0, r);
    if (!t_check((r[2] >> 5) & 1, "CPUID.1:ECX.VMX[bit 5] is set", "ECX 0x%x", r[2]))
        return -1;
    uint64_t fc = rdmsr(MSR_FEATURE_CONTROL);                /* 23.7: lock + outside SMX */
    if (!(fc & 1))
        wrmsr(MSR_FEATURE_CONTROL, fc | 5);
    else if (!(fc & 4))
        return t_check(0, "IA32_FEATURE_CONTROL", "locked without VMX: 0x%llx",
                       (unsigned long long)fc), -1;
    vmx_basic_msr = rdmsr(MSR_VMX_BASIC);
    /* 23.8: CR0 and CR4 within the FIXED0/FIXED1 constraints */
    unsigned long cr0 = read_cr0(), cr4 = read_cr4();
    cr0 = (cr0 | rdmsr(MSR_VMX_CR0_FIXED0)) & rdmsr(MSR_VMX_CR0_FIXED1);
    write_cr0(cr0);
    cr4 = (cr4 | rdmsr(MSR_VMX_CR4_FIXED0) | X86_CR4_VMXE) & rdmsr(MSR_VMX_CR4_FIXED1);
    write_cr4(cr4);
    memset(vmxon_region, 0, sizeof vmxon_region);
    *(uint32_t *)vmxon_region = (uint32_t)vmx_basic_msr & 0x7fffffffu;   /* 24.11.5 */
    return vmxon_r(vmxon_region_pa());
}

/* ---------------------------------------------------------------- controls (A.3-A.5) */
static uint64_t ctl_cap(uint32_t ctl)
{
    int tru = (vmx_basic_msr >> 55) & 1;
    switch (ctl) {
    case F_PIN: return rdmsr(tru ? MSR_VMX_TRUE_PINBASED : MSR_VMX_PINBASED);
    case F_PROC: return rdmsr(tru ? MSR_VMX_TRUE_PROCBASED : MSR_VMX_PROCBASED);
    case F_EXIT_CTLS: return rdmsr(tru ? MSR_VMX_TRUE_EXIT : MSR_VMX_EXIT);
    case F_ENTRY_CTLS: return rdmsr(tru ? MSR_VMX_TRUE_ENTRY : MSR_VMX_ENTRY);
    case F_PROC2:
        return (rdmsr(MSR_VMX_PROCBASED) >> 63) ? rdmsr(MSR_VMX_PROCBASED2) : 0;
    }
    return 0;
}

uint32_t vmx_ctl_adjust(uint32_t ctl, uint32_t want)
{
    uint64_t cap = ctl_cap(ctl);
    return (want | (uint32_t)cap) & (uint32_t)(cap >> 32);
}

int vmx_ctl_can(uint32_t ctl, uint32_t bits)
{
    return ((uint32_t)(ctl_cap(ctl) >> 32) & bits) == bits;
}

void vmx_ctl_set(uint32_t ctl, uint32_t bits)
{
    if (ctl == F_PROC2)
        vmwrite(F_PROC, vmread(F_PROC) | PROC_SECONDARY);
    vmwrite(ctl, vmread(ctl) | bits);
}

void vmx_ctl_clear(uint32_t ctl, uint32_t bits)
{
    vmwrite(ctl, vmread(ctl) & ~(uint64_t)bits);
}

/* ---------------------------------------------------------------- guest IDT */
void vmx_gidt_init(void)
{
    for (int v = 0; v < 256; v++) {
        uint64_t off = va_pa(vmx_gidt_stubs) + 16u * (unsigned)v;
        vmx_gidt[2 * v] = (off & 0xffff) | ((uint64_t)SEL_KCODE << 16) |
                          ((uint64_t)(DA_P | DA_INTGATE) << 40) | (((off >> 16) & 0xffff) << 48);
        vmx_gidt[2 * v + 1] = off >> 32;
    }
}

/* ---------------------------------------------------------------- the default VMCS */
struct __attribute__((packed)) dtr64 { uint16_t limit; uint64_t base; };

static uint64_t tr_base(void)
{
    uint64_t lo = gdt64[SEL_TSS >> 3], hi = gdt64[(SEL_TSS >> 3) + 1];
    return ((lo >> 16) & 0xffffff) | (((lo >> 56) & 0xff) << 24) | (hi << 32);
}

void vmx_guest_restart(void (*fn)(void), void *stack_top)
{
    uint64_t sp = ((uint64_t)(uintptr_t)stack_top & ~15ull) - 8;
    *(uint64_t *)(uintptr_t)sp = va_pa(vmx_guest_return);
    vmwrite(F_G_RSP, sp);
    vmwrite(F_G_RIP, (uint64_t)(uintptr_t)fn);
    vmwrite(F_G_RFLAGS, 2);
    vmwrite(F_G_INTERRUPTIBILITY, 0);
    vmwrite(F_G_ACTIVITY, 0);
    vmwrite(F_ENTRY_INTR_INFO, 0);
    memset(&vmx_gregs, 0, sizeof vmx_gregs);
}

int vmcs_init_at(uint8_t *region, void (*guest_fn)(void), void *stack_top)
{
    memset(region, 0, 4096);
    *(uint32_t *)region = (uint32_t)vmx_basic_msr & 0x7fffffffu;
    if (vmclear_r(va_pa(region)) != VMX_OK || vmptrld_r(va_pa(region)) != VMX_OK)
        return t_check(0, "VMCLEAR/VMPTRLD of the VMCS", "failed"), -1;
    vmx_launched = 0;
    vmx_gidt_init();
    struct dtr64 gdtr, idtr;
    __asm__ volatile("sgdt %0; sidt %1" : "=m"(gdtr), "=m"(idtr));
    uint64_t trb = tr_base();

    /* host-state area (24.5; checks 26.2.2-26.2.4) */
    vmwrite(F_H_CR0, read_cr0());
    vmwrite(F_H_CR3, read_cr3());
    vmwrite(F_H_CR4, read_cr4());
    vmwrite(F_H_CS_SEL, SEL_KCODE);
    vmwrite(F_H_SS_SEL, SEL_KDATA);
    vmwrite(F_H_DS_SEL, SEL_KDATA);
    vmwrite(F_H_ES_SEL, SEL_KDATA);
    vmwrite(F_H_FS_SEL, SEL_KDATA);
    vmwrite(F_H_GS_SEL, SEL_KDATA);
    vmwrite(F_H_TR_SEL, SEL_TSS);
    vmwrite(F_H_FS_BASE, 0);
    vmwrite(F_H_GS_BASE, 0);
    vmwrite(F_H_TR_BASE, trb);
    vmwrite(F_H_GDTR_BASE, gdtr.base);
    vmwrite(F_H_IDTR_BASE, idtr.base);
    vmwrite(F_H_SYSENTER_CS, 0);
    vmwrite(F_H_SYSENTER_ESP, 0);
    vmwrite(F_H_SYSENTER_EIP, 0);

    /* guest-state area (24.4; checks 26.3.1): flat 64-bit, CPL 0 */
    vmwrite(F_G_CR0, read_cr0());
    vmwrite(F_G_CR3, read_cr3());
    vmwrite(F_G_CR4, read_cr4());
    vmwrite(F_G_DR7, 0x400);
    vmwrite(F_G_DEBUGCTL, 0);
    vmwrite(F_G_SYSENTER_CS, 0);
    vmwrite(F_G_SYSENTER_ESP, 0);
    vmwrite(F_G_SYSENTER_EIP, 0);
    static const uint32_t sel[] = { F_G_ES_SEL, F_G_CS_SEL, F_G_SS_SEL, F_G_DS_SEL, F_G_FS_SEL,
                                    F_G_GS_SEL };
    for (int k = 0; k < 6; k++) {
        int cs = sel[k] == F_G_CS_SEL;
        uint32_t off = sel[k] - F_G_ES_SEL;         /* the same index in every group */
        vmwrite(sel[k], cs ? SEL_KCODE : SEL_KDATA);
        vmwrite(F_G_ES_BASE + off, 0);
        vmwrite(F_G_ES_LIMIT + off, 0xffffffffu);
        /* access rights (24.4.1, Table 24-2): type, S, DPL, P, L, D/B, G */
        vmwrite(F_G_ES_AR + off, cs ? 0xa09b : 0xc093);
    }
    vmwrite(F_G_LDTR_SEL, 0);
    vmwrite(F_G_LDTR_BASE, 0);
    vmwrite(F_G_LDTR_LIMIT, 0);
    vmwrite(F_G_LDTR_AR, 1u << 16);                  /* unusable */
    vmwrite(F_G_TR_SEL, SEL_TSS);
    vmwrite(F_G_TR_BASE, trb);
    vmwrite(F_G_TR_LIMIT, (uint32_t)(gdt64[SEL_TSS >> 3] & 0xffff));
    vmwrite(F_G_TR_AR, 0x8b);                        /* busy 64-bit TSS, present */
    vmwrite(F_G_GDTR_BASE, gdtr.base);
    vmwrite(F_G_GDTR_LIMIT, gdtr.limit);
    vmwrite(F_G_IDTR_BASE, va_pa(vmx_gidt));
    vmwrite(F_G_IDTR_LIMIT, sizeof vmx_gidt - 1);
    vmwrite(F_G_PENDING_DBG, 0);
    vmwrite(F_LINK_PTR, ~0ull);                      /* 26.3.1.5 */

    /* controls (24.6-24.8) */
    vmwrite(F_PIN, vmx_ctl_adjust(F_PIN, 0));
    vmwrite(F_PROC, vmx_ctl_adjust(F_PROC, 0));
    if (ctl_cap(F_PROC2))
        vmwrite(F_PROC2, 0);
    vmwrite(F_EXIT_CTLS, vmx_ctl_adjust(F_EXIT_CTLS, EXIT_HOST_64));
    vmwrite(F_ENTRY_CTLS, vmx_ctl_adjust(F_ENTRY_CTLS, ENTRY_IA32E));
    vmwrite(F_EXC_BITMAP, 0);
    vmwrite(F_PF_MASK, 0);
    vmwrite(F_PF_MATCH, 0);
    vmwrite(F_CR3_TARGET_COUNT, 0);
    vmwrite(F_CR0_MASK, 0);
    vmwrite(F_CR4_MASK, 0);
    vmwrite(F_CR0_SHADOW, read_cr0());
    vmwrite(F_CR4_SHADOW, read_cr4());
    vmwrite(F_EXIT_MSR_STORE_COUNT, 0);
    vmwrite(F_EXIT_MSR_LOAD_COUNT, 0);
    vmwrite(F_ENTRY_MSR_LOAD_COUNT, 0);
    vmwrite(F_ENTRY_EXC_ERROR, 0);
    vmwrite(F_ENTRY_INSN_LEN, 0);
    vmwrite(F_TSC_OFFSET, 0);
    vmx_guest_restart(guest_fn, stack_top);
    return 0;
}

int vmcs_init_default(void (*guest_fn)(void), void *stack_top)
{
    return vmcs_init_at(vmx_vmcs, guest_fn, stack_top);
}

/* ---------------------------------------------------------------- entry, exit */
uint64_t vmx_run(void)
{
    uint64_t r = vmx_run_asm(vmx_launched);
    if (r)
        return r;
    uint32_t reason = (uint32_t)vmread(F_EXIT_REASON);
    if (!(reason & EXIT_ENTRY_FAIL))
        vmx_launched = 1;
    return reason;
}

void vmx_skip_insn(void)
{
    vmwrite(F_G_RIP, vmread(F_G_RIP) + vmread(F_EXIT_INSN_LEN));
}

static const char *const exit_names[] = {
    [0] = "exception or NMI", [1] = "external interrupt", [2] = "triple fault", [3] = "INIT",
    [4] = "SIPI", [5] = "I/O SMI", [6] = "other SMI", [7] = "interrupt window",
    [8] = "NMI window", [9] = "task switch", [10] = "CPUID", [11] = "GETSEC", [12] = "HLT",
    [13] = "INVD", [14] = "INVLPG", [15] = "RDPMC", [16] = "RDTSC", [17] = "RSM",
    [18] = "VMCALL", [19] = "VMCLEAR", [20] = "VMLAUNCH", [21] = "VMPTRLD", [22] = "VMPTRST",
    [23] = "VMREAD", [24] = "VMRESUME", [25] = "VMWRITE", [26] = "VMXOFF", [27] = "VMXON",
    [28] = "control-register access", [29] = "MOV DR", [30] = "I/O instruction",
    [31] = "RDMSR", [32] = "WRMSR", [33] = "invalid guest state", [34] = "MSR loading",
    [36] = "MWAIT", [37] = "monitor trap flag", [39] = "MONITOR", [40] = "PAUSE",
    [41] = "machine-check during entry", [43] = "TPR below threshold", [44] = "APIC access",
    [45] = "virtualized EOI", [46] = "GDTR/IDTR access", [47] = "LDTR/TR access",
    [48] = "EPT violation", [49] = "EPT misconfiguration", [50] = "INVEPT", [51] = "RDTSCP",
    [52] = "VMX-preemption timer", [53] = "INVVPID", [54] = "WBINVD", [55] = "XSETBV",
    [56] = "APIC write", [57] = "RDRAND", [58] = "INVPCID", [59] = "VMFUNC",
};

const char *vmx_exit_name(uint32_t reason)
{
    reason &= 0xffff;
    if (reason < sizeof exit_names / sizeof exit_names[0] && exit_names[reason])
        return exit_names[reason];
    return "?";
}

int vmx_expect_exit(const char *name, uint64_t run, uint32_t reason, uint64_t qual)
{
    if (run >> 32) {
        uint64_t err = 0;
        vmread_r(F_INSN_ERROR, &err);
        return t_check(0, name, "VM entry failed (VMfail%s, error %llu), want exit %u (%s)",
                       run == VMX_RUN_FAIL_INVALID ? "Invalid" : "Valid",
                       (unsigned long long)err, reason & 0xffff, vmx_exit_name(reason));
    }
    if ((uint32_t)run != reason)
        return t_check(0, name, "exit reason 0x%x (%s), want 0x%x (%s); qual 0x%llx",
                       (uint32_t)run, vmx_exit_name((uint32_t)run), reason,
                       vmx_exit_name(reason), (unsigned long long)vmread(F_EXIT_QUAL));
    if (qual != VMX_ANY) {
        uint64_t q = vmread(F_EXIT_QUAL);
        if (q != qual)
            return t_check(0, name, "exit %u (%s) with qualification 0x%llx, want 0x%llx",
                           reason & 0xffff, vmx_exit_name(reason), (unsigned long long)q,
                           (unsigned long long)qual);
    }
    return t_check(1, name, "%s", "");
}

int vmx_expect_error(const char *name, int outcome, uint32_t err)
{
    if (outcome != VMX_FAIL_VALID)
        return t_check(0, name, "outcome %s, want VMfailValid(%u)",
                       outcome == VMX_OK ? "VMsucceed" : "VMfailInvalid", err);
    uint64_t e = 0;
    vmread_r(F_INSN_ERROR, &e);
    return t_check(e == err, name, "VM-instruction error %llu, want %u", (unsigned long long)e,
                   err);
}
