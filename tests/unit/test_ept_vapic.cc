// test_ept_vapic.cc — the APIC-access page with the TPR shadow (SDM Vol. 3 29.4 "Virtualizing
// Memory-Mapped APIC Accesses"): with "use TPR shadow" = 1 and "APIC-register virtualization" =
// "virtual-interrupt delivery" = 0, a data read or write of at most 32 bits at page offset 080H is
// virtualized (29.4.2, 29.4.3.1), a virtualized write clears bytes 081H-083H of the virtual-APIC
// page and is followed by TPR virtualization (29.4.3.2, 29.1.2: a trap-like TPR-below-threshold VM
// exit, reason 43, when VTPR[7:4] < TPR threshold[3:0]); every other access to the page exits
// with reason 44 (qualification Table 28-6). The APIC-access page is identified by the physical
// address an access translates to (under EPT the host-physical address, 29.4.6.1), and a
// guest-physical access to it (guest paging structures, PDPTE loads) exits with type 15, or 10
// during event delivery. Suites: EptVapic (the MMU alone, test_ept_harness.h) and EptVapicGuest (a
// guest entered by VMLAUNCH, test_vmx_guest.h). Expected values are hand-computed from the SDM.
#include "test_ept_harness.h"
#include "tests/unit/test_vmx_guest.h"

using namespace epttest;

