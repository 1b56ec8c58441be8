/* vmx_exits_insn.c — VM exits caused by instructions (SDM Vol. 3 25.1.2 unconditional, 25.1.3
 * conditional on a VM-execution control): PAUSE-loop exiting, CPUID, INVD, XSETBV, the VMX instructions (reasons
 * 18-27, 50, 53), HLT, INVLPG, RDPMC, RDTSC, RDTSCP, RDMSR/WRMSR without MSR bitmaps, MONITOR,
 * MWAIT, PAUSE, WBINVD, INVPCID, SGDT/SLDT (descriptor-table exiting), VMFUNC; and the same
 * instructions not exiting when their control is 0 (RDTSC with TSC offsetting: 25.3).
 *
 * Expected values: exit reasons from Appendix C; VM-exit instruction length = the length of the
 * instruction as assembled (27.2.5); guest RIP = the instruction (27.3.3); exit qualification
 * (27.2.1, Table 27-1 and 27.2.1's list): INVLPG the linear address of the operand; the VMX
 * instructions, INVEPT, INVVPID, INVPCID, SGDT the displacement of the memory operand
 * (sign-extended), 0 for register operands; MWAIT bit 0 = monitor armed (0: the MONITOR before
 * it exited and did not execute); 0 for the others. Guest registers are unchanged by an exiting
 * instruction (it does not execute).
 */
#include "lib/vmx_lib.h"

#define GSTEP(n, insn) "gs_" #n ":\n\t" insn "\n" "ge_" #n ":\n\tvmcall\n"
#define DECL(n) extern char gs_##n[], ge_##n[]
#define AT(n) gs_##n, ge_##n
__asm__(".text\n"
        GSTEP(cpuid, "cpuid")
        GSTEP(hlt, "hlt")
        GSTEP(invlpg, "invlpg 0x123(%rax)")
        GSTEP(invlpg_none, "invlpg 0x123(%rax)")
        GSTEP(rdpmc, "rdpmc")
        GSTEP(rdtsc, "rdtsc")
        GSTEP(rdtsc_none, "rdtsc")
        GSTEP(rdtscp, "rdtscp")
        GSTEP(wbinvd, "wbinvd")
        GSTEP(invd, "invd")
        GSTEP(xsetbv, "xsetbv")
        GSTEP(invpcid, "invpcid 8(%rax), %rcx")
        GSTEP(monitor, "monitor")
        GSTEP(mwait, "mwait")
        GSTEP(pause, "pause")
        GSTEP(rdmsr, "rdmsr")
        GSTEP(wrmsr, "wrmsr")
        GSTEP(vmcall, "nop")
        GSTEP(vmclear, "vmclear 0x10(%rax)")
        GSTEP(vmlaunch, "vmlaunch")
        GSTEP(vmptrld, "vmptrld -8(%rax)")
        GSTEP(vmptrst, "vmptrst 0x20(%rax)")
        GSTEP(vmread, "vmread %rbx, %rcx")
        GSTEP(vmresume, "vmresume")
        GSTEP(vmwrite, "vmwrite %rcx, %rbx")
        GSTEP(vmxoff, "vmxoff")
        GSTEP(vmxon, "vmxon 0x30(%rax)")
        GSTEP(invept, "invept 0x40(%rax), %rcx")
        GSTEP(invvpid, "invvpid 0x50(%rax), %rcx")
        GSTEP(sgdt, "sgdt 0x60(%rax)")
        GSTEP(sldt, "sldt %dx")
        GSTEP(vmfunc, "vmfunc")
        /* PAUSE-loop exiting: a tight PAUSE loop (bounded to 100000 iterations), and one whose
         * PAUSEs are further apart than the gap (each is then the first of a new loop), bounded
         * to 200 iterations */
        "gs_ple:\n\tmov $100000, %ecx\n3:\tpause\n\tdec %ecx\n\tjnz 3b\n\tvmcall\n"
        "gs_ple_sparse:\n\tmov $200, %ecx\n"
        "1:\tpause\n\tmov $400, %edx\n2:\tdec %edx\n\tjnz 2b\n\tdec %ecx\n\tjnz 1b\n"
        "ge_ple_sparse:\n\tvmcall\n");
