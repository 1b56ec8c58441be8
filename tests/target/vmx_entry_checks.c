/* vmx_entry_checks.c — VM-entry checks: at least one failing case for every category of SDM
 * Vol. 3 chapter 26, each starting from the valid default VMCS with one field spoiled.
 *
 * Expected outcomes (SDM Vol. 3): 26.2.1 (VM-execution, VM-exit and VM-entry control fields,
 * event injection included): VMfailValid, error 7; 26.2.2-26.2.4 (host control registers and
 * MSRs, host segment and descriptor-table registers, address-space size): VMfailValid, error 8;
 * the controls are checked before the host state (26.2: "in the order given"); 26.3.1 (guest
 * control registers/debug registers/MSRs, segment registers, descriptor-table registers,
 * RIP/RFLAGS, non-register state): a VM exit with basic reason 33 and bit 31 set, exit
 * qualification 0, except an invalid VMCS link pointer (qualification 4, 26.3.1.5 / 27.8) and
 * PDPTEs loaded from memory for a PAE guest without EPT (26.3.2.4: qualification 2); 26.4
 * (MSR loading): reason 34 with bit 31, qualification = the 1-based index of the failing entry;
 * 26.1: VMLAUNCH right after MOV SS (blocking by MOV SS): VMfailValid, error 26. After a
 * VM-entry failure the launch state stays clear (VMRESUME fails with error 5) and the processor
 * is back at the host entry with the host state (27.8 via 26.8).
 */
#include "lib/vmx_lib.h"

extern char g_done[];
__asm__(".text\ng_done:\n\tvmcall\n\tjmp g_done\n");

enum kind { K_CTL, K_HOST, K_GUEST, K_MSR };
struct ecase { const char *name; void (*spoil)(void); enum kind kind; uint64_t qual; };

static unsigned maxphy;
static uint64_t msr_list[8] __attribute__((aligned(16)));
#define NONCANON 0x0000800000000000ull

static void set(uint32_t f, uint64_t v) { vmwrite(f, v); }
static void orv(uint32_t f, uint64_t v) { vmwrite(f, vmread(f) | v); }
static void andv(uint32_t f, uint64_t v) { vmwrite(f, vmread(f) & v); }
static uint32_t first_not_allowed1(uint32_t ctl)
{
    for (unsigned b = 0; b < 32; b++)
        if (!vmx_ctl_can(ctl, 1u << b))
            return 1u << b;
    return 0;
}

/* ---- 26.2.1 controls ---- */
static void c_pin_default1(void) { andv(F_PIN, ~(uint64_t)(1u << 1)); }
static void c_proc_reserved(void) { orv(F_PROC, first_not_allowed1(F_PROC)); }
static void c_proc2_reserved(void)
{
    vmx_ctl_set(F_PROC2, 0);
    orv(F_PROC2, first_not_allowed1(F_PROC2));
}
static void c_cr3_count(void) { set(F_CR3_TARGET_COUNT, ((rdmsr(MSR_VMX_MISC) >> 16) & 0x1ff) + 1); }
static void c_io_bitmap(void) { orv(F_PROC, PROC_IO_BITMAPS); set(F_IO_BITMAP_A, 0x10800); }
static void c_msr_bitmap(void) { orv(F_PROC, PROC_MSR_BITMAPS); set(F_MSR_BITMAP, 1ull << maxphy); }
static void c_nmi_window(void) { orv(F_PROC, PROC_NMI_WINDOW); }
static void c_virt_nmi(void) { orv(F_PIN, PIN_VIRT_NMI); }
static void c_vapic(void) { orv(F_PROC, PROC_TPR_SHADOW); set(F_VIRT_APIC_ADDR, 0x10080); }
static void c_vpid0(void) { vmx_ctl_set(F_PROC2, PROC2_VPID); set(F_VPID, 0); }
static void c_eptp_type(void)
{
    vmx_ctl_set(F_PROC2, PROC2_EPT);
    set(F_EPTP, 0x10000 | (3u << 3) | 2);           /* 4-level walk, memory type 2: reserved */
}
static void c_unrestricted(void) { vmx_ctl_set(F_PROC2, PROC2_UNRESTRICTED); }
static void c_save_preempt(void) { orv(F_EXIT_CTLS, EXIT_SAVE_PREEMPT); }
static void c_exit_default1(void) { andv(F_EXIT_CTLS, ~(uint64_t)1); }
static void c_exit_store_addr(void)
{
    set(F_EXIT_MSR_STORE_COUNT, 1);
    set(F_EXIT_MSR_STORE_ADDR, va_pa(msr_list) + 8);
}
static void c_entry_default1(void) { andv(F_ENTRY_CTLS, ~(uint64_t)1); }
static void c_entry_load_addr(void)
{
    set(F_ENTRY_MSR_LOAD_COUNT, 1);
    set(F_ENTRY_MSR_LOAD_ADDR, va_pa(msr_list) + 4);
}
static void c_inj_type1(void) { set(F_ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE(1) | 0x20); }
static void c_inj_nmi3(void) { set(F_ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE(IT_NMI) | 3); }
static void c_inj_exc32(void) { set(F_ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE(IT_HW_EXC) | 32); }
static void c_inj_pf_noerr(void) { set(F_ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE(IT_HW_EXC) | 14); }
static void c_inj_ud_err(void)
{
    set(F_ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE(IT_HW_EXC) | INTR_HAS_ERROR | 6);
}
static void c_inj_reserved(void)
{
    set(F_ENTRY_INTR_INFO, INTR_VALID | (1u << 20) | INTR_TYPE(IT_EXT) | 0x20);
}
static void c_inj_len16(void)
{
    set(F_ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE(IT_SW_INT) | 0x80);
    set(F_ENTRY_INSN_LEN, 16);
}
static void c_and_host(void) { c_cr3_count(); set(F_H_TR_SEL, 0); }