namespace {

constexpr uint64_t LIN = 0x400000, APICP = 0x1005000, VAP = 0x1007000, GPA = 0x5000;

// 4-level paging (no EPT), LIN -> APICP (4 KiB), APIC accesses virtualized with the TPR shadow.
struct Vapic : EptMach {
    explicit Vapic(bool tpr_shadow = true, uint32_t threshold = 0)
    {
        long_mode();
        map(LIN, APICP, P | RW);
        nonroot(VMX_PROC2_APIC_ACCESS, 0, 0, APICP);
        if (tpr_shadow)
            c.vmx.vmcs[VMCS_PROC_CONTROLS] |= VMX_PROC_TPR_SHADOW;
        c.vmx.vmcs[VMCS_VIRTUAL_APIC_ADDR] = VAP;
        c.vmx.vmcs[VMCS_TPR_THRESHOLD] = threshold;
        wr(VAP + 0x80, 0xa1b2c3d4, 4);
        wr(APICP + 0x80, 0x11111111, 4);    // what a non-virtualized access would see
    }
    uint64_t qual() const { return exit_req().qual; }
    void expect_apic_exit(const Fault &f, uint64_t q)
    {
        ASSERT_TRUE(is_exit(f));
        EXPECT_EQ(exit_req().reason, (uint32_t)VMX_EXIT_APIC_ACCESS);
        EXPECT_EQ(qual(), q);
    }
};

// ---------------------------------------------------------------- reads (29.4.2)

TEST(EptVapic, TprReadsOfUpTo32BitsAreVirtualized)
{
    Vapic m;
    uint64_t v = 0;
    ASSERT_FALSE(m.read(LIN + 0x80, 4, ACC_READ, &v).faulted);
    EXPECT_EQ(v, 0xa1b2c3d4u);                  // from the virtual-APIC page, not the page itself
    ASSERT_FALSE(m.read(LIN + 0x80, 1, ACC_READ, &v).faulted);
    EXPECT_EQ(v, 0xd4u);
    ASSERT_FALSE(m.read(LIN + 0x80, 2, ACC_READ, &v).faulted);
    EXPECT_EQ(v, 0xc3d4u);
    EXPECT_EQ(m.c.ctr.walks, 3u);               // never cached: each access walks
}

TEST(EptVapic, OtherReadsExit)
{
    Vapic m;
    m.expect_apic_exit(m.read(LIN + 0x80, 8), 0x080);   // more than 32 bits
    m.expect_apic_exit(m.read(LIN + 0x81, 1), 0x081);   // page offset not 080H
    m.expect_apic_exit(m.read(LIN + 0x90, 4), 0x090);   // another register
    m.expect_apic_exit(m.fetch(LIN + 0x80), 0x2080);    // instruction fetch
    Vapic n(false);                                     // no TPR shadow: everything exits
    n.expect_apic_exit(n.read(LIN + 0x80, 4), 0x080);
    n.expect_apic_exit(n.write(LIN + 0x80, 0, 4), 0x1080);
}

TEST(EptVapic, PageCrossingAccessesExit)
{
    // an access that starts on the page before reaches offset 000H of the APIC-access page
    Vapic m;
    m.map(LIN - 0x1000, 0x1003000, P | RW);
    m.expect_apic_exit(m.read(LIN - 2, 4), 0x000);
}

// ---------------------------------------------------------------- writes (29.4.3)

TEST(EptVapic, TprWriteIsVirtualizedAndClearsBytes81To83)
{
    Vapic m;
    ASSERT_FALSE(m.write(LIN + 0x80, 0x12345678, 4).faulted);
    EXPECT_EQ(m.rd(VAP + 0x80, 4), 0x78u);          // 29.4.3.2: bytes 081H-083H cleared
    EXPECT_EQ(m.rd(APICP + 0x80, 4), 0x11111111u);  // the APIC-access page is untouched
    EXPECT_TRUE(m.c.tlb->vapic_trap);               // TPR virtualization follows the operation
    EXPECT_TRUE(m.c.block_end);

    Vapic n;
    ASSERT_FALSE(n.write(LIN + 0x80, 0xabcd, 2).faulted);
    EXPECT_EQ(n.rd(VAP + 0x80, 4), 0xcdu);
    Vapic b;
    ASSERT_FALSE(b.write(LIN + 0x80, 0x9f, 1).faulted);
    EXPECT_EQ(b.rd(VAP + 0x80, 4), 0x9fu);
}

TEST(EptVapic, OtherWritesExit)
{
    Vapic m;
    m.expect_apic_exit(m.write(LIN + 0x80, 0, 8), 0x1080);
    m.expect_apic_exit(m.write(LIN + 0x82, 0, 2), 0x1082);
    m.expect_apic_exit(m.write(LIN + 0xb0, 0, 4), 0x10b0);     // EOI: not without VID
    EXPECT_EQ(m.rd(VAP + 0x80, 4), 0xa1b2c3d4u);
    EXPECT_FALSE(m.c.tlb->vapic_trap);
}

TEST(EptVapic, ACheckDoesNotWrite)
{
    Vapic m;
    ASSERT_FALSE(m.run([&] { mmu_check(&m.c, LIN + 0x80, 4, ACC_WRITE); }).faulted);
    EXPECT_EQ(m.rd(VAP + 0x80, 4), 0xa1b2c3d4u);
    EXPECT_FALSE(m.c.tlb->vapic_trap);
}

TEST(EptVapic, AfterAVirtualizedWriteTheSameOperationExits)
{
    // 29.4.2 / 29.4.3.1: a read, or a write of another size, in an operation that already
    // virtualized a write causes the APIC-access exit
    Vapic m;
    ASSERT_FALSE(m.write(LIN + 0x80, 0x20, 4).faulted);
    m.expect_apic_exit(m.read(LIN + 0x80, 4), 0x080);
    m.expect_apic_exit(m.write(LIN + 0x80, 0x20, 2), 0x1080);
    EXPECT_FALSE(m.write(LIN + 0x80, 0x30, 4).faulted);    // same offset and size: fine
    m.c.ctr.insns++;                                        // the next operation
    EXPECT_FALSE(m.read(LIN + 0x80, 4).faulted);
}

// ---------------------------------------------------------------- TPR virtualization (29.1.2)

TEST(EptVapic, TprVirtualizationAfterTheOperation)
{
    Vapic m(true, 5);
    ASSERT_FALSE(m.write(LIN + 0x80, 0x40, 4).faulted);    // VTPR[7:4] = 4 < 5
    EXPECT_FALSE(mmu_vapic_trap_due(&m.c));                 // still inside the operation
    m.c.ctr.insns++;
    EXPECT_TRUE(mmu_vapic_trap_due(&m.c));                  // at the boundary: exit
    EXPECT_FALSE(mmu_vapic_trap_due(&m.c));                 // once

    Vapic n(true, 5);
    ASSERT_FALSE(n.write(LIN + 0x80, 0x5f, 4).faulted);    // class 5: not below
    n.c.ctr.insns++;
    EXPECT_FALSE(mmu_vapic_trap_due(&n.c));
}

TEST(EptVapic, TheNextFetchTakesTheTrapLikeExit)
{
    Vapic m(true, 3);
    m.map(0x600000, 0x9000, P | RW);
    ASSERT_FALSE(m.write(LIN + 0x80, 0x20, 4).faulted);
    m.c.ctr.insns++;
    Fault f = m.fetch(0x600000);
    ASSERT_TRUE(EptMach::is_exit(f));
    EXPECT_EQ(m.exit_req().reason, (uint32_t)VMX_EXIT_TPR_BELOW_THRESHOLD);
    EXPECT_EQ(m.exit_req().qual, 0u);
    EXPECT_EQ(m.exit_req().insn_len, 0u);
    EXPECT_FALSE(m.fetch(0x600000).faulted);                // taken once
}

TEST(EptVapic, AVmxTransitionDropsThePendingTpr)
{
    Vapic m(true, 3);
    ASSERT_FALSE(m.write(LIN + 0x80, 0x20, 4).faulted);
    m.root();                                               // VM entry checks it again (26.7.7)
    EXPECT_FALSE(m.c.tlb->vapic_trap);
}

// ---------------------------------------------------------------- under EPT (29.4.6.1)

// LIN -> GPA -> APICP through EPT; guest tables (from 1 MiB) identity-mapped.
struct EptVapicMach : EptMach {
    EptVapicMach()
    {
        long_mode();
        map(LIN, GPA, P | RW);
        ept_identity(0x100000, 0x10000);
        ept_map(GPA, APICP, ERWX | WB);
        wr(APICP + 0x20, 0x77, 4);
    }
};

TEST(EptVapic, UnderEptTheHostPhysicalAddressIsCompared)
{
    EptVapicMach m;
    m.nonroot(VMX_PROC2_EPT | VMX_PROC2_APIC_ACCESS, 0, 0, APICP);
    Fault f = m.read(LIN + 0x20, 4);
    ASSERT_TRUE(EptMach::is_exit(f));
    EXPECT_EQ(m.exit_req().reason, (uint32_t)VMX_EXIT_APIC_ACCESS);
    EXPECT_EQ(m.exit_req().qual, 0x020u);

    EptVapicMach g;                                         // the guest-physical address is not
    g.nonroot(VMX_PROC2_EPT | VMX_PROC2_APIC_ACCESS, 0, 0, GPA);    // the APIC-access page
    EXPECT_EQ(g.rd_lin(LIN + 0x20, 4), 0x77u);
}

TEST(EptVapic, GuestPagingStructureInTheApicAccessPageExitsWithType15)
{
    EptVapicMach m;
    uint64_t pt = m.entry_at(LIN, 12) & ~0xfffull;          // guest page table (identity GPA=HPA)
    m.nonroot(VMX_PROC2_EPT | VMX_PROC2_APIC_ACCESS, 0, 0, pt);
    Fault f = m.read(LIN + 0x20, 4);
    ASSERT_TRUE(EptMach::is_exit(f));
    EXPECT_EQ(m.exit_req().reason, (uint32_t)VMX_EXIT_APIC_ACCESS);
    EXPECT_EQ(m.exit_req().qual, 0xf000u);                  // type 15, offset undefined (0)

    m.c.delivering = 14;                                    // during event delivery: type 10
    f = m.read(LIN + 0x20, 4);
    ASSERT_TRUE(EptMach::is_exit(f));
    EXPECT_EQ(m.exit_req().qual, 0xa000u);
}

TEST(EptVapic, PdpteLoadFromTheApicAccessPageExitsWithType15)
{
    EptMach m;
    m.pae_mode();
    m.ept_identity(0x100000, 0x10000);
    m.nonroot(VMX_PROC2_EPT | VMX_PROC2_APIC_ACCESS, 0, 0, m.c.cr3 & ~0xfffull);
    Fault f = m.run([&] { (void)mmu_load_pdptes(&m.c); });
    ASSERT_TRUE(EptMach::is_exit(f));
    EXPECT_EQ(m.exit_req().reason, (uint32_t)VMX_EXIT_APIC_ACCESS);
    EXPECT_EQ(m.exit_req().qual, 0xf000u);
}

}  // namespace

