// test_mmu.cc — linear-address accesses and paging: translations in every paging mode, exact
// page-fault error codes (SDM Vol. 3 4.7), accessed/dirty bits (4.8), canonical checks,
// page-crossing accesses, MMIO and the decode-cache hook. Expected values are hand-computed from
// the SDM tables for page tables built by hand in RAM.
#include "test_mmu_harness.h"

#include "cpu/dcache.h"

using namespace mmutest;

namespace {

// ---------------------------------------------------------------- paging off

TEST(MmuPagingOff, ReadWriteAllSizes)
{
    Mach m;
    m.flat32();
    m.wr(0x5000, 0x8877665544332211ull);
    EXPECT_EQ(m.rd_lin(0x5000, 1), 0x11u);
    EXPECT_EQ(m.rd_lin(0x5001, 2), 0x3322u);
    EXPECT_EQ(m.rd_lin(0x5003, 4), 0x77665544u);
    EXPECT_EQ(m.rd_lin(0x5000, 8), 0x8877665544332211ull);
    EXPECT_FALSE(m.write(0x6002, 0xa1b2c3d4, 4).faulted);
    EXPECT_EQ(m.rd(0x6000), 0xa1b2c3d40000ull);
    // No TLB is involved with CR0.PG = 0.
    EXPECT_EQ(m.c.ctr.dtlb_hits + m.c.ctr.dtlb_misses + m.c.ctr.walks, 0u);
}

TEST(MmuPagingOff, LinearTruncatedTo32Bits)
{
    Mach m;
    m.flat32();
    m.wr(0x5000, 0x1234);
    EXPECT_EQ(m.rd_lin(0x100005000ull, 2), 0x1234u);
    uint64_t pa = 0;
    EXPECT_FALSE(m.fetch(0x100005010ull, &pa).faulted);
    EXPECT_EQ(pa, 0x5010u);
    EXPECT_EQ(mmu_translate_debug(&m.c, 0x7000, &pa), 0);
    EXPECT_EQ(pa, 0x7000u);
}

TEST(MmuPagingOff, PageCrossingAndBulk)
{
    Mach m;
    m.flat32();
    EXPECT_FALSE(m.write(0x5ffd, 0x0807060504030201ull, 8).faulted);
    for (unsigned k = 0; k < 8; k++)
        EXPECT_EQ(m.rd(0x5ffd + k, 1), k + 1);
    EXPECT_EQ(m.rd_lin(0x5ffd, 8), 0x0807060504030201ull);

    uint8_t src[300], dst[300];
    for (unsigned k = 0; k < sizeof src; k++)
        src[k] = (uint8_t)(k * 7 + 3);
    m.run([&] { mmu_write_bytes(&m.c, 0x8f80, src, sizeof src, ACC_WRITE); });
    EXPECT_EQ(memcmp(m.bus.ram + 0x8f80, src, sizeof src), 0);
    m.run([&] { mmu_read_bytes(&m.c, 0x8f80, dst, sizeof dst, ACC_READ); });
    EXPECT_EQ(memcmp(dst, src, sizeof src), 0);
}

struct FakeDev {
    uint64_t last_off = ~0ull, last_val = 0;
    unsigned last_size = 0, reads = 0, writes = 0;
    uint64_t read_val = 0;
};
uint64_t fake_read(void *o, uint64_t off, unsigned size)
{
    FakeDev *d = static_cast<FakeDev *>(o);
    d->reads++;
    d->last_off = off;
    d->last_size = size;
    return d->read_val;
}
void fake_write(void *o, uint64_t off, uint64_t v, unsigned size)
{
    FakeDev *d = static_cast<FakeDev *>(o);
    d->writes++;
    d->last_off = off;
    d->last_val = v;
    d->last_size = size;
}
const struct bus_ops fake_ops = { fake_read, fake_write };

TEST(MmuPagingOff, MmioGoesToTheDevice)
{
    Mach m;
    FakeDev dev;
    dev.read_val = 0xcafe;
    ASSERT_EQ(bus_map_mmio(&m.bus, 0xfee00000ull, 0x1000, &fake_ops, &dev, "fake"), 0);
    m.flat32();
    EXPECT_EQ(m.rd_lin(0xfee00030, 4), 0xcafeu);
    EXPECT_EQ(dev.last_off, 0x30u);
    EXPECT_EQ(dev.last_size, 4u);
    EXPECT_FALSE(m.write(0xfee000b0, 0x55, 4).faulted);
    EXPECT_EQ(dev.writes, 1u);
    EXPECT_EQ(dev.last_off, 0xb0u);
    EXPECT_EQ(dev.last_val, 0x55u);
}

TEST(MmuPagingOff, WriteToCodePageCallsDecodeCache)
{
    Mach m;
    struct dcache dc;
    ASSERT_EQ(dcache_init(&dc, m.bus.ram_size), 0);
    m.c.dcache = &dc;
    m.flat32();
    dc.code_page[5] = 1;
    uint64_t inv = dc.invalidations;
    EXPECT_FALSE(m.write(0x6000, 1, 4).faulted);          // other page: no invalidation
    EXPECT_EQ(dc.invalidations, inv);
    EXPECT_FALSE(m.write(0x5010, 1, 4).faulted);
    EXPECT_EQ(dc.invalidations, inv + 1);
    EXPECT_EQ(dc.code_page[5], 0);
    m.c.dcache = nullptr;
    dcache_destroy(&dc);
}

// ---------------------------------------------------------------- 4-level paging

TEST(Mmu4Level, Translate4KSetsAccessedOnEveryLevel)
{
    Mach m;
    m.long_mode();
    uint64_t pte = m.map(0x400000, 0x200000, P | RW);
    m.wr(0x200123, 0xdeadbeef, 4);
    EXPECT_EQ(m.rd_lin(0x400123, 4), 0xdeadbeefu);
    for (unsigned s : { 39u, 30u, 21u, 12u })
        EXPECT_TRUE(m.rd(m.entry_at(0x400000, s)) & A) << "level " << s;
    EXPECT_FALSE(m.rd(pte) & D);       // a read never sets D
    EXPECT_FALSE(m.write(0x400200, 7, 1).faulted);
    EXPECT_TRUE(m.rd(pte) & D);
    for (unsigned s : { 39u, 30u, 21u })
        EXPECT_FALSE(m.rd(m.entry_at(0x400000, s)) & D) << "level " << s;
    EXPECT_EQ(m.rd(0x200200, 1), 7u);
}

TEST(Mmu4Level, LargePages2MAnd1G)
{
    Mach m;
    m.long_mode();
    uint64_t pde = m.map(0x40000000ull + 0x600000, 0xc00000, P | RW, 21);
    m.wr(0xc12345, 0x77, 1);
    EXPECT_EQ(m.rd_lin(0x40612345ull, 1), 0x77u);
    EXPECT_FALSE(m.write(0x40612346ull, 0x66, 1).faulted);
    EXPECT_EQ(m.rd(0xc12346, 1), 0x66u);
    EXPECT_TRUE(m.rd(pde) & D);        // D in the final entry: the PDE of the 2 MiB page

    uint64_t pdpte = m.map(0x8000000000ull, 0, P | RW, 30);   // 1 GiB page at PA 0
    m.wr(0x1234, 0x99, 1);
    EXPECT_EQ(m.rd_lin(0x8000001234ull, 1), 0x99u);
    uint64_t pa = 0;
    EXPECT_EQ(mmu_translate_debug(&m.c, 0x8000000000ull + 0x3fffffff, &pa), 0);
    EXPECT_EQ(pa, 0x3fffffffu);
    EXPECT_TRUE(m.rd(pdpte) & A);
    EXPECT_FALSE(m.rd(pdpte) & D);
}

TEST(Mmu4Level, NotPresentErrorCodes)
{
    Mach m;
    m.long_mode();
    m.map(0x400000, 0x200000, P | RW | US);     // builds the upper levels
    const uint64_t lin = 0x401008;              // PTE not present
    expect_pf(m.read(lin), 0x0, lin);
    expect_pf(m.write(lin, 1), 0x2, lin);
    m.c.cpl = 3;
    expect_pf(m.read(lin), 0x4, lin);
    expect_pf(m.write(lin, 1), 0x6, lin);
    expect_pf(m.fetch(lin), 0x14, lin);         // I/D: PAE + NXE
    m.c.cpl = 0;
    expect_pf(m.fetch(lin), 0x10, lin);
    // Implicit supervisor access at CPL 3 reports U/S = 0.
    m.c.cpl = 3;
    expect_pf(m.read(lin, 8, ACC_READ | ACC_IMPLICIT_SUPER), 0x0, lin);
    // Not present at the PML4 level.
    expect_pf(m.read(0x8000000000ull), 0x4, 0x8000000000ull);
    // Reserved bits in a non-present entry are ignored: still P=0.
    m.wr(m.entry_at(0x400000, 21) + 8, 0xfff0000000000000ull);   // PDE for 0x600000, P=0
    m.c.cpl = 0;
    expect_pf(m.read(0x600000), 0x0, 0x600000);
}

TEST(Mmu4Level, IdFlagNeedsSmepOrNxe)
{
    Mach m;
    m.long_mode(0, 0);                          // NXE = 0, SMEP = 0
    m.map(0x400000, 0x200000, P);
    expect_pf(m.fetch(0x401000), 0x0, 0x401000);
    Mach s;
    s.long_mode(CR4_SMEP, 0);
    s.map(0x400000, 0x200000, P);
    expect_pf(s.fetch(0x401000), 0x10, 0x401000);
}

TEST(Mmu4Level, WriteProtect)
{
    Mach m;
    m.long_mode();
    uint64_t pte = m.map(0x400000, 0x200000, P);        // read-only, supervisor
    expect_pf(m.write(0x400010, 1), 0x3, 0x400010);     // WP=1: supervisor write faults
    EXPECT_FALSE(m.rd(pte) & A);                        // no side effect for a faulting access
    uint64_t old_cr0 = m.c.cr0;
    m.c.cr0 &= ~CR0_WP;
    mmu_cr_write(&m.c, old_cr0, m.c.cr3, m.c.cr4, m.c.msr.efer);
    EXPECT_FALSE(m.write(0x400010, 0xab, 1).faulted);   // WP=0: allowed
    EXPECT_EQ(m.rd(0x200010, 1), 0xabu);
    EXPECT_TRUE(m.rd(pte) & D);
    // Read-only at an upper level only also denies.
    m.map(0x800000, 0x300000, P | RW | US, 12, P | US);
    m.c.cpl = 3;
    expect_pf(m.write(0x800000, 1), 0x7, 0x800000);     // user write: WP irrelevant
    m.c.cpl = 0;
    EXPECT_FALSE(m.write(0x800000, 1).faulted);         // WP=0 supervisor
}

TEST(Mmu4Level, UserSupervisor)
{
    Mach m;
    m.long_mode();
    m.map(0x400000, 0x200000, P | RW);                  // supervisor page
    m.map(0x600000, 0x210000, P | RW | US, 12, P | RW); // U/S=0 at upper levels
    m.c.cpl = 3;
    expect_pf(m.read(0x400000), 0x5, 0x400000);
    expect_pf(m.write(0x400000, 1), 0x7, 0x400000);
    expect_pf(m.fetch(0x400000), 0x15, 0x400000);
    expect_pf(m.read(0x600000), 0x5, 0x600000);
    // CPL 3 implicit supervisor access (e.g. GDT read) is a supervisor access.
    EXPECT_FALSE(m.read(0x400000, 8, ACC_READ | ACC_IMPLICIT_SUPER).faulted);
    m.c.cpl = 1;
    EXPECT_FALSE(m.read(0x400000).faulted);
}

TEST(Mmu4Level, ExecuteDisable)
{
    Mach m;
    m.long_mode();
    m.map(0x400000, 0x200000, P | RW | XD);
    m.map(0x600000, 0x210000, P | RW, 12, P | RW | US | XD);    // XD at an upper level
    expect_pf(m.fetch(0x400010), 0x11, 0x400010);
    expect_pf(m.fetch(0x600000), 0x11, 0x600000);
    EXPECT_FALSE(m.read(0x400010).faulted);             // data access is fine
    m.map(0x800000, 0x220000, P | RW);
    uint64_t pa = 0;
    EXPECT_FALSE(m.fetch(0x800123, &pa).faulted);
    EXPECT_EQ(pa, 0x220123u);
}

TEST(Mmu4Level, XdReservedWithoutNxe)
{
    Mach m;
    m.long_mode(0, 0);                                  // EFER.NXE = 0
    m.map(0x400000, 0x200000, P | RW | XD);
    expect_pf(m.read(0x400000), 0x9, 0x400000);         // P | RSVD
    expect_pf(m.write(0x400000, 1), 0xb, 0x400000);
    expect_pf(m.fetch(0x400000), 0x9, 0x400000);        // no I/D: NXE=0, SMEP=0
}

TEST(Mmu4Level, Smep)
{
    Mach m;
    m.long_mode(CR4_SMEP);
    m.map(0x400000, 0x200000, P | RW | US);
    expect_pf(m.fetch(0x400000), 0x11, 0x400000);       // supervisor fetch from a user page
    m.c.cpl = 3;
    EXPECT_FALSE(m.fetch(0x400000).faulted);
    m.c.cpl = 0;
    EXPECT_FALSE(m.read(0x400000).faulted);             // SMEP does not restrict data
    Mach n;
    n.long_mode();
    n.map(0x400000, 0x200000, P | RW | US);
    EXPECT_FALSE(n.fetch(0x400000).faulted);            // no SMEP: allowed
}

TEST(Mmu4Level, SmapWithAndWithoutAc)
{
    Mach m;
    m.long_mode(CR4_SMAP);
    m.map(0x400000, 0x200000, P | RW | US);
    m.c.rflags = 0;
    expect_pf(m.read(0x400000), 0x1, 0x400000);
    expect_pf(m.write(0x400000, 1), 0x3, 0x400000);
    m.c.rflags = RF_AC;
    EXPECT_FALSE(m.read(0x400000).faulted);
    EXPECT_FALSE(m.write(0x400000, 1).faulted);
    // Implicit supervisor accesses ignore AC (SDM 4.6).
    expect_pf(m.read(0x400000, 8, ACC_READ | ACC_IMPLICIT_SUPER), 0x1, 0x400000);
    expect_pf(m.write(0x400000, 1, 8, ACC_WRITE | ACC_IMPLICIT_SUPER), 0x3, 0x400000);
    m.c.rflags = 0;
    m.c.cpl = 3;
    EXPECT_FALSE(m.read(0x400000).faulted);             // user access: SMAP irrelevant
    // Supervisor page is unaffected.
    m.c.cpl = 0;
    m.map(0x600000, 0x210000, P | RW);
    EXPECT_FALSE(m.read(0x600000).faulted);
}

TEST(Mmu4Level, ReservedBits)
{
    Mach m;                         // MAXPHYADDR defaults to 46 without a model
    m.long_mode();
    m.map(0x400000, 0x200000 | (1ull << 46), P | RW);   // PTE bit 46 reserved
    expect_pf(m.read(0x400000), 0x9, 0x400000);
    expect_pf(m.write(0x400000, 1), 0xb, 0x400000);
    m.c.cpl = 3;
    expect_pf(m.read(0x400000), 0xd, 0x400000);
    m.c.cpl = 0;
    m.map(0x600000, 0x200000 | (1ull << 51), P | RW);   // bit 51 reserved
    expect_pf(m.read(0x600000), 0x9, 0x600000);
    m.map(0x800000, 0x200000 | (1ull << 52), P | RW);   // bit 52: ignored, fine
    EXPECT_FALSE(m.read(0x800000).faulted);
    // 2 MiB PDE with bit 13 set (bits 20:13 reserved).
    m.map(0x40000000ull, 0x200000 | (1ull << 13), P | RW, 21);
    expect_pf(m.read(0x40000000ull), 0x9, 0x40000000ull);
    // 1 GiB PDPTE with bit 29 set (bits 29:13 reserved).
    m.map(0x8000000000ull, 1ull << 29, P | RW, 30);
    expect_pf(m.read(0x8000000000ull), 0x9, 0x8000000000ull);
    // PML4E with PS set.
    uint64_t pml4e = m.entry_at(0x400000, 39);
    m.wr(pml4e, m.rd(pml4e) | PS);
    mmu_flush_all(&m.c, true);
    expect_pf(m.read(0x400000), 0x9, 0x400000);
}

TEST(Mmu4Level, ModelMaxPhysAddr)
{
    struct cpu_model model;
    memset(&model, 0, sizeof model);
    model.max_phys_bits = 39;
    Mach m(32ull << 20, &model);
    m.long_mode();
    m.map(0x400000, 0x200000 | (1ull << 39), P | RW);
    expect_pf(m.read(0x400000), 0x9, 0x400000);
    m.map(0x600000, 0x200000 | (1ull << 38), P | RW);
    uint64_t pa = 0;
    EXPECT_EQ(mmu_translate_debug(&m.c, 0x600010, &pa), 0);
    EXPECT_EQ(pa, 0x4000200010ull);
}

TEST(Mmu4Level, CanonicalChecks)
{
    Mach m;
    m.long_mode();
    uint64_t cr2 = m.c.cr2 = 0x1111;
    Fault f = m.read(0x0000800000000000ull);
    EXPECT_TRUE(f.faulted);
    EXPECT_EQ(f.vec, VEC_GP);
    EXPECT_EQ(f.ec, 0u);
    EXPECT_EQ(m.c.cr2, cr2);
    f = m.write(0xffff7fffffffffffull, 1, 1, ACC_WRITE | ACC_STACK);
    EXPECT_EQ(f.vec, VEC_SS);
    EXPECT_EQ(f.ec, 0u);
    f = m.fetch(0x8000000000000000ull);
    EXPECT_EQ(f.vec, VEC_GP);
    // An access that starts canonical and ends non-canonical.
    m.map(0x7ffffffff000ull, 0x200000, P | RW);
    f = m.read(0x7ffffffffffcull, 8, ACC_READ | ACC_STACK);
    EXPECT_EQ(f.vec, VEC_SS);
    // Upper half is fine when mapped.
    m.map(0xffff800000000000ull, 0x210000, P | RW);
    EXPECT_FALSE(m.read(0xffff800000000008ull).faulted);
}

TEST(Mmu4Level, PageCrossingChecksBothPagesFirst)
{
    Mach m;
    m.long_mode();
    m.map(0x400000, 0x200000, P | RW);
    uint64_t pte2 = m.map(0x401000, 0x300000, P);       // read-only second page
    m.wr(0x200ffc, 0x11111111, 4);
    m.wr(0x300000, 0x22222222, 4);
    expect_pf(m.write(0x400ffc, 0xaaaaaaaabbbbbbbbull), 0x3, 0x401000);
    EXPECT_EQ(m.rd(0x200ffc, 4), 0x11111111u);          // first page untouched
    EXPECT_EQ(m.rd(0x300000, 4), 0x22222222u);
    // Reads across non-contiguous physical pages.
    EXPECT_EQ(m.rd_lin(0x400ffe, 4), 0x22221111u);
    // Make page 2 writable but not present: P=0 error code, CR2 = start of page 2.
    m.wr(pte2, 0);
    mmu_invlpg(&m.c, 0x401000);
    expect_pf(m.write(0x400fff, 0x1234, 2), 0x2, 0x401000);
    EXPECT_EQ(m.rd(0x200fff, 1), 0x11u);
    m.wr(pte2, 0x300000 | P | RW);
    EXPECT_FALSE(m.write(0x400ffd, 0x0102030405060708ull).faulted);
    EXPECT_EQ(m.rd(0x200ffd, 1), 0x08u);
    EXPECT_EQ(m.rd(0x200fff, 1), 0x06u);
    EXPECT_EQ(m.rd(0x300000, 4), 0x02030405u);
    EXPECT_TRUE(m.rd(pte2) & D);
}

TEST(Mmu4Level, WriteBytesFaultLeavesMemoryUnchanged)
{
    Mach m;
    m.long_mode();
    m.map(0x400000, 0x200000, P | RW);
    m.map(0x401000, 0x201000, P | RW);
    uint8_t src[6000];
    memset(src, 0x5a, sizeof src);
    Fault f = m.run([&] { mmu_write_bytes(&m.c, 0x400f00, src, sizeof src, ACC_WRITE); });
    expect_pf(f, 0x2, 0x402000);
    EXPECT_EQ(m.rd(0x200f00, 1), 0u);
    m.map(0x402000, 0x202000, P | RW);
    f = m.run([&] { mmu_write_bytes(&m.c, 0x400f00, src, sizeof src, ACC_WRITE); });
    EXPECT_FALSE(f.faulted);
    EXPECT_EQ(m.rd(0x200f00, 1), 0x5au);
    EXPECT_EQ(m.rd(0x200f00 + sizeof src - 1, 1), 0x5au);
    EXPECT_EQ(m.rd(0x200f00 + sizeof src, 1), 0u);
    uint8_t dst[6000];
    f = m.run([&] { mmu_read_bytes(&m.c, 0x400f00, dst, sizeof dst, ACC_READ); });
    EXPECT_FALSE(f.faulted);
    EXPECT_EQ(memcmp(dst, src, sizeof src), 0);
}

TEST(Mmu4Level, CheckSetsDirtyWithoutWriting)
{
    Mach m;
    m.long_mode();
    uint64_t pte = m.map(0x400000, 0x200000, P | RW);
    m.wr(0x200000, 0x42);
    Fault f = m.run([&] { mmu_check(&m.c, 0x400000, 8, ACC_WRITE); });
    EXPECT_FALSE(f.faulted);
    EXPECT_TRUE(m.rd(pte) & D);
    EXPECT_EQ(m.rd(0x200000), 0x42u);
    m.map(0x401000, 0x201000, P);
    f = m.run([&] { mmu_check(&m.c, 0x400ffc, 8, ACC_WRITE); });
    expect_pf(f, 0x3, 0x401000);
}

TEST(Mmu4Level, DirtyBitSetByRewalkAfterRead)
{
    Mach m;
    m.long_mode();
    uint64_t pte = m.map(0x400000, 0x200000, P | RW);
    m.rd_lin(0x400000);
    EXPECT_EQ(m.c.ctr.walks, 1u);
    EXPECT_FALSE(m.rd(pte) & D);
    EXPECT_FALSE(m.write(0x400000, 5).faulted);          // TLB entry has D=0: walk again
    EXPECT_EQ(m.c.ctr.walks, 2u);
    EXPECT_TRUE(m.rd(pte) & D);
    EXPECT_FALSE(m.write(0x400008, 6).faulted);          // now a plain hit
    EXPECT_EQ(m.c.ctr.walks, 2u);
}

TEST(Mmu4Level, TranslateDebugHasNoSideEffects)
{
    Mach m;
    m.long_mode();
    uint64_t pte = m.map(0x400000, 0x200000, P);
    uint64_t pa = 0;
    struct cpu_counters before = m.c.ctr;
    EXPECT_EQ(mmu_translate_debug(&m.c, 0x400abc, &pa), 0);
    EXPECT_EQ(pa, 0x200abcu);
    EXPECT_EQ(m.rd(pte), 0x200000u | P);
    EXPECT_EQ(memcmp(&before, &m.c.ctr, sizeof before), 0);
    EXPECT_EQ(mmu_translate_debug(&m.c, 0x500000, &pa), -1);
    EXPECT_EQ(mmu_translate_debug(&m.c, 0x0000800000000000ull, &pa), -1);
}

TEST(Mmu4Level, MmioPageAndPageTablesInMmio)
{
    Mach m;
    FakeDev dev;
    dev.read_val = 0x1234;
    ASSERT_EQ(bus_map_mmio(&m.bus, 0xfee00000ull, 0x1000, &fake_ops, &dev, "fake"), 0);
    m.long_mode();
    m.map(0x400000, 0xfee00000ull, P | RW);
    EXPECT_EQ(m.rd_lin(0x400080, 4), 0x1234u);
    EXPECT_EQ(dev.last_off, 0x80u);
    EXPECT_FALSE(m.write(0x4000b0, 9, 4).faulted);
    EXPECT_EQ(dev.last_val, 9u);
    EXPECT_EQ(m.rd_lin(0x400084, 4), 0x1234u);          // every access reaches the device
    EXPECT_EQ(dev.reads, 2u);
    EXPECT_EQ(m.c.ctr.dtlb_misses, 1u);                  // ... but the TLB still hits
    EXPECT_EQ(m.c.ctr.dtlb_hits, 2u);

    // A page table in MMIO: every PTE read returns 0x200000|P|RW (walk refs go to the device).
    FakeDev pt;
    pt.read_val = 0x200000 | P | RW;
    ASSERT_EQ(bus_map_mmio(&m.bus, 0xfed00000ull, 0x1000, &fake_ops, &pt, "pt"), 0);
    uint64_t pde = m.entry_at(0x400000, 21) + 8;         // PDE for 0x600000
    m.wr(pde, 0xfed00000ull | P | RW);
    m.wr(0x200010, 0x77, 1);
    EXPECT_EQ(m.rd_lin(0x600010, 1), 0x77u);
    EXPECT_EQ(pt.last_off, 0u);                          // PTE index 0
    EXPECT_EQ(pt.last_size, 8u);
    EXPECT_GE(pt.writes, 1u);                            // the A bit written back to the device
    EXPECT_EQ(pt.last_val, 0x200000u | P | RW | A);
}

TEST(Mmu4Level, CodePageWriteThroughFastPath)
{
    Mach m;
    struct dcache dc;
    ASSERT_EQ(dcache_init(&dc, m.bus.ram_size), 0);
    m.c.dcache = &dc;
    m.long_mode();
    m.map(0x400000, 0x200000, P | RW | D);
    EXPECT_FALSE(m.write(0x400000, 1).faulted);          // fills the fast slot
    dc.code_page[0x200] = 1;
    uint64_t inv = dc.invalidations;
    EXPECT_FALSE(m.write(0x400008, 2).faulted);
    EXPECT_EQ(dc.invalidations, inv + 1);
    EXPECT_EQ(m.rd(0x200008), 2u);
    m.c.dcache = nullptr;
    dcache_destroy(&dc);
}

// ---------------------------------------------------------------- PAE paging

TEST(MmuPae, PdpteLoadRejectsReservedBits)
{
    Mach m;
    m.pae_mode();
    uint64_t pdpt = m.c.cr3 & 0xffffffe0;
    uint64_t good = m.rd(pdpt);
    m.wr(pdpt + 8, m.rd(pdpt + 8) | 2);                  // bit 1 reserved
    EXPECT_EQ(mmu_load_pdptes(&m.c), -1);
    m.wr(pdpt + 8, (m.rd(pdpt + 8) & ~2ull) | (1ull << 63));   // bit 63 reserved in PDPTEs
    EXPECT_EQ(mmu_load_pdptes(&m.c), -1);
    m.wr(pdpt + 8, 0xfff0000000000ffeull);               // not present: ignored
    EXPECT_EQ(mmu_load_pdptes(&m.c), 0);
    (void)good;
    expect_pf(m.read(0x40000000), 0x0, 0x40000000);      // PDPTE 1 not present
}

TEST(MmuPae, Translate4KAnd2M)
{
    Mach m;
    m.pae_mode(0, EFER_NXE);
    uint64_t pte = m.map_pae(0xc0001000, 0x200000, P | RW);
    m.wr(0x200040, 0xabcd, 2);
    EXPECT_EQ(m.rd_lin(0xc0001040, 2), 0xabcdu);
    EXPECT_EQ(m.c.ctr.walk_refs, 2u);                    // PDE + PTE (PDPTE is a register)
    EXPECT_TRUE(m.rd(pte) & A);
    uint64_t pde = m.map_pae(0x00400000, 0x600000, P | RW, 21);
    EXPECT_FALSE(m.write(0x00412345, 0x5a, 1).faulted);
    EXPECT_EQ(m.rd(0x612345, 1), 0x5au);
    EXPECT_TRUE(m.rd(pde) & D);
    // Upper 32 bits of the linear address are ignored outside IA-32e mode.
    EXPECT_EQ(m.rd_lin(0x1c0001040ull, 2), 0xabcdu);
}

TEST(MmuPae, NxAndReservedBits)
{
    Mach m;
    m.pae_mode(0, EFER_NXE);
    m.map_pae(0x1000, 0x200000, P | RW | XD);
    expect_pf(m.fetch(0x1000), 0x11, 0x1000);
    // Bits 62:MAXPHYADDR are reserved in PAE entries (not ignored as in 4-level paging).
    m.map_pae(0x2000, 0x200000 | (1ull << 60), P | RW);
    expect_pf(m.read(0x2000), 0x9, 0x2000);
    Mach n;
    n.pae_mode();                                        // NXE = 0: XD reserved
    n.map_pae(0x1000, 0x200000, P | RW | XD);
    expect_pf(n.read(0x1000), 0x9, 0x1000);
}

// ---------------------------------------------------------------- 32-bit paging

TEST(Mmu32, Translate4KAnd4M)
{
    Mach m;
    m.legacy_mode(CR4_PSE);
    uint64_t pte = m.map32(0x00801000, 0x300000, P | RW);
    m.wr(0x300010, 0x1234abcd, 4);
    EXPECT_EQ(m.rd_lin(0x00801010, 4), 0x1234abcdu);
    EXPECT_EQ(m.c.ctr.walk_refs, 2u);
    EXPECT_EQ(m.rd(pte, 4), 0x300000u | P | RW | A);
    uint64_t pde = m.map32(0x00c00000, 0x400000, P | RW, true);
    EXPECT_FALSE(m.write(0x00d23456, 0x99, 1).faulted);
    EXPECT_EQ(m.rd(0x523456, 1), 0x99u);
    EXPECT_EQ(m.rd(pde, 4), 0x400000u | P | RW | PS | A | D);
    // PSE-36: PDE bits 20:13 are physical-address bits 39:32.
    m.map32(0x01000000, 0x400000 | (0x3ull << 13), P | RW, true);
    uint64_t pa = 0;
    EXPECT_EQ(mmu_translate_debug(&m.c, 0x01000010, &pa), 0);
    EXPECT_EQ(pa, 0x300400010ull);
    // Bit 21 is reserved in a 4 MiB PDE.
    m.map32(0x01400000, 0x400000 | (1ull << 21), P | RW, true);
    expect_pf(m.read(0x01400000, 4), 0x9, 0x01400000);
}

TEST(Mmu32, PsIgnoredWithoutPse)
{
    Mach m;
    m.legacy_mode(0);
    // PDE with PS=1 but CR4.PSE=0: it points to a page table.
    uint64_t pt = m.alloc();
    m.wr((m.c.cr3 & 0xfffff000) + 2 * 4, pt | P | RW | PS, 4);
    m.wr(pt + 4 * 3, 0x300000 | P | RW, 4);
    uint64_t pa = 0;
    EXPECT_EQ(mmu_translate_debug(&m.c, 0x00803004, &pa), 0);
    EXPECT_EQ(pa, 0x300004u);
}

TEST(Mmu32, ErrorCodesAndNoNx)
{
    Mach m;
    m.legacy_mode(0);
    m.map32(0x1000, 0x200000, P);
    expect_pf(m.write(0x1000, 1, 4), 0x3, 0x1000);
    m.c.cpl = 3;
    expect_pf(m.read(0x1000, 4), 0x5, 0x1000);
    expect_pf(m.fetch(0x2000), 0x4, 0x2000);             // no I/D without SMEP in 32-bit paging
    m.c.cpl = 0;
    // Bit 63 does not exist: a 32-bit PTE has no reserved bits.
    m.map32(0x3000, 0xfffff000, P | RW);
    EXPECT_EQ(m.rd_lin(0x3000, 4), 0xffffffffu);         // unbacked memory reads as all ones
}

}  // namespace

