/* diff_flags.cc — the table of flag effects per mnemonic, from the "Flags Affected" section of
 * each instruction in the Intel SDM Vol. 2 (see diff_flags.h and docs/DIFFERENTIAL-TESTING.md).
 */
#include "tests/diff/diff_flags.h"

#include <string.h>

namespace diff {

const char *const cc_name[16] = { "o", "no", "b", "ae", "e", "ne", "be", "a",
                                  "s", "ns", "p", "np", "l", "ge", "le", "g" };

uint32_t cc_reads(int cc)
{
    static const uint32_t t[8] = { FL_OF, FL_CF, FL_ZF, FL_CF | FL_ZF, FL_SF, FL_PF,
                                   FL_SF | FL_OF, FL_ZF | FL_SF | FL_OF };
    return t[(cc >> 1) & 7];
}

constexpr uint32_t A = FL_ARITH, LOGIC_DEF = FL_CF | FL_PF | FL_ZF | FL_SF | FL_OF,
                   SZP = FL_SF | FL_ZF | FL_PF;

struct FlagRow {
    const char *mn;
    uint32_t reads, defines, undef;
};

/* SDM Vol. 2 "Flags Affected", instruction by instruction. */
static const FlagRow rows[] = {
    /* arithmetic: all six defined */
    { "add", 0, A, 0 }, { "sub", 0, A, 0 }, { "cmp", 0, A, 0 }, { "neg", 0, A, 0 },
    { "adc", FL_CF, A, 0 }, { "sbb", FL_CF, A, 0 },
    { "xadd", 0, A, 0 }, { "cmpxchg", 0, A, 0 },
    { "cmpsb", FL_DF, A, 0 }, { "cmpsw", FL_DF, A, 0 }, { "cmpsd", FL_DF, A, 0 },
    { "cmpsq", FL_DF, A, 0 }, { "scasb", FL_DF, A, 0 }, { "scasw", FL_DF, A, 0 },
    { "scasd", FL_DF, A, 0 }, { "scasq", FL_DF, A, 0 },
    /* logic: OF = CF = 0, SF ZF PF by result, AF undefined */
    { "and", 0, LOGIC_DEF, FL_AF }, { "or", 0, LOGIC_DEF, FL_AF }, { "xor", 0, LOGIC_DEF, FL_AF },
    { "test", 0, LOGIC_DEF, FL_AF },
    /* INC/DEC: CF unaffected */
    { "inc", 0, A & ~FL_CF, 0 }, { "dec", 0, A & ~FL_CF, 0 },
    /* MUL/IMUL: CF OF defined; SF ZF AF PF undefined */
    { "mul", 0, FL_CF | FL_OF, SZP | FL_AF }, { "imul", 0, FL_CF | FL_OF, SZP | FL_AF },
    /* DIV/IDIV: all undefined */
    { "div", 0, 0, A }, { "idiv", 0, 0, A },
    /* bit test: CF = bit; ZF unaffected; OF SF AF PF undefined */
    { "bt", 0, FL_CF, FL_OF | FL_SF | FL_AF | FL_PF }, { "bts", 0, FL_CF, FL_OF | FL_SF | FL_AF | FL_PF },
    { "btr", 0, FL_CF, FL_OF | FL_SF | FL_AF | FL_PF }, { "btc", 0, FL_CF, FL_OF | FL_SF | FL_AF | FL_PF },
    /* bit scan: ZF defined, the rest undefined */
    { "bsf", 0, FL_ZF, A & ~FL_ZF }, { "bsr", 0, FL_ZF, A & ~FL_ZF },
    /* TZCNT/LZCNT: ZF CF defined, OF SF AF PF undefined */
    { "tzcnt", 0, FL_ZF | FL_CF, FL_OF | FL_SF | FL_AF | FL_PF },
    { "lzcnt", 0, FL_ZF | FL_CF, FL_OF | FL_SF | FL_AF | FL_PF },
    /* POPCNT: OF SF ZF AF CF PF all defined (all cleared but ZF) */
    { "popcnt", 0, A, 0 },
    { "cmpxchg8b", 0, FL_ZF, 0 }, { "cmpxchg16b", 0, FL_ZF, 0 },
    /* BCD */
    { "daa", FL_CF | FL_AF, FL_CF | FL_AF | SZP, FL_OF }, { "das", FL_CF | FL_AF, FL_CF | FL_AF | SZP, FL_OF },
    { "aaa", FL_AF, FL_AF | FL_CF, FL_OF | SZP }, { "aas", FL_AF, FL_AF | FL_CF, FL_OF | SZP },
    { "aam", 0, SZP, FL_OF | FL_AF | FL_CF }, { "aad", 0, SZP, FL_OF | FL_AF | FL_CF },
    /* flag instructions */
    { "clc", 0, FL_CF, 0 }, { "stc", 0, FL_CF, 0 }, { "cmc", FL_CF, FL_CF, 0 },
    { "cld", 0, FL_DF, 0 }, { "std", 0, FL_DF, 0 },
    { "sahf", 0, FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF, 0 },
    { "lahf", FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF, 0, 0 },
    { "pushf", A | FL_DF, 0, 0 }, { "pushfd", A | FL_DF, 0, 0 }, { "pushfq", A | FL_DF, 0, 0 },
    { "popf", 0, A | FL_DF, 0 }, { "popfd", 0, A | FL_DF, 0 }, { "popfq", 0, A | FL_DF, 0 },
    /* loops on ZF */
    { "loope", FL_ZF, 0, 0 }, { "loopne", FL_ZF, 0, 0 },
    /* string moves read DF */
    { "movsb", FL_DF, 0, 0 }, { "movsw", FL_DF, 0, 0 }, { "movsd", FL_DF, 0, 0 }, { "movsq", FL_DF, 0, 0 },
    { "stosb", FL_DF, 0, 0 }, { "stosw", FL_DF, 0, 0 }, { "stosd", FL_DF, 0, 0 }, { "stosq", FL_DF, 0, 0 },
    { "lodsb", FL_DF, 0, 0 }, { "lodsw", FL_DF, 0, 0 }, { "lodsd", FL_DF, 0, 0 }, { "lodsq", FL_DF, 0, 0 },
};

static FlagFx shift_effects(const char *mn, int osz, int count)
{
    FlagFx f;
    const int bits = osz * 8;
    const int cm = count < 0 ? -1 : count & (osz == 8 ? 63 : 31);
    const bool rc = !strcmp(mn, "rcl") || !strcmp(mn, "rcr");
    const bool rot = rc || !strcmp(mn, "rol") || !strcmp(mn, "ror");
    const bool dbl = !strcmp(mn, "shld") || !strcmp(mn, "shrd");
    if (rc)
        f.reads = FL_CF;
    if (cm == 0)
        return f;                           /* masked count 0: flags not affected */
    if (rot) {
        /* ROL/ROR/RCL/RCR: CF defined, OF only for 1-bit rotates, others unaffected */
        f.defines = FL_CF;
        if (cm == 1)
            f.defines |= FL_OF;
        else
            f.undef = FL_OF;
        return f;
    }
    if (dbl) {
        /* SHLD/SHRD: count > operand size -> result and all flags undefined */
        if (cm < 0 || cm > bits) {
            f.undef = A;
            return f;
        }
        f.defines = FL_CF | SZP | (cm == 1 ? FL_OF : 0);
        f.undef = FL_AF | (cm == 1 ? 0 : FL_OF);
        return f;
    }
    /* SAL/SHL/SHR/SAR: SF ZF PF by result, AF undefined, OF only for 1-bit shifts;
     * CF undefined for SHL/SHR when count >= operand size. */
    f.defines = SZP | FL_CF | FL_OF;
    f.undef = FL_AF;
    if (cm != 1)
        f.undef |= FL_OF;
    const bool sar = !strcmp(mn, "sar");
    if (!sar && (cm < 0 || cm >= bits))
        f.undef |= FL_CF;
    if (cm < 0)                             /* unknown count: may also leave flags unchanged */
        f.undef |= SZP | FL_CF;
    f.defines &= ~f.undef;
    return f;
}

FlagFx flag_effects(const char *mn, int osz, int count)
{
    static const char *const shifts[] = { "shl", "sal", "shr", "sar", "rol", "ror", "rcl", "rcr",
                                          "shld", "shrd" };
    for (const char *s : shifts)
        if (!strcmp(mn, s))
            return shift_effects(mn, osz, count);
    for (const FlagRow &r : rows)
        if (!strcmp(mn, r.mn))
            return FlagFx{ r.reads, r.defines, r.undef };
    FlagFx f;
    /* condition-code families: jcc, setcc, cmovcc */
    for (int cc = 0; cc < 16; cc++) {
        const char *n = cc_name[cc];
        if ((mn[0] == 'j' && !strcmp(mn + 1, n)) ||
            (!strncmp(mn, "set", 3) && !strcmp(mn + 3, n)) ||
            (!strncmp(mn, "cmov", 4) && !strcmp(mn + 4, n))) {
            f.reads = cc_reads(cc);
            return f;
        }
    }
    return f;                               /* no flags read or written */
}

} // namespace diff
