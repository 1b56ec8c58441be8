/* sys_far.c — instructions that load segment registers: MOV Sreg, PUSH/POP Sreg, LDS/LES/LFS/
 * LGS/LSS, far JMP/CALL (code segments and call gates, incl. 64-bit call gates), far RET and
 * IRET/IRETD/IRETQ in every mode (SDM Vol. 2 pages of each; Vol. 3 5.8 for gates, 6.14.3 for IRET
 * in IA-32e mode). Also sys_select_shared(), which claims the MOV/PUSH/POP forms with segment,
 * control and debug registers for the system handlers (ops.h).
 *
 * Invariants: every handler reads all of its memory operands and stack slots and passes every
 * check before it changes a register (seg_* commit last); a CS load always sets CS.RPL = CPL.
 * Task switches (TSS or task-gate targets, IRET with NT = 1) and returns to virtual-8086 mode stop
 * the machine with STOP_SHUTDOWN_UNSUPPORTED.
 */
#include "cpu/ops.h"
#include "cpu/sys_ops.h"
#include "cpu/sys_seg.h"
#include "mmu/mmu.h"
#include "sim/bus.h"

uint64_t sys_insn_bytes(struct cpu *c, unsigned off, unsigned size)
{
    uint64_t v = 0;
    for (unsigned k = 0; k < size; k++) {
        uint64_t eip = c->insn_start + off + k, lin;
        if (c->mode == MODE_LONG64)
            lin = eip;
        else
            lin = (c->seg[SEG_CS].base + (eip & 0xffffffffull)) & 0xffffffffull;
        v |= (bus_read(c->bus, mmu_fetch_pa(c, lin), 1) & 0xff) << (8 * k);
    }
    return v;
}

/* ------------------------------------------------------------------ MOV / PUSH / POP Sreg */

static void op_mov_to_sreg(struct cpu *c, const struct insn *i)
{
    int seg = i->op[0].reg;
    uint16_t sel = (uint16_t)(i->op[1].kind == OPK_MEM ? vread(c, i->seg, insn_ea(c, i), 2)
                                                        : c->gpr[i->op[1].reg]);
    seg_load_data(c, seg, sel);
    if (seg == SEG_SS) {
        c->intr_shadow = 2;     /* SDM Vol. 3 6.8.3: MOV SS blocks events for one instruction */
        c->block_end = true;
    }
}

/* MOV r/m, Sreg: a register destination of 32/64 bits receives the zero-extended selector (P6
 * and later), a memory destination is always 16 bits (SDM Vol. 2 MOV). */
static void op_mov_from_sreg(struct cpu *c, const struct insn *i)
{
    uint16_t sel = c->seg[i->op[1].reg].sel;
    if (i->op[0].kind == OPK_MEM)
        vwrite(c, i->seg, insn_ea(c, i), sel, 2);
    else
        reg_write(c, i->op[0].reg, sel, i->op[0].size);
}

/* PUSH Sreg: RSP moves by the operand size; recent Intel cores store only 16 bits. */
static void op_push_sreg(struct cpu *c, const struct insn *i)
{
    unsigned osz = sys_stack_osz(c, i);
    stack_write(c, -(int64_t)osz, c->seg[i->op[0].reg].sel, 2);
    stack_set_sp(c, stack_off(c, -(int64_t)osz));
}

static void op_pop_sreg(struct cpu *c, const struct insn *i)
{
    unsigned osz = sys_stack_osz(c, i), width = c->stack_size;
    int seg = i->op[0].reg;
    uint16_t sel = (uint16_t)stack_read(c, 0, osz);
    uint64_t sp = stack_off(c, (int64_t)osz);
    seg_load_data(c, seg, sel);
    reg_write(c, R_RSP, sp, width);
    if (seg == SEG_SS) {
        c->intr_shadow = 2;
        c->block_end = true;
    }
}

