// test_exec_modes.cc — a real-mode start-up trampoline, as an application processor runs after a
// SIPI (SDM Vol. 3 10.4.4 and 10.9.1): real mode at CS = vector << 8, LGDT, CR0.PE = 1, a far
// jump to a 32-bit code segment, data-segment load, then work in flat protected mode. Checks the
// mode after each step: CR0.PE alone keeps the 16-bit CS cache until the far jump.
#include <gtest/gtest.h>

#include <vector>

#include "cpu/cpu.h"
#include "tests/unit/cpu_harness.h"
#include "cpu/dcache.h"
#include "sim/bus.h"

namespace {

class Trampoline : public ::testing::Test, public cputest::CpuMachine {
protected:
    Trampoline() : CpuMachine(1 << 20, nullptr, true) {}
    void put(uint64_t pa, std::vector<uint8_t> v) {
        ASSERT_EQ(bus_copy_to(&bus, pa, v.data(), v.size()), 0);
    }
};

TEST_F(Trampoline, RealModeToProtectedMode) {
    ASSERT_EQ(cpu_setup_gdt(&c, 0x6000), 0);           // writes the table; GDTR is reloaded below
    cpu_power_up_reset(&c);
    EXPECT_EQ(c.mode, MODE_REAL);
    // SIPI with vector 8: CS.sel = 0x0800, CS.base = 0x8000, IP = 0
    c.seg[SEG_CS].sel = 0x0800;
    c.seg[SEG_CS].base = 0x8000;
    c.rip = 0;
    // GDTR image at 0x8100: limit 0x2f, base 0x6000
    put(0x8100, {0x2f, 0x00, 0x00, 0x60, 0x00, 0x00});
    put(0x8200, {0x78, 0x56, 0x34, 0x12});
    put(0x8000, {
        0xfa,                                          // cli
        0x66, 0x0f, 0x01, 0x16, 0x00, 0x81,            // lgdt [0x8100] (o32: 32-bit base)
        0x0f, 0x20, 0xc0,                              // mov eax, cr0
        0x0c, 0x01,                                    // or al, 1
        0x0f, 0x22, 0xc0,                              // mov cr0, eax
        0x66, 0xea, 0x40, 0x80, 0x00, 0x00, 0x28, 0x00 // jmp far 0x28:0x8040 (o32)
    });
    put(0x8040, {
        0x66, 0xb8, 0x10, 0x00,                        // mov ax, 0x10
        0x8e, 0xd8,                                    // mov ds, ax
        0xa1, 0x00, 0x82, 0x00, 0x00,                  // mov eax, [0x8200]
        0xf4                                           // hlt
    });
    EXPECT_EQ(cpu_run(&c, 5), 5u);                     // up to and including mov cr0, eax
    EXPECT_EQ(c.gdtr.base, 0x6000u);
    EXPECT_EQ(c.gdtr.limit, 0x2fu);
    EXPECT_TRUE(c.cr0 & CR0_PE);
    EXPECT_EQ(c.mode, MODE_PROT);
    EXPECT_EQ(c.code_size, 2);                         // CS cache still 16-bit
    EXPECT_EQ(c.cpl, 0);
    EXPECT_EQ(cpu_run(&c, 1), 1u);                     // the far jump loads a 32-bit CS
    EXPECT_EQ(c.seg[SEG_CS].sel, 0x28);
    EXPECT_EQ(c.seg[SEG_CS].base, 0u);
    EXPECT_EQ(c.code_size, 4);
    EXPECT_EQ(c.rip, 0x8040u);
    cpu_run(&c, 100);
    EXPECT_EQ(c.stop, STOP_HLT);
    EXPECT_EQ(c.seg[SEG_DS].sel, 0x10);
    EXPECT_EQ(c.seg[SEG_DS].limit, 0xffffffffu);
    EXPECT_EQ(c.gpr[R_RAX], 0x12345678u);
}

}  // namespace
