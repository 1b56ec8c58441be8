/* diff_gen.cc — the Builder of the differential-test generator: emission, set-up of operands,
 * labels, flag tracking, and the Capstone check of every generated encoding (see diff_gen.h).
 */
#include "tests/diff/diff_gen.h"

#include <capstone/capstone.h>
#include <string.h>

#include <algorithm>

namespace diff {

/* ---- Capstone ---------------------------------------------------------------------------- */

static csh cs_for(int mode)
{
    static csh h32, h64;
    static bool open32, open64;
    csh &h = mode == 8 ? h64 : h32;
    bool &open = mode == 8 ? open64 : open32;
    if (!open) {
        if (cs_open(CS_ARCH_X86, mode == 8 ? CS_MODE_64 : CS_MODE_32, &h) != CS_ERR_OK)
            throw GenError("cannot open Capstone");
        open = true;
    }
    return h;
}

std::string disasm_one(int mode, const uint8_t *code, size_t len, uint64_t addr, int *size_out,
                       std::string *mn_out)
{
    cs_insn *in = nullptr;
    size_t n = cs_disasm(cs_for(mode), code, len, addr, 1, &in);
    if (n == 0) {
        if (size_out)
            *size_out = 0;
        return "(undecodable)";
    }
    std::string s = in->mnemonic;
    if (mn_out)
        *mn_out = s;
    if (in->op_str[0])
        s += std::string(" ") + in->op_str;
    if (size_out)
        *size_out = in->size;
    cs_free(in, n);
    return s;
}

/* ---- Builder ----------------------------------------------------------------------------- */

Builder::Builder(Case &cs, Rng &r) : c(cs), rng(r), mode(cs.mode)
{
    State &s = c.init;
    for (int i = 0; i < 16; i++)
        s.gpr[i] = i < nregs() ? rng.value(mode * 8) : 0;
    rsp = (int64_t)STACK_INIT - 8 * (int64_t)rng.below(16) - (rng.chance(10) ? 4 : 0);
    s.gpr[RSP] = (uint64_t)rsp;
    s.rip = CODE_BASE;
    s.rflags = 0x2 | (rng.next() & FL_ARITH) | (rng.chance(25) ? FL_DF : 0);
    s.data.resize(DATA_SIZE);
    s.stack.resize(STACK_SIZE);
    for (size_t i = 0; i < DATA_SIZE; i += 8)
        poke(DATA_BASE + i, rng.value(64), 8);
    for (size_t i = 0; i < STACK_SIZE; i += 8) {
        uint64_t v = rng.next();
        memcpy(&s.stack[i], &v, 8);
    }
}

void Builder::poke(uint64_t addr, uint64_t v, int size)
{
    for (int i = 0; i < size; i++) {
        uint64_t a = addr + i;
        if (a >= DATA_BASE && a < DATA_BASE + DATA_SIZE)
            c.init.data[a - DATA_BASE] = (uint8_t)(v >> (8 * i));
        else if (a >= STACK_BASE && a < STACK_BASE + STACK_SIZE)
            c.init.stack[a - STACK_BASE] = (uint8_t)(v >> (8 * i));
        else
            throw GenError("poke outside the data and stack areas");
    }
}

void Builder::place(const Enc &e0, const std::string &mn, bool setup, std::vector<uint8_t> &bytes)
{
    Enc e = e0;
    const uint64_t addr = CODE_BASE + c.code.size();
    if (e.riprel) {
        const uint64_t end = addr + e.encode().size();
        e.disp = (int64_t)((uint64_t)e.disp - end);     /* disp held the absolute target */
        if (e.disp != (int32_t)e.disp)
            throw GenError("RIP-relative displacement out of range");
    }
    bytes = e.encode();
    if (c.code.size() + bytes.size() + 16 > CODE_SIZE)
        throw GenError("code area full");
    InsnInfo ii;
    ii.off = (uint32_t)c.code.size();
    ii.len = (uint8_t)bytes.size();
    ii.setup = setup;
    ii.mn = mn;
    c.insns.push_back(ii);
    c.code.insert(c.code.end(), bytes.begin(), bytes.end());
}

void Builder::emit_fx(Enc e, const std::string &mn, FlagFx fx, bool setup)
{
    if (fx.reads & undef_now)
        define_flags();
    std::vector<uint8_t> bytes;
    place(e, mn, setup, bytes);
    if (!branches)
        undef_now &= ~fx.defines;
    undef_now |= fx.undef;
}

static std::string base_mnemonic(const std::string &mn)
{
    size_t sp = mn.rfind(' ');
    return sp == std::string::npos ? mn : mn.substr(sp + 1);
}

void Builder::emit(Enc e, const std::string &mn, int osz, int count, bool setup)
{
    emit_fx(e, mn, flag_effects(base_mnemonic(mn).c_str(), osz, count), setup);
}

int Builder::label()
{
    labels_.push_back(-1);
    return (int)labels_.size() - 1;
}

void Builder::bind(int l)
{
    labels_.at(l) = (int64_t)c.code.size();
}

void Builder::emit_rel(Enc e, int l, const std::string &mn, FlagFx fx)
{
    branches = true;
    if (fx.reads & undef_now)
        define_flags();
    e.imm = 0;
    std::vector<uint8_t> bytes;
    place(e, mn, false, bytes);
    fixups_.push_back({ c.code.size() - e.isz, e.isz, l, true, c.code.size() });
    undef_now |= fx.undef;
}

void Builder::emit_abs(Enc e, int l, const std::string &mn, bool setup)
{
    e.imm = 0;
    std::vector<uint8_t> bytes;
    place(e, mn, setup, bytes);
    fixups_.push_back({ c.code.size() - e.isz, e.isz, l, false, 0 });
}

void Builder::set_reg(int r, uint64_t v)
{
    Enc e;
    if (mode == 8 && (v >> 32) != 0 && (int64_t)v != (int32_t)v) {
        e.op = { 0xb8 };                        /* MOV r64, imm64 */
        e.w = true;
        e.opreg(r, 8);
        e.isz = 8;
        e.imm = v;
        emit(e, "movabs", 8, -1, true);
    } else if (mode == 8 && (v >> 32) != 0) {
        e.op = { 0xc7 };                        /* MOV r/m64, imm32 (sign-extended) */
        e.digit(0);
        e.w = true;
        e.rm_reg(r, 8);
        e.isz = 4;
        e.imm = v;
        emit(e, "mov", 8, -1, true);
    } else {
        e.op = { 0xb8 };                        /* MOV r32, imm32 (zero-extends in 64-bit) */
        e.opreg(r, 4);
        e.isz = 4;
        e.imm = v;
        emit(e, "mov", 4, -1, true);
    }
}

void Builder::set_reg8(int r8, uint8_t v)
{
    Enc e;
    e.op = { 0xb0 };                            /* MOV r8, imm8 */
    e.opreg(r8, 1);
    e.isz = 1;
    e.imm = v;
    emit(e, "mov", 1, -1, true);
}

void Builder::define_flags()
{
    Enc e;
    e.op = { 0x39 };                            /* CMP r/m, r: defines all six flags */
    int osz = mode == 8 && rng.chance(50) ? 8 : 4;
    e.opsize(osz);
    e.reg_field((int)rng.below(nregs()), osz);
    e.rm_reg((int)rng.below(nregs()), osz);
    std::vector<uint8_t> bytes;
    place(e, "cmp", true, bytes);
    if (!branches)
        undef_now = 0;
}

int Builder::reg(int size, bool write, uint32_t excl, const Enc &e)
{
    int cand[24];
    int n = 0;
    if (size == 1) {
        bool rex_ok = mode == 8 && !e.rex_forbid;
        bool high_ok = !e.needs_rex();
        for (int r = 0; r < (rex_ok ? 16 : 4); r++)
            if (!(excl & (1u << r)) && !(write && r == RSP))
                cand[n++] = r;
        if (high_ok)
            for (int r = R8_AH; r <= R8_BH; r++)
                if (!(excl & (1u << reg8_gpr(r))))
                    cand[n++] = r;
    } else {
        for (int r = 0; r < nregs(); r++)
            if (!(excl & (1u << r)) && !(write && r == RSP))
                cand[n++] = r;
    }
    if (n == 0)
        throw GenError("no register left to choose");
    return cand[rng.below(n)];
}

/* Index values: mostly small, sometimes anything (address arithmetic wraps). */
static uint64_t index_value(Rng &rng, int bits)
{
    if (rng.chance(50))
        return (uint64_t)rng.range(-40, 40);
    return rng.value(bits);
}

MemOp Builder::mem(int size, uint32_t excl, unsigned align, Area area, uint64_t *ea,
                   bool allow_asz, bool allow_rip)
{
    MemOp m;
    m.asz = mode;
    if (allow_asz && rng.chance(15))
        m.asz = mode == 8 ? 4 : 2;
    const int W = m.asz * 8;
    const uint64_t wmask = W == 64 ? ~0ull : (1ull << W) - 1;

    uint64_t lo, hi;
    if (area == Area::Data) {
        lo = DATA_BASE + 64;
        hi = DATA_BASE + DATA_SIZE - 64 - size;
    } else {
        if (!rsp_valid)
            throw GenError("stack operand after RSP was lost");
        lo = std::max<int64_t>(STACK_BASE + 64, rsp - 200);
        hi = std::min<int64_t>(STACK_BASE + STACK_SIZE - 64 - size, rsp + 200);
    }
    uint64_t T = lo + rng.below((uint32_t)(hi - lo));
    if (align > 1)
        T &= ~(uint64_t)(align - 1);
    else if (rng.chance(60))
        T &= ~(uint64_t)(size - 1);
    if (ea)
        *ea = T;

    /* segment overrides: flat bases, so the address is unchanged (CS only for 64-bit mode,
     * where it is ignored; in 32-bit mode a CS write would #GP) */
    if (rng.chance(8)) {
        static const int segs64[] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65 };
        static const int segs32[] = { 0x26, 0x36, 0x3e, 0x64, 0x65 };
        m.seg = mode == 8 ? rng.pick(segs64) : rng.pick(segs32);
    }

