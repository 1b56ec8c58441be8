/* ops_branch.c — near control transfers: JMP (rel, r/m), Jcc, JCXZ/JECXZ/JRCXZ, LOOP/LOOPE/LOOPNE,
 * CALL (rel, r/m), RET, RET imm16 (SDM Vol. 2 pages of each). Far forms and IRET are system
 * handlers (Capstone gives them their own ids: LJMP, LCALL, RETF).
 *
 * Operand size: 64 bits by default in 64-bit mode (Vol. 1 Table 3-4), 16 with a 66 prefix as
 * Capstone decodes it (osz_stack, see ops_common.h and docs/ISA.md); the code-segment default
 * toggled by 66 elsewhere. The target is truncated to the operand size.
 *
 * Invariants:
 *  - branch_target() checks the target before anything is committed: #GP(0) if non-canonical in
 *    64-bit mode or beyond the CS limit in the other modes. CALL checks the target, then pushes
 *    (the push can fault), then sets RIP; RET reads the return address, checks it, then releases
 *    the stack; LOOP decrements rCX only once the target has been checked.
 *  - A taken branch sets c->block_end.
 *  - Condition codes come from the Capstone id (jcc_table), not the opcode byte.
 */
#include "cpu/ops.h"
#include "cpu/ops_common.h"
#include "cpu/stack.h"

uint64_t branch_target(struct cpu *c, uint64_t target, unsigned size)
{
    target = trunc_sz(target, size);
    if (c->mode == MODE_LONG64) {
        if (!lin_canonical(c, target))
            cpu_fault(c, VEC_GP, 0);
    } else if (target > c->seg[SEG_CS].limit) {
        cpu_fault(c, VEC_GP, 0);
    }
    return target;
}

void branch_near(struct cpu *c, uint64_t target, unsigned size)
{
    c->rip = branch_target(c, target, size);
    c->block_end = true;
}

/* 64-bit mode, 64-bit operand size: only the canonical check. */
OPS_INLINE void branch64(struct cpu *c, uint64_t target)
{
    if (__builtin_expect(!lin_canonical(c, target), 0))
        cpu_fault(c, VEC_GP, 0);
    c->rip = target;
    c->block_end = true;
}

/* True if select() can tell the instruction was decoded for 64-bit code with a 64-bit near
 * operand size: the address size is 64 only there, and no 66 prefix (or REX.W) is present. */
static bool is_near64(const struct insn *i)
{
    return i->asz == 8 && (i->pfx & (PFX_OPSIZE | PFX_REXW)) != PFX_OPSIZE;
}

/* ---- JMP ---- */

static void jmp_rel64(struct cpu *c, const struct insn *i)
{
    branch64(c, c->rip + (uint64_t)i->imm);
}
static void jmp_rel(struct cpu *c, const struct insn *i)
{
    branch_near(c, c->rip + (uint64_t)i->imm, osz_stack(c, i));
}

/* Near indirect target: the r/m operand read at the near operand size. */
static uint64_t near_rm(struct cpu *c, const struct insn *i, unsigned sz)
{
    if (i->op[0].kind == OPK_MEM)
        return vread(c, i->seg, insn_ea(c, i), sz);
    return reg_read(c, i->op[0].reg, sz);
}

static void jmp_rm(struct cpu *c, const struct insn *i)
{
    unsigned sz = osz_stack(c, i);
    branch_near(c, near_rm(c, i, sz), sz);
}

static int sel_jmp(struct insn *i)
{
    if (i->pfx & PFX_LOCK)
        return -1;
    if (i->nops != 1)
        return -1;
    if (i->op[0].kind == OPK_IMM)
        i->fn = is_near64(i) ? jmp_rel64 : jmp_rel;
    else if (i->op[0].kind == OPK_REG || i->op[0].kind == OPK_MEM)
        i->fn = jmp_rm;
    else
        return -1;
    return 0;
}

/* ---- Jcc ---- */

