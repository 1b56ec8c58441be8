/* sys_desc.c — descriptor-table registers and descriptor queries: LGDT, LIDT, SGDT, SIDT, LLDT,
 * SLDT, LTR (sets the busy bit), STR, LAR, LSL, VERR, VERW, ARPL (SDM Vol. 2 pages of each;
 * Vol. 3 3.5.1, 7.2.4 for the LDT/TSS descriptors and their 16-byte IA-32e form).
 *
 * Invariants: loads check the descriptor completely before GDTR/IDTR/LDTR/TR change; queries
 * (LAR, LSL, VERR, VERW) never fault on a bad selector, they clear ZF.
 */
#include "cpu/ops.h"
#include "cpu/sys_ctl.h"
#include "cpu/sys_seg.h"
#include "cpu/vmx_intercept.h"

static void need_umip_ok(struct cpu *c)
{
    if ((c->cr4 & CR4_UMIP) && c->cpl > 0)
        cpu_fault(c, VEC_GP, 0);
}

/* LGDT/LIDT m16&32 / m16&64: 64-bit mode always loads an 8-byte base; elsewhere a 16-bit
 * operand size loads 24 bits of base. */
static void op_lgdt_lidt(struct cpu *c, const struct insn *i)
{
    sys_need_cpl0(c);
    if (c->vmx.nonroot)         /* "descriptor-table exiting" (SDM Vol. 3 25.1.3) */
        vmx_icpt_desc(c, i);
    uint64_t ea = insn_ea(c, i);
    uint32_t limit = (uint32_t)vread(c, i->seg, ea, 2);
    uint64_t base;
    if (c->mode == MODE_LONG64) {
        base = vread(c, i->seg, ea + 2, 8);
        if (!sys_canonical(c, base))
            cpu_fault(c, VEC_GP, 0);
    } else {
        base = vread(c, i->seg, trunc_sz(ea + 2, i->asz), 4);
        if (sys_osz(c, i) == 2)
            base &= 0xffffff;
    }
    struct dtr *t = i->id == X86_INS_LGDT ? &c->gdtr : &c->idtr;
    t->base = base;
    t->limit = limit;
}

/* SGDT/SIDT: limit then a 4-byte base (8 in 64-bit mode). */
static void op_sgdt_sidt(struct cpu *c, const struct insn *i)
{
    need_umip_ok(c);
    if (c->vmx.nonroot)         /* "descriptor-table exiting" (SDM Vol. 3 25.1.3) */
        vmx_icpt_desc(c, i);
    const struct dtr *t = i->id == X86_INS_SGDT ? &c->gdtr : &c->idtr;
    uint64_t ea = insn_ea(c, i);
    unsigned bsz = c->mode == MODE_LONG64 ? 8 : 4;
    uint64_t ea2 = trunc_sz(ea + 2, c->mode == MODE_LONG64 ? 8 : i->asz);
    vcheck(c, i->seg, ea2, bsz, ACC_WRITE);
    vwrite(c, i->seg, ea, t->limit & 0xffff, 2);
    vwrite(c, i->seg, ea2, trunc_sz(t->base, bsz), bsz);
}

/* The 16-bit selector operand of LLDT/LTR/VERR/VERW/LAR/LSL. */
static uint16_t sel_operand(struct cpu *c, const struct insn *i, int n)
{
    if (i->op[n].kind == OPK_MEM)
        return (uint16_t)vread(c, i->seg, insn_ea(c, i), 2);
    return (uint16_t)c->gpr[i->op[n].reg];
}

/* Load a system descriptor for LLDT/LTR: GDT only; 16 bytes in IA-32e mode with the upper
 * checks (canonical base, zero type field). */
static void read_sys_desc(struct cpu *c, uint16_t sel, struct desc *d)
{
    bool lma = c->msr.efer & EFER_LMA;
    if (sel & 4)
        cpu_fault(c, VEC_GP, sel_err(sel, 0));
    desc_read(c, sel, d, VEC_GP, 0, lma);
}

static void check_sys_desc_upper(struct cpu *c, uint16_t sel, const struct desc *d)
{
    if (!(c->msr.efer & EFER_LMA))
        return;
    uint64_t base = desc_base(d) | (uint64_t)d->hi2 << 32;
    if (!sys_canonical(c, base) || (d->hi3 & 0x1f00))
        cpu_fault(c, VEC_GP, sel_err(sel, 0));
}