// Alignment check (SDM Vol. 3 6.15, #AC): CPL 3, CR0.AM = 1 and RFLAGS.AC = 1, a misaligned data
// access raises #AC(0); aligned accesses, CPL 0, AM = 0, AC = 0, implicit supervisor accesses and
// fetches are not checked. The check must also apply after the page is in the fast slots.
TEST(Mmu4Level, AlignmentCheck)
{
    Mach m;
    m.long_mode();
    m.map(0x400000, 0x200000, P | RW | US);
    m.c.cpl = 3;
    m.c.rflags = RF_AC;
    EXPECT_FALSE(m.read(0x400001, 1).faulted);       // warms the fast slot; bytes never misalign
    m.c.cr0 |= CR0_AM;
    mmu_cr_write(&m.c, m.c.cr0 & ~CR0_AM, m.c.cr3, m.c.cr4, m.c.msr.efer);
    Fault f = m.read(0x400002, 4);
    EXPECT_TRUE(f.faulted);
    EXPECT_EQ(f.vec, VEC_AC);
    EXPECT_EQ(f.ec, 0u);
    f = m.write(0x400004, 1, 8);
    EXPECT_TRUE(f.faulted);
    EXPECT_EQ(f.vec, VEC_AC);
    EXPECT_FALSE(m.read(0x400008, 8).faulted);       // aligned
    EXPECT_FALSE(m.read(0x400006, 2).faulted);
    EXPECT_FALSE(m.read(0x400003, 4, ACC_READ | ACC_IMPLICIT_SUPER).faulted);
    m.c.rflags = 0;                                   // AC = 0
    EXPECT_FALSE(m.read(0x400002, 4).faulted);
    m.c.rflags = RF_AC;
    m.c.cpl = 0;                                      // supervisor
    EXPECT_FALSE(m.read(0x400002, 4).faulted);
    m.c.cpl = 3;
    EXPECT_TRUE(m.read(0x400002, 4).faulted);
}
