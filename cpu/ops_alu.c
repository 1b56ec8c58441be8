/* ops_alu.c — two-operand integer arithmetic and logic: ADD OR ADC SBB AND SUB XOR CMP TEST
 * (SDM Vol. 2 instruction pages of each), and the one-operand INC DEC NEG NOT.
 *
 * Flags are lazy (flags.h): each handler records the operation, size, operands and result.
 * select() specialises every instruction by operand form (reg,reg / reg,imm / reg,mem / mem,reg /
 * mem,imm) and size into a handler without operand-kind dispatch; forms with a legacy high-byte
 * register (AH..BH) use the generic handler.
 *
 * Invariants:
 *  - Memory destinations are read-modify-write through mem_rmw_read/mem_rmw_write; the store comes
 *    before the flag update, so a faulting store leaves flags and registers untouched.
 *  - LOCK is legal only with a memory destination of a lockable instruction (SDM Vol. 2 "LOCK");
 *    anything else is #UD at decode (select returns -1). CMP and TEST are not lockable.
 *  - In a single-threaded simulator every read-modify-write is atomic, so LOCK needs no further
 *    action.
 */
#include "cpu/ops.h"
#include "cpu/ops_common.h"

enum alu_op { A_ADD, A_OR, A_ADC, A_SBB, A_AND, A_SUB, A_XOR, A_CMP, A_TEST, A_NOPS };

/* Result of op on a, b with carry-in cf (ADC/SBB only). */
OPS_INLINE uint64_t alu_res(unsigned op, uint64_t a, uint64_t b, unsigned cf)
{
    switch (op) {
    case A_ADD: return a + b;
    case A_OR:  return a | b;
    case A_ADC: return a + b + cf;
    case A_SBB: return a - b - cf;
    case A_AND: case A_TEST: return a & b;
    case A_XOR: return a ^ b;
    default:    return a - b;      /* SUB, CMP */
    }
}

OPS_INLINE void alu_flags(struct cpu *c, unsigned op, unsigned sz, uint64_t r, uint64_t a,
                          uint64_t b, unsigned cf)
{
    switch (op) {
    case A_ADD: lf_set(c, LF_ADD, sz, r, a, b); break;
    case A_ADC: lf_set_carry(c, LF_ADC, sz, r, a, b, cf); break;
    case A_SBB: lf_set_carry(c, LF_SBB, sz, r, a, b, cf); break;
    case A_SUB: case A_CMP: lf_set(c, LF_SUB, sz, r, a, b); break;
    default:    lf_set(c, LF_LOGIC, sz, r, a, b); break;
    }
}

OPS_INLINE unsigned alu_cf(struct cpu *c, unsigned op)
{
    return (op == A_ADC || op == A_SBB) ? lazy_cf(c) : 0;
}

#define ALU_WRITES(op) ((op) != A_CMP && (op) != A_TEST)

