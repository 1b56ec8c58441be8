/* vmx_vectoring.c — VM exits during the delivery of events the guest caused itself (not
 * injected) and the NMI-unblocking information of an IRET that faults:
 *  - a guest #UD whose delivery reads an IDT entry on a page EPT does not map: EPT violation
 *    with IDT-vectoring information = the #UD; reinjected from that information, it reaches the
 *    guest handler;
 *  - a guest #PF whose delivery pushes onto a stack page EPT maps read-only: EPT violation with
 *    IDT-vectoring information = the #PF and its error code, CR2 written;
 *  - an external interrupt (a self-IPI pending at VM entry, guest IF = 1, no exiting) whose
 *    delivery hits the unmapped IDT page: IDT-vectoring information = the interrupt (type 0), the
 *    interrupt acknowledged (ISR set);
 *  - with virtual NMIs, an IRET in the guest's NMI handler (the NMI was injected, so virtual-NMI
 *    blocking was set) whose stack frame is on a page EPT does not map: EPT violation with
 *    qualification bit 12 ("NMI unblocking due to IRET") set and virtual-NMI blocking clear in
 *    the saved interruptibility state; the same IRET outside an NMI handler: bit 12 clear.
 *
 * The guest runs on its own IDT (a 4 KiB-aligned copy of vmx_gidt, so EPT can take exactly that
 * page away) and its own 4 KiB stack page.
 *
 * Expected values (SDM Vol. 3, edition with VM exits in chapter 27): 27.1 (an event that causes
 * a VM exit indirectly, during its delivery, updates architectural state: a page fault updates
 * CR2, an external interrupt is acknowledged and no longer pending); 27.2.4 (IDT-vectoring
 * information: valid bit 31, vector 7:0, type 10:8 — 0 external interrupt, 3 hardware
 * exception —, error-code-valid bit 11 and the IDT-vectoring error code for a VM exit during
 * event delivery); 27.2.1 Table 27-7 (EPT-violation qualification: bit 0 read, bit 1 write,
 * bits 5:3 R/W/X of the translation, bit 7 guest-linear address valid, bit 8 the access was to
 * the translation of a linear address, bit 12 NMI unblocking due to IRET, bits 9-11 only with
 * advanced information and not checked); 27.2.3 (with virtual NMIs, bit 12 is set if the VM exit
 * was due to a fault in an IRET that unblocked virtual NMIs; the saved state then shows virtual
 * NMIs unblocked, and the VMM sets the blocking again before re-executing the IRET); 26.6.1.2
 * (injecting an NMI with virtual NMIs sets virtual-NMI blocking); 25.3 (IRET unblocks virtual
 * NMIs); 6.13/6.15 (#UD has no error code; #PF error code 0 for a supervisor read of a
 * not-present page).
 */
#include "lib/vmx_lib.h"

#define APIC 0xfee00000ull
#define EXT_VEC 0x51
#define UNMAPPED_VA 0x200000000ull      /* 8 GiB: outside the 4 GiB identity map */

extern char g_ud[], g_pf[], g_nop[], g_nmi_iret[], g_plain_iret[];
__asm__(".text\n"
        "g_ud:\n\tud2\n\tvmcall\n"
        "g_pf:\n\tmov (%rbx), %rax\n\tvmcall\n"
        "g_nop:\n\tnop\n\tvmcall\n"
        "g_nmi_iret:\n\tmov %r13, %rsp\n\tiretq\n"
        "g_plain_iret:\n\tmov %r13, %rsp\n\tiretq\n");
extern char g_nmi_handler[];
__asm__(".text\ng_nmi_handler:\n\tjmp g_nmi_iret\n");

static uint64_t gidt[512] __attribute__((aligned(4096)));
static uint8_t gstack[4096] __attribute__((aligned(4096)));
static uint8_t frame_page[4096] __attribute__((aligned(4096)));

static volatile uint32_t *apic_reg(unsigned off) { return (volatile uint32_t *)phys_ptr(APIC + off); }
static int apic_bit(unsigned base, unsigned vec)
{
    return (*apic_reg(base + (vec / 32) * 0x10) >> (vec % 32)) & 1;
}

static void set_gate(unsigned vec, const void *fn)
{
    uint64_t off = va_pa(fn);
    gidt[2 * vec] = (gidt[2 * vec] & 0x0000ffffffff0000ull) | (off & 0xffff) |
                    (((off >> 16) & 0xffff) << 48);
    gidt[2 * vec + 1] = off >> 32;
}

static void ept_perm(const void *page, uint64_t perm)
{
    ept_map4k(va_pa(page), va_pa(page), perm | EPT_WB);
    invept_all();
}

static void start(const char *fn, uint64_t rflags)
{
    vmwrite(F_G_RIP, va_pa(fn));
    vmwrite(F_G_RSP, va_pa(gstack + sizeof gstack) - 64);
    vmwrite(F_G_RFLAGS, rflags);
    vmwrite(F_G_INTERRUPTIBILITY, 0);
    vmwrite(F_ENTRY_INTR_INFO, 0);
    memset(&vmx_gregs, 0, sizeof vmx_gregs);
    memset(&vmx_gtrap, 0, sizeof vmx_gtrap);
}

