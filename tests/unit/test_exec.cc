// test_exec.cc — the run loop and decode cache: exact instruction budgets, cycle charging per
// class, block reuse, self-modifying code (SDM Vol. 3 11.6), page-crossing instructions,
// unimplemented instructions and execution from non-RAM stop with a report, determinism.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "cpu/cpu.h"
#include "tests/unit/cpu_harness.h"
#include "cpu/dcache.h"
#include "cpu/model.h"
#include "sim/bus.h"

namespace {

class Exec : public ::testing::Test, public cputest::CpuMachine {
protected:
    Exec() : CpuMachine(1 << 20, nullptr, true) {}
    void SetUp() override {
        cpu_setup_flat32(&c);
        c.gpr[R_RSP] = 0x8000;
    }
    void put(uint64_t pa, std::vector<uint8_t> bytes) {
        ASSERT_EQ(bus_copy_to(&bus, pa, bytes.data(), bytes.size()), 0);
    }
};

TEST_F(Exec, RunsExactlyTheBudget) {
    // mov eax, 5 ; add eax, 7 ; inc eax ; jmp $-8 (back to add)
    put(0x1000, {0xb8, 5, 0, 0, 0, 0x83, 0xc0, 7, 0x40, 0xeb, 0xfa});
    c.rip = 0x1000;
    EXPECT_EQ(cpu_run(&c, 3), 3u);
    EXPECT_EQ(c.gpr[R_RAX], 13u);
    EXPECT_EQ(c.rip, 0x1009u);
    EXPECT_EQ(cpu_run(&c, 4), 4u);             // jmp, add, inc, jmp
    EXPECT_EQ(c.gpr[R_RAX], 21u);
    EXPECT_EQ(c.rip, 0x1005u);
    EXPECT_EQ(c.ctr.insns, 7u);
}

TEST_F(Exec, ChargesClassCostsFromTheModel) {
    put(0x1000, {0x01, 0xd8, 0x01, 0xd8});     // add eax, ebx ; add eax, ebx
    c.rip = 0x1000;
    uint64_t before = c.ctr.cycles;
    cpu_run(&c, 2);
    EXPECT_EQ(c.ctr.cycles - before, 2ull * c.model->class_cost[CLS_ALU]);
    EXPECT_GT(c.model->class_cost[CLS_ALU], 0u);
}

TEST_F(Exec, ReusesDecodedBlocks) {
    put(0x1000, {0x40, 0xeb, 0xfd});           // inc eax ; jmp $-3
    c.rip = 0x1000;
    cpu_run(&c, 2);
    uint64_t misses = c.ctr.dcache_misses;
    cpu_run(&c, 1000);
    EXPECT_EQ(c.ctr.dcache_misses, misses);    // the loop never decodes again
    EXPECT_EQ(c.gpr[R_RAX], 501u);
}

TEST_F(Exec, SelfModifyingCodeIsSeenByTheNextInstruction) {
    // mov byte [0x1008], 0x42 ; mov al, 0x00 (its immediate is at 0x1008)
    put(0x1000, {0xc6, 0x05, 0x08, 0x10, 0, 0, 0x42, 0xb0, 0x00});
    c.rip = 0x1000;
    EXPECT_EQ(cpu_run(&c, 2), 2u);
    EXPECT_EQ(c.gpr[R_RAX] & 0xff, 0x42u);
}

TEST_F(Exec, SelfModifyingCodeAcrossRuns) {
    put(0x1000, {0xb0, 0x01, 0xeb, 0xfc});     // mov al, 1 ; jmp $-4
    c.rip = 0x1000;
    cpu_run(&c, 2);
    EXPECT_EQ(c.gpr[R_RAX] & 0xff, 1u);
    uint8_t two = 2;
    bus_copy_to(&bus, 0x1001, &two, 1);          // a DMA-style write patches the immediate
    cpu_run(&c, 1);
    EXPECT_EQ(c.gpr[R_RAX] & 0xff, 2u);
}

TEST_F(Exec, InstructionCrossingAPageBoundary) {
    put(0x1ffd, {0xb8, 0x78, 0x56, 0x34, 0x12}); // mov eax, 0x12345678 across 0x2000
    c.rip = 0x1ffd;
    EXPECT_EQ(cpu_run(&c, 1), 1u);
    EXPECT_EQ(c.gpr[R_RAX], 0x12345678u);
    EXPECT_EQ(c.rip, 0x2002u);
}

TEST_F(Exec, UnimplementedInstructionStopsWithAReport) {
    put(0x1000, {0xd9, 0xe8});                 // fld1 (x87 is not implemented)
    c.rip = 0x1000;
    EXPECT_EQ(cpu_run(&c, 10), 0u);
    EXPECT_EQ(c.stop, STOP_SHUTDOWN_UNSUPPORTED);
    EXPECT_NE(std::string(c.stop_msg).find("fld1"), std::string::npos) << c.stop_msg;
    EXPECT_EQ(c.rip, 0x1000u);
}

TEST_F(Exec, FetchOutsideRamStops) {
    c.rip = 0x200000;                          // beyond 1 MiB of RAM, no device there
    EXPECT_EQ(cpu_run(&c, 10), 0u);
    EXPECT_EQ(c.stop, STOP_SHUTDOWN_UNSUPPORTED);
    EXPECT_NE(std::string(c.stop_msg).find("not RAM"), std::string::npos) << c.stop_msg;
}

TEST_F(Exec, TwoRunsAreIdentical) {
    // a small loop mixing ALU and memory: for (ecx = 100; ecx; ecx--) [0x3000] += ecx
    put(0x1000, {0xb9, 100, 0, 0, 0,            // mov ecx, 100
                 0x01, 0x0d, 0x00, 0x30, 0, 0,  // add [0x3000], ecx
                 0xe2, 0xf8,                    // loop -8
                 0xf4});                        // hlt
    std::vector<uint64_t> results;
    for (int run = 0; run < 2; run++) {
        uint32_t zero = 0;
        bus_copy_to(&bus, 0x3000, &zero, 4);
        cpu_power_up_reset(&c);
        cpu_setup_flat32(&c);
        c.rip = 0x1000;
        uint64_t i0 = c.ctr.insns, c0 = c.ctr.cycles;
        cpu_run(&c, 1000);
        uint32_t sum;
        bus_copy_from(&bus, 0x3000, &sum, 4);
        EXPECT_EQ(sum, 5050u);
        results.push_back(c.ctr.insns - i0);
        results.push_back(c.ctr.cycles - c0);
    }
    EXPECT_EQ(results[0], results[2]);
    EXPECT_EQ(results[1], results[3]);
    EXPECT_EQ(c.stop, STOP_HLT);
    EXPECT_EQ(results[0], 1u + 2u * 100u + 1u);
}

}  // namespace

namespace {

// BOUND (SDM Vol. 2): signed bounds; an index inside them (ends included) retires with no fault.
TEST_F(Exec, BoundRetiresInsideTheBounds) {
    uint32_t bounds[2] = {(uint32_t)-5, 10};         // [-5, 10]
    ASSERT_EQ(bus_copy_to(&bus, 0x3000, bounds, sizeof bounds), 0);
    put(0x1000, {0x62, 0x05, 0x00, 0x30, 0, 0});      // bound eax, [0x3000]
    for (int32_t idx : {-5, 0, 10}) {
        c.rip = 0x1000;
        c.gpr[R_RAX] = (uint32_t)idx;
        EXPECT_EQ(cpu_run(&c, 1), 1u) << idx;         // in range: retires, no fault
        EXPECT_EQ(c.ctr.exceptions, 0u);
    }
    // Out of range (above and below): see Events.BoundOutOfRangeDeliversBr for the delivery.
}

}  // namespace
