/* vmx_lp.c — VMX operation on one logical processor (SDM Vol. 3 23.6-23.8, 24.11, Appendix A):
 * discovery, IA32_FEATURE_CONTROL, the CR0/CR4 fixed bits, the VMXON region, and the check of
 * every VMX capability the hypervisor relies on; the VMCS field accessors.
 *
 * Invariants: after hv_vmx_lp_init(lp) the LP is in VMX root operation (lp->vmxon set) and
 * `vmx_caps` holds the control values every VMCS uses; every LP computes the same values (a
 * machine whose LPs differ is refused with a panic). A missing capability is a panic naming it.
 */
#include "hv/vmx/vmx.h"
#include "krt/krt.h"

struct vmx_caps vmx_caps;

uint64_t vmx_read(uint32_t field)
{
    uint64_t v, fl;
    __asm__ volatile("vmread %2, %0; pushfq; popq %1" : "=r"(v), "=r"(fl) : "r"((uint64_t)field)
                     : "cc");
    if (!vmx_ok(fl))
        hv_panic("vmx: VMREAD %#x failed (VM-instruction error %u)", field,
                 (fl & 1) ? 0u : (unsigned)vmx_read(VMCS_INSN_ERROR));
    return v;
}

void vmx_write(uint32_t field, uint64_t v)
{
    uint64_t fl;
    __asm__ volatile("vmwrite %1, %2; pushfq; popq %0" : "=r"(fl) : "r"(v), "r"((uint64_t)field)
                     : "cc", "memory");
    if (!vmx_ok(fl))
        hv_panic("vmx: VMWRITE %#x = %#lx failed (VM-instruction error %u)", field,
                 (unsigned long)v, (fl & 1) ? 0u : (unsigned)vmx_read(VMCS_INSN_ERROR));
}

void vmx_invept(uint64_t type, uint64_t eptp)
{
    /* INVEPT descriptor (30.3): EPTP, then 64 reserved bits = 0 */
    struct { uint64_t eptp, rsvd; } __attribute__((aligned(16))) d = { eptp, 0 };
    uint64_t fl;
    __asm__ volatile("invept %1, %2; pushfq; popq %0" : "=r"(fl) : "m"(d), "r"(type)
                     : "cc", "memory");
    if (!vmx_ok(fl))
        hv_panic("vmx: INVEPT type %lu failed", (unsigned long)type);
}

/* Adjust `want` to a capability MSR; panic naming a `need` bit that may not be 1. */
static uint32_t ctl(uint32_t msr, uint32_t want, uint32_t need, const char *what)
{
    uint64_t cap = rdmsr(msr);
    uint32_t v = vmx_adjust(cap, want);
    if ((v & need) != need)
        hv_panic("vmx: the processor lacks %s (MSR %#x allowed-1 %#x, need %#x)", what, msr,
                 (uint32_t)(cap >> 32), need);
    return v;
}

/* slice=N[us|ms] on the hypervisor's command line (default 1 ms). */
static uint64_t slice_us(void)
{
    const char *s = hv_boot.cmdline;
    for (; s && *s; s++) {
        if (strncmp(s, "slice=", 6) == 0 && (s == hv_boot.cmdline || s[-1] == ' ')) {
            uint64_t n = 0;
            s += 6;
            while (*s >= '0' && *s <= '9')
                n = n * 10 + (uint64_t)(*s++ - '0');
            if (s[0] == 'm' && s[1] == 's')
                n *= 1000;
            return n ? n : 1000;
        }
    }
    return 1000;
}

