/* ops_shift.c — shifts and rotates: SHL/SAL SHR SAR ROL ROR RCL RCR SHLD SHRD (SDM Vol. 2 "SAL/SAR/
 * SHL/SHR", "RCL/RCR/ROL/ROR", SHLD, SHRD).
 *
 * Rules implemented:
 *  - The count is masked to 5 bits (6 with a 64-bit operand). A masked count of 0 changes no flag;
 *    the destination is still written back, so a 32-bit register is zero-extended (as hardware and
 *    Unicorn do).
 *  - SHL/SHR/SAR use the lazy flags (LF_SHL/LF_SHR/LF_SAR with the masked count, flags.c): CF is
 *    the last bit shifted out, OF per the count-1 formula (for larger counts the SDM leaves OF
 *    undefined; flags.c matches Unicorn), AF = 0.
 *  - ROL/ROR change only CF and OF: ROL CF = LSB(result), OF = MSB(result) ^ CF; ROR CF =
 *    MSB(result), OF = the two top bits of the result XORed; for 8/16-bit operands the rotate
 *    amount is the masked count modulo the width, but the flags are set whenever the masked count
 *    is nonzero. OF for counts > 1 (undefined) follows the same formulas, as Unicorn does.
 *  - RCL/RCR rotate through CF by (masked count) mod 9 / mod 17 for 8/16-bit operands; when that
 *    is 0 nothing changes (Unicorn). OF = MSB(original) ^ MSB(result) for every count (the SDM
 *    count-1 definition; undefined otherwise, Unicorn's formula).
 *  - SHLD/SHRD: for 16-bit operands with counts 17..31 the bits come from dest:src:dest, as on
 *    Intel processors (result undefined in the SDM; Unicorn implements the same); CF is the last
 *    bit shifted out, OF = MSB changed (Unicorn's formula for every count), SF ZF PF from the
 *    result, AF = 0.
 */
#include "cpu/ops.h"
#include "cpu/ops_common.h"

enum shift_op { S_ROL, S_ROR, S_RCL, S_RCR, S_SHL, S_SHR, S_SAL, S_SAR };

OPS_INLINE unsigned count_mask(unsigned sz) { return sz == 8 ? 63 : 31; }

/* ---- SHL / SHR / SAR: lazy flags ---- */

OPS_INLINE uint64_t shift_res(unsigned op, uint64_t a, unsigned cnt, unsigned sz)
{
    switch (op) {
    case S_SHR: return trunc_sz(a, sz) >> cnt;
    case S_SAR: return (uint64_t)(sext_sz(a, sz) >> cnt);
    default:    return a << cnt;
    }
}

OPS_INLINE void shift_flags(struct cpu *c, unsigned op, unsigned sz, uint64_t r, uint64_t a,
                            unsigned cnt)
{
    enum lf_op lop = op == S_SHR ? LF_SHR : op == S_SAR ? LF_SAR : LF_SHL;
    lf_set(c, lop, sz, r, trunc_sz(a, sz), cnt);
}

/* reg, imm forms: the hot ones in compiled code. */
#define SHIFT_RI(name, OP, SZ)                                                                \
static void name##_ri##SZ(struct cpu *c, const struct insn *i)                                \
{                                                                                             \
    unsigned cnt = (unsigned)i->imm & count_mask(SZ), d = i->op[0].reg;                       \
    uint64_t a = c->gpr[d];                                                                   \
    if (cnt == 0) {                                                                           \
        reg_write(c, d, a, SZ);                                                               \
        return;                                                                               \
    }                                                                                         \
    uint64_t r = shift_res(OP, a, cnt, SZ);                                                   \
    reg_write(c, d, r, SZ);                                                                   \
    shift_flags(c, OP, SZ, r, a, cnt);                                                        \
}
#define SHIFT_RI_ALL(name, OP) SHIFT_RI(name, OP, 1) SHIFT_RI(name, OP, 2) SHIFT_RI(name, OP, 4) \
                               SHIFT_RI(name, OP, 8)
SHIFT_RI_ALL(shl, S_SHL)
SHIFT_RI_ALL(shr, S_SHR)
SHIFT_RI_ALL(sar, S_SAR)

