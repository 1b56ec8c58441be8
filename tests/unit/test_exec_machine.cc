// test_exec_machine.cc — sim/exec_machine.c: the bare-ELF machine end to end (load, entry state
// per sim/direct_boot.h, debug console, debug-exit stop), with tiny hand-assembled programs.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "sim/exec_machine.h"
#include "tests/unit/elf_builder.h"

namespace {

constexpr uint64_t kRam = 16ull << 20;

class ExecMachineTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        out = open_memstream(&buf, &len);
        ASSERT_NE(out, nullptr);
        char err[256];
        ASSERT_EQ(exec_machine_init(&m, kRam, nullptr, out, err, sizeof err), 0) << err;
    }
    void TearDown() override
    {
        exec_machine_destroy(&m);
        fclose(out);
        free(buf);
        for (auto &p : temps)
            unlink(p.c_str());
    }
    int load(const std::vector<uint8_t> &elf)
    {
        temps.push_back(write_temp(elf));
        return exec_machine_load(&m, temps.back().c_str(), err, sizeof err);
    }
    std::string console()
    {
        fflush(out);
        return std::string(buf, len);
    }
    exec_machine m;
    FILE *out = nullptr;
    char *buf = nullptr;
    size_t len = 0;
    char err[512] = "";
    std::vector<std::string> temps;
};

// mov $'h',%al; out %al,$0xe9; mov $'i',%al; out %al,$0xe9; mov $0x2a,%al; out %al,$0xf4; hlt
const std::vector<uint8_t> kHello = { 0xb0, 'h', 0xe6, 0xe9, 0xb0, 'i', 0xe6, 0xe9,
                                      0xb0, 0x2a, 0xe6, 0xf4, 0xf4 };

TEST_F(ExecMachineTest, Elf64StartsInLongModeWithTheEntryConvention)
{
    ASSERT_EQ(load(make_elf64({ { 0x100000, 0x100000, kHello, 0x3000 } }, 0x100000)), 0) << err;
    const cpu &c = m.cpu;
    EXPECT_EQ(c.mode, MODE_LONG64);
    EXPECT_EQ(c.cpl, 0);
    EXPECT_EQ(c.rip, 0x100000u);
    EXPECT_EQ(c.cr3, 0x103000u);                         // first page after the image
    EXPECT_EQ(c.cr3, m.boot.pt_base);
    EXPECT_TRUE(c.cr0 & CR0_PG);
    EXPECT_TRUE(c.msr.efer & EFER_LMA);
    EXPECT_EQ(c.gpr[R_RSP], m.boot.stack_top);
    EXPECT_EQ(c.gpr[R_RDI], kRam);
    EXPECT_EQ(c.gpr[R_RSI], m.boot.free_base);
    EXPECT_EQ(m.img.bits, 64);
}

TEST_F(ExecMachineTest, ConsoleAndDebugExit)
{
    ASSERT_EQ(load(make_elf64({ { 0x100000, 0x100000, kHello, 0x1000 } }, 0x100000)), 0) << err;
    uint64_t n = cpu_run(&m.cpu, 1000);
    EXPECT_EQ(m.cpu.stop, STOP_REQUEST);
    EXPECT_EQ(n, 6u);                      // stopped right after the OUT to 0xF4, before HLT
    EXPECT_TRUE(m.dexit.fired);
    EXPECT_EQ(m.dexit.value, 0x2au);
    EXPECT_EQ(debugexit_status(&m.dexit), 0x55);
    EXPECT_EQ(console(), "hi");
    EXPECT_EQ(m.dcon.bytes, 2u);
}

TEST_F(ExecMachineTest, Elf32StartsInFlatProtectedModeWithoutPaging)
{
    // mov %edi,%eax; hlt
    ASSERT_EQ(load(make_elf32(0x100000, { 0x89, 0xf8, 0xf4 }, 0x1000, 0x100000)), 0) << err;
    const cpu &c = m.cpu;
    EXPECT_EQ(c.mode, MODE_PROT);
    EXPECT_EQ(c.code_size, 4);
    EXPECT_FALSE(c.cr0 & CR0_PG);
    EXPECT_TRUE(c.cr0 & CR0_PE);
    EXPECT_EQ(m.boot.pt_bytes, 0u);
    EXPECT_EQ(c.gpr[R_RSP], 0x101000u + DIRECT_BOOT_STACK_SIZE);
    cpu_run(&m.cpu, 100);
    EXPECT_EQ(m.cpu.stop, STOP_HLT);
    EXPECT_EQ(m.cpu.gpr[R_RAX], kRam);
}

TEST_F(ExecMachineTest, LoadErrorsNameTheFile)
{
    EXPECT_EQ(load({ 'n', 'o', 'p', 'e' }), -1);
    EXPECT_NE(std::string(err).find(temps.back()), std::string::npos) << err;
    // image too large for the page tables and stack above it
    EXPECT_EQ(load(make_elf64({ { 0x100000, 0x100000, kHello, kRam - 0x100000 - 0x1000 } },
                              0x100000)),
              -1);
    EXPECT_NE(std::string(err).find("RAM too small"), std::string::npos) << err;
}

TEST_F(ExecMachineTest, SameProgramTwiceGivesSameCounters)
{
    ASSERT_EQ(load(make_elf64({ { 0x100000, 0x100000, kHello, 0x1000 } }, 0x100000)), 0) << err;
    cpu_run(&m.cpu, 1000);
    cpu_counters first = m.cpu.ctr;
    exec_machine m2;
    char e2[256];
    ASSERT_EQ(exec_machine_init(&m2, kRam, nullptr, nullptr, e2, sizeof e2), 0) << e2;
    ASSERT_EQ(exec_machine_load(&m2, temps.back().c_str(), e2, sizeof e2), 0) << e2;
    cpu_run(&m2.cpu, 1000);
    EXPECT_EQ(m2.cpu.ctr.insns, first.insns);
    EXPECT_EQ(m2.cpu.ctr.cycles, first.cycles);
    EXPECT_EQ(m2.cpu.ctr.walks, first.walks);
    exec_machine_destroy(&m2);
}

} // namespace
