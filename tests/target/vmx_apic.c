/* vmx_apic.c — APIC-access exits: with "virtualize APIC accesses" a guest access to the
 * APIC-access page exits with reason 44; with the TPR shadow too, reads and writes of the TPR
 * (offset 80H) are virtualized through the virtual-APIC page without an exit.
 *
 * Expected values (SDM Vol. 3, edition with APIC virtualization in chapter 29): 29.4 (a linear
 * access to the APIC-access page causes an APIC-access VM exit unless it is virtualized; with
 * "use TPR shadow" = 1 and "APIC-register virtualization" = 0 only a 32-bit-or-smaller read or
 * write of offset 080H is virtualized: reads return the virtual-APIC page's VTPR, writes store
 * there; older editions (21.5.3) state it for linear accesses through 4 KiB pages, which this
 * kernel uses); 27.2.1 Table 27-6 (qualification: bits 11:0 the page offset, bits 15:12 the access
 * type: 0 linear read, 1 linear write, 2 linear instruction fetch); the fetch exit has the guest
 * RIP at the fetched address.
 */
#include "lib/pt64.h"
#include "lib/vmx_lib.h"

extern char g_ld[], g_ld_end[], g_st[], g_st_end[], g_call[];
__asm__(".text\n"
        "g_ld:\n\tmovl (%rbx), %eax\ng_ld_end:\n\tvmcall\n"
        "g_st:\n\tmovl %ecx, (%rbx)\ng_st_end:\n\tvmcall\n"
        "g_call:\n\tcall *%rbx\n\tvmcall\n");

static uint8_t access_page[4096] __attribute__((aligned(4096)));
static uint8_t vapic[4096] __attribute__((aligned(4096)));

static uint64_t go(char *code, uint64_t addr, uint64_t rcx)
{
    vmwrite(F_G_RIP, va_pa(code));
    vmwrite(F_G_RSP, va_pa(VMX_GUEST_STACK_TOP) - 64);
    memset(&vmx_gregs, 0, sizeof vmx_gregs);
    vmx_gregs.rbx = addr;
    vmx_gregs.rcx = rcx;
    return vmx_run();
}

int main(void)
{
    t_begin("vmx_apic");
    /* the VTPR rules are stated for linear accesses through a 4 KiB translation (a large page
     * may be treated either way), so the APIC-access page gets a 4 KiB mapping */
    pt_init();
    pt_map4k(va_pa(access_page), va_pa(access_page), PT_P | PT_W);
    if (vmx_enable() != VMX_OK || vmcs_init_default((void (*)(void))g_ld, VMX_GUEST_STACK_TOP))
        return t_check(0, "VMXON and the default VMCS", "failed"), t_finish();
    if (!vmx_ctl_can(F_PROC2, PROC2_APIC_ACCESS)) {
        tprintf("# virtualize APIC accesses not offered\n");
        return t_finish();
    }
    uint64_t p = va_pa(access_page);
    vmx_ctl_set(F_PROC2, PROC2_APIC_ACCESS);
    vmwrite(F_APIC_ACCESS_ADDR, p);

    uint64_t run = go(g_ld, p + 0x20, 0);
    vmx_expect_exit("read of APIC-access page offset 20H: exit 44, qualification 020H", run,
                    EXIT_APIC_ACCESS, 0x020);
    t_eq("... guest RIP at the load", vmread(F_G_RIP), va_pa(g_ld));
    run = go(g_st, p + 0x300, 0x1234);
    vmx_expect_exit("write of offset 300H: exit 44, qualification 1300H", run, EXIT_APIC_ACCESS,
                    0x1300);
    t_eq("... the write did not reach the page", *(volatile uint32_t *)(access_page + 0x300), 0);
    run = go(g_call, p + 0x10, 0);
    vmx_expect_exit("instruction fetch at offset 10H: exit 44, qualification 2010H", run,
                    EXIT_APIC_ACCESS, 0x2010);
    t_eq("... guest RIP at the fetched address", vmread(F_G_RIP), p + 0x10);
    run = go(g_ld, p + 0x1000, 0);
    vmx_expect_exit("read of the next page: no exit", run, EXIT_VMCALL, VMX_ANY);

    if (vmx_ctl_can(F_PROC, PROC_TPR_SHADOW)) {
        vmwrite(F_PROC, vmread(F_PROC) | PROC_TPR_SHADOW);
        vmwrite(F_VIRT_APIC_ADDR, va_pa(vapic));
        vmwrite(F_TPR_THRESHOLD, 0);
        vapic[0x80] = 0x60;
        run = go(g_ld, p + 0x80, 0);
        vmx_expect_exit("TPR shadow: read of offset 80H is virtualized (no exit)", run,
                        EXIT_VMCALL, VMX_ANY);
        t_eq("... it returns VTPR", vmx_gregs.rax & 0xffffffffu, 0x60);
        run = go(g_st, p + 0x80, 0x40);
        vmx_expect_exit("TPR shadow: write of offset 80H is virtualized (no exit)", run,
                        EXIT_VMCALL, VMX_ANY);
        t_eq("... VTPR = 40H", vapic[0x80], 0x40);
        t_eq("... the APIC-access page is untouched", access_page[0x80], 0);
        run = go(g_ld, p + 0x20, 0);
        vmx_expect_exit("TPR shadow: read of offset 20H still exits", run, EXIT_APIC_ACCESS,
                        0x020);
    }
    return t_finish();
}
