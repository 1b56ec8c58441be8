/* ops_cond.c — conditional moves and sets: CMOVcc and SETcc (SDM Vol. 2 CMOVcc, SETcc; condition
 * codes of Vol. 1 Appendix B), and the flag instructions CMC CLC STC CLD STD LAHF SAHF SALC.
 *
 * Invariants:
 *  - CMOVcc reads its source even when the condition is false (a memory source can fault), and a
 *    32-bit destination is zero-extended to 64 bits whether or not the move happens.
 *  - The condition code is taken from the Capstone id (cc_table), never from the opcode byte.
 */
#include "cpu/ops.h"
#include "cpu/ops_common.h"

/* Condition codes (the low nibble of the Jcc/SETcc/CMOVcc opcodes, SDM Vol. 2 B.1.4.7). */
enum { CC_O, CC_NO, CC_B, CC_NB, CC_E, CC_NE, CC_BE, CC_A, CC_S, CC_NS, CC_P, CC_NP, CC_L,
       CC_GE, CC_LE, CC_G };

static const struct { uint16_t cmov, set; uint8_t cc; } cc_table[16] = {
    { X86_INS_CMOVO,  X86_INS_SETO,  CC_O },  { X86_INS_CMOVNO, X86_INS_SETNO, CC_NO },
    { X86_INS_CMOVB,  X86_INS_SETB,  CC_B },  { X86_INS_CMOVAE, X86_INS_SETAE, CC_NB },
    { X86_INS_CMOVE,  X86_INS_SETE,  CC_E },  { X86_INS_CMOVNE, X86_INS_SETNE, CC_NE },
    { X86_INS_CMOVBE, X86_INS_SETBE, CC_BE }, { X86_INS_CMOVA,  X86_INS_SETA,  CC_A },
    { X86_INS_CMOVS,  X86_INS_SETS,  CC_S },  { X86_INS_CMOVNS, X86_INS_SETNS, CC_NS },
    { X86_INS_CMOVP,  X86_INS_SETP,  CC_P },  { X86_INS_CMOVNP, X86_INS_SETNP, CC_NP },
    { X86_INS_CMOVL,  X86_INS_SETL,  CC_L },  { X86_INS_CMOVGE, X86_INS_SETGE, CC_GE },
    { X86_INS_CMOVLE, X86_INS_SETLE, CC_LE }, { X86_INS_CMOVG,  X86_INS_SETG,  CC_G },
};

static int cc_of(unsigned id)
{
    for (int k = 0; k < 16; k++)
        if (cc_table[k].cmov == id || cc_table[k].set == id)
            return cc_table[k].cc;
    return -1;
}

/* ---- CMOVcc ---- */

static void cmov_rr2(struct cpu *c, const struct insn *i)
{
    if (cond_fast(c, i->aux))
        reg_write(c, i->op[0].reg, c->gpr[i->op[1].reg], 2);
}
static void cmov_rr4(struct cpu *c, const struct insn *i)
{
    unsigned d = i->op[0].reg;
    c->gpr[d] = (uint32_t)(cond_fast(c, i->aux) ? c->gpr[i->op[1].reg] : c->gpr[d]);
}
static void cmov_rr8(struct cpu *c, const struct insn *i)
{
    if (cond_fast(c, i->aux))
        c->gpr[i->op[0].reg] = c->gpr[i->op[1].reg];
}
static void cmov_rm2(struct cpu *c, const struct insn *i)
{
    uint64_t v = vread(c, i->seg, insn_ea(c, i), 2);
    if (cond_fast(c, i->aux))
        reg_write(c, i->op[0].reg, v, 2);
}
static void cmov_rm4(struct cpu *c, const struct insn *i)
{
    unsigned d = i->op[0].reg;
    uint64_t v = vread(c, i->seg, insn_ea(c, i), 4);
    c->gpr[d] = (uint32_t)(cond_fast(c, i->aux) ? v : c->gpr[d]);
}
static void cmov_rm8(struct cpu *c, const struct insn *i)
{
    uint64_t v = vread(c, i->seg, insn_ea(c, i), 8);
    if (cond_fast(c, i->aux))
        c->gpr[i->op[0].reg] = v;
}

