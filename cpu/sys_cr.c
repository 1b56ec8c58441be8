/* sys_cr.c — control and debug registers and cache/TLB maintenance: MOV to/from CR0/2/3/4/8 and
 * DR0-7, CLTS, LMSW, SMSW, INVLPG, INVPCID, WBINVD, INVD, CLFLUSH, CLFLUSHOPT, LFENCE, SFENCE,
 * MFENCE (SDM Vol. 2 pages of each).
 *
 * Invariants: privileged forms raise #GP(0) at CPL > 0 before reading any operand; every write
 * to CR0/CR3/CR4/CR8 goes through the checked sys_write_* functions (sys_mode.c); caches are not
 * modelled, so the cache instructions only perform their permission checks.
 */
#include "cpu/ops.h"
#include "cpu/sys_ctl.h"
#include "cpu/sys_ops.h"
#include "cpu/vmx_intercept.h"
#include "mmu/mmu.h"

/* Operand width of MOV CR/DR: 64 bits in 64-bit mode, else 32 (SDM Vol. 2 MOV CR: "operand size
 * is fixed"). */
static unsigned crdr_width(const struct cpu *c) { return c->mode == MODE_LONG64 ? 8 : 4; }

void sys_op_mov_to_cr(struct cpu *c, const struct insn *i)
{
    sys_need_cpl0(c);
    uint64_t v = trunc_sz(c->gpr[i->op[1].reg], crdr_width(c));
    if (c->vmx.nonroot && vmx_icpt_mov_to_cr(c, i, i->op[0].reg, &v))   /* SDM Vol. 3 25.1.3 */
        return;
    switch (i->op[0].reg) {
    case 0: sys_write_cr0(c, v); break;
    case 2: c->cr2 = v; break;
    case 3: sys_write_cr3(c, v); break;
    case 4: sys_write_cr4(c, v); break;
    case 8: sys_write_cr8(c, v); break;
    default: cpu_fault_noerr(c, VEC_UD);
    }
}

void sys_op_mov_from_cr(struct cpu *c, const struct insn *i)
{
    sys_need_cpl0(c);
    uint64_t v;
    switch (i->op[1].reg) {
    case 0: v = c->cr0; break;
    case 2: v = c->cr2; break;
    case 3: v = c->cr3; break;
    case 4: v = c->cr4; break;
    case 8: v = c->cr8 & 0xf; break;
    default: cpu_fault_noerr(c, VEC_UD);
    }
    if (c->vmx.nonroot)         /* exits, read shadows, TPR shadow (SDM Vol. 3 25.1.3, 25.3) */
        vmx_icpt_mov_from_cr(c, i, i->op[1].reg, &v);
    reg_write(c, i->op[0].reg, v, crdr_width(c));
}

/* DR4/DR5 alias DR6/DR7 when CR4.DE = 0 and raise #UD when CR4.DE = 1 (SDM Vol. 3 18.2.2). */
static unsigned dr_index(struct cpu *c, unsigned n)
{
    if (n == 4 || n == 5) {
        if (c->cr4 & CR4_DE)
            cpu_fault_noerr(c, VEC_UD);
        n += 2;
    }
    if (n > 7)
        cpu_fault_noerr(c, VEC_UD);
    return n;
}

/* DR6: bits 3:0, 13-16 writable; 4-11 and 17-31 read as 1, bit 12 as 0 (SDM Vol. 3 18.2.3).
 * DR7: bits 10 reads as 1, 11/12/14/15 as 0 (18.2.4). Bits 63:32 of DR6/DR7 must be 0. */
