/* vmx_basic.c — the first VMX test kernel: VMXON, a VMCS, a guest function of the same image run
 * with VMLAUNCH, a VMCALL exit, VMRESUME after advancing RIP, VMXOFF.
 *
 * Expected values (SDM Vol. 3): VMXON/VMCLEAR/VMPTRLD/VMPTRST succeed (30.3); VMCALL in VMX
 * non-root operation causes an exit with basic reason 18 (25.1.2, Appendix C), qualification 0
 * (27.2.1: not defined for VMCALL; hvsim writes 0, and the SDM gives it no meaning, so the check
 * is only that bit 31 and reason bits are right), VM-exit instruction length 3 (0F 01 C1), the
 * guest RIP of the VMCALL itself (27.3.3: RIP of the instruction that caused the exit), guest
 * RSP and RFLAGS as the guest left them; the host resumes at HOST_RIP with RFLAGS = 2 (27.5.3),
 * HOST_CR3/GDTR/IDTR loaded (27.5.1-27.5.2); VMLAUNCH of a launched VMCS fails with error 4 and
 * VMRESUME of a clear one with error 5 (30.4); after VMXOFF, VMREAD is #UD (30.3).
 */
#include "lib/annot.h"
#include "lib/trap64.h"
#include "lib/vmx_lib.h"

extern char g_basic[], g_basic_call1[], g_basic_call2[], g_basic_end[];
__asm__(".text\n"
        "g_basic:\n"
        "  mov $0x1234, %ebx\n"
        "  mov $0xabcdef0123, %r15\n"
        "  stc\n"
        "g_basic_call1:\n"
        "  vmcall\n"                         /* exit 1: RBX, R15, CF */
        "  add $1, %rbx\n"
        "  push $0x77\n"
        "g_basic_call2:\n"
        "  vmcall\n"                         /* exit 2: RBX + 1, RSP - 8 */
        "  pop %rax\n"
        "  ret\n"                            /* -> vmx_guest_return: VMCALL with RAX = 0x600d */
        "g_basic_end:\n");

static void vmxoff_then_vmread(void *arg)
{
    (void)arg;
    uint64_t v;
    vmread_r(F_EXIT_REASON, &v);
}

