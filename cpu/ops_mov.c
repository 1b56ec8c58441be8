/* ops_mov.c — data movement that sets no flags: MOV (general-register, immediate and moffs forms;
 * SDM Vol. 2 MOV), MOVABS, MOVZX, MOVSX, MOVSXD, LEA, BSWAP, MOVBE, CBW/CWDE/CDQE, CWD/CDQ/CQO,
 * XLAT.
 *
 * MOV to or from a segment, control or debug register shares the Capstone id X86_INS_MOV: select()
 * hands those forms to sys_select_shared() (ops.h) (system handlers); until they exist they are #UD.
 *
 * Invariants: a 32-bit register destination clears bits 63:32, 8/16-bit destinations keep the
 * rest (mem.h reg_write); memory stores happen before any register write of the same instruction.
 */
#include "cpu/ops.h"
#include "cpu/ops_common.h"

/* ---- MOV: specialised by form and size ---- */

#define MOV_FORMS(SZ)                                                                         \
static void mov_rr##SZ(struct cpu *c, const struct insn *i)                                   \
{                                                                                             \
    reg_write(c, i->op[0].reg, c->gpr[i->op[1].reg], SZ);                                     \
}                                                                                             \
static void mov_ri##SZ(struct cpu *c, const struct insn *i)                                   \
{                                                                                             \
    reg_write(c, i->op[0].reg, (uint64_t)i->imm, SZ);                                         \
}                                                                                             \
static void mov_rm##SZ(struct cpu *c, const struct insn *i)                                   \
{                                                                                             \
    reg_write(c, i->op[0].reg, vread(c, i->seg, insn_ea(c, i), SZ), SZ);                      \
}                                                                                             \
static void mov_mr##SZ(struct cpu *c, const struct insn *i)                                   \
{                                                                                             \
    vwrite(c, i->seg, insn_ea(c, i), c->gpr[i->op[1].reg], SZ);                               \
}                                                                                             \
static void mov_mi##SZ(struct cpu *c, const struct insn *i)                                   \
{                                                                                             \
    vwrite(c, i->seg, insn_ea(c, i), (uint64_t)i->imm, SZ);                                   \
}
MOV_FORMS(1)
MOV_FORMS(2)
MOV_FORMS(4)
MOV_FORMS(8)

static const insn_fn mov_tab[5][4] = {
    { mov_rr1, mov_rr2, mov_rr4, mov_rr8 },
    { mov_ri1, mov_ri2, mov_ri4, mov_ri8 },
    { mov_rm1, mov_rm2, mov_rm4, mov_rm8 },
    { mov_mr1, mov_mr2, mov_mr4, mov_mr8 },
    { mov_mi1, mov_mi2, mov_mi4, mov_mi8 },
};

/* Any general form, including AH..BH. */
static void mov_generic(struct cpu *c, const struct insn *i)
{
    dst_store(c, i, 0, src_get(c, i, 1));
}

/* Weak default until the system handlers provide MOV Sreg/CRn/DRn and PUSH/POP Sreg (ops.h). */
__attribute__((weak)) int sys_select_shared(struct insn *i)
{
    (void)i;
    return -1;
}

static bool is_special(const struct opnd *o)
{
    return o->kind == OPK_SEG || o->kind == OPK_CR || o->kind == OPK_DR;
}

static int sel_mov(struct insn *i)
{
    const struct opnd *d = &i->op[0], *s = &i->op[1];
    if (i->nops != 2)
        return -1;
    if (is_special(d) || is_special(s))
        return sys_select_shared(i);
    if (i->pfx & PFX_LOCK)
        return -1;
    int form = -1;
    if (d->kind == OPK_REG && s->kind == OPK_REG) form = 0;
    else if (d->kind == OPK_REG && s->kind == OPK_IMM) form = 1;
    else if (d->kind == OPK_REG && s->kind == OPK_MEM) form = 2;
    else if (d->kind == OPK_MEM && s->kind == OPK_REG) form = 3;
    else if (d->kind == OPK_MEM && s->kind == OPK_IMM) form = 4;
    if (form >= 0 && (form == 1 || form == 4 || d->size == s->size))
        i->fn = mov_tab[form][size_log2(d->size)];
    else
        i->fn = mov_generic;
    return 0;
}

/* ---- MOVZX / MOVSX / MOVSXD (SDM Vol. 2 MOVZX, MOVSX/MOVSXD) ---- */

/* Zero-extension into a 32- or 64-bit register is the same write (bits 63:32 cleared). */
static void movzx_r1_d(struct cpu *c, const struct insn *i)
{
    c->gpr[i->op[0].reg] = (uint8_t)c->gpr[i->op[1].reg];
}
static void movzx_r2_d(struct cpu *c, const struct insn *i)
{
    c->gpr[i->op[0].reg] = (uint16_t)c->gpr[i->op[1].reg];
}
static void movzx_m1_d(struct cpu *c, const struct insn *i)
{
    c->gpr[i->op[0].reg] = vread(c, i->seg, insn_ea(c, i), 1);
}
static void movzx_m2_d(struct cpu *c, const struct insn *i)
{
    c->gpr[i->op[0].reg] = vread(c, i->seg, insn_ea(c, i), 2);
}

