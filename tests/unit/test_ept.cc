// test_ept.cc — the EPT walker on its own (mmu/ept_walk.c) and the EPTP checks (mmu/ept.c), on
// EPT paging structures built by hand. Expected outcomes come from SDM Vol. 3 29.3.2 (the walk,
// page sizes), 29.3.3.1 (misconfigurations), 29.3.3.2 (violations, rights ANDed over the levels),
// 29.3.5 (accessed and dirty flags) and 27.2.1.1 / 24.6.11 (EPTP).
#include "test_ept_harness.h"

using namespace epttest;

namespace {

// ---------------------------------------------------------------- translation and page sizes

TEST(EptWalk, FourKiBPageCountsFourReferences)
{
    EptMach m;
    m.ept_map(0x5000, 0x1234000, ERWX | WB);
    uint64_t cy = m.c.ctr.cycles;
    struct ept_out o;
    ASSERT_EQ(m.walk(0x5abc, EPTA_READ, &o), EPT_OK);
    EXPECT_EQ(o.hpa, 0x1234abcull);
    EXPECT_EQ(o.shift, 12);
    EXPECT_EQ(o.perm, 7);
    EXPECT_EQ(o.memtype, 6);
    EXPECT_EQ(m.c.ctr.ept_walks, 1u);
    EXPECT_EQ(m.c.ctr.ept_refs, 4u);    // PML4E, PDPTE, PDE, PTE
    EXPECT_EQ(m.c.ctr.cycles - cy, 4ull * model_default()->ept_walk_ref);
    // without EPTW_COUNT nothing is counted
    ASSERT_EQ(m.walk(0x5000, EPTA_READ, &o, 0), EPT_OK);
    EXPECT_EQ(m.c.ctr.ept_refs, 4u);
}

TEST(EptWalk, TwoMiBAndOneGiBPages)
{
    EptMach m;
    m.ept_map(0x40000000ull, 0x80000000ull, ERWX | WB, 30);     // 1 GiB at 1 GiB
    m.ept_map(0x200000, 0x1e00000, ER | WB, 21);                  // 2 MiB at 2 MiB
    struct ept_out o;
    ASSERT_EQ(m.walk(0x4abcdef0ull, EPTA_WRITE, &o), EPT_OK);
    EXPECT_EQ(o.hpa, 0x8abcdef0ull);
    EXPECT_EQ(o.shift, 30);
    EXPECT_EQ(m.c.ctr.ept_refs, 2u);    // PML4E, PDPTE (leaf)
    ASSERT_EQ(m.walk(0x3fffff, EPTA_READ, &o), EPT_OK);
    EXPECT_EQ(o.hpa, 0x1ffffffull);
    EXPECT_EQ(o.shift, 21);
    EXPECT_EQ(o.perm, 1);
}

TEST(EptWalk, LargePagesWithoutTheCapabilityAreMisconfigurations)
{
    struct cpu_model no1g = model_without(EPTCAP_1G), no2m = model_without(EPTCAP_2M);
    {
        EptMach m(&no1g);
        m.ept_map(0x40000000ull, 0x80000000ull, ERWX | WB, 30);
        struct ept_out o;
        EXPECT_EQ(m.walk(0x40000000ull, EPTA_READ, &o), EPT_MISCONFIG);
    }
    {
        EptMach m(&no2m);
        m.ept_map(0x200000, 0x400000, ERWX | WB, 21);
        struct ept_out o;
        EXPECT_EQ(m.walk(0x200000, EPTA_READ, &o), EPT_MISCONFIG);
    }
}

// ---------------------------------------------------------------- rights (29.3.3.1, 29.3.3.2)

// Every R/W/X combination of a leaf under full-rights upper levels, for every access kind.
// 010b and 110b are misconfigurations; 100b is allowed (execute-only is offered); 000b is not
// present (violation, rights 0); otherwise an access is allowed iff its bit is in the entry.
TEST(EptWalk, EveryLeafRightsCombination)
{
    for (unsigned rwx = 0; rwx < 8; rwx++)
        for (unsigned acc : { EPTA_READ, EPTA_WRITE, EPTA_FETCH, EPTA_READ | EPTA_WRITE }) {
            EptMach m;
            m.ept_map(0x7000, 0x9000, rwx | WB);
            struct ept_out o;
            enum ept_status st = m.walk(0x7000, acc, &o);
            enum ept_status want;
            if (rwx == 2 || rwx == 6)
                want = EPT_MISCONFIG;
            else if ((acc & rwx) == acc)
                want = EPT_OK;
            else
                want = EPT_VIOLATION;
            EXPECT_EQ(st, want) << "rwx " << rwx << " acc " << acc;
            if (st == EPT_VIOLATION) {
                EXPECT_EQ(o.perm, rwx) << "rwx " << rwx;
            }
        }
}

TEST(EptWalk, ExecuteOnlyWithoutTheCapabilityIsAMisconfiguration)
{
    struct cpu_model noxo = model_without(EPTCAP_XO);
    EptMach m(&noxo);
    m.ept_map(0x7000, 0x9000, EX | WB);
    struct ept_out o;
    EXPECT_EQ(m.walk(0x7000, EPTA_FETCH, &o), EPT_MISCONFIG);
    // also in a non-leaf entry
    EptMach m2(&noxo);
    m2.ept_map(0x7000, 0x9000, ERWX | WB, 12, EX);
    EXPECT_EQ(m2.walk(0x7000, EPTA_FETCH, &o), EPT_MISCONFIG);
}

TEST(EptWalk, RightsAreAndedOverTheLevels)
{
    EptMach m;
    m.ept_map(0x7000, 0x9000, ERWX | WB, 12, ER | EX);     // upper levels: no write
    struct ept_out o;
    ASSERT_EQ(m.walk(0x7000, EPTA_READ, &o), EPT_OK);
    EXPECT_EQ(o.perm, 5);
    EXPECT_EQ(m.walk(0x7000, EPTA_WRITE, &o), EPT_VIOLATION);
    EXPECT_EQ(o.perm, 5);
    // one level read-only (PDE) among full-rights levels
    EptMach n;
    n.ept_map(0x7000, 0x9000, ERWX | WB);
    uint64_t pde = n.ept_entry(0x7000, 21);
    n.wr(pde, (n.rd(pde) & ~7ull) | ER);
    EXPECT_EQ(n.walk(0x7000, EPTA_FETCH, &o), EPT_VIOLATION);
    EXPECT_EQ(o.perm, 1);
}

TEST(EptWalk, NotPresentAtEachLevel)
{
    for (unsigned shift : { 39u, 30u, 21u, 12u }) {
        EptMach m;
        m.ept_map(0x7000, 0x9000, ERWX | WB);
        uint64_t e = m.ept_entry(0x7000, shift);
        m.wr(e, m.rd(e) & ~7ull);
        struct ept_out o;
        EXPECT_EQ(m.walk(0x7000, EPTA_READ, &o), EPT_VIOLATION) << shift;
        EXPECT_EQ(o.perm, 0);
        EXPECT_EQ(m.c.ctr.ept_refs, (39u - shift) / 9 + 1) << shift;   // stops at that level
    }
}

// ---------------------------------------------------------------- reserved bits, memory types

TEST(EptWalk, ReservedBitsPerLevel)
{
    struct Case { unsigned shift; unsigned leaf_shift; uint64_t bit; };
    const Case cases[] = {
        { 39, 12, 1ull << 3 }, { 39, 12, 1ull << 7 },      // PML4E 7:3
        { 30, 12, 1ull << 3 }, { 30, 12, 1ull << 6 },      // PDPTE -> PD: 6:3
        { 21, 12, 1ull << 4 }, { 21, 12, 1ull << 6 },      // PDE -> PT: 6:3
        { 21, 21, 1ull << 12 }, { 21, 21, 1ull << 20 },    // 2 MiB leaf: 20:12
        { 30, 30, 1ull << 12 }, { 30, 30, 1ull << 29 },    // 1 GiB leaf: 29:12
        { 39, 12, 1ull << 46 }, { 12, 12, 1ull << 51 },    // 51:MAXPHYADDR (46)
        { 21, 21, 1ull << 46 },
    };
    for (const Case &k : cases) {
        EptMach m;
        uint64_t gpa = 0x40000000ull;
        m.ept_map(gpa, 0x40000000ull, ERWX | WB, k.leaf_shift);
        uint64_t e = m.ept_entry(gpa, k.shift);
        m.wr(e, m.rd(e) | k.bit);
        struct ept_out o;
        EXPECT_EQ(m.walk(gpa, EPTA_READ, &o), EPT_MISCONFIG)
            << "level " << k.shift << " bit " << std::hex << k.bit;
    }
}

TEST(EptWalk, IgnoredBitsAreIgnored)
{
    EptMach m;
    m.ept_map(0x7000, 0x9000, ERWX | WB);
    uint64_t pte = m.ept_entry(0x7000, 12), pml4e = m.ept_entry(0x7000, 39);
    m.wr(pte, m.rd(pte) | EPS | (1ull << 11) | (1ull << 52) | (1ull << 62));  // PTE bit 7 ignored
    m.wr(pml4e, m.rd(pml4e) | (1ull << 9) | (1ull << 11));
    struct ept_out o;
    EXPECT_EQ(m.walk(0x7000, EPTA_READ, &o), EPT_OK);
    EXPECT_EQ(o.hpa, 0x9000u);
}

TEST(EptWalk, LeafMemoryTypes)
{
    for (unsigned mt = 0; mt < 8; mt++) {
        EptMach m;
        m.ept_map(0x7000, 0x9000, ERWX | (uint64_t)mt << 3);
        struct ept_out o;
        bool bad = mt == 2 || mt == 3 || mt == 7;
        EXPECT_EQ(m.walk(0x7000, EPTA_READ, &o), bad ? EPT_MISCONFIG : EPT_OK) << mt;
        if (!bad) {
            EXPECT_EQ(o.memtype, mt);
        }
    }
}

TEST(EptWalk, MisconfigurationBeforeViolation)
{
    // upper levels without W, leaf with memory type 2: a write is a misconfiguration
    EptMach m;
    m.ept_map(0x7000, 0x9000, ERWX | (2ull << 3), 12, ER | EX);
    struct ept_out o;
    EXPECT_EQ(m.walk(0x7000, EPTA_WRITE, &o), EPT_MISCONFIG);
    // a not-present entry above a misconfigured one: the walk stops at the violation
    EptMach n;
    n.ept_map(0x7000, 0x9000, EW | WB);
    uint64_t pde = n.ept_entry(0x7000, 21);
    n.wr(pde, n.rd(pde) & ~7ull);
    EXPECT_EQ(n.walk(0x7000, EPTA_READ, &o), EPT_VIOLATION);
}

// ---------------------------------------------------------------- accessed and dirty (29.3.5)

TEST(EptWalk, AccessedAndDirtyFlags)
{
    EptMach m;
    uint64_t pte = m.ept_map(0x7000, 0x9000, ERWX | WB);
    uint64_t lvl[4] = { m.ept_entry(0x7000, 39), m.ept_entry(0x7000, 30),
                        m.ept_entry(0x7000, 21), pte };
    struct ept_out o;
    // EPTP[6] = 0: nothing is written, and the translation counts as dirty
    ASSERT_EQ(m.walk(0x7000, EPTA_WRITE, &o), EPT_OK);
    EXPECT_TRUE(o.dirty);
    for (uint64_t e : lvl)
        EXPECT_EQ(m.rd(e) & (EA | ED), 0u);
    uint64_t ad = m.eptp | EPTP_AD;
    // no commit: nothing written; D reported clear
    ASSERT_EQ(m.walk(0x7000, EPTA_READ, &o, EPTW_COUNT, ad), EPT_OK);
    EXPECT_FALSE(o.dirty);
    for (uint64_t e : lvl)
        EXPECT_EQ(m.rd(e) & (EA | ED), 0u);
    // a read sets A everywhere, D nowhere
    ASSERT_EQ(m.walk(0x7000, EPTA_READ, &o, EPTW_COMMIT, ad), EPT_OK);
    EXPECT_FALSE(o.dirty);
    for (uint64_t e : lvl)
        EXPECT_EQ(m.rd(e) & (EA | ED), EA);
    // a write sets D in the leaf only
    ASSERT_EQ(m.walk(0x7000, EPTA_WRITE, &o, EPTW_COMMIT, ad), EPT_OK);
    EXPECT_TRUE(o.dirty);
    for (int k = 0; k < 3; k++)
        EXPECT_EQ(m.rd(lvl[k]) & (EA | ED), EA);
    EXPECT_EQ(m.rd(pte) & (EA | ED), EA | ED);
    ASSERT_EQ(m.walk(0x7000, EPTA_READ, &o, 0, ad), EPT_OK);
    EXPECT_TRUE(o.dirty);
}

TEST(EptWalk, FailedWalkWritesNothing)
{
    EptMach m;
    uint64_t pte = m.ept_map(0x7000, 0x9000, ER | WB);
    uint64_t pml4e = m.ept_entry(0x7000, 39);
    struct ept_out o;
    EXPECT_EQ(m.walk(0x7000, EPTA_WRITE, &o, EPTW_COMMIT, m.eptp | EPTP_AD), EPT_VIOLATION);
    EXPECT_EQ(m.rd(pml4e) & EA, 0u);
    EXPECT_EQ(m.rd(pte) & (EA | ED), 0u);
}

// ---------------------------------------------------------------- EPTP (27.2.1.1)

TEST(EptPointer, Validity)
{
    const struct cpu_model *d = model_default();
    EXPECT_TRUE(ept_eptp_valid(d, 0x800000 | 6 | 3 << 3));
    EXPECT_TRUE(ept_eptp_valid(d, 0x800000 | 0 | 3 << 3));           // UC
    EXPECT_TRUE(ept_eptp_valid(d, 0x800000 | 6 | 3 << 3 | EPTP_AD)); // A/D offered
    for (unsigned mt : { 1u, 2u, 3u, 4u, 5u, 7u })
        EXPECT_FALSE(ept_eptp_valid(d, 0x800000 | mt | 3 << 3)) << mt;
    for (unsigned len : { 0u, 1u, 2u, 4u, 7u })
        EXPECT_FALSE(ept_eptp_valid(d, 0x800000 | 6 | len << 3)) << len;
    for (unsigned b = 7; b <= 11; b++)
        EXPECT_FALSE(ept_eptp_valid(d, 0x800000 | 6 | 3 << 3 | 1ull << b)) << b;
    EXPECT_FALSE(ept_eptp_valid(d, 1ull << 46 | 6 | 3 << 3));         // beyond MAXPHYADDR
    EXPECT_TRUE(ept_eptp_valid(d, (1ull << 45) | 6 | 3 << 3));
    struct cpu_model noad = model_without(EPTCAP_AD), nowb = model_without(EPTCAP_WB);
    EXPECT_FALSE(ept_eptp_valid(&noad, 0x800000 | 6 | 3 << 3 | EPTP_AD));
    EXPECT_FALSE(ept_eptp_valid(&nowb, 0x800000 | 6 | 3 << 3));
    EXPECT_TRUE(ept_eptp_valid(&nowb, 0x800000 | 0 | 3 << 3));
}

}  // namespace