/* LDS/LES/LFS/LGS/LSS r, m16:16/32/64: offset then selector (SDM Vol. 2 LDS...). */
static void op_lxs(struct cpu *c, const struct insn *i)
{
    if (i->op[1].kind != OPK_MEM)
        cpu_fault_noerr(c, VEC_UD);
    unsigned osz = i->op[0].size;
    uint64_t ea = insn_ea(c, i);
    uint64_t off = vread(c, i->seg, ea, osz);
    uint16_t sel = (uint16_t)vread(c, i->seg, trunc_sz(ea + osz, i->asz), 2);
    seg_load_data(c, i->aux, sel);
    reg_write(c, i->op[0].reg, off, osz);
}

static int sel_lxs(struct insn *i)
{
    switch (i->id) {
    case X86_INS_LDS: i->aux = SEG_DS; break;
    case X86_INS_LES: i->aux = SEG_ES; break;
    case X86_INS_LFS: i->aux = SEG_FS; break;
    case X86_INS_LGS: i->aux = SEG_GS; break;
    default: i->aux = SEG_SS; break;
    }
    return (i->pfx & PFX_LOCK) || i->nops != 2 || i->op[1].kind != OPK_MEM ? -1 : 0;
}

/* ------------------------------------------------------------------ far JMP / CALL */

/* The selector:offset of a far JMP/CALL: direct ptr16:16/32 (bytes at the end of the instruction)
 * or m16:16/32/64. */
static void far_pointer(struct cpu *c, const struct insn *i, unsigned osz, uint16_t *sel,
                        uint64_t *off)
{
    if (i->op[0].kind == OPK_MEM) {
        uint64_t ea = insn_ea(c, i);
        *off = vread(c, i->seg, ea, osz);
        *sel = (uint16_t)vread(c, i->seg, trunc_sz(ea + osz, i->asz), 2);
    } else {
        *off = sys_insn_bytes(c, i->len - 2 - osz, osz);
        *sel = (uint16_t)sys_insn_bytes(c, i->len - 2, 2);
    }
}

/* Real-address and virtual-8086 mode: CS = sel, (E)IP = off; CALL pushes CS and (E)IP. */
static void far_real(struct cpu *c, uint16_t sel, uint64_t off, unsigned osz, bool call)
{
    off = trunc_sz(off, osz);
    if (call) {
        stack_write(c, -(int64_t)osz, c->seg[SEG_CS].sel, osz);
        stack_write(c, -2 * (int64_t)osz, c->rip, osz);
        stack_set_sp(c, stack_off(c, -2 * (int64_t)osz));
    }
    seg_load_real(c, SEG_CS, sel);
    c->rip = off;
    cpu_update_mode(c);
    c->block_end = true;
}

/* Target offset check: canonical for a 64-bit code segment, else within the limit. */
static void check_target_ip(struct cpu *c, const struct desc *d, uint64_t ip)
{
    bool to64 = (c->msr.efer & EFER_LMA) && (desc_ar(d) & AR_L);
    if (to64 ? !sys_canonical(c, ip) : ip > desc_limit(d))
        cpu_fault(c, VEC_GP, 0);
}

/* Push the return CS:IP of a far CALL on the current stack and commit. */
static void push_return(struct cpu *c, unsigned size)
{
    stack_write(c, -(int64_t)size, c->seg[SEG_CS].sel, size);
    stack_write(c, -2 * (int64_t)size, c->rip, size);
}

/* Far CALL through a call gate to a more privileged non-conforming segment (SDM Vol. 2 CALL,
 * MORE-PRIVILEGE; Vol. 3 5.8.5, Figure 5-13): new stack from the TSS, parameters copied for
 * legacy gates. */