/* ---- 26.2.2-26.2.4 host state ---- */
static void h_cr0_ne(void) { andv(F_H_CR0, ~(uint64_t)X86_CR0_NE); }
static void h_cr4_vmxe(void) { andv(F_H_CR4, ~(uint64_t)X86_CR4_VMXE); }
static void h_cr3_width(void) { orv(F_H_CR3, 1ull << maxphy); }
static void h_sysenter_eip(void) { set(F_H_SYSENTER_EIP, NONCANON); }
static void h_cs_rpl(void) { set(F_H_CS_SEL, 0x09); }
static void h_ds_ti(void) { set(F_H_DS_SEL, 0x14); }
static void h_cs_null(void) { set(F_H_CS_SEL, 0); }
static void h_tr_null(void) { set(F_H_TR_SEL, 0); }
static void h_gdtr_base(void) { set(F_H_GDTR_BASE, NONCANON); }
static void h_fs_base(void) { set(F_H_FS_BASE, NONCANON); }
static void h_tr_base(void) { set(F_H_TR_BASE, NONCANON); }
static void h_addr_size(void) { andv(F_EXIT_CTLS, ~(uint64_t)EXIT_HOST_64); }
static void h_pat(void) { orv(F_EXIT_CTLS, EXIT_LOAD_PAT); set(F_H_PAT, 0x0007040600070402ull); }
static void h_efer(void)
{
    orv(F_EXIT_CTLS, EXIT_LOAD_EFER);
    set(F_H_EFER, 0x100);                           /* LME without LMA: LMA != host size */
}