static void movzx_generic(struct cpu *c, const struct insn *i)
{
    reg_put(c, &i->op[0], src_get(c, i, 1));
}

static void movsx_generic(struct cpu *c, const struct insn *i)
{
    reg_put(c, &i->op[0], (uint64_t)sext_sz(src_get(c, i, 1), i->op[1].size));
}

#define MOVSX_FORMS(S, D)                                                                     \
static void movsx_r##S##_##D(struct cpu *c, const struct insn *i)                             \
{                                                                                             \
    reg_write(c, i->op[0].reg, (uint64_t)sext_sz(c->gpr[i->op[1].reg], S), D);                \
}                                                                                             \
static void movsx_m##S##_##D(struct cpu *c, const struct insn *i)                             \
{                                                                                             \
    reg_write(c, i->op[0].reg, (uint64_t)sext_sz(vread(c, i->seg, insn_ea(c, i), S), S), D);  \
}
MOVSX_FORMS(1, 4)
MOVSX_FORMS(1, 8)
MOVSX_FORMS(2, 4)
MOVSX_FORMS(2, 8)
MOVSX_FORMS(4, 8)

static int sel_movzx(struct insn *i)
{
    const struct opnd *d = &i->op[0], *s = &i->op[1];
    if (i->nops != 2 || d->kind != OPK_REG || (i->pfx & PFX_LOCK))
        return -1;
    i->fn = movzx_generic;
    if (d->size >= 4 && s->kind == OPK_REG)
        i->fn = s->size == 1 ? movzx_r1_d : movzx_r2_d;
    else if (d->size >= 4 && s->kind == OPK_MEM)
        i->fn = s->size == 1 ? movzx_m1_d : movzx_m2_d;
    return 0;
}

static int sel_movsx(struct insn *i)
{
    struct opnd *d = &i->op[0], *s = &i->op[1];
    if (i->nops != 2 || d->kind != OPK_REG || (i->pfx & PFX_LOCK))
        return -1;
    if (i->id == X86_INS_MOVSXD && !(i->pfx & PFX_REXW)) {
        /* 63 /r without REX.W: MOVSXD r32, r/m32 (or r16, r/m16 with 66) is a plain move.
         * Capstone reports a 64-bit destination here; the SDM says the operand size applies. */
        d->size = s->size = (i->pfx & PFX_OPSIZE) ? 2 : 4;
        i->osz = d->size;
        i->fn = s->kind == OPK_MEM ? mov_tab[2][size_log2(d->size)] : mov_tab[0][size_log2(d->size)];
        return 0;
    }
    i->fn = movsx_generic;
    bool reg = s->kind == OPK_REG, mem = s->kind == OPK_MEM;
    if (!reg && !mem)
        return 0;
#define PICK(S, D) if (s->size == S && d->size == D) i->fn = reg ? movsx_r##S##_##D : movsx_m##S##_##D;
    PICK(1, 4) PICK(1, 8) PICK(2, 4) PICK(2, 8) PICK(4, 8)
#undef PICK
    return 0;
}

/* ---- LEA (SDM Vol. 2 LEA: address computed at the address size, stored at the operand size) */

static void lea_2(struct cpu *c, const struct insn *i) { reg_write(c, i->op[0].reg, insn_ea(c, i), 2); }
static void lea_4(struct cpu *c, const struct insn *i) { c->gpr[i->op[0].reg] = (uint32_t)insn_ea(c, i); }
static void lea_8(struct cpu *c, const struct insn *i) { c->gpr[i->op[0].reg] = insn_ea(c, i); }

static int sel_lea(struct insn *i)
{
    const struct opnd *d = &i->op[0];
    if (i->nops != 2 || d->kind != OPK_REG || i->op[1].kind != OPK_MEM || (i->pfx & PFX_LOCK))
        return -1;
    i->fn = d->size == 8 ? lea_8 : d->size == 4 ? lea_4 : lea_2;
    return 0;
}

/* ---- BSWAP (SDM Vol. 2 BSWAP: with a 16-bit operand the result is undefined; hardware clears
 * the 16-bit register, which we do, see docs/ISA.md) ---- */

static void op_bswap(struct cpu *c, const struct insn *i)
{
    unsigned r = i->op[0].reg;
    switch (i->op[0].size) {
    case 8: c->gpr[r] = __builtin_bswap64(c->gpr[r]); break;
    case 4: c->gpr[r] = __builtin_bswap32((uint32_t)c->gpr[r]); break;
    default: reg_write(c, r, 0, 2); break;
    }
}

