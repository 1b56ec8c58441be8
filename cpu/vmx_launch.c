/* vmx_launch.c — VMLAUNCH, VMRESUME and VMCALL (SDM Vol. 3 30.3), and the order of the steps of a
 * VM entry (chapter 27): the instruction checks, the checks on controls and host state
 * (VMfailValid 7 or 8, 27.2), the guest-state checks (27.3.1) and loading (27.3.2), the MSR-load
 * list (27.4), then event injection and the rest (27.5-27.7, vmx_entry.c). A failure after the
 * VMfail stage is a VM-entry failure (27.8): exit reason 33 or 34 with bit 31, host state loaded.
 *
 * Invariants:
 *  - Nothing is changed before the VMfail checks pass; a VMfail leaves the processor in root
 *    operation with only RFLAGS and the VM-instruction error field written (30.2).
 *  - The instruction always ends its block after an entry attempt that got past the VMfail stage
 *    (the context changed: guest, or host after a failure).
 */
#include "cpu/model.h"
#include "cpu/ops.h"
#include "cpu/sys_ctl.h"
#include "cpu/sys_ops.h"
#include "cpu/vmx.h"
#include "traces/tracer.h"

/* VMCALL (30.3): in non-root operation a VM exit (reason 18, 25.1.2); in root operation outside
 * SMM, with no dual-monitor treatment (IA32_VMX_BASIC[49] = 0), VMfail(1). */
static void op_vmcall(struct cpu *c, const struct insn *i)
{
    if (!c->vmx.on)
        cpu_fault_noerr(c, VEC_UD);
    if (c->vmx.nonroot)
        vmx_exit_insn(c, i, VMX_EXIT_VMCALL, 0, 0);
    if ((c->rflags & RF_VM) || c->mode == MODE_COMPAT)
        cpu_fault_noerr(c, VEC_UD);
    sys_need_cpl0(c);
    /* root operation, not in SMM, no dual-monitor treatment: VMfail(1) */
    vmx_fail(c, VMXERR_VMCALL_IN_ROOT);
}

/* The VM entry proper, after the VMfail stage (27.3-27.7). */
static void vm_entry(struct cpu *c, bool launch)
{
    c->block_end = true;
    c->vmx.root_nmi_blocked = c->nmi_blocked;
    c->ctr.cycles += c->model->vm_entry;
    uint32_t qual = 0;
    if (!vmx_check_guest_state(c, &qual)) {
        vmx_entry_fail(c, VMX_EXIT_INVALID_GUEST_STATE, qual);
        return;
    }
    if (vmx_entry_load_guest(c) < 0)
        return;                     /* failed with reason 33 (PDPTEs), host state loaded */
    uint32_t bad = vmx_entry_load_msrs(c);
    if (bad) {
        vmx_entry_fail(c, VMX_EXIT_MSR_LOADING, bad);
        return;
    }
    if (launch)
        c->vmx.launched = true;
    vmx_entry_finish(c);
    if (c->trace)                   /* the trace's vm_entry (and vm_inject), traces/tracer.h */
        tracer_vm_entry(c->trace, c, launch);
    vmx_run_switch(c);              /* continue in the run loop's non-root instance */
}

static void op_vmlaunch(struct cpu *c, const struct insn *i)
{
    bool launch = i->id == X86_INS_VMLAUNCH;
    vmx_need_mode(c);
    if (c->vmx.nonroot)
        vmx_exit_insn(c, i, launch ? VMX_EXIT_VMLAUNCH : VMX_EXIT_VMRESUME, 0, 0);
    sys_need_cpl0(c);
    if (c->vmx.vmcs_ptr == VMX_NO_VMCS) {
        vmx_fail_invalid(c);
        return;
    }
    enum vmx_insn_error err = 0;
    if (c->vmx.shadow_insn == 2)
        err = VMXERR_ENTRY_MOV_SS;          /* events blocked by MOV SS */
    else if (launch && c->vmx.launched)
        err = VMXERR_VMLAUNCH_NOT_CLEAR;
    else if (!launch && !c->vmx.launched)
        err = VMXERR_VMRESUME_NOT_LAUNCHED;
    else if ((err = vmx_check_controls(c)) == 0)
        err = vmx_check_host_state(c);
    if (err) {
        c->vmx.ctr.entry_fails++;
        vmx_fail_valid(c, err);
        return;
    }
    vm_entry(c, launch);
}

void vmx_launch_register(void)
{
    op_reg(X86_INS_VMLAUNCH, op_vmlaunch, vmx_sel, CLS_SERIAL);
    op_reg(X86_INS_VMRESUME, op_vmlaunch, vmx_sel, CLS_SERIAL);
    op_reg(X86_INS_VMCALL, op_vmcall, vmx_sel, CLS_SERIAL);
}