static void op_lldt(struct cpu *c, const struct insn *i)
{
    sys_need_prot(c);
    sys_need_cpl0(c);
    if (c->vmx.nonroot)         /* "descriptor-table exiting" (SDM Vol. 3 25.1.3) */
        vmx_icpt_desc(c, i);
    uint16_t sel = sel_operand(c, i, 0);
    if ((sel & 0xfffc) == 0) {
        c->ldtr.sel = sel;
        c->ldtr.base = 0;
        c->ldtr.limit = 0;
        c->ldtr.ar = AR_UNUSABLE;
        return;
    }
    struct desc d;
    read_sys_desc(c, sel, &d);
    if (desc_s(&d) || desc_type(&d) != DT_LDT)
        cpu_fault(c, VEC_GP, sel_err(sel, 0));
    check_sys_desc_upper(c, sel, &d);
    if (!desc_present(&d))
        cpu_fault(c, VEC_NP, sel_err(sel, 0));
    seg_from_desc(&c->ldtr, sel, &d);
    c->ldtr.base |= (uint64_t)d.hi2 << 32;
}

/* LTR: an available TSS (16-bit ones only outside IA-32e mode); marks it busy in the GDT. */
static void op_ltr(struct cpu *c, const struct insn *i)
{
    sys_need_prot(c);
    sys_need_cpl0(c);
    if (c->vmx.nonroot)         /* "descriptor-table exiting" (SDM Vol. 3 25.1.3) */
        vmx_icpt_desc(c, i);
    uint16_t sel = sel_operand(c, i, 0);
    if ((sel & 0xfffc) == 0)
        cpu_fault(c, VEC_GP, 0);
    struct desc d;
    read_sys_desc(c, sel, &d);
    bool lma = c->msr.efer & EFER_LMA;
    unsigned ty = desc_type(&d);
    if (desc_s(&d) || !(ty == DT_TSS_AVAIL || (!lma && ty == DT_TSS16_AVAIL)))
        cpu_fault(c, VEC_GP, sel_err(sel, 0));
    check_sys_desc_upper(c, sel, &d);
    if (!desc_present(&d))
        cpu_fault(c, VEC_NP, sel_err(sel, 0));
    d.hi |= 2u << 8;   /* busy */
    mmu_write(c, desc_addr(c, sel) + 5, (d.hi >> 8) & 0xff, 1, ACC_WRITE | ACC_IMPLICIT_SUPER);
    seg_from_desc(&c->tr, sel, &d);
    c->tr.base |= (uint64_t)d.hi2 << 32;
}

/* SLDT/STR: a register destination receives the zero-extended selector. */
static void op_sldt_str(struct cpu *c, const struct insn *i)
{
    sys_need_prot(c);
    need_umip_ok(c);
    if (c->vmx.nonroot)         /* "descriptor-table exiting" (SDM Vol. 3 25.1.3) */
        vmx_icpt_desc(c, i);
    uint16_t sel = i->id == X86_INS_SLDT ? c->ldtr.sel : c->tr.sel;
    if (i->op[0].kind == OPK_MEM)
        vwrite(c, i->seg, insn_ea(c, i), sel, 2);
    else
        reg_write(c, i->op[0].reg, sel, i->op[0].size < 4 ? i->op[0].size : 8);
}

/* Descriptor types LAR and LSL accept (SDM Vol. 2 LAR and LSL: the valid-type tables). */
static bool lar_type_ok(const struct cpu *c, const struct desc *d, bool lsl)
{
    if (desc_s(d))
        return true;
    bool lma = c->msr.efer & EFER_LMA;
    switch (desc_type(d)) {
    case DT_LDT: case DT_TSS_AVAIL: case DT_TSS_BUSY:
        return true;
    case DT_TSS16_AVAIL: case DT_TSS16_BUSY:
        return !lma;
    case DT_CALLGATE:
        return !lsl;
    case DT_CALLGATE16: case DT_TASKGATE:
        return !lsl && !lma;
    default:
        return false;
    }
}

