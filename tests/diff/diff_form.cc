/* diff_form.cc — instantiating table-driven instruction forms with random operands, and the
 * tables of the ALU, MOV and shift/rotate groups (SDM Vol. 2 Appendix A opcode map).
 */
#include "tests/diff/diff_form.h"

#include <string.h>

#include <vector>

namespace diff {

uint8_t form_sizes(const Form &f, int mode)
{
    return mode == 8 ? f.sizes : (uint8_t)(f.sizes & ~SZ_Q);
}

bool form_ok(const Form &f, int mode)
{
    if ((f.fl & F_32) && mode == 8)
        return false;
    if ((f.fl & F_64) && mode == 4)
        return false;
    return form_sizes(f, mode) != 0;
}

const Form &pick_form(Builder &b, const Form *t, unsigned n)
{
    for (;;) {
        const Form &f = t[b.rng.below(n)];
        if (form_ok(f, b.mode))
            return f;
    }
}

static int pick_size(Rng &rng, uint8_t sizes)
{
    int cand[4], n = 0;
    for (int s = 1; s <= 8; s <<= 1)
        if (sizes & s)
            cand[n++] = s;
    if (!n)
        throw GenError("form has no size in this mode");
    return cand[rng.below(n)];
}

static int imm_bytes(ImmKind k, int osz)
{
    switch (k) {
    case I_B: return 1;
    case I_W: return 2;
    case I_Z: return osz == 2 ? 2 : 4;
    case I_V: return osz;
    default: return 0;
    }
}

int form_pick_size(Builder &b, const Form &f)
{
    return pick_size(b.rng, form_sizes(f, b.mode));
}

FormPlan plan_form(Builder &b, const Form &f, const FormOpts &o)
{
    FormPlan p;
    Enc &e = p.e;
    FormResult &r = p.r;
    Rng &rng = b.rng;
    const int osz = o.osz ? o.osz : pick_size(rng, form_sizes(f, b.mode));
    r.osz = osz;
    if (f.fl & F_F3)
        e.mpfx = 0xf3;
    e.op.assign(f.op, f.op + f.nop);
    if (f.digit >= 0)
        e.digit(f.digit);
    if (osz != 1)
        e.opsize(osz);

    /* which operands are written */
    bool w0 = !(f.fl & F_RO), w1 = (f.fl & F_BOTHW) != 0;
    int esize = osz, gsize = osz;
    for (int k = 0; k < 3; k++)
        if (f.o[k] == O_E && f.ssize && k > 0)
            esize = f.ssize;

    /* memory operand first: its registers decide REX, which decides the 8-bit registers */
    bool has_e = false;
    for (int k = 0; k < 3; k++)
        has_e |= f.o[k] == O_E || f.o[k] == O_M;
    bool want_mem = false;
    if (has_e) {
        bool is_m = false;
        for (int k = 0; k < 3; k++)
            is_m |= f.o[k] == O_M;
        want_mem = is_m || (f.fl & F_MEM) || (!(f.fl & F_REG) && (o.mem >= 0 ? o.mem == 1
                                                                             : rng.chance(50)));
    }
    if (want_mem) {
        r.m = b.mem(esize == 0 ? 1 : esize, o.excl_mem, o.align, o.area, &r.ea, true,
                    !o.no_riprel);
        e.mem(r.m, b.mode);
        r.is_mem = true;
    }

    bool lock = false;
    if (r.is_mem && (f.fl & F_LOCK) && !(f.fl & F_RO))
        lock = o.lock >= 0 ? o.lock == 1 : rng.chance(30);
    if (lock)
        e.pfx.insert(e.pfx.begin(), 0xf0);

    for (int k = 0; k < 3; k++) {
        bool wr = k == 0 ? w0 : k == 1 ? w1 : false;
        switch (f.o[k]) {
        case O_E:
            if (!r.is_mem) {
                r.e_reg = b.reg(k > 0 ? esize : osz, wr, o.excl_reg, e);
                e.rm_reg(r.e_reg, k > 0 ? esize : osz);
            }
            break;
        case O_G:
            r.g_reg = o.force_g >= 0 ? o.force_g : b.reg(gsize, wr, o.excl_reg, e);
            e.reg_field(r.g_reg, gsize);
            break;
        case O_R: {
            uint32_t ex = o.excl_reg | ((f.fl & F_NOACC) ? 1u : 0u);
            r.g_reg = b.reg(osz, wr, ex, e);
            if ((f.fl & F_NOACC) && r.g_reg == RAX)
                throw GenError("O_R picked rAX");
            e.opreg(r.g_reg, osz);
            break;
        }
        case O_I: {
            int n = imm_bytes(f.imm, osz);
            e.isz = n;
            r.imm = o.fixed_imm ? o.imm : rng.value(n * 8);
            e.imm = r.imm;
            break;
        }
        default:
            break;
        }
    }
    /* Capstone calls MOV r64, imm64 "movabs" */
    p.mn = f.mn;
    if (f.imm == I_V && osz == 8 && p.mn == "mov")
        p.mn = "movabs";
    if (lock)
        p.mn = "lock " + p.mn;
    /* Unicorn 2.0.1 computes SF/ZF/PF of LOCK NEG from the old value (a QEMU 5.0 bug): its
     * copy runs NOP + NEG instead (same result; LOCK only adds atomicity) */
    p.uc_nolock = lock && !strcmp(f.mn, "neg");
    return p;
}

void emit_plan(Builder &b, FormPlan &p, const FormOpts &o)
{
    b.emit(p.e, p.mn, p.r.osz, o.count);
    if (p.uc_nolock) {
        const InsnInfo &ii = b.c.insns.back();
        if (b.c.code[ii.off] != 0xf0)
            throw GenError("LOCK prefix not first");
        b.c.uc_patch.push_back({ ii.off, 0x90 });
        b.no_count_term = true;             /* Unicorn counts the NOP as an instruction */
    }
}

FormResult gen_form(Builder &b, const Form &f, const FormOpts &o)
{
    FormPlan p = plan_form(b, f, o);
    emit_plan(b, p, o);
    return p.r;
}

/* ---- tables ------------------------------------------------------------------------------ */

static std::vector<Form> make_alu()
{
    static const char *const ops[8] = { "add", "or", "adc", "sbb", "and", "sub", "xor", "cmp" };
    std::vector<Form> v;
    for (int k = 0; k < 8; k++) {
        uint16_t lk = k == 7 ? F_RO : F_LOCK;
        uint8_t base = (uint8_t)(k * 8);
        v.push_back({ ops[k], { base }, 1, -1, { O_E, O_G }, SZ_B, 0, I_NONE, lk });
        v.push_back({ ops[k], { (uint8_t)(base + 1) }, 1, -1, { O_E, O_G }, SZ_WDQ, 0, I_NONE, lk });
        v.push_back({ ops[k], { (uint8_t)(base + 2) }, 1, -1, { O_G, O_E }, SZ_B, 0, I_NONE,
                      (uint16_t)(k == 7 ? F_RO : 0) });
        v.push_back({ ops[k], { (uint8_t)(base + 3) }, 1, -1, { O_G, O_E }, SZ_WDQ, 0, I_NONE,
                      (uint16_t)(k == 7 ? F_RO : 0) });
        v.push_back({ ops[k], { (uint8_t)(base + 4) }, 1, -1, { O_ACC, O_I }, SZ_B, 0, I_B, 0 });
        v.push_back({ ops[k], { (uint8_t)(base + 5) }, 1, -1, { O_ACC, O_I }, SZ_WDQ, 0, I_Z, 0 });
        v.push_back({ ops[k], { 0x80 }, 1, (int8_t)k, { O_E, O_I }, SZ_B, 0, I_B, lk });
        v.push_back({ ops[k], { 0x81 }, 1, (int8_t)k, { O_E, O_I }, SZ_WDQ, 0, I_Z, lk });
        v.push_back({ ops[k], { 0x83 }, 1, (int8_t)k, { O_E, O_I }, SZ_WDQ, 0, I_B, lk });
    }
    const Form more[] = {
        { "test", { 0x84 }, 1, -1, { O_E, O_G }, SZ_B, 0, I_NONE, F_RO },
        { "test", { 0x85 }, 1, -1, { O_E, O_G }, SZ_WDQ, 0, I_NONE, F_RO },
        { "test", { 0xa8 }, 1, -1, { O_ACC, O_I }, SZ_B, 0, I_B, F_RO },
        { "test", { 0xa9 }, 1, -1, { O_ACC, O_I }, SZ_WDQ, 0, I_Z, F_RO },
        { "test", { 0xf6 }, 1, 0, { O_E, O_I }, SZ_B, 0, I_B, F_RO },
        { "test", { 0xf7 }, 1, 0, { O_E, O_I }, SZ_WDQ, 0, I_Z, F_RO },
        { "inc", { 0xfe }, 1, 0, { O_E }, SZ_B, 0, I_NONE, F_LOCK },
        { "dec", { 0xfe }, 1, 1, { O_E }, SZ_B, 0, I_NONE, F_LOCK },
        { "inc", { 0xff }, 1, 0, { O_E }, SZ_WDQ, 0, I_NONE, F_LOCK },
        { "dec", { 0xff }, 1, 1, { O_E }, SZ_WDQ, 0, I_NONE, F_LOCK },
        { "inc", { 0x40 }, 1, -1, { O_R }, SZ_W | SZ_D, 0, I_NONE, F_32 },
        { "dec", { 0x48 }, 1, -1, { O_R }, SZ_W | SZ_D, 0, I_NONE, F_32 },
        { "not", { 0xf6 }, 1, 2, { O_E }, SZ_B, 0, I_NONE, F_LOCK },
        { "not", { 0xf7 }, 1, 2, { O_E }, SZ_WDQ, 0, I_NONE, F_LOCK },
        { "neg", { 0xf6 }, 1, 3, { O_E }, SZ_B, 0, I_NONE, F_LOCK },
        { "neg", { 0xf7 }, 1, 3, { O_E }, SZ_WDQ, 0, I_NONE, F_LOCK },
    };
    v.insert(v.end(), std::begin(more), std::end(more));
    return v;
}

static std::vector<Form> make_mov()
{
    return {
        { "mov", { 0x88 }, 1, -1, { O_E, O_G }, SZ_B, 0, I_NONE, 0 },
        { "mov", { 0x89 }, 1, -1, { O_E, O_G }, SZ_WDQ, 0, I_NONE, 0 },
        { "mov", { 0x8a }, 1, -1, { O_G, O_E }, SZ_B, 0, I_NONE, 0 },
        { "mov", { 0x8b }, 1, -1, { O_G, O_E }, SZ_WDQ, 0, I_NONE, 0 },
        { "mov", { 0xc6 }, 1, 0, { O_E, O_I }, SZ_B, 0, I_B, 0 },
        { "mov", { 0xc7 }, 1, 0, { O_E, O_I }, SZ_WDQ, 0, I_Z, 0 },
        { "mov", { 0xb0 }, 1, -1, { O_R, O_I }, SZ_B, 0, I_B, 0 },
        { "mov", { 0xb8 }, 1, -1, { O_R, O_I }, SZ_WDQ, 0, I_V, 0 },
        { "movzx", { 0x0f, 0xb6 }, 2, -1, { O_G, O_E }, SZ_WDQ, 1, I_NONE, 0 },
        { "movzx", { 0x0f, 0xb7 }, 2, -1, { O_G, O_E }, SZ_DQ, 2, I_NONE, 0 },
        { "movsx", { 0x0f, 0xbe }, 2, -1, { O_G, O_E }, SZ_WDQ, 1, I_NONE, 0 },
        { "movsx", { 0x0f, 0xbf }, 2, -1, { O_G, O_E }, SZ_DQ, 2, I_NONE, 0 },
        { "movsxd", { 0x63 }, 1, -1, { O_G, O_E }, SZ_Q, 4, I_NONE, F_64 },
        { "movsxd", { 0x63 }, 1, -1, { O_G, O_E }, SZ_D, 4, I_NONE, F_64 },   /* = MOV r32, r/m32 */
        { "lea", { 0x8d }, 1, -1, { O_G, O_M }, SZ_WDQ, 0, I_NONE, 0 },
        { "xchg", { 0x86 }, 1, -1, { O_E, O_G }, SZ_B, 0, I_NONE, F_BOTHW | F_REG },
        { "xchg", { 0x87 }, 1, -1, { O_E, O_G }, SZ_WDQ, 0, I_NONE, F_BOTHW | F_REG },
        { "xchg", { 0x90 }, 1, -1, { O_R, O_ACC }, SZ_WDQ, 0, I_NONE, F_BOTHW | F_NOACC },
    };
}

static std::vector<Form> make_shift()
{
    static const char *const ops[8] = { "rol", "ror", "rcl", "rcr", "shl", "shr", nullptr, "sar" };
    std::vector<Form> v;
    for (int k = 0; k < 8; k++) {
        if (!ops[k])
            continue;
        v.push_back({ ops[k], { 0xd0 }, 1, (int8_t)k, { O_E, O_ONE }, SZ_B, 0, I_NONE, 0 });
        v.push_back({ ops[k], { 0xd1 }, 1, (int8_t)k, { O_E, O_ONE }, SZ_WDQ, 0, I_NONE, 0 });
        v.push_back({ ops[k], { 0xd2 }, 1, (int8_t)k, { O_E, O_CL }, SZ_B, 0, I_NONE, 0 });
        v.push_back({ ops[k], { 0xd3 }, 1, (int8_t)k, { O_E, O_CL }, SZ_WDQ, 0, I_NONE, 0 });
        v.push_back({ ops[k], { 0xc0 }, 1, (int8_t)k, { O_E, O_I }, SZ_B, 0, I_B, 0 });
        v.push_back({ ops[k], { 0xc1 }, 1, (int8_t)k, { O_E, O_I }, SZ_WDQ, 0, I_B, 0 });
    }
    return v;
}

const Form *forms_alu(unsigned *n)
{
    static const std::vector<Form> v = make_alu();
    *n = (unsigned)v.size();
    return v.data();
}

const Form *forms_mov(unsigned *n)
{
    static const std::vector<Form> v = make_mov();
    *n = (unsigned)v.size();
    return v.data();
}

const Form *forms_shift(unsigned *n)
{
    static const std::vector<Form> v = make_shift();
    *n = (unsigned)v.size();
    return v.data();
}

} // namespace diff