extern char gs_ple[], gs_ple_sparse[], ge_ple_sparse[];
DECL(cpuid); DECL(hlt); DECL(invlpg); DECL(invlpg_none); DECL(rdpmc); DECL(rdtsc);
DECL(rdtsc_none); DECL(rdtscp); DECL(wbinvd); DECL(invd); DECL(xsetbv); DECL(invpcid);
DECL(monitor); DECL(mwait); DECL(pause); DECL(rdmsr); DECL(wrmsr); DECL(vmcall); DECL(vmclear);
DECL(vmlaunch); DECL(vmptrld); DECL(vmptrst); DECL(vmread); DECL(vmresume); DECL(vmwrite);
DECL(vmxoff); DECL(vmxon); DECL(invept); DECL(invvpid); DECL(sgdt); DECL(sldt); DECL(vmfunc);

#define GUEST_ADDR 0x200000ull          /* RAX: base of every memory operand (never accessed) */
static uint32_t proc_all, proc2_all;
static uint64_t tsc_before, tsc_after;

/* every exiting control this kernel uses, where available */
static void setup_all(void)
{
    vmwrite(F_PROC, proc_all);
    if (vmx_ctl_can(F_PROC, PROC_SECONDARY))
        vmwrite(F_PROC2, proc2_all);
    memset(&vmx_gregs, 0, sizeof vmx_gregs);
    vmx_gregs.rax = GUEST_ADDR;
    vmx_gregs.rbx = 0x5a5a;
    vmx_gregs.rcx = 0;
}
static void setup_msr(void)
{
    setup_all();
    vmx_gregs.rcx = 0x174;              /* IA32_SYSENTER_CS */
}
static void setup_xsetbv(void)
{
    setup_all();
    vmx_gregs.rax = 3;                  /* XCR0 = x87 | SSE */
}
static void setup_no_invlpg(void)
{
    setup_all();
    vmwrite(F_PROC, proc_all & ~PROC_INVLPG);
}
static void setup_rdtsc_offset(void)
{
    setup_all();
    vmwrite(F_PROC, (proc_all & ~PROC_RDTSC) | PROC_TSC_OFFSET);
    vmwrite(F_TSC_OFFSET, 1ull << 40);
    tsc_before = rdtsc64();
}
static void check_rdtsc_offset(void)
{
    tsc_after = rdtsc64();
    uint64_t g = (vmx_gregs.rdx << 32) | (vmx_gregs.rax & 0xffffffffu);
    t_check(g >= tsc_before + (1ull << 40) && g <= tsc_after + (1ull << 40),
            "RDTSC in the guest returns TSC + TSC offset (25.3)",
            "guest 0x%llx, host before 0x%llx after 0x%llx, offset 2^40",
            (unsigned long long)g, (unsigned long long)tsc_before,
            (unsigned long long)tsc_after);
    vmwrite(F_TSC_OFFSET, 0);
}
static void check_cpuid_regs(void)
{
    t_check(vmx_gregs.rbx == 0x5a5a && vmx_gregs.rax == GUEST_ADDR,
            "CPUID exit: the guest's RAX/RBX unchanged (not executed)", "RAX 0x%llx RBX 0x%llx",
            (unsigned long long)vmx_gregs.rax, (unsigned long long)vmx_gregs.rbx);
}
static void setup_vmfunc(void)
{
    setup_all();
    vmwrite(F_VMFUNC_CTRL, 0);          /* no function enabled: VMFUNC 0 exits (25.5.6) */
    vmx_gregs.rax = 0;
}

