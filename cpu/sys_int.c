/* sys_int.c — software interrupts and the interrupt flag: INT n, INT3, INTO, INT1 (ICEBP), HLT,
 * CLI, STI (interrupt shadow), PUSHF/POPF with the IOPL/IF/AC/VM/RF rules per mode, PAUSE and
 * UD0 (UD2 and UD1 = Capstone's UD2B are #UD in ops_nop.c) (SDM Vol. 2 pages of each; Vol. 3 6.8.1-6.8.3).
 *
 * Invariants: IF, IOPL and VM change only as the SDM allows for the current mode and CPL; CR4.VME
 * and CR4.PVI are never set on this model (CPUID.1:EDX.VME = 0), so the virtual-interrupt paths
 * (VIF/VIP) are not implemented: IOPL-sensitive instructions fault with #GP(0) instead.
 */
#include "cpu/exception.h"
#include "cpu/ops.h"
#include "cpu/sys_ctl.h"
#include "cpu/vmx_intercept.h"
#include "traces/tracer.h"

static unsigned iopl(struct cpu *c) { return (unsigned)(c->rflags >> 12) & 3; }

/* The `exception` trace event of a software interrupt or exception, raised by the instruction at
 * c->insn_start; type as in the interruption-information format (SDM Vol. 3 24.8.3): 4 software
 * interrupt (INT n), 5 privileged software exception (INT1), 6 software exception (INT3, INTO). */
static void trace_soft(struct cpu *c, unsigned vector, unsigned type)
{
    if (__builtin_expect(c->trace != NULL, 0)) {
        uint64_t v[5] = { vector, 0, 0, c->insn_start, type };
        tracer_cpu(c->trace, c, TEV_EXCEPTION, v);
    }
}

/* INT n: in virtual-8086 mode IOPL < 3 raises #GP(0) (SDM Vol. 2 INT n, no VME). */
static void op_int(struct cpu *c, const struct insn *i)
{
    if (c->mode == MODE_VM86 && iopl(c) < 3)
        cpu_fault(c, VEC_GP, 0);
    trace_soft(c, (uint8_t)i->imm, VMX_INTR_SW_INT);
    cpu_deliver_interrupt(c, (uint8_t)i->imm, INTR_SOFTWARE);
}

static void op_int3(struct cpu *c, const struct insn *i)
{
    (void)i;
    trace_soft(c, VEC_BP, VMX_INTR_SW_EXCEPTION);
    cpu_deliver_interrupt(c, VEC_BP, INTR_SOFT_EXCEPTION);
}

static void op_into(struct cpu *c, const struct insn *i)
{
    (void)i;
    if (c->mode == MODE_LONG64)
        cpu_fault_noerr(c, VEC_UD);
    if (cpu_get_rflags(c) & RF_OF) {
        trace_soft(c, VEC_OF, VMX_INTR_SW_EXCEPTION);
        cpu_deliver_interrupt(c, VEC_OF, INTR_SOFT_EXCEPTION);
    }
}

static void op_int1(struct cpu *c, const struct insn *i)
{
    (void)i;
    trace_soft(c, VEC_DB, VMX_INTR_PRIV_SW_EXCEPTION);
    cpu_deliver_interrupt(c, VEC_DB, INTR_ICEBP);
}

/* HLT: privileged; the LP sleeps until an interrupt (the run loop reports STOP_HLT). RIP already
 * points after HLT, where the interrupt handler returns. */
static void op_hlt(struct cpu *c, const struct insn *i)
{
    sys_need_cpl0(c);
    if (c->vmx.nonroot)         /* "HLT exiting" (SDM Vol. 3 25.1.3) */
        vmx_icpt_simple(c, i, VMX_EXIT_HLT);
    c->halted = true;
    c->stop = STOP_HLT;
    c->block_end = true;
}

/* CLI/STI (SDM Vol. 2 CLI/STI, the decision tables): real mode always; protected mode if
 * CPL <= IOPL; virtual-8086 mode if IOPL = 3; otherwise #GP(0) (the VME/PVI rows do not apply:
 * CR4.VME/PVI cannot be set on this model). */
static void check_iopl_if(struct cpu *c)
{
    if (c->mode == MODE_REAL)
        return;
    unsigned pl = iopl(c);
    if (c->mode == MODE_VM86 ? pl != 3 : c->cpl > pl)
        cpu_fault(c, VEC_GP, 0);
}

static void op_cli(struct cpu *c, const struct insn *i)
{
    (void)i;
    check_iopl_if(c);
    c->rflags &= ~(uint64_t)RF_IF;
}

