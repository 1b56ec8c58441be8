// test_machine.cc — the PC-like machine of `hvsim run` end to end: a Multiboot v1 kernel
// (tests/target/mb_ticks.S) checks the boot magic, prints on COM1, programs the 8259A pair, an
// IDT and the 8254 for 1 ms ticks, waits for 10 timer interrupts with STI/HLT, and exits through
// the debug-exit port. Checks the serial output, the stop reason, that halted time was skipped
// (few instructions, ~9 ms of virtual time: the first tick comes when the counter is programmed,
// then one per 1193 PIT clocks), and that two runs are identical. Also the configuration errors.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "sim/machine.h"

namespace {

const char *kKernel = "tests/target/mb_ticks.kernel";   // relative to the build directory

struct BootResult {
    std::string serial;
    enum machine_stop why;
    uint64_t insns, cycles, now, interrupts;
    uint32_t exit_value;
};

struct ApState {
    uint64_t insns = 0;
    bool all_wait_sipi = true;
    uint64_t rsdp = 0;
    std::string rsdp_sig;
};

BootResult boot(const char *kernel, int cpus = 1, ApState *aps = nullptr) {
    machine_config cfg{};
    cfg.ram_size = 32u << 20;
    cfg.cpus = cpus;
    cfg.kernel = kernel;
    cfg.date = {2000, 1, 1, 0, 0, 0};
    char *buf = nullptr;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    cfg.serial = out;
    static machine m;
    char err[512];
    BootResult r{};
    int rc = machine_init(&m, &cfg, err, sizeof err);
    EXPECT_EQ(rc, 0) << err;
    if (rc == 0) {
        r.why = machine_run(&m, 10000000);
        r.insns = m.cpus[0].ctr.insns;
        r.cycles = m.cpus[0].ctr.cycles;
        r.now = m.q.now;
        r.interrupts = m.cpus[0].ctr.interrupts;
        r.exit_value = m.dexit.value;
        if (aps) {
            for (int k = 1; k < m.ncpus; k++) {
                aps->insns += m.cpus[k].ctr.insns;
                aps->all_wait_sipi &= m.cpus[k].wait_sipi;
            }
            aps->rsdp = m.rsdp;
            if (m.rsdp + 8 <= m.bus.ram_size)
                aps->rsdp_sig.assign((const char *)m.bus.ram + m.rsdp, 8);
        }
        machine_destroy(&m);
    }
    fclose(out);
    r.serial.assign(buf, len);
    free(buf);
    return r;
}

TEST(Machine, MultibootKernelWithTimerInterrupts) {
    BootResult r = boot(kKernel);
    EXPECT_EQ(r.serial, "OK\nT\n");
    EXPECT_EQ(r.why, MSTOP_EXIT_PORT);
    EXPECT_EQ(r.exit_value, 0u);                       // 1 would mean a wrong boot magic
    EXPECT_EQ(r.interrupts, 10u);
    EXPECT_LT(r.insns, 1000u);                         // the waiting was skipped, not executed
    // ticks at 0, 1, ..., 9 ms (1193 clocks of 1.193182 MHz = 0.99985 ms)
    EXPECT_GE(r.now, 8 * PS_PER_MS);
    EXPECT_LE(r.now, 10 * PS_PER_MS);
}

// Four processors: the BSP boots the kernel; the application processors wait for INIT-SIPI-SIPI
// (SDM Vol. 3 8.4.1: only the BSP runs the boot code), retire nothing, and do not change the
// BSP's run at all: same output, instructions, cycles and virtual time as with one processor.
// The ACPI RSDP is where an OS scans for it (ACPI 5.2.5.1: 16-byte boundary, 0xE0000-0xFFFFF).
TEST(Machine, ApplicationProcessorsWaitForSipi) {
    BootResult one = boot(kKernel, 1);
    ApState aps;
    BootResult four = boot(kKernel, 4, &aps);
    EXPECT_EQ(four.why, MSTOP_EXIT_PORT);
    EXPECT_EQ(four.serial, one.serial);
    EXPECT_EQ(four.insns, one.insns);
    EXPECT_EQ(four.cycles, one.cycles);
    EXPECT_EQ(four.now, one.now);
    EXPECT_EQ(aps.insns, 0u);
    EXPECT_TRUE(aps.all_wait_sipi);
    EXPECT_GE(aps.rsdp, 0xE0000u);
    EXPECT_LT(aps.rsdp, 0x100000u);
    EXPECT_EQ(aps.rsdp % 16, 0u);
    EXPECT_EQ(aps.rsdp_sig, "RSD PTR ");
}

TEST(Machine, TwoBootsAreIdentical) {
    BootResult a = boot(kKernel), b = boot(kKernel);
    EXPECT_EQ(a.serial, b.serial);
    EXPECT_EQ(a.insns, b.insns);
    EXPECT_EQ(a.cycles, b.cycles);
    EXPECT_EQ(a.now, b.now);
}

TEST(Machine, ConfigurationErrorsAreReported) {
    machine_config cfg{};
    cfg.ram_size = 32u << 20;
    cfg.cpus = 256;      // xAPIC IDs end at 254 (255 is the broadcast ID)
    cfg.kernel = kKernel;
    cfg.date = {2000, 1, 1, 0, 0, 0};
    static machine m;
    char err[512];
    EXPECT_EQ(machine_init(&m, &cfg, err, sizeof err), -1);
    EXPECT_NE(std::string(err).find("1 to 255"), std::string::npos) << err;
    cfg.cpus = 0;
    EXPECT_EQ(machine_init(&m, &cfg, err, sizeof err), -1);
    cfg.cpus = 1;
    cfg.ram_size = 1u << 20;
    EXPECT_EQ(machine_init(&m, &cfg, err, sizeof err), -1);
    EXPECT_NE(std::string(err).find("at least 2 MiB"), std::string::npos) << err;
    cfg.ram_size = 32u << 20;
    cfg.kernel = "tests/target/no-such-kernel";
    EXPECT_EQ(machine_init(&m, &cfg, err, sizeof err), -1);
    EXPECT_NE(std::string(err).find("no-such-kernel"), std::string::npos) << err;
}

}  // namespace

namespace {

// --strict: the first access to a port with no device stops the machine. The kernel's first
// instruction is patched into a read of port 0x2E8 (COM4, which this machine does not have).
TEST(Machine, StrictStopsAtTheFirstUnclaimedAccess) {
    machine_config cfg{};
    cfg.ram_size = 32u << 20;
    cfg.cpus = 1;
    cfg.kernel = kKernel;
    cfg.date = {2000, 1, 1, 0, 0, 0};
    cfg.strict = true;
    static machine m;
    char err[512];
    ASSERT_EQ(machine_init(&m, &cfg, err, sizeof err), 0) << err;
    // patch the kernel's first instruction (cli at the entry) into "in al, dx" with DX = 0x2e8
    m.cpus[0].gpr[R_RDX] = 0x2e8;
    uint8_t in_al_dx = 0xec;
    ASSERT_EQ(bus_copy_to(&m.bus, m.mb.entry, &in_al_dx, 1), 0);
    EXPECT_EQ(machine_run(&m, 1000), MSTOP_STRICT);
    EXPECT_EQ(m.bus.unclaimed, 1u);
    EXPECT_TRUE(m.bus.last_unclaimed_pio);
    EXPECT_EQ(m.bus.last_unclaimed, 0x2e8u);
    machine_destroy(&m);
}

}  // namespace
