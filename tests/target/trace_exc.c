/* trace_exc.c — events the `exception` and `preempt_timer` trace records describe
 * (docs/TRACE-FORMAT.md "Events"), raised once each at labelled instructions, so that
 * tests/build/check-exception-trace.sh can compare a trace of this kernel with the addresses the
 * symbol table gives (the kernel also checks under trap_catch() what its handlers saw).
 *
 * Root operation, CPL 0, 64-bit mode (each under trap_catch, which catches every vector):
 *   te_int3_insn   INT3: #BP, a software exception (type 6), saved RIP after it (SDM Vol. 3 6.5)
 *   te_intn_insn   INT 0x31: a software interrupt (type 4)
 *   te_step_insn   the NOP after POPF set TF: a single-step #DB trap after it (17.3.1.4),
 *                  a hardware exception (type 3), saved RIP te_step_after
 *   te_icebp_insn  INT1 (F1): #DB, a privileged software exception (type 5)
 *   te_np_insn     INT 0x81 through a not-present gate: the software interrupt (type 4), then
 *                  #NP with error code 0x81 * 8 + 2 (IDT bit; 6.13) at the same instruction
 *   te_into_insn   INTO in 64-bit mode: #UD, a fault (type 3)
 * VMX non-root operation (the framework's VMCS):
 *   g_te_int3      INT3 with exception-bitmap bit 3: VM exit reason 0 with interruption
 *                  information 0x80000603 (valid, type 6, vector 3; SDM 25.2, 27.2.2)
 *   g_te_spin      a loop under the VMX-preemption timer (value 200): VM exit reason 52 (25.5.1)
 * The interruption types are those of SDM Vol. 3 24.8.3.
 */
#include "lib/trap64.h"
#include "lib/vmx_lib.h"

extern char te_int3_insn[], te_intn_insn[], te_step_insn[], te_step_after[], te_icebp_insn[],
    te_np_insn[], te_into_insn[], g_te_int3[], g_te_spin[];
void te_int3(void *), te_intn(void *), te_step(void *), te_icebp(void *), te_np(void *),
    te_into(void *);
__asm__(".text\n"
        "te_int3:\nte_int3_insn:\n\tint3\n\tret\n"
        "te_intn:\nte_intn_insn:\n\tint $0x31\n\tret\n"
        "te_step:\n\tpushfq\n\torq $0x100, (%rsp)\n\tpopfq\n"
        "te_step_insn:\n\tnop\nte_step_after:\n\tpushfq\n\tandq $~0x100, (%rsp)\n\tpopfq\n\tret\n"
        "te_icebp:\nte_icebp_insn:\n\t.byte 0xf1\n\tret\n"
        "te_np:\nte_np_insn:\n\tint $0x81\n\tret\n"
        "te_into:\nte_into_insn:\n\t.byte 0xce\n\tret\n"
        "g_te_int3:\n\tint3\n\tvmcall\n"
        "g_te_spin:\n\tjmp g_te_spin\n");

static void expect(const char *name, void (*fn)(void *), int vec, uint64_t err, const void *rip)
{
    int got = trap_catch(fn, 0);
    t_check(got == vec && last_trap.error == err &&
            last_trap.rip == (uint64_t)(uintptr_t)rip, name,
            "got vector %d error 0x%llx RIP 0x%llx, want %d 0x%llx %p", got,
            (unsigned long long)last_trap.error, (unsigned long long)last_trap.rip, vec,
            (unsigned long long)err, rip);
}

int main(void)
{
    t_begin("trace_exc");
    expect("INT3: #BP, saved RIP after INT3", te_int3, 3, TRAP_NO_ERROR, te_int3_insn + 1);
    expect("INT 0x31: vector 0x31, saved RIP after INT", te_intn, 0x31, TRAP_NO_ERROR,
           te_intn_insn + 2);
    expect("single-step: #DB after the NOP", te_step, 1, TRAP_NO_ERROR, te_step_after);
    expect("INT1: #DB, saved RIP after INT1", te_icebp, 1, TRAP_NO_ERROR, te_icebp_insn + 1);
    idt_set_present(0x81, 0);
    expect("INT 0x81, gate not present: #NP(0x40a)", te_np, 11, 0x81 * 8 + 2, te_np_insn);
    idt_set_present(0x81, 1);
    expect("INTO in 64-bit mode: #UD", te_into, 6, TRAP_NO_ERROR, te_into_insn);

    if (vmx_enable() != VMX_OK || vmcs_init_default((void (*)(void))g_te_int3,
                                                    VMX_GUEST_STACK_TOP))
        return t_check(0, "VMXON and the default VMCS", "failed"), t_finish();
    vmwrite(F_EXC_BITMAP, 1u << 3);
    vmx_expect_exit("guest INT3 with exception-bitmap bit 3: exit 0", vmx_run(), EXIT_EXCEPTION,
                    VMX_ANY);
    t_eq("... interruption information: valid, software exception, vector 3",
         vmread(F_EXIT_INTR_INFO), 0x80000603);
    t_eq("... guest RIP at the INT3", vmread(F_G_RIP), va_pa(g_te_int3));
    if (vmx_ctl_can(F_PIN, PIN_PREEMPT)) {
        vmwrite(F_PIN, vmx_ctl_adjust(F_PIN, PIN_PREEMPT));
        vmwrite(F_PREEMPT_TIMER, 200);
        vmwrite(F_G_RIP, va_pa(g_te_spin));
        vmx_expect_exit("VMX-preemption timer 200: exit 52", vmx_run(), EXIT_PREEMPT, 0);
    } else {
        t_check(0, "the VMX-preemption timer is offered", "pin-based control 6 cannot be 1");
    }
    return t_finish();
}
