// test_tlb.cc — the TLB model: hit/miss/walk counting and cycle charging, geometry and LRU
// replacement, stale translations kept until an architectural invalidation (SDM Vol. 3
// 4.10.4.1: INVLPG, INVPCID, MOV to CR0/CR3/CR4), PCID tagging and global pages.
#include "test_mmu_harness.h"

#include "mmu/tlb.h"

using namespace mmutest;

namespace {

// Two physical pages with distinct contents, for detecting which translation is in use.
constexpr uint64_t PA1 = 0x200000, PA2 = 0x201000;

void two_pages(Mach &m)
{
    m.wr(PA1, 0x1111);
    m.wr(PA2, 0x2222);
}

TEST(Tlb, CountsHitsMissesAndWalks)
{
    Mach m;
    m.long_mode();
    two_pages(m);
    m.map(0x400000, PA1, P | RW);
    EXPECT_EQ(m.rd_lin(0x400000), 0x1111u);
    EXPECT_EQ(m.c.ctr.dtlb_misses, 1u);
    EXPECT_EQ(m.c.ctr.stlb_misses, 1u);
    EXPECT_EQ(m.c.ctr.walks, 1u);
    EXPECT_EQ(m.c.ctr.walk_refs, 4u);
    EXPECT_EQ(m.c.ctr.dtlb_hits, 0u);
    for (int k = 0; k < 10; k++)
        m.rd_lin(0x400000 + 8 * k);
    EXPECT_EQ(m.c.ctr.dtlb_hits, 10u);
    EXPECT_EQ(m.c.ctr.walks, 1u);
    // A fetch from the same page misses the ITLB but hits the STLB (no new walk).
    uint64_t pa = 0;
    EXPECT_FALSE(m.fetch(0x400010, &pa).faulted);
    EXPECT_EQ(pa, PA1 + 0x10);
    EXPECT_EQ(m.c.ctr.itlb_misses, 1u);
    EXPECT_EQ(m.c.ctr.stlb_hits, 1u);
    EXPECT_EQ(m.c.ctr.walks, 1u);
    EXPECT_FALSE(m.fetch(0x400020, &pa).faulted);
    EXPECT_EQ(m.c.ctr.itlb_hits, 1u);
    // A page-crossing access looks up both pages.
    m.map(0x401000, PA2, P | RW);
    m.rd_lin(0x400ffc);
    EXPECT_EQ(m.c.ctr.dtlb_hits, 11u);
    EXPECT_EQ(m.c.ctr.dtlb_misses, 2u);
    EXPECT_EQ(m.c.ctr.walks, 2u);
}

TEST(Tlb, ChargesCyclesFromTheModel)
{
    struct cpu_model model;
    memset(&model, 0, sizeof model);
    model.mem_access = 4;
    model.tlb_l1_miss_stlb_hit = 9;
    model.walk_ref = 25;
    Mach m(32ull << 20, &model);
    m.long_mode();
    m.map(0x400000, PA1, P | RW);
    m.rd_lin(0x400000);                       // miss, walk of 4 refs, one data access
    EXPECT_EQ(m.c.ctr.cycles, 4u + 4 * 25);
    m.rd_lin(0x400008);                       // L1 hit
    EXPECT_EQ(m.c.ctr.cycles, 8u + 4 * 25);
    m.fetch(0x400000);                        // ITLB miss, STLB hit; fetches cost no data access
    EXPECT_EQ(m.c.ctr.cycles, 8u + 4 * 25 + 9);
    m.run([&] { mmu_write(&m.c, 0x400000, 1, 8, ACC_WRITE); });   // D=0: re-walk (4 refs)
    EXPECT_EQ(m.c.ctr.cycles, 12u + 8 * 25 + 9);
}

TEST(Tlb, GeometryFromModelAndDefaults)
{
    Mach d;
    d.long_mode();
    EXPECT_EQ(d.c.tlb->itlb.sets * d.c.tlb->itlb.ways, 128u);
    EXPECT_EQ(d.c.tlb->itlb.ways, 8u);
    EXPECT_EQ(d.c.tlb->dtlb.sets * d.c.tlb->dtlb.ways, 64u);
    EXPECT_EQ(d.c.tlb->dtlb.ways, 4u);
    EXPECT_EQ(d.c.tlb->stlb.sets * d.c.tlb->stlb.ways, 1536u);
    EXPECT_EQ(d.c.tlb->stlb.ways, 12u);
    EXPECT_EQ(d.c.tlb->vpid, 0u);

    struct cpu_model model;
    memset(&model, 0, sizeof model);
    model.dtlb = { 8, 2 };
    model.itlb = { 16, 4 };
    model.stlb = { 32, 4 };
    Mach m(32ull << 20, &model);
    m.long_mode();
    EXPECT_EQ(m.c.tlb->dtlb.sets, 4u);
    EXPECT_EQ(m.c.tlb->dtlb.ways, 2u);
    EXPECT_EQ(m.c.tlb->itlb.sets, 4u);
    EXPECT_EQ(m.c.tlb->stlb.sets, 8u);
}

TEST(Tlb, LruReplacementInOneSet)
{
    Mach m;                                   // DTLB: 16 sets x 4 ways
    m.long_mode();
    const uint64_t base = 0x400000, stride = 16 * 4096;   // same DTLB set
    for (int k = 0; k < 6; k++)
        m.map(base + k * stride, PA1, P | RW | D);
    for (int k = 0; k < 4; k++)
        m.rd_lin(base + k * stride);          // p0..p3 fill the set
    EXPECT_EQ(m.c.ctr.dtlb_misses, 4u);
    m.rd_lin(base);                           // p0 becomes most recently used
    EXPECT_EQ(m.c.ctr.dtlb_hits, 1u);
    m.rd_lin(base + 4 * stride);              // p4 evicts the LRU way: p1
    EXPECT_EQ(m.c.ctr.dtlb_misses, 5u);
    m.rd_lin(base);                           // p0 still there
    m.rd_lin(base + 2 * stride);
    m.rd_lin(base + 3 * stride);
    EXPECT_EQ(m.c.ctr.dtlb_hits, 4u);
    EXPECT_EQ(m.c.ctr.dtlb_misses, 5u);
    uint64_t stlb_hits = m.c.ctr.stlb_hits, walks = m.c.ctr.walks;
    m.rd_lin(base + stride);                  // p1 was evicted from L1 but is in the STLB
    EXPECT_EQ(m.c.ctr.dtlb_misses, 6u);
    EXPECT_EQ(m.c.ctr.stlb_hits, stlb_hits + 1);
    EXPECT_EQ(m.c.ctr.walks, walks);
    EXPECT_EQ(tlb_count(&m.c.tlb->dtlb), 4u);
    EXPECT_EQ(tlb_count(&m.c.tlb->stlb), 5u);
}

TEST(Tlb, LargePageIsOneEntry)
{
    Mach m;
    m.long_mode();
    m.map(0x40000000ull, 0x400000, P | RW | D, 21);
    for (uint64_t off = 0; off < 0x200000; off += 0x1000)
        m.rd_lin(0x40000000ull + off);
    EXPECT_EQ(m.c.ctr.dtlb_misses, 1u);
    EXPECT_EQ(m.c.ctr.dtlb_hits, 511u);
    EXPECT_EQ(tlb_count(&m.c.tlb->dtlb), 1u);
    // INVLPG of any address inside the page drops it.
    mmu_invlpg(&m.c, 0x40123456ull);
    EXPECT_EQ(tlb_count(&m.c.tlb->dtlb), 0u);
    EXPECT_EQ(tlb_count(&m.c.tlb->stlb), 0u);
    m.rd_lin(0x40000000ull);
    EXPECT_EQ(m.c.ctr.dtlb_misses, 2u);
}

TEST(Tlb, StaleTranslationUntilInvlpg)
{
    Mach m;
    m.long_mode();
    two_pages(m);
    uint64_t pte = m.map(0x400000, PA1, P | RW);
    EXPECT_EQ(m.rd_lin(0x400000), 0x1111u);
    m.wr(pte, PA2 | P | RW);                  // remap without invalidation
    EXPECT_EQ(m.rd_lin(0x400000), 0x1111u);   // the TLB still holds the old translation
    mmu_invlpg(&m.c, 0x400abc);
    EXPECT_EQ(m.rd_lin(0x400000), 0x2222u);
    // Not present in memory, but cached: still usable until invalidated.
    m.wr(pte, 0);
    EXPECT_EQ(m.rd_lin(0x400000), 0x2222u);
    mmu_invlpg(&m.c, 0x400000);
    expect_pf(m.read(0x400000), 0x0, 0x400000);
}

TEST(Tlb, StaleTranslationUntilCr3Write)
{
    Mach m;
    m.long_mode();
    two_pages(m);
    uint64_t pte = m.map(0x400000, PA1, P | RW);
    m.rd_lin(0x400000);
    m.wr(pte, PA2 | P | RW);
    EXPECT_EQ(m.rd_lin(0x400000), 0x1111u);
    uint64_t old = m.c.cr3;
    mmu_cr3_write(&m.c, old, false);          // MOV CR3 with the same value flushes
    EXPECT_EQ(m.rd_lin(0x400000), 0x2222u);
    // The no-flush hint means nothing with CR4.PCIDE = 0.
    m.wr(pte, PA1 | P | RW);
    mmu_cr3_write(&m.c, old, true);
    EXPECT_EQ(m.rd_lin(0x400000), 0x1111u);
}

TEST(Tlb, GlobalPagesSurviveCr3WriteButNotPgeToggle)
{
    Mach m;
    m.long_mode(CR4_PGE);
    two_pages(m);
    uint64_t pte = m.map(0x400000, PA1, P | RW | G);
    uint64_t pte_ng = m.map(0x401000, PA1, P | RW);
    m.rd_lin(0x400000);
    m.rd_lin(0x401000);
    m.wr(pte, PA2 | P | RW | G);
    m.wr(pte_ng, PA2 | P | RW);
    mmu_cr3_write(&m.c, m.c.cr3, false);
    EXPECT_EQ(m.rd_lin(0x400000), 0x1111u);   // global: kept
    EXPECT_EQ(m.rd_lin(0x401000), 0x2222u);   // non-global: flushed
    uint64_t old_cr4 = m.c.cr4;
    m.c.cr4 &= ~CR4_PGE;                      // toggling PGE flushes everything
    mmu_cr_write(&m.c, m.c.cr0, m.c.cr3, old_cr4, m.c.msr.efer);
    EXPECT_EQ(m.rd_lin(0x400000), 0x2222u);
}

TEST(Tlb, GlobalBitIgnoredWithoutPge)
{
    Mach m;
    m.long_mode();                            // CR4.PGE = 0
    two_pages(m);
    uint64_t pte = m.map(0x400000, PA1, P | RW | G);
    m.rd_lin(0x400000);
    m.wr(pte, PA2 | P | RW | G);
    mmu_cr3_write(&m.c, m.c.cr3, false);
    EXPECT_EQ(m.rd_lin(0x400000), 0x2222u);
}

TEST(Tlb, Cr0AndCr4FlushRules)
{
    Mach m;
    m.long_mode(CR4_PGE);
    two_pages(m);
    uint64_t pte = m.map(0x400000, PA1, P | RW | G);
    m.rd_lin(0x400000);
    m.wr(pte, PA2 | P | RW | G);
    // CR0 change not touching PG or WP: nothing is invalidated.
    uint64_t old0 = m.c.cr0;
    m.c.cr0 |= CR0_AM;
    mmu_cr_write(&m.c, old0, m.c.cr3, m.c.cr4, m.c.msr.efer);
    EXPECT_EQ(m.rd_lin(0x400000), 0x1111u);
    // SMEP 0 -> 1 invalidates the current PCID, including its global entries here.
    uint64_t old4 = m.c.cr4;
    m.c.cr4 |= CR4_SMEP;
    mmu_cr_write(&m.c, m.c.cr0, m.c.cr3, old4, m.c.msr.efer);
    EXPECT_EQ(m.rd_lin(0x400000), 0x2222u);
    // CR0.PG 1 -> 0 invalidates everything including globals.
    m.wr(pte, PA1 | P | RW | G);
    old0 = m.c.cr0;
    m.c.cr0 &= ~CR0_PG;
    mmu_cr_write(&m.c, old0, m.c.cr3, m.c.cr4, m.c.msr.efer);
    EXPECT_EQ(tlb_count(&m.c.tlb->dtlb) + tlb_count(&m.c.tlb->stlb), 0u);
    EXPECT_EQ(m.rd_lin(0x400000), 0u);        // paging off: linear 0x400000 is physical
    old0 = m.c.cr0;
    m.c.cr0 |= CR0_PG;
    mmu_cr_write(&m.c, old0, m.c.cr3, m.c.cr4, m.c.msr.efer);
    EXPECT_EQ(m.rd_lin(0x400000), 0x1111u);
}

TEST(Tlb, ControlRegistersChangedWithoutNotificationAreNoticed)
{
    Mach m;
    m.long_mode();
    two_pages(m);
    uint64_t pte = m.map(0x400000, PA1, P | RW);
    m.map(0x600000, PA1, P | RW);
    m.rd_lin(0x400000);
    m.wr(pte, PA2 | P | RW);
    m.c.cr0 &= ~CR0_WP;                       // e.g. a setup helper wrote CR0 directly
    m.rd_lin(0x600000);                       // the next slow path applies the flush rules
    EXPECT_EQ(m.rd_lin(0x400000), 0x2222u);
}

TEST(Tlb, PcidTagging)
{
    Mach m;
    m.long_mode(CR4_PCIDE, EFER_NXE, 1);     // PCID 1
    two_pages(m);
    uint64_t pte = m.map(0x400000, PA1, P | RW);
    const uint64_t base = m.c.cr3 & ~0xfffull;
    EXPECT_EQ(m.c.tlb->pcid, 1u);
    m.rd_lin(0x400000);
    m.wr(pte, PA2 | P | RW);
    // Switch to PCID 2 without flushing: PCID 1's entry does not match.
    m.c.cr3 = base | 2;
    mmu_cr3_write(&m.c, base | 1, true);
    EXPECT_EQ(m.c.tlb->pcid, 2u);
    EXPECT_EQ(m.rd_lin(0x400000), 0x2222u);
    EXPECT_EQ(m.c.ctr.dtlb_misses, 2u);
    // Back to PCID 1 with the no-flush bit: the stale PCID-1 entry is still used.
    m.c.cr3 = base | 1;
    mmu_cr3_write(&m.c, base | 2, true);
    EXPECT_EQ(m.rd_lin(0x400000), 0x1111u);
    // PCID 2 again, without the no-flush bit: only PCID 2 is flushed; PCID 1 survives.
    m.c.cr3 = base | 2;
    mmu_cr3_write(&m.c, base | 1, false);
    uint64_t misses = m.c.ctr.dtlb_misses;
    EXPECT_EQ(m.rd_lin(0x400000), 0x2222u);
    EXPECT_EQ(m.c.ctr.dtlb_misses, misses + 1);
    m.c.cr3 = base | 1;
    mmu_cr3_write(&m.c, base | 2, true);
    EXPECT_EQ(m.rd_lin(0x400000), 0x1111u);
    // MOV to CR3 that flushes PCID 1.
    mmu_cr3_write(&m.c, base | 1, false);
    EXPECT_EQ(m.rd_lin(0x400000), 0x2222u);
    // INVLPG only affects the current PCID (and globals).
    m.wr(pte, PA1 | P | RW);
    m.c.cr3 = base | 2;
    mmu_cr3_write(&m.c, base | 1, true);
    EXPECT_EQ(m.rd_lin(0x400000), 0x2222u);   // PCID 2's stale entry
    m.c.cr3 = base | 1;
    mmu_cr3_write(&m.c, base | 2, true);
    mmu_invlpg(&m.c, 0x400000);               // drops PCID 1's entry only
    EXPECT_EQ(m.rd_lin(0x400000), 0x1111u);
    m.c.cr3 = base | 2;
    mmu_cr3_write(&m.c, base | 1, true);
    EXPECT_EQ(m.rd_lin(0x400000), 0x2222u);
}

TEST(Tlb, GlobalPagesSharedAcrossPcids)
{
    Mach m;
    m.long_mode(CR4_PCIDE | CR4_PGE, EFER_NXE, 1);
    two_pages(m);
    m.map(0x400000, PA1, P | RW | G);
    const uint64_t base = m.c.cr3 & ~0xfffull;
    m.rd_lin(0x400000);
    m.c.cr3 = base | 7;
    mmu_cr3_write(&m.c, base | 1, false);
    uint64_t misses = m.c.ctr.dtlb_misses;
    m.rd_lin(0x400000);
    EXPECT_EQ(m.c.ctr.dtlb_misses, misses);   // hit on the global entry from PCID 1
    // CR4.PCIDE 1 -> 0 flushes everything, including global entries.
    uint64_t old4 = m.c.cr4, old3 = m.c.cr3;
    m.c.cr4 &= ~CR4_PCIDE;
    m.c.cr3 = base;
    mmu_cr_write(&m.c, m.c.cr0, old3, old4, m.c.msr.efer);
    EXPECT_EQ(tlb_count(&m.c.tlb->dtlb), 0u);
}

TEST(Tlb, InvpcidTypes)
{
    Mach m;
    m.long_mode(CR4_PCIDE | CR4_PGE, EFER_NXE, 1);
    two_pages(m);
    uint64_t pg = m.map(0x400000, PA1, P | RW | G);
    uint64_t pn = m.map(0x401000, PA1, P | RW);
    uint64_t pn2 = m.map(0x402000, PA1, P | RW);
    auto fill = [&] {
        m.rd_lin(0x400000);
        m.rd_lin(0x401000);
        m.rd_lin(0x402000);
        m.wr(pg, PA2 | P | RW | G);
        m.wr(pn, PA2 | P | RW);
        m.wr(pn2, PA2 | P | RW);
    };
    auto reset = [&] {
        mmu_invpcid(&m.c, 2, 0, 0);
        m.wr(pg, PA1 | P | RW | G);
        m.wr(pn, PA1 | P | RW);
        m.wr(pn2, PA1 | P | RW);
    };
    // Type 0: one address of one PCID, not globals.
    fill();
    mmu_invpcid(&m.c, 0, 1, 0x401000);
    mmu_invpcid(&m.c, 0, 1, 0x400000);
    EXPECT_EQ(m.rd_lin(0x400000), 0x1111u);
    EXPECT_EQ(m.rd_lin(0x401000), 0x2222u);
    EXPECT_EQ(m.rd_lin(0x402000), 0x1111u);
    reset();
    // Type 0 for another PCID does nothing to PCID 1.
    fill();
    mmu_invpcid(&m.c, 0, 5, 0x401000);
    EXPECT_EQ(m.rd_lin(0x401000), 0x1111u);
    reset();
    // Type 1: a whole PCID, not globals.
    fill();
    mmu_invpcid(&m.c, 1, 1, 0);
    EXPECT_EQ(m.rd_lin(0x400000), 0x1111u);
    EXPECT_EQ(m.rd_lin(0x401000), 0x2222u);
    EXPECT_EQ(m.rd_lin(0x402000), 0x2222u);
    reset();
    // Type 3: all PCIDs, not globals.
    fill();
    mmu_invpcid(&m.c, 3, 0, 0);
    EXPECT_EQ(m.rd_lin(0x400000), 0x1111u);
    EXPECT_EQ(m.rd_lin(0x401000), 0x2222u);
    reset();
    // Type 2: everything, globals included.
    fill();
    mmu_invpcid(&m.c, 2, 0, 0);
    EXPECT_EQ(m.rd_lin(0x400000), 0x2222u);
    EXPECT_EQ(m.rd_lin(0x401000), 0x2222u);
}

TEST(Tlb, PermissionChangeRewalksInsteadOfSpuriousFault)
{
    Mach m;
    m.long_mode();
    uint64_t pte = m.map(0x400000, PA1, P);   // read-only
    m.rd_lin(0x400000);
    m.wr(pte, PA1 | P | RW);                  // upgraded without INVLPG
    EXPECT_FALSE(m.write(0x400000, 3).faulted);
    EXPECT_EQ(m.rd(PA1), 3u);
    // A downgrade is not seen until invalidated (the cached entry allows the write).
    m.wr(pte, PA1 | P | D);
    EXPECT_FALSE(m.write(0x400000, 4).faulted);
    mmu_invlpg(&m.c, 0x400000);
    expect_pf(m.write(0x400000, 5), 0x3, 0x400000);
    EXPECT_EQ(m.rd(PA1), 4u);
}

TEST(Tlb, CplAndAcChangesNeedNoFlush)
{
    Mach m;
    m.long_mode(CR4_SMAP);
    m.map(0x400000, PA1, P | RW | US | D);
    m.c.cpl = 3;
    EXPECT_FALSE(m.read(0x400000).faulted);   // cached as a user page
    m.c.cpl = 0;
    expect_pf(m.read(0x400000), 0x1, 0x400000);   // SMAP, AC=0: from a hit entry too
    m.c.rflags = RF_AC;
    EXPECT_FALSE(m.read(0x400000).faulted);
    EXPECT_FALSE(m.write(0x400000, 1).faulted);
}

TEST(Tlb, FastSlotsNeverOutliveTheirEntry)
{
    struct cpu_model model;
    memset(&model, 0, sizeof model);
    model.dtlb = { 4, 1 };                    // 4 sets, direct-mapped: easy to evict
    Mach m(32ull << 20, &model);
    m.long_mode();
    two_pages(m);
    uint64_t pte = m.map(0x400000, PA1, P | RW | D);
    m.map(0x404000, PA1, P | RW | D);         // same DTLB set (4 sets)
    m.rd_lin(0x400000);
    m.wr(pte, PA2 | P | RW | D);
    m.rd_lin(0x404000);                       // evicts 0x400000 from the DTLB (not the STLB)
    EXPECT_EQ(m.rd_lin(0x400000), 0x1111u);   // refilled from the STLB, still stale
    EXPECT_EQ(m.c.ctr.stlb_hits, 1u);
    EXPECT_EQ(m.c.ctr.dtlb_misses, 3u);
}

}  // namespace

