/* vmx_insn.c — the VMCS-maintenance and VMX-operation instructions of SDM Vol. 3 chapter 30:
 * VMXON, VMXOFF, VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE. (VMLAUNCH, VMRESUME and VMCALL are in
 * vmx_launch.c; INVEPT, INVVPID and VMFUNC in vmx_inv.c.)
 *
 * Each handler follows the SDM pseudocode of its instruction in order: #UD conditions, then (in
 * VMX non-root operation) the VM exit, then #GP(0) for CPL > 0, then the memory operand and the
 * VMfail checks. Outcomes use the 30.2 conventions (vmx_vmcs.c).
 *
 * Invariants:
 *  - Every access that can fault (the memory operand) happens before any VMX state, memory or
 *    flag is changed, so a faulting instruction leaves everything as it was.
 *  - VMX operation is never entered unless CR0/CR4 satisfy the fixed bits; after that the CR
 *    write paths keep them (vmx_check_cr_write).
 */
#include <stdio.h>

#include "cpu/ops.h"
#include "cpu/sys_ctl.h"
#include "cpu/sys_ops.h"
#include "cpu/vmx.h"
#include "cpu/vmx_intercept.h"
#include "sim/bus.h"

/* IA32_FEATURE_CONTROL bits (SDM Vol. 3 23.7). hvsim has no SMX, so "outside SMX" applies. */
#define FC_LOCK             (1ull << 0)
#define FC_VMX_OUTSIDE_SMX  (1ull << 2)

/* The #UD rows shared by every VMX instruction but VMXON: not in VMX operation, CR0.PE = 0,
 * RFLAGS.VM = 1, or compatibility mode (IA32_EFER.LMA = 1 and CS.L = 0). */
void vmx_need_mode(struct cpu *c)
{
    if (!c->vmx.on || !(c->cr0 & CR0_PE) || (c->rflags & RF_VM) || c->mode == MODE_COMPAT)
        cpu_fault_noerr(c, VEC_UD);
}

/* In VMX non-root operation these instructions cause VM exits unconditionally, after their #UD
 * checks and before the CPL check (SDM Vol. 3 25.1.2, 30.3 pseudocode): vmx_intercept.c. */
static void nonroot_exit(struct cpu *c, const struct insn *i, enum vmx_exit_reason reason)
{
    if (c->vmx.nonroot)
        vmx_icpt_vmx_insn(c, i, reason);
}

/* A VMXON/VMCS pointer is valid if 4 KiB-aligned and within the physical-address width (32 bits
 * if IA32_VMX_BASIC[48] says so). */
static bool bad_pointer(const struct cpu *c, uint64_t pa)
{
    unsigned w = (c->model->vmx.basic & VMX_BASIC_32BIT_PA) ? 32 : c->model->max_phys_bits;
    return (pa & 0xfff) || (pa >> w);
}

static uint32_t revision(const struct cpu *c) { return VMX_BASIC_REVISION(c->model->vmx.basic); }

/* The 64-bit memory operand of VMXON/VMCLEAR/VMPTRLD (#GP/#SS/#PF as for any read). */
static uint64_t read_m64(struct cpu *c, const struct insn *i)
{
    return vread(c, i->seg, insn_ea(c, i), 8);
}

/* ------------------------------------------------------------------ VMXON, VMXOFF (30.3) */

static void op_vmxon(struct cpu *c, const struct insn *i)
{
    if (!(c->cr0 & CR0_PE) || !(c->cr4 & CR4_VMXE) || (c->rflags & RF_VM) ||
        c->mode == MODE_COMPAT)
        cpu_fault_noerr(c, VEC_UD);
    if (c->vmx.on) {
        nonroot_exit(c, i, VMX_EXIT_VMXON);
        sys_need_cpl0(c);
        vmx_fail(c, VMXERR_VMXON_IN_ROOT);
        return;
    }
    sys_need_cpl0(c);
    /* hvsim has no A20M# (devices/sysports.h), so "in A20M mode" never holds */
    if (!vmx_cr_fixed_ok(c, c->cr0, c->cr4) || !(c->msr.feature_control & FC_LOCK) ||
        !(c->msr.feature_control & FC_VMX_OUTSIDE_SMX))
        cpu_fault(c, VEC_GP, 0);
    uint64_t pa = read_m64(c, i);
    if (bad_pointer(c, pa)) {
        vmx_fail_invalid(c);
        return;
    }
    uint32_t rev = (uint32_t)bus_read(c->bus, pa, 4);
    if ((rev & 0x7fffffffu) != revision(c) || (rev >> 31)) {
        vmx_fail_invalid(c);
        return;
    }
    c->vmx.on = true;
    c->vmx.nonroot = false;
    c->vmx.vmxon_ptr = pa;
    c->vmx.vmcs_ptr = VMX_NO_VMCS;
    c->vmx.launched = false;
    c->vmx.init_pending = false;
    vmx_succeed(c);
    c->block_end = true;
}

