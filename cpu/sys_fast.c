/* sys_fast.c — fast system calls and the 64-bit segment bases: SYSCALL, SYSRET, SYSENTER,
 * SYSEXIT, SWAPGS, RDFSBASE/RDGSBASE/WRFSBASE/WRGSBASE (SDM Vol. 2 pages of each).
 *
 * Invariants: these instructions load CS and SS with fixed flat descriptors (no descriptor-table
 * reads, as the SDM specifies); all checks (#UD conditions, CPL, canonical targets) happen first.
 */
#include "cpu/ops.h"
#include "cpu/sys_ctl.h"
#include "cpu/sys_seg.h"

/* Flat 4-GByte code/data caches of SYSCALL/SYSRET/SYSENTER/SYSEXIT: type 11 (execute/read,
 * accessed) or 3 (read/write, accessed), S, P, G, the given DPL; code: L or D; data: B. */
static void load_flat(struct cpu *c, uint16_t cs_sel, uint16_t ss_sel, unsigned dpl, bool code64)
{
    struct segment *cs = &c->seg[SEG_CS], *ss = &c->seg[SEG_SS];
    cs->sel = cs_sel;
    cs->base = 0;
    cs->limit = 0xffffffffu;
    cs->ar = 11 | AR_S | dpl << 5 | AR_P | AR_G | (code64 ? AR_L : AR_DB);
    ss->sel = ss_sel;
    ss->base = 0;
    ss->limit = 0xffffffffu;
    ss->ar = 3 | AR_S | dpl << 5 | AR_P | AR_G | AR_DB;
    c->cpl = (uint8_t)dpl;
    cpu_update_mode(c);
    c->block_end = true;
}

static void need_syscall(struct cpu *c)
{
    if (c->mode != MODE_LONG64 || !(c->msr.efer & EFER_SCE))
        cpu_fault_noerr(c, VEC_UD);
}

/* SYSCALL: RCX = next RIP, R11 = RFLAGS, RFLAGS &= ~FMASK, CS/SS from STAR[47:32]. Intel
 * processors support it only in 64-bit mode. */
static void op_syscall(struct cpu *c, const struct insn *i)
{
    (void)i;
    need_syscall(c);
    uint64_t f = cpu_get_rflags(c) & ~(uint64_t)RF_RF;
    uint16_t sel = (uint16_t)(c->msr.star >> 32);
    c->gpr[R_RCX] = c->rip;
    c->gpr[R_R11] = f;
    cpu_set_rflags(c, f & ~c->msr.fmask);
    c->rip = c->msr.lstar;
    load_flat(c, sel & 0xfffc, (uint16_t)(sel + 8), 0, true);
}

/* SYSRET: to 64-bit mode with REX.W (RIP = RCX, #GP(0) if not canonical), else to compatibility
 * mode (RIP = ECX); RFLAGS = R11 & 3C7FD7H | 2; CS/SS from STAR[63:48]. */
static void op_sysret(struct cpu *c, const struct insn *i)
{
    need_syscall(c);
    sys_need_cpl0(c);
    bool to64 = i->pfx & PFX_REXW;
    uint64_t rip = to64 ? c->gpr[R_RCX] : (uint32_t)c->gpr[R_RCX];
    if (to64 && !sys_canonical(c, rip))
        cpu_fault(c, VEC_GP, 0);
    uint16_t base = (uint16_t)(c->msr.star >> 48);
    cpu_set_rflags(c, (c->gpr[R_R11] & 0x3c7fd7u) | RF_FIXED1);
    c->rip = rip;
    load_flat(c, (uint16_t)((to64 ? base + 16 : base) | 3), (uint16_t)((base + 8) | 3), 3, to64);
}

/* SYSENTER: CS from IA32_SYSENTER_CS, SS = CS + 8, RSP/RIP from the MSRs; VM, IF, RF cleared. */
static void op_sysenter(struct cpu *c, const struct insn *i)
{
    (void)i;
    uint16_t cs = (uint16_t)c->msr.sysenter_cs;
    if (!(c->cr0 & CR0_PE) || (cs & 0xfffc) == 0)
        cpu_fault(c, VEC_GP, 0);
    bool lma = c->msr.efer & EFER_LMA;
    cpu_set_rflags(c, cpu_get_rflags(c) & ~(uint64_t)(RF_VM | RF_IF | RF_RF));
    c->gpr[R_RSP] = lma ? c->msr.sysenter_esp : (uint32_t)c->msr.sysenter_esp;
    c->rip = lma ? c->msr.sysenter_eip : (uint32_t)c->msr.sysenter_eip;
    load_flat(c, cs & 0xfffc, (uint16_t)((cs & 0xfffc) + 8), 0, lma);
}

