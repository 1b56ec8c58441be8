// test_pm_smp.cc — the pure parts of SMP in the partitions (docs/HYPERVISOR.md "The root
// partition kernel", "The scenario"): the root's MADT walk (ACPI 6.3 5.2.12.2 / 5.2.12.12 entry layouts,
// built by hand here), the initial context of a root AP (TLFS 7.8.1, SDM Vol. 3 9.8.5 long-mode
// state), the fixed-IPI ICR value (SDM Vol. 3 11.6.1), and the child's `smp` shares and
// segmented sieve against published prime counts and sums.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "partitions/child/smp_sum.h"
#include "partitions/root/smp_plan.h"
}

namespace {

// A MADT: 36-byte header + local APIC address + flags, then the entries (checksum not needed:
// smp_madt_apic_ids walks a table the caller has already validated).
struct Madt {
    std::vector<uint8_t> b = std::vector<uint8_t>(44, 0);
    void lapic(uint8_t id, uint32_t flags)          // type 0, length 8
    {
        uint8_t e[8] = { 0, 8, 0, id, (uint8_t)flags, (uint8_t)(flags >> 8), 0, 0 };
        b.insert(b.end(), e, e + 8);
    }
    void x2apic(uint32_t id, uint32_t flags)        // type 9, length 16
    {
        uint8_t e[16] = { 9, 16 };
        memcpy(e + 4, &id, 4);
        memcpy(e + 8, &flags, 4);
        b.insert(b.end(), e, e + 16);
    }
    void other(uint8_t type, uint8_t len)
    {
        std::vector<uint8_t> e(len, 0xEE);
        e[0] = type;
        e[1] = len;
        b.insert(b.end(), e.begin(), e.end());
    }
};

struct Ids {
    int n;
    int more;
    std::vector<uint32_t> ids;
    std::string err;
};

Ids walk(const Madt &m, uint32_t bsp, uint32_t max = 16)
{
    Ids r;
    r.ids.assign(max, 0xDEAD);
    char err[96] = "";
    r.n = smp_madt_apic_ids(m.b.data(), (uint32_t)m.b.size(), bsp, r.ids.data(), max, &r.more,
                            err, sizeof err);
    r.err = err;
    if (r.n > 0)
        r.ids.resize(r.n);
    return r;
}

}  // namespace

TEST(PmSmp, MadtOrderBspFirst)
{
    Madt m;
    m.lapic(0, 1);
    m.other(1, 12);             // an I/O APIC: not a processor
    m.lapic(1, 1);              // the BSP in this test
    m.lapic(2, 0);              // disabled
    m.x2apic(5, 1);
    m.x2apic(300, 1);           // ID >= 255: the hypervisor does not start it either
    m.lapic(7, 3);              // enabled + online capable
    Ids r = walk(m, 1);
    ASSERT_EQ(r.n, 4) << r.err;
    EXPECT_EQ(r.ids, (std::vector<uint32_t>{ 1, 0, 5, 7 }));
    EXPECT_EQ(r.more, 0);
    // the BSP need not be listed: it is VP 0 anyway
    Madt one;
    one.lapic(3, 1);
    r = walk(one, 0);
    ASSERT_EQ(r.n, 2);
    EXPECT_EQ(r.ids, (std::vector<uint32_t>{ 0, 3 }));
}

TEST(PmSmp, MadtLimitAndErrors)
{
    Madt m;
    for (uint8_t id = 0; id < 6; id++)
        m.lapic(id, 1);
    Ids r = walk(m, 0, 4);
    ASSERT_EQ(r.n, 4);
    EXPECT_EQ(r.ids, (std::vector<uint32_t>{ 0, 1, 2, 3 }));
    EXPECT_EQ(r.more, 1);
    Madt dup;
    dup.lapic(4, 1);
    dup.x2apic(4, 1);
    EXPECT_EQ(walk(dup, 0).n, -1);
    EXPECT_EQ(walk(dup, 0).err, "MADT lists APIC ID 4 twice");
    Madt bad;
    bad.lapic(1, 1);
    bad.b[44 + 1] = 200;        // length past the end
    EXPECT_EQ(walk(bad, 0).n, -1);
    bad.b[44 + 1] = 1;          // length below 2
    EXPECT_EQ(walk(bad, 0).n, -1);
    Madt trunc;
    trunc.b.push_back(0);       // one byte of an entry
    EXPECT_EQ(walk(trunc, 0).n, -1);
    Madt shortm;
    shortm.b.resize(43);
    EXPECT_EQ(walk(shortm, 0).n, -1);
    // an entry shorter than its type's layout is not a processor
    Madt shorte;
    shorte.other(0, 6);
    Ids s = walk(shorte, 0);
    EXPECT_EQ(s.n, 1);
}

