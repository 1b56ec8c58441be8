/* diff_gen.h — the instruction-sequence generator of the differential tests.
 *
 * A Builder assembles one Case: it emits instructions (Enc + the mnemonic Capstone must decode
 * them to), the set-up instructions their operands need (MOV reg, imm so that memory operands
 * land in the data area, shift counts, divisors), labels for branches, and it tracks which
 * flags are undefined at each point so that no instruction consumes an undefined flag and the
 * final comparison masks exactly the flags left undefined (diff_flags.h).
 *
 * Group generators (diff_grp_*.cc; registry in diff_groups.cc) each emit one instruction under
 * test per call; a case is 1..max_len of them followed by HLT. finish() resolves labels,
 * appends HLT and checks every instruction with Capstone (mnemonic and length): an encoder
 * mistake throws GenError.
 *
 * Invariants: everything is drawn from the case's Rng; RSP always points into the stack area
 * except after a final POP RSP; explicit memory operands always address the data area or the
 * stack area with room for the access.
 */
#ifndef HVSIM_DIFF_GEN_H
#define HVSIM_DIFF_GEN_H

#include <stdexcept>
#include <string>
#include <vector>

#include "tests/diff/diff_case.h"
#include "tests/diff/diff_flags.h"
#include "tests/diff/diff_rng.h"
#include "tests/diff/diff_x86.h"

namespace diff {

struct GenError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

enum class Area { Data, Stack };

class Builder {
public:
    Builder(Case &c, Rng &rng);

    Case &c;
    Rng &rng;
    const int mode;             /* 4 or 8 */
    int64_t rsp;                /* RSP as generated code leaves it (tracked by stack groups) */
    bool rsp_valid = true;      /* false after POP RSP: no more stack use */
    bool branches = false;      /* a branch was emitted: stop clearing undefined flags */
    uint32_t undef_now = 0;     /* flags undefined at the current point */
    bool has_rep = false;       /* REP string instruction present (Count termination differs) */
    bool no_count_term = false; /* force HLT termination */
    int remaining = 0;          /* instructions under test still to generate after this one */

    /* Bind label l after `after` more instructions under test (forward branches). */
    void defer_bind(int l, int after) { pending_.push_back({ l, after }); }
    /* Called after each instruction under test: binds the deferred labels that are due. */
    void tick();

    int nregs() const { return mode == 8 ? 16 : 8; }

    /* Emit one instruction; `osz`/`count` select its flag effects (flag_effects()). If it reads
     * a flag that is undefined now, a CMP reg,reg is emitted first to define all flags. */
    void emit(Enc e, const std::string &mn, int osz = 4, int count = -1, bool setup = false);
    void emit_fx(Enc e, const std::string &mn, FlagFx fx, bool setup = false);

    /* Branches and absolute addresses of labels. */
    int label();
    void bind(int l);
    /* e's immediate (isz 1 or 4) becomes the rel8/rel32 to label l. */
    void emit_rel(Enc e, int l, const std::string &mn, FlagFx fx = FlagFx());
    /* e's immediate (isz 4 or 8) becomes the absolute address of label l. */
    void emit_abs(Enc e, int l, const std::string &mn, bool setup);

    /* Set-up: MOV r, v (full register; upper bits in 64-bit mode as given). */
    void set_reg(int r, uint64_t v);
    /* Set-up: MOV r8, imm8 (only the low byte of r changes). */
    void set_reg8(int r8, uint8_t v);
    /* Set-up: define all arithmetic flags with CMP r, r. */
    void define_flags();

    /* A random memory operand of `size` bytes addressing `area`, aligned to `align`, whose
     * base/index registers avoid `excl` (bit mask of GPRs) and are loaded by set-up MOVs.
     * *ea receives the effective (= linear) address. */
    MemOp mem(int size, uint32_t excl, unsigned align = 1, Area area = Area::Data,
              uint64_t *ea = nullptr, bool allow_asz = true, bool allow_rip = true);
    /* A random general register of `size` bytes usable in e (REX rules for 8-bit registers),
     * not in `excl`; `write`: never RSP/ESP (SPL) . Returns a reg8 number for size 1. */
    int reg(int size, bool write, uint32_t excl, const Enc &e);

    /* Bytes of the initial data/stack areas. */
    void poke(uint64_t addr, uint64_t v, int size);
    /* Set-up: store v (size 1..16 bytes, little-endian) to memory operand m through MOVs from a
     * scratch register that is not in `excl` and not used by m. */
    void store_mem(const MemOp &m, int size, uint64_t v, uint64_t v_hi, uint32_t excl);
    /* MemOp addressing `delta` bytes further. */
    MemOp mem_plus(MemOp m, int delta) const;

    void finish();

private:
    struct Fixup { size_t pos; int size; int label; bool rel; uint64_t end; };
    std::vector<int64_t> labels_;
    std::vector<Fixup> fixups_;
    struct Pending { int label, after; };
    std::vector<Pending> pending_;
    void place(const Enc &e, const std::string &mn, bool setup, std::vector<uint8_t> &bytes);
};

/* A group of instruction forms: gen() emits one instruction under test. */
struct Group {
    const char *name;
    void (*gen)(Builder &b);
    unsigned modes;             /* bit 0: 32-bit, bit 1: 64-bit */
    int max_len;                /* instructions under test per case: 1..max_len */
};

const Group *find_group(const char *name);
extern const Group groups[];
extern const unsigned n_groups;

/* Build the case `index` of group g in mode 4/8 from base_seed. */
Case make_case(const Group &g, int mode, uint64_t seed);
uint64_t case_seed(uint64_t base_seed, const char *group, int mode, unsigned index);

/* A hand-assembled case (directed tests): `code` then HLT at CODE_BASE, zeroed registers and
 * memory, RSP = STACK_INIT, RFLAGS = 2, every flag compared. */
Case hand_case(int mode, std::vector<uint8_t> code);

/* Capstone mnemonic and operands of the instruction at code[off] (for reports). */
std::string disasm_one(int mode, const uint8_t *code, size_t len, uint64_t addr, int *size_out,
                       std::string *mn_out);

} // namespace diff
#endif
