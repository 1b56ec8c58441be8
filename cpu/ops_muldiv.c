/* ops_muldiv.c — MUL, IMUL (one-, two- and three-operand forms), DIV, IDIV (SDM Vol. 2 pages of
 * each).
 *
 * Flags: MUL/IMUL set CF = OF = "the upper half is significant" (MUL: nonzero; IMUL: not the sign
 * extension of the lower half). SF ZF PF are undefined in the SDM; we set them from the lower half
 * of the product (the destination of the two-/three-operand forms; AL/AX/EAX/RAX of the
 * one-operand form) and AF = 0, as Unicorn (QEMU) does. DIV/IDIV leave all flags unchanged
 * (undefined in the SDM; Unicorn leaves them too).
 *
 * Invariants:
 *  - #DE is raised before anything is written: divisor 0, or a quotient that does not fit the
 *    destination (for IDIV: outside the signed range), SDM Vol. 2 DIV/IDIV.
 *  - Host arithmetic never overflows: wide products/dividends use 64- or 128-bit host types and
 *    the INT_MIN / -1 case is handled before dividing.
 *  - DIV/IDIV charge model->div_extra[log2 size] on top of the class cost.
 */
#include "cpu/ops.h"
#include "cpu/ops_common.h"

static inline void mul_flags(struct cpu *c, uint64_t low, unsigned sz, bool upper)
{
    flags_set_all(c, flags_zsp(low, sz) | (upper ? (RF_CF | RF_OF) : 0));
}

/* ---- one-operand MUL / IMUL: rDX:rAX := rAX * src (AX := AL * src for bytes) ---- */

static void op_mul1(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->op[0].size;
    uint64_t s = src_get(c, i, 0), a = reg_read(c, R_RAX, sz), lo, hi;
    switch (sz) {
    case 1: {
        uint64_t p = a * s;
        reg_write(c, R_RAX, p, 2);
        lo = p & 0xff; hi = p >> 8;
        break;
    }
    case 2: case 4: {
        uint64_t p = a * s;
        lo = trunc_sz(p, sz); hi = p >> (sz * 8);
        reg_write(c, R_RAX, lo, sz);
        reg_write(c, R_RDX, hi, sz);
        break;
    }
    default: {
        unsigned __int128 p = (unsigned __int128)a * s;
        lo = (uint64_t)p; hi = (uint64_t)(p >> 64);
        c->gpr[R_RAX] = lo;
        c->gpr[R_RDX] = hi;
        break;
    }
    }
    mul_flags(c, lo, sz, hi != 0);
}

static void op_imul1(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->op[0].size;
    int64_t s = sext_sz(src_get(c, i, 0), sz), a = sext_sz(c->gpr[R_RAX], sz);
    uint64_t lo;
    bool upper;
    switch (sz) {
    case 1: {
        int64_t p = a * s;
        reg_write(c, R_RAX, (uint64_t)p, 2);
        lo = (uint64_t)p & 0xff;
        upper = p != (int8_t)p;
        break;
    }
    case 2: case 4: {
        int64_t p = a * s;
        lo = trunc_sz((uint64_t)p, sz);
        reg_write(c, R_RAX, lo, sz);
        reg_write(c, R_RDX, (uint64_t)p >> (sz * 8), sz);
        upper = p != sext_sz((uint64_t)p, sz);
        break;
    }
    default: {
        __int128 p = (__int128)a * s;
        lo = (uint64_t)p;
        c->gpr[R_RAX] = lo;
        c->gpr[R_RDX] = (uint64_t)((unsigned __int128)p >> 64);
        upper = p != (__int128)(int64_t)lo;
        break;
    }
    }
    mul_flags(c, lo, sz, upper);
}

/* ---- two- and three-operand IMUL: dest := truncate(src1 * src2) ---- */

static inline void imul_trunc(struct cpu *c, const struct insn *i, uint64_t a, uint64_t b)
{
    unsigned sz = i->op[0].size;
    int64_t r;
    bool upper;
    switch (sz) {
    case 2: {
        int64_t p = (int64_t)(int16_t)a * (int16_t)b;
        r = p; upper = p != (int16_t)p;
        break;
    }
    case 4: {
        int64_t p = (int64_t)(int32_t)a * (int32_t)b;
        r = p; upper = p != (int32_t)p;
        break;
    }
    default:
        upper = __builtin_mul_overflow((int64_t)a, (int64_t)b, &r);
        break;
    }
    reg_write(c, i->op[0].reg, (uint64_t)r, sz);
    mul_flags(c, (uint64_t)r, sz, upper);
}