/* The visibility rule shared by LAR, LSL, VERR, VERW: conforming code is always visible, anything
 * else needs DPL >= CPL and DPL >= RPL. */
static bool desc_visible(const struct cpu *c, uint16_t sel, const struct desc *d)
{
    if (desc_is_code(d) && (desc_type(d) & TY_C))
        return true;
    return desc_dpl(d) >= c->cpl && desc_dpl(d) >= (sel & 3u);
}

static void op_lar_lsl(struct cpu *c, const struct insn *i)
{
    sys_need_prot(c);
    bool lsl = i->id == X86_INS_LSL;
    uint16_t sel = sel_operand(c, i, 1);
    struct desc d;
    bool ok = (sel & 0xfffc) && desc_read_nofault(c, sel, &d) && lar_type_ok(c, &d, lsl) &&
              desc_visible(c, sel, &d);
    if (ok) {
        uint64_t v = lsl ? desc_limit(&d) : (d.hi & 0x00f0ff00u);
        unsigned sz = i->op[0].size;
        reg_write(c, i->op[0].reg, sz == 2 ? (v & 0xffff) : v, sz);
    }
    sys_set_zf(c, ok);
}

static void op_verr_verw(struct cpu *c, const struct insn *i)
{
    sys_need_prot(c);
    uint16_t sel = sel_operand(c, i, 0);
    struct desc d;
    bool ok = (sel & 0xfffc) && desc_read_nofault(c, sel, &d) && desc_s(&d);
    if (ok) {
        unsigned ty = desc_type(&d);
        if (i->id == X86_INS_VERR)
            ok = (!(ty & TY_CODE) || (ty & TY_R)) && desc_visible(c, sel, &d);
        else
            ok = !(ty & TY_CODE) && (ty & TY_W) && desc_visible(c, sel, &d);
    }
    sys_set_zf(c, ok);
}

/* ARPL r/m16, r16: raise the destination RPL to the source RPL (SDM Vol. 2 ARPL). */
static void op_arpl(struct cpu *c, const struct insn *i)
{
    sys_need_prot(c);
    uint16_t dst = (uint16_t)opnd_read(c, i, 0), src = (uint16_t)c->gpr[i->op[1].reg];
    if ((dst & 3) < (src & 3)) {
        opnd_write(c, i, 0, (dst & ~3u) | (src & 3u));
        sys_set_zf(c, true);
    } else {
        sys_set_zf(c, false);
    }
}

static int sel_nolock(struct insn *i)
{
    return (i->pfx & PFX_LOCK) ? -1 : 0;
}

static int sel_mem_only(struct insn *i)
{
    return (i->pfx & PFX_LOCK) || !i->nops || i->op[0].kind != OPK_MEM ? -1 : 0;
}

void sys_desc_register(void)
{
    op_reg(X86_INS_LGDT, op_lgdt_lidt, sel_mem_only, CLS_SERIAL);
    op_reg(X86_INS_LIDT, op_lgdt_lidt, sel_mem_only, CLS_SERIAL);
    op_reg(X86_INS_SGDT, op_sgdt_sidt, sel_mem_only, CLS_SYSTEM);
    op_reg(X86_INS_SIDT, op_sgdt_sidt, sel_mem_only, CLS_SYSTEM);
    op_reg(X86_INS_LLDT, op_lldt, sel_nolock, CLS_SERIAL);
    op_reg(X86_INS_LTR, op_ltr, sel_nolock, CLS_SERIAL);
    op_reg(X86_INS_SLDT, op_sldt_str, sel_nolock, CLS_SYSTEM);
    op_reg(X86_INS_STR, op_sldt_str, sel_nolock, CLS_SYSTEM);
    op_reg(X86_INS_LAR, op_lar_lsl, sel_nolock, CLS_SYSTEM);
    op_reg(X86_INS_LSL, op_lar_lsl, sel_nolock, CLS_SYSTEM);
    op_reg(X86_INS_VERR, op_verr_verw, sel_nolock, CLS_SYSTEM);
    op_reg(X86_INS_VERW, op_verr_verw, sel_nolock, CLS_SYSTEM);
    op_reg(X86_INS_ARPL, op_arpl, sel_nolock, CLS_SYSTEM);
}
