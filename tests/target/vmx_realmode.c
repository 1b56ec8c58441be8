/* vmx_realmode.c — unrestricted guests under EPT: a guest entered in real mode (CR0.PE = 0,
 * PG = 0), as a hypervisor runs an AP from its SIPI vector, that executes real-mode code, an INT
 * through a real-mode IVT the host placed at guest-physical 0, an OUT that exits (unconditional
 * I/O exiting), then switches itself to 32-bit protected mode and executes VMCALL; and a guest
 * entered directly in 32-bit protected mode without paging, whose guest-physical accesses go
 * through EPT (a remapped page read, a write to a read-only page: EPT violation, fixed, retried).
 *
 * Every guest-physical page the real-mode guest uses (IVT page 0, stack page 6000H, code page
 * 7000H) is mapped by EPT to a different host page of this image, so what the guest wrote is
 * found in the host pages and not at the identity addresses (checked for both).
 *
 * Expected values (SDM Vol. 3): 24.6.2 / 26.2.1.1 ("unrestricted guest" needs "enable EPT");
 * 26.3.1.1 (with unrestricted guest, CR0.PE and CR0.PG may be 0 although IA32_VMX_CR0_FIXED0
 * has them); 26.3.1.2 (real-mode segment state: CS type 3 or accessed code, DPL 0, SS DPL 0,
 * selector/base consistent; TR type 3 or 11 for a guest outside IA-32e mode); 20.1.4 (real-mode
 * INT: FLAGS, CS, IP pushed, CS:IP from the IVT entry at vector * 4); 27.2.1 Table 27-5 (I/O
 * qualification: size - 1 in bits 2:0, direction bit 3 = 0 for OUT, bit 6 = 1 for an immediate
 * port, port in bits 31:16); 27.3.1 (saved segment selectors, bases, access rights, CR0);
 * 9.9.1 (switching to protected mode: MOV CR0 then a far JMP); 28.2.3.2 / Table 27-7 (EPT
 * violation qualification: bit 1 write, bits 5:3 the entry's R/W/X, bit 7 guest-linear address
 * valid, bit 8 the access was to the translation of a linear address — with CR0.PG = 0 the
 * guest-physical address is the linear address; the guest-physical and guest-linear address
 * fields); 28.3.3.4 (INVEPT).
 */
#include "lib/vmx_lib.h"

#define RM_CODE_GPA  0x7000ull
#define RM_STACK_GPA 0x6000ull
#define RM_IVT_GPA   0x0ull
#define PM_MARK_GPA  0x3000000ull       /* read-only EPT page holding a marker */
#define PM_RO_GPA    0x3001000ull       /* read-only EPT page written by the guest */
#define RM_INT_VEC   0x40
#define RM_PORT      0x80
#define MARKER       0x4d4d1234u

extern char rm_code[], rm_after_int[], rm_out[], rm_after_out[], rm_vmcall[], rm_pm_direct[],
    rm_pm_write[], rm_pm_after_write[], rm_handler[], rm_gdt[], rm_data[], rm_code_end[];
__asm__(".section .rodata\n"
        ".code16\n"
        "rm_code:\n"
        "\tmov $0x0700, %ax\n\tmov %ax, %ds\n"
        "\tmovw $0x1111, (rm_data - rm_code)\n"
        "\tint $0x40\n"
        "rm_after_int:\n"
        "\tmov $0x5a, %al\n"
        "rm_out:\n"
        "\tout %al, $0x80\n"
        "rm_after_out:\n"
        "\tcli\n"
        "\tlgdtl (rm_gdtr - rm_code)\n"
        "\tmov %cr0, %eax\n\tor $1, %eax\n\tmov %eax, %cr0\n"
        "\tljmpl $0x08, $(0x7000 + rm_pm32 - rm_code)\n"
        ".code32\n"
        "rm_pm32:\n"
        "\tmov $0x10, %ax\n\tmov %ax, %ds\n\tmov %ax, %es\n\tmov %ax, %ss\n"
        "\tmov $0xc0de, %eax\n"
        "rm_vmcall:\n"
        "\tvmcall\n"
        "\tjmp rm_vmcall\n"
        "rm_pm_direct:\n"
        "\tmov 0x3000000, %eax\n"
        "rm_pm_write:\n"
        "\tmovl $0x77, 0x3001000\n"
        "rm_pm_after_write:\n"
        "\tvmcall\n"
        "\tjmp rm_pm_after_write\n"
        ".code16\n"
        "rm_handler:\n"
        "\tmov $0xbeef, %si\n"
        "\tiret\n"
        "\t.balign 8\n"
        "rm_gdt:\n\t.quad 0\n\t.quad 0x00cf9b000000ffff\n\t.quad 0x00cf93000000ffff\n"
        "rm_gdtr:\n\t.word 23\n\t.long 0x7000 + rm_gdt - rm_code\n"
        "rm_data:\n\t.word 0\n"
        "rm_code_end:\n"
        ".code64\n"
        ".text\n");

