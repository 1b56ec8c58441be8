/* diff_group_util.cc — the helpers the group generators share (diff_groups.h): random operand
 * and address sizes, upper-bit garbage for narrow register values, in-place Forms, and the
 * condition-code mnemonics.
 *
 * Invariant: each helper draws from b.rng exactly as documented in diff_groups.h.
 */
#include "tests/diff/diff_groups.h"

namespace diff {

int rand_osz(Builder &b, bool with8)
{
    static const int s4[] = { 1, 2, 4 }, s8[] = { 1, 2, 4, 8 }, w4[] = { 2, 4 }, w8[] = { 2, 4, 8 };
    if (with8)
        return b.mode == 8 ? b.rng.pick(s8) : b.rng.pick(s4);
    return b.mode == 8 ? b.rng.pick(w8) : b.rng.pick(w4);
}

int rand_asz(Builder &b, unsigned pct)
{
    if (b.rng.chance(pct))
        return b.mode == 8 ? 4 : 2;
    return b.mode;
}

void addr_size_prefix(Enc &e, int asz, int mode)
{
    if (asz != mode)
        e.pfx.push_back(0x67);
}

uint64_t upper_garbage(Builder &b, uint64_t v, int osz)
{
    if (osz * 8 >= b.mode * 8)
        return v;
    return (b.rng.next() & ~((1ull << (osz * 8)) - 1)) | (v & ((1ull << (osz * 8)) - 1));
}

Form one(const char *mn, std::initializer_list<uint8_t> op, int digit, Opd a, Opd b2, Opd c,
         uint8_t sizes, ImmKind imm, uint16_t fl, uint8_t ssize)
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

const std::string &cc_mn(const char *prefix, int cc)
{
    static std::string names[3][16];
    int k = prefix[0] == 'c' ? 0 : prefix[0] == 's' ? 1 : 2;
    if (names[k][cc].empty())
        names[k][cc] = std::string(prefix) + cc_name[cc];
    return names[k][cc];
}

} // namespace diff