    const uint32_t bad = excl | (1u << RSP);
    auto free_reg = [&](uint32_t more) {
        int cand[16], n = 0;
        for (int r = 0; r < nregs(); r++)
            if (!((bad | more) & (1u << r)))
                cand[n++] = r;
        return n ? cand[rng.below(n)] : NOREG;
    };
    auto garbage = [&](uint64_t v) {    /* bits above the address size are ignored */
        if (W < mode * 8 && rng.chance(70))
            v |= rng.next() & ~wmask;
        return v;
    };

    if (m.asz == 2) {
        static const int combos[8][2] = { { RBX, RSI }, { RBX, RDI }, { RBP, RSI }, { RBP, RDI },
                                          { NOREG, RSI }, { NOREG, RDI }, { RBP, NOREG },
                                          { RBX, NOREG } };
        int k = (int)rng.below(9);
        if (k < 8) {
            int b = combos[k][0], x = combos[k][1];
            if ((b != NOREG && (bad & (1u << b))) || (x != NOREG && (bad & (1u << x))))
                k = 8;
            else {
                m.base = b;
                m.index = x;
            }
        }
        if (k == 8) {                                   /* [disp16] */
            m.disp = (int64_t)T;
            m.dsz = 2;
            return m;
        }
        m.dsz = (int)rng.below(3);
        m.disp = m.dsz == 0 ? 0 : m.dsz == 1 ? (int8_t)rng.next() : (int16_t)rng.next();
        uint64_t xi = m.index != NOREG ? rng.value(16) : 0;
        uint64_t xb = (T - xi - (uint64_t)m.disp) & 0xffff;
        if (m.base == NOREG)
            xi = (T - (uint64_t)m.disp) & 0xffff;
        if (m.base != NOREG)
            set_reg(m.base, garbage(xb));
        if (m.index != NOREG)
            set_reg(m.index, garbage(xi));
        return m;
    }