static const insn_fn shift_ri_tab[3][4] = {
    { shl_ri1, shl_ri2, shl_ri4, shl_ri8 },
    { shr_ri1, shr_ri2, shr_ri4, shr_ri8 },
    { sar_ri1, sar_ri2, sar_ri4, sar_ri8 },
};

/* ---- rotates: eager CF/OF ---- */

OPS_INLINE uint64_t rotl(uint64_t a, unsigned n, unsigned bits)
{
    return n == 0 ? a : trunc_sz((a << n) | (a >> (bits - n)), bits / 8);
}

/* Rotate a (sz bytes, truncated) by the masked count cnt != 0. Returns the result and, in
 * *flags, the new CF/OF bits, or -1 if the flags do not change (RCL/RCR by a multiple of 9/17). */
static uint64_t rotate(struct cpu *c, unsigned op, uint64_t a, unsigned cnt, unsigned sz,
                       int64_t *flags)
{
    unsigned bits = sz * 8;
    uint64_t r, cf, of;
    switch (op) {
    case S_ROL:
        r = rotl(a, cnt % bits, bits);
        cf = r & 1;
        of = size_msb(r, sz) ^ cf;
        break;
    case S_ROR:
        r = rotl(a, (bits - cnt % bits) % bits, bits);
        cf = size_msb(r, sz);
        of = cf ^ ((r >> (bits - 2)) & 1);
        break;
    case S_RCL: {
        unsigned n = sz == 1 ? cnt % 9 : sz == 2 ? cnt % 17 : cnt;
        if (n == 0) {
            *flags = -1;
            return a;
        }
        uint64_t cin = flag_cf(c);
        r = (a << n) | (cin << (n - 1));
        if (n > 1)
            r |= a >> (bits + 1 - n);
        r = trunc_sz(r, sz);
        cf = (a >> (bits - n)) & 1;
        of = size_msb(a ^ r, sz);
        break;
    }
    default: {   /* RCR */
        unsigned n = sz == 1 ? cnt % 9 : sz == 2 ? cnt % 17 : cnt;
        if (n == 0) {
            *flags = -1;
            return a;
        }
        uint64_t cin = flag_cf(c);
        r = (a >> n) | (cin << (bits - n));
        if (n > 1)
            r |= a << (bits + 1 - n);
        r = trunc_sz(r, sz);
        cf = (a >> (n - 1)) & 1;
        of = size_msb(a ^ r, sz);
        break;
    }
    }
    *flags = (int64_t)((cf ? RF_CF : 0) | (of ? RF_OF : 0));
    return r;
}

/* ---- generic: any destination, count from imm or CL; aux = enum shift_op ---- */

static uint64_t shift_count(struct cpu *c, const struct insn *i, int n)
{
    return i->op[n].kind == OPK_IMM ? (uint64_t)i->imm : c->gpr[R_RCX];
}

static void shift_generic(struct cpu *c, const struct insn *i)
{
    unsigned op = i->aux, sz = i->op[0].size;
    unsigned cnt = (unsigned)shift_count(c, i, 1) & count_mask(sz);
    uint64_t lin = 0, a = trunc_sz(dst_read(c, i, 0, &lin), sz), r;
    if (cnt == 0) {
        if (i->op[0].kind != OPK_MEM)
            dst_write(c, i, 0, lin, a);
        return;
    }
    if (op >= S_SHL) {
        r = shift_res(op, a, cnt, sz);
        dst_write(c, i, 0, lin, r);
        shift_flags(c, op, sz, r, a, cnt);
        return;
    }
    int64_t fl;
    r = rotate(c, op, a, cnt, sz, &fl);
    dst_write(c, i, 0, lin, r);
    if (fl >= 0)
        flags_set_arith(c, RF_CF | RF_OF, (uint64_t)fl);
}

static int shift_select(struct insn *i, unsigned op)
{
    const struct opnd *d = &i->op[0];
    if (i->nops != 2 || (i->pfx & PFX_LOCK))
        return -1;
    if (i->op[1].kind != OPK_IMM && !(i->op[1].kind == OPK_REG && i->op[1].reg == R_RCX))
        return -1;
    i->aux = (uint8_t)(op == S_SAL ? S_SHL : op);
    i->fn = shift_generic;
    if (d->kind == OPK_REG && i->op[1].kind == OPK_IMM && i->aux >= S_SHL)
        i->fn = shift_ri_tab[i->aux == S_SHL ? 0 : i->aux == S_SHR ? 1 : 2][size_log2(d->size)];
    return 0;
}