/* ---- 26.3.1 guest state ---- */
static void g_cr4_vmxe(void) { andv(F_G_CR4, ~(uint64_t)X86_CR4_VMXE); }
static void g_cr0_pg_pe(void) { andv(F_G_CR0, ~(uint64_t)X86_CR0_PE); }
static void g_ia32e_pae(void) { andv(F_G_CR4, ~(uint64_t)X86_CR4_PAE); }
/* DR7 and IA32_DEBUGCTL are checked only with "load debug controls" (entry control 2) */
static void g_dr7(void) { orv(F_ENTRY_CTLS, 1u << 2); set(F_G_DR7, 0x100000400ull); }
static void g_debugctl(void) { orv(F_ENTRY_CTLS, 1u << 2); set(F_G_DEBUGCTL, 1ull << 63); }
static void g_pat(void) { orv(F_ENTRY_CTLS, ENTRY_LOAD_PAT); set(F_G_PAT, 0x0007040600070403ull); }
static void g_efer(void) { orv(F_ENTRY_CTLS, ENTRY_LOAD_EFER); set(F_G_EFER, 0x100); }
static void g_tr_unusable(void) { set(F_G_TR_AR, 0x1008b); }
static void g_cs_data(void) { set(F_G_CS_AR, 0xa093); }
static void g_cs_l_d(void) { set(F_G_CS_AR, 0xe09b); }
static void g_ss_rpl(void) { set(F_G_SS_SEL, 0x13); }
static void g_ds_not_present(void) { set(F_G_DS_AR, 0xc013); }
static void g_ldtr_type(void) { set(F_G_LDTR_AR, 0x8b); set(F_G_LDTR_SEL, 0x28); }
static void g_tr_granularity(void) { set(F_G_TR_AR, 0x808b); }   /* G = 1, limit 67H */
static void g_gdtr_base(void) { set(F_G_GDTR_BASE, NONCANON); }
static void g_idtr_limit(void) { set(F_G_IDTR_LIMIT, 0x10000); }
static void g_rflags_bit1(void) { set(F_G_RFLAGS, 0); }
static void g_rflags_reserved(void) { set(F_G_RFLAGS, 0x8002); }
static void g_rflags_vm(void) { set(F_G_RFLAGS, 0x20002); }
static void g_rip(void) { set(F_G_RIP, NONCANON); }
static void g_ext_if0(void) { set(F_ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE(IT_EXT) | 0x20); }
static void g_activity(void) { set(F_G_ACTIVITY, 4); }
static void g_sti_movss(void) { set(F_G_RFLAGS, 0x202); set(F_G_INTERRUPTIBILITY, 3); }
static void g_sti_if0(void) { set(F_G_INTERRUPTIBILITY, 1); }
static void g_intr_reserved(void) { set(F_G_INTERRUPTIBILITY, 1u << 5); }
static void g_pending_dbg(void) { set(F_G_PENDING_DBG, 1u << 4); }
static void g_link(void) { set(F_LINK_PTR, 0x1234); }

/* ---- 26.3.1.6 / 26.3.2.4 guest PDPTEs: a PAE guest (not IA-32e mode) ---- */
static uint64_t pae_pdpt[4] __attribute__((aligned(32)));
static void pae_guest(void)
{
    andv(F_ENTRY_CTLS, ~(uint64_t)ENTRY_IA32E);
    set(F_G_CS_AR, 0xc09b);                         /* 32-bit code: D = 1, L = 0 */
    set(F_G_RIP, (uint32_t)vmread(F_G_RIP));
    set(F_G_CR3, va_pa(pae_pdpt));
    pae_pdpt[0] = 0x2000 | 1 | (1u << 1);           /* present, reserved bit 1 */
    pae_pdpt[1] = pae_pdpt[2] = pae_pdpt[3] = 0;
}
static void g_pdpte_mem(void) { pae_guest(); }
static void g_pdpte_ept(void)
{
    pae_guest();
    ept_init();
    vmx_ctl_set(F_PROC2, PROC2_EPT);
    set(F_EPTP, ept_eptp());
    set(F_G_PDPTE0, pae_pdpt[0]);
    set(F_G_PDPTE1, 0);
    set(F_G_PDPTE2, 0);
    set(F_G_PDPTE3, 0);
}

/* ---- 26.4 MSR loading ---- */
static void m_second_bad(void)
{
    msr_list[0] = 0x174;                            /* IA32_SYSENTER_CS */
    msr_list[1] = 0;
    msr_list[2] = 0x808;                            /* x2APIC TPR: bits 31:8 = 8 */
    msr_list[3] = 0;
    set(F_ENTRY_MSR_LOAD_COUNT, 2);
    set(F_ENTRY_MSR_LOAD_ADDR, va_pa(msr_list));
}
static void m_reserved(void)
{
    msr_list[0] = 0x174 | (1ull << 32);             /* bits 63:32 of the first quadword */
    msr_list[1] = 0;
    set(F_ENTRY_MSR_LOAD_COUNT, 1);
    set(F_ENTRY_MSR_LOAD_ADDR, va_pa(msr_list));
}
static void m_unknown(void)
{
    msr_list[0] = 0x12345678;                       /* WRMSR would #GP */
    msr_list[1] = 0;
    set(F_ENTRY_MSR_LOAD_COUNT, 1);
    set(F_ENTRY_MSR_LOAD_ADDR, va_pa(msr_list));
}

