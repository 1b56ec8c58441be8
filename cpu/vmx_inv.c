/* vmx_inv.c — INVEPT and INVVPID (SDM Vol. 3 30.3, the TLB effects of 29.4.3.1) and VMFUNC with
 * VM function 0, EPTP switching (SDM Vol. 3 26.5.6, 30.3 VMFUNC).
 *
 * Each handler follows the SDM pseudocode in order: #UD conditions, then (in VMX non-root
 * operation) the VM exit, then #GP(0) for CPL > 0, then the type check against
 * IA32_VMX_EPT_VPID_CAP, the 128-bit descriptor and its checks (VMfail 28, "invalid operand to
 * INVEPT/INVVPID"), and the invalidation.
 *
 * Invariants:
 *  - The descriptor is read (with its #GP/#SS/#PF) before anything changes, and only when the
 *    type is supported, as the pseudocode orders it.
 *  - The TLB model is invalidated through mmu/tlb.h; mappings of other VPIDs or EPT contexts
 *    than those named stay (the model is tagged, SDM 29.4.1).
 *  - VMFUNC never changes RFLAGS; a VM function that is not enabled, an EPTP-list index >= 512
 *    or an invalid EPTP causes a VM exit (reason 59) with nothing changed.
 */
#include "cpu/ops.h"
#include "cpu/sys_ctl.h"
#include "cpu/sys_ops.h"
#include "cpu/vmx.h"
#include "cpu/vmx_intercept.h"
#include "mmu/ept.h"
#include "mmu/mmu.h"
#include "mmu/tlb.h"
#include "sim/bus.h"

/* INVEPT types (30.3) and INVVPID types. */
enum { INVEPT_SINGLE = 1, INVEPT_ALL = 2 };
enum { INVVPID_ADDR = 0, INVVPID_SINGLE = 1, INVVPID_ALL = 2, INVVPID_SINGLE_NG = 3 };

static uint64_t ept_vpid_cap(const struct cpu *c)
{
    uint64_t cap = 0;
    return vmx_msr_read(c, MSR_VMX_EPT_VPID_CAP, &cap) ? cap : 0;
}

/* The shared front of INVEPT/INVVPID: #UD (also on a processor without the instruction:
 * IA32_VMX_EPT_VPID_CAP bit 20 / 32), the unconditional VM exit in non-root operation
 * (qualification: the displacement; instruction information with Reg2 = the type register,
 * 27.2.1, 24.9.4), #GP(0) at CPL > 0. Returns the type from the register operand (64 bits in
 * 64-bit mode, else 32). */
static uint64_t inv_common(struct cpu *c, const struct insn *i, uint64_t insn_cap,
                           uint32_t reason)
{
    vmx_need_mode(c);
    if (!(ept_vpid_cap(c) & insn_cap))
        cpu_fault_noerr(c, VEC_UD);
    if (c->vmx.nonroot)
        vmx_exit_insn(c, i, reason, vmx_insn_disp(c, i), vmx_insn_info(c, i, i->op[0].reg));
    sys_need_cpl0(c);
    return reg_read(c, i->op[0].reg, c->mode == MODE_LONG64 ? 8 : 4);
}

/* The 128-bit descriptor (memory operand). */
static void read_desc(struct cpu *c, const struct insn *i, uint64_t d[2])
{
    uint64_t ea = insn_ea(c, i);
    d[0] = vread(c, i->seg, ea, 8);
    d[1] = vread(c, i->seg, ea + 8, 8);
}

/* INVEPT r, m128 (30.3): type 1 single-context (the EPTRTA of the descriptor's EPTP, which must
 * pass the VM-entry EPTP checks), type 2 all-context. */
static void op_invept(struct cpu *c, const struct insn *i)
{
    uint64_t type = inv_common(c, i, EPTCAP_INVEPT, VMX_EXIT_INVEPT);
    uint64_t cap = ept_vpid_cap(c);
    if (!((type == INVEPT_SINGLE && (cap & EPTCAP_INVEPT_SINGLE)) ||
          (type == INVEPT_ALL && (cap & EPTCAP_INVEPT_ALL)))) {
        vmx_fail(c, VMXERR_BAD_INVEPT_INVVPID_OPERAND);
        return;
    }
    uint64_t d[2];
    read_desc(c, i, d);
    if (type == INVEPT_SINGLE) {
        if (!ept_eptp_valid(c->model, d[0])) {
            vmx_fail(c, VMXERR_BAD_INVEPT_INVVPID_OPERAND);
            return;
        }
        tlb_inval_ept(c->tlb, d[0], false);
    } else {
        tlb_inval_ept(c->tlb, 0, true);
    }
    vmx_succeed(c);
    c->block_end = true;
}