static uint8_t code_page[4096] __attribute__((aligned(4096)));
static uint8_t stack_page[4096] __attribute__((aligned(4096)));
static uint8_t ivt_page[4096] __attribute__((aligned(4096)));
static uint8_t mark_page[4096] __attribute__((aligned(4096)));
static uint8_t ro_page[4096] __attribute__((aligned(4096)));

static uint64_t off(const char *label) { return (uint64_t)(label - rm_code); }

static void seg(uint32_t sel_enc, uint16_t sel, uint64_t base, uint32_t limit, uint32_t ar)
{
    uint32_t k = sel_enc - F_G_ES_SEL;
    vmwrite(sel_enc, sel);
    vmwrite(F_G_ES_BASE + k, base);
    vmwrite(F_G_ES_LIMIT + k, limit);
    vmwrite(F_G_ES_AR + k, ar);
}

static uint64_t guest_cr0(int pe)
{
    uint64_t cr0 = (rdmsr(MSR_VMX_CR0_FIXED0) | X86_CR0_NE | 0x10) & rdmsr(MSR_VMX_CR0_FIXED1);
    cr0 &= ~((1ull << 0) | (1ull << 31));
    return cr0 | (pe ? 1 : 0);
}

static void common_state(void)
{
    vmwrite(F_ENTRY_CTLS, vmx_ctl_adjust(F_ENTRY_CTLS, 0));      /* not IA-32e mode */
    vmwrite(F_G_CR3, 0);
    vmwrite(F_G_CR4, rdmsr(MSR_VMX_CR4_FIXED0) & rdmsr(MSR_VMX_CR4_FIXED1));
    vmwrite(F_G_RFLAGS, 2);
    vmwrite(F_G_INTERRUPTIBILITY, 0);
    vmwrite(F_G_ACTIVITY, 0);
    vmwrite(F_ENTRY_INTR_INFO, 0);
    memset(&vmx_gregs, 0, sizeof vmx_gregs);
}

static void real_mode_guest(void)
{
    common_state();
    vmwrite(F_G_CR0, guest_cr0(0));
    seg(F_G_CS_SEL, RM_CODE_GPA >> 4, RM_CODE_GPA, 0xffff, 0x9b);
    static const uint32_t data[] = { F_G_ES_SEL, F_G_SS_SEL, F_G_DS_SEL, F_G_FS_SEL, F_G_GS_SEL };
    for (unsigned k = 0; k < 5; k++)
        seg(data[k], 0, 0, 0xffff, 0x93);
    vmwrite(F_G_GDTR_BASE, 0);
    vmwrite(F_G_GDTR_LIMIT, 0xffff);
    vmwrite(F_G_IDTR_BASE, RM_IVT_GPA);
    vmwrite(F_G_IDTR_LIMIT, 0x3ff);
    vmwrite(F_G_RIP, 0);
    vmwrite(F_G_RSP, 0x7000);                   /* SS:SP = 0000:7000, the stack page below */
}