static int sel_rol(struct insn *i) { return shift_select(i, S_ROL); }
static int sel_ror(struct insn *i) { return shift_select(i, S_ROR); }
static int sel_rcl(struct insn *i) { return shift_select(i, S_RCL); }
static int sel_rcr(struct insn *i) { return shift_select(i, S_RCR); }
static int sel_shl(struct insn *i) { return shift_select(i, S_SHL); }
static int sel_shr(struct insn *i) { return shift_select(i, S_SHR); }
static int sel_sar(struct insn *i) { return shift_select(i, S_SAR); }

/* ---- SHLD / SHRD (aux: 0 = left, 1 = right) ---- */

static void op_shxd(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->op[0].size, bits = sz * 8;
    unsigned cnt = (unsigned)shift_count(c, i, 2) & count_mask(sz);
    bool right = i->aux;
    uint64_t lin = 0, d = trunc_sz(dst_read(c, i, 0, &lin), sz);
    uint64_t s = reg_read(c, i->op[1].reg, sz), r, t;   /* t: shifted by cnt - 1 */
    if (cnt == 0) {
        if (i->op[0].kind != OPK_MEM)
            dst_write(c, i, 0, lin, d);
        return;
    }
    if (sz == 8) {
        if (right) {
            t = d >> (cnt - 1);
            r = (d >> cnt) | (s << (64 - cnt));
        } else {
            t = d << (cnt - 1);
            r = (d << cnt) | (s >> (64 - cnt));
        }
    } else {
        /* Build the 64-bit pattern dest:src (32-bit) or dest:src:dest (16-bit) and shift it. */
        uint64_t x = sz == 4 ? (right ? (s << 32 | d) : (d << 32 | s))
                             : (d << 32 | s << 16 | d);
        if (right) {
            t = x >> (cnt - 1);
            r = x >> cnt;
        } else {
            t = (x << (cnt - 1)) >> 32;
            r = (x << cnt) >> 32;
        }
    }
    r = trunc_sz(r, sz);
    uint64_t cf = right ? t & 1 : (t >> (bits - 1)) & 1;
    uint64_t of = size_msb(t ^ r, sz);
    dst_write(c, i, 0, lin, r);
    flags_set_all(c, flags_zsp(r, sz) | (cf ? RF_CF : 0) | (of ? RF_OF : 0));
}

static int shxd_select(struct insn *i, bool right)
{
    if (i->nops != 3 || (i->pfx & PFX_LOCK) || i->op[1].kind != OPK_REG || i->op[0].size < 2)
        return -1;
    if (i->op[2].kind != OPK_IMM && !(i->op[2].kind == OPK_REG && i->op[2].reg == R_RCX))
        return -1;
    i->aux = right;
    return 0;
}

static int sel_shld(struct insn *i) { return shxd_select(i, false); }
static int sel_shrd(struct insn *i) { return shxd_select(i, true); }

void ops_shift_register(void)
{
    op_reg(X86_INS_ROL, shift_generic, sel_rol, CLS_ALU);
    op_reg(X86_INS_ROR, shift_generic, sel_ror, CLS_ALU);
    op_reg(X86_INS_RCL, shift_generic, sel_rcl, CLS_ALU);
    op_reg(X86_INS_RCR, shift_generic, sel_rcr, CLS_ALU);
    op_reg(X86_INS_SHL, shift_generic, sel_shl, CLS_ALU);
    op_reg(X86_INS_SAL, shift_generic, sel_shl, CLS_ALU);
    op_reg(X86_INS_SHR, shift_generic, sel_shr, CLS_ALU);
    op_reg(X86_INS_SAR, shift_generic, sel_sar, CLS_ALU);
    op_reg(X86_INS_SHLD, op_shxd, sel_shld, CLS_ALU);
    op_reg(X86_INS_SHRD, op_shxd, sel_shrd, CLS_ALU);
}
