// test_direct_boot.cc — sim/direct_boot.c: memory layout and the 4-level identity page tables,
// checked by walking them by hand as the SDM (Vol. 3 4.5) describes.
#include <gtest/gtest.h>

#include <cstring>

#include "sim/bus.h"
#include "sim/direct_boot.h"

namespace {

uint64_t rd(bus *b, uint64_t pa)
{
    return bus_read(b, pa, 8);
}

// Translate a linear address through the tables: 4-level, honouring PS at the PD level.
bool walk(bus *b, uint64_t cr3, uint64_t lin, uint64_t *pa)
{
    const uint64_t addr = 0x000ffffffffff000ull;
    uint64_t e = rd(b, (cr3 & addr) + ((lin >> 39) & 511) * 8);
    if (!(e & PTE_P))
        return false;
    e = rd(b, (e & addr) + ((lin >> 30) & 511) * 8);
    if (!(e & PTE_P))
        return false;
    e = rd(b, (e & addr) + ((lin >> 21) & 511) * 8);
    if (!(e & PTE_P) || !(e & PTE_PS))
        return false;
    *pa = (e & 0x000fffffffe00000ull) | (lin & 0x1fffff);
    return true;
}

TEST(DirectBoot, LayoutFollowsImage)
{
    direct_boot db;
    char err[256];
    ASSERT_EQ(direct_boot_layout(0x123456, 64 << 20, 64, &db, err, sizeof err), 0) << err;
    EXPECT_EQ(db.pt_base, 0x124000u);
    EXPECT_EQ(db.map_gib, 4u);
    EXPECT_EQ(db.pt_bytes, 6u * 4096);            // PML4 + PDPT + 4 PDs
    EXPECT_EQ(db.stack_top, 0x124000u + 6 * 4096 + DIRECT_BOOT_STACK_SIZE);
    EXPECT_EQ(db.free_base, db.stack_top);
    EXPECT_EQ(db.stack_top % 16, 0u);
}

TEST(DirectBoot, MapCoversAllRamAboveFourGiB)
{
    direct_boot db;
    char err[256];
    ASSERT_EQ(direct_boot_layout(0x200000, (5ull << 30) + 4096, 64, &db, err, sizeof err), 0);
    EXPECT_EQ(db.map_gib, 6u);
}

TEST(DirectBoot, ThirtyTwoBitNeedsNoPageTables)
{
    direct_boot db;
    char err[256];
    ASSERT_EQ(direct_boot_layout(0x101000, 16 << 20, 32, &db, err, sizeof err), 0);
    EXPECT_EQ(db.pt_bytes, 0u);
    EXPECT_EQ(db.stack_top, 0x101000u + DIRECT_BOOT_STACK_SIZE);
}

TEST(DirectBoot, RamTooSmallIsReported)
{
    direct_boot db;
    char err[256] = "";
    EXPECT_EQ(direct_boot_layout(0xff0000, 16 << 20, 64, &db, err, sizeof err), -1);
    EXPECT_NE(strstr(err, "RAM too small"), nullptr) << err;
}

TEST(DirectBoot, PageTablesIdentityMapFirstFourGiB)
{
    bus b;
    ASSERT_EQ(bus_init(&b, 32 << 20), 0);
    direct_boot db;
    char err[256];
    ASSERT_EQ(direct_boot_layout(0x180000, b.ram_size, 64, &db, err, sizeof err), 0);
    ASSERT_EQ(direct_boot_pagetables(&b, &db), 0);
    const uint64_t probes[] = { 0, 0x1000, 0x1fffff, 0x200000, 0x100000, 0x3fffffff,
                                0x40000000, 0xfee00000, 0xfffff000, 0xffffffff };
    for (uint64_t lin : probes) {
        uint64_t pa = ~0ull;
        EXPECT_TRUE(walk(&b, db.pt_base, lin, &pa)) << std::hex << lin;
        EXPECT_EQ(pa, lin) << std::hex << lin;
    }
    uint64_t pa;
    EXPECT_FALSE(walk(&b, db.pt_base, 1ull << 32, &pa));   // 4 GiB and above: not mapped
    // Entries are supervisor, writable, not accessed/dirty (the CPU sets A/D on use).
    uint64_t pml4e = rd(&b, db.pt_base);
    EXPECT_EQ(pml4e & 0xfff, PTE_P | PTE_RW);
    uint64_t pde = rd(&b, db.pt_base + 2 * 4096 + 8);
    EXPECT_EQ(pde, 0x200000u | PTE_P | PTE_RW | PTE_PS);
    bus_destroy(&b);
}

} // namespace
