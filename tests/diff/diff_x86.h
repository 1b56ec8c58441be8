/* diff_x86.h — a small x86 instruction encoder for the differential tests (SDM Vol. 2 ch. 2).
 *
 * The tests build every encoding themselves, byte by byte, from an opcode and operand
 * descriptions: legacy prefixes, REX (2.2.1), opcode, ModRM and SIB (2.1.5, Tables 2-1..2-3 for
 * 16-bit addressing, 2-2/2-3 for 32/64-bit), displacement and immediates. Capstone then checks
 * each result (diff_gen.cc), so an encoder bug cannot silently test the wrong instruction.
 *
 * Invariants: an Enc describes exactly one instruction; encode() is a pure function of it; an
 * 8-bit register AH..BH (R8_AH..R8_BH) can never be combined with a REX prefix (asserted).
 */
#ifndef HVSIM_DIFF_X86_H
#define HVSIM_DIFF_X86_H

#include <stdint.h>
#include <vector>

namespace diff {

/* Register numbers in ModRM/REX order. */
enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };
constexpr int REG_RIP = 16;     /* MemOp base: RIP-relative (64-bit mode) */
constexpr int NOREG = -1;

/* 8-bit register operands: 0..15 are AL..R15B (4..7 = SPL..DIL, which need REX);
 * R8_AH..R8_BH are the legacy high-byte registers (encoded as 4..7 without REX). */
constexpr int R8_AH = 20, R8_CH = 21, R8_DH = 22, R8_BH = 23;
static inline bool reg8_is_high(int r) { return r >= R8_AH; }
static inline int reg8_gpr(int r) { return r >= R8_AH ? r - R8_AH : r; }  /* containing GPR */

/* A memory operand's addressing (SDM Vol. 2 2.1.5). */
struct MemOp {
    int asz = 8;            /* address size in bytes: 2, 4 or 8 */
    int base = NOREG;       /* register, REG_RIP, or NOREG */
    int index = NOREG;      /* register (never RSP) or NOREG */
    int scale = 0;          /* log2 of the scale */
    int dsz = 0;            /* displacement bytes: 0, 1, 2 (16-bit addressing) or 4 */
    int64_t disp = 0;
    int seg = -1;           /* segment-override prefix byte (0x26, 0x2e, ...) or -1 */
    bool sib_abs = false;   /* 32-bit mode: encode [disp32] through a SIB byte (no base/index) */
};

struct Enc {
    std::vector<uint8_t> pfx;   /* legacy prefixes, in order */
    uint8_t mpfx = 0;           /* mandatory prefix (F3 of POPCNT...): after the others, before REX
                                 * (SDM Vol. 2 2.1.2; Capstone 4 needs it there too) */
    bool w = false, r = false, x = false, b = false;
    bool rex_force = false;     /* emit a REX even if all bits are 0 (SPL..DIL, or to test it) */
    bool rex_forbid = false;    /* an AH..BH operand is present */
    std::vector<uint8_t> op;    /* opcode bytes */
    bool has_modrm = false;
    uint8_t mod = 0, reg = 0, rm = 0;
    bool has_sib = false;
    uint8_t ss = 0, sidx = 0, sbase = 0;
    int dsz = 0;
    int64_t disp = 0;
    bool riprel = false;        /* disp is RIP-relative (fixed up from the instruction's address) */
    int isz = 0;                /* first immediate bytes */
    uint64_t imm = 0;
    int isz2 = 0;               /* second immediate (ENTER) */
    uint64_t imm2 = 0;

    /* ModRM.reg = general register r of size `size` (for size 1, r is a reg8 number). */
    void reg_field(int r, int size);
    /* ModRM.reg = a /digit opcode extension. */
    void digit(int d) { has_modrm = true; reg = (uint8_t)d; }
    /* ModRM.rm = register r (mod 11). */
    void rm_reg(int r, int size);
    /* Register in the low three bits of the last opcode byte (+REX.B). */
    void opreg(int r, int size);
    /* ModRM.rm = memory operand; code_size is 4 or 8 (decides the 67 prefix). */
    void mem(const MemOp &m, int code_size);
    /* Operand size prefixes: 66 for 2, REX.W for 8 (size 1 and 4: nothing). */
    void opsize(int size);

    std::vector<uint8_t> encode() const;
    /* Offset of the displacement in encode()'s bytes (for RIP-relative fix-ups). */
    int disp_offset() const;
    bool needs_rex() const { return w || r || x || b || rex_force; }
};

} // namespace diff
#endif