static void op_vmxoff(struct cpu *c, const struct insn *i)
{
    (void)i;
    vmx_need_mode(c);
    nonroot_exit(c, i, VMX_EXIT_VMXOFF);
    sys_need_cpl0(c);
    /* dual-monitor treatment of SMIs is never active (IA32_VMX_BASIC[49] = 0): no VMfail(23) */
    vmx_vmcs_flush(c);
    bool init = c->vmx.init_pending;
    c->vmx.on = false;
    c->vmx.init_pending = false;
    c->vmx.vmcs_ptr = VMX_NO_VMCS;
    vmx_succeed(c);
    c->block_end = true;
    if (init)                   /* INIT is unblocked: a held INIT is taken now (SDM 23.8) */
        cpu_init_signal(c);
}

/* ------------------------------------------------------------------ VMCLEAR, VMPTRLD, VMPTRST */

static void op_vmclear(struct cpu *c, const struct insn *i)
{
    vmx_need_mode(c);
    nonroot_exit(c, i, VMX_EXIT_VMCLEAR);
    sys_need_cpl0(c);
    uint64_t pa = read_m64(c, i);
    if (bad_pointer(c, pa)) {
        vmx_fail(c, VMXERR_VMCLEAR_BAD_ADDR);
        return;
    }
    if (pa == c->vmx.vmxon_ptr) {
        vmx_fail(c, VMXERR_VMCLEAR_VMXON_PTR);
        return;
    }
    if (pa == c->vmx.vmcs_ptr) {
        /* the data of the current VMCS goes to memory, then it stops being current */
        c->vmx.launched = false;
        vmx_vmcs_flush(c);
        c->vmx.vmcs_ptr = VMX_NO_VMCS;
    } else {
        /* not cached: only the implementation-specific header changes; the fields stay */
        bus_write(c->bus, pa + VMX_VMCS_OFF_LAUNCH, 0, 4);
        bus_write(c->bus, pa + VMX_VMCS_OFF_FORMAT, VMX_VMCS_FORMAT, 4);
    }
    vmx_succeed(c);
}

static void op_vmptrld(struct cpu *c, const struct insn *i)
{
    vmx_need_mode(c);
    nonroot_exit(c, i, VMX_EXIT_VMPTRLD);
    sys_need_cpl0(c);
    uint64_t pa = read_m64(c, i);
    if (bad_pointer(c, pa)) {
        vmx_fail(c, VMXERR_VMPTRLD_BAD_ADDR);
        return;
    }
    if (pa == c->vmx.vmxon_ptr) {
        vmx_fail(c, VMXERR_VMPTRLD_VMXON_PTR);
        return;
    }
    /* bit 31 (shadow-VMCS indicator) is accepted only with VMCS shadowing, not offered */
    uint32_t rev = (uint32_t)bus_read(c->bus, pa, 4);
    if ((rev & 0x7fffffffu) != revision(c) || (rev >> 31)) {
        vmx_fail(c, VMXERR_VMPTRLD_BAD_REVISION);
        return;
    }
    if (pa != c->vmx.vmcs_ptr) {
        vmx_vmcs_flush(c);      /* the previous current VMCS stays active, its data in memory */
        vmx_vmcs_load(c, pa);
        c->vmx.vmcs_ptr = pa;
    }
    vmx_succeed(c);
}

static void op_vmptrst(struct cpu *c, const struct insn *i)
{
    vmx_need_mode(c);
    nonroot_exit(c, i, VMX_EXIT_VMPTRST);
    sys_need_cpl0(c);
    vwrite(c, i->seg, insn_ea(c, i), c->vmx.vmcs_ptr, 8);
    vmx_succeed(c);
}