void sys_op_mov_to_dr(struct cpu *c, const struct insn *i)
{
    if (c->vmx.nonroot)         /* before the CPL and DR4/DR5 checks (SDM Vol. 3 25.1.3) */
        vmx_icpt_mov_dr(c, i, i->op[0].reg, false, i->op[1].reg);
    sys_need_cpl0(c);
    unsigned n = dr_index(c, i->op[0].reg);
    uint64_t v = trunc_sz(c->gpr[i->op[1].reg], crdr_width(c));
    if (n >= 6 && (v >> 32))
        cpu_fault(c, VEC_GP, 0);
    if (n == 6)
        v = (v & 0x1e00full) | 0xfffe0ff0ull;
    else if (n == 7)
        v = (v & 0xffff23ffull) | 0x400;
    c->dr[n] = v;
}

void sys_op_mov_from_dr(struct cpu *c, const struct insn *i)
{
    if (c->vmx.nonroot)         /* before the CPL and DR4/DR5 checks (SDM Vol. 3 25.1.3) */
        vmx_icpt_mov_dr(c, i, i->op[1].reg, true, i->op[0].reg);
    sys_need_cpl0(c);
    unsigned n = dr_index(c, i->op[1].reg);
    reg_write(c, i->op[0].reg, c->dr[n], crdr_width(c));
}

static void op_clts(struct cpu *c, const struct insn *i)
{
    sys_need_cpl0(c);
    if (c->vmx.nonroot && !vmx_icpt_clts(c, i))    /* SDM Vol. 3 25.1.3, 25.3 */
        return;
    c->cr0 &= ~CR0_TS;
}

/* LMSW loads CR0[3:0]; it can set PE but never clear it (SDM Vol. 2 LMSW). */
static void op_lmsw(struct cpu *c, const struct insn *i)
{
    sys_need_cpl0(c);
    uint64_t src16 = opnd_read(c, i, 0), src = src16 & 0xf;
    uint64_t v = (c->cr0 & ~0xeull) | src | (c->cr0 & CR0_PE);
    if (c->vmx.nonroot)         /* SDM Vol. 3 25.1.3, 25.3 */
        v = vmx_icpt_lmsw(c, i, (uint16_t)src16, v);
    sys_write_cr0(c, v);
}

/* SMSW: CR0[15:0] to memory; a register destination receives CR0 truncated to its size. */
static void op_smsw(struct cpu *c, const struct insn *i)
{
    if (c->cr4 & CR4_UMIP && c->cpl > 0)
        cpu_fault(c, VEC_GP, 0);
    uint64_t cr0 = c->vmx.nonroot ? vmx_icpt_cr0_read(c, c->cr0) : c->cr0;   /* SDM Vol. 3 25.3 */
    if (i->op[0].kind == OPK_MEM)
        vwrite(c, i->seg, insn_ea(c, i), cr0 & 0xffff, 2);
    else
        reg_write(c, i->op[0].reg, cr0, i->op[0].size);
}

/* Linear address of the memory operand without access checks (INVLPG, INVPCID base). */
static uint64_t lin_nocheck(struct cpu *c, const struct insn *i)
{
    uint64_t ea = insn_ea(c, i);
    if (c->mode == MODE_LONG64)
        return i->seg >= SEG_FS ? c->seg[i->seg].base + ea : ea;
    return (c->seg[i->seg].base + ea) & 0xffffffffull;
}

/* INVLPG: a no-op for a non-canonical address (SDM Vol. 2 INVLPG). */
static void op_invlpg(struct cpu *c, const struct insn *i)
{
    sys_need_cpl0(c);
    uint64_t lin = lin_nocheck(c, i);
    if (c->vmx.nonroot)         /* "INVLPG exiting" (SDM Vol. 3 25.1.3) */
        vmx_icpt_invlpg(c, i, lin);
    if (c->mode == MODE_LONG64 && !sys_canonical(c, lin))
        return;
    mmu_invlpg(c, lin);
}

/* INVPCID r, m128 (SDM Vol. 2 INVPCID): type 0 individual address, 1 single context, 2 all
 * including globals, 3 all except globals. */
