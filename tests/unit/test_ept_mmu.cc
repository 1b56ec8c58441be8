// test_ept_mmu.cc — the MMU in VMX non-root operation: the 2-D walk (SDM Vol. 3 29.3.2) with its
// memory references counted and charged, EPT violations and misconfigurations as VM-exit requests
// with the qualification of Table 28-7, guest A/D updates as EPT writes, unrestricted guests with
// paging off, the TLB tagged by VPID and EPT context (29.4), and APIC-access exits (29.4 of the
// APIC virtualization chapter, qualification of Table 28-6). Guest page tables and EPT structures
// are built by hand; expected values come from the SDM and the model constants.
#include "test_ept_harness.h"

using namespace epttest;

namespace {

constexpr uint64_t LIN = 0x400000, GPA = 0x5000, HPA = 0x1005000;

// A 4-level guest whose tables (from 1 MiB) are identity-mapped by EPT; LIN -> GPA -> HPA.
struct Guest : EptMach {
    explicit Guest(uint64_t data_rights = ERWX | WB, uint64_t guest_leaf = P | RW | US)
    {
        long_mode();
        map(LIN, GPA, guest_leaf);
        map(LIN + 0x1000, GPA + 0x1000, guest_leaf);
        ept_identity(0x100000, 0x10000);
        ept_map(GPA, HPA, data_rights);
        ept_map(GPA + 0x1000, HPA + 0x1000, ERWX | WB);
        wr(HPA + 8, 0xdeadbeef);
        wr(GPA + 8, 0x1111);        // decoy at the untranslated address
    }
};

uint64_t qual(const EptMach &m) { return m.exit_req().qual; }

// ---------------------------------------------------------------- the 2-D walk

TEST(EptMmu, TwoDimensionalWalkCountsTwentyFourReferences)
{
    Guest m;
    m.nonroot(VMX_PROC2_EPT);
    const struct cpu_model *d = model_default();
    uint64_t cy = m.c.ctr.cycles;
    EXPECT_EQ(m.rd_lin(LIN + 8), 0xdeadbeefu);
    EXPECT_EQ(m.c.ctr.walks, 1u);
    EXPECT_EQ(m.c.ctr.walk_refs, 4u);
    EXPECT_EQ(m.c.ctr.ept_walks, 5u);       // 4 guest entries + the final guest-physical address
    EXPECT_EQ(m.c.ctr.ept_refs, 20u);       // 5 EPT walks of 4 levels: 24 references in all
    EXPECT_EQ(m.c.ctr.cycles - cy, d->mem_access + 4ull * d->walk_ref + 20ull * d->ept_walk_ref);
    // guest accessed bits written at their (identity) host-physical addresses
    EXPECT_NE(m.rd(m.entry_at(LIN, 12)) & A, 0u);
    // an L1 hit pays nothing for EPT
    cy = m.c.ctr.cycles;
    EXPECT_EQ(m.rd_lin(LIN + 8), 0xdeadbeefu);
    EXPECT_EQ(m.c.ctr.ept_refs, 20u);
    EXPECT_EQ(m.c.ctr.dtlb_hits, 1u);
    EXPECT_EQ(m.c.ctr.cycles - cy, d->mem_access);
}

TEST(EptMmu, GuestPagingStructuresAreTranslated)
{
    Guest m;
    uint64_t pt = m.entry_at(LIN, 12) & ~0xfffull;  // guest page table (GPA)
    memcpy(m.bus.ram + 0x1800000, m.bus.ram + pt, 4096);
    m.ept_map(pt, 0x1800000, ERWX | WB);            // its GPA now lives elsewhere
    m.wr(m.entry_at(LIN, 12), 0x9000 | P | RW);     // the untranslated copy points elsewhere
    m.nonroot(VMX_PROC2_EPT);
    EXPECT_EQ(m.rd_lin(LIN + 8), 0xdeadbeefu);
    EXPECT_NE(m.rd(0x1800000 + (m.entry_at(LIN, 12) & 0xfff)) & A, 0u);
}

// ---------------------------------------------------------------- EPT violations (Table 28-7)

TEST(EptMmu, ViolationOnTheFinalAccess)
{
    Guest m(ER | WB);
    m.nonroot(VMX_PROC2_EPT);
    Fault f = m.write(LIN + 0x10, 0x42);
    ASSERT_TRUE(EptMach::is_exit(f));
    EXPECT_EQ(m.exit_req().reason, (uint32_t)VMX_EXIT_EPT_VIOLATION);
    // write (bit 1), readable (bit 3), GLA valid (7), access to the translated address (8)
    EXPECT_EQ(qual(m), 0x18au);
    EXPECT_EQ(m.exit_req().gla, LIN + 0x10);
    EXPECT_EQ(m.exit_req().gpa, GPA + 0x10);
    EXPECT_EQ(m.rd(HPA + 0x10), 0u);
    EXPECT_EQ(m.rd(m.entry_at(LIN, 12)) & D, 0u);   // no guest dirty bit for a failed access
    EXPECT_EQ(m.rd_lin(LIN + 8), 0xdeadbeefu);      // reads are allowed
    // a write after a read hit still exits (the cached entry lacks EPT write rights)
    f = m.write(LIN + 0x10, 0x42);
    ASSERT_TRUE(EptMach::is_exit(f));
    EXPECT_EQ(qual(m), 0x18au);
}

TEST(EptMmu, ViolationOnAGuestPagingStructureEntry)
{
    Guest m;
    uint64_t pde = m.entry_at(LIN, 21);
    uint64_t e = m.ept_entry(pde, 12);
    m.wr(e, 0);                                     // the guest page directory is not mapped
    m.nonroot(VMX_PROC2_EPT);
    Fault f = m.read(LIN);
    ASSERT_TRUE(EptMach::is_exit(f));
    EXPECT_EQ(m.exit_req().reason, (uint32_t)VMX_EXIT_EPT_VIOLATION);
    EXPECT_EQ(qual(m), 0x81u);      // read, no rights, GLA valid, paging-structure access
    EXPECT_EQ(m.exit_req().gpa, pde);
    EXPECT_EQ(m.exit_req().gla, LIN);
    // with EPT A/D the access is a write: read-only makes it a violation reporting bits 0 and 1
    m.wr(e, (pde & ~0xfffull) | ER | WB);
    m.nonroot(VMX_PROC2_EPT, 0, m.eptp | EPTP_AD);
    f = m.read(LIN);
    ASSERT_TRUE(EptMach::is_exit(f));
    EXPECT_EQ(qual(m), 0x8bu);
    EXPECT_EQ(m.exit_req().gpa, pde);
}

TEST(EptMmu, GuestAccessedBitUpdateIsAnEptWrite)
{
    Guest m;
    uint64_t pte = m.entry_at(LIN, 12);
    uint64_t e = m.ept_entry(pte, 12);
    m.wr(e, (pte & ~0xfffull) | ER | EX | WB);      // guest page table read-only in EPT
    uint64_t upper[3] = { m.entry_at(LIN, 39), m.entry_at(LIN, 30), m.entry_at(LIN, 21) };
    m.nonroot(VMX_PROC2_EPT);
    Fault f = m.read(LIN);
    ASSERT_TRUE(EptMach::is_exit(f));
    EXPECT_EQ(qual(m), 0xaau);      // write, readable + executable, GLA valid, paging structure
    EXPECT_EQ(m.exit_req().gpa, pte);
    for (uint64_t u : upper)        // every EPT translation happens before any A bit is written
        EXPECT_EQ(m.rd(u) & A, 0u);
    // with A already set no update is needed, so the read succeeds
    m.wr(pte, m.rd(pte) | A);
    EXPECT_EQ(m.rd_lin(LIN + 8), 0xdeadbeefu);
}

TEST(EptMmu, PageFaultTakesPriorityOverEptViolation)
{
    Guest m(0, P | US);             // guest read-only page whose GPA is not mapped by EPT
    m.nonroot(VMX_PROC2_EPT);
    Fault f = m.write(LIN, 1);
    EXPECT_EQ(f.vec, VEC_PF);
    EXPECT_EQ(f.ec, 3u);     // P | W
    f = m.read(LIN);                // allowed by the guest: now EPT decides
    ASSERT_TRUE(EptMach::is_exit(f));
    EXPECT_EQ(qual(m), 0x181u);
}

TEST(EptMmu, MisconfigurationExit)
{
    Guest m(ERWX | (2ull << 3));    // memory type 2 in the leaf
    m.nonroot(VMX_PROC2_EPT);
    Fault f = m.read(LIN + 0x18);
    ASSERT_TRUE(EptMach::is_exit(f));
    EXPECT_EQ(m.exit_req().reason, (uint32_t)VMX_EXIT_EPT_MISCONFIG);
    EXPECT_EQ(m.exit_req().gpa, GPA + 0x18);
    EXPECT_EQ(qual(m), 0u);
    EXPECT_EQ(m.exit_req().gla, 0u);
}

TEST(EptMmu, ExecuteOnlyPage)
{
    Guest m(EX | WB);
    m.nonroot(VMX_PROC2_EPT);
    uint64_t pa = 0;
    EXPECT_FALSE(m.fetch(LIN + 4, &pa).faulted);
    EXPECT_EQ(pa, HPA + 4);
    Fault f = m.read(LIN);          // the STLB holds the fetch's entry; it must not serve reads
    ASSERT_TRUE(EptMach::is_exit(f));
    EXPECT_EQ(qual(m), 0x1a1u);     // read, executable only, GLA valid, translated address
    f = m.write(LIN, 0);
    ASSERT_TRUE(EptMach::is_exit(f));
    EXPECT_EQ(qual(m), 0x1a2u);
}

TEST(EptMmu, EptDirtyFlagSetByAWriteAfterARead)
{
    Guest m;
    m.nonroot(VMX_PROC2_EPT, 0, m.eptp | EPTP_AD);
    uint64_t leaf = m.ept_entry(GPA, 12);
    EXPECT_EQ(m.rd_lin(LIN + 8), 0xdeadbeefu);
    EXPECT_EQ(m.rd(leaf) & (EA | ED), EA);
    EXPECT_FALSE(m.write(LIN + 8, 7).faulted);
    EXPECT_EQ(m.rd(leaf) & (EA | ED), EA | ED);
    EXPECT_EQ(m.rd(HPA + 8), 7u);
    // guest paging structures are written by EPT A/D: their leaf EPT entries are dirty
    EXPECT_NE(m.rd(m.ept_entry(m.entry_at(LIN, 12), 12)) & ED, 0u);
}

// ---------------------------------------------------------------- paging off (unrestricted guest)

TEST(EptMmu, PagingOffUsesGuestPhysicalMappings)
{
    EptMach m;
    m.flat32();
    m.ept_map(GPA, HPA, ERWX | WB);
    m.ept_map(0x200000, 0x1200000, ER | WB, 21);
    m.wr(HPA + 8, 0xdeadbeef);
    m.wr(0x1200000 + 0x1ff000, 0x77);
    m.nonroot(VMX_PROC2_EPT | (1u << 7));           // EPT + unrestricted guest
    EXPECT_EQ(m.rd_lin(GPA + 8), 0xdeadbeefu);
    EXPECT_EQ(m.c.ctr.ept_walks, 1u);
    EXPECT_EQ(m.c.ctr.ept_refs, 4u);
    EXPECT_EQ(m.c.ctr.walk_refs, 0u);
    EXPECT_EQ(m.rd_lin(GPA + 8), 0xdeadbeefu);      // cached guest-physical mapping
    EXPECT_EQ(m.c.ctr.ept_walks, 1u);
    EXPECT_EQ(m.c.ctr.dtlb_hits, 1u);
    EXPECT_EQ(m.rd_lin(0x200000, 1), 0u);           // one 2 MiB guest-physical mapping
    EXPECT_EQ(m.rd_lin(0x3ff000, 1), 0x77u);
    EXPECT_EQ(m.c.ctr.ept_walks, 2u);
    Fault f = m.read(0x9000);
    ASSERT_TRUE(EptMach::is_exit(f));
    EXPECT_EQ(qual(m), 0x181u);
    EXPECT_EQ(m.exit_req().gla, 0x9000u);
    EXPECT_EQ(m.exit_req().gpa, 0x9000u);
    f = m.write(0x200010, 1);
    ASSERT_TRUE(EptMach::is_exit(f));
    EXPECT_EQ(qual(m), 0x18au);
}

// ---------------------------------------------------------------- TLB tags (29.4)

TEST(EptTlb, VpidTaggedEntriesSurviveTransitions)
{
    EptMach m;
    m.long_mode();
    m.map(LIN, GPA, P | RW);
    m.rd_lin(LIN);                                  // root: VPID 0
    uint64_t w = m.c.ctr.walks;
    m.nonroot(VMX_PROC2_VPID, 5);                   // guest with VPID 5, same tables
    m.rd_lin(LIN);
    EXPECT_EQ(m.c.ctr.walks, w + 1);                // another context: its own walk
    m.root();
    m.rd_lin(LIN);
    EXPECT_EQ(m.c.ctr.walks, w + 1);                // the root entry survived entry and exit
    m.nonroot(VMX_PROC2_VPID, 5);
    m.rd_lin(LIN);
    EXPECT_EQ(m.c.ctr.walks, w + 1);                // so did the VPID-5 entry
    m.root();
    m.nonroot(0);                                   // "enable VPID" = 0: VPID 0 is flushed
    m.rd_lin(LIN);
    EXPECT_EQ(m.c.ctr.walks, w + 2);
    m.root();                                       // and again at the exit
    m.rd_lin(LIN);
    EXPECT_EQ(m.c.ctr.walks, w + 3);
}

TEST(EptTlb, EptContextsAndInvept)
{
    EptMach m;
    m.flat32();
    uint64_t a = m.eptp, b = m.ept_alloc() | EPTP_WB4;
    m.ept_map(GPA, HPA, ERWX | WB, 12, ERWX, a);
    m.ept_map(GPA, HPA + 0x1000, ERWX | WB, 12, ERWX, b);
    m.wr(HPA, 0xa);
    m.wr(HPA + 0x1000, 0xb);
    m.nonroot(VMX_PROC2_EPT, 0, a);
    EXPECT_EQ(m.rd_lin(GPA), 0xau);
    m.nonroot(VMX_PROC2_EPT, 0, b);                 // EPTP switch without a transition
    EXPECT_EQ(m.rd_lin(GPA), 0xbu);
    m.nonroot(VMX_PROC2_EPT, 0, a);
    EXPECT_EQ(m.rd_lin(GPA), 0xau);
    EXPECT_EQ(m.c.ctr.ept_walks, 2u);               // both contexts still cached
    tlb_inval_ept(m.c.tlb, a | EPTP_AD, false);     // single context: EPTRTA a (flags ignored)
    EXPECT_EQ(m.rd_lin(GPA), 0xau);
    EXPECT_EQ(m.c.ctr.ept_walks, 3u);
    m.nonroot(VMX_PROC2_EPT, 0, b);
    EXPECT_EQ(m.rd_lin(GPA), 0xbu);
    EXPECT_EQ(m.c.ctr.ept_walks, 3u);               // b untouched
    tlb_inval_ept(m.c.tlb, 0, true);
    EXPECT_EQ(m.rd_lin(GPA), 0xbu);
    EXPECT_EQ(m.c.ctr.ept_walks, 4u);
}

TEST(EptTlb, InvvpidScopes)
{
    EptMach m;
    m.long_mode(CR4_PGE);
    m.map(LIN, GPA, P | RW);
    m.map(LIN + 0x1000, GPA, P | RW | G);
    auto walks_for = [&](uint64_t lin) {
        uint64_t w = m.c.ctr.walks;
        m.rd_lin(lin);
        return m.c.ctr.walks - w;
    };
    m.nonroot(VMX_PROC2_VPID, 7);
    walks_for(LIN);
    walks_for(LIN + 0x1000);
    tlb_inval_vpid(m.c.tlb, 7, false, 0, false, false);   // type 3: globals stay
    EXPECT_EQ(walks_for(LIN), 1u);
    EXPECT_EQ(walks_for(LIN + 0x1000), 0u);
    tlb_inval_vpid(m.c.tlb, 7, true, LIN + 0x1000, true, false);  // type 0: that page
    EXPECT_EQ(walks_for(LIN), 0u);
    EXPECT_EQ(walks_for(LIN + 0x1000), 1u);
    tlb_inval_vpid(m.c.tlb, 8, false, 0, true, false);    // another VPID: nothing here
    EXPECT_EQ(walks_for(LIN), 0u);
    tlb_inval_vpid(m.c.tlb, -1, false, 0, true, false);   // type 2: all but VPID 0
    EXPECT_EQ(walks_for(LIN), 1u);
    EXPECT_EQ(walks_for(LIN + 0x1000), 1u);
}

// ---------------------------------------------------------------- APIC-access page

TEST(EptApic, AccessesToTheApicAccessPageExit)
{
    Guest m;   // the APIC-access address is the host-physical address LIN translates to
    m.nonroot(VMX_PROC2_EPT | VMX_PROC2_APIC_ACCESS, 0, 0, HPA);
    for (int k = 0; k < 2; k++) {                   // never cached: every access exits
        Fault f = m.read(LIN + 0x20, 4);
        ASSERT_TRUE(EptMach::is_exit(f));
        EXPECT_EQ(m.exit_req().reason, (uint32_t)VMX_EXIT_APIC_ACCESS);
        EXPECT_EQ(qual(m), 0x020u);                 // offset 020H, linear read
    }
    Fault f = m.write(LIN + 0x80, 1, 4);
    ASSERT_TRUE(EptMach::is_exit(f));
    EXPECT_EQ(qual(m), 0x1080u);                    // linear write
    f = m.fetch(LIN + 0x300);
    ASSERT_TRUE(EptMach::is_exit(f));
    EXPECT_EQ(qual(m), 0x2300u);                    // instruction fetch
    EXPECT_EQ(m.rd(HPA + 0x80), 0u);
    EXPECT_EQ(m.rd_lin(LIN + 0x1008), 0u);          // the next page is ordinary memory
}

TEST(EptApic, LargePageAroundTheApicAccessPage)
{
    EptMach m;
    m.long_mode();
    m.map(0x600000, 0x200000, P | RW, 21);          // guest 2 MiB page over GPA 2..4 MiB
    m.ept_identity(0x100000, 0x10000);
    m.ept_map(0x200000, 0x1200000, ERWX | WB, 21);  // and a 2 MiB EPT page
    m.wr(0x1206000, 0x66);
    m.nonroot(VMX_PROC2_EPT | VMX_PROC2_APIC_ACCESS, 0, 0, 0x1205000);   // host-physical
    EXPECT_EQ(m.rd_lin(0x606000, 1), 0x66u);        // cached as that 4 KiB page only
    Fault f = m.read(0x605010, 1);
    ASSERT_TRUE(EptMach::is_exit(f));
    EXPECT_EQ(qual(m), 0x010u);
}

TEST(EptApic, WithoutEptThePhysicalAddressIsCompared)
{
    EptMach m;
    m.long_mode();
    m.map(LIN, HPA, P | RW);
    m.nonroot(VMX_PROC2_APIC_ACCESS, 0, 0, HPA);
    Fault f = m.write(LIN + 0xb0, 0, 4);
    ASSERT_TRUE(EptMach::is_exit(f));
    EXPECT_EQ(m.exit_req().reason, (uint32_t)VMX_EXIT_APIC_ACCESS);
    EXPECT_EQ(qual(m), 0x10b0u);
    m.root();                                       // in VMX root the page is ordinary memory
    EXPECT_FALSE(m.write(LIN + 0xb0, 5, 4).faulted);
    EXPECT_EQ(m.rd(HPA + 0xb0), 5u);
}

TEST(EptMmu, PaeGuestPdptesComeFromTheVmcsAtVmEntry)
{
    // 26.3.2.4: with EPT, VM entry of a PAE guest loads PDPTE0-3 from the guest-state fields, not
    // from memory at CR3; without EPT they are loaded from CR3 (4.4.1)
    for (bool ept : { true, false }) {
        EptMach m;
        m.pae_mode();
        uint64_t mem[4];
        for (int k = 0; k < 4; k++)
            mem[k] = m.rd((m.c.cr3 & ~0x1full) + 8u * k);
        m.ept_identity(0x100000, 0x10000);
        for (int k = 0; k < 4; k++)
            m.c.vmx.vmcs[VMCS_GUEST_PDPTE0 + k] = 0x2000000ull + 0x1000u * k + 1;
        m.nonroot(ept ? VMX_PROC2_EPT : 0);
        for (int k = 0; k < 4; k++)
            EXPECT_EQ(m.c.tlb->pdpte[k], ept ? 0x2000000ull + 0x1000u * k + 1 : mem[k])
                << ept << k;
    }
}

}  // namespace
