// test_ops_harness.h — a small machine for the instruction-handler tests: RAM, decode cache, one
// CPU (cputest::CpuMachine, cpu_harness.h) in 64-bit (identity-paged), 32-bit flat or real mode,
// an IDT whose every vector points at its own HLT byte (so a test sees which exception an
// instruction raised), and helpers to run a byte sequence of machine code to its terminating HLT.
//
// Memory map (physical = linear): 0x600 GDT, 0x700 TSS, 0x1000 IDT (real mode: IVT at 0),
// 0x2000 + v: HLT of vector v, 0x3000-0x7000 stack, 0x8000 code, 0xa000-0xefff data,
// 0x100000 page tables. 64-bit paging maps 0-4 MiB writable, 4-6 MiB read-only, nothing above.
#ifndef HVSIM_TEST_OPS_HARNESS_H
#define HVSIM_TEST_OPS_HARNESS_H

#include <gtest/gtest.h>

#include <cstring>
#include <initializer_list>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/dcache.h"
#include "cpu/flags.h"
#include "cpu/model.h"
#include "mmu/mmu.h"
#include "sim/bus.h"
#include "tests/unit/cpu_harness.h"

namespace opstest {

enum Mode { M64, M32, M16 };

constexpr uint64_t RAM = 8ull << 20;
constexpr uint64_t GDT = 0x600, IDT = 0x1000, HND = 0x2000, STACK = 0x7000, CODE = 0x8000;
constexpr uint64_t DATA = 0xa000, PT = 0x100000;
constexpr uint64_t RO_PAGE = 0x400000, NP_PAGE = 0x600000;   // read-only / not-present (64-bit)

constexpr uint64_t CF = RF_CF, PF = RF_PF, AF = RF_AF, ZF = RF_ZF, SF = RF_SF, OF = RF_OF;
constexpr uint64_t ARITH = RF_ARITH;

struct Machine : cputest::CpuMachine {
    Mode mode;

    // model: the CPU model (nullptr: the built-in default).
    explicit Machine(Mode m = M64, const struct cpu_model *model = nullptr)
        : CpuMachine(RAM, model, false), mode(m)
    {
        memset(bus.ram + HND, 0xf4, 256);                       // HLT per vector
        switch (m) {
        case M64: setup64(); break;
        case M32: setup32(); break;
        case M16: setup16(); break;
        }
    }

    void setup64()
    {
        uint64_t pml4 = PT, pdpt = PT + 0x1000, pd = PT + 0x2000;
        memset(bus.ram + PT, 0, 0x3000);
        wr(pml4, pdpt | 3);
        wr(pdpt, pd | 3);
        wr(pd + 0, 0x000000 | 0x83);            // 2 MiB pages: P RW PS
        wr(pd + 8, 0x200000 | 0x83);
        wr(pd + 16, RO_PAGE | 0x81);            // P PS, read-only
        ASSERT_EQ(cpu_setup_gdt(&c, GDT), 0);
        cpu_setup_flat64(&c, pml4);
        for (unsigned v = 0; v < 32; v++) {     // 64-bit interrupt gates, selector 0x08
            uint64_t h = HND + v;
            uint64_t lo = (h & 0xffff) | (0x08ull << 16) | (0x8e00ull << 32) |
                          ((h >> 16 & 0xffff) << 48);
            wr(IDT + v * 16, lo);
            wr(IDT + v * 16 + 8, h >> 32);
        }
        c.idtr = { IDT, 32 * 16 - 1 };
        c.gpr[R_RSP] = STACK;
    }

    void setup32()
    {
        ASSERT_EQ(cpu_setup_gdt(&c, GDT), 0);
        cpu_setup_flat32(&c);
        c.seg[SEG_CS].sel = 0x28;               // the 32-bit code descriptor of cpu_setup_gdt
        for (unsigned v = 0; v < 32; v++) {     // 32-bit interrupt gates, selector 0x28
            uint64_t h = HND + v;
            wr(IDT + v * 8, (h & 0xffff) | (0x28ull << 16) | (0x8e00ull << 32) |
                                ((h >> 16 & 0xffff) << 48));
        }
        c.idtr = { IDT, 32 * 8 - 1 };
        c.gpr[R_RSP] = STACK;
    }

    void setup16()
    {
        cpu_power_up_reset(&c);
        c.seg[SEG_CS].sel = 0;
        c.seg[SEG_CS].base = 0;
        for (unsigned v = 0; v < 32; v++)       // IVT: offset:segment
            wr(v * 4, (HND + v) & 0xffff, 4);
        c.idtr = { 0, 0x3ff };
        c.gpr[R_RSP] = STACK;
    }

    // Place code at CODE followed by HLT.
    void load(std::initializer_list<uint8_t> code) { load(std::vector<uint8_t>(code)); }
    void load(const std::vector<uint8_t> &code) { load_at(code, CODE); }

    // Run from CODE until the HLT after the code or a vector's HLT. Returns the exception vector,
    // or -1 if the code ran to its end.
    int run(uint64_t max_insns = 1000000)
    {
        run_at(CODE, max_insns);
        uint64_t at = c.rip;
        if (c.stop == STOP_HLT)
            at -= 1;                            // RIP is after the HLT
        int v = stop_vector(at, HND, 32, -2);
        if (v == -2)
            ADD_FAILURE() << "stopped at " << std::hex << at << " stop=" << (int)c.stop << " "
                          << c.stop_msg;
        return v;
    }

    int exec(std::initializer_list<uint8_t> code)
    {
        load(code);
        return run();
    }

    // The error code pushed by the last exception (64-bit and 32-bit frames).
    uint64_t fault_error() { return rd(c.gpr[R_RSP], mode == M64 ? 8 : 4); }
};

}  // namespace opstest

#endif