static const struct ecase cases[] = {
    { "controls: pin-based default1 bit 1 clear", c_pin_default1, K_CTL, 0 },
    { "controls: a primary control not allowed to be 1", c_proc_reserved, K_CTL, 0 },
    { "controls: a secondary control not allowed to be 1", c_proc2_reserved, K_CTL, 0 },
    { "controls: CR3-target count above IA32_VMX_MISC[24:16]", c_cr3_count, K_CTL, 0 },
    { "controls: I/O bitmap A address not 4 KiB aligned", c_io_bitmap, K_CTL, 0 },
    { "controls: MSR bitmap address beyond the physical-address width", c_msr_bitmap, K_CTL, 0 },
    { "controls: NMI-window exiting without virtual NMIs", c_nmi_window, K_CTL, 0 },
    { "controls: virtual NMIs without NMI exiting", c_virt_nmi, K_CTL, 0 },
    { "controls: virtual-APIC address not 4 KiB aligned", c_vapic, K_CTL, 0 },
    { "controls: enable VPID with VPID 0", c_vpid0, K_CTL, 0 },
    { "controls: EPTP with memory type 2", c_eptp_type, K_CTL, 0 },
    { "controls: unrestricted guest without EPT", c_unrestricted, K_CTL, 0 },
    { "exit controls: save preemption timer without activating it", c_save_preempt, K_CTL, 0 },
    { "exit controls: default1 bit 0 clear", c_exit_default1, K_CTL, 0 },
    { "exit controls: MSR-store address not 16-byte aligned", c_exit_store_addr, K_CTL, 0 },
    { "entry controls: default1 bit 0 clear", c_entry_default1, K_CTL, 0 },
    { "entry controls: MSR-load address not 16-byte aligned", c_entry_load_addr, K_CTL, 0 },
    { "event injection: interruption type 1 (reserved)", c_inj_type1, K_CTL, 0 },
    { "event injection: NMI with vector 3", c_inj_nmi3, K_CTL, 0 },
    { "event injection: hardware exception vector 32", c_inj_exc32, K_CTL, 0 },
    { "event injection: #PF without deliver-error-code", c_inj_pf_noerr, K_CTL, 0 },
    { "event injection: #UD with deliver-error-code", c_inj_ud_err, K_CTL, 0 },
    { "event injection: reserved bits 30:12 set", c_inj_reserved, K_CTL, 0 },
    { "event injection: software interrupt with instruction length 16", c_inj_len16, K_CTL, 0 },
    { "order: a bad control and a bad host field give error 7", c_and_host, K_CTL, 0 },
    { "host state: CR0.NE clear (IA32_VMX_CR0_FIXED0)", h_cr0_ne, K_HOST, 0 },
    { "host state: CR4.VMXE clear", h_cr4_vmxe, K_HOST, 0 },
    { "host state: CR3 beyond the physical-address width", h_cr3_width, K_HOST, 0 },
    { "host state: SYSENTER_EIP not canonical", h_sysenter_eip, K_HOST, 0 },
    { "host segments: CS selector with RPL 1", h_cs_rpl, K_HOST, 0 },
    { "host segments: DS selector with TI = 1", h_ds_ti, K_HOST, 0 },
    { "host segments: CS selector 0", h_cs_null, K_HOST, 0 },
    { "host segments: TR selector 0", h_tr_null, K_HOST, 0 },
    { "host descriptor tables: GDTR base not canonical", h_gdtr_base, K_HOST, 0 },
    { "host segments: FS base not canonical", h_fs_base, K_HOST, 0 },
    { "host segments: TR base not canonical", h_tr_base, K_HOST, 0 },
    { "address-space size: host address-space size 0 in IA-32e mode", h_addr_size, K_HOST, 0 },
    { "host MSRs: IA32_PAT entry 0 with memory type 2 (load PAT)", h_pat, K_HOST, 0 },
    { "host MSRs: IA32_EFER.LMA differs from host address-space size", h_efer, K_HOST, 0 },
    { "guest CRs: CR4.VMXE clear", g_cr4_vmxe, K_GUEST, 0 },
    { "guest CRs: CR0.PE clear with PG set", g_cr0_pg_pe, K_GUEST, 0 },
    { "guest CRs: IA-32e mode guest with CR4.PAE clear", g_ia32e_pae, K_GUEST, 0 },
    { "guest DRs: DR7 bits 63:32 set (load debug controls)", g_dr7, K_GUEST, 0 },
    { "guest MSRs: IA32_DEBUGCTL reserved bit 63 (load debug controls)", g_debugctl, K_GUEST, 0 },
    { "guest MSRs: IA32_PAT with memory type 3 (load PAT)", g_pat, K_GUEST, 0 },
    { "guest MSRs: IA32_EFER.LMA differs from IA-32e mode guest (load EFER)", g_efer, K_GUEST,
      0 },
    { "guest segments: TR unusable", g_tr_unusable, K_GUEST, 0 },
    { "guest segments: CS type is data", g_cs_data, K_GUEST, 0 },
    { "guest segments: CS with L = 1 and D = 1", g_cs_l_d, K_GUEST, 0 },
    { "guest segments: SS.RPL differs from CS.RPL", g_ss_rpl, K_GUEST, 0 },
    { "guest segments: usable DS not present", g_ds_not_present, K_GUEST, 0 },
    { "guest segments: usable LDTR with a TSS type", g_ldtr_type, K_GUEST, 0 },
    { "guest segments: TR with G = 1 and limit 67H", g_tr_granularity, K_GUEST, 0 },
    { "guest descriptor tables: GDTR base not canonical", g_gdtr_base, K_GUEST, 0 },
    { "guest descriptor tables: IDTR limit above FFFFH", g_idtr_limit, K_GUEST, 0 },
    { "guest RFLAGS: bit 1 clear", g_rflags_bit1, K_GUEST, 0 },
    { "guest RFLAGS: reserved bit 15 set", g_rflags_reserved, K_GUEST, 0 },
    { "guest RFLAGS: VM set with IA-32e mode guest", g_rflags_vm, K_GUEST, 0 },
    { "guest RIP: not canonical with CS.L = 1", g_rip, K_GUEST, 0 },
    { "guest RFLAGS: IF = 0 with an external interrupt injected", g_ext_if0, K_GUEST, 0 },
    { "guest non-register state: activity state 4", g_activity, K_GUEST, 0 },
    { "guest non-register state: blocking by STI and by MOV SS", g_sti_movss, K_GUEST, 0 },
    { "guest non-register state: blocking by STI with IF = 0", g_sti_if0, K_GUEST, 0 },
    { "guest non-register state: interruptibility reserved bit 5", g_intr_reserved, K_GUEST,
      0 },
    { "guest non-register state: pending debug exceptions reserved bit 4", g_pending_dbg,
      K_GUEST, 0 },
    { "guest non-register state: VMCS link pointer 1234H", g_link, K_GUEST, 4 },
    { "guest PDPTEs (EPT): PDPTE0 field with reserved bit 1", g_pdpte_ept, K_GUEST, 0 },
    { "guest PDPTEs (no EPT): PDPTE 0 in memory with reserved bit 1", g_pdpte_mem, K_GUEST, 2 },
    { "MSR loading: entry 2 loads an x2APIC MSR (808H)", m_second_bad, K_MSR, 2 },
    { "MSR loading: entry 1 with reserved bits 63:32 set", m_reserved, K_MSR, 1 },
    { "MSR loading: entry 1 loads an MSR that does not exist", m_unknown, K_MSR, 1 },
};

