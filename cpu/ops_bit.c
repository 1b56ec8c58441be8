/* ops_bit.c — bit test and scan: BT BTS BTR BTC, BSF BSR, TZCNT LZCNT POPCNT (SDM Vol. 2 pages of
 * each).
 *
 * Rules implemented:
 *  - BT*: CF := the selected bit; ZF unchanged (SDM); OF SF AF PF are undefined and left unchanged
 *    (Unicorn's values for them depend on the previous flag-setting instruction; differential
 *    tests must mask them). A register or immediate bit offset is taken modulo the operand width.
 *    With a memory operand and a register offset, the offset is a signed operand-size integer
 *    addressing outside the operand: the access is at EA + opsize * floor(offset / width),
 *    truncated to the address size ("bit base, bit offset", SDM Vol. 2 BT and Vol. 1 3.4.2).
 *  - BSF/BSR: a zero source sets ZF and leaves the destination value unchanged (still written back
 *    at the operand size, so a 32-bit destination is zero-extended, as Unicorn does); flags are
 *    those of a logic op on the source (ZF = src == 0, SF/PF from the source, CF = OF = AF = 0),
 *    matching Unicorn for the undefined ones.
 *  - TZCNT/LZCNT (F3 0F BC/BD, Capstone gives their own ids): the count, operand width for a zero
 *    source; CF = (src == 0), ZF = (result == 0), others 0 — if the CPU model reports BMI1 /
 *    LZCNT in CPUID; otherwise they execute as BSF/BSR, as on processors without them.
 *  - POPCNT: the count; ZF = (src == 0), all other arithmetic flags cleared.
 */
#include "cpu/ops.h"
#include "cpu/ops_common.h"

enum bt_op { B_BT, B_BTS, B_BTR, B_BTC };

OPS_INLINE uint64_t bt_apply(unsigned op, uint64_t v, uint64_t m)
{
    switch (op) {
    case B_BTS: return v | m;
    case B_BTR: return v & ~m;
    case B_BTC: return v ^ m;
    default:    return v;
    }
}

static void bt_set_cf(struct cpu *c, uint64_t bit)
{
    flags_set_arith(c, RF_CF, bit ? RF_CF : 0);
}

/* Register destination: offset (reg or imm) modulo the width. */
static void bt_reg(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->op[0].size, op = i->aux;
    unsigned bit = (unsigned)src_get(c, i, 1) & (sz * 8 - 1);
    uint64_t v = reg_read(c, i->op[0].reg, sz), m = 1ull << bit;
    if (op != B_BT)
        reg_write(c, i->op[0].reg, bt_apply(op, v, m), sz);
    bt_set_cf(c, v & m);
}

/* Memory destination. */
static void bt_mem(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->op[0].size, op = i->aux, bits = sz * 8;
    uint64_t ea = insn_ea(c, i), bit;
    if (i->op[1].kind == OPK_IMM) {
        bit = (uint64_t)i->imm & (bits - 1);
    } else {
        int64_t off = sext_sz(c->gpr[i->op[1].reg], sz);
        ea = trunc_sz(ea + (uint64_t)((off >> __builtin_ctz(bits)) * (int64_t)sz), i->asz);
        bit = (uint64_t)off & (bits - 1);
    }
    uint64_t m = 1ull << bit, v;
    if (op == B_BT) {
        v = vread(c, i->seg, ea, sz);
    } else {
        uint64_t lin = seg_lin(c, i->seg, ea, sz, ACC_WRITE);
        v = mmu_read(c, lin, sz, seg_acc(i->seg, ACC_WRITE));   /* read for write (RMW) */
        mmu_write(c, lin, bt_apply(op, v, m), sz, seg_acc(i->seg, ACC_WRITE));
    }
    bt_set_cf(c, v & m);
}

static int bt_select(struct insn *i, unsigned op)
{
    const struct opnd *d = &i->op[0], *s = &i->op[1];
    if (i->nops != 2 || d->size < 2)
        return -1;
    if (s->kind != OPK_IMM && s->kind != OPK_REG)
        return -1;
    if ((i->pfx & PFX_LOCK) && (op == B_BT || d->kind != OPK_MEM))
        return -1;
    i->aux = (uint8_t)op;
    if (d->kind == OPK_REG)
        i->fn = bt_reg;
    else if (d->kind == OPK_MEM)
        i->fn = bt_mem;
    else
        return -1;
    return 0;
}

static int sel_bt(struct insn *i)  { return bt_select(i, B_BT); }
static int sel_bts(struct insn *i) { return bt_select(i, B_BTS); }
static int sel_btr(struct insn *i) { return bt_select(i, B_BTR); }
static int sel_btc(struct insn *i) { return bt_select(i, B_BTC); }

/* ---- BSF / BSR / TZCNT / LZCNT / POPCNT; aux selects ---- */

enum scan_op { SC_BSF, SC_BSR, SC_TZCNT, SC_LZCNT, SC_POPCNT };