static void compute_caps(struct vmx_caps *c)
{
    uint64_t basic = rdmsr(MSR_IA32_VMX_BASIC);
    bool true_ctls = basic & (1ull << 55);   /* A.1: TRUE capability MSRs exist */
    c->revision = (uint32_t)basic & 0x7FFFFFFF;
    if (((basic >> 32) & 0x1FFF) > 4096)
        hv_panic("vmx: VMCS region larger than 4 KiB");
    if (((basic >> 50) & 0xF) != 6)
        hv_panic("vmx: VMCS memory type is not write-back");

    uint32_t pin = PIN_EXT_INTR | PIN_NMI | PIN_PREEMPT;
    c->pin = ctl(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED : MSR_IA32_VMX_PINBASED, pin, pin,
                 "external-interrupt/NMI exiting or the VMX-preemption timer");
    uint32_t proc = PROC_HLT | PROC_IO_BITMAPS | PROC_MSR_BITMAPS | PROC_SECONDARY | PROC_CR8_LOAD |
                    PROC_CR8_STORE;
    c->proc = ctl(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED : MSR_IA32_VMX_PROCBASED, proc, proc,
                  "HLT or CR8 exiting, I/O or MSR bitmaps, or the secondary controls");
    ctl(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED : MSR_IA32_VMX_PROCBASED, PROC_INTR_WINDOW,
        PROC_INTR_WINDOW, "interrupt-window exiting");
    uint32_t p2need = PROC2_EPT | PROC2_VPID | PROC2_UNRESTRICTED;
    uint64_t cap2 = rdmsr(MSR_IA32_VMX_PROCBASED2);
    /* offer RDTSCP/INVPCID/XSAVES to the guests only if the CPU model has them (24.6.2) */
    uint32_t cpu1[4], cpu7[4], cpud[4], cpux[4];
    cpuid(0, 0, cpu1);
    uint32_t maxleaf = cpu1[0];
    cpuid(0x80000001u, 0, cpux);
    uint32_t p2want = p2need;
    if (cpux[3] & (1u << 27))
        p2want |= PROC2_RDTSCP;
    if (maxleaf >= 7) {
        cpuid(7, 0, cpu7);
        if (cpu7[1] & (1u << 10))
            p2want |= PROC2_INVPCID;
    }
    if (maxleaf >= 0xD) {
        cpuid(0xD, 1, cpud);
        if (cpud[0] & (1u << 3))
            p2want |= PROC2_XSAVES;
    }
    c->proc2 = vmx_adjust(cap2, p2want);
    if ((c->proc2 & p2need) != p2need)
        hv_panic("vmx: the processor lacks EPT, VPID or unrestricted guest (secondary allowed-1 "
                 "%#x)", (uint32_t)(cap2 >> 32));
    /* IA32_PAT and IA32_EFER are guest state switched by the VMCS (27.3.1, 27.5.1, 26.3.2.1):
     * a partition's PAT never applies to the hypervisor or to another partition */
    uint32_t ex = EXIT_HOST_64 | EXIT_ACK_INTR | EXIT_SAVE_PAT | EXIT_LOAD_PAT | EXIT_SAVE_EFER |
                  EXIT_LOAD_EFER | EXIT_SAVE_PREEMPT;
    c->exit = ctl(true_ctls ? MSR_IA32_VMX_TRUE_EXIT : MSR_IA32_VMX_EXIT, ex, ex,
                  "host address-space size, acknowledge interrupt on exit, save/load IA32_PAT, "
                  "save/load IA32_EFER or save preemption timer");
    uint32_t en = ENTRY_LOAD_PAT | ENTRY_LOAD_EFER;
    c->entry = ctl(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY : MSR_IA32_VMX_ENTRY, en | ENTRY_IA32E,
                   en | ENTRY_IA32E, "load IA32_PAT, load IA32_EFER or IA-32e mode guest") &
               ~ENTRY_IA32E;

    uint64_t misc = rdmsr(MSR_IA32_VMX_MISC);
    c->preempt_shift = misc & 0x1F;
    if (!(misc & (1u << 5)))
        hv_panic("vmx: IA32_VMX_MISC[5] (EFER.LMA saved on exit) is 0: no unrestricted guest");
    c->ept_vpid_cap = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
    /* A.10: 6 page-walk length 4, 14 WB, 16 2 MiB pages, 20 INVEPT, 25 single, 26 all */
    static const struct { int bit; const char *name; } need[] = {
        { 6, "a 4-level EPT page walk" }, { 14, "write-back EPT paging structures" },
        { 16, "2 MiB EPT pages" }, { 20, "INVEPT" },
    };
    for (unsigned i = 0; i < sizeof need / sizeof need[0]; i++)
        if (!(c->ept_vpid_cap & (1ull << need[i].bit)))
            hv_panic("vmx: the processor lacks %s (IA32_VMX_EPT_VPID_CAP %#lx)", need[i].name,
                     (unsigned long)c->ept_vpid_cap);
    c->invept_single = c->ept_vpid_cap & (1ull << 25);
    if (!c->invept_single && !(c->ept_vpid_cap & (1ull << 26)))
        hv_panic("vmx: the processor lacks INVEPT single- and all-context");
    c->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
    c->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
    c->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
    c->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
}