static uint8_t vmcs_r[4096] __attribute__((aligned(4096)));

static void cat(char *d, unsigned n, const char *a, const char *b)
{
    unsigned k = 0;
    while (*a && k + 1 < n)
        d[k++] = *a++;
    while (*b && k + 1 < n)
        d[k++] = *b++;
    d[k] = 0;
}

static void run_case(const struct ecase *c)
{
    vmcs_init_at(vmcs_r, (void (*)(void))g_done, VMX_GUEST_STACK_TOP);
    c->spoil();
    uint64_t run = vmx_run();
    char name[160];
    switch (c->kind) {
    case K_CTL:
    case K_HOST:
        cat(name, sizeof name, c->name, c->kind == K_CTL ? ": VMfailValid(7)" : ": VMfailValid(8)");
        if (run >> 32)
            vmx_expect_error(name, run == VMX_RUN_FAIL_VALID ? VMX_FAIL_VALID : VMX_FAIL_INVALID,
                             c->kind == K_CTL ? 7 : 8);
        else
            t_check(0, name, "VM entry happened: exit reason 0x%x (%s)", (uint32_t)run,
                    vmx_exit_name((uint32_t)run));
        break;
    case K_GUEST:
    case K_MSR:
        cat(name, sizeof name, c->name, c->kind == K_GUEST ? ": VM-entry failure, reason 33"
                                                            : ": VM-entry failure, reason 34");
        vmx_expect_exit(name, run, (c->kind == K_GUEST ? EXIT_BAD_GUEST : EXIT_MSR_LOAD) |
                        EXIT_ENTRY_FAIL, c->qual);
        break;
    }
}