    int form = (int)rng.below(11);
    if (form == 9 && (m.asz != 8 || !allow_rip))
        form = 4;
    if (form == 10 && (area != Area::Stack || (excl & (1u << RSP))))
        form = 3;

    auto pick_disp = [&](bool need32) {
        static const int dszs[] = { 0, 1, 4 };
        m.dsz = need32 ? 4 : rng.pick(dszs);
        if (m.dsz == 1)
            m.disp = (int8_t)rng.next();
        else if (m.dsz == 4)
            m.disp = rng.chance(50) ? (int32_t)rng.value(32) : (int64_t)rng.range(-4096, 4096);
        if (m.disp > 0x7fffff00)                    /* room for the exact-target fix-ups */
            m.disp -= 0x100;
        else
            m.disp = 0;
    };

    switch (form) {
    case 0: case 1: case 2: {                           /* [base + disp] */
        m.base = free_reg(0);
        pick_disp(false);
        set_reg(m.base, garbage((T - (uint64_t)m.disp) & wmask));
        break;
    }
    case 3: case 4: case 5: case 6: {                   /* [base + index*s + disp] */
        m.base = free_reg(0);
        m.index = rng.chance(15) ? m.base : free_reg(0);
        m.scale = (int)rng.below(4);
        pick_disp(false);
        if (m.index == m.base) {
            /* v * (1 + s) + disp = T: pick v, then make disp exact so T (and its alignment)
             * is kept */
            uint64_t q = (T - (uint64_t)m.disp) & wmask;
            uint64_t v = q / (1 + (1ull << m.scale));
            set_reg(m.base, garbage(v));
            int64_t d = (int64_t)(T - v * (1 + (1ull << m.scale)));
            if (W == 32)
                d = (int32_t)d;
            m.disp = d;
            if (m.dsz == 0 && d != 0)
                m.dsz = 1;
            if (m.dsz == 1 && d != (int8_t)d)
                m.dsz = 4;
        } else {
            uint64_t xi = index_value(rng, W) & wmask;
            uint64_t xb = (T - (xi << m.scale) - (uint64_t)m.disp) & wmask;
            set_reg(m.base, garbage(xb));
            set_reg(m.index, garbage(xi));
        }
        break;
    }
    case 7: {                                           /* [index*s + disp32] */
        m.index = free_reg(0);
        m.scale = (int)rng.below(4);
        pick_disp(true);
        uint64_t q = (T - (uint64_t)m.disp) & wmask;
        uint64_t xi = q >> m.scale;
        if (W == 64 && (q >> 63))                       /* keep the sign for 64-bit wrap */
            xi |= ~(~0ull >> m.scale);
        set_reg(m.index, garbage(xi));
        m.disp += (int64_t)(q & ((1ull << m.scale) - 1));   /* exact: T keeps its alignment */
        if (W == 32)
            m.disp = (int32_t)m.disp;
        break;
    }
    case 8: {                                           /* [disp32] absolute */
        m.disp = (int64_t)T;
        m.dsz = 4;
        m.sib_abs = rng.chance(30);
        break;
    }
    case 9: {                                           /* [rip + disp32] */
        m.base = REG_RIP;
        m.disp = (int64_t)T;                            /* absolute; fixed up in place() */
        m.dsz = 4;
        break;
    }
    case 10: {                                          /* [rsp + (index*s) + disp] */
        m.base = RSP;
        if (rng.chance(40)) {
            m.index = free_reg(0);
            m.scale = (int)rng.below(4);
        }
        int64_t d = (int64_t)T - rsp;
        uint64_t xi = 0;
        if (m.index != NOREG) {
            xi = (uint64_t)rng.range(-8, 8);
            d -= (int64_t)(xi << m.scale);
            set_reg(m.index, garbage(xi & wmask));
        }
        m.disp = d;
        m.dsz = (d == (int8_t)d) ? (d == 0 && rng.chance(50) ? 0 : 1) : 4;
        break;
    }
    }
    if (ea)
        *ea = T;
    return m;
}