/* One handler per (operation, form, size); `OP` and `SZ` are constants so everything folds. */
#define ALU_FORMS(name, OP, SZ)                                                               \
static void name##_rr##SZ(struct cpu *c, const struct insn *i)                                \
{                                                                                             \
    uint64_t a = reg_read(c, i->op[0].reg, SZ), b = reg_read(c, i->op[1].reg, SZ);            \
    unsigned cf = alu_cf(c, OP);                                                              \
    uint64_t r = alu_res(OP, a, b, cf);                                                       \
    if (ALU_WRITES(OP))                                                                       \
        reg_write(c, i->op[0].reg, r, SZ);                                                    \
    alu_flags(c, OP, SZ, r, a, b, cf);                                                        \
}                                                                                             \
static void name##_ri##SZ(struct cpu *c, const struct insn *i)                                \
{                                                                                             \
    uint64_t a = reg_read(c, i->op[0].reg, SZ), b = trunc_sz((uint64_t)i->imm, SZ);           \
    unsigned cf = alu_cf(c, OP);                                                              \
    uint64_t r = alu_res(OP, a, b, cf);                                                       \
    if (ALU_WRITES(OP))                                                                       \
        reg_write(c, i->op[0].reg, r, SZ);                                                    \
    alu_flags(c, OP, SZ, r, a, b, cf);                                                        \
}                                                                                             \
static void name##_rm##SZ(struct cpu *c, const struct insn *i)                                \
{                                                                                             \
    uint64_t b = vread(c, i->seg, insn_ea(c, i), SZ), a = reg_read(c, i->op[0].reg, SZ);      \
    unsigned cf = alu_cf(c, OP);                                                              \
    uint64_t r = alu_res(OP, a, b, cf);                                                       \
    if (ALU_WRITES(OP))                                                                       \
        reg_write(c, i->op[0].reg, r, SZ);                                                    \
    alu_flags(c, OP, SZ, r, a, b, cf);                                                        \
}                                                                                             \
static void name##_mr##SZ(struct cpu *c, const struct insn *i)                                \
{                                                                                             \
    uint64_t lin = 0, a, b = reg_read(c, i->op[1].reg, SZ);                                   \
    a = ALU_WRITES(OP) ? mem_rmw_read(c, i, SZ, &lin) : vread(c, i->seg, insn_ea(c, i), SZ);  \
    unsigned cf = alu_cf(c, OP);                                                              \
    uint64_t r = alu_res(OP, a, b, cf);                                                       \
    if (ALU_WRITES(OP))                                                                       \
        mem_rmw_write(c, i, lin, r, SZ);                                                      \
    alu_flags(c, OP, SZ, r, a, b, cf);                                                        \
}                                                                                             \
static void name##_mi##SZ(struct cpu *c, const struct insn *i)                                \
{                                                                                             \
    uint64_t lin = 0, a, b = trunc_sz((uint64_t)i->imm, SZ);                                  \
    a = ALU_WRITES(OP) ? mem_rmw_read(c, i, SZ, &lin) : vread(c, i->seg, insn_ea(c, i), SZ);  \
    unsigned cf = alu_cf(c, OP);                                                              \
    uint64_t r = alu_res(OP, a, b, cf);                                                       \
    if (ALU_WRITES(OP))                                                                       \
        mem_rmw_write(c, i, lin, r, SZ);                                                      \
    alu_flags(c, OP, SZ, r, a, b, cf);                                                        \
}

#define ALU_OP(name, OP) ALU_FORMS(name, OP, 1) ALU_FORMS(name, OP, 2) ALU_FORMS(name, OP, 4) \
                         ALU_FORMS(name, OP, 8)

ALU_OP(add, A_ADD)
ALU_OP(or, A_OR)
ALU_OP(adc, A_ADC)
ALU_OP(sbb, A_SBB)
ALU_OP(and, A_AND)
ALU_OP(sub, A_SUB)
ALU_OP(xor, A_XOR)
ALU_OP(cmp, A_CMP)
ALU_OP(test, A_TEST)

enum alu_form { F_RR, F_RI, F_RM, F_MR, F_MI, F_NFORMS };