int main(void)
{
    t_begin("vmx_basic");
    uint64_t basic = rdmsr(MSR_VMX_BASIC);
    t_check((basic & 0x7fffffffu) != 0, "IA32_VMX_BASIC revision identifier", "0x%llx",
            (unsigned long long)basic);
    t_check(((basic >> 32) & 0x1fff) > 0 && ((basic >> 32) & 0x1fff) <= 4096,
            "IA32_VMX_BASIC region size in (0, 4096]", "0x%llx", (unsigned long long)basic);
    int r = vmx_enable();
    if (!t_eq("VMXON succeeds", (uint64_t)r, VMX_OK))
        return t_finish();
    t_check(read_cr4() & X86_CR4_VMXE, "CR4.VMXE set", "CR4 0x%lx", read_cr4());
    if (vmcs_init_default((void (*)(void))g_basic, VMX_GUEST_STACK_TOP))
        return t_finish();
    /* for the trace: this VMCS is partition 1, VP 0 (a no-op for the machine; checked by
     * tests/build/check-babeltrace.sh) */
    hvsim_annotate(HVSIM_ANNOT_VMCS_IDENTITY, va_pa(vmx_vmcs), 1, 0, 0);
    uint64_t ptr = 0;
    t_eq("VMPTRST succeeds", (uint64_t)vmptrst_r(&ptr), VMX_OK);
    t_eq("VMPTRST stores the current-VMCS pointer", ptr, va_pa(vmx_vmcs));
    uint64_t sp0 = vmread(F_G_RSP);

    /* VMRESUME of a clear VMCS: error 5 */
    vmx_launched = 1;
    uint64_t run = vmx_run();
    vmx_launched = 0;
    t_eq("VMRESUME of a clear VMCS fails (VMfailValid)", run, VMX_RUN_FAIL_VALID);
    t_eq("VMRESUME of a clear VMCS: error 5", vmread(F_INSN_ERROR), 5);

    run = vmx_run();
    vmx_expect_exit("VMCALL in the guest exits with reason 18", run, EXIT_VMCALL, VMX_ANY);
    t_eq("exit reason field: basic reason 18, bits 31:16 clear", vmread(F_EXIT_REASON), 18);
    t_eq("VM-exit instruction length of VMCALL = 3", vmread(F_EXIT_INSN_LEN), 3);
    t_eq("guest RIP = the VMCALL", vmread(F_G_RIP), va_pa(g_basic_call1));
    t_eq("guest RSP saved", vmread(F_G_RSP), sp0);
    t_eq("guest RFLAGS saved (CF set by the guest, bit 1)", vmread(F_G_RFLAGS), 0x3);
    t_eq("guest RBX saved by the host entry", vmx_gregs.rbx, 0x1234);
    t_eq("guest R15 saved by the host entry", vmx_gregs.r15, 0xabcdef0123ull);
    t_eq("host RFLAGS after the exit = 2 (27.5.3)", vmx_exit_rflags, 2);
    t_eq("IDT-vectoring information: not valid", vmread(F_IDT_VEC_INFO) & INTR_VALID, 0);
    t_eq("host CR3 loaded", read_cr3(), vmread(F_H_CR3));
    t_eq("guest CR3 saved", vmread(F_G_CR3), read_cr3());

    /* VMLAUNCH of a launched VMCS: error 4 */
    vmx_launched = 0;
    run = vmx_run();
    vmx_launched = 1;
    t_eq("VMLAUNCH of a launched VMCS fails (VMfailValid)", run, VMX_RUN_FAIL_VALID);
    t_eq("VMLAUNCH of a launched VMCS: error 4", vmread(F_INSN_ERROR), 4);

    vmx_skip_insn();
    run = vmx_run();
    vmx_expect_exit("VMRESUME: the guest continues to its second VMCALL", run, EXIT_VMCALL,
                    VMX_ANY);
    t_eq("second exit: guest RIP", vmread(F_G_RIP), va_pa(g_basic_call2));
    t_eq("second exit: RBX incremented by the guest", vmx_gregs.rbx, 0x1235);
    t_eq("second exit: guest RSP after PUSH", vmread(F_G_RSP), sp0 - 8);

    vmx_skip_insn();
    run = vmx_run();
    vmx_expect_exit("guest function returns to the VMCALL stub", run, EXIT_VMCALL, VMX_ANY);
    t_eq("guest RAX = 0x600d at the stub (POP then RET)", vmx_gregs.rax, VMX_GUEST_DONE);

    /* a second VMCS: VMPTRLD switches, the first keeps its state */
    uint64_t rip1 = vmread(F_G_RIP);
    static uint8_t vmcs2[4096] __attribute__((aligned(4096)));
    vmcs_init_at(vmcs2, (void (*)(void))g_basic, VMX_GUEST_STACK_TOP);
    run = vmx_run();
    vmx_expect_exit("second VMCS: VMLAUNCH of its own guest", run, EXIT_VMCALL, VMX_ANY);
    t_eq("second VMCS: guest RIP", vmread(F_G_RIP), va_pa(g_basic_call1));
    t_eq("VMPTRLD of the first VMCS again", (uint64_t)vmptrld_r(va_pa(vmx_vmcs)), VMX_OK);
    t_eq("the first VMCS kept its guest RIP", vmread(F_G_RIP), rip1);

    t_eq("VMXOFF succeeds", (uint64_t)vmxoff_r(), VMX_OK);
    t_eq("VMREAD after VMXOFF: #UD", (uint64_t)trap_catch(vmxoff_then_vmread, 0), 6);
    (void)g_basic_end;
    return t_finish();
}