/* SYSEXIT: to CPL 3 with CS = SYSENTER_CS + 16 (+32 with REX.W), SS = CS + 8, RSP = rCX,
 * RIP = rDX. */
static void op_sysexit(struct cpu *c, const struct insn *i)
{
    uint16_t cs = (uint16_t)c->msr.sysenter_cs;
    if (!(c->cr0 & CR0_PE) || (cs & 0xfffc) == 0 || c->cpl != 0)
        cpu_fault(c, VEC_GP, 0);
    bool to64 = (i->pfx & PFX_REXW) && c->mode == MODE_LONG64;
    uint64_t rsp = to64 ? c->gpr[R_RCX] : (uint32_t)c->gpr[R_RCX];
    uint64_t rip = to64 ? c->gpr[R_RDX] : (uint32_t)c->gpr[R_RDX];
    if (to64 && (!sys_canonical(c, rsp) || !sys_canonical(c, rip)))
        cpu_fault(c, VEC_GP, 0);
    c->gpr[R_RSP] = rsp;
    c->rip = rip;
    uint16_t ncs = (uint16_t)((cs + (to64 ? 32 : 16)) | 3);
    load_flat(c, ncs, (uint16_t)((cs + (to64 ? 40 : 24)) | 3), 3, to64);
}

/* SWAPGS: exchange GS.base and IA32_KERNEL_GS_BASE; 64-bit mode, CPL 0. */
static void op_swapgs(struct cpu *c, const struct insn *i)
{
    (void)i;
    if (c->mode != MODE_LONG64)
        cpu_fault_noerr(c, VEC_UD);
    sys_need_cpl0(c);
    uint64_t t = c->seg[SEG_GS].base;
    c->seg[SEG_GS].base = c->msr.kernel_gs_base;
    c->msr.kernel_gs_base = t;
}

/* RD/WR FS/GS BASE: 64-bit mode with CR4.FSGSBASE = 1; 32-bit forms zero-extend. */
static void op_fsgsbase(struct cpu *c, const struct insn *i)
{
    if (c->mode != MODE_LONG64 || !(c->cr4 & CR4_FSGSBASE))
        cpu_fault_noerr(c, VEC_UD);
    bool fs = i->id == X86_INS_RDFSBASE || i->id == X86_INS_WRFSBASE;
    bool wr = i->id == X86_INS_WRFSBASE || i->id == X86_INS_WRGSBASE;
    struct segment *s = &c->seg[fs ? SEG_FS : SEG_GS];
    unsigned sz = i->op[0].size;
    if (wr) {
        uint64_t v = trunc_sz(c->gpr[i->op[0].reg], sz);
        if (!sys_canonical(c, v))
            cpu_fault(c, VEC_GP, 0);
        s->base = v;
    } else {
        reg_write(c, i->op[0].reg, trunc_sz(s->base, sz), sz);
    }
}

static int sel_nolock(struct insn *i)
{
    return (i->pfx & PFX_LOCK) ? -1 : 0;
}

static int sel_reg(struct insn *i)
{
    return (i->pfx & PFX_LOCK) || i->nops != 1 || i->op[0].kind != OPK_REG ? -1 : 0;
}

void sys_fast_register(void)
{
    op_reg(X86_INS_SYSCALL, op_syscall, sel_nolock, CLS_INT);
    op_reg(X86_INS_SYSRET, op_sysret, sel_nolock, CLS_INT);
    op_reg(X86_INS_SYSENTER, op_sysenter, sel_nolock, CLS_INT);
    op_reg(X86_INS_SYSEXIT, op_sysexit, sel_nolock, CLS_INT);
    op_reg(X86_INS_SWAPGS, op_swapgs, sel_nolock, CLS_SYSTEM);
    op_reg(X86_INS_RDFSBASE, op_fsgsbase, sel_reg, CLS_SYSTEM);
    op_reg(X86_INS_RDGSBASE, op_fsgsbase, sel_reg, CLS_SYSTEM);
    op_reg(X86_INS_WRFSBASE, op_fsgsbase, sel_reg, CLS_SYSTEM);
    op_reg(X86_INS_WRGSBASE, op_fsgsbase, sel_reg, CLS_SYSTEM);
}