// Invalidations that must consider every entry (a VM entry/exit without VPID, a CR3 load) visit
// only the entries each array's live list names, or all of them after the list overflowed
// (mmu/tlb.h). Whatever path they take, the result must equal a brute-force scan: every entry of
// the invalidated VPID gone, every other one kept, the per-size counts exact.
namespace {

struct LiveTlb {
    struct cpu c;       // only c.model (NULL: default geometry) is read by tlb_create
    struct tlb t;
    LiveTlb() { memset(&c, 0, sizeof c); EXPECT_EQ(tlb_create(&t, &c), 0); }
    ~LiveTlb() { tlb_free(&t); }
    void add(uint64_t page, uint16_t vpid)
    {
        struct tlb_entry e;
        memset(&e, 0, sizeof e);
        e.vbase = page << 12;
        e.pbase = 0x100000 + (page << 12);
        e.vpid = vpid;
        e.shift = 12;
        tlb_insert(&t, &t.stlb, &e);
    }
    // brute force: valid entries of the STLB with this VPID
    unsigned valid(int vpid) const
    {
        unsigned n = 0;
        for (size_t k = 0; k < (size_t)t.stlb.sets * t.stlb.ways; k++)
            if ((t.stlb.e[k].flags & TF_V) && (vpid < 0 || t.stlb.e[k].vpid == vpid))
                n++;
        return n;
    }
};

} // namespace

