/* diff_grp_string.cc — group "string": MOVS/CMPS/STOS/LODS/SCAS of every size, with and without
 * REP/REPE/REPNE, segment overrides, 67-prefixed address size and DF set or clear
 * (SDM Vol. 2 MOVS, CMPS, STOS, LODS, SCAS, REP/REPE/REPZ/REPNE/REPNZ).
 *
 * Invariants: rSI/rDI point inside the data area with room for 8 elements either way; REP counts
 * are 0..8; a REP with count 0 leaves the flags unchanged; a case with REP is marked has_rep.
 */
#include <string>

#include "tests/diff/diff_groups.h"

namespace diff {

void gen_string(Builder &b)
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
    int asz = rand_asz(b, 20);
    Enc e;
    e.op = { (uint8_t)(o.op + (osz > 1)) };
    e.opsize(osz);
    addr_size_prefix(e, asz, b.mode);
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

} // namespace diff