void hv_vmx_lp_init(struct hv_lp *lp)
{
    uint32_t r[4];
    cpuid(1, 0, r);
    if (!(r[2] & (1u << 5)))   /* 23.6: CPUID.1:ECX.VMX[5] */
        hv_panic("vmx: LP %u: the processor has no VMX (CPUID.1:ECX[5] = 0)", lp->index);

    /* 23.7: IA32_FEATURE_CONTROL bit 0 lock, bit 2 VMXON outside SMX */
    uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
    if (!(fc & 1))
        wrmsr(MSR_IA32_FEATURE_CONTROL, fc | 1 | 4);
    else if (!(fc & 4))
        hv_panic("vmx: LP %u: IA32_FEATURE_CONTROL is locked with VMX disabled outside SMX "
                 "(enable VT-x in the firmware)", lp->index);

    struct vmx_caps c;
    memset(&c, 0, sizeof c);
    compute_caps(&c);
    if (lp->index == 0) {
        uint64_t us = slice_us();
        c.slice_ticks = (hv_tsc_hz() / 1000000 * us) >> c.preempt_shift;
        if (c.slice_ticks == 0)
            c.slice_ticks = 1;
        if (c.slice_ticks > 0xFFFFFFFFull)
            c.slice_ticks = 0xFFFFFFFFull;
        vmx_caps = c;
    } else {
        c.slice_ticks = vmx_caps.slice_ticks;
        const struct vmx_caps *b = &vmx_caps;
        if (c.revision != b->revision || c.pin != b->pin || c.proc != b->proc ||
            c.proc2 != b->proc2 || c.exit != b->exit || c.entry != b->entry ||
            c.preempt_shift != b->preempt_shift || c.ept_vpid_cap != b->ept_vpid_cap ||
            c.cr0_fixed0 != b->cr0_fixed0 || c.cr4_fixed0 != b->cr4_fixed0)
            hv_panic("vmx: LP %u reports other VMX capabilities than LP 0", lp->index);
    }

    /* 23.8: CR0/CR4 fixed bits in VMX operation, CR4.VMXE */
    write_cr0((read_cr0() | c.cr0_fixed0) & c.cr0_fixed1);
    write_cr4((read_cr4() | c.cr4_fixed0 | CR4_VMXE) & c.cr4_fixed1);
    vmx_guest_lp_init();   /* CR4.OSFXSR/OSXSAVE for the guest-state switch */

    /* 24.11.5: the VMXON region starts with the revision identifier */
    uint64_t region = hv_pool_alloc(&hv_pool);
    if (!region)
        hv_panic("vmx: LP %u: no memory for the VMXON region", lp->index);
    *(volatile uint32_t *)hv_hpa_ptr(region) = c.revision;
    if (vmxon(region) != 0)
        hv_panic("vmx: LP %u: VMXON failed", lp->index);
    lp->vmxon = region;
    lp->current = NULL;
}