static void pm32_guest(void)
{
    common_state();
    vmwrite(F_G_CR0, guest_cr0(1));
    seg(F_G_CS_SEL, 0x08, 0, 0xffffffffu, 0xc09b);
    static const uint32_t data[] = { F_G_ES_SEL, F_G_SS_SEL, F_G_DS_SEL, F_G_FS_SEL, F_G_GS_SEL };
    for (unsigned k = 0; k < 5; k++)
        seg(data[k], 0x10, 0, 0xffffffffu, 0xc093);
    vmwrite(F_G_GDTR_BASE, RM_CODE_GPA + off(rm_gdt));
    vmwrite(F_G_GDTR_LIMIT, 23);
    vmwrite(F_G_IDTR_BASE, 0);
    vmwrite(F_G_IDTR_LIMIT, 0);
    vmwrite(F_G_RIP, RM_CODE_GPA + off(rm_pm_direct));
    vmwrite(F_G_RSP, 0x7000);
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

int main(void)
{
    t_begin("vmx_realmode");
    if (vmx_enable() != VMX_OK || vmcs_init_default((void (*)(void))rm_code, VMX_GUEST_STACK_TOP))
        return t_check(0, "VMXON and the default VMCS", "failed"), t_finish();
    if (!vmx_ctl_can(F_PROC2, PROC2_EPT | PROC2_UNRESTRICTED)) {
        tprintf("# unrestricted guest (with EPT) not offered: nothing to test\n");
        return t_finish();
    }

    /* the guest's pages: code + GDT at 7000H, stack at 6000H, IVT at 0 */
    size_t len = (size_t)(rm_code_end - rm_code);
    memcpy(code_page, rm_code, len);
    uint32_t *ivt = (uint32_t *)ivt_page;
    ivt[RM_INT_VEC] = (uint32_t)(RM_CODE_GPA >> 4) << 16 | (uint32_t)off(rm_handler);
    *(volatile uint32_t *)mark_page = MARKER;
    /* the identity addresses must stay untouched: poison them */
    *(volatile uint16_t *)phys_ptr(RM_CODE_GPA + off(rm_data)) = 0xdead;
    *(volatile uint32_t *)phys_ptr(PM_RO_GPA) = 0xdeaddead;

    ept_init();
    ept_map4k(RM_IVT_GPA, va_pa(ivt_page), EPT_RWX | EPT_WB);
    ept_map4k(RM_STACK_GPA, va_pa(stack_page), EPT_RWX | EPT_WB);
    ept_map4k(RM_CODE_GPA, va_pa(code_page), EPT_RWX | EPT_WB);
    ept_map4k(PM_MARK_GPA, va_pa(mark_page), EPT_R | EPT_WB);
    ept_map4k(PM_RO_GPA, va_pa(ro_page), EPT_R | EPT_WB);
    vmx_ctl_set(F_PROC2, PROC2_EPT | PROC2_UNRESTRICTED);
    vmwrite(F_EPTP, ept_eptp());
    vmx_ctl_set(F_PROC, PROC_UNCOND_IO);
    invept_all();

    /* ---- the real-mode guest */
    real_mode_guest();
    uint64_t run = vmx_run();
    if (vmx_expect_exit("real-mode guest (CR0.PE = 0, PG = 0): OUT imm8 exits, qualification "
                        "port 80H, size 1, OUT, immediate", run, EXIT_IO,
                        (uint64_t)RM_PORT << 16 | 1u << 6)) {
        t_eq("... guest RIP = the OUT's offset in CS", vmread(F_G_RIP), off(rm_out));
        t_eq("... instruction length 2", vmread(F_EXIT_INSN_LEN),
             (uint64_t)(rm_after_out - rm_out));
        t_eq("... CS selector 0700H", vmread(F_G_CS_SEL), RM_CODE_GPA >> 4);
        t_eq("... CS base 7000H", vmread(F_G_CS_BASE), RM_CODE_GPA);
        t_eq("... DS loaded by the guest: selector 0700H", vmread(F_G_DS_SEL), 0x700);
        t_eq("... DS base = selector * 16", vmread(F_G_DS_BASE), 0x7000);
        t_eq("... guest CR0.PE = 0 and CR0.PG = 0", vmread(F_G_CR0) & 0x80000001u, 0);
        t_eq("... AL = 5AH (the instruction before the OUT ran)", vmx_gregs.rax & 0xff, 0x5a);
        t_eq("... INT 40H went through the IVT at guest-physical 0 (handler set SI = BEEFH)",
             vmx_gregs.rsi & 0xffff, 0xbeef);
        t_eq("... SP back at 7000H after the handler's IRET", vmread(F_G_RSP) & 0xffff, 0x7000);
        t_eq("... the INT pushed IP (stack page 6000H mapped to its host page)",
             rd16(stack_page + 0xffa), off(rm_after_int));
        t_eq("... the INT pushed CS 0700H", rd16(stack_page + 0xffc), 0x700);
        t_eq("... the guest's write to 7000H:data reached the EPT-mapped host page",
             rd16(code_page + off(rm_data)), 0x1111);
        t_eq("... and not the identity-mapped host page",
             *(volatile uint16_t *)phys_ptr(RM_CODE_GPA + off(rm_data)), 0xdead);
    }

    /* ---- the same guest switches itself to protected mode */
    vmx_skip_insn();
    run = vmx_run();
    if (vmx_expect_exit("the guest switched to 32-bit protected mode: VMCALL exit 18", run,
                        EXIT_VMCALL, VMX_ANY)) {
        t_eq("... EAX = C0DEH", vmx_gregs.rax & 0xffffffffu, 0xc0de);
        t_eq("... guest RIP = the VMCALL's linear address", vmread(F_G_RIP),
             RM_CODE_GPA + off(rm_vmcall));
        t_eq("... guest CR0.PE = 1, PG = 0", vmread(F_G_CR0) & 0x80000001u, 1);
        t_eq("... CS selector 08H", vmread(F_G_CS_SEL), 0x08);
        t_eq("... CS base 0", vmread(F_G_CS_BASE), 0);
        t_eq("... CS limit FFFFFFFFH (G = 1)", vmread(F_G_CS_LIMIT), 0xffffffffu);
        t_eq("... CS access rights C09BH (32-bit code, accessed)", vmread(F_G_CS_AR), 0xc09b);
        t_eq("... SS selector 10H", vmread(F_G_SS_SEL), 0x10);
        t_eq("... GDTR base from the guest's LGDT", vmread(F_G_GDTR_BASE),
             RM_CODE_GPA + off(rm_gdt));
    }

    /* ---- a guest entered in 32-bit protected mode without paging */
    pm32_guest();
    run = vmx_run();
    if (vmx_expect_exit("32-bit guest without paging: write to an EPT read-only page: exit 48",
                        run, EXIT_EPT_VIOLATION,
                        (1u << 1) | (EPT_R << 3) | (1u << 7) | (1u << 8))) {
        t_eq("... guest RIP = the write", vmread(F_G_RIP), RM_CODE_GPA + off(rm_pm_write));
        t_eq("... guest-physical address 3001000H", vmread(F_GUEST_PHYS), PM_RO_GPA);
        t_eq("... guest-linear address = the guest-physical address (CR0.PG = 0)",
             vmread(F_GUEST_LINEAR), PM_RO_GPA);
        t_eq("... the read before it went to the remapped host page (marker in EAX)",
             vmx_gregs.rax & 0xffffffffu, MARKER);
        t_eq("... guest CR0.PE = 1, PG = 0 kept", vmread(F_G_CR0) & 0x80000001u, 1);
    }
    ept_map4k(PM_RO_GPA, va_pa(ro_page), EPT_RWX | EPT_WB);
    invept_all();
    run = vmx_run();
    if (vmx_expect_exit("after making the page writable + INVEPT: the write is retried, VMCALL",
                        run, EXIT_VMCALL, VMX_ANY)) {
        t_eq("... guest RIP = the VMCALL", vmread(F_G_RIP), RM_CODE_GPA + off(rm_pm_after_write));
        t_eq("... the write reached the EPT-mapped host page", *(volatile uint32_t *)ro_page,
             0x77);
        t_eq("... and not the identity-mapped one", *(volatile uint32_t *)phys_ptr(PM_RO_GPA),
             0xdeaddead);
    }
    return t_finish();
}
