/* vmx_icpt_insn.c — system instructions that had no handler before VMX needed their intercepts:
 * RDPMC, MONITOR, MWAIT, and the #UD-only GETSEC, RSM and RDRAND (SDM Vol. 2 pages of each;
 * VM exits 15, 39, 36 of SDM Vol. 3 25.1.3). Registered through OPS_FILES (ops.h).
 *
 * Invariants:
 *  - Performance counters are not modelled: RDPMC accepts the counter indices CPUID leaf 0AH
 *    reports (none on the default model, so every index is #GP(0)) and reads them as 0.
 *  - MONITOR/MWAIT exist only if CPUID.01H:ECX.MONITOR[bit 3] = 1 (not on the default model:
 *    #UD). MONITOR checks its operand and arms the address-range monitor (c->vmx.monitor_armed,
 *    with the linear address); MWAIT never waits (the SDM lets the optimized state end for
 *    implementation-specific reasons), so after its checks it only consumes the armed state.
 *    VM entries and VM exits clear it (SDM Vol. 3 27.3.3, 28.5.6). The MWAIT exit
 *    qualification's bit 0 is the armed state (vmx_intercept.c). Stores to the monitored range
 *    do not disarm it (hvsim does not snoop the range: MWAIT would not have waited anyway).
 *  - GETSEC is #UD (no SMX: CR4.SMXE cannot be set), RSM is #UD (never in SMM), RDRAND is #UD
 *    unless the model reports it (CPUID.01H:ECX[30]; then a clean unsupported stop: hvsim has no
 *    deterministic entropy source and does not offer "RDRAND exiting"). RDSEED is in sys_msr.c.
 *  - The order of checks follows SDM Vol. 3 25.1.1: #UD and privilege-level faults, then the VM
 *    exit, then every other fault.
 */
#include "cpu/ops.h"
#include "cpu/sys_ctl.h"
#include "cpu/vmx_intercept.h"

#define F_MONITOR FEAT(1, 0, CPUID_ECX, 3)
#define F_RDRAND  FEAT(1, 0, CPUID_ECX, 30)

/* RDPMC (SDM Vol. 2 RDPMC): #GP(0) at CPL > 0 with CR4.PCE = 0 (before the exit), then the
 * exit with "RDPMC exiting", then #GP(0) for a counter index CPUID 0AH does not report. */
static void op_rdpmc(struct cpu *c, const struct insn *i)
{
    if (c->cpl > 0 && !(c->cr4 & CR4_PCE))
        cpu_fault(c, VEC_GP, 0);
    if (c->vmx.nonroot)
        vmx_icpt_simple(c, i, VMX_EXIT_RDPMC);
    uint32_t r[4];
    sys_cpuid(c, 0xa, 0, r);
    uint32_t ecx = (uint32_t)c->gpr[R_RCX];
    bool fixed = ecx & (1u << 30);
    uint32_t n = ecx & 0x3fffffffu;
    uint32_t count = fixed ? (r[CPUID_EDX] & 0x1f) : ((r[CPUID_EAX] >> 8) & 0xff);
    if (n >= count)
        cpu_fault(c, VEC_GP, 0);
    c->gpr[R_RAX] = 0;
    c->gpr[R_RDX] = 0;
}

/* #UD rows shared by MONITOR and MWAIT: no MONITOR feature, or CPL > 0. */
static void need_monitor(struct cpu *c)
{
    if (!sys_has(c, F_MONITOR) || c->cpl > 0)
        cpu_fault_noerr(c, VEC_UD);
}

/* MONITOR (SDM Vol. 2): the address is DS:rAX (segment overridable), checked like a one-byte
 * read; ECX (extensions) must be 0. */
static void op_monitor(struct cpu *c, const struct insn *i)
{
    need_monitor(c);
    if (c->vmx.nonroot)
        vmx_icpt_simple(c, i, VMX_EXIT_MONITOR);
    if ((uint32_t)c->gpr[R_RCX] != 0)
        cpu_fault(c, VEC_GP, 0);
    uint64_t off = trunc_sz(c->gpr[R_RAX], i->asz);
    vcheck(c, i->seg, off, 1, ACC_READ);
    c->vmx.monitor_armed = true;
    c->vmx.monitor_lin = seg_lin(c, i->seg, off, 1, ACC_READ);
}

/* MWAIT (SDM Vol. 2): ECX bit 0 needs CPUID.05H:ECX[1], bits 31:1 are reserved. */
static void op_mwait(struct cpu *c, const struct insn *i)
{
    need_monitor(c);
    if (c->vmx.nonroot)
        vmx_icpt_simple(c, i, VMX_EXIT_MWAIT);
    uint32_t r[4];
    sys_cpuid(c, 5, 0, r);
    uint32_t ok = (r[CPUID_ECX] & 2) ? 1u : 0u;
    if ((uint32_t)c->gpr[R_RCX] & ~ok)
        cpu_fault(c, VEC_GP, 0);
    c->vmx.monitor_armed = false;       /* the wait (none here) consumed the monitor */
}

static void op_ud_always(struct cpu *c, const struct insn *i)
{
    (void)i;
    cpu_fault_noerr(c, VEC_UD);
}

static void op_rdrand(struct cpu *c, const struct insn *i)
{
    (void)i;
    if (!sys_has(c, F_RDRAND))
        cpu_fault_noerr(c, VEC_UD);
    sys_unsupported(c, "RDRAND (hvsim models no entropy source)");
}

static int sel_nolock(struct insn *i)
{
    return (i->pfx & PFX_LOCK) ? -1 : 0;
}

void vmx_icpt_insn_register(void)
{
    op_reg(X86_INS_RDPMC, op_rdpmc, sel_nolock, CLS_SERIAL);
    op_reg(X86_INS_MONITOR, op_monitor, sel_nolock, CLS_SERIAL);
    op_reg(X86_INS_MWAIT, op_mwait, sel_nolock, CLS_SERIAL);
    op_reg(X86_INS_GETSEC, op_ud_always, sel_nolock, CLS_OTHER);
    op_reg(X86_INS_RSM, op_ud_always, sel_nolock, CLS_OTHER);
    op_reg(X86_INS_RDRAND, op_rdrand, sel_nolock, CLS_OTHER);
}