void Builder::tick()
{
    for (size_t i = 0; i < pending_.size();) {
        if (pending_[i].after-- <= 0) {
            bind(pending_[i].label);
            pending_.erase(pending_.begin() + (long)i);
        } else {
            i++;
        }
    }
}

MemOp Builder::mem_plus(MemOp m, int delta) const
{
    m.disp += delta;
    if (m.base == REG_RIP || (m.base == NOREG && (m.index == NOREG || m.asz != 2)))
        return m;                                   /* disp16/disp32 already */
    if (m.asz == 2) {
        m.disp = (int16_t)m.disp;
        m.dsz = m.disp == (int8_t)m.disp ? std::max(m.dsz, 1) : 2;
    } else {
        m.dsz = (m.dsz <= 1 && m.disp == (int8_t)m.disp) ? 1 : 4;
    }
    return m;
}

void Builder::store_mem(const MemOp &m, int size, uint64_t v, uint64_t v_hi, uint32_t excl)
{
    uint32_t used = excl | (1u << RSP);
    if (m.base >= 0 && m.base < 16)
        used |= 1u << m.base;
    if (m.index >= 0)
        used |= 1u << m.index;
    int chunk = mode == 8 ? 8 : 4;
    for (int off = 0; off < size; off += chunk) {
        int n = std::min(chunk, size - off);
        uint64_t part = off < 8 ? v >> (8 * off) : v_hi >> (8 * (off - 8));
        if (off < 8 && off + n > 8)
            part |= v_hi << (8 * (8 - off));
        Enc e;
        if (n <= 4) {                               /* MOV r/m, imm */
            e.op = { (uint8_t)(n == 1 ? 0xc6 : 0xc7) };
            e.digit(0);
            e.opsize(n);
            e.mem(mem_plus(m, off), mode);
            e.isz = n == 1 ? 1 : n == 2 ? 2 : 4;
            e.imm = part;
        } else {                                    /* MOV r/m64, scratch */
            int tmp = -1;
            for (int r = (int)rng.below(nregs()), k = 0; k < nregs(); k++, r = (r + 1) % nregs())
                if (!(used & (1u << r))) {
                    tmp = r;
                    break;
                }
            if (tmp < 0)
                throw GenError("no scratch register for a store");
            set_reg(tmp, part);
            e.op = { 0x89 };
            e.opsize(8);
            e.mem(mem_plus(m, off), mode);
            e.reg_field(tmp, 8);
        }
        emit(e, "mov", n, -1, true);
    }
}