static int sel_cmov(struct insn *i)
{
    int cc = cc_of(i->id);
    const struct opnd *d = &i->op[0], *s = &i->op[1];
    if (cc < 0 || i->nops != 2 || d->kind != OPK_REG || d->size < 2 || (i->pfx & PFX_LOCK))
        return -1;
    if (s->kind != OPK_REG && s->kind != OPK_MEM)
        return -1;
    i->aux = (uint8_t)cc;
    static const insn_fn rr[4] = { NULL, cmov_rr2, cmov_rr4, cmov_rr8 };
    static const insn_fn rm[4] = { NULL, cmov_rm2, cmov_rm4, cmov_rm8 };
    i->fn = (s->kind == OPK_REG ? rr : rm)[size_log2(d->size)];
    return 0;
}

/* ---- SETcc ---- */

static void set_r(struct cpu *c, const struct insn *i)
{
    reg_write(c, i->op[0].reg, cond_fast(c, i->aux), 1);
}
static void set_m(struct cpu *c, const struct insn *i)
{
    vwrite(c, i->seg, insn_ea(c, i), cond_fast(c, i->aux), 1);
}
static void set_generic(struct cpu *c, const struct insn *i)
{
    dst_store(c, i, 0, cond_fast(c, i->aux));
}

static int sel_set(struct insn *i)
{
    int cc = cc_of(i->id);
    if (cc < 0 || i->nops != 1 || (i->pfx & PFX_LOCK))
        return -1;
    i->aux = (uint8_t)cc;
    switch (i->op[0].kind) {
    case OPK_REG: i->fn = set_r; break;
    case OPK_MEM: i->fn = set_m; break;
    case OPK_REGH: i->fn = set_generic; break;
    default: return -1;
    }
    return 0;
}

/* ---- flag instructions (SDM Vol. 2 CMC, CLC, STC, CLD, STD, LAHF, SAHF) ---- */

static void op_cmc(struct cpu *c, const struct insn *i) { (void)i; flags_get(c); c->rflags ^= RF_CF; }
static void op_clc(struct cpu *c, const struct insn *i) { (void)i; flags_set_arith(c, RF_CF, 0); }
static void op_stc(struct cpu *c, const struct insn *i) { (void)i; flags_set_arith(c, RF_CF, RF_CF); }
static void op_cld(struct cpu *c, const struct insn *i) { (void)i; c->rflags &= ~(uint64_t)RF_DF; }
static void op_std(struct cpu *c, const struct insn *i) { (void)i; c->rflags |= RF_DF; }

/* AH := SF:ZF:0:AF:0:PF:1:CF. 64-bit mode needs CPUID 8000_0001h:ECX.LAHF-SAHF[bit 0], which
 * every model we ship reports. */
static void op_lahf(struct cpu *c, const struct insn *i)
{
    (void)i;
    uint64_t f = flags_get(c);
    *cpu_reg8h(c, R_RAX) = (uint8_t)((f & (RF_SF | RF_ZF | RF_AF | RF_PF | RF_CF)) | RF_FIXED1);
}

/* SF ZF AF PF CF := AH bits 7 6 4 2 0; OF unchanged. */
static void op_sahf(struct cpu *c, const struct insn *i)
{
    (void)i;
    uint64_t ah = *cpu_reg8h(c, R_RAX);
    flags_set_arith(c, RF_SF | RF_ZF | RF_AF | RF_PF | RF_CF, ah);
}

/* SALC (D6, undocumented, invalid in 64-bit mode where Capstone does not decode it):
 * AL := CF ? FFh : 00h, flags unchanged. */
static void op_salc(struct cpu *c, const struct insn *i)
{
    (void)i;
    reg_write(c, R_RAX, flag_cf(c) ? 0xff : 0, 1);
}

static int sel_nolock(struct insn *i)
{
    return (i->pfx & PFX_LOCK) ? -1 : 0;
}

void ops_cond_register(void)
{
    for (int k = 0; k < 16; k++) {
        op_reg(cc_table[k].cmov, cmov_rr8, sel_cmov, CLS_MOV);
        op_reg(cc_table[k].set, set_generic, sel_set, CLS_ALU);
    }
    op_reg(X86_INS_CMC, op_cmc, sel_nolock, CLS_ALU);
    op_reg(X86_INS_CLC, op_clc, sel_nolock, CLS_ALU);
    op_reg(X86_INS_STC, op_stc, sel_nolock, CLS_ALU);
    op_reg(X86_INS_CLD, op_cld, sel_nolock, CLS_ALU);
    op_reg(X86_INS_STD, op_std, sel_nolock, CLS_ALU);
    op_reg(X86_INS_LAHF, op_lahf, sel_nolock, CLS_ALU);
    op_reg(X86_INS_SAHF, op_sahf, sel_nolock, CLS_ALU);
    op_reg(X86_INS_SALC, op_salc, sel_nolock, CLS_ALU);
}
