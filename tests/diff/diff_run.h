/* diff_run.h — running a Case on Unicorn and on hvsim, comparing the two end states, and the
 * failure report.
 *
 * Both runners map the layout of diff_case.h, load the same initial state, run the sequence until
 * its HLT (or for exactly `count` instructions), and return the State: GPRs, RIP, RFLAGS, the
 * data and stack areas, and the exception vector if the run ended in one (Unicorn: interrupt hook
 * or UC_ERR_INSN_INVALID; hvsim: delivery through an IDT whose handlers are HLT stubs).
 *
 * Invariant: a runner's result depends only on the Case (fresh state per run: code, data, stack
 * and registers are all rewritten, and translated/decoded code is dropped).
 */
#ifndef HVSIM_DIFF_RUN_H
#define HVSIM_DIFF_RUN_H

#include <memory>
#include <string>
#include <vector>

#include "tests/diff/diff_case.h"

namespace diff {

class UcRunner {
public:
    explicit UcRunner(int mode);
    ~UcRunner();
    State run(const Case &c);
    struct Impl;
private:
    std::unique_ptr<Impl> p_;
};

class HvRunner {
public:
    explicit HvRunner(int mode);
    ~HvRunner();
    State run(const Case &c);
    struct Impl;
private:
    std::unique_ptr<Impl> p_;
};

/* Differences between the hvsim state and the Unicorn (reference) state, one line each. */
struct Diff {
    std::vector<std::string> lines;
    bool regs = false;          /* some GPR/RIP/RFLAGS field differs (used by the report marks) */
    bool empty() const { return lines.empty(); }
};
Diff compare(const Case &c, const State &hv, const State &uc);

/* Full failure report: seed, disassembly, initial state, both final states (differing fields
 * marked), and the difference lines. */
std::string report(const Case &c, const State &hv, const State &uc, const Diff &d);
/* Disassembly listing of a case. */
std::string listing(const Case &c);

/* Architecture-level reference for the instructions Unicorn 2.0.1 does not implement (its CPUID
 * has no POPCNT/MOVBE and decodes them as invalid): POPCNT and MOVBE on a register/memory
 * state, from SDM Vol. 2. Used by UcRunner; exposed for its unit test. */
uint64_t ref_popcnt(uint64_t v);
uint64_t ref_bswap(uint64_t v, int size);

} // namespace diff
#endif