static const struct { uint16_t id; uint8_t cc; } jcc_table[16] = {
    { X86_INS_JO, 0 },  { X86_INS_JNO, 1 }, { X86_INS_JB, 2 },  { X86_INS_JAE, 3 },
    { X86_INS_JE, 4 },  { X86_INS_JNE, 5 }, { X86_INS_JBE, 6 }, { X86_INS_JA, 7 },
    { X86_INS_JS, 8 },  { X86_INS_JNS, 9 }, { X86_INS_JP, 10 }, { X86_INS_JNP, 11 },
    { X86_INS_JL, 12 }, { X86_INS_JGE, 13 }, { X86_INS_JLE, 14 }, { X86_INS_JG, 15 },
};

/* 64-bit code, one handler per condition so cond_fast() folds to the few tests it needs. */
#define JCC64(CC)                                                                             \
static void jcc64_##CC(struct cpu *c, const struct insn *i)                                   \
{                                                                                             \
    if (cond_fast(c, CC))                                                                     \
        branch64(c, c->rip + (uint64_t)i->imm);                                               \
}
JCC64(0) JCC64(1) JCC64(2) JCC64(3) JCC64(4) JCC64(5) JCC64(6) JCC64(7)
JCC64(8) JCC64(9) JCC64(10) JCC64(11) JCC64(12) JCC64(13) JCC64(14) JCC64(15)

static const insn_fn jcc64_fn[16] = {
    jcc64_0, jcc64_1, jcc64_2, jcc64_3, jcc64_4, jcc64_5, jcc64_6, jcc64_7,
    jcc64_8, jcc64_9, jcc64_10, jcc64_11, jcc64_12, jcc64_13, jcc64_14, jcc64_15,
};
static void jcc(struct cpu *c, const struct insn *i)
{
    if (cond_fast(c, i->aux))
        branch_near(c, c->rip + (uint64_t)i->imm, osz_stack(c, i));
}

static int sel_jcc(struct insn *i)
{
    int cc = -1;
    for (int k = 0; k < 16; k++)
        if (jcc_table[k].id == i->id)
            cc = jcc_table[k].cc;
    if (cc < 0 || i->nops != 1 || i->op[0].kind != OPK_IMM || (i->pfx & PFX_LOCK))
        return -1;
    i->aux = (uint8_t)cc;
    i->fn = is_near64(i) ? jcc64_fn[cc] : jcc;
    return 0;
}

/* ---- JCXZ / JECXZ / JRCXZ (aux = counter width) and LOOP/LOOPE/LOOPNE (width = asz) ---- */

static void op_jrcxz(struct cpu *c, const struct insn *i)
{
    if (reg_read(c, R_RCX, i->aux) == 0)
        branch_near(c, c->rip + (uint64_t)i->imm, osz_stack(c, i));
}

static int sel_jrcxz(struct insn *i)
{
    if (i->nops != 1 || i->op[0].kind != OPK_IMM || (i->pfx & PFX_LOCK))
        return -1;
    i->aux = i->id == X86_INS_JCXZ ? 2 : i->id == X86_INS_JECXZ ? 4 : 8;
    return 0;
}

/* aux: 0 LOOP, 1 LOOPE (ZF = 1), 2 LOOPNE (ZF = 0). */
static void op_loop(struct cpu *c, const struct insn *i)
{
    unsigned w = i->asz;
    uint64_t cnt = trunc_sz(reg_read(c, R_RCX, w) - 1, w);
    bool take = cnt != 0;
    if (take && i->aux)
        take = cond_fast(c, i->aux == 1 ? 4 : 5);     /* E / NE */
    if (take)
        branch_near(c, c->rip + (uint64_t)i->imm, osz_stack(c, i));
    reg_write(c, R_RCX, cnt, w);
}

