/* diff_grp_flags.cc — group "flags": the flag instructions CLC/STC/CMC/CLD/STD/LAHF/SAHF and the
 * NOP family (one-byte, multi-byte NOP r/m with memory operands, PAUSE; SDM Vol. 2 NOP,
 * Table 4-12).
 *
 * Invariant: NOP m never accesses memory, but its operand still addresses the data area.
 */
#include <vector>

#include "tests/diff/diff_groups.h"

namespace diff {

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

void gen_flags(Builder &b)
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

} // namespace diff