static void call_gate_inner(struct cpu *c, uint16_t tsel, struct desc *td, uint64_t off,
                            unsigned psize, unsigned nparams)
{
    unsigned dpl = desc_dpl(td), cpl = c->cpl;
    bool lma = c->msr.efer & EFER_LMA;
    uint16_t nss;
    uint64_t nsp;
    struct desc sd;
    tss_stack(c, dpl, 0, 0, &nss, &nsp);
    struct frame f = { .sp = nsp, .acc = cpl == 3 ? ACC_IMPLICIT_SUPER : 0 };
    if (lma) {
        f.width = 8;
        f.ss_err = 0;
    } else {
        seg_check_ss(c, nss, dpl, &sd, VEC_TS, 0, false);
        seg_from_desc(&f.ss, nss, &sd);
        f.width = (sd.hi & (1u << 22)) ? 4 : 2;
        f.ss_err = sel_err(nss, 0);
    }
    check_target_ip(c, td, off);
    uint64_t old_sp = stack_sp(c);
    frame_push(c, &f, c->seg[SEG_SS].sel, psize);
    frame_push(c, &f, c->gpr[R_RSP], psize);
    for (int k = (int)nparams - 1; k >= 0; k--)
        frame_push(c, &f, vread(c, SEG_SS, trunc_sz(old_sp + (uint64_t)k * psize, c->stack_size),
                                psize), psize);
    frame_push(c, &f, c->seg[SEG_CS].sel, psize);
    frame_push(c, &f, c->rip, psize);
    desc_set_accessed(c, tsel, td);
    if (lma) {
        seg_commit_ss(c, (uint16_t)dpl, NULL, dpl);
        c->gpr[R_RSP] = f.sp;
    } else {
        desc_set_accessed(c, nss, &sd);
        seg_commit_ss(c, nss, &sd, dpl);
        c->gpr[R_RSP] = f.width == 4 ? (uint32_t)f.sp : ((nsp & ~0xffffull) | f.sp);
    }
    seg_commit_cs(c, tsel, td, dpl, off);
}

/* Far JMP/CALL through a call gate (SDM Vol. 2 JMP and CALL, "call gate"; Vol. 3 5.8.3-5.8.4). */
static void far_gate(struct cpu *c, uint16_t gsel, struct desc *g, bool call)
{
    unsigned cpl = c->cpl;
    bool lma = c->msr.efer & EFER_LMA;
    if (desc_dpl(g) < cpl || (gsel & 3u) > desc_dpl(g))
        cpu_fault(c, VEC_GP, sel_err(gsel, 0));
    if (!desc_present(g))
        cpu_fault(c, VEC_NP, sel_err(gsel, 0));
    if (lma) {
        desc_read(c, gsel, g, VEC_GP, 0, true);
        if (g->hi3 & 0x1f00)
            cpu_fault(c, VEC_GP, sel_err(gsel, 0));
    }
    unsigned psize = lma ? 8 : desc_type(g) == DT_CALLGATE ? 4 : 2;
    uint16_t tsel = gate_sel(g);
    uint64_t off = psize == 8 ? gate_offset(g)
                 : psize == 4 ? ((g->lo & 0xffffu) | (g->hi & 0xffff0000u)) : (g->lo & 0xffffu);
    struct desc td;
    if ((tsel & 0xfffc) == 0)
        cpu_fault(c, VEC_GP, 0);
    desc_read(c, tsel, &td, VEC_GP, 0, false);
    unsigned dpl = desc_dpl(&td);
    bool conforming = desc_type(&td) & TY_C;
    if (!desc_is_code(&td) || dpl > cpl)
        cpu_fault(c, VEC_GP, sel_err(tsel, 0));
    if (!call && !conforming && dpl != cpl)
        cpu_fault(c, VEC_GP, sel_err(tsel, 0));
    if (!desc_present(&td))
        cpu_fault(c, VEC_NP, sel_err(tsel, 0));
    if (lma && (!(desc_ar(&td) & AR_L) || (desc_ar(&td) & AR_DB)))
        cpu_fault(c, VEC_GP, sel_err(tsel, 0));
    if (call && !conforming && dpl < cpl) {
        call_gate_inner(c, tsel, &td, off, psize, lma ? 0 : gate_params(g));
        return;
    }
    check_target_ip(c, &td, off);
    if (call) {
        push_return(c, psize);
        desc_set_accessed(c, tsel, &td);
        stack_set_sp(c, stack_off(c, -2 * (int64_t)psize));
    } else {
        desc_set_accessed(c, tsel, &td);
    }
    seg_commit_cs(c, tsel, &td, cpl, off);
}