/* EPT-violation qualification without the advanced-information bits 11:9 */
static uint64_t qual(void) { return vmread(F_EXIT_QUAL) & ~0xe00ull; }

static int in_range(uint64_t a, uint64_t lo, uint64_t len) { return a >= lo && a < lo + len; }

/* Re-inject the event of the IDT-vectoring information (as a VMM does after fixing the cause)
 * and expect the guest handler for `vec` to see it at `rip`. */
static void reinject(const char *name, uint64_t vec, uint64_t rip)
{
    uint64_t info = vmread(F_IDT_VEC_INFO);
    vmwrite(F_ENTRY_INTR_INFO, info & 0x80000fffull);
    vmwrite(F_ENTRY_EXC_ERROR, vmread(F_IDT_VEC_ERROR));
    vmwrite(F_ENTRY_INSN_LEN, 0);
    memset(&vmx_gtrap, 0, sizeof vmx_gtrap);
    uint64_t run = vmx_run();
    if (vmx_expect_exit(name, run, EXIT_VMCALL, VMX_ANY))
        t_check(vmx_gregs.rax == VMX_GTRAP_MAGIC && vmx_gtrap.vector == vec &&
                vmx_gtrap.rip == rip && vmx_gtrap.count == 1, name,
                "RAX 0x%llx; the guest saw vector 0x%llx at RIP 0x%llx (%llu events)",
                (unsigned long long)vmx_gregs.rax, (unsigned long long)vmx_gtrap.vector,
                (unsigned long long)vmx_gtrap.rip, (unsigned long long)vmx_gtrap.count);
}

static void ud_through_unmapped_idt(void)
{
    ept_perm(gidt, 0);
    start(g_ud, 2);
    uint64_t run = vmx_run();
    if (vmx_expect_exit("guest #UD, IDT page not mapped by EPT: EPT violation (read) during "
                        "delivery", run, EXIT_EPT_VIOLATION, VMX_ANY)) {
        t_eq("... qualification: read, not readable/writable/executable, linear address "
             "valid and translated, no NMI unblocking", qual(), 0x181);
        uint64_t gpa = vmread(F_GUEST_PHYS);
        t_check(in_range(gpa, va_pa(&gidt[2 * 6]), 16), "... guest-physical address in IDT "
                "entry 6", "0x%llx", (unsigned long long)gpa);
        t_eq("... IDT-vectoring information: valid, hardware exception, vector 6, no error "
             "code (27.2.4)", vmread(F_IDT_VEC_INFO), INTR_VALID | INTR_TYPE(IT_HW_EXC) | 6);
        t_eq("... exit interruption information not valid", vmread(F_EXIT_INTR_INFO) >> 31, 0);
        t_eq("... guest RIP = the UD2 (a fault)", vmread(F_G_RIP), va_pa(g_ud));
    }
    ept_perm(gidt, EPT_RWX);
    reinject("... IDT page mapped again, the #UD reinjected: the guest handler gets vector 6",
             6, va_pa(g_ud));
}

static void pf_onto_readonly_stack(void)
{
    ept_perm(gstack, EPT_R);
    write_cr2(0);
    start(g_pf, 2);
    vmx_gregs.rbx = UNMAPPED_VA;
    uint64_t run = vmx_run();
    if (vmx_expect_exit("guest #PF, stack page read-only in EPT: EPT violation (write) during "
                        "delivery", run, EXIT_EPT_VIOLATION, VMX_ANY)) {
        t_eq("... qualification: write, readable, linear address valid and translated",
             qual(), 0x18a);
        uint64_t gpa = vmread(F_GUEST_PHYS);
        t_check(in_range(gpa, va_pa(gstack + sizeof gstack) - 64 - 48, 48),
                "... guest-physical address in the frame below the guest RSP", "0x%llx",
                (unsigned long long)gpa);
        t_eq("... IDT-vectoring information: valid, hardware exception with error code, "
             "vector 14", vmread(F_IDT_VEC_INFO),
             INTR_VALID | INTR_HAS_ERROR | INTR_TYPE(IT_HW_EXC) | 14);
        t_eq("... IDT-vectoring error code 0 (supervisor read, not present)",
             vmread(F_IDT_VEC_ERROR), 0);
        t_eq("... CR2 = the faulting address (the #PF updated it: 27.1)", read_cr2(),
             UNMAPPED_VA);
        t_eq("... guest RIP = the faulting MOV", vmread(F_G_RIP), va_pa(g_pf));
    }
    ept_perm(gstack, EPT_RWX);
    reinject("... stack writable again, the #PF reinjected: the guest handler gets vector 14",
             14, va_pa(g_pf));
    t_eq("... with the error code 0", vmx_gtrap.error, 0);
}