TEST(Tlb, VpidInvalidationThroughTheLiveList)
{
    LiveTlb l;
    for (uint64_t p = 0; p < 10; p++) {
        l.add(p, 0);
        l.add(1000 + p, 5);
    }
    ASSERT_EQ(l.valid(-1), 20u);
    tlb_inval_vpid(&l.t, 0, false, 0, true, true);      // VPID 0, all mappings
    EXPECT_EQ(l.valid(0), 0u);
    EXPECT_EQ(l.valid(5), 10u);
    EXPECT_EQ(tlb_count(&l.t.stlb), 10u);
}

TEST(Tlb, VpidInvalidationAfterTheLiveListOverflowed)
{
    LiveTlb l;
    // 3 * TLB_LIVE_CAP entries in different sets: the list overflows, a full scan follows
    for (uint64_t p = 0; p < 3 * TLB_LIVE_CAP; p++)
        l.add(p, (p % 3) ? 0 : 7);
    unsigned keep = l.valid(7);
    ASSERT_EQ(keep, TLB_LIVE_CAP);
    ASSERT_EQ(l.valid(-1), 3 * TLB_LIVE_CAP);
    tlb_inval_vpid(&l.t, 0, false, 0, true, true);
    EXPECT_EQ(l.valid(0), 0u);
    EXPECT_EQ(l.valid(7), keep);
    EXPECT_EQ(tlb_count(&l.t.stlb), keep);
    // the rebuilt list is full (64 survivors): new entries overflow it again, and still nothing
    // of VPID 0 survives the next invalidation
    for (uint64_t p = 500; p < 520; p++)
        l.add(p, 0);
    tlb_inval_vpid(&l.t, 0, false, 0, true, true);
    EXPECT_EQ(l.valid(0), 0u);
    EXPECT_EQ(l.valid(7), keep);
    EXPECT_EQ(tlb_count(&l.t.stlb), keep);
    // and VPID 7 goes too when asked
    tlb_inval_vpid(&l.t, 7, false, 0, true, true);
    EXPECT_EQ(l.valid(-1), 0u);
    EXPECT_EQ(tlb_count(&l.t.stlb), 0u);
}

TEST(Tlb, EntryRefilledAfterAPageInvalidationIsCountedOnce)
{
    LiveTlb l;
    l.add(1, 0);
    l.add(2, 0);
    // INVLPG-style removal of page 1 (not through the list), then the same slot refilled: its
    // index is now named twice in the live list
    tlb_inval_page(&l.t, 1ull << 12, -1, true);
    ASSERT_EQ(l.valid(0), 1u);
    l.add(1, 0);
    ASSERT_EQ(l.valid(0), 2u);
    tlb_inval_vpid(&l.t, 0, false, 0, true, true);
    EXPECT_EQ(l.valid(-1), 0u);
    EXPECT_EQ(tlb_count(&l.t.stlb), 0u);     // a double decrement would wrap the count
}
