/* vmx_events.c — VM exits caused by events: exceptions through the exception bitmap (#UD, #BP,
 * #GP with its error code), #PF with the page-fault error-code mask and match, triple fault,
 * interrupt-window and NMI-window exiting, external interrupts with and without "acknowledge
 * interrupt on exit" (also with guest RFLAGS.IF = 0), NMIs, the monitor trap flag, INIT.
 *
 * Expected values (SDM Vol. 3): 25.2 (exception bitmap; #PF exits iff bit 14 of the bitmap
 * equals (PFEC & mask) == match; triple fault; external interrupts exit with external-interrupt
 * exiting even with RFLAGS.IF = 0 (25.3 / 26.? "Event blocking"); NMIs with NMI exiting; INIT in
 * non-root operation exits); 25.5.2 (MTF: exit after one instruction); 26.7.5-26.7.6 (interrupt
 * window: exit before the first instruction when IF = 1 and nothing blocks, after the
 * instruction following STI otherwise; NMI window with virtual NMIs, blocked by virtual-NMI
 * blocking); 27.1 (a #PF exit does not write CR2); 27.2.1 (#PF qualification = the linear
 * address); 27.2.2 (exit interruption information: valid, type 3 hardware exception / 6
 * software exception / 2 NMI / 0 external interrupt, vector, error-code valid bit 11, the error
 * code in its own field; for an external interrupt without acknowledge the field is invalid and
 * the interrupt stays requested in the local APIC's IRR); 27.2.5 (instruction length for a
 * software exception). Without an exit the event goes through the guest IDT (vmx_gidt), which
 * records it and reports with VMCALL (RAX = 7A7H). The local APIC (SDM Vol. 3 chapter 10, xAPIC
 * at FEE00000H) sends the self-IPIs: ICR high = own APIC ID, ICR low = vector | delivery mode.
 */
#include "lib/pt64.h"
#include "lib/vmx_lib.h"

#define GSTEP(n, insn) "gs_" #n ":\n\t" insn "\n" "ge_" #n ":\n\tvmcall\n"
#define DECL(n) extern char gs_##n[], ge_##n[]
#define AT(n) gs_##n, ge_##n
__asm__(".text\n"
        GSTEP(ud, "ud2")
        GSTEP(ud_guest, "ud2")
        GSTEP(int3, "int3")
        GSTEP(gp, "mov %ax, %ds")
        GSTEP(pf_r1, "mov (%rbx), %rax")
        GSTEP(pf_r2, "mov (%rbx), %rax")
        GSTEP(pf_w2, "movq $1, (%rbx)")
        GSTEP(pf_w3, "movq $1, (%rbx)")
        GSTEP(pf_r3, "mov (%rbx), %rax")
        GSTEP(iw_now, "nop")
        GSTEP(nw_now, "nop")
        GSTEP(nw_blocked, "nop")
        "gs_sti:\n\tsti\n\tnop\nge_sti:\n\tvmcall\n"
        "gs_mtf:\n\tnop\nge_mtf:\n\tnop\n\tvmcall\n"
        /* write the ICR (RBX = APIC base, EAX = ICR low), then wait up to 10^5 iterations */
        "gs_ipi:\n\tmovl %eax, 0x300(%rbx)\n\tmov $100000, %ecx\n"
        "1:\tdec %ecx\n\tjnz 1b\nge_ipi:\n\tvmcall\n");
DECL(ud); DECL(ud_guest); DECL(int3); DECL(gp); DECL(pf_r1); DECL(pf_r2); DECL(pf_w2);
DECL(pf_w3); DECL(pf_r3); DECL(iw_now); DECL(nw_now); DECL(nw_blocked); DECL(sti); DECL(mtf);
DECL(ipi);

#define APIC 0xfee00000ull
#define NP_PAGE 0x600000ull                 /* a page made not present in the guest's tables */
static uint32_t pin_base, proc_base;
static uint32_t apic_id;

static volatile uint32_t *apic_reg(unsigned off) { return (volatile uint32_t *)phys_ptr(APIC + off); }
static int apic_bit(unsigned base, unsigned vec)
{
    return (*apic_reg(base + (vec / 32) * 0x10) >> (vec % 32)) & 1;
}

