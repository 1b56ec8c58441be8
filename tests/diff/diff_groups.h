/* diff_groups.h — what the instruction-group generators of the differential tests share: the
 * generators themselves (one file per group family, diff_grp_*.cc; the registry `groups[]` is in
 * diff_groups.cc) and the small helpers they all use to draw operand sizes, address sizes and
 * register values.
 *
 * Invariants: every generator emits exactly one instruction under test per call (plus its
 * operand set-up), chooses operand values so that the result is architecturally defined (no #DE
 * unless testing it, no zero source for BSF/BSR, SHLD/SHRD counts within the operand size, no
 * 16-bit BSWAP), and draws everything from b.rng. A case is a pure function of its seed, so the
 * order of the draws in each generator is part of its contract: changing it changes every case.
 */
#ifndef HVSIM_DIFF_GROUPS_H
#define HVSIM_DIFF_GROUPS_H

#include <stdint.h>

#include <initializer_list>
#include <string>

#include "tests/diff/diff_form.h"

namespace diff {

constexpr uint32_t BIT_RAX = 1u << RAX, BIT_RCX = 1u << RCX, BIT_RDX = 1u << RDX,
                   BIT_RBX = 1u << RBX, BIT_RSP = 1u << RSP, BIT_RBP = 1u << RBP,
                   BIT_RSI = 1u << RSI, BIT_RDI = 1u << RDI;

constexpr int VEC_UD_ = 6;      /* #UD, SDM Vol. 3 Table 6-1 */

/* A random operand size valid in b's mode: 1/2/4(/8), or without byte size 2/4(/8).
 * One draw from b.rng. */
int rand_osz(Builder &b, bool with8 = true);

/* A random address size: the mode's own, or with probability pct % the 67-prefixed one
 * (32-bit in 64-bit mode, 16-bit in 32-bit mode). One draw from b.rng. */
int rand_asz(Builder &b, unsigned pct);
/* The 67 prefix when asz is not the mode's address size. */
void addr_size_prefix(Enc &e, int asz, int mode);

/* v with random bits above the low osz bytes when they do not fill a register of the mode
 * (one draw from b.rng then, none otherwise). */
uint64_t upper_garbage(Builder &b, uint64_t v, int osz);

/* A Form built in place (for generators with their own small tables). */
Form one(const char *mn, std::initializer_list<uint8_t> op, int digit, Opd a, Opd b2, Opd c,
         uint8_t sizes, ImmKind imm = I_NONE, uint16_t fl = 0, uint8_t ssize = 0);

/* The mnemonic prefix + condition-code suffix ("cmov", "set", "j"); the reference stays valid. */
const std::string &cc_mn(const char *prefix, int cc);

/* DIV/IDIV (diff_grp_muldiv.cc): fault 0 = quotient fits, 1 = zero divisor, 2 = overflow. */
void gen_div_kind(Builder &b, int fault);
/* CALL/JMP through a register or a memory operand (FF /digit) to a forward label
 * (diff_grp_branch.cc); the operand size is the mode's. */
void gen_indirect_branch(Builder &b, int digit, const char *mn);

/* The group generators, one instruction under test per call. */
void gen_alu(Builder &b);
void gen_mov(Builder &b);
void gen_shift(Builder &b);
void gen_rotate(Builder &b);
void gen_shiftd(Builder &b);
void gen_muldiv(Builder &b);
void gen_bitops(Builder &b);
void gen_bswap(Builder &b);
void gen_cmov(Builder &b);
void gen_string(Builder &b);
void gen_atomic(Builder &b);
void gen_stack(Builder &b);
void gen_flags(Builder &b);
void gen_branch(Builder &b);
void gen_bcd(Builder &b);
void gen_fault(Builder &b);
void gen_mixed(Builder &b);

} // namespace diff
#endif
