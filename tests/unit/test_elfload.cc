// test_elfload.cc — sim/elfload.c: loading PT_LOAD segments, bss, and every rejection path.
#include <gtest/gtest.h>

#include <elf.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "sim/bus.h"
#include "sim/elfload.h"
#include "tests/unit/elf_builder.h"

namespace {

class ElfLoadTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_EQ(bus_init(&b, 4 << 20), 0);
        memset(b.ram, 0xaa, b.ram_size);   // so zeroed bss and untouched RAM are visible
    }
    void TearDown() override { bus_destroy(&b); }
    int load(const std::vector<uint8_t> &f)
    {
        return elf_load_mem(&b, f.data(), f.size(), "prog.elf", &img, err, sizeof err);
    }
    bool ram_untouched() const
    {
        for (uint64_t k = 0; k < b.ram_size; k++)
            if (b.ram[k] != 0xaa)
                return false;
        return true;
    }
    bus b;
    elf_image img{};
    char err[512] = "";
};

TEST_F(ElfLoadTest, LoadsSegmentsAndZeroesBss)
{
    auto f = make_elf64({ { 0x100000, 0x100000, { 0x90, 0xf4, 1, 2 }, 0x10 },
                          { 0x200000, 0x200000, { 7, 8 }, 2 } },
                        0x100000);
    ASSERT_EQ(load(f), 0) << err;
    EXPECT_EQ(img.bits, 64);
    EXPECT_EQ(img.entry, 0x100000u);
    EXPECT_EQ(img.n_load, 2);
    EXPECT_EQ(img.lo, 0x100000u);
    EXPECT_EQ(img.hi, 0x200002u);
    EXPECT_EQ(b.ram[0x100000], 0x90);
    EXPECT_EQ(b.ram[0x100003], 2);
    for (int k = 4; k < 0x10; k++)
        EXPECT_EQ(b.ram[0x100000 + k], 0) << "bss byte " << k;
    EXPECT_EQ(b.ram[0x100010], 0xaa);   // past p_memsz: untouched
    EXPECT_EQ(b.ram[0x200001], 8);
    EXPECT_EQ(b.ram[0x200002], 0xaa);
}

TEST_F(ElfLoadTest, UsesPhysicalAddressForPlacement)
{
    // vaddr high (a higher-half kernel), paddr low: bytes go to paddr.
    auto f = make_elf64({ { 0x300000, 0xffffffff80300000ull, { 0x55 }, 1 } },
                        0xffffffff80300000ull);
    ASSERT_EQ(load(f), 0) << err;
    EXPECT_EQ(b.ram[0x300000], 0x55);
    EXPECT_EQ(img.entry, 0xffffffff80300000ull);
}

TEST_F(ElfLoadTest, LoadsElf32I386)
{
    auto f = make_elf32(0x100000, { 0xfa, 0xf4 }, 0x1000, 0x100000);
    ASSERT_EQ(load(f), 0) << err;
    EXPECT_EQ(img.bits, 32);
    EXPECT_EQ(b.ram[0x100001], 0xf4);
    EXPECT_EQ(b.ram[0x100fff], 0);
    EXPECT_EQ(img.hi, 0x101000u);
}

TEST_F(ElfLoadTest, RejectsNonElf)
{
    std::vector<uint8_t> f = { '#', '!', '/', 'b', 'i', 'n' };
    EXPECT_EQ(load(f), -1);
    EXPECT_NE(strstr(err, "prog.elf"), nullptr) << err;
    EXPECT_NE(strstr(err, "not an ELF file"), nullptr) << err;
    EXPECT_TRUE(ram_untouched());
}

TEST_F(ElfLoadTest, RejectsTruncatedHeader)
{
    auto f = make_elf64({ { 0x100000, 0x100000, { 1 }, 1 } }, 0x100000);
    f.resize(30);
    EXPECT_EQ(load(f), -1);
    EXPECT_NE(strstr(err, "truncated"), nullptr) << err;
}

