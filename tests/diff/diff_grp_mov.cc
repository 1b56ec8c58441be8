/* diff_grp_mov.cc — group "mov": data movement without arithmetic: MOV/MOVZX/MOVSX/MOVSXD/LEA
 * forms from forms_mov(), MOV with a moffs address (A0..A3), CBW/CWDE/CDQE and CWD/CDQ/CQO, and
 * XLAT.
 *
 * Invariants: moffs and XLAT addresses stay inside the data area (XLAT: rBX + 255 too); a
 * 67-prefixed XLAT carries random bits above the address size in rBX, which must be ignored.
 */
#include "tests/diff/diff_groups.h"

namespace diff {

static void gen_moffs(Builder &b)
{
    /* MOV AL/rAX, moffs and back (A0..A3): the address is an immediate of address size */
    int osz = rand_osz(b);
    bool store = b.rng.chance(50);
    int asz = rand_asz(b, 20);
    uint64_t T = DATA_BASE + 64 + b.rng.below(DATA_SIZE - 128);
    Enc e;
    e.op = { (uint8_t)(0xa0 + (store ? 2 : 0) + (osz > 1)) };
    e.opsize(osz);
    addr_size_prefix(e, asz, b.mode);
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
    int asz = rand_asz(b, 25);
    uint8_t al = (uint8_t)b.rng.next();
    uint64_t T = DATA_BASE + 64 + b.rng.below(DATA_SIZE - 128 - 256);
    uint64_t rbx = T;                                   /* [rBX + zero-extended AL] */
    if (asz < b.mode * 1)
        rbx = upper_garbage(b, rbx, asz);
    b.set_reg8(RAX, al);
    b.set_reg(RBX, rbx);
    Enc e;
    e.op = { 0xd7 };
    addr_size_prefix(e, asz, b.mode);
    b.emit(e, "xlatb", 1);
}

void gen_mov(Builder &b)
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

} // namespace diff