TEST(PmSmp, RootApContext)
{
    smp_root_state s{};
    s.cr0 = 0x80000031;
    s.cr3 = 0x123000;
    s.cr4 = 0x20;
    s.efer = 0x500;
    s.pat = 0x0007040600070406ull;
    s.gdt_base = 0x101000;
    s.gdt_limit = 23;
    s.idt_base = 0x104000;
    s.idt_limit = 4095;
    s.code_sel = 0x08;
    s.data_sel = 0x10;
    hv_initial_vp_context c;
    memset(&c, 0xCC, sizeof c);
    smp_root_ap_context(&s, 0x100400, 0x180000, &c);
    EXPECT_EQ(c.rip, 0x100400u);
    EXPECT_EQ(c.rsp, 0x180000u);
    EXPECT_EQ(c.rflags, 2u);                    // IF = 0 until the AP has its IDT and APIC
    EXPECT_EQ(c.cr0, s.cr0);
    EXPECT_EQ(c.cr3, s.cr3);
    EXPECT_EQ(c.cr4, s.cr4);
    EXPECT_EQ(c.efer, 0x500u);
    EXPECT_EQ(c.msr_cr_pat, s.pat);
    EXPECT_EQ(c.gdtr.base, s.gdt_base);
    EXPECT_EQ(c.gdtr.limit, 23);
    EXPECT_EQ(c.idtr.base, s.idt_base);
    EXPECT_EQ(c.idtr.limit, 4095);
    // CS: 64-bit code (L = bit 13 of the attributes), P, S, type 1011b; SS: data, D/B, G
    EXPECT_EQ(c.cs.selector, 0x08);
    EXPECT_EQ(c.cs.attributes, 0xA09B);
    EXPECT_EQ(c.cs.base, 0u);
    for (const hv_x64_segment_register *d : { &c.ds, &c.es, &c.fs, &c.gs, &c.ss }) {
        EXPECT_EQ(d->selector, 0x10);
        EXPECT_EQ(d->attributes, 0xC093);
        EXPECT_EQ(d->limit, 0xFFFFFFFFu);
        EXPECT_EQ(d->base, 0u);
    }
    // TR: busy 64-bit TSS (type 11, P), as the hypervisor gives the root's VP 0
    EXPECT_EQ(c.tr.attributes, 0x8B);
    EXPECT_EQ(c.ldtr.attributes & 0x80, 0);     // not present
}

TEST(PmSmp, IcrFixedPhysical)
{
    // SDM Vol. 3 Figure 11-12: vector 7:0, delivery mode 10:8 = 000 (fixed), destination mode
    // 11 = 0 (physical), level 14 = 1 (assert), trigger 15 = 0 (edge), shorthand 19:18 = 00.
    EXPECT_EQ(smp_icr_fixed(0x48), 0x4048u);
    EXPECT_EQ(smp_icr_fixed(0xFE), 0x40FEu);
}

TEST(PmSmp, SharesAreDisjointAndCover)
{
    for (uint32_t n = 1; n <= 16; n++) {
        uint32_t prev = 0;
        for (uint32_t k = 0; k < n; k++) {
            uint32_t lo, hi;
            smp_share(k, n, SMP_SUM_LIMIT, &lo, &hi);
            EXPECT_EQ(lo, prev) << n << " " << k;
            EXPECT_LE(lo, hi);
            prev = hi;
        }
        EXPECT_EQ(prev, SMP_SUM_LIMIT) << n;
    }
}

TEST(PmSmp, PrimeSumsKnownValues)
{
    std::vector<uint8_t> mark(SMP_SUM_LIMIT + 16, 0x55);
    uint32_t count;
    // pi(100) = 25, their sum 1060; pi(10) = 4 (2 + 3 + 5 + 7 = 17)
    EXPECT_EQ(smp_prime_sum(0, 100, mark.data(), &count), 1060u);
    EXPECT_EQ(count, 25u);
    EXPECT_EQ(smp_prime_sum(0, 10, mark.data(), &count), 17u);
    EXPECT_EQ(count, 4u);
    // [90, 110): 97, 101, 103, 107, 109
    EXPECT_EQ(smp_prime_sum(90, 110, mark.data(), &count), 97u + 101 + 103 + 107 + 109);
    EXPECT_EQ(count, 5u);
    EXPECT_EQ(smp_prime_sum(24, 29, mark.data(), &count), 0u);   // 24..28: none
    EXPECT_EQ(smp_prime_sum(5, 5, mark.data(), &count), 0u);
    // every split of [0, 2e6) adds up to pi(2e6) = 148933 and the sum 142913828922 (Project
    // Euler 10); a share writes nothing past its own bytes
    for (uint32_t n : { 1u, 2u, 3u, 7u, 16u }) {
        uint64_t sum = 0;
        uint32_t total = 0;
        for (uint32_t k = 0; k < n; k++) {
            uint32_t lo, hi, c;
            smp_share(k, n, SMP_SUM_LIMIT, &lo, &hi);
            mark[hi] = 0x77;
            sum += smp_prime_sum(lo, hi, mark.data() + lo, &c);
            EXPECT_EQ(mark[hi], 0x77);
            total += c;
        }
        EXPECT_EQ(total, SMP_SUM_PRIMES) << n;
        EXPECT_EQ(sum, SMP_SUM_TOTAL) << n;
    }
    EXPECT_EQ(SMP_SUM_PRIMES, 148933u);
    EXPECT_EQ(SMP_SUM_TOTAL, 142913828922ull);
}