static void op_invpcid(struct cpu *c, const struct insn *i)
{
    if (!sys_has(c, F_INVPCID) || c->mode == MODE_VM86)
        cpu_fault_noerr(c, VEC_UD);
    if (c->vmx.nonroot)         /* "enable INVPCID" (SDM Vol. 3 25.3) */
        vmx_icpt_invpcid_ud(c);
    sys_need_cpl0(c);
    if (c->vmx.nonroot)         /* "INVLPG exiting" (SDM Vol. 3 25.1.3) */
        vmx_icpt_invpcid(c, i);
    uint64_t type = trunc_sz(c->gpr[i->op[0].reg], c->mode == MODE_LONG64 ? 8 : 4);
    uint64_t ea = insn_ea(c, i);
    uint64_t pcid = vread(c, i->seg, ea, 8);
    uint64_t lin = vread(c, i->seg, trunc_sz(ea + 8, i->asz), 8);
    if (type > 3 || (pcid >> 12))
        cpu_fault(c, VEC_GP, 0);
    if (type == 0 && !sys_canonical(c, lin))
        cpu_fault(c, VEC_GP, 0);
    if (type <= 1 && !(c->cr4 & CR4_PCIDE) && pcid != 0)
        cpu_fault(c, VEC_GP, 0);
    mmu_invpcid(c, (unsigned)type, (uint16_t)pcid, lin);
    c->block_end = true;
}

static void op_wbinvd(struct cpu *c, const struct insn *i)
{
    sys_need_cpl0(c);
    if (c->vmx.nonroot)         /* INVD always, WBINVD with "WBINVD exiting" (25.1.2, 25.1.3) */
        vmx_icpt_simple(c, i, i->id == X86_INS_INVD ? VMX_EXIT_INVD : VMX_EXIT_WBINVD);
}

/* CLFLUSH/CLFLUSHOPT: checked like a one-byte read (segment limit, paging) and otherwise nothing:
 * no caches are modelled. */
static void op_clflush(struct cpu *c, const struct insn *i)
{
    if (i->id == X86_INS_CLFLUSHOPT ? !sys_has(c, F_CLFLUSHOPT) : !sys_has(c, F_CLFSH))
        cpu_fault_noerr(c, VEC_UD);
    vcheck(c, i->seg, insn_ea(c, i), 1, ACC_READ);
}

static void op_fence(struct cpu *c, const struct insn *i)
{
    (void)c;
    (void)i;
}

static int sel_nolock(struct insn *i)
{
    return (i->pfx & PFX_LOCK) ? -1 : 0;
}

static int sel_mem_only(struct insn *i)
{
    return (i->pfx & PFX_LOCK) || !i->nops || i->op[i->nops - 1].kind != OPK_MEM ? -1 : 0;
}

void sys_cr_register(void)
{
    op_reg(X86_INS_CLTS, op_clts, sel_nolock, CLS_SERIAL);
    op_reg(X86_INS_LMSW, op_lmsw, sel_nolock, CLS_SERIAL);
    op_reg(X86_INS_SMSW, op_smsw, sel_nolock, CLS_SYSTEM);
    op_reg(X86_INS_INVLPG, op_invlpg, sel_mem_only, CLS_SERIAL);
    op_reg(X86_INS_INVPCID, op_invpcid, sel_mem_only, CLS_SERIAL);
    op_reg(X86_INS_WBINVD, op_wbinvd, sel_nolock, CLS_SERIAL);
    op_reg(X86_INS_INVD, op_wbinvd, sel_nolock, CLS_SERIAL);
    op_reg(X86_INS_CLFLUSH, op_clflush, sel_mem_only, CLS_OTHER);
    op_reg(X86_INS_CLFLUSHOPT, op_clflush, sel_mem_only, CLS_OTHER);
    op_reg(X86_INS_LFENCE, op_fence, sel_nolock, CLS_NOP);
    op_reg(X86_INS_SFENCE, op_fence, sel_nolock, CLS_NOP);
    op_reg(X86_INS_MFENCE, op_fence, sel_nolock, CLS_NOP);
}