static void base(void)
{
    vmwrite(F_PIN, pin_base);
    vmwrite(F_PROC, proc_base);
    vmwrite(F_EXC_BITMAP, 0);
    vmwrite(F_PF_MASK, 0);
    vmwrite(F_PF_MATCH, 0);
    vmwrite(F_G_RFLAGS, 2);
    vmwrite(F_G_INTERRUPTIBILITY, 0);
    vmwrite(F_G_IDTR_LIMIT, sizeof vmx_gidt - 1);
    vmwrite(F_ENTRY_INTR_INFO, 0);
    vmwrite(F_EXIT_CTLS, vmx_ctl_adjust(F_EXIT_CTLS, EXIT_HOST_64));
    memset(&vmx_gregs, 0, sizeof vmx_gregs);
    memset(&vmx_gtrap, 0, sizeof vmx_gtrap);
}
static void exc_ud(void) { base(); vmwrite(F_EXC_BITMAP, 1u << 6); }
static void exc_bp(void) { base(); vmwrite(F_EXC_BITMAP, 1u << 3); }
static void exc_gp(void) { base(); vmwrite(F_EXC_BITMAP, 1u << 13); vmx_gregs.rax = 0x1234; }
static void check_ud(void)
{
    t_eq("#UD exit: interruption information 80000306H", vmread(F_EXIT_INTR_INFO), 0x80000306);
    t_eq("#UD exit: IDT-vectoring information not valid", vmread(F_IDT_VEC_INFO) >> 31, 0);
}
static void check_ud_guest(void)
{
    t_check(vmx_gregs.rax == VMX_GTRAP_MAGIC && vmx_gtrap.vector == 6 &&
            vmx_gtrap.rip == va_pa(gs_ud_guest),
            "#UD without its bitmap bit is delivered through the guest IDT",
            "RAX 0x%llx vector %llu RIP 0x%llx", (unsigned long long)vmx_gregs.rax,
            (unsigned long long)vmx_gtrap.vector, (unsigned long long)vmx_gtrap.rip);
}
static void check_bp(void)
{
    t_eq("INT3 exit: interruption information 80000603H (software exception)",
         vmread(F_EXIT_INTR_INFO), 0x80000603);
}
static void check_gp(void)
{
    t_eq("#GP exit: interruption information 80000B0DH (error code valid)",
         vmread(F_EXIT_INTR_INFO), 0x80000b0d);
    /* 1234H: TI = 1 (the LDT, which is null), RPL 0: error code = selector & FFFCH */
    t_eq("#GP exit: error code = selector 1234H & FFFCH", vmread(F_EXIT_INTR_ERROR), 0x1234);
}
static void pf(uint32_t bit14, uint32_t mask, uint32_t match)
{
    base();
    vmwrite(F_EXC_BITMAP, bit14 << 14);
    vmwrite(F_PF_MASK, mask);
    vmwrite(F_PF_MATCH, match);
    vmx_gregs.rbx = NP_PAGE + 0x88;
    write_cr2(0x1111);
}
static void pf_1_0_0(void) { pf(1, 0, 0); }
static void pf_1_2_2(void) { pf(1, 2, 2); }
static void pf_0_2_2(void) { pf(0, 2, 2); }
static void check_pf_exit_read(void)
{
    t_eq("#PF exit: interruption information 80000B0EH", vmread(F_EXIT_INTR_INFO), 0x80000b0e);
    t_eq("#PF exit: error code 0 (read, not present)", vmread(F_EXIT_INTR_ERROR), 0);
    t_eq("#PF exit: CR2 not written (27.1)", read_cr2(), 0x1111);
}
static void check_pf_exit_write(void)
{
    t_eq("#PF exit (write): error code 2", vmread(F_EXIT_INTR_ERROR), 2);
}
static void check_pf_guest(uint64_t err, const char *name)
{
    t_check(vmx_gregs.rax == VMX_GTRAP_MAGIC && vmx_gtrap.vector == 14 &&
            vmx_gtrap.error == err && read_cr2() == NP_PAGE + 0x88, name,
            "RAX 0x%llx vector %llu error %llu CR2 0x%lx", (unsigned long long)vmx_gregs.rax,
            (unsigned long long)vmx_gtrap.vector, (unsigned long long)vmx_gtrap.error,
            read_cr2());
}
static void check_pf_guest_r(void)
{
    check_pf_guest(0, "#PF not matching (bit 14 = 1): delivered to the guest, CR2 written");
}
static void check_pf_guest_w(void)
{
    check_pf_guest(2, "#PF matching (bit 14 = 0): delivered to the guest with error 2");
}
static void iw_now(void)
{
    base();
    vmwrite(F_PROC, proc_base | PROC_INTR_WINDOW);
    vmwrite(F_G_RFLAGS, 0x202);
}
static void nw_now(void)
{
    base();
    vmwrite(F_PIN, pin_base | PIN_NMI | PIN_VIRT_NMI);
    vmwrite(F_PROC, proc_base | PROC_NMI_WINDOW);
}
static void nw_blocked(void)
{
    nw_now();
    vmwrite(F_G_INTERRUPTIBILITY, 1u << 3);        /* blocking by NMI (virtual-NMI blocking) */
}