static const struct vmx_step steps[] = {
    { "CPUID exits (reason 10), length 2", AT(cpuid), EXIT_CPUID, 0, 1, 0, 0, setup_all,
      check_cpuid_regs },
    { "INVLPG exiting: exit 14, qualification = linear address", AT(invlpg), EXIT_INVLPG,
      GUEST_ADDR + 0x123, 1, F_PROC, PROC_INVLPG, setup_all, 0 },
    { "INVLPG without INVLPG exiting: no exit", AT(invlpg_none), EXIT_NONE, 0, 0, 0, 0,
      setup_no_invlpg, 0 },
    { "RDTSC exiting: exit 16", AT(rdtsc), EXIT_RDTSC, 0, 1, F_PROC, PROC_RDTSC, setup_all, 0 },
    { "RDTSC without exiting, with TSC offsetting: no exit", AT(rdtsc_none), EXIT_NONE, 0, 0,
      F_PROC, PROC_TSC_OFFSET, setup_rdtsc_offset, check_rdtsc_offset },
    { "RDTSCP with enable RDTSCP and RDTSC exiting: exit 51", AT(rdtscp), EXIT_RDTSCP, 0, 1,
      F_PROC2, PROC2_RDTSCP, setup_all, 0 },
    { "WBINVD exiting: exit 54", AT(wbinvd), EXIT_WBINVD, 0, 1, F_PROC2, PROC2_WBINVD,
      setup_all, 0 },
    { "INVD exits unconditionally (13)", AT(invd), EXIT_INVD, 0, 1, 0, 0, setup_all, 0 },
    { "XSETBV exits unconditionally (55)", AT(xsetbv), EXIT_XSETBV, 0, 1, 0, 0, setup_xsetbv,
      0 },
    { "INVPCID with enable INVPCID and INVLPG exiting: exit 58, qualification = displacement",
      AT(invpcid), EXIT_INVPCID, 8, 1, F_PROC2, PROC2_INVPCID, setup_all, 0 },
    { "MONITOR exiting: exit 39", AT(monitor), EXIT_MONITOR, 0, 1, F_PROC, PROC_MONITOR,
      setup_all, 0 },
    { "MWAIT exiting: exit 36, monitor not armed (qualification 0)", AT(mwait), EXIT_MWAIT, 0, 1,
      F_PROC, PROC_MWAIT, setup_all, 0 },
    { "PAUSE exiting: exit 40", AT(pause), EXIT_PAUSE, 0, 1, F_PROC, PROC_PAUSE, setup_all, 0 },
    { "RDMSR without MSR bitmaps exits (31)", AT(rdmsr), EXIT_RDMSR, 0, 1, 0, 0, setup_msr, 0 },
    { "WRMSR without MSR bitmaps exits (32)", AT(wrmsr), EXIT_WRMSR, 0, 1, 0, 0, setup_msr, 0 },
    { "VMCALL exits (18)", ge_vmcall, ge_vmcall + 3, EXIT_VMCALL, 0, 1, 0, 0, setup_all, 0 },
    { "VMCLEAR in the guest: exit 19, qualification = displacement", AT(vmclear), EXIT_VMCLEAR,
      0x10, 1, 0, 0, setup_all, 0 },
    { "VMLAUNCH in the guest: exit 20", AT(vmlaunch), EXIT_VMLAUNCH, 0, 1, 0, 0, setup_all, 0 },
    { "VMPTRLD in the guest: exit 21, negative displacement sign-extended", AT(vmptrld),
      EXIT_VMPTRLD, ~7ull, 1, 0, 0, setup_all, 0 },
    { "VMPTRST in the guest: exit 22", AT(vmptrst), EXIT_VMPTRST, 0x20, 1, 0, 0, setup_all, 0 },
    { "VMREAD in the guest: exit 23, register operand: qualification 0", AT(vmread),
      EXIT_VMREAD, 0, 1, 0, 0, setup_all, 0 },
    { "VMRESUME in the guest: exit 24", AT(vmresume), EXIT_VMRESUME, 0, 1, 0, 0, setup_all, 0 },
    { "VMWRITE in the guest: exit 25", AT(vmwrite), EXIT_VMWRITE, 0, 1, 0, 0, setup_all, 0 },
    { "VMXOFF in the guest: exit 26", AT(vmxoff), EXIT_VMXOFF, 0, 1, 0, 0, setup_all, 0 },
    { "VMXON in the guest: exit 27", AT(vmxon), EXIT_VMXON, 0x30, 1, 0, 0, setup_all, 0 },
    { "descriptor-table exiting: SGDT exits (46)", AT(sgdt), EXIT_GDTR_IDTR, 0x60, 1, F_PROC2,
      PROC2_DESC_TABLE, setup_all, 0 },
    { "descriptor-table exiting: SLDT exits (47)", AT(sldt), EXIT_LDTR_TR, 0, 1, F_PROC2,
      PROC2_DESC_TABLE, setup_all, 0 },
    { "VMFUNC of a function not enabled: exit 59", AT(vmfunc), EXIT_VMFUNC, 0, 1, F_PROC2,
      PROC2_VMFUNC, setup_vmfunc, 0 },
    { "INVEPT in the guest: exit 50", AT(invept), EXIT_INVEPT, 0x40, 1, F_PROC2, PROC2_EPT,
      setup_all, 0 },
    { "INVVPID in the guest: exit 53", AT(invvpid), EXIT_INVVPID, 0x50, 1, F_PROC2, PROC2_VPID,
      setup_all, 0 },
    /* near the end: hvsim has no RDPMC outside VMX (an unsupported stop if it does not exit) */
    { "RDPMC exiting: exit 15", AT(rdpmc), EXIT_RDPMC, 0, 1, F_PROC, PROC_RDPMC, setup_all, 0 },
    /* last: without a working HLT exit the processor halts for good */
    { "HLT exiting: HLT exits (12)", AT(hlt), EXIT_HLT, 0, 1, F_PROC, PROC_HLT, setup_all, 0 },
};