static int sel_loop(struct insn *i)
{
    if (i->nops != 1 || i->op[0].kind != OPK_IMM || (i->pfx & PFX_LOCK))
        return -1;
    i->aux = i->id == X86_INS_LOOP ? 0 : i->id == X86_INS_LOOPE ? 1 : 2;
    return 0;
}

/* ---- CALL ---- */

static void call_rel64(struct cpu *c, const struct insn *i)
{
    uint64_t t = c->rip + (uint64_t)i->imm;
    if (__builtin_expect(!lin_canonical(c, t), 0))
        cpu_fault(c, VEC_GP, 0);
    stack_push(c, c->rip, 8);
    c->rip = t;
    c->block_end = true;
}

static void call_rel(struct cpu *c, const struct insn *i)
{
    unsigned sz = osz_stack(c, i);
    uint64_t t = branch_target(c, c->rip + (uint64_t)i->imm, sz);
    stack_push(c, c->rip, sz);
    c->rip = t;
    c->block_end = true;
}

static void call_rm(struct cpu *c, const struct insn *i)
{
    unsigned sz = osz_stack(c, i);
    uint64_t t = branch_target(c, near_rm(c, i, sz), sz);
    stack_push(c, c->rip, sz);
    c->rip = t;
    c->block_end = true;
}

static int sel_call(struct insn *i)
{
    if (i->pfx & PFX_LOCK)
        return -1;
    if (i->nops != 1)
        return -1;
    if (i->op[0].kind == OPK_IMM)
        i->fn = is_near64(i) ? call_rel64 : call_rel;
    else if (i->op[0].kind == OPK_REG || i->op[0].kind == OPK_MEM)
        i->fn = call_rm;
    else
        return -1;
    return 0;
}

/* ---- RET / RET imm16 ---- */

static void ret64(struct cpu *c, const struct insn *i)
{
    (void)i;
    uint64_t sp = c->gpr[R_RSP], t = vread(c, SEG_SS, sp, 8);
    if (__builtin_expect(!lin_canonical(c, t), 0))
        cpu_fault(c, VEC_GP, 0);
    c->gpr[R_RSP] = sp + 8;
    c->rip = t;
    c->block_end = true;
}

static void op_ret(struct cpu *c, const struct insn *i)
{
    unsigned sz = osz_stack(c, i);
    uint64_t t = branch_target(c, stack_read(c, 0, sz), sz);
    uint64_t release = sz + (i->nops ? (uint64_t)(uint16_t)i->imm : 0);
    stack_set_sp(c, stack_off(c, (int64_t)release));
    c->rip = t;
    c->block_end = true;
}

static int sel_ret(struct insn *i)
{
    if (i->pfx & PFX_LOCK)
        return -1;
    if (i->nops == 0 && is_near64(i) && !(i->pfx & PFX_REXW))
        i->fn = ret64;
    else
        i->fn = op_ret;
    return 0;
}

void ops_branch_register(void)
{
    op_reg(X86_INS_JMP, jmp_rel, sel_jmp, CLS_BRANCH);
    for (int k = 0; k < 16; k++)
        op_reg(jcc_table[k].id, jcc, sel_jcc, CLS_BRANCH);
    op_reg(X86_INS_JCXZ, op_jrcxz, sel_jrcxz, CLS_BRANCH);
    op_reg(X86_INS_JECXZ, op_jrcxz, sel_jrcxz, CLS_BRANCH);
    op_reg(X86_INS_JRCXZ, op_jrcxz, sel_jrcxz, CLS_BRANCH);
    op_reg(X86_INS_LOOP, op_loop, sel_loop, CLS_BRANCH);
    op_reg(X86_INS_LOOPE, op_loop, sel_loop, CLS_BRANCH);
    op_reg(X86_INS_LOOPNE, op_loop, sel_loop, CLS_BRANCH);
    op_reg(X86_INS_CALL, call_rel, sel_call, CLS_CALLRET);
    op_reg(X86_INS_RET, op_ret, sel_ret, CLS_CALLRET);
}