static const struct vmx_step steps[] = {
    { "#UD with exception-bitmap bit 6: exit 0", AT(ud), EXIT_EXCEPTION, VMX_ANY, 0, 0, 0,
      exc_ud, check_ud },
    { "#UD without bitmap bit: no exit (guest IDT)", gs_ud_guest, gs_ud_guest, EXIT_GUEST, 0, 0,
      0, 0, base, check_ud_guest },
    { "INT3 with bitmap bit 3: exit 0, instruction length 1", AT(int3), EXIT_EXCEPTION, VMX_ANY,
      1, 0, 0, exc_bp, check_bp },
    { "#GP (MOV DS, 1234H) with bitmap bit 13: exit 0", AT(gp), EXIT_EXCEPTION, VMX_ANY, 0, 0, 0,
      exc_gp, check_gp },
    { "#PF, bit 14 = 1, mask 0 = match 0: exit, qualification = linear address", AT(pf_r1),
      EXIT_EXCEPTION, NP_PAGE + 0x88, 0, 0, 0, pf_1_0_0, check_pf_exit_read },
    { "#PF read, bit 14 = 1, PFEC & 2 != match 2: no exit", gs_pf_r2, gs_pf_r2, EXIT_GUEST, 0, 0,
      0, 0, pf_1_2_2, check_pf_guest_r },
    { "#PF write, bit 14 = 1, PFEC & 2 == match 2: exit", AT(pf_w2), EXIT_EXCEPTION,
      NP_PAGE + 0x88, 0, 0, 0, pf_1_2_2, check_pf_exit_write },
    { "#PF write, bit 14 = 0, PFEC & 2 == match 2: no exit", gs_pf_w3, gs_pf_w3, EXIT_GUEST, 0,
      0, 0, 0, pf_0_2_2, check_pf_guest_w },
    { "#PF read, bit 14 = 0, PFEC & 2 != match 2: exit", AT(pf_r3), EXIT_EXCEPTION,
      NP_PAGE + 0x88, 0, 0, 0, pf_0_2_2, 0 },
    { "interrupt-window exiting with IF = 1: exit 7 before the first instruction", AT(iw_now),
      EXIT_INTR_WINDOW, 0, 0, F_PROC, PROC_INTR_WINDOW, iw_now, 0 },
    { "NMI-window exiting (virtual NMIs), no blocking: exit 8 before the first instruction",
      AT(nw_now), EXIT_NMI_WINDOW, 0, 0, F_PROC, PROC_NMI_WINDOW, nw_now, 0 },
    { "NMI-window exiting with virtual-NMI blocking: no exit", AT(nw_blocked), EXIT_NONE, 0, 0,
      F_PROC, PROC_NMI_WINDOW, nw_blocked, 0 },
};

/* The guest writes the ICR: a self-IPI with ICR low `icr`; returns the result of vmx_run. */
static uint64_t guest_ipi(uint32_t icr)
{
    *apic_reg(0x310) = apic_id << 24;
    vmx_gregs.rbx = APIC;
    vmx_gregs.rax = icr;
    vmwrite(F_G_RIP, va_pa(gs_ipi));
    return vmx_run();
}

