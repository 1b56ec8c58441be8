// test_hvept.cc — hv/mm/ept.c, the hypervisor's EPT (SDM Vol. 3 29.3.2), on the host over the
// fake physical memory of hv_fakes.c (the code is compiled in tests/unit/hvept_host.c with its
// names prefixed hvept_). Expected values are the SDM's entry format computed by hand: EPTP =
// PML4 | WB (6) | (4 - 1) << 3; a leaf = HPA | memory type << 3 | R/W/X; a 2 MiB leaf has bit 7;
// the table indexes of a GPA are bits 47:39, 38:30, 29:21, 20:12.
#include <gtest/gtest.h>

#include <cstdint>

extern "C" {
#include "tests/unit/hv_fakes.h"
int hvept_init(struct hv_ept *e, struct hv_pool *pool);
int hvept_map(struct hv_ept *e, uint64_t gpa, uint64_t hpa, unsigned perms);
int hvept_map_type(struct hv_ept *e, uint64_t gpa, uint64_t hpa, unsigned perms, unsigned type);
int hvept_map_2m(struct hv_ept *e, uint64_t gpa, uint64_t hpa, unsigned perms, unsigned type);
int hvept_unmap(struct hv_ept *e, uint64_t gpa);
int hvept_lookup(const struct hv_ept *e, uint64_t gpa, uint64_t *hpa, unsigned *perms);
void hvept_destroy(struct hv_ept *e);
uint64_t hvf_pool_count(const struct hv_pool *p);
}

