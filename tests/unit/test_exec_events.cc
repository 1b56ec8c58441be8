// test_exec_events.cc — events at instruction boundaries through the run loop (cpu/exec.c):
// maskable interrupts from the irq_source only with RFLAGS.IF = 1 and never in the STI shadow
// (SDM Vol. 3 6.8.3), HLT waiting for an interrupt, NMI delivery and blocking until IRET
// (SDM 6.7.1), and the single-step trap after an instruction executed with TF = 1 (SDM 18.3.1.4).
// The machine is flat 32-bit protected mode with a real IDT of 32-bit interrupt gates.
#include <gtest/gtest.h>

#include <vector>

#include "cpu/cpu.h"
#include "tests/unit/cpu_harness.h"
#include "cpu/dcache.h"
#include "sim/bus.h"

namespace {

constexpr uint64_t CODE = 0x1000, HANDLER = 0x2000, IDT = 0x5000, GDT = 0x6000, STACK = 0x9000;

struct Irq {
    bool line = false;
    uint8_t vector = 0x40;
    int acks = 0;
};

class Events : public ::testing::Test, public cputest::CpuMachine {
protected:
    Irq irq;
    Events() : CpuMachine(1 << 20, nullptr, true) {}

    void SetUp() override {
        ASSERT_EQ(cpu_setup_gdt(&c, GDT), 0);
        cpu_setup_flat32(&c);                           // CS = 0x28, the 32-bit code descriptor
        c.gpr[R_RSP] = STACK;
        c.idtr = {IDT, 256 * 8 - 1};
        for (int v = 0; v < 256; v++)
            gate(v, HANDLER + 16 * v);
        for (int v = 0; v < 256; v++)                   // handler v: mov eax, v ; iret
            put(HANDLER + 16 * v, {0xb8, (uint8_t)v, 0, 0, 0, 0xcf});
        c.irq.opaque = &irq;
        c.irq.pending = [](void *o) { return static_cast<Irq *>(o)->line; };
        c.irq.ack = [](void *o) {
            Irq *q = static_cast<Irq *>(o);
            q->line = false;
            q->acks++;
            return q->vector;
        };
    }
    void put(uint64_t pa, std::vector<uint8_t> v) {
        ASSERT_EQ(bus_copy_to(&bus, pa, v.data(), v.size()), 0);
    }
    // 32-bit interrupt gate, DPL 0, selector 0x28 (SDM Vol. 3 Figure 6-2)
    void gate(int v, uint32_t off) {
        uint64_t d = (off & 0xffff) | (0x28ull << 16) | (0x8e00ull << 32) |
                     ((uint64_t)(off >> 16) << 48);
        bus_copy_to(&bus, IDT + 8 * v, &d, 8);
    }
    uint32_t stack(int k) {
        uint32_t v = 0;
        bus_copy_from(&bus, (c.gpr[R_RSP] & 0xffffffff) + 4 * k, &v, 4);
        return v;
    }
};

TEST_F(Events, InterruptWaitsForStiShadowThenIsAccepted) {
    put(CODE, {0xfb, 0x90, 0x90, 0xeb, 0xfe});         // sti ; nop ; nop ; jmp $
    c.rip = CODE;
    irq.line = true;
    EXPECT_EQ(cpu_run(&c, 2), 2u);                      // sti, then the nop in its shadow
    EXPECT_EQ(irq.acks, 0);
    EXPECT_EQ(c.rip, CODE + 2);
    EXPECT_EQ(cpu_run(&c, 1), 1u);                      // accepted now; first handler insn runs
    EXPECT_EQ(irq.acks, 1);
    EXPECT_EQ(c.gpr[R_RAX], 0x40u);
    EXPECT_EQ(stack(0), CODE + 2);                      // return EIP: the second nop
    EXPECT_EQ(stack(1), 0x28u);                         // CS
    EXPECT_TRUE(stack(2) & RF_IF);                      // EFLAGS as it was, IF = 1
    EXPECT_FALSE(c.rflags & RF_IF);                     // an interrupt gate clears IF
    EXPECT_EQ(c.ctr.interrupts, 1u);
    EXPECT_EQ(cpu_run(&c, 1), 1u);                      // iret
    EXPECT_EQ(c.rip, CODE + 2);
    EXPECT_TRUE(c.rflags & RF_IF);
}

TEST_F(Events, NoInterruptWithIfClear) {
    put(CODE, {0x90, 0x90, 0xf4});                      // nop ; nop ; hlt
    c.rip = CODE;
    irq.line = true;
    cpu_run(&c, 100);
    EXPECT_EQ(irq.acks, 0);
    EXPECT_EQ(c.stop, STOP_HLT);                        // HLT with IF = 0: stopped for good
    EXPECT_TRUE(c.halted);
    EXPECT_EQ(c.rip, CODE + 3);
}

TEST_F(Events, HltWakesOnInterrupt) {
    put(CODE, {0xfb, 0xf4, 0xeb, 0xfe});                // sti ; hlt ; jmp $
    c.rip = CODE;
    EXPECT_EQ(cpu_run(&c, 100), 2u);
    EXPECT_EQ(c.stop, STOP_HLT);
    EXPECT_EQ(cpu_run(&c, 100), 0u);                    // nothing pending: stays halted
    EXPECT_EQ(c.stop, STOP_HLT);
    irq.line = true;
    irq.vector = 0x41;
    EXPECT_EQ(cpu_run(&c, 1), 1u);
    EXPECT_FALSE(c.halted);
    EXPECT_EQ(c.gpr[R_RAX], 0x41u);
    EXPECT_EQ(stack(0), CODE + 2);                      // returns after the HLT
}

TEST_F(Events, NmiIsDeliveredWithIfClearAndBlockedUntilIret) {
    put(CODE, {0x90, 0x90, 0x90, 0x90, 0xeb, 0xfe});
    c.rip = CODE;
    c.nmi_pending = true;
    EXPECT_EQ(cpu_run(&c, 1), 1u);                      // NMI first, then mov eax, 2
    EXPECT_EQ(c.gpr[R_RAX], 2u);
    EXPECT_TRUE(c.nmi_blocked);
    c.nmi_pending = true;                               // a second NMI waits for the IRET
    c.gpr[R_RAX] = 0;
    EXPECT_EQ(cpu_run(&c, 1), 1u);                      // iret
    EXPECT_EQ(c.rip, CODE);
    EXPECT_EQ(c.gpr[R_RAX], 0u);
    EXPECT_FALSE(c.nmi_blocked);
    EXPECT_EQ(cpu_run(&c, 1), 1u);                      // now the second NMI
    EXPECT_EQ(c.gpr[R_RAX], 2u);
    EXPECT_EQ(c.ctr.interrupts, 2u);
}

TEST_F(Events, SingleStepTrapAfterEachInstruction) {
    put(CODE, {0x40, 0x40, 0xeb, 0xfe});                // inc eax ; inc eax ; jmp $
    c.rip = CODE;
    cpu_set_rflags(&c, RF_TF);
    c.gpr[R_RAX] = 10;
    EXPECT_EQ(cpu_run(&c, 1), 1u);                      // inc, then #DB (a trap)
    EXPECT_EQ(c.gpr[R_RAX], 11u);
    EXPECT_EQ(c.rip, HANDLER + 16 * 1);                 // in the #DB handler
    EXPECT_EQ(stack(0), CODE + 1);                      // EIP after the traced instruction
    EXPECT_TRUE(stack(2) & RF_TF);
    EXPECT_FALSE(c.rflags & RF_TF);                     // TF cleared for the handler
    EXPECT_TRUE(c.dr[6] & (1u << 14));                  // DR6.BS
}

// BOUND with the index outside [lower, upper] is a #BR fault (vector 5, no error code): the
// handler runs, and the saved EIP is the BOUND itself (SDM Vol. 2 BOUND, Vol. 3 6.15).
TEST_F(Events, BoundOutOfRangeDeliversBr) {
    uint32_t bounds[2] = {(uint32_t)-5, 10};         // signed bounds [-5, 10]
    ASSERT_EQ(bus_copy_to(&bus, 0x3000, bounds, sizeof bounds), 0);
    put(CODE, {0x62, 0x05, 0x00, 0x30, 0, 0});       // bound eax, [0x3000]
    for (int32_t idx : {11, -6}) {
        c.rip = CODE;
        c.gpr[R_RSP] = STACK;
        c.gpr[R_RAX] = (uint32_t)idx;
        uint64_t insns = c.ctr.insns;
        EXPECT_EQ(cpu_run(&c, 1), 1u) << idx;         // the handler's first instruction
        EXPECT_EQ(c.ctr.insns, insns + 1) << idx;     // BOUND itself did not retire
        EXPECT_EQ(c.gpr[R_RAX], 5u) << idx;           // handler of vector 5 ran
        EXPECT_EQ(stack(0), CODE) << idx;             // a fault: EIP of the BOUND, no error code
        EXPECT_EQ(stack(1), 0x28u) << idx;
    }
}

}  // namespace