/* Protected-mode far JMP/CALL (SDM Vol. 2 JMP, CALL: PROTECTED MODE / IA-32e MODE). */
static void far_prot(struct cpu *c, uint16_t sel, uint64_t off, unsigned osz, bool call)
{
    unsigned cpl = c->cpl, rpl = sel & 3u;
    bool lma = c->msr.efer & EFER_LMA;
    struct desc d;
    if ((sel & 0xfffc) == 0)
        cpu_fault(c, VEC_GP, 0);
    desc_read(c, sel, &d, VEC_GP, 0, false);
    if (desc_s(&d)) {
        unsigned dpl = desc_dpl(&d);
        if (!desc_is_code(&d))
            cpu_fault(c, VEC_GP, sel_err(sel, 0));
        if (desc_type(&d) & TY_C ? dpl > cpl : (rpl > cpl || dpl != cpl))
            cpu_fault(c, VEC_GP, sel_err(sel, 0));
        if (!desc_present(&d))
            cpu_fault(c, VEC_NP, sel_err(sel, 0));
        if (lma && (desc_ar(&d) & AR_L) && (desc_ar(&d) & AR_DB))
            cpu_fault(c, VEC_GP, sel_err(sel, 0));
        if (!(lma && (desc_ar(&d) & AR_L)))
            off = trunc_sz(off, osz);
        check_target_ip(c, &d, off);
        if (call)
            push_return(c, osz);
        desc_set_accessed(c, sel, &d);
        if (call)
            stack_set_sp(c, stack_off(c, -2 * (int64_t)osz));
        seg_commit_cs(c, sel, &d, cpl, off);
        return;
    }
    switch (desc_type(&d)) {
    case DT_CALLGATE:
        far_gate(c, sel, &d, call);
        return;
    case DT_CALLGATE16:
        if (lma)
            break;
        far_gate(c, sel, &d, call);
        return;
    case DT_TASKGATE:
    case DT_TSS16_AVAIL:
    case DT_TSS_AVAIL:
        if (lma)
            break;
        sys_unsupported(c, call ? "far CALL to a TSS or task gate (task switch)"
                                : "far JMP to a TSS or task gate (task switch)");
        return;
    default:
        break;
    }
    cpu_fault(c, VEC_GP, sel_err(sel, 0));
}

static void op_far_jmp_call(struct cpu *c, const struct insn *i)
{
    unsigned osz = sys_osz(c, i);
    bool call = i->id == X86_INS_LCALL;
    if (i->op[0].kind != OPK_MEM && c->mode == MODE_LONG64)
        cpu_fault_noerr(c, VEC_UD);       /* JMP/CALL ptr16:xx is invalid in 64-bit mode */
    if (i->op[0].kind != OPK_MEM && osz == 8)
        osz = 4;
    uint16_t sel;
    uint64_t off;
    far_pointer(c, i, osz, &sel, &off);
    if (sys_prot(c))
        far_prot(c, sel, off, osz, call);
    else
        far_real(c, sel, off, osz, call);
}

static int sel_far_jmp_call(struct insn *i)
{
    if (i->pfx & PFX_LOCK)
        return -1;
    return i->nops >= 1 && (i->op[0].kind == OPK_MEM || i->op[0].kind == OPK_IMM) ? 0 : -1;
}

/* ------------------------------------------------------------------ far RET */

/* Check the code segment of a far RET/IRET return (SDM Vol. 2 RET, IRET: "return code segment"). */
static void check_return_cs(struct cpu *c, uint16_t sel, struct desc *d)
{
    unsigned rpl = sel & 3u;
    if ((sel & 0xfffc) == 0)
        cpu_fault(c, VEC_GP, 0);
    desc_read(c, sel, d, VEC_GP, 0, false);
    if (!desc_is_code(d) || rpl < c->cpl)
        cpu_fault(c, VEC_GP, sel_err(sel, 0));
    if (desc_type(d) & TY_C ? desc_dpl(d) > rpl : desc_dpl(d) != rpl)
        cpu_fault(c, VEC_GP, sel_err(sel, 0));
    if (!desc_present(d))
        cpu_fault(c, VEC_NP, sel_err(sel, 0));
    if ((c->msr.efer & EFER_LMA) && (desc_ar(d) & AR_L) && (desc_ar(d) & AR_DB))
        cpu_fault(c, VEC_GP, sel_err(sel, 0));
}