namespace {

constexpr uint64_t kAddr = 0x000FFFFFFFFFF000ull;

class HvEpt : public ::testing::Test {
protected:
    void SetUp() override
    {
        hvf_reset();
        // a private pool of `kPages` pages taken from the hypervisor's fake pool
        for (unsigned i = 0; i < kPages; i++)
            hv_pool_add(&pool, hv_pool_alloc(&hv_pool));
        ASSERT_EQ(pool.free_pages, kPages);
    }
    uint64_t entry(uint64_t table, unsigned index)
    {
        return static_cast<uint64_t *>(hvf_ptr(table))[index];
    }
    static constexpr unsigned kPages = 16;
    struct hv_pool pool = {};
    struct hv_ept e = {};
};

TEST_F(HvEpt, InitMakesAWriteBackFourLevelEptp)
{
    ASSERT_EQ(hvept_init(&e, &pool), 0);
    EXPECT_EQ(e.eptp, e.pml4 | 0x1E);   // WB 6 in 2:0, 3 in 5:3
    EXPECT_EQ(e.pml4 & 0xFFF, 0u);
    EXPECT_EQ(pool.free_pages, kPages - 1);
}

TEST_F(HvEpt, Map4KiBWritesTheSdmEntriesAndLookupFindsThem)
{
    ASSERT_EQ(hvept_init(&e, &pool), 0);
    const uint64_t gpa = 0x12345000, hpa = 0x00ABC000;
    ASSERT_EQ(hvept_map_type(&e, gpa, hpa, EPT_R | EPT_W, EPT_MT_WB), 0);
    // indexes: PML4 0, PDPT 0, PD 0x91, PT 0x145; non-leaf entries grant RWX (7)
    uint64_t pml4e = entry(e.pml4, 0);
    EXPECT_EQ(pml4e & 7, 7u);
    uint64_t pdpte = entry(pml4e & kAddr, 0);
    EXPECT_EQ(pdpte & 7, 7u);
    uint64_t pde = entry(pdpte & kAddr, 0x91);
    EXPECT_EQ(pde & 0x87, 7u);   // RWX, not a 2 MiB leaf
    EXPECT_EQ(entry(pde & kAddr, 0x145), hpa | (6u << 3) | 3u);
    uint64_t got = 0;
    unsigned perms = 0;
    ASSERT_EQ(hvept_lookup(&e, gpa + 0x678, &got, &perms), 0);
    EXPECT_EQ(got, hpa + 0x678);
    EXPECT_EQ(perms, EPT_R | EPT_W);
    EXPECT_EQ(hvept_lookup(&e, gpa + 0x1000, &got, &perms), -1);
    EXPECT_EQ(pool.free_pages, kPages - 4);   // PML4, PDPT, PD, PT
}

TEST_F(HvEpt, MapUsesWriteBackAndUnmapRemoves)
{
    ASSERT_EQ(hvept_init(&e, &pool), 0);
    ASSERT_EQ(hvept_map(&e, 0x5000, 0x9000, EPT_R | EPT_W | EPT_X), 0);
    uint64_t pt = entry(entry(entry(e.pml4, 0) & kAddr, 0) & kAddr, 0) & kAddr;
    EXPECT_EQ(entry(pt, 5), 0x9000u | (6u << 3) | 7u);
    EXPECT_EQ(hvept_unmap(&e, 0x5000), 0);
    EXPECT_EQ(entry(pt, 5), 0u);
    EXPECT_EQ(hvept_lookup(&e, 0x5000, nullptr, nullptr), -1);
    EXPECT_EQ(hvept_unmap(&e, 0x5000), -1);      // not mapped any more
    EXPECT_EQ(hvept_unmap(&e, 0x7654000), -1);   // never mapped (no tables)
}

TEST_F(HvEpt, TwoMiBLeafLooksUpWithItsOffset)
{
    ASSERT_EQ(hvept_init(&e, &pool), 0);
    ASSERT_EQ(hvept_map_2m(&e, 0x200000, 0x400000, EPT_R | EPT_X, EPT_MT_UC), 0);
    uint64_t pde = entry(entry(entry(e.pml4, 0) & kAddr, 0) & kAddr, 1);
    EXPECT_EQ(pde, 0x400000u | 0x80u | (0u << 3) | 5u);
    uint64_t got = 0;
    unsigned perms = 0;
    ASSERT_EQ(hvept_lookup(&e, 0x3FF123, &got, &perms), 0);
    EXPECT_EQ(got, 0x5FF123u);
    EXPECT_EQ(perms, EPT_R | EPT_X);
    EXPECT_EQ(hvept_map_2m(&e, 0x201000, 0x400000, 7, EPT_MT_WB), -1);   // not 2 MiB aligned
}

TEST_F(HvEpt, UnmappingOnePageSplitsATwoMiBLeafKeepingTheOthers)
{
    ASSERT_EQ(hvept_init(&e, &pool), 0);
    ASSERT_EQ(hvept_map_2m(&e, 0x200000, 0x400000, EPT_R | EPT_W, EPT_MT_UC), 0);
    uint64_t before = pool.free_pages;
    ASSERT_EQ(hvept_unmap(&e, 0x201000), 0);
    EXPECT_EQ(pool.free_pages, before - 1);   // one page table
    uint64_t pde = entry(entry(entry(e.pml4, 0) & kAddr, 0) & kAddr, 1);
    EXPECT_EQ(pde & 0x87, 7u);   // now a table
    EXPECT_EQ(entry(pde & kAddr, 0), 0x400000u | (0u << 3) | 3u);
    EXPECT_EQ(entry(pde & kAddr, 511), 0x5FF000u | 3u);
    EXPECT_EQ(entry(pde & kAddr, 1), 0u);
    uint64_t got = 0;
    unsigned perms = 0;
    EXPECT_EQ(hvept_lookup(&e, 0x201000, &got, &perms), -1);
    ASSERT_EQ(hvept_lookup(&e, 0x202abc, &got, &perms), 0);
    EXPECT_EQ(got, 0x402abcu);
    EXPECT_EQ(perms, EPT_R | EPT_W);
}

TEST_F(HvEpt, Mapping4KiBInsideATwoMiBLeafSplitsIt)
{
    ASSERT_EQ(hvept_init(&e, &pool), 0);
    ASSERT_EQ(hvept_map_2m(&e, 0, 0, 7, EPT_MT_WB), 0);
    ASSERT_EQ(hvept_map_type(&e, 0x3000, 0x800000, EPT_R, EPT_MT_UC), 0);
    uint64_t got = 0;
    unsigned perms = 0;
    ASSERT_EQ(hvept_lookup(&e, 0x3004, &got, &perms), 0);
    EXPECT_EQ(got, 0x800004u);
    EXPECT_EQ(perms, EPT_R);
    ASSERT_EQ(hvept_lookup(&e, 0x4000, &got, &perms), 0);
    EXPECT_EQ(got, 0x4000u);
    EXPECT_EQ(perms, 7u);
}

TEST_F(HvEpt, DestroyGivesEveryTableBack)
{
    ASSERT_EQ(hvept_init(&e, &pool), 0);
    ASSERT_EQ(hvept_map(&e, 0x1000, 0x1000, 7), 0);
    ASSERT_EQ(hvept_map(&e, 0x8000000000ull, 0x2000, 7), 0);   // another PML4 entry
    ASSERT_EQ(hvept_map_2m(&e, 0x40000000, 0x40000000, 7, EPT_MT_WB), 0);
    EXPECT_LT(pool.free_pages, kPages);
    hvept_destroy(&e);
    EXPECT_EQ(pool.free_pages, kPages);
    EXPECT_EQ(hvf_pool_count(&pool), kPages);
    EXPECT_EQ(e.pml4, 0u);
    EXPECT_EQ(e.eptp, 0u);
}

TEST_F(HvEpt, AnEmptyPoolFailsCleanly)
{
    struct hv_pool small = {};
    hv_pool_add(&small, hv_pool_alloc(&pool));
    hv_pool_add(&small, hv_pool_alloc(&pool));
    ASSERT_EQ(hvept_init(&e, &small), 0);
    EXPECT_EQ(hvept_map(&e, 0x1000, 0x1000, 7), -1);   // needs PDPT, PD, PT: only 1 page left
    EXPECT_EQ(hvept_lookup(&e, 0x1000, nullptr, nullptr), -1);
    struct hv_ept none = {};
    struct hv_pool empty = {};
    EXPECT_EQ(hvept_init(&none, &empty), -1);
}

TEST_F(HvEpt, LookupRefusesAddressesBeyond48Bits)
{
    ASSERT_EQ(hvept_init(&e, &pool), 0);
    ASSERT_EQ(hvept_map(&e, 0x1000, 0x1000, 7), 0);
    EXPECT_EQ(hvept_lookup(&e, (1ull << 48) | 0x1000, nullptr, nullptr), -1);
}

}  // namespace