int main(void)
{
    t_begin("vmx_exits_insn");
    if (vmx_enable() != VMX_OK || vmcs_init_default((void (*)(void))gs_cpuid,
                                                    VMX_GUEST_STACK_TOP))
        return t_check(0, "VMXON and the default VMCS", "failed"), t_finish();
    uint32_t want = PROC_HLT | PROC_INVLPG | PROC_RDPMC | PROC_RDTSC | PROC_MONITOR | PROC_MWAIT |
                    PROC_PAUSE | PROC_SECONDARY;
    proc_all = vmx_ctl_adjust(F_PROC, want);
    proc2_all = vmx_ctl_adjust(F_PROC2, PROC2_RDTSCP | PROC2_WBINVD | PROC2_INVPCID |
                                        PROC2_DESC_TABLE | PROC2_VMFUNC);
    /* XSETBV needs CR4.OSXSAVE in the guest (else #UD, which has priority: 25.1.1) */
    uint32_t r[4];
    cpuid(1, 0, r);
    if ((r[2] >> 26) & 1)
        vmwrite(F_G_CR4, vmread(F_G_CR4) | (1ul << 18));
    int has_monitor = (r[2] >> 3) & 1;
    if (!has_monitor)
        tprintf("# CPUID.1:ECX.MONITOR = 0: MONITOR/MWAIT would be #UD, steps skipped\n");
    /* PAUSE-loop exiting (25.1.3): gap 128, window 4096 TSC cycles, PAUSE exiting off */
    if (vmx_ctl_can(F_PROC2, PROC2_PLE)) {
        setup_all();
        vmwrite(F_PROC, proc_all & ~PROC_PAUSE);
        vmwrite(F_PROC2, proc2_all | PROC2_PLE);
        vmwrite(F_PLE_GAP, 128);
        vmwrite(F_PLE_WINDOW, 4096);
        vmwrite(F_G_RIP, va_pa(gs_ple));
        uint64_t t0 = rdtsc64();
        uint64_t run = vmx_run();
        uint64_t el = rdtsc64() - t0;
        vmx_expect_exit("PAUSE-loop exiting: a tight PAUSE loop exits (40)", run, EXIT_PAUSE, 0);
        t_eq("... at the PAUSE", vmread(F_G_RIP), va_pa(gs_ple) + 5);
        t_check(el >= 4096, "... not before the window (4096 TSC cycles) has passed",
                "%llu TSC cycles around the entry", (unsigned long long)el);
        setup_all();
        vmwrite(F_PROC, proc_all & ~PROC_PAUSE);
        vmwrite(F_PROC2, proc2_all | PROC2_PLE);
        vmwrite(F_G_RIP, va_pa(gs_ple_sparse));
        run = vmx_run();
        vmx_expect_exit("PAUSE-loop exiting: PAUSEs further apart than the gap never exit", run,
                        EXIT_VMCALL, VMX_ANY);
        t_eq("... the loop ran to its end", vmread(F_G_RIP), va_pa(ge_ple_sparse));
        vmwrite(F_PROC2, proc2_all);
    }
    for (unsigned k = 0; k < sizeof steps / sizeof steps[0]; k++) {
        const struct vmx_step *s = &steps[k];
        if (!has_monitor && (s->reason == EXIT_MONITOR || s->reason == EXIT_MWAIT))
            continue;
        if (s->reason == EXIT_XSETBV && !((r[2] >> 26) & 1))
            continue;
        vmx_run_steps(s, 1);
    }
    return t_finish();
}