static void op_imul2_rr(struct cpu *c, const struct insn *i)
{
    imul_trunc(c, i, c->gpr[i->op[0].reg], c->gpr[i->op[1].reg]);
}
static void op_imul2(struct cpu *c, const struct insn *i)
{
    uint64_t b = src_get(c, i, 1);
    imul_trunc(c, i, c->gpr[i->op[0].reg], b);
}
static void op_imul3(struct cpu *c, const struct insn *i)
{
    imul_trunc(c, i, src_get(c, i, 1), (uint64_t)i->imm);
}

static int sel_mul(struct insn *i)
{
    if (i->nops != 1 || (i->pfx & PFX_LOCK))
        return -1;
    return 0;
}

static int sel_imul(struct insn *i)
{
    if (i->pfx & PFX_LOCK)
        return -1;
    switch (i->nops) {
    case 1:
        i->fn = op_imul1;
        return 0;
    case 2:
        if (i->op[0].kind != OPK_REG || i->op[0].size < 2)
            return -1;
        i->fn = i->op[1].kind == OPK_REG ? op_imul2_rr : op_imul2;
        return 0;
    case 3:
        if (i->op[0].kind != OPK_REG || i->op[0].size < 2 || i->op[2].kind != OPK_IMM)
            return -1;
        i->fn = op_imul3;
        return 0;
    default:
        return -1;
    }
}

/* ---- DIV / IDIV ---- */

static inline void charge_div(struct cpu *c, unsigned sz)
{
    if (c->model)
        c->ctr.cycles += c->model->div_extra[size_log2(sz)];
}

/* Store quotient and remainder: AL/AH for bytes, rAX/rDX otherwise. */
static inline void div_store(struct cpu *c, unsigned sz, uint64_t q, uint64_t r)
{
    if (sz == 1) {
        reg_write(c, R_RAX, (q & 0xff) | ((r & 0xff) << 8), 2);
    } else {
        reg_write(c, R_RAX, q, sz);
        reg_write(c, R_RDX, r, sz);
    }
}

static void op_div(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->op[0].size;
    uint64_t d = src_get(c, i, 0), q, r;
    charge_div(c, sz);
    if (d == 0)
        cpu_fault_noerr(c, VEC_DE);
    if (sz == 8) {
        unsigned __int128 n = ((unsigned __int128)c->gpr[R_RDX] << 64) | c->gpr[R_RAX];
        unsigned __int128 qq = n / d;
        if (qq >> 64)
            cpu_fault_noerr(c, VEC_DE);
        q = (uint64_t)qq;
        r = (uint64_t)(n % d);
    } else {
        uint64_t n = sz == 1 ? reg_read(c, R_RAX, 2)
                             : reg_read(c, R_RDX, sz) << (sz * 8) | reg_read(c, R_RAX, sz);
        q = n / d;
        r = n % d;
        if (q > size_mask(sz))
            cpu_fault_noerr(c, VEC_DE);
    }
    div_store(c, sz, q, r);
}

static void op_idiv(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->op[0].size;
    int64_t d = sext_sz(src_get(c, i, 0), sz);
    __int128 n, q, r;
    charge_div(c, sz);
    if (d == 0)
        cpu_fault_noerr(c, VEC_DE);
    if (sz == 1)
        n = (int16_t)c->gpr[R_RAX];
    else if (sz == 8)
        n = (__int128)(((unsigned __int128)c->gpr[R_RDX] << 64) | c->gpr[R_RAX]);
    else
    {
        unsigned sh = 64 - sz * 16;     /* sign-extend the 2*sz-byte dividend rDX:rAX */
        n = (int64_t)((reg_read(c, R_RDX, sz) << (sz * 8) | reg_read(c, R_RAX, sz)) << sh) >> sh;
    }
    if (d == -1) {
        /* n / -1 = -n; only the most negative 128-bit n could overflow the host type, and its
         * quotient is out of range for every size anyway. */
        if (sz == 8 && (unsigned __int128)n == (unsigned __int128)1 << 127)
            cpu_fault_noerr(c, VEC_DE);
        q = -n;
        r = 0;
    } else {
        q = n / d;
        r = n % d;
    }
    int64_t qmax = (int64_t)(size_mask(sz) >> 1);
    if (q > qmax || q < -qmax - 1)
        cpu_fault_noerr(c, VEC_DE);
    div_store(c, sz, (uint64_t)q, (uint64_t)r);
}

void ops_muldiv_register(void)
{
    op_reg(X86_INS_MUL, op_mul1, sel_mul, CLS_MUL);
    op_reg(X86_INS_IMUL, op_imul1, sel_imul, CLS_MUL);
    op_reg(X86_INS_DIV, op_div, sel_mul, CLS_DIV);
    op_reg(X86_INS_IDIV, op_idiv, sel_mul, CLS_DIV);
}