/* Load SS:RSP popped by an outer-level RET/IRET (or 64-bit IRET) after the checks (the
 * accessed bit of the SS descriptor was set before anything was committed). */
static void commit_popped_stack(struct cpu *c, uint16_t nss, bool have_desc, struct desc *sd,
                                unsigned rpl, uint64_t nsp)
{
    seg_commit_ss(c, nss, have_desc ? sd : NULL, rpl);
    c->gpr[R_RSP] = nsp;
}

static void op_retf(struct cpu *c, const struct insn *i)
{
    unsigned osz = sys_osz(c, i);
    uint64_t imm = i->nops ? (uint16_t)i->imm : 0;
    uint64_t ip = stack_read(c, 0, osz);
    uint16_t sel = (uint16_t)stack_read(c, osz, 2);
    if (!sys_prot(c)) {
        stack_set_sp(c, stack_off(c, 2 * (int64_t)osz + (int64_t)imm));
        seg_load_real(c, SEG_CS, sel);
        c->rip = trunc_sz(ip, osz);
        cpu_update_mode(c);
        c->block_end = true;
        return;
    }
    struct desc d, sd;
    check_return_cs(c, sel, &d);
    unsigned rpl = sel & 3u;
    bool to64 = (c->msr.efer & EFER_LMA) && (desc_ar(&d) & AR_L);
    if (!to64)
        ip = trunc_sz(ip, osz);
    if (rpl == c->cpl) {
        check_target_ip(c, &d, ip);
        desc_set_accessed(c, sel, &d);
        stack_set_sp(c, stack_off(c, 2 * (int64_t)osz + (int64_t)imm));
        seg_commit_cs(c, sel, &d, rpl, ip);
        return;
    }
    /* RETURN-TO-OUTER-PRIVILEGE-LEVEL */
    uint64_t nsp = stack_read(c, 2 * (int64_t)osz + (int64_t)imm, osz);
    uint16_t nss = (uint16_t)stack_read(c, 3 * (int64_t)osz + (int64_t)imm, 2);
    bool have = seg_check_ss(c, nss, rpl, &sd, VEC_GP, 0, to64 && rpl != 3);
    check_target_ip(c, &d, ip);
    desc_set_accessed(c, sel, &d);
    if (have)
        desc_set_accessed(c, nss, &sd);
    seg_commit_cs(c, sel, &d, rpl, ip);
    unsigned width = to64 ? 8 : (have && (sd.hi & (1u << 22))) ? 4 : 2;
    uint64_t sp = trunc_sz(nsp + imm, width);
    if (width == 2)
        sp |= c->gpr[R_RSP] & ~0xffffull;
    commit_popped_stack(c, nss, have, &sd, rpl, sp);
    seg_null_inaccessible(c);
}

/* ------------------------------------------------------------------ IRET */

/* RFLAGS after IRET in protected/IA-32e mode (SDM Vol. 2 IRET, RETURN-TO-SAME/OUTER-PRIVILEGE):
 * IF only if CPL <= IOPL, IOPL/VIF/VIP only at CPL 0, VM never (no virtual-8086 return here). */
static uint64_t iret_flags(struct cpu *c, uint64_t img, unsigned osz)
{
    uint64_t old = cpu_get_rflags(c);
    unsigned cpl = c->cpl, iopl = (old >> 12) & 3;
    uint64_t m = RF_ARITH | RF_TF | RF_DF | RF_NT;
    if (osz >= 4)
        m |= RF_RF | RF_AC | RF_ID;
    if (cpl <= iopl)
        m |= RF_IF;
    if (cpl == 0) {
        m |= RF_IOPL;
        if (osz >= 4)
            m |= RF_VIF | RF_VIP;
    }
    return (old & ~m) | (img & m);
}