static void extint_through_unmapped_idt(void)
{
    *apic_reg(0xf0) = 0x1ff;
    *apic_reg(0x300) = (1u << 18) | (1u << 14) | EXT_VEC;   /* self shorthand, fixed */
    if (!t_check(apic_bit(0x200, EXT_VEC), "self-IPI 51H pending in the IRR (host IF = 0)",
                 "%s", "IRR bit clear"))
        return;
    ept_perm(gidt, 0);
    start(g_nop, 0x202);
    uint64_t run = vmx_run();
    if (vmx_expect_exit("external interrupt 51H delivered to the guest (IF = 1, no exiting), IDT "
                        "page not mapped: EPT violation during delivery", run,
                        EXIT_EPT_VIOLATION, VMX_ANY)) {
        t_eq("... qualification: read, not mapped, linear address valid and translated",
             qual(), 0x181);
        t_eq("... IDT-vectoring information: valid, external interrupt, vector 51H",
             vmread(F_IDT_VEC_INFO), INTR_VALID | INTR_TYPE(IT_EXT) | EXT_VEC);
        t_eq("... the interrupt was acknowledged: ISR bit 51H set (27.1)",
             (uint64_t)apic_bit(0x100, EXT_VEC), 1);
        t_eq("... and IRR bit 51H clear", (uint64_t)apic_bit(0x200, EXT_VEC), 0);
        t_eq("... guest RIP = the first instruction", vmread(F_G_RIP), va_pa(g_nop));
    }
    ept_perm(gidt, EPT_RWX);
    reinject("... IDT mapped again, the interrupt reinjected: the guest handler gets 51H",
             EXT_VEC, va_pa(g_nop));
    *apic_reg(0xb0) = 0;                                    /* EOI */
}

static void nmi_unblocking_iret(void)
{
    if (!vmx_ctl_can(F_PIN, PIN_NMI | PIN_VIRT_NMI)) {
        tprintf("# virtual NMIs not offered: NMI unblocking by IRET skipped\n");
        return;
    }
    vmwrite(F_PIN, vmx_ctl_adjust(F_PIN, PIN_NMI | PIN_VIRT_NMI));
    set_gate(2, g_nmi_handler);
    ept_perm(frame_page, 0);
    uint64_t frame = va_pa(frame_page) + 0x100;

    start(g_nop, 2);
    vmx_gregs.r13 = frame;
    vmwrite(F_ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE(IT_NMI) | 2);
    uint64_t run = vmx_run();
    if (vmx_expect_exit("virtual NMI injected, its handler's IRETQ reads a frame EPT does not "
                        "map: EPT violation", run, EXIT_EPT_VIOLATION, VMX_ANY)) {
        t_eq("... guest RIP = the IRETQ", vmread(F_G_RIP), va_pa(g_nmi_iret) + 3);
        t_eq("... qualification: read, not mapped, linear valid and translated, bit 12 NMI "
             "unblocking due to IRET (27.2.3)", qual(), 0x1181);
        uint64_t gpa = vmread(F_GUEST_PHYS);
        t_check(in_range(gpa, frame, 40), "... guest-physical address in the IRET frame",
                "0x%llx", (unsigned long long)gpa);
        t_eq("... saved interruptibility: virtual-NMI blocking clear (the IRET unblocked it)",
             (vmread(F_G_INTERRUPTIBILITY) >> 3) & 1, 0);
        t_eq("... IDT-vectoring information not valid (no event delivery)",
             vmread(F_IDT_VEC_INFO) >> 31, 0);
    }

    start(g_plain_iret, 2);
    vmx_gregs.r13 = frame;
    run = vmx_run();
    if (vmx_expect_exit("the same IRETQ outside an NMI handler (virtual NMIs not blocked): EPT "
                        "violation", run, EXIT_EPT_VIOLATION, VMX_ANY)) {
        t_eq("... guest RIP = the IRETQ", vmread(F_G_RIP), va_pa(g_plain_iret) + 3);
        t_eq("... qualification bit 12 clear", qual(), 0x181);
    }
    ept_perm(frame_page, EPT_RWX);
    vmwrite(F_PIN, vmx_ctl_adjust(F_PIN, 0));
}

int main(void)
{
    t_begin("vmx_vectoring");
    if (vmx_enable() != VMX_OK || vmcs_init_default((void (*)(void))g_nop, VMX_GUEST_STACK_TOP))
        return t_check(0, "VMXON and the default VMCS", "failed"), t_finish();
    if (!vmx_ctl_can(F_PROC2, PROC2_EPT)) {
        tprintf("# EPT not offered: nothing to test\n");
        return t_finish();
    }
    memcpy(gidt, vmx_gidt, sizeof gidt);
    vmwrite(F_G_IDTR_BASE, va_pa(gidt));
    vmwrite(F_G_IDTR_LIMIT, sizeof gidt - 1);
    ept_init();
    vmx_ctl_set(F_PROC2, PROC2_EPT);
    vmwrite(F_EPTP, ept_eptp());
    ud_through_unmapped_idt();
    pf_onto_readonly_stack();
    extint_through_unmapped_idt();
    nmi_unblocking_iret();
    return t_finish();
}
