// cpu_harness.h — the machine set-up the unit-test harnesses share: a bus with RAM (RamMachine,
// for the MMU tests) and, on top of it, a decode cache and one CPU that runs a byte sequence of
// machine code placed at an address up to a HLT (CpuMachine, for the instruction and system
// tests: test_ops_harness.h, test_sys_harness.h). Each harness adds its own memory map, mode
// set-up and descriptor tables.
//
// Invariants: RAM is zeroed by bus_init; code placed with load() is followed by a HLT byte and the
// decode cache is told about it (so reloading code at the same address is safe); teardown is in
// the reverse order of set-up (CPU, decode cache, bus).
#ifndef HVSIM_TEST_CPU_HARNESS_H
#define HVSIM_TEST_CPU_HARNESS_H

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/dcache.h"
#include "cpu/model.h"
#include "sim/bus.h"

namespace cputest {

// A bus with `ram` bytes of RAM and raw (physical) accessors.
struct RamMachine {
    struct bus bus;

    explicit RamMachine(uint64_t ram)
    {
        memset(&bus, 0, sizeof bus);
        EXPECT_EQ(bus_init(&bus, ram), 0);
    }
    ~RamMachine() { bus_destroy(&bus); }
    RamMachine(const RamMachine &) = delete;
    RamMachine &operator=(const RamMachine &) = delete;

    // Little-endian sz-byte RAM accesses (no side effects on the decode cache).
    void wr(uint64_t pa, uint64_t v, unsigned sz = 8) { memcpy(bus.ram + pa, &v, sz); }
    uint64_t rd(uint64_t pa, unsigned sz = 8) const
    {
        uint64_t v = 0;
        memcpy(&v, bus.ram + pa, sz);
        return v;
    }
};

// RAM, decode cache and CPU 0 (cpu_init with `model`, nullptr: the built-in default).
// smc_hook: bus writes that hit code invalidate the decode cache (bus.code_write).
struct CpuMachine : RamMachine {
    struct dcache dc;
    struct cpu c;
    uint64_t code_end = 0;      // address of the HLT after the loaded code

    CpuMachine(uint64_t ram, const struct cpu_model *model, bool smc_hook) : RamMachine(ram)
    {
        memset(&dc, 0, sizeof dc);
        EXPECT_EQ(dcache_init(&dc, ram), 0);
        if (smc_hook) {
            bus.code_write = [](void *o, uint64_t pa, uint64_t len) {
                dcache_code_write(static_cast<struct dcache *>(o), pa, len);
            };
            bus.code_write_opaque = &dc;
        }
        EXPECT_EQ(cpu_init(&c, 0, &bus, &dc, model), 0);
    }
    ~CpuMachine()
    {
        cpu_destroy(&c);
        dcache_destroy(&dc);
    }

    // Place code at physical address `at`, followed by HLT.
    void load_at(const std::vector<uint8_t> &code, uint64_t at)
    {
        memcpy(bus.ram + at, code.data(), code.size());
        bus.ram[at + code.size()] = 0xf4;
        code_end = at + code.size();
        dcache_code_write(&dc, at, code.size() + 1);
    }

    // Run from `rip` (an offset in the current CS) for at most max_insns instructions.
    void run_at(uint64_t rip, uint64_t max_insns)
    {
        c.rip = rip;
        c.halted = false;
        cpu_run(&c, max_insns);
    }

    // Where a run that stopped at the HLT byte `at` ended: -1 at the HLT after the code, the
    // vector v at the handler HLT hnd + v (v < nvec), else `other`.
    int stop_vector(uint64_t at, uint64_t hnd, unsigned nvec, int other) const
    {
        if (at == code_end)
            return -1;
        if (at >= hnd && at < hnd + nvec)
            return (int)(at - hnd);
        return other;
    }

    uint64_t &r(int n) { return c.gpr[n]; }
    uint64_t flags() { return cpu_get_rflags(&c); }
    void set_flags(uint64_t f) { cpu_set_rflags(&c, f); }
};

}  // namespace cputest

#endif