#define ALU_ROW(name) { { name##_rr1, name##_rr2, name##_rr4, name##_rr8 },                    \
                        { name##_ri1, name##_ri2, name##_ri4, name##_ri8 },                    \
                        { name##_rm1, name##_rm2, name##_rm4, name##_rm8 },                    \
                        { name##_mr1, name##_mr2, name##_mr4, name##_mr8 },                    \
                        { name##_mi1, name##_mi2, name##_mi4, name##_mi8 } }

static const insn_fn alu_tab[A_NOPS][F_NFORMS][4] = {
    ALU_ROW(add), ALU_ROW(or), ALU_ROW(adc), ALU_ROW(sbb), ALU_ROW(and),
    ALU_ROW(sub), ALU_ROW(xor), ALU_ROW(cmp), ALU_ROW(test),
};

/* Any form, including high-byte registers; aux = enum alu_op. */
static void alu_generic(struct cpu *c, const struct insn *i)
{
    unsigned op = i->aux, sz = i->op[0].size;
    uint64_t lin = 0, b = src_get(c, i, 1), a;
    if (ALU_WRITES(op))
        a = dst_read(c, i, 0, &lin);
    else
        a = src_get(c, i, 0);
    unsigned cf = alu_cf(c, op);
    uint64_t r = alu_res(op, a, b, cf);
    if (ALU_WRITES(op))
        dst_write(c, i, 0, lin, r);
    alu_flags(c, op, sz, r, trunc_sz(a, sz), trunc_sz(b, sz), cf);
}

static bool is_plain_reg(const struct opnd *o) { return o->kind == OPK_REG; }

static int alu_select(struct insn *i, unsigned op)
{
    const struct opnd *d = &i->op[0], *s = &i->op[1];
    bool lockable = ALU_WRITES(op) && d->kind == OPK_MEM;
    if ((i->pfx & PFX_LOCK) && !lockable)
        return -1;
    if (i->nops != 2 || (d->size != s->size && s->kind != OPK_IMM))
        return -1;
    i->aux = (uint8_t)op;
    int form = -1;
    if (is_plain_reg(d) && is_plain_reg(s)) form = F_RR;
    else if (is_plain_reg(d) && s->kind == OPK_IMM) form = F_RI;
    else if (is_plain_reg(d) && s->kind == OPK_MEM) form = F_RM;
    else if (d->kind == OPK_MEM && is_plain_reg(s)) form = F_MR;
    else if (d->kind == OPK_MEM && s->kind == OPK_IMM) form = F_MI;
    if (form < 0) {
        i->fn = alu_generic;
        return 0;
    }
    i->fn = alu_tab[op][form][size_log2(d->size)];
    return 0;
}

/* TEST is symmetric; Capstone reports `test r/m, reg` with the r/m operand first. */
static int sel_add(struct insn *i) { return alu_select(i, A_ADD); }
static int sel_or(struct insn *i)  { return alu_select(i, A_OR); }
static int sel_adc(struct insn *i) { return alu_select(i, A_ADC); }
static int sel_sbb(struct insn *i) { return alu_select(i, A_SBB); }
static int sel_and(struct insn *i) { return alu_select(i, A_AND); }
static int sel_sub(struct insn *i) { return alu_select(i, A_SUB); }
static int sel_xor(struct insn *i) { return alu_select(i, A_XOR); }
static int sel_cmp(struct insn *i) { return alu_select(i, A_CMP); }
static int sel_test(struct insn *i) { return alu_select(i, A_TEST); }

/* ---- INC DEC NEG NOT (SDM Vol. 2: INC keeps CF; NEG sets CF = (src != 0); NOT sets no flags) */

enum unary_op { U_INC, U_DEC, U_NEG, U_NOT, U_NOPS };

OPS_INLINE uint64_t unary_res(unsigned op, uint64_t a)
{
    switch (op) {
    case U_INC: return a + 1;
    case U_DEC: return a - 1;
    case U_NEG: return 0 - a;
    default:    return ~a;
    }
}

OPS_INLINE void unary_flags(struct cpu *c, unsigned op, unsigned sz, uint64_t r, uint64_t a)
{
    switch (op) {
    case U_INC: lf_set_incdec_fast(c, LF_INC, sz, r, a); break;
    case U_DEC: lf_set_incdec_fast(c, LF_DEC, sz, r, a); break;
    case U_NEG: lf_set(c, LF_NEG, sz, r, a, 0); break;
    default: break;
    }
}

#define UNARY_FORMS(name, OP, SZ)                                                             \
static void name##_r##SZ(struct cpu *c, const struct insn *i)                                 \
{                                                                                             \
    uint64_t a = reg_read(c, i->op[0].reg, SZ), r = unary_res(OP, a);                         \
    reg_write(c, i->op[0].reg, r, SZ);                                                        \
    unary_flags(c, OP, SZ, r, a);                                                             \
}                                                                                             \
static void name##_m##SZ(struct cpu *c, const struct insn *i)                                 \
{                                                                                             \
    uint64_t lin, a = mem_rmw_read(c, i, SZ, &lin), r = unary_res(OP, a);                     \
    mem_rmw_write(c, i, lin, r, SZ);                                                          \
    unary_flags(c, OP, SZ, r, a);                                                             \
}

#define UNARY_OP(name, OP) UNARY_FORMS(name, OP, 1) UNARY_FORMS(name, OP, 2)                  \
                           UNARY_FORMS(name, OP, 4) UNARY_FORMS(name, OP, 8)
UNARY_OP(inc, U_INC)
UNARY_OP(dec, U_DEC)
UNARY_OP(neg, U_NEG)
UNARY_OP(not, U_NOT)

#define UNARY_ROW(name) { { name##_r1, name##_r2, name##_r4, name##_r8 },                     \
                          { name##_m1, name##_m2, name##_m4, name##_m8 } }
static const insn_fn unary_tab[U_NOPS][2][4] = {
    UNARY_ROW(inc), UNARY_ROW(dec), UNARY_ROW(neg), UNARY_ROW(not),
};

static void unary_generic(struct cpu *c, const struct insn *i)
{
    uint64_t lin = 0, a = dst_read(c, i, 0, &lin), r = unary_res(i->aux, a);
    dst_write(c, i, 0, lin, r);
    unary_flags(c, i->aux, i->op[0].size, r, trunc_sz(a, i->op[0].size));
}

static int unary_select(struct insn *i, unsigned op)
{
    const struct opnd *d = &i->op[0];
    if (i->nops != 1)
        return -1;
    if ((i->pfx & PFX_LOCK) && d->kind != OPK_MEM)
        return -1;
    i->aux = (uint8_t)op;
    if (d->kind == OPK_REG)
        i->fn = unary_tab[op][0][size_log2(d->size)];
    else if (d->kind == OPK_MEM)
        i->fn = unary_tab[op][1][size_log2(d->size)];
    else
        i->fn = unary_generic;
    return 0;
}

static int sel_inc(struct insn *i) { return unary_select(i, U_INC); }
static int sel_dec(struct insn *i) { return unary_select(i, U_DEC); }
static int sel_neg(struct insn *i) { return unary_select(i, U_NEG); }
static int sel_not(struct insn *i) { return unary_select(i, U_NOT); }

void ops_alu_register(void)
{
    op_reg(X86_INS_ADD, alu_generic, sel_add, CLS_ALU);
    op_reg(X86_INS_OR, alu_generic, sel_or, CLS_ALU);
    op_reg(X86_INS_ADC, alu_generic, sel_adc, CLS_ALU);
    op_reg(X86_INS_SBB, alu_generic, sel_sbb, CLS_ALU);
    op_reg(X86_INS_AND, alu_generic, sel_and, CLS_ALU);
    op_reg(X86_INS_SUB, alu_generic, sel_sub, CLS_ALU);
    op_reg(X86_INS_XOR, alu_generic, sel_xor, CLS_ALU);
    op_reg(X86_INS_CMP, alu_generic, sel_cmp, CLS_ALU);
    op_reg(X86_INS_TEST, alu_generic, sel_test, CLS_ALU);
    op_reg(X86_INS_INC, unary_generic, sel_inc, CLS_ALU);
    op_reg(X86_INS_DEC, unary_generic, sel_dec, CLS_ALU);
    op_reg(X86_INS_NEG, unary_generic, sel_neg, CLS_ALU);
    op_reg(X86_INS_NOT, unary_generic, sel_not, CLS_ALU);
}