void Builder::finish()
{
    for (const Pending &p : pending_)
        bind(p.label);
    pending_.clear();
    Enc hlt;
    hlt.op = { 0xf4 };
    std::vector<uint8_t> bytes;
    place(hlt, "hlt", true, bytes);
    for (const Fixup &f : fixups_) {
        int64_t lo = labels_.at(f.label);
        if (lo < 0)
            throw GenError("unbound label");
        uint64_t target = CODE_BASE + (uint64_t)lo;
        uint64_t v = f.rel ? target - (CODE_BASE + f.end) : target;
        if (f.rel && f.size == 1 && (int64_t)v != (int8_t)v)
            throw GenError("rel8 branch out of range");
        for (int i = 0; i < f.size; i++)
            c.code[f.pos + i] = (uint8_t)(v >> (8 * i));
    }
    /* Every encoding must decode to what the generator meant (Capstone 4). */
    for (InsnInfo &ii : c.insns) {
        int size = 0;
        std::string mn;
        ii.text = disasm_one(mode, c.code.data() + ii.off, ii.len, CODE_BASE + ii.off, &size, &mn);
        if ((ii.mn == "(bad)" || ii.may_be_bad) && size == 0)
            continue;                       /* an encoding meant to be invalid (#UD tests) */
        if (size != ii.len || mn != ii.mn) {
            std::string hex;
            char b[4];
            for (int i = 0; i < ii.len; i++) {
                snprintf(b, sizeof b, "%02x ", c.code[ii.off + i]);
                hex += b;
            }
            throw GenError("generator: encoding " + hex + "meant '" + ii.mn + "' (" +
                           std::to_string(ii.len) + " bytes) but Capstone decodes '" + ii.text +
                           "' (" + std::to_string(size) + " bytes)");
        }
    }
    c.flag_mask = 0x3fffff & ~undef_now & ~0x2a;        /* bits 1, 3, 5 are fixed */
    const uint64_t n = c.insns.size() - 1;              /* without the final HLT */
    if (!branches && !has_rep && !c.emulated_insn && !no_count_term && !c.expect_fault &&
        rng.chance(50)) {
        c.term = Term::Count;
        c.count = n;
    } else {
        c.term = Term::Hlt;
        c.count = 200000;
    }
}

/* ---- cases ------------------------------------------------------------------------------- */

uint64_t case_seed(uint64_t base_seed, const char *group, int mode, unsigned index)
{
    return mix64(base_seed ^ hash_str(group) ^ ((uint64_t)mode << 56) ^
                 (0x9e3779b97f4a7c15ull * (index + 1)));
}

Case make_case(const Group &g, int mode, uint64_t seed)
{
    Case c;
    c.group = g.name;
    c.mode = mode;
    c.seed = seed;
    Rng rng(seed);
    Builder b(c, rng);
    int n = 1 + (int)rng.below((uint32_t)g.max_len);
    for (int i = 0; i < n; i++) {
        b.remaining = n - 1 - i;
        g.gen(b);
        b.tick();
    }
    b.finish();
    return c;
}

Case hand_case(int mode, std::vector<uint8_t> code)
{
    Case c;
    c.group = "hand";
    c.mode = mode;
    c.code = std::move(code);
    c.code.push_back(0xf4);
    InsnInfo ii;
    ii.len = (uint8_t)c.code.size();
    ii.text = "(hand-assembled)";
    c.insns.push_back(ii);
    c.init.rip = CODE_BASE;
    c.init.rflags = 0x2;
    c.init.gpr[RSP] = STACK_INIT;
    c.init.data.assign(DATA_SIZE, 0);
    c.init.stack.assign(STACK_SIZE, 0);
    c.flag_mask = 0x3fffff & ~0x2a;
    c.term = Term::Hlt;
    c.count = 1000;
    return c;
}

const Group *find_group(const char *name)
{
    for (unsigned i = 0; i < n_groups; i++)
        if (!strcmp(groups[i].name, name))
            return &groups[i];
    return nullptr;
}

} // namespace diff
