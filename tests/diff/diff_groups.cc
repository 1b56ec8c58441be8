/* diff_groups.cc — the instruction groups of the differential tests: each generator emits one
 * instruction under test (with its operand set-up) into a Builder. Operand values are chosen so
 * that the instruction's result is architecturally defined (no #DE unless testing it, no zero
 * source for BSF/BSR, SHLD/SHRD counts within the operand size, no 16-bit BSWAP).
 */
#include <string.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "tests/diff/diff_form.h"

namespace diff {

static const uint32_t BIT_RAX = 1u << RAX, BIT_RCX = 1u << RCX, BIT_RDX = 1u << RDX,
                      BIT_RBX = 1u << RBX, BIT_RSP = 1u << RSP, BIT_RBP = 1u << RBP,
                      BIT_RSI = 1u << RSI, BIT_RDI = 1u << RDI;

static const int VEC_UD_ = 6;

static int rand_osz(Builder &b, bool with8 = true)
{
    static const int s4[] = { 1, 2, 4 }, s8[] = { 1, 2, 4, 8 }, w4[] = { 2, 4 }, w8[] = { 2, 4, 8 };
    if (with8)
        return b.mode == 8 ? b.rng.pick(s8) : b.rng.pick(s4);
    return b.mode == 8 ? b.rng.pick(w8) : b.rng.pick(w4);
}

static uint64_t upper_garbage(Builder &b, uint64_t v, int osz)
{
    if (osz * 8 >= b.mode * 8)
        return v;
    return (b.rng.next() & ~((1ull << (osz * 8)) - 1)) | (v & ((1ull << (osz * 8)) - 1));
}

static Form one(const char *mn, std::initializer_list<uint8_t> op, int digit, Opd a, Opd b2,
                Opd c, uint8_t sizes, ImmKind imm = I_NONE, uint16_t fl = 0, uint8_t ssize = 0)
{
    Form f{};
    f.mn = mn;
    f.nop = 0;
    for (uint8_t x : op)
        f.op[f.nop++] = x;
    f.digit = (int8_t)digit;
    f.o[0] = a;
    f.o[1] = b2;
    f.o[2] = c;
    f.sizes = sizes;
    f.ssize = ssize;
    f.imm = imm;
    f.fl = fl;
    return f;
}

/* ---- ALU ----------------------------------------------------------------------------------- */

static void gen_alu(Builder &b)
{
    unsigned n;
    const Form *t = forms_alu(&n);
    gen_form(b, pick_form(b, t, n));
}

/* ---- MOV and friends ----------------------------------------------------------------------- */

static void gen_moffs(Builder &b)
{
    /* MOV AL/rAX, moffs and back (A0..A3): the address is an immediate of address size */
    int osz = rand_osz(b);
    bool store = b.rng.chance(50);
    int asz = b.mode;
    if (b.rng.chance(20))
        asz = b.mode == 8 ? 4 : 2;
    uint64_t T = DATA_BASE + 64 + b.rng.below(DATA_SIZE - 128);
    Enc e;
    e.op = { (uint8_t)(0xa0 + (store ? 2 : 0) + (osz > 1)) };
    e.opsize(osz);
    if (asz != b.mode)
        e.pfx.push_back(0x67);
    e.isz = asz;
    e.imm = T;
    b.emit(e, b.mode == 8 && asz == 8 ? "movabs" : "mov", osz);
}

static void gen_cbw(Builder &b)
{
    static const char *const n98[9] = { nullptr, nullptr, "cbw", nullptr, "cwde", nullptr, nullptr,
                                        nullptr, "cdqe" };
    static const char *const n99[9] = { nullptr, nullptr, "cwd", nullptr, "cdq", nullptr, nullptr,
                                        nullptr, "cqo" };
    int osz = rand_osz(b, false);
    bool cwd = b.rng.chance(50);
    Enc e;
    e.op = { (uint8_t)(cwd ? 0x99 : 0x98) };
    e.opsize(osz);
    b.emit(e, cwd ? n99[osz] : n98[osz], osz);
}

static void gen_xlat(Builder &b)
{
    int asz = b.mode;
    if (b.rng.chance(25))
        asz = b.mode == 8 ? 4 : 2;
    uint8_t al = (uint8_t)b.rng.next();
    uint64_t T = DATA_BASE + 64 + b.rng.below(DATA_SIZE - 128 - 256);
    uint64_t rbx = T;                                   /* [rBX + zero-extended AL] */
    if (asz < b.mode * 1)
        rbx = upper_garbage(b, rbx, asz);
    b.set_reg8(RAX, al);
    b.set_reg(RBX, rbx);
    Enc e;
    e.op = { 0xd7 };
    if (asz != b.mode)
        e.pfx.push_back(0x67);
    b.emit(e, "xlatb", 1);
}

static void gen_mov(Builder &b)
{
    switch (b.rng.below(10)) {
    case 0: gen_moffs(b); return;
    case 1: gen_cbw(b); return;
    case 2: gen_xlat(b); return;
    default: {
        unsigned n;
        const Form *t = forms_mov(&n);
        gen_form(b, pick_form(b, t, n));
    }
    }
}

/* ---- shifts and rotates -------------------------------------------------------------------- */

static int shift_count(Rng &rng, int osz)
{
    int bits = osz * 8;
    switch (rng.below(7)) {
    case 0: return 0;
    case 1: return 1;
    case 2: return bits - 1;
    case 3: return bits;
    case 4: return (bits + 1) & 0xff;
    case 5: return (int)rng.below(bits);
    default: return (int)rng.below(256);
    }
}

static void gen_shift_kind(Builder &b, bool rotate)
{
    unsigned n;
    const Form *t = forms_shift(&n);
    const Form *f;
    for (;;) {
        f = &pick_form(b, t, n);
        bool is_rot = f->mn[0] == 'r';
        if (is_rot == rotate)
            break;
    }
    FormOpts o;
    o.osz = form_pick_size(b, *f);
    int count = shift_count(b.rng, o.osz);
    if (f->o[1] == O_ONE) {
        count = 1;
    } else if (f->o[1] == O_CL) {
        o.excl_mem = BIT_RCX;
        b.set_reg8(RCX, (uint8_t)count);
    } else {
        o.fixed_imm = true;
        o.imm = (uint64_t)count;
    }
    o.count = count;
    gen_form(b, *f, o);
}

static void gen_shift(Builder &b) { gen_shift_kind(b, false); }
static void gen_rotate(Builder &b) { gen_shift_kind(b, true); }

static void gen_shiftd(Builder &b)
{
    static const Form forms[] = {
        one("shld", { 0x0f, 0xa4 }, -1, O_E, O_G, O_I, SZ_WDQ, I_B),
        one("shld", { 0x0f, 0xa5 }, -1, O_E, O_G, O_CL, SZ_WDQ),
        one("shrd", { 0x0f, 0xac }, -1, O_E, O_G, O_I, SZ_WDQ, I_B),
        one("shrd", { 0x0f, 0xad }, -1, O_E, O_G, O_CL, SZ_WDQ),
    };
    const Form &f = pick_form(b, forms, 4);
    FormOpts o;
    o.osz = form_pick_size(b, f);
    int count;
    if (o.osz == 2)     /* count (mod 32) > 16 leaves the result undefined: not generated */
        count = (int)b.rng.below(17) + (b.rng.chance(20) ? 32 * (int)b.rng.below(8) : 0);
    else
        count = shift_count(b.rng, o.osz);
    if (f.o[2] == O_CL) {
        o.excl_mem = BIT_RCX;
        b.set_reg8(RCX, (uint8_t)count);
    } else {
        o.fixed_imm = true;
        o.imm = (uint64_t)count;
        /* Unicorn 2.0.1 forgets the imm8 when it computes RIP-relative addresses of
         * SHLD/SHRD (off by one): not compared, covered by DiffDirected.ShldRipRelative */
        o.no_riprel = true;
    }
    o.count = count;
    gen_form(b, f, o);
}

/* ---- multiply and divide ------------------------------------------------------------------- */

static void gen_mul(Builder &b)
{
    static const Form forms[] = {
        one("mul", { 0xf6 }, 4, O_E, O_NONE, O_NONE, SZ_B, I_NONE, F_RO),
        one("mul", { 0xf7 }, 4, O_E, O_NONE, O_NONE, SZ_WDQ, I_NONE, F_RO),
        one("imul", { 0xf6 }, 5, O_E, O_NONE, O_NONE, SZ_B, I_NONE, F_RO),
        one("imul", { 0xf7 }, 5, O_E, O_NONE, O_NONE, SZ_WDQ, I_NONE, F_RO),
        one("imul", { 0x0f, 0xaf }, -1, O_G, O_E, O_NONE, SZ_WDQ),
        one("imul", { 0x6b }, -1, O_G, O_E, O_I, SZ_WDQ, I_B),
        one("imul", { 0x69 }, -1, O_G, O_E, O_I, SZ_WDQ, I_Z),
    };
    gen_form(b, pick_form(b, forms, 7));
}

static int64_t sext(uint64_t v, int bits)
{
    return bits >= 64 ? (int64_t)v : (int64_t)(v << (64 - bits)) >> (64 - bits);
}

/* DIV/IDIV with a dividend and divisor chosen so the quotient fits (fault = 0), or with a
 * zero divisor (fault = 1) or an overflowing quotient (fault = 2): SDM Vol. 2 DIV/IDIV. */
static void gen_div_kind(Builder &b, int fault)
{
    Rng &rng = b.rng;
    const bool sgn = rng.chance(50);
    const int osz = rand_osz(b);
    const int bits = osz * 8;
    const uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
    uint64_t d, hi, lo;
    if (!sgn) {
        do
            d = rng.value(bits);
        while (d == 0);
        hi = fault == 2 ? d + rng.below(4) : rng.value(bits) % d;
        if (fault == 2 && (hi & mask) < d)
            hi = mask;
        lo = rng.value(bits);
    } else {
        int64_t sd;
        do
            sd = sext(rng.value(bits), bits);
        while (sd == 0);
        __int128 D;
        if (fault == 2) {
            __int128 q = ((__int128)1 << (bits - 1)) + rng.below(3);   /* one past the range */
            if (rng.chance(50)) {
                q = -q - 1;
            }
            D = q * sd;
            if (rng.chance(30)) {              /* the classic: INT_MIN / -1 */
                sd = -1;
                D = -((__int128)1 << (bits - 1));
            }
        } else {
            int64_t q = sext(rng.value(bits), bits);
            __int128 ad = sd < 0 ? -(__int128)sd : sd;
            __int128 r = ad > 1 ? (__int128)(rng.next() % (uint64_t)(ad > (__int128)UINT64_MAX
                                                                   ? UINT64_MAX : (uint64_t)ad))
                                : 0;
            if (r >= ad)
                r = 0;
            if (rng.chance(50))
                r = -r;
            D = (__int128)q * sd + r;
            if (r != 0 && (D == 0 || (D < 0) != (r < 0))) {
                r = -r;
                D = (__int128)q * sd + r;
                if (D == 0 || (D < 0) != (r < 0)) {
                    r = 0;
                    D = (__int128)q * sd;
                }
            }
        }
        d = (uint64_t)sd & mask;
        lo = (uint64_t)D & mask;
        hi = (uint64_t)(D >> bits) & mask;
    }
    if (fault == 1)
        d = 0;
    Form f = one(sgn ? "idiv" : "div", { (uint8_t)(osz == 1 ? 0xf6 : 0xf7) }, sgn ? 7 : 6, O_E,
                 O_NONE, O_NONE, (uint8_t)osz, I_NONE, F_RO);
    FormOpts o;
    o.osz = osz;
    o.excl_mem = BIT_RAX | BIT_RDX;
    o.excl_reg = (osz == 1 ? BIT_RAX : BIT_RAX | BIT_RDX) | BIT_RSP;   /* set-up below */
    gen_form_with(b, f, o, [&](FormResult &r) {
        if (r.is_mem)
            b.store_mem(r.m, osz, d, 0, BIT_RAX | BIT_RDX);
        else if (osz == 1)
            b.set_reg8(r.e_reg, (uint8_t)d);
        else
            b.set_reg(r.e_reg, upper_garbage(b, d, osz));
        if (osz == 1) {
            b.set_reg(RAX, upper_garbage(b, (hi << 8) | lo, 2));
        } else {
            b.set_reg(RDX, upper_garbage(b, hi, osz));
            b.set_reg(RAX, upper_garbage(b, lo, osz));
        }
    });
}

static void gen_muldiv(Builder &b)
{
    if (b.rng.chance(50))
        gen_mul(b);
    else
        gen_div_kind(b, 0);
}

/* ---- bit operations ------------------------------------------------------------------------ */

static void gen_bitops(Builder &b)
{
    static const Form bt_forms[] = {
        one("bt", { 0x0f, 0xa3 }, -1, O_E, O_G, O_NONE, SZ_WDQ, I_NONE, F_RO),
        one("bts", { 0x0f, 0xab }, -1, O_E, O_G, O_NONE, SZ_WDQ, I_NONE, F_LOCK),
        one("btr", { 0x0f, 0xb3 }, -1, O_E, O_G, O_NONE, SZ_WDQ, I_NONE, F_LOCK),
        one("btc", { 0x0f, 0xbb }, -1, O_E, O_G, O_NONE, SZ_WDQ, I_NONE, F_LOCK),
        one("bt", { 0x0f, 0xba }, 4, O_E, O_I, O_NONE, SZ_WDQ, I_B, F_RO),
        one("bts", { 0x0f, 0xba }, 5, O_E, O_I, O_NONE, SZ_WDQ, I_B, F_LOCK),
        one("btr", { 0x0f, 0xba }, 6, O_E, O_I, O_NONE, SZ_WDQ, I_B, F_LOCK),
        one("btc", { 0x0f, 0xba }, 7, O_E, O_I, O_NONE, SZ_WDQ, I_B, F_LOCK),
    };
    static const Form scan_forms[] = {
        one("bsf", { 0x0f, 0xbc }, -1, O_G, O_E, O_NONE, SZ_WDQ),
        one("bsr", { 0x0f, 0xbd }, -1, O_G, O_E, O_NONE, SZ_WDQ),
        one("tzcnt", { 0x0f, 0xbc }, -1, O_G, O_E, O_NONE, SZ_WDQ, I_NONE, F_F3),
        one("lzcnt", { 0x0f, 0xbd }, -1, O_G, O_E, O_NONE, SZ_WDQ, I_NONE, F_F3),
        one("popcnt", { 0x0f, 0xb8 }, -1, O_G, O_E, O_NONE, SZ_WDQ, I_NONE, F_F3),
    };
    Rng &rng = b.rng;
    if (rng.chance(55)) {
        const Form &f = pick_form(b, bt_forms, 8);
        FormOpts o;
        o.osz = form_pick_size(b, f);
        if (f.o[1] == O_G) {
            /* register bit offset: a memory operand addresses a bit string around EA, so keep
             * the signed offset small (SDM Vol. 2 BT, "bit base / bit offset") */
            int g = b.reg(o.osz, false, BIT_RSP, Enc());
            o.force_g = g;
            o.excl_mem = 1u << g;
            gen_form_with(b, f, o, [&](FormResult &r) {
                if (r.is_mem)
                    b.set_reg(g, upper_garbage(b, (uint64_t)rng.range(-256, 255), o.osz));
            });
        } else {
            gen_form(b, f, o);
        }
        return;
    }
    const Form &f = pick_form(b, scan_forms, 5);
    FormOpts o;
    o.osz = form_pick_size(b, f);
    o.excl_reg = BIT_RSP;                       /* the source may be set up below */
    const bool nonzero = f.mn[0] == 'b';        /* BSF/BSR of 0: destination undefined */
    if (!strcmp(f.mn, "popcnt"))
        b.c.emulated_insn = true;
    gen_form_with(b, f, o, [&](FormResult &r) {
        if (!nonzero && !rng.chance(50))
            return;
        uint64_t v = rng.value(o.osz * 8);
        if (nonzero && v == 0)
            v = 1ull << rng.below(o.osz * 8);
        if (r.is_mem)
            b.store_mem(r.m, o.osz, v, 0, 0);
        else
            b.set_reg(r.e_reg, upper_garbage(b, v, o.osz));
    });
}

/* ---- CMOVcc / SETcc ------------------------------------------------------------------------ */

static const std::string &cc_mn(const char *prefix, int cc)
{
    static std::string names[3][16];
    int k = prefix[0] == 'c' ? 0 : prefix[0] == 's' ? 1 : 2;
    if (names[k][cc].empty())
        names[k][cc] = std::string(prefix) + cc_name[cc];
    return names[k][cc];
}

static void gen_cmov(Builder &b)
{
    if (b.rng.chance(40))
        gen_alu(b);                             /* produce fresh flags */
    int cc = (int)b.rng.below(16);
    if (b.rng.chance(50)) {
        Form f = one(cc_mn("cmov", cc).c_str(), { 0x0f, (uint8_t)(0x40 + cc) }, -1, O_G, O_E,
                     O_NONE, SZ_WDQ);
        gen_form(b, f);
    } else {
        Form f = one(cc_mn("set", cc).c_str(), { 0x0f, (uint8_t)(0x90 + cc) }, 0, O_E, O_NONE,
                     O_NONE, SZ_B);
        gen_form(b, f);
    }
}

/* ---- string instructions ------------------------------------------------------------------- */

static void gen_string(Builder &b)
{
    struct Op { const char *mn; uint8_t op; bool src, dst, cmp; };
    static const Op ops[] = {
        { "movs", 0xa4, true, true, false }, { "cmps", 0xa6, true, true, true },
        { "stos", 0xaa, false, true, false }, { "lods", 0xac, true, false, false },
        { "scas", 0xae, false, true, true },
    };
    Rng &rng = b.rng;
    const Op &o = rng.pick(ops);
    const int osz = rand_osz(b);
    const char sfx = "?bw?d???q"[osz];
    int asz = b.mode;
    if (rng.chance(20))
        asz = b.mode == 8 ? 4 : 2;
    Enc e;
    e.op = { (uint8_t)(o.op + (osz > 1)) };
    e.opsize(osz);
    if (asz != b.mode)
        e.pfx.push_back(0x67);
    if (o.src && rng.chance(10)) {
        static const int segs[] = { 0x26, 0x36, 0x3e, 0x64, 0x65 };
        e.pfx.push_back((uint8_t)rng.pick(segs));
    }
    std::string mn = std::string(o.mn) + sfx;
    int rep = rng.below(100) < 35 ? 0 : (o.cmp && rng.chance(50)) ? 2 : 1;
    if (o.op == 0xac && rep && rng.chance(70))
        rep = 0;                                /* REP LODS is legal but rare */
    if (rep == 1) {
        e.pfx.insert(e.pfx.begin(), 0xf3);
        mn = (o.cmp ? "repe " : "rep ") + mn;
    } else if (rep == 2) {
        e.pfx.insert(e.pfx.begin(), 0xf2);
        mn = "repne " + mn;
    }
    const int n = rep ? (int)rng.below(9) : 1;
    auto addr = [&](void) {
        return DATA_BASE + 96 + rng.below((uint32_t)(DATA_SIZE - 192));
    };
    uint64_t src = addr(), dst = rng.chance(20) ? src + (uint64_t)rng.range(-16, 16) : addr();
    if (rng.chance(40)) {                       /* set DF explicitly */
        Enc df;
        bool std_ = rng.chance(50);
        df.op = { (uint8_t)(std_ ? 0xfd : 0xfc) };
        b.emit(df, std_ ? "std" : "cld", 4, -1, true);
    }
    if (o.src)
        b.set_reg(RSI, upper_garbage(b, src, asz));
    if (o.dst)
        b.set_reg(RDI, upper_garbage(b, dst, asz));
    if (rep) {
        b.set_reg(RCX, upper_garbage(b, (uint64_t)n, asz));
        b.has_rep = true;
    }
    FlagFx fx = flag_effects(mn.substr(mn.rfind(' ') + 1).c_str(), osz, -1);
    if (rep && n == 0)
        fx.defines = 0;                         /* count 0: no iteration, flags unchanged */
    b.emit_fx(e, mn, fx);
}

/* ---- XCHG / CMPXCHG / XADD / LOCK ---------------------------------------------------------- */

static void gen_cmpxchg8b(Builder &b, bool wide)
{
    Rng &rng = b.rng;
    const int size = wide ? 16 : 8;
    MemOp m = b.mem(size, BIT_RAX | BIT_RDX, wide ? 16 : 1, Area::Data, nullptr);
    Enc e;
    e.op = { 0x0f, 0xc7 };
    e.digit(1);
    if (wide)
        e.w = true;
    e.mem(m, b.mode);
    bool lock = rng.chance(40);
    if (lock)
        e.pfx.insert(e.pfx.begin(), 0xf0);
    if (rng.chance(50)) {                       /* make the comparison succeed */
        uint64_t lo = rng.value(64), hi = rng.value(64);
        if (!wide) {
            b.store_mem(m, 8, lo, 0, BIT_RAX | BIT_RDX);
            b.set_reg(RAX, upper_garbage(b, lo & 0xffffffff, 4));
            b.set_reg(RDX, upper_garbage(b, lo >> 32, 4));
        } else {
            b.store_mem(m, 16, lo, hi, BIT_RAX | BIT_RDX);
            b.set_reg(RAX, lo);
            b.set_reg(RDX, hi);
        }
    }
    std::string mn = wide ? "cmpxchg16b" : "cmpxchg8b";
    b.emit(e, lock ? "lock " + mn : mn, size);
}

static void gen_atomic(Builder &b)
{
    static const Form xchg_forms[] = {
        one("xchg", { 0x86 }, -1, O_E, O_G, O_NONE, SZ_B, I_NONE, F_BOTHW | F_MEM | F_LOCK),
        one("xchg", { 0x87 }, -1, O_E, O_G, O_NONE, SZ_WDQ, I_NONE, F_BOTHW | F_MEM | F_LOCK),
        one("xadd", { 0x0f, 0xc0 }, -1, O_E, O_G, O_NONE, SZ_B, I_NONE, F_BOTHW | F_LOCK),
        one("xadd", { 0x0f, 0xc1 }, -1, O_E, O_G, O_NONE, SZ_WDQ, I_NONE, F_BOTHW | F_LOCK),
    };
    static const Form cx_forms[] = {
        one("cmpxchg", { 0x0f, 0xb0 }, -1, O_E, O_G, O_NONE, SZ_B, I_NONE, F_LOCK),
        one("cmpxchg", { 0x0f, 0xb1 }, -1, O_E, O_G, O_NONE, SZ_WDQ, I_NONE, F_LOCK),
    };
    Rng &rng = b.rng;
    switch (rng.below(6)) {
    case 0: case 1:
        gen_form(b, pick_form(b, xchg_forms, 4));
        return;
    case 2: case 3: {
        const Form &f = pick_form(b, cx_forms, 2);
        FormOpts o;
        o.osz = form_pick_size(b, f);
        o.excl_mem = BIT_RAX;
        o.excl_reg = BIT_RSP;                   /* the destination may be set up below */
        gen_form_with(b, f, o, [&](FormResult &r) {
            if (b.mode == 8 && o.osz == 4) {
                /* Unicorn 2.0.1 zero-extends RAX even when the comparison succeeds (SDM: the
                 * accumulator is written only on failure), and the write-back of a failing
                 * 32-bit register destination is ambiguous (SDM pseudo-code DEST <- TEMP vs.
                 * hardware leaving it untouched): upper halves are made zero so that neither
                 * matters; DiffDirected.Cmpxchg32KeepsRaxOnSuccess checks hvsim directly. */
                b.set_reg(RAX, (uint32_t)rng.value(32));
                if (!r.is_mem && r.e_reg != RAX)
                    b.set_reg(r.e_reg, (uint32_t)rng.value(32));
            }
            if (!rng.chance(50))
                return;
            uint64_t v = rng.value(o.osz * 8);  /* accumulator == destination */
            if (r.is_mem) {
                b.store_mem(r.m, o.osz, v, 0, BIT_RAX);
            } else {
                if (reg8_gpr(r.e_reg) == RAX && o.osz == 1)
                    return;
                if (o.osz == 1)
                    b.set_reg8(r.e_reg, (uint8_t)v);
                else if (r.e_reg != RAX)
                    b.set_reg(r.e_reg, b.mode == 8 && o.osz == 4 ? v : upper_garbage(b, v, o.osz));
            }
            if (o.osz == 1)
                b.set_reg8(RAX, (uint8_t)v);
            else if (r.is_mem || r.e_reg != RAX)
                b.set_reg(RAX, b.mode == 8 && o.osz == 4 ? v : upper_garbage(b, v, o.osz));
        });
        return;
    }
    case 4:
        gen_cmpxchg8b(b, b.mode == 8 && rng.chance(50));
        return;
    default: {                                  /* any lockable read-modify-write, locked */
        unsigned n;
        const Form *t = forms_alu(&n);
        for (;;) {
            const Form &f = pick_form(b, t, n);
            if (!(f.fl & F_LOCK))
                continue;
            FormOpts o;
            o.mem = 1;
            o.lock = 1;
            gen_form(b, f, o);
            return;
        }
    }
    }
}

/* ---- BSWAP / MOVBE ------------------------------------------------------------------------- */

static void gen_bswap(Builder &b)
{
    static const Form forms[] = {
        /* BSWAP of a 16-bit register is undefined (SDM): only 32 and 64 */
        one("bswap", { 0x0f, 0xc8 }, -1, O_R, O_NONE, O_NONE, SZ_DQ),
        one("movbe", { 0x0f, 0x38, 0xf0 }, -1, O_G, O_M, O_NONE, SZ_WDQ),
        one("movbe", { 0x0f, 0x38, 0xf1 }, -1, O_M, O_G, O_NONE, SZ_WDQ, I_NONE, F_RO),
    };
    const Form &f = pick_form(b, forms, 3);
    if (f.mn[0] == 'm')
        b.c.emulated_insn = true;
    gen_form(b, f);
}

/* ---- flags and NOPs ------------------------------------------------------------------------ */

static void gen_nop(Builder &b)
{
    static const std::vector<uint8_t> nops[] = {
        /* SDM Vol. 2 Table 4-12, recommended multi-byte NOPs, and longer prefixed forms */
        { 0x90 }, { 0x66, 0x90 }, { 0x0f, 0x1f, 0x00 }, { 0x0f, 0x1f, 0x40, 0x00 },
        { 0x0f, 0x1f, 0x44, 0x00, 0x00 }, { 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 },
        { 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 },
        { 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
        { 0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
        { 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
        { 0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
        { 0x66, 0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
        { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00,
          0x00 },
    };
    Rng &rng = b.rng;
    if (rng.chance(30)) {                       /* NOP m with a random operand: no access */
        /* (the register form 0F 1F /0 mod=11 is a NOP on hardware too, but Capstone 4 cannot
         * decode it: not generated, see docs/DIFFERENTIAL-TESTING.md) */
        int osz = rand_osz(b, false);
        Enc e;
        e.op = { 0x0f, 0x1f };
        e.digit(0);
        e.opsize(osz);
        e.mem(b.mem(osz, 0), b.mode);
        b.emit(e, "nop", osz);
        return;
    }
    if (rng.chance(10)) {
        Enc e;
        e.op = { 0xf3, 0x90 };
        b.emit(e, "pause", 4);
        return;
    }
    const std::vector<uint8_t> &n = rng.pick(nops);
    Enc e;
    e.op = n;
    b.emit(e, "nop", 4);
}

static void gen_flags(Builder &b)
{
    struct F1 { const char *mn; uint8_t op; };
    static const F1 ops[] = { { "clc", 0xf8 }, { "stc", 0xf9 }, { "cmc", 0xf5 }, { "cld", 0xfc },
                              { "std", 0xfd }, { "lahf", 0x9f }, { "sahf", 0x9e } };
    Rng &rng = b.rng;
    if (rng.chance(25)) {
        gen_nop(b);
        return;
    }
    if (rng.chance(20))
        gen_alu(b);
    const F1 &f = rng.pick(ops);
    if (f.op == 0x9e && rng.chance(60))
        b.set_reg8(R8_AH, (uint8_t)rng.next());
    Enc e;
    e.op = { f.op };
    b.emit(e, f.mn, 4);
}

/* ---- stack --------------------------------------------------------------------------------- */

static void gen_stack(Builder &b)
{
    Rng &rng = b.rng;
    if (!b.rsp_valid) {
        gen_alu(b);
        return;
    }
    const int psz = b.mode;                     /* default push size */
    const bool can_push = b.rsp > (int64_t)STACK_BASE + 512;
    const bool can_pop = b.rsp < (int64_t)(STACK_BASE + STACK_SIZE) - 512;
    auto sz = [&](void) { return rng.chance(20) ? 2 : psz; };
    int k = (int)rng.below(14);
    if (!can_push && k != 1 && k != 4 && k != 10)
        k = 1;
    if (!can_pop && (k == 1 || k == 4 || k == 10))
        k = 0;
    switch (k) {
    case 0: {                                   /* PUSH r */
        int osz = sz();
        Enc e;
        e.op = { 0x50 };
        e.opsize(osz == 8 ? 4 : osz);           /* 64-bit push needs no REX.W */
        int r = (int)rng.below(b.nregs());
        e.opreg(r, osz);
        b.emit(e, "push", osz);
        b.rsp -= osz;
        return;
    }
    case 1: {                                   /* POP r (POP RSP only as the last one) */
        int osz = sz();
        Enc e;
        e.op = { 0x58 };
        e.opsize(osz == 8 ? 4 : osz);
        uint32_t ex = (b.remaining == 0 && osz != 2) ? 0 : BIT_RSP;
        int r = b.reg(osz, false, ex, e);
        e.opreg(r, osz);
        b.emit(e, "pop", osz);
        b.rsp += osz;
        if (r == RSP)
            b.rsp_valid = false;
        return;
    }
    case 2: {                                   /* PUSH imm8 / imm16/32 */
        int osz = sz();
        Enc e;
        bool i8 = rng.chance(50);
        e.op = { (uint8_t)(i8 ? 0x6a : 0x68) };
        if (osz == 2)
            e.opsize(2);
        e.isz = i8 ? 1 : osz == 2 ? 2 : 4;
        e.imm = rng.value(e.isz * 8);
        b.emit(e, "push", osz);
        b.rsp -= osz;
        return;
    }
    case 3: {                                   /* PUSH r/m */
        int osz = sz();
        Form f = one("push", { 0xff }, 6, O_E, O_NONE, O_NONE, (uint8_t)osz, I_NONE, F_RO);
        FormOpts o;
        o.osz = osz;
        o.area = rng.chance(30) ? Area::Stack : Area::Data;
        FormPlan p = plan_form(b, f, o);
        if (osz == 8)
            p.e.w = false;                      /* default 64-bit operand size */
        emit_plan(b, p, o);
        b.rsp -= osz;
        return;
    }
    case 4: {                                   /* POP r/m (RSP-based EA uses the new RSP) */
        int osz = sz();
        Form f = one("pop", { 0x8f }, 0, O_E, O_NONE, O_NONE, (uint8_t)osz);
        FormOpts o;
        o.osz = osz;
        o.area = rng.chance(30) ? Area::Stack : Area::Data;
        FormPlan p = plan_form(b, f, o);
        if (osz == 8)
            p.e.w = false;
        emit_plan(b, p, o);
        b.rsp += osz;
        return;
    }
    case 5: {                                   /* PUSHF, or PUSH value + POPF */
        int osz = sz();
        static const char *const pf[9] = { nullptr, nullptr, "pushf", nullptr, "pushfd", nullptr,
                                           nullptr, nullptr, "pushfq" };
        static const char *const pp[9] = { nullptr, nullptr, "popf", nullptr, "popfd", nullptr,
                                           nullptr, nullptr, "popfq" };
        Enc e;
        if (rng.chance(50)) {
            e.op = { 0x9c };
            if (osz == 2)
                e.opsize(2);
            b.emit(e, pf[osz], osz);
            b.rsp -= osz;
            return;
        }
        Enc pu;                                 /* only arithmetic flags and DF change */
        pu.op = { 0x68 };
        if (osz == 2)
            pu.opsize(2);
        pu.isz = osz == 2 ? 2 : 4;
        pu.imm = 0x2 | (rng.next() & (FL_ARITH | FL_DF));
        b.emit(pu, "push", osz, -1, true);
        e.op = { 0x9d };
        if (osz == 2)
            e.opsize(2);
        b.emit(e, pp[osz], osz);
        return;
    }
    case 6: {                                   /* CALL rel32, forward */
        Enc e;
        e.op = { 0xe8 };
        e.isz = 4;
        int l = b.label();
        b.emit_rel(e, l, "call");
        b.defer_bind(l, (int)rng.below(2));
        b.rsp -= psz;
        return;
    }
    case 7: {                                   /* PUSH target; RET [imm16] */
        int l = b.label();
        Enc pu;
        pu.op = { 0x68 };
        pu.isz = 4;
        b.emit_abs(pu, l, "push", true);
        Enc e;
        uint16_t extra = 0;
        if (rng.chance(40)) {
            extra = (uint16_t)rng.below(40);
            e.op = { 0xc2 };
            e.isz = 2;
            e.imm = extra;
        } else {
            e.op = { 0xc3 };
        }
        b.branches = true;
        b.emit(e, "ret", psz);
        b.rsp += extra;
        b.defer_bind(l, 0);
        return;
    }
    case 8: {                                   /* CALL r / CALL m, forward */
        int l = b.label();
        Enc e;
        e.op = { 0xff };
        e.digit(2);
        if (rng.chance(50)) {
            int r = b.reg(8, true, 0, Enc());
            Enc mv;
            mv.op = { 0xb8 };
            mv.opreg(r, 4);
            mv.isz = 4;
            b.emit_abs(mv, l, "mov", true);
            e.rm_reg(r, psz);
        } else {
            MemOp m = b.mem(psz, 0, 1, Area::Data, nullptr);
            Enc st;                             /* MOV r/m, imm32: the target address */
            st.op = { 0xc7 };
            st.digit(0);
            st.opsize(psz);
            st.mem(m, b.mode);
            st.isz = 4;
            b.emit_abs(st, l, "mov", true);
            e.mem(m, b.mode);
        }
        b.branches = true;
        b.emit(e, "call", psz);
        b.defer_bind(l, (int)rng.below(2));
        b.rsp -= psz;
        return;
    }
    case 9: {                                   /* ENTER size, level */
        int level = rng.chance(50) ? 0 : (int)rng.below(4);
        int size = (int)rng.below(64);
        if (level > 0)                          /* nesting copies frame pointers from [rBP-n] */
            b.set_reg(RBP, (uint64_t)(b.rsp + 8 * (int64_t)rng.below(8)));
        Enc e;
        e.op = { 0xc8 };
        e.isz = 2;
        e.imm = (uint64_t)size;
        e.isz2 = 1;
        e.imm2 = (uint64_t)level;
        b.emit(e, "enter", psz);
        b.rsp -= psz * (level > 0 ? level + 1 : 1) + size;
        return;
    }
    case 10: {                                  /* LEAVE with a frame pointer in the stack */
        int64_t rbp = b.rsp + 8 * (int64_t)rng.below(16) - 32;
        b.set_reg(RBP, (uint64_t)rbp);
        Enc e;
        e.op = { 0xc9 };
        b.emit(e, "leave", psz);
        b.rsp = rbp + psz;
        return;
    }
    case 11:
        if (b.mode == 4) {                      /* PUSHA/POPA (not in 64-bit mode) */
            bool w = rng.chance(25);
            bool pop = rng.chance(50) && can_pop;
            Enc e;
            e.op = { (uint8_t)(pop ? 0x61 : 0x60) };
            if (w)
                e.opsize(2);
            b.emit(e, pop ? (w ? "popaw" : "popal") : (w ? "pushaw" : "pushal"), w ? 2 : 4);
            b.rsp += (pop ? 1 : -1) * (w ? 16 : 32);
            return;
        }
        /* fall through */
    default: {                                  /* MOV to/from [rSP + disp] */
        unsigned n;
        const Form *t = forms_mov(&n);
        const Form &f = t[rng.below(4)];        /* 88, 89, 8A, 8B */
        FormOpts o;
        o.area = Area::Stack;
        o.mem = 1;
        gen_form(b, f, o);
        return;
    }
    }
}

/* ---- branches and loops -------------------------------------------------------------------- */

static void gen_branch(Builder &b)
{
    Rng &rng = b.rng;
    switch (rng.below(11)) {
    case 0: case 1:
        gen_alu(b);
        return;
    case 2: case 3: case 4: {                   /* Jcc rel8 / rel32, forward */
        int cc = (int)rng.below(16);
        int l = b.label();
        Enc e;
        bool near = rng.chance(60);
        if (near) {
            e.op = { (uint8_t)(0x70 + cc) };
            e.isz = 1;
        } else {
            e.op = { 0x0f, (uint8_t)(0x80 + cc) };
            e.isz = 4;
        }
        FlagFx fx;
        fx.reads = cc_reads(cc);
        b.emit_rel(e, l, cc_mn("j", cc), fx);
        b.defer_bind(l, (int)rng.below(near ? 2 : 3));
        return;
    }
    case 5: {                                   /* JMP rel8 / rel32 */
        int l = b.label();
        Enc e;
        bool near = rng.chance(50);
        e.op = { (uint8_t)(near ? 0xeb : 0xe9) };
        e.isz = near ? 1 : 4;
        b.emit_rel(e, l, "jmp");
        b.defer_bind(l, (int)rng.below(near ? 2 : 3));
        return;
    }
    case 6: {                                   /* counted loop: LOOP/LOOPE/LOOPNE backward */
        static const char *const lm[3] = { "loopne", "loope", "loop" };
        int kind = (int)rng.below(3);
        int asz = b.mode;
        if (rng.chance(20))
            asz = b.mode == 8 ? 4 : 2;
        b.set_reg(RCX, upper_garbage(b, 1 + rng.below(4), asz));
        int l = b.label();
        b.bind(l);
        int body = 1 + (int)rng.below(2);
        unsigned n;
        const Form *t = forms_alu(&n);
        for (int i = 0; i < body; i++) {
            FormOpts o;
            o.mem = 0;
            o.excl_reg = BIT_RCX;
            gen_form(b, pick_form(b, t, n), o);
        }
        Enc e;
        e.op = { (uint8_t)(0xe0 + kind) };
        if (asz != b.mode)
            e.pfx.push_back(0x67);
        e.isz = 1;
        FlagFx fx;
        if (kind < 2)
            fx.reads = FL_ZF;
        b.emit_rel(e, l, lm[kind], fx);
        return;
    }
    case 7: {                                   /* JrCXZ / forward LOOP with random rCX */
        int asz = b.mode;
        if (rng.chance(30))
            asz = b.mode == 8 ? 4 : 2;
        bool jcxz = rng.chance(60);
        if (rng.chance(50))
            b.set_reg(RCX, upper_garbage(b, rng.chance(50) ? 0 : 1, asz));
        int l = b.label();
        Enc e;
        e.op = { (uint8_t)(jcxz ? 0xe3 : 0xe2) };
        if (asz != b.mode)
            e.pfx.push_back(0x67);
        e.isz = 1;
        const char *mn = jcxz ? (asz == 8 ? "jrcxz" : asz == 4 ? "jecxz" : "jcxz") : "loop";
        b.emit_rel(e, l, mn);
        b.defer_bind(l, (int)rng.below(2));
        return;
    }
    case 8: {                                   /* JMP r / JMP m */
        int l = b.label();
        Enc e;
        e.op = { 0xff };
        e.digit(4);
        if (rng.chance(50)) {
            int r = b.reg(8, true, 0, Enc());
            Enc mv;
            mv.op = { 0xb8 };
            mv.opreg(r, 4);
            mv.isz = 4;
            b.emit_abs(mv, l, "mov", true);
            e.rm_reg(r, b.mode);
        } else {
            MemOp m = b.mem(b.mode, 0, 1, Area::Data, nullptr);
            Enc st;
            st.op = { 0xc7 };
            st.digit(0);
            st.opsize(b.mode);
            st.mem(m, b.mode);
            st.isz = 4;
            b.emit_abs(st, l, "mov", true);
            e.mem(m, b.mode);
        }
        b.branches = true;
        b.emit(e, "jmp", b.mode);
        b.defer_bind(l, (int)rng.below(2));
        return;
    }
    default:
        gen_cmov(b);
        return;
    }
}

/* ---- BCD (not valid in 64-bit mode) -------------------------------------------------------- */

static void gen_bcd(Builder &b)
{
    Rng &rng = b.rng;
    if (rng.chance(50))
        b.set_reg(RAX, rng.value(32));
    if (rng.chance(40)) {                       /* ADD/SUB AL, imm8 for realistic AF/CF */
        Enc e;
        bool sub = rng.chance(50);
        e.op = { (uint8_t)(sub ? 0x2c : 0x04) };
        e.isz = 1;
        e.imm = rng.below(256);
        b.emit(e, sub ? "sub" : "add", 1);
    }
    struct B1 { const char *mn; uint8_t op; };
    static const B1 ops[] = { { "daa", 0x27 }, { "das", 0x2f }, { "aaa", 0x37 }, { "aas", 0x3f },
                              { "aam", 0xd4 }, { "aad", 0xd5 } };
    const B1 &o = rng.pick(ops);
    Enc e;
    e.op = { o.op };
    if (o.op >= 0xd4) {
        e.isz = 1;
        e.imm = rng.chance(50) ? 10 : rng.below(256);
        if (o.op == 0xd4 && e.imm == 0)
            e.imm = 10;                         /* AAM 0 is #DE: tested in the fault group */
    }
    b.emit(e, o.mn, 1);
}

/* ---- faults -------------------------------------------------------------------------------- */

static void gen_fault(Builder &b)
{
    Rng &rng = b.rng;
    b.c.expect_fault = true;
    int pre = (int)rng.below(3);
    for (int i = 0; i < pre; i++)
        gen_alu(b);
    switch (rng.below(8)) {
    case 0: gen_div_kind(b, 1); return;         /* #DE: divide by zero */
    case 1: gen_div_kind(b, 2); return;         /* #DE: quotient too large */
    case 2: {                                   /* #UD: LOCK with a register destination */
        unsigned n;
        const Form *t = forms_alu(&n);
        const Form *f;
        do
            f = &pick_form(b, t, n);
        while (!(f->fl & F_LOCK));
        FormOpts o;
        o.mem = 0;
        FormPlan p = plan_form(b, *f, o);
        p.e.pfx.insert(p.e.pfx.begin(), 0xf0);
        p.mn = "lock " + p.mn;
        b.c.sdm_fault = VEC_UD_;                /* Unicorn 2.0.1 executes LOCK XOR r,r */
        b.c.uc_count = b.c.insns.size() + b.c.uc_patch.size();   /* + NOPs */
        emit_plan(b, p, o);
        b.c.insns.back().may_be_bad = true;     /* Capstone 4 rejects some LOCK misuses */
        return;
    }
    case 3: {                                   /* #UD: UD2 */
        Enc e;
        e.op = { 0x0f, 0x0b };
        b.emit(e, "ud2", 4);
        return;
    }
    case 4: {                                   /* #UD: LOCK on an instruction that is not RMW */
        unsigned n;
        const Form *t = forms_mov(&n);
        FormOpts o;
        o.mem = 1;
        o.lock = 0;
        FormPlan p = plan_form(b, t[rng.below(2)], o);     /* MOV m, r */
        p.e.pfx.insert(p.e.pfx.begin(), 0xf0);
        p.mn = "lock " + p.mn;
        b.c.sdm_fault = VEC_UD_;                /* Unicorn 2.0.1 executes it */
        b.c.uc_count = b.c.insns.size() + b.c.uc_patch.size();   /* + NOPs */
        emit_plan(b, p, o);
        b.c.insns.back().may_be_bad = true;     /* Capstone 4 rejects some LOCK misuses */
        return;
    }
    case 5:
        if (b.mode == 8) {                      /* #GP: CMPXCHG16B on a misaligned operand */
            Enc e;
            e.op = { 0x0f, 0xc7 };
            e.digit(1);
            e.w = true;
            /* force misalignment: a base register pointing 8 bytes off a 16-byte boundary */
            MemOp mm;
            mm.asz = 8;
            mm.base = b.reg(8, false, BIT_RSP, Enc());
            mm.dsz = 0;
            b.set_reg(mm.base, (DATA_BASE + 0x100 + 16 * rng.below(64)) | (1 + rng.below(15)));
            e.mem(mm, 8);
            b.emit(e, "cmpxchg16b", 16);
        } else {                                /* #DE: AAM 0 */
            Enc e;
            e.op = { 0xd4 };
            e.isz = 1;
            e.imm = 0;
            b.emit(e, "aam", 1);
        }
        return;
    case 6:
        if (b.mode == 8) {                      /* #UD: opcodes invalid in 64-bit mode */
            static const uint8_t bad[] = { 0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f, 0x27, 0x2f,
                                           0x37, 0x3f, 0x60, 0x61, 0xce };
            Enc e;
            e.op = { rng.pick(bad) };
            b.emit(e, "(bad)", 4);
            return;
        }
        /* fall through */
    default: {                                  /* #UD: LOCK CMP (CMP is not lockable) */
        unsigned n;
        const Form *t = forms_alu(&n);
        const Form *f;
        do
            f = &pick_form(b, t, n);
        while (strcmp(f->mn, "cmp") || f->o[0] != O_E);
        FormOpts o;
        o.mem = 1;
        FormPlan p = plan_form(b, *f, o);
        p.e.pfx.insert(p.e.pfx.begin(), 0xf0);
        p.mn = "lock " + p.mn;
        b.c.sdm_fault = VEC_UD_;                /* Unicorn 2.0.1 executes it */
        b.c.uc_count = b.c.insns.size() + b.c.uc_patch.size();   /* + NOPs */
        emit_plan(b, p, o);
        b.c.insns.back().may_be_bad = true;     /* Capstone 4 rejects some LOCK misuses */
        return;
    }
    }
}

/* ---- mixed --------------------------------------------------------------------------------- */

static void gen_mixed(Builder &b)
{
    static void (*const gens[])(Builder &) = {
        gen_alu, gen_mov, gen_shift, gen_rotate, gen_shiftd, gen_muldiv, gen_bitops, gen_cmov,
        gen_string, gen_atomic, gen_stack, gen_bswap, gen_flags,
    };
    b.rng.pick(gens)(b);
}

/* Groups: name, generator, modes (1: 32-bit, 2: 64-bit), instructions under test per case. */
const Group groups[] = {
    { "alu", gen_alu, 3, 4 },
    { "mov", gen_mov, 3, 4 },
    { "shift", gen_shift, 3, 4 },
    { "rotate", gen_rotate, 3, 4 },
    { "shiftd", gen_shiftd, 3, 3 },
    { "muldiv", gen_muldiv, 3, 3 },
    { "bitops", gen_bitops, 3, 3 },
    { "cmovsetcc", gen_cmov, 3, 4 },
    { "string", gen_string, 3, 3 },
    { "atomic", gen_atomic, 3, 3 },
    { "stack", gen_stack, 3, 8 },
    { "bswap", gen_bswap, 3, 3 },
    { "branch", gen_branch, 3, 8 },
    { "flags", gen_flags, 3, 5 },
    { "bcd", gen_bcd, 1, 3 },
    { "mixed", gen_mixed, 3, 10 },
    { "fault", gen_fault, 3, 1 },
};
const unsigned n_groups = sizeof groups / sizeof groups[0];

} // namespace diff