int main(void)
{
    t_begin("vmx_events");
    pt_init();
    pt_map4k(NP_PAGE, NP_PAGE, 0);
    if (vmx_enable() != VMX_OK || vmcs_init_default((void (*)(void))gs_ud, VMX_GUEST_STACK_TOP))
        return t_check(0, "VMXON and the default VMCS", "failed"), t_finish();
    pin_base = vmx_ctl_adjust(F_PIN, 0);
    proc_base = vmx_ctl_adjust(F_PROC, 0);
    vmx_run_steps(steps, sizeof steps / sizeof steps[0]);

    /* interrupt window after STI: blocking by STI covers the next instruction (26.7.5) */
    base();
    vmwrite(F_PROC, proc_base | PROC_INTR_WINDOW);
    vmwrite(F_G_RIP, va_pa(gs_sti));
    uint64_t run = vmx_run();
    vmx_expect_exit("STI; NOP with interrupt-window exiting: exit 7", run, EXIT_INTR_WINDOW, 0);
    t_eq("... after the instruction that follows STI", vmread(F_G_RIP), va_pa(ge_sti));

    /* triple fault: #UD with an IDT limit of 0 (25.2) */
    base();
    vmwrite(F_G_IDTR_LIMIT, 0);
    vmwrite(F_G_RIP, va_pa(gs_ud));
    vmx_expect_exit("#UD with guest IDTR limit 0: triple fault, exit 2", vmx_run(),
                    EXIT_TRIPLE_FAULT, 0);

    /* monitor trap flag (25.5.2) */
    if (vmx_ctl_can(F_PROC, PROC_MTF)) {
        base();
        vmwrite(F_PROC, proc_base | PROC_MTF);
        vmwrite(F_G_RIP, va_pa(gs_mtf));
        vmx_expect_exit("monitor trap flag: exit 37", vmx_run(), EXIT_MTF, 0);
        t_eq("... after one instruction", vmread(F_G_RIP), va_pa(ge_mtf));
    }

    /* local APIC: software enable (SVR bit 8), own ID */
    *apic_reg(0xf0) = 0x1ff;
    apic_id = *apic_reg(0x20) >> 24;

    /* external interrupt, guest IF = 0, no acknowledge: exit 1, info invalid, IRR set */
    base();
    vmwrite(F_PIN, pin_base | PIN_EXT_INTR);
    run = guest_ipi(0x40);
    vmx_expect_exit("self-IPI 40H, external-interrupt exiting, guest IF = 0: exit 1", run,
                    EXIT_EXT_INTR, 0);
    t_eq("... without acknowledge: interruption information not valid",
         vmread(F_EXIT_INTR_INFO) >> 31, 0);
    t_eq("... the interrupt stays requested (IRR bit 40H)", (uint64_t)apic_bit(0x200, 0x40), 1);
    /* with acknowledge: the pending interrupt exits at once, acknowledged */
    vmwrite(F_EXIT_CTLS, vmx_ctl_adjust(F_EXIT_CTLS, EXIT_HOST_64 | EXIT_ACK_INTR));
    vmwrite(F_G_RIP, va_pa(ge_ipi));
    run = vmx_run();
    vmx_expect_exit("pending interrupt with acknowledge interrupt on exit: exit 1", run,
                    EXIT_EXT_INTR, 0);
    t_eq("... interruption information 80000040H", vmread(F_EXIT_INTR_INFO), 0x80000040);
    t_eq("... guest RIP: before the first instruction", vmread(F_G_RIP), va_pa(ge_ipi));
    t_eq("... acknowledged: ISR bit 40H set", (uint64_t)apic_bit(0x100, 0x40), 1);
    t_eq("... acknowledged: IRR bit 40H clear", (uint64_t)apic_bit(0x200, 0x40), 0);
    *apic_reg(0xb0) = 0;                    /* EOI */
    /* no external-interrupt exiting, IF = 1: through the guest IDT */
    base();
    vmwrite(F_G_RFLAGS, 0x202);
    run = guest_ipi(0x41);
    vmx_expect_exit("self-IPI 41H without exiting: delivered to the guest (VMCALL 7A7H)", run,
                    EXIT_VMCALL, VMX_ANY);
    t_check(vmx_gregs.rax == VMX_GTRAP_MAGIC && vmx_gtrap.vector == 0x41,
            "... guest IDT vector 41H", "RAX 0x%llx vector 0x%llx",
            (unsigned long long)vmx_gregs.rax, (unsigned long long)vmx_gtrap.vector);
    *apic_reg(0xb0) = 0;

    /* NMI: with NMI exiting an exit 0 with type 2; without, the guest's vector 2 */
    base();
    vmwrite(F_PIN, pin_base | PIN_NMI);
    run = guest_ipi(0x4400);                /* delivery mode NMI, level assert */
    vmx_expect_exit("self NMI with NMI exiting: exit 0", run, EXIT_EXCEPTION, VMX_ANY);
    t_eq("... interruption information 80000202H", vmread(F_EXIT_INTR_INFO), 0x80000202);
    base();
    run = guest_ipi(0x4400);
    vmx_expect_exit("self NMI without NMI exiting: delivered to the guest", run, EXIT_VMCALL,
                    VMX_ANY);
    t_check(vmx_gregs.rax == VMX_GTRAP_MAGIC && vmx_gtrap.vector == 2, "... guest IDT vector 2",
            "RAX 0x%llx vector %llu", (unsigned long long)vmx_gregs.rax,
            (unsigned long long)vmx_gtrap.vector);
    t_eq("... the exit saves blocking by NMI (interruptibility bit 3)",
         (vmread(F_G_INTERRUPTIBILITY) >> 3) & 1, 1);

    /* INIT in VMX non-root operation: exit 3 (25.2) — last: a wrongly taken INIT resets */
    base();
    run = guest_ipi(0x4500);                /* delivery mode INIT, level assert */
    vmx_expect_exit("self INIT in VMX non-root operation: exit 3", run, EXIT_INIT, 0);
    return t_finish();
}