int main(void)
{
    t_begin("vmx_entry_checks");
    uint32_t r4[4];
    cpuid(0x80000008u, 0, r4);
    maxphy = r4[0] & 0xff;
    if (vmx_enable() != VMX_OK)
        return t_check(0, "VMXON", "failed"), t_finish();
    /* the default VMCS is valid: the reference for every case */
    vmcs_init_at(vmcs_r, (void (*)(void))g_done, VMX_GUEST_STACK_TOP);
    vmx_expect_exit("the default VMCS enters (VMCALL exit)", vmx_run(), EXIT_VMCALL, VMX_ANY);
    for (unsigned k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const struct ecase *c = &cases[k];
        if (c->spoil == c_vapic && !vmx_ctl_can(F_PROC, PROC_TPR_SHADOW))
            continue;
        if ((c->spoil == c_vpid0 && !vmx_ctl_can(F_PROC2, PROC2_VPID)) ||
            (c->spoil == c_eptp_type && !vmx_ctl_can(F_PROC2, PROC2_EPT)) ||
            (c->spoil == g_pdpte_ept && !vmx_ctl_can(F_PROC2, PROC2_EPT)) ||
            (c->spoil == c_unrestricted && !vmx_ctl_can(F_PROC2, PROC2_UNRESTRICTED)) ||
            (c->spoil == c_nmi_window && !vmx_ctl_can(F_PROC, PROC_NMI_WINDOW)) ||
            (c->spoil == c_save_preempt && !vmx_ctl_can(F_EXIT_CTLS, EXIT_SAVE_PREEMPT)) ||
            (c->spoil == h_pat && !vmx_ctl_can(F_EXIT_CTLS, EXIT_LOAD_PAT)) ||
            (c->spoil == h_efer && !vmx_ctl_can(F_EXIT_CTLS, EXIT_LOAD_EFER)) ||
            (c->spoil == g_pat && !vmx_ctl_can(F_ENTRY_CTLS, ENTRY_LOAD_PAT)) ||
            (c->spoil == g_efer && !vmx_ctl_can(F_ENTRY_CTLS, ENTRY_LOAD_EFER))) {
            tprintf("# skipped (capability missing): %s\n", c->name);
            continue;
        }
        run_case(c);
    }

    /* after a VM-entry failure: launch state clear, host state loaded */
    vmcs_init_at(vmcs_r, (void (*)(void))g_done, VMX_GUEST_STACK_TOP);
    g_activity();
    uint64_t run = vmx_run();
    vmx_expect_exit("entry failure for the launch-state check", run,
                    EXIT_BAD_GUEST | EXIT_ENTRY_FAIL, 0);
    t_eq("host RFLAGS = 2 after a VM-entry failure", vmx_exit_rflags, 2);
    t_eq("VMRESUME after a failed VMLAUNCH: VMfailValid", vmx_run_asm(1), VMX_RUN_FAIL_VALID);
    t_eq("... error 5: the launch state stayed clear", vmread(F_INSN_ERROR), 5);
    set(F_G_ACTIVITY, 0);
    vmx_launched = 0;
    vmx_expect_exit("VMLAUNCH after fixing the VMCS enters", vmx_run(), EXIT_VMCALL, VMX_ANY);

    /* blocking by MOV SS (26.1): error 26 */
    vmcs_init_at(vmcs_r, (void (*)(void))g_done, VMX_GUEST_STACK_TOP);
    uint64_t fl;
    /* HOST_RIP/RSP point here, so a wrong successful entry comes back as VMsucceed */
    __asm__ volatile("lea 1f(%%rip), %%rdx\n\tvmwrite %%rdx, %1\n\tvmwrite %%rsp, %2\n\t"
                     "mov %%ss, %%ax\n\tmov %%ax, %%ss\n\tvmlaunch\n"
                     "1:\tpushfq\n\tpopq %0"
                     : "=r"(fl) : "r"((uint64_t)F_H_RIP), "r"((uint64_t)F_H_RSP)
                     : "rax", "rdx", "cc", "memory");
    vmx_expect_error("VMLAUNCH right after MOV SS: error 26", vmx_result(fl), 26);
    return t_finish();
}