static bool canonical48(uint64_t a) { return ((a + (1ull << 47)) >> 48) == 0; }

/* INVVPID r, m128 (30.3): descriptor bits 15:0 the VPID, 63:16 reserved (0), 127:64 the linear
 * address (type 0). Types 0, 1 and 3 need a VPID other than 0; type 0 a canonical address. */
static void op_invvpid(struct cpu *c, const struct insn *i)
{
    uint64_t type = inv_common(c, i, EPTCAP_INVVPID, VMX_EXIT_INVVPID);
    uint64_t cap = ept_vpid_cap(c);
    static const uint64_t type_cap[4] = { EPTCAP_INVVPID_ADDR, EPTCAP_INVVPID_SINGLE,
                                          EPTCAP_INVVPID_ALL, EPTCAP_INVVPID_SINGLE_NG };
    if (type > 3 || !(cap & type_cap[type])) {
        vmx_fail(c, VMXERR_BAD_INVEPT_INVVPID_OPERAND);
        return;
    }
    uint64_t d[2];
    read_desc(c, i, d);
    uint16_t vpid = (uint16_t)d[0];
    if ((d[0] >> 16) != 0 || (type != INVVPID_ALL && vpid == 0) ||
        (type == INVVPID_ADDR && !canonical48(d[1]))) {
        vmx_fail(c, VMXERR_BAD_INVEPT_INVVPID_OPERAND);
        return;
    }
    struct tlb *t = c->tlb;
    switch (type) {
    case INVVPID_ADDR:      /* that linear address, every PCID, globals included */
        tlb_inval_vpid(t, vpid, true, d[1], true, false);
        break;
    case INVVPID_SINGLE:
        tlb_inval_vpid(t, vpid, false, 0, true, false);
        break;
    case INVVPID_ALL:       /* every VPID except 0000H */
        tlb_inval_vpid(t, -1, false, 0, true, false);
        break;
    default:                /* single context, retaining globals */
        tlb_inval_vpid(t, vpid, false, 0, false, false);
        break;
    }
    vmx_succeed(c);
    c->block_end = true;
}

/* VMFUNC (30.3, 26.5.6): #UD outside VMX non-root operation or without "enable VM functions";
 * EAX selects the function, which must be enabled in the VM-function controls. Function 0, EPTP
 * switching (26.5.6.3): ECX indexes the 512-entry EPTP list; the new EPTP must be valid as VM
 * entry checks it (27.2.1.1); it is written to the EPT-pointer field and used at once. */
static void op_vmfunc(struct cpu *c, const struct insn *i)
{
    const uint64_t *v = c->vmx.vmcs;
    if (!c->vmx.nonroot || !(v[VMCS_PROC_CONTROLS] & VMX_PROC_SECONDARY) ||
        !(v[VMCS_PROC_CONTROLS2] & VMX_PROC2_VMFUNC))
        cpu_fault_noerr(c, VEC_UD);
    uint32_t fn = (uint32_t)c->gpr[R_RAX];
    if (fn > 63 || !((v[VMCS_VMFUNC_CONTROLS] >> fn) & 1) || fn != 0)
        vmx_exit_insn(c, i, VMX_EXIT_VMFUNC, 0, 0);
    uint32_t index = (uint32_t)c->gpr[R_RCX];
    if (index >= 512)
        vmx_exit_insn(c, i, VMX_EXIT_VMFUNC, 0, 0);
    uint64_t eptp = bus_read(c->bus, (v[VMCS_EPTP_LIST_ADDR] & ~0xfffull) + 8ull * index, 8);
    if (!ept_eptp_valid(c->model, eptp))
        vmx_exit_insn(c, i, VMX_EXIT_VMFUNC, 0, 0);
    if (eptp != v[VMCS_EPT_POINTER]) {
        c->vmx.vmcs[VMCS_EPT_POINTER] = eptp;
        mmu_vmx_switch(c);
        c->block_end = true;
    }
}

void vmx_inv_register(void)
{
    op_reg(X86_INS_INVEPT, op_invept, vmx_sel, CLS_SERIAL);
    op_reg(X86_INS_INVVPID, op_invvpid, vmx_sel, CLS_SERIAL);
    op_reg(X86_INS_VMFUNC, op_vmfunc, vmx_sel, CLS_SERIAL);
}
