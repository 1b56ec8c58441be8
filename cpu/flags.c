/* flags.c — lazy arithmetic flags (see flags.h). Each case follows the flag definitions of the
 * instruction's page in SDM Vol. 2 (ADD, ADC, SUB, SBB, AND/OR/XOR/TEST, INC, DEC, NEG, SHL, SHR,
 * SAR). For shifts, src2 holds the masked count (never 0: a zero count leaves flags untouched and
 * is not recorded) and src1 the original value; OF is defined for every count as on Intel
 * processors for count 1 (for larger counts the SDM leaves OF undefined; we use the count-1
 * formula on the final step, which is what Unicorn/QEMU and recent Intel cores produce).
 */
#include "cpu/flags.h"

static inline uint64_t msb(uint64_t v, unsigned size) { return (v >> (size * 8 - 1)) & 1; }
static inline uint64_t mask_of(unsigned size) { return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1; }

static uint64_t zsp(uint64_t res, unsigned size)
{
    uint64_t f = parity_flag(res);
    if ((res & mask_of(size)) == 0)
        f |= RF_ZF;
    if (msb(res, size))
        f |= RF_SF;
    return f;
}

uint64_t flags_compute(const struct lazy_flags *lf)
{
    unsigned sz = lf->size;
    uint64_t r = lf->res & mask_of(sz), a = lf->src1 & mask_of(sz), b = lf->src2 & mask_of(sz);
    uint64_t f = zsp(r, sz);
    switch (lf->op) {
    case LF_ADD:
    case LF_ADC: {
        bool cf = lf->op == LF_ADC && lf->cf_in ? r <= a : r < a;
        if (cf) f |= RF_CF;
        if (msb((a ^ r) & (b ^ r), sz)) f |= RF_OF;
        if ((a ^ b ^ r) & 0x10) f |= RF_AF;
        break;
    }
    case LF_SUB:
    case LF_SBB: {
        bool cf = lf->op == LF_SBB && lf->cf_in ? a <= b : a < b;
        if (cf) f |= RF_CF;
        if (msb((a ^ b) & (a ^ r), sz)) f |= RF_OF;
        if ((a ^ b ^ r) & 0x10) f |= RF_AF;
        break;
    }
    case LF_LOGIC:
        break;  /* CF = OF = 0, AF undefined: 0 as on Intel */
    case LF_INC:
        if (lf->cf_in) f |= RF_CF;
        if (r == (mask_of(sz) >> 1) + 1) f |= RF_OF;          /* 0x7f..f + 1 = 0x80..0 */
        if ((r & 0xf) == 0) f |= RF_AF;
        break;
    case LF_DEC:
        if (lf->cf_in) f |= RF_CF;
        if (r == (mask_of(sz) >> 1)) f |= RF_OF;              /* 0x80..0 - 1 = 0x7f..f */
        if ((r & 0xf) == 0xf) f |= RF_AF;
        break;
    case LF_NEG:
        if (a != 0) f |= RF_CF;
        if (a == (mask_of(sz) >> 1) + 1) f |= RF_OF;
        if ((a ^ r) & 0x10) f |= RF_AF;
        break;
    case LF_SHL: {
        /* CF = last bit shifted out; OF = MSB(result) XOR CF */
        unsigned cnt = (unsigned)lf->src2, bits = sz * 8;
        uint64_t cf = cnt <= bits ? (a >> (bits - cnt)) & 1 : 0;
        if (cf) f |= RF_CF;
        if (msb(r, sz) ^ cf) f |= RF_OF;
        break;
    }
    case LF_SHR: {
        unsigned cnt = (unsigned)lf->src2;
        uint64_t cf = cnt <= 64 ? (a >> (cnt - 1)) & 1 : 0;
        if (cf) f |= RF_CF;
        if (msb(a, sz) && cnt == 1) f |= RF_OF;   /* OF = MSB(original) for count 1 */
        break;
    }
    case LF_SAR: {
        unsigned cnt = (unsigned)lf->src2, bits = sz * 8;
        uint64_t sa = (uint64_t)((int64_t)(a << (64 - bits)) >> (64 - bits));
        uint64_t cf = cnt <= bits ? ((uint64_t)((int64_t)sa >> (cnt - 1))) & 1 : msb(a, sz);
        if (cf) f |= RF_CF;
        break;  /* OF = 0 */
    }
    default:
        break;
    }
    return f;
}

void flags_materialize(struct cpu *c)
{
    c->rflags = (c->rflags & ~(uint64_t)RF_ARITH) | flags_compute(&c->lf);
    c->lf.op = LF_NONE;
}

bool cond_eval(struct cpu *c, unsigned cc)
{
    uint64_t f = flags_get(c);
    bool r;
    switch ((cc >> 1) & 7) {
    case 0: r = f & RF_OF; break;                                   /* O */
    case 1: r = f & RF_CF; break;                                   /* B/C */
    case 2: r = f & RF_ZF; break;                                   /* E/Z */
    case 3: r = (f & RF_CF) || (f & RF_ZF); break;                  /* BE */
    case 4: r = f & RF_SF; break;                                   /* S */
    case 5: r = f & RF_PF; break;                                   /* P */
    case 6: r = !!(f & RF_SF) != !!(f & RF_OF); break;              /* L */
    default: r = (f & RF_ZF) || (!!(f & RF_SF) != !!(f & RF_OF)); break; /* LE */
    }
    return (cc & 1) ? !r : r;
}
