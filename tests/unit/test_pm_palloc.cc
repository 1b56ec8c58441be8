// test_pm_palloc.cc — the root kernel's page allocator (partitions/root/palloc.c): ranges from a
// memory map rounded to whole pages, clipped to [1 MiB, limit), reserved ranges cut out, and
// first-fit contiguous allocation that never hands a page out twice.
#include <gtest/gtest.h>

extern "C" {
#include "partitions/root/palloc.h"
}

TEST(PmPalloc, MapRoundingAndClipping)
{
    palloc p;
    palloc_init(&p, 4ull << 30);
    palloc_add(&p, 0, 0xA0000);                     // all below 1 MiB: ignored
    palloc_add(&p, 0x100001, 0x1FFFFF);             // [0x100001, 0x300000) -> [0x101000, 0x300000)
    palloc_add(&p, 0xFFFFF000ull, 0x3000);          // clipped at the 4 GiB limit
    ASSERT_EQ(p.n, 2u);
    EXPECT_EQ(p.r[0].base, 0x101000u);
    EXPECT_EQ(p.r[0].end, 0x300000u);
    EXPECT_EQ(p.r[1].base, 0xFFFFF000ull);
    EXPECT_EQ(p.r[1].end, 0x100000000ull);
    EXPECT_EQ(palloc_free_pages(&p), 0x1FFu + 1u);
}

TEST(PmPalloc, ReserveCutsAndSplits)
{
    palloc p;
    palloc_init(&p, 4ull << 30);
    palloc_add(&p, 0x100000, 0xF00000);             // [1 MiB, 16 MiB)
    palloc_reserve(&p, 0x100000, 0x2345);           // kernel: pages 0x100000-0x102FFF
    palloc_reserve(&p, 0x400800, 0x10);             // a module inside: splits one page out
    palloc_reserve(&p, 0xF00000, 0x200000);         // over the end
    ASSERT_EQ(p.n, 2u);
    EXPECT_EQ(p.r[0].base, 0x103000u);
    EXPECT_EQ(p.r[0].end, 0x400000u);
    EXPECT_EQ(p.r[1].base, 0x401000u);
    EXPECT_EQ(p.r[1].end, 0xF00000u);
    palloc_reserve(&p, 0, ~0ull);                   // everything
    EXPECT_EQ(p.n, 0u);
    EXPECT_EQ(palloc_alloc(&p, 1), 0u);
}

TEST(PmPalloc, FirstFitContiguous)
{
    palloc p;
    palloc_init(&p, 4ull << 30);
    palloc_add(&p, 0x100000, 0x3000);               // 3 pages
    palloc_add(&p, 0x200000, 0x10000);              // 16 pages
    EXPECT_EQ(palloc_alloc(&p, 4), 0x200000u);      // does not fit the first range
    EXPECT_EQ(palloc_alloc(&p, 1), 0x100000u);
    EXPECT_EQ(palloc_alloc(&p, 2), 0x101000u);      // the first range is used up
    EXPECT_EQ(p.n, 1u);
    EXPECT_EQ(palloc_alloc(&p, 12), 0x204000u);
    EXPECT_EQ(palloc_alloc(&p, 1), 0u);
    EXPECT_EQ(palloc_alloc(&p, 0), 0u);
    EXPECT_EQ(palloc_alloc(&p, ~0ull), 0u);
    EXPECT_EQ(palloc_free_pages(&p), 0u);
}

TEST(PmPalloc, OverlappingMapEntriesAreNotDoubled)
{
    palloc p;
    palloc_init(&p, 4ull << 30);
    palloc_add(&p, 0x100000, 0x4000);
    palloc_add(&p, 0x102000, 0x4000);               // overlaps the first by two pages
    EXPECT_EQ(palloc_free_pages(&p), 6u);
    uint64_t seen[6];
    for (int k = 0; k < 6; k++) {
        seen[k] = palloc_alloc(&p, 1);
        ASSERT_NE(seen[k], 0u);
        for (int j = 0; j < k; j++)
            EXPECT_NE(seen[j], seen[k]);
    }
    EXPECT_EQ(palloc_alloc(&p, 1), 0u);
}