/* CPUID features that decide how F3 0F BC/BD/B8 execute: without BMI1 (leaf 7 EBX bit 3) or
 * LZCNT (leaf 8000_0001h ECX bit 5) the F3 prefix is ignored and the instruction is BSF/BSR
 * (SDM Vol. 2 TZCNT, LZCNT); without POPCNT (leaf 1 ECX bit 23) F3 0F B8 is #UD. Cached per model
 * (models are immutable); a NULL model (unit tests of single handlers) has them all. */
enum { FEAT_BMI1 = 1, FEAT_LZCNT = 2, FEAT_POPCNT = 4 };

static unsigned scan_features(const struct cpu *c)
{
    static const struct cpu_model *cached;
    static unsigned bits;
    if (!c->model)
        return FEAT_BMI1 | FEAT_LZCNT | FEAT_POPCNT;
    if (c->model != cached) {
        uint32_t r[4];
        bits = 0;
        model_cpuid(c->model, 7, 0, r);
        if (r[1] & (1u << 3)) bits |= FEAT_BMI1;
        model_cpuid(c->model, 0x80000001u, 0, r);
        if (r[2] & (1u << 5)) bits |= FEAT_LZCNT;
        model_cpuid(c->model, 1, 0, r);
        if (r[2] & (1u << 23)) bits |= FEAT_POPCNT;
        cached = c->model;
    }
    return bits;
}

static void op_scan(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->op[0].size, d = i->op[0].reg, op = i->aux;
    if (op >= SC_TZCNT) {
        unsigned f = scan_features(c);
        if (op == SC_TZCNT && !(f & FEAT_BMI1))
            op = SC_BSF;
        else if (op == SC_LZCNT && !(f & FEAT_LZCNT))
            op = SC_BSR;
        else if (op == SC_POPCNT && !(f & FEAT_POPCNT))
            cpu_fault_noerr(c, VEC_UD);
    }
    uint64_t s = trunc_sz(src_get(c, i, 1), sz), r;
    switch (op) {
    case SC_BSF:
    case SC_BSR:
        if (s == 0)
            r = c->gpr[d];
        else
            r = op == SC_BSF ? (uint64_t)__builtin_ctzll(s) : (uint64_t)(63 - __builtin_clzll(s));
        reg_write(c, d, r, sz);
        lf_set(c, LF_LOGIC, sz, s, s, 0);
        return;
    case SC_TZCNT:
    case SC_LZCNT:
        if (s == 0)
            r = sz * 8;
        else if (op == SC_TZCNT)
            r = (uint64_t)__builtin_ctzll(s);
        else
            r = (uint64_t)__builtin_clzll(s) - (64 - sz * 8);
        reg_write(c, d, r, sz);
        flags_set_all(c, (s == 0 ? RF_CF : 0) | (r == 0 ? RF_ZF : 0));
        return;
    default:
        reg_write(c, d, (uint64_t)__builtin_popcountll(s), sz);
        flags_set_all(c, s == 0 ? RF_ZF : 0);
        return;
    }
}

static int scan_select(struct insn *i, unsigned op)
{
    if (i->nops != 2 || (i->pfx & PFX_LOCK) || i->op[0].kind != OPK_REG || i->op[0].size < 2)
        return -1;
    if (i->op[1].kind != OPK_REG && i->op[1].kind != OPK_MEM)
        return -1;
    i->aux = (uint8_t)op;
    return 0;
}

/* F3 0F BC/BD is TZCNT/LZCNT even when other prefixes follow the F3, but Capstone 4.0.2 then
 * reports BSF/BSR (and drops the F3 from its prefix list): if the decoder saw an F3 as the last
 * F2/F3 prefix (PFX_REP), it is TZCNT/LZCNT. */
static int sel_bsf(struct insn *i)
{
    return scan_select(i, (i->pfx & PFX_REP) ? SC_TZCNT : SC_BSF);
}
static int sel_bsr(struct insn *i)
{
    return scan_select(i, (i->pfx & PFX_REP) ? SC_LZCNT : SC_BSR);
}
static int sel_tzcnt(struct insn *i)  { return scan_select(i, SC_TZCNT); }
static int sel_lzcnt(struct insn *i)  { return scan_select(i, SC_LZCNT); }
static int sel_popcnt(struct insn *i) { return scan_select(i, SC_POPCNT); }

void ops_bit_register(void)
{
    op_reg(X86_INS_BT, bt_reg, sel_bt, CLS_ALU);
    op_reg(X86_INS_BTS, bt_reg, sel_bts, CLS_ALU);
    op_reg(X86_INS_BTR, bt_reg, sel_btr, CLS_ALU);
    op_reg(X86_INS_BTC, bt_reg, sel_btc, CLS_ALU);
    op_reg(X86_INS_BSF, op_scan, sel_bsf, CLS_BITSCAN);
    op_reg(X86_INS_BSR, op_scan, sel_bsr, CLS_BITSCAN);
    op_reg(X86_INS_TZCNT, op_scan, sel_tzcnt, CLS_BITSCAN);
    op_reg(X86_INS_LZCNT, op_scan, sel_lzcnt, CLS_BITSCAN);
    op_reg(X86_INS_POPCNT, op_scan, sel_popcnt, CLS_BITSCAN);
}