static void iret_real(struct cpu *c, unsigned osz)
{
    uint64_t ip = stack_read(c, 0, osz);
    uint16_t sel = (uint16_t)stack_read(c, osz, 2);
    uint64_t fl = stack_read(c, 2 * (int64_t)osz, osz);
    if (ip > 0xffff && !(c->seg[SEG_CS].ar & AR_DB))
        cpu_fault(c, VEC_GP, 0);
    uint64_t old = cpu_get_rflags(c);
    uint64_t nf = osz == 4 ? ((fl & 0x257fd5u) | (old & 0x1a0000u))
                           : ((old & ~0xffffull) | (fl & 0xffff));
    stack_set_sp(c, stack_off(c, 3 * (int64_t)osz));
    seg_load_real(c, SEG_CS, sel);
    c->rip = ip;
    cpu_set_rflags(c, nf);
    cpu_update_mode(c);
    c->block_end = true;
}

/* IRET ends NMI blocking (SDM Vol. 3 6.7.1), also when it then faults: the unblocking comes
 * first. In VMX non-root operation the VM-execution controls decide what it unblocks and a VM
 * exit of its fault reports it (vmx_iret_begin, SDM Vol. 3 25.3, 28.2.2). */
static void iret_unblock_nmi(struct cpu *c)
{
    if (c->vmx.nonroot)
        vmx_iret_begin(c);
    else
        c->nmi_blocked = false;
}

static void op_iret(struct cpu *c, const struct insn *i)
{
    unsigned osz = i->id == X86_INS_IRETQ ? 8 : i->id == X86_INS_IRETD ? 4 : 2;
    bool lma = c->msr.efer & EFER_LMA;
    iret_unblock_nmi(c);
    if (c->mode == MODE_REAL) {
        iret_real(c, osz);
        if (c->vmx.nonroot)
            vmx_iret_done(c);
        return;
    }
    if (c->mode == MODE_VM86) {
        sys_unsupported(c, "IRET in virtual-8086 mode");
        return;
    }
    if (cpu_get_rflags(c) & RF_NT) {
        if (lma)
            cpu_fault(c, VEC_GP, 0);
        sys_unsupported(c, "IRET with NT=1 (return from a nested task)");
        return;
    }
    uint64_t ip = stack_read(c, 0, osz);
    uint16_t sel = (uint16_t)stack_read(c, osz, 2);
    uint64_t fl = stack_read(c, 2 * (int64_t)osz, osz);
    if (!lma && (fl & RF_VM) && c->cpl == 0) {
        sys_unsupported(c, "IRET to virtual-8086 mode");
        return;
    }
    struct desc d, sd;
    check_return_cs(c, sel, &d);
    unsigned rpl = sel & 3u;
    bool to64 = lma && (desc_ar(&d) & AR_L);
    bool pop_ss = rpl > c->cpl || c->mode == MODE_LONG64;
    uint64_t nsp = 0;
    uint16_t nss = 0;
    bool have = false;
    if (pop_ss) {
        nsp = stack_read(c, 3 * (int64_t)osz, osz);
        nss = (uint16_t)stack_read(c, 4 * (int64_t)osz, 2);
        have = seg_check_ss(c, nss, rpl, &sd, VEC_GP, 0, to64 && rpl != 3);
    }
    if (!to64)
        ip = trunc_sz(ip, osz);
    check_target_ip(c, &d, ip);
    uint64_t nf = iret_flags(c, fl, osz);
    bool outer = rpl > c->cpl;
    uint64_t sp_after = stack_off(c, 3 * (int64_t)osz);
    desc_set_accessed(c, sel, &d);
    if (have)
        desc_set_accessed(c, nss, &sd);
    seg_commit_cs(c, sel, &d, rpl, ip);
    cpu_set_rflags(c, nf);
    if (pop_ss) {
        unsigned width = c->mode == MODE_LONG64 ? 8 : (have && (sd.hi & (1u << 22))) ? 4 : 2;
        uint64_t sp = trunc_sz(nsp, width);
        if (width == 2)
            sp |= c->gpr[R_RSP] & ~0xffffull;
        commit_popped_stack(c, nss, have, &sd, rpl, sp);
    } else {
        reg_write(c, R_RSP, sp_after, c->stack_size);
    }
    if (outer)
        seg_null_inaccessible(c);
    if (c->vmx.nonroot)
        vmx_iret_done(c);
    cpu_update_mode(c);
    c->block_end = true;
}

