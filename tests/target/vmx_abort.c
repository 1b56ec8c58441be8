/* vmx_abort.c — a VMX abort (SDM Vol. 3 27.7 in the edition with VM exits in chapter 27): a
 * failure while loading a host MSR from the VM-exit MSR-load list. The processor writes a
 * non-zero abort indicator (4: "there was a failure on loading host MSRs") into bytes 4-7 of the
 * VMCS region and enters the shutdown state; hvsim ends the run with a triple-fault stop, exit
 * status 4, which vmx_abort.cfg declares (`# expect-exit-status: 4`; hvsim.sh part_kernels).
 *
 * Since nothing runs after the abort, the kernel first checks what it can (a VM exit with a
 * valid VM-exit MSR-load list completes, the abort indicator is still 0), prints its PASS lines,
 * then provokes the abort with the list entry changed to IA32_FS_BASE (C0000100H), which 27.6
 * forbids in the VM-exit MSR-load list. If vmx_run() returns, the abort did not happen: FAIL and
 * exit status 3 instead of 4. The abort indicator itself cannot be read back from inside the
 * machine (the only processor is shut down); the hvsim stop message reports it.
 *
 * Expected values (SDM Vol. 3): 24.2 (bytes 4-7 of the VMCS region: the VMX-abort indicator);
 * 27.6 (VM-exit MSR-load list: an entry for IA32_FS_BASE or IA32_GS_BASE, or reserved bits set,
 * or a WRMSR that would fault, fails and causes a VMX abort); 27.7 (VMX abort: indicator 4 for a
 * failure loading host MSRs; the processor enters the shutdown state).
 */
#include "lib/vmx_lib.h"

#define MSR_LSTAR   0xc0000082u
#define MSR_FS_BASE 0xc0000100u

extern char g_abort_call[];
__asm__(".text\ng_abort_call:\n\tvmcall\n\tjmp g_abort_call\n");

struct msr_entry { uint32_t index, reserved; uint64_t value; };
static struct msr_entry load_list[1] __attribute__((aligned(16)));

int main(void)
{
    t_begin("vmx_abort");
    if (vmx_enable() != VMX_OK ||
        vmcs_init_default((void (*)(void))g_abort_call, VMX_GUEST_STACK_TOP))
        return t_check(0, "VMXON and the default VMCS", "failed"), t_finish();
    const uint32_t *indicator = (const uint32_t *)(vmx_vmcs + 4);

    load_list[0].index = MSR_LSTAR;
    load_list[0].reserved = 0;
    load_list[0].value = 0xffffffff83000000ull;
    vmwrite(F_EXIT_MSR_LOAD_ADDR, va_pa(load_list));
    vmwrite(F_EXIT_MSR_LOAD_COUNT, 1);
    vmx_expect_exit("VM exit with a valid VM-exit MSR-load list completes (VMCALL)", vmx_run(),
                    EXIT_VMCALL, VMX_ANY);
    t_eq("... the host reads the loaded IA32_LSTAR", rdmsr(MSR_LSTAR), 0xffffffff83000000ull);
    /* VMCLEAR writes the VMCS data to the region; the indicator must still be 0 */
    vmclear_r(va_pa(vmx_vmcs));
    t_eq("... VMX-abort indicator in the VMCS region still 0", *(volatile const uint32_t *)indicator,
         0);
    vmptrld_r(va_pa(vmx_vmcs));
    vmx_launched = 0;
    wrmsr(MSR_LSTAR, 0);

    if (t_finish() != 0)
        return 1;
    tprintf("# provoking the VMX abort: VM-exit MSR-load list entry IA32_FS_BASE; the run must "
            "end with exit status 4 (shutdown)\n");
    load_list[0].index = MSR_FS_BASE;
    load_list[0].value = 0;
    uint64_t run = vmx_run();
    t_check(0, "VM-exit MSR-load list entry IA32_FS_BASE: VMX abort (27.6, 27.7)",
            "vmx_run returned 0x%llx (exit reason %s), the processor did not shut down",
            (unsigned long long)run, vmx_exit_name((uint32_t)run));
    return 1;
}