TEST_F(ElfLoadTest, RejectsWrongMachine)
{
    auto f = make_elf64({ { 0x100000, 0x100000, { 1 }, 1 } }, 0x100000, EM_AARCH64);
    EXPECT_EQ(load(f), -1);
    EXPECT_NE(strstr(err, "not supported"), nullptr) << err;
}

TEST_F(ElfLoadTest, RejectsPositionIndependentExecutable)
{
    auto f = make_elf64({ { 0x100000, 0x100000, { 1 }, 1 } }, 0x100000, EM_X86_64, ET_DYN);
    EXPECT_EQ(load(f), -1);
    EXPECT_NE(strstr(err, "ET_EXEC"), nullptr) << err;
}

TEST_F(ElfLoadTest, RejectsTruncatedSegmentWithoutTouchingRam)
{
    auto f = make_elf64({ { 0x100000, 0x100000, { 1, 2, 3 }, 3 },
                          { 0x101000, 0x101000, std::vector<uint8_t>(64, 9), 64 } },
                        0x100000);
    f.resize(f.size() - 10);   // cut the second segment's bytes
    EXPECT_EQ(load(f), -1);
    EXPECT_NE(strstr(err, "truncated: segment 1"), nullptr) << err;
    EXPECT_TRUE(ram_untouched());   // the valid first segment was not copied either
}

TEST_F(ElfLoadTest, RejectsSegmentOutsideRam)
{
    auto f = make_elf64({ { 0x3ff000, 0x3ff000, { 1 }, 0x2000 } }, 0x3ff000);
    EXPECT_EQ(load(f), -1);
    EXPECT_NE(strstr(err, "outside RAM"), nullptr) << err;
    EXPECT_TRUE(ram_untouched());
}

TEST_F(ElfLoadTest, RejectsSegmentWhoseEndWrapsAround)
{
    auto f = make_elf64({ { 0xfffffffffffff000ull, 0x1000, { 1 }, 0x2000 } }, 0x1000);
    EXPECT_EQ(load(f), -1);
    EXPECT_NE(strstr(err, "outside RAM"), nullptr) << err;
}

TEST_F(ElfLoadTest, RejectsFileSizeLargerThanMemSize)
{
    auto f = make_elf64({ { 0x100000, 0x100000, { 1, 2, 3, 4 }, 2 } }, 0x100000);
    EXPECT_EQ(load(f), -1);
    EXPECT_NE(strstr(err, "p_filesz"), nullptr) << err;
}

TEST_F(ElfLoadTest, RejectsEntryOutsideSegments)
{
    auto f = make_elf64({ { 0x100000, 0x100000, { 1 }, 0x100 } }, 0x100100);
    EXPECT_EQ(load(f), -1);
    EXPECT_NE(strstr(err, "entry point 0x100100"), nullptr) << err;
}

TEST_F(ElfLoadTest, RejectsFileWithoutLoadableSegments)
{
    auto f = make_elf64({}, 0x100000);
    EXPECT_EQ(load(f), -1);
    EXPECT_NE(strstr(err, "no loadable"), nullptr) << err;
}

TEST_F(ElfLoadTest, LoadsFromFileAndReportsMissingFile)
{
    char path[] = "/tmp/hvsim-elfload-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    auto f = make_elf64({ { 0x100000, 0x100000, { 0xcc }, 1 } }, 0x100000);
    ASSERT_EQ(write(fd, f.data(), f.size()), (ssize_t)f.size());
    close(fd);
    EXPECT_EQ(elf_load(&b, path, &img, err, sizeof err), 0) << err;
    EXPECT_EQ(b.ram[0x100000], 0xcc);
    uint64_t v;
    EXPECT_EQ(elf_symbol(path, "_start", &v, err, sizeof err), -1);   // no symbol table
    EXPECT_NE(strstr(err, "symbol '_start' not found"), nullptr) << err;
    unlink(path);
    EXPECT_EQ(elf_load(&b, path, &img, err, sizeof err), -1);
    EXPECT_NE(strstr(err, "cannot open"), nullptr) << err;
    EXPECT_NE(strstr(err, path), nullptr) << err;
}

} // namespace