static void op_sti(struct cpu *c, const struct insn *i)
{
    (void)i;
    check_iopl_if(c);
    if (!(c->rflags & RF_IF)) {
        c->rflags |= RF_IF;
        c->intr_shadow = 1;     /* SDM Vol. 3 6.8.3: events blocked until after the next insn */
    }
    c->block_end = true;
}

/* PUSHF/PUSHFD/PUSHFQ: the image has VM and RF cleared (SDM Vol. 2 PUSHF). */
static void op_pushf(struct cpu *c, const struct insn *i)
{
    if (c->mode == MODE_VM86 && iopl(c) < 3)
        cpu_fault(c, VEC_GP, 0);
    uint64_t f = cpu_get_rflags(c) & ~(uint64_t)(RF_VM | RF_RF);
    stack_push(c, trunc_sz(f, i->aux), i->aux);
}

/* POPF/POPFD/POPFQ (SDM Vol. 2 POPF, Table "Effect of POPF on EFLAGS"): CPL 0 (and real mode)
 * may change IOPL and IF; CPL <= IOPL may change IF; VM, VIP, VIF never change; RF is cleared.
 * Virtual-8086 mode with IOPL = 3 changes IF but not IOPL; with IOPL < 3 it faults. */
static void op_popf(struct cpu *c, const struct insn *i)
{
    unsigned osz = i->aux;
    if (c->mode == MODE_VM86 && iopl(c) < 3)
        cpu_fault(c, VEC_GP, 0);
    uint64_t img = stack_read(c, 0, osz);
    uint64_t old = cpu_get_rflags(c);
    uint64_t m = RF_ARITH | RF_TF | RF_DF | RF_NT;
    if (osz >= 4)
        m |= RF_AC | RF_ID;
    if (c->mode == MODE_VM86)
        m |= RF_IF;
    else {
        if (c->cpl <= iopl(c))
            m |= RF_IF;
        if (c->cpl == 0)
            m |= RF_IOPL;
    }
    uint64_t nf = ((old & ~m) | (img & m)) & ~(uint64_t)RF_RF;
    stack_set_sp(c, stack_off(c, (int64_t)osz));
    cpu_set_rflags(c, nf);
    c->block_end = true;   /* IF or TF may have changed */
}

static int sel_pushf(struct insn *i)
{
    if (i->pfx & PFX_LOCK)
        return -1;
    switch (i->id) {
    case X86_INS_PUSHF: case X86_INS_POPF: i->aux = 2; break;
    case X86_INS_PUSHFD: case X86_INS_POPFD: i->aux = 4; break;
    default: i->aux = 8; break;
    }
    return 0;
}

static void op_pause(struct cpu *c, const struct insn *i)
{
    if (c->vmx.nonroot)         /* "PAUSE exiting", PAUSE-loop exiting (SDM Vol. 3 25.1.3) */
        vmx_icpt_pause(c, i, &c->vmx.ple);
}

static void op_undefined(struct cpu *c, const struct insn *i)
{
    (void)i;
    cpu_fault_noerr(c, VEC_UD);
}

static int sel_nolock(struct insn *i)
{
    return (i->pfx & PFX_LOCK) ? -1 : 0;
}

void sys_int_register(void)
{
    op_reg(X86_INS_INT, op_int, sel_nolock, CLS_INT);
    op_reg(X86_INS_INT3, op_int3, sel_nolock, CLS_INT);
    op_reg(X86_INS_INTO, op_into, sel_nolock, CLS_INT);
    op_reg(X86_INS_INT1, op_int1, sel_nolock, CLS_INT);
    op_reg(X86_INS_HLT, op_hlt, sel_nolock, CLS_SYSTEM);
    op_reg(X86_INS_CLI, op_cli, sel_nolock, CLS_SYSTEM);
    op_reg(X86_INS_STI, op_sti, sel_nolock, CLS_SYSTEM);
    op_reg(X86_INS_PUSHF, op_pushf, sel_pushf, CLS_STACK);
    op_reg(X86_INS_PUSHFD, op_pushf, sel_pushf, CLS_STACK);
    op_reg(X86_INS_PUSHFQ, op_pushf, sel_pushf, CLS_STACK);
    op_reg(X86_INS_POPF, op_popf, sel_pushf, CLS_STACK);
    op_reg(X86_INS_POPFD, op_popf, sel_pushf, CLS_STACK);
    op_reg(X86_INS_POPFQ, op_popf, sel_pushf, CLS_STACK);
    op_reg(X86_INS_PAUSE, op_pause, sel_nolock, CLS_NOP);
    op_reg(X86_INS_UD0, op_undefined, NULL, CLS_OTHER);
}
