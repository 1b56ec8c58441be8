/* diff_flags.h — which RFLAGS bits each instruction reads, defines, and leaves undefined.
 *
 * The differential tests compare only flags the Intel SDM (Vol. 2, each instruction's "Flags
 * Affected" section) defines. The table is keyed by Capstone's mnemonic; shifts and rotates
 * depend on the masked count and operand size, so they are computed by flag_effects().
 *
 * Invariant: `undef` and `defines` never overlap; a flag in neither is left unchanged.
 */
#ifndef HVSIM_DIFF_FLAGS_H
#define HVSIM_DIFF_FLAGS_H

#include <stdint.h>

namespace diff {

constexpr uint32_t FL_CF = 1u << 0, FL_PF = 1u << 2, FL_AF = 1u << 4, FL_ZF = 1u << 6,
                   FL_SF = 1u << 7, FL_DF = 1u << 10, FL_OF = 1u << 11,
                   FL_ARITH = FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF;

struct FlagFx {
    uint32_t reads = 0;     /* flags whose value the instruction consumes */
    uint32_t defines = 0;   /* flags given an SDM-defined value */
    uint32_t undef = 0;     /* flags the SDM leaves undefined */
};

/* Effects of the instruction with Capstone mnemonic `mn` (prefix words such as "lock "/"rep "
 * stripped) and operand size `osz` in bytes. `count` is the shift/rotate count as encoded or as
 * set in CL (before masking), or -1 when unknown (then the worst case is assumed). */
FlagFx flag_effects(const char *mn, int osz, int count);

/* Flags read by condition code cc (0..15, SDM Vol. 1 Table B-1 order: o no b ae e ne be a s ns
 * p np l ge le g). */
uint32_t cc_reads(int cc);

/* Mnemonic suffixes of the condition codes in Capstone's spelling. */
extern const char *const cc_name[16];

} // namespace diff
#endif
