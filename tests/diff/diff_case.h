/* diff_case.h — one differential test case: the memory layout both simulators share, the
 * generated code, the initial state, and the state each simulator ends in.
 *
 * Layout (identical on hvsim and Unicorn; guest-physical == linear == virtual):
 *   0x01000  GDT, IDT, exception stubs       (hvsim only: the tests never touch them)
 *   0x02000  page tables, identity map 0-2M  (hvsim only, 64-bit)
 *   0x08000  data area, DATA_SIZE bytes      (every explicit memory operand points here)
 *   0x0a000  stack area, STACK_SIZE bytes    (RSP starts near STACK_INIT)
 *   0x10000  code, CODE_SIZE bytes           (the generated sequence, ending in HLT)
 * Everything below 64 KiB, so 16-bit addressing (67 prefix in 32-bit code) reaches the data.
 *
 * Invariant: a Case is a pure function of (group, mode, seed); the comparison covers GPRs, RIP,
 * RFLAGS under `flag_mask`, the data area and the stack area.
 */
#ifndef HVSIM_DIFF_CASE_H
#define HVSIM_DIFF_CASE_H

#include <stdint.h>
#include <string>
#include <vector>

namespace diff {

constexpr uint64_t GDT_BASE = 0x1000;
constexpr uint64_t IDT_BASE = 0x1400;
constexpr uint64_t STUB_BASE = 0x1c00;      /* one HLT per vector, 4 bytes apart */
constexpr uint64_t PT_BASE = 0x2000;        /* PML4, PDPT, PD, PT: 4 pages */
constexpr uint64_t DATA_BASE = 0x8000;
constexpr uint64_t DATA_SIZE = 0x2000;
constexpr uint64_t STACK_BASE = 0xa000;
constexpr uint64_t STACK_SIZE = 0x2000;
constexpr uint64_t STACK_INIT = 0xb000;
constexpr uint64_t CODE_BASE = 0x10000;
constexpr uint64_t CODE_SIZE = 0x10000;
constexpr uint64_t HV_RAM_SIZE = 0x200000;  /* hvsim RAM: 2 MiB */

/* Architectural state that is compared. In 32-bit mode only the low 32 bits of RAX..RDI count. */
struct State {
    uint64_t gpr[16] = {};
    uint64_t rip = 0;
    uint64_t rflags = 0;
    std::vector<uint8_t> data, stack;
    int fault = -1;             /* exception vector the run ended with, or -1 */
    std::string error;          /* the simulator could not run the case (harness problem) */
};

/* One instruction of the generated sequence. */
struct InsnInfo {
    uint32_t off = 0;           /* offset from CODE_BASE */
    uint8_t len = 0;
    bool setup = false;         /* operand set-up (MOV imm), not the instruction under test */
    bool may_be_bad = false;    /* #UD test: Capstone may reject it (then hvsim must #UD too) */
    std::string mn;             /* expected Capstone mnemonic (prefix words included) */
    std::string text;           /* Capstone disassembly, filled when the case is finished */
};

enum class Term { Hlt, Count };

struct Case {
    std::string group;
    int mode = 8;               /* code size: 4 (32-bit protected mode) or 8 (64-bit mode) */
    uint64_t seed = 0;
    std::vector<uint8_t> code;
    std::vector<InsnInfo> insns;
    State init;
    uint32_t flag_mask = 0;     /* RFLAGS bits compared at the end */
    Term term = Term::Hlt;
    uint64_t count = 0;         /* Term::Count: instructions to run; Term::Hlt: budget */
    bool expect_fault = false;  /* fault test: compare vector, GPRs except RSP, data area */
    bool emulated_insn = false; /* contains an instruction Unicorn lacks (POPCNT, MOVBE) */
    /* Known Unicorn 2.0.1 deviation from the SDM in the last instruction (LOCK MOV / LOCK CMP
     * execute instead of raising #UD): Unicorn then runs only the first `uc_count` instructions
     * and the SDM's vector `sdm_fault` stands in for its exception. */
    int sdm_fault = -1;
    uint64_t uc_count = 0;
    /* Known Unicorn deviation with an architecturally equivalent form: bytes replaced in
     * Unicorn's copy of the code only (LOCK NEG: F0 -> 90, the same NEG without LOCK). */
    std::vector<std::pair<uint32_t, uint8_t>> uc_patch;
};

} // namespace diff
#endif