/* ------------------------------------------------------------------ VMREAD, VMWRITE */

/* Operand size: 64 bits in 64-bit mode, 32 bits otherwise (SDM 30.3 VMREAD/VMWRITE). */
static unsigned vmx_osz(const struct cpu *c) { return c->mode == MODE_LONG64 ? 8 : 4; }

/* The field encoding from its register operand; -1 (unsupported component) if no such field on
 * this model, including any bit set above bit 31 of a 64-bit register. */
static int field_of_reg(struct cpu *c, unsigned reg)
{
    uint64_t e = reg_read(c, reg, vmx_osz(c));
    int k = vmx_field_index(e);
    return k >= 0 && vmx_field_exists(c->model, k) ? k : -1;
}

/* VMREAD r/m, r: op[0] destination, op[1] the encoding register. */
static void op_vmread(struct cpu *c, const struct insn *i)
{
    vmx_need_mode(c);
    nonroot_exit(c, i, VMX_EXIT_VMREAD);
    sys_need_cpl0(c);
    if (c->vmx.vmcs_ptr == VMX_NO_VMCS) {
        vmx_fail_invalid(c);
        return;
    }
    if (field_of_reg(c, i->op[1].reg) < 0) {
        vmx_fail_valid(c, VMXERR_UNSUPPORTED_FIELD);
        return;
    }
    unsigned osz = vmx_osz(c);
    uint64_t v = trunc_sz(vmx_vmcs_read(c, (uint32_t)reg_read(c, i->op[1].reg, osz)), osz);
    if (i->op[0].kind == OPK_MEM)
        vwrite(c, i->seg, insn_ea(c, i), v, osz);
    else
        reg_write(c, i->op[0].reg, v, osz);
    vmx_succeed(c);
}

/* VMWRITE r, r/m: op[0] the encoding register, op[1] the source. */
static void op_vmwrite(struct cpu *c, const struct insn *i)
{
    vmx_need_mode(c);
    nonroot_exit(c, i, VMX_EXIT_VMWRITE);
    sys_need_cpl0(c);
    if (c->vmx.vmcs_ptr == VMX_NO_VMCS) {
        vmx_fail_invalid(c);
        return;
    }
    int k = field_of_reg(c, i->op[0].reg);
    if (k < 0) {
        vmx_fail_valid(c, VMXERR_UNSUPPORTED_FIELD);
        return;
    }
    if (VMCS_ENC_TYPE(vmx_field_encoding(k)) == VMCS_T_RODATA &&
        !(c->model->vmx.misc & VMX_MISC_VMWRITE_ALL)) {
        vmx_fail_valid(c, VMXERR_VMWRITE_READONLY);
        return;
    }
    unsigned osz = vmx_osz(c);
    uint64_t v = i->op[1].kind == OPK_MEM ? vread(c, i->seg, insn_ea(c, i), osz)
                                          : reg_read(c, i->op[1].reg, osz);
    vmx_vmcs_write(c, (uint32_t)reg_read(c, i->op[0].reg, osz), v);
    vmx_succeed(c);
}

/* LOCK is #UD on every VMX instruction; the memory forms must have a memory operand (the
 * register forms of 0F C7 /6 and /7 are other instructions, which Capstone names apart). Shared
 * by every VMX instruction file. */
int vmx_sel(struct insn *i)
{
    return (i->pfx & PFX_LOCK) ? -1 : 0;
}

void vmx_insn_register(void)
{
    op_reg(X86_INS_VMXON, op_vmxon, vmx_sel, CLS_SERIAL);
    op_reg(X86_INS_VMXOFF, op_vmxoff, vmx_sel, CLS_SERIAL);
    op_reg(X86_INS_VMCLEAR, op_vmclear, vmx_sel, CLS_SERIAL);
    op_reg(X86_INS_VMPTRLD, op_vmptrld, vmx_sel, CLS_SERIAL);
    op_reg(X86_INS_VMPTRST, op_vmptrst, vmx_sel, CLS_SYSTEM);
    op_reg(X86_INS_VMREAD, op_vmread, vmx_sel, CLS_SYSTEM);
    op_reg(X86_INS_VMWRITE, op_vmwrite, vmx_sel, CLS_SYSTEM);
}