/* ------------------------------------------------------------------ shared ids */

/* MOV/PUSH/POP with a segment, control or debug register (ops.h). CS is never a destination. */
int sys_select_shared(struct insn *i)
{
    if (i->pfx & PFX_LOCK)
        return -1;
    const struct opnd *d = &i->op[0], *s = &i->op[1];
    switch (i->id) {
    case X86_INS_MOV:
        if (d->kind == OPK_SEG) {
            if (d->reg == SEG_CS || d->reg >= SEG_NSEG)
                return -1;
            i->fn = op_mov_to_sreg;
            i->cls = CLS_FAR;
            return 0;
        }
        if (s->kind == OPK_SEG) {
            if (s->reg >= SEG_NSEG)
                return -1;
            i->fn = op_mov_from_sreg;
            i->cls = CLS_MOV;
            return 0;
        }
        if (d->kind == OPK_CR || s->kind == OPK_CR) {
            unsigned n = d->kind == OPK_CR ? d->reg : s->reg;
            if (n != 0 && n != 2 && n != 3 && n != 4 && n != 8)
                return -1;
            i->fn = d->kind == OPK_CR ? sys_op_mov_to_cr : sys_op_mov_from_cr;
            i->cls = CLS_SERIAL;
            return 0;
        }
        if (d->kind == OPK_DR || s->kind == OPK_DR) {
            i->fn = d->kind == OPK_DR ? sys_op_mov_to_dr : sys_op_mov_from_dr;
            i->cls = CLS_SYSTEM;
            return 0;
        }
        return -1;
    case X86_INS_PUSH:
        if (d->kind != OPK_SEG || d->reg >= SEG_NSEG)
            return -1;
        i->fn = op_push_sreg;
        i->cls = CLS_STACK;
        return 0;
    case X86_INS_POP:
        if (d->kind != OPK_SEG || d->reg == SEG_CS || d->reg >= SEG_NSEG)
            return -1;
        i->fn = op_pop_sreg;
        i->cls = CLS_FAR;
        return 0;
    default:
        return -1;
    }
}

static int sel_nolock(struct insn *i)
{
    return (i->pfx & PFX_LOCK) ? -1 : 0;
}

void sys_far_register(void)
{
    op_reg(X86_INS_LDS, op_lxs, sel_lxs, CLS_FAR);
    op_reg(X86_INS_LES, op_lxs, sel_lxs, CLS_FAR);
    op_reg(X86_INS_LFS, op_lxs, sel_lxs, CLS_FAR);
    op_reg(X86_INS_LGS, op_lxs, sel_lxs, CLS_FAR);
    op_reg(X86_INS_LSS, op_lxs, sel_lxs, CLS_FAR);
    op_reg(X86_INS_LJMP, op_far_jmp_call, sel_far_jmp_call, CLS_FAR);
    op_reg(X86_INS_LCALL, op_far_jmp_call, sel_far_jmp_call, CLS_FAR);
    op_reg(X86_INS_RETF, op_retf, sel_nolock, CLS_FAR);
    op_reg(X86_INS_RETFQ, op_retf, sel_nolock, CLS_FAR);
    op_reg(X86_INS_IRET, op_iret, sel_nolock, CLS_INT);
    op_reg(X86_INS_IRETD, op_iret, sel_nolock, CLS_INT);
    op_reg(X86_INS_IRETQ, op_iret, sel_nolock, CLS_INT);
}