// ---------------------------------------------------------------- a guest entered by VMLAUNCH

namespace {

using vmxguest::GuestMachine;
using vmxguest::GCODE;
using vmxguest::VAPIC;
constexpr uint64_t APIC_PAGE = 0x46000;

// The guest runs `code` with RBX = APIC-access page + 80H and RCX = `val`; VTPR = `vtpr` and the
// TPR threshold `thr` at entry.
int run_guest(GuestMachine &m, const std::vector<uint8_t> &code, uint32_t vtpr, uint32_t thr,
              uint64_t val)
{
    m.proc = VMX_PROC_TPR_SHADOW;
    m.proc2 = VMX_PROC2_APIC_ACCESS;
    m.wr(VAPIC + 0x80, vtpr, 4);
    m.r(R_RBX) = APIC_PAGE + 0x80;
    m.r(R_RCX) = val;
    return m.launch(code, [thr](GuestMachine &g) {
        g.f(VMCS_APIC_ACCESS_ADDR) = APIC_PAGE;
        g.f(VMCS_TPR_THRESHOLD) = thr;
    });
}

TEST(EptVapicGuest, TprWriteBelowThresholdIsATrapLikeExit)
{
    GuestMachine m;
    ASSERT_EQ(run_guest(m, { 0x89, 0x0b }, 0x50, 5, 0xffffff30), -1);   // mov [rbx], ecx
    ASSERT_TRUE(m.exited());
    EXPECT_EQ(m.reason(), (uint32_t)VMX_EXIT_TPR_BELOW_THRESHOLD);
    EXPECT_EQ(m.grip(), GCODE + 2);                         // after the MOV
    EXPECT_EQ(m.len(), 0u);
    EXPECT_EQ(m.qual(), 0u);
    EXPECT_EQ(m.rd(VAPIC + 0x80, 4), 0x30u);
    EXPECT_EQ(m.rd(APIC_PAGE + 0x80, 4), 0u);
}

TEST(EptVapicGuest, TprWriteAtOrAboveThresholdDoesNotExit)
{
    GuestMachine m;
    ASSERT_EQ(run_guest(m, { 0x89, 0x0b }, 0x50, 5, 0x12345665), -1);
    EXPECT_EQ(m.reason(), (uint32_t)VMX_EXIT_VMCALL);      // ran on to the VMCALL
    EXPECT_EQ(m.rd(VAPIC + 0x80, 4), 0x65u);
}

TEST(EptVapicGuest, TprReadReturnsVtpr)
{
    GuestMachine m;
    ASSERT_EQ(run_guest(m, { 0x8b, 0x03 }, 0xdead0070, 0, 0), -1);      // mov eax, [rbx]
    EXPECT_EQ(m.reason(), (uint32_t)VMX_EXIT_VMCALL);
    EXPECT_EQ(m.r(R_RAX), 0xdead0070u);
}

TEST(EptVapicGuest, A64BitWriteExits)
{
    GuestMachine m;
    ASSERT_EQ(run_guest(m, { 0x48, 0x89, 0x0b }, 0x50, 0, 7), -1);    // mov [rbx], rcx
    EXPECT_EQ(m.reason(), (uint32_t)VMX_EXIT_APIC_ACCESS);
    EXPECT_EQ(m.qual(), 0x1080u);
    EXPECT_EQ(m.grip(), GCODE);                             // fault-like: at the MOV
    EXPECT_EQ(m.rd(VAPIC + 0x80, 4), 0x50u);
}

}  // namespace