static int sel_bswap(struct insn *i)
{
    struct opnd *d = &i->op[0];
    if (i->nops != 1 || d->kind != OPK_REG || (i->pfx & PFX_LOCK))
        return -1;
    if ((i->pfx & (PFX_OPSIZE | PFX_REXW)) == PFX_OPSIZE)
        d->size = 2;
    return 0;
}

/* ---- MOVBE (SDM Vol. 2 MOVBE: memory operand only; load or store with bytes reversed) ---- */

static uint64_t byteswap(uint64_t v, unsigned size)
{
    switch (size) {
    case 2: return __builtin_bswap16((uint16_t)v);
    case 4: return __builtin_bswap32((uint32_t)v);
    default: return __builtin_bswap64(v);
    }
}

static void op_movbe(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->op[0].size;
    if (i->op[0].kind == OPK_REG)
        reg_write(c, i->op[0].reg, byteswap(vread(c, i->seg, insn_ea(c, i), sz), sz), sz);
    else
        vwrite(c, i->seg, insn_ea(c, i), byteswap(c->gpr[i->op[1].reg], sz), sz);
}

static int sel_movbe(struct insn *i)
{
    if (i->nops != 2 || (i->pfx & PFX_LOCK) || i->op[0].size < 2)
        return -1;
    if (!((i->op[0].kind == OPK_REG && i->op[1].kind == OPK_MEM) ||
          (i->op[0].kind == OPK_MEM && i->op[1].kind == OPK_REG)))
        return -1;
    return 0;
}

/* ---- CBW/CWDE/CDQE and CWD/CDQ/CQO (one Capstone id per size) ---- */

static void op_cbw(struct cpu *c, const struct insn *i)  { (void)i; reg_write(c, R_RAX, (uint64_t)(int8_t)c->gpr[R_RAX], 2); }
static void op_cwde(struct cpu *c, const struct insn *i) { (void)i; reg_write(c, R_RAX, (uint64_t)(int16_t)c->gpr[R_RAX], 4); }
static void op_cdqe(struct cpu *c, const struct insn *i) { (void)i; c->gpr[R_RAX] = (uint64_t)(int32_t)c->gpr[R_RAX]; }
static void op_cwd(struct cpu *c, const struct insn *i)
{
    (void)i;
    reg_write(c, R_RDX, (int16_t)c->gpr[R_RAX] < 0 ? 0xffff : 0, 2);
}
static void op_cdq(struct cpu *c, const struct insn *i)
{
    (void)i;
    c->gpr[R_RDX] = (int32_t)c->gpr[R_RAX] < 0 ? 0xffffffffull : 0;
}
static void op_cqo(struct cpu *c, const struct insn *i)
{
    (void)i;
    c->gpr[R_RDX] = (int64_t)c->gpr[R_RAX] < 0 ? ~0ull : 0;
}

/* ---- XLAT (SDM Vol. 2 XLAT: AL := [seg: rBX + ZeroExtend(AL)] at the address size) ---- */

static void op_xlat(struct cpu *c, const struct insn *i)
{
    uint64_t ea = trunc_sz(c->gpr[R_RBX] + (c->gpr[R_RAX] & 0xff), i->asz);
    reg_write(c, R_RAX, vread(c, i->seg, ea, 1), 1);
}

static int sel_nolock(struct insn *i)
{
    return (i->pfx & PFX_LOCK) ? -1 : 0;
}

void ops_mov_register(void)
{
    op_reg(X86_INS_MOV, mov_generic, sel_mov, CLS_MOV);
    op_reg(X86_INS_MOVABS, mov_generic, sel_mov, CLS_MOV);
    op_reg(X86_INS_MOVZX, movzx_generic, sel_movzx, CLS_MOV);
    op_reg(X86_INS_MOVSX, movsx_generic, sel_movsx, CLS_MOV);
    op_reg(X86_INS_MOVSXD, movsx_generic, sel_movsx, CLS_MOV);
    op_reg(X86_INS_LEA, lea_8, sel_lea, CLS_LEA);
    op_reg(X86_INS_BSWAP, op_bswap, sel_bswap, CLS_ALU);
    op_reg(X86_INS_MOVBE, op_movbe, sel_movbe, CLS_MOV);
    op_reg(X86_INS_CBW, op_cbw, sel_nolock, CLS_ALU);
    op_reg(X86_INS_CWDE, op_cwde, sel_nolock, CLS_ALU);
    op_reg(X86_INS_CDQE, op_cdqe, sel_nolock, CLS_ALU);
    op_reg(X86_INS_CWD, op_cwd, sel_nolock, CLS_ALU);
    op_reg(X86_INS_CDQ, op_cdq, sel_nolock, CLS_ALU);
    op_reg(X86_INS_CQO, op_cqo, sel_nolock, CLS_ALU);
    op_reg(X86_INS_XLATB, op_xlat, sel_nolock, CLS_MOV);
}
