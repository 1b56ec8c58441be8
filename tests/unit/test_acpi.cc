// test_acpi.cc — the generated ACPI tables, parsed back here independently of sim/acpi.c with the
// offsets of the ACPI 6.3 specification: the RSDP found by a "RSD PTR " scan on 16-byte
// boundaries in 0xE0000-0xFFFFF (5.2.5.1), both RSDP checksums, RSDT/XSDT pointers, every
// table's signature, length and checksum, the FADT's PM blocks and flags, the FACS alignment,
// the DSDT's \_S5 package, and the MADT entry list for 1, 4 and 64 processors and for a processor
// with an APIC ID above 254 (Processor Local x2APIC, 5.2.12.12).
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "sim/acpi.h"
#include "sim/bus.h"

namespace {

uint8_t sum(const uint8_t *p, size_t n) {
    unsigned s = 0;
    for (size_t i = 0; i < n; i++)
        s += p[i];
    return (uint8_t)s;
}
uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
uint32_t le32(const uint8_t *p) { return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16; }
uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

struct Entry {
    int type;
    std::vector<uint8_t> b;
};

class Acpi : public ::testing::Test {
protected:
    bus b{};
    uint64_t rsdp_addr = 0;
    void SetUp() override { ASSERT_EQ(bus_init(&b, 16u << 20), 0); }
    void TearDown() override { bus_destroy(&b); }

    const uint8_t *at(uint64_t pa, uint64_t len = 1) {
        const uint8_t *p = bus_ram_ptr(&b, pa, len);
        EXPECT_NE(p, nullptr) << std::hex << pa;
        return p;
    }
    // The RSDP as an OS finds it: scan the BIOS area on 16-byte boundaries.
    uint64_t scan_rsdp() {
        for (uint64_t a = 0xE0000; a < 0x100000; a += 16)
            if (!memcmp(at(a, 8), "RSD PTR ", 8) && sum(at(a, 20), 20) == 0)
                return a;
        return 0;
    }
    // A table at `pa`: signature, length within the area, checksum.
    const uint8_t *table(uint64_t pa, const char *sig) {
        const uint8_t *t = at(pa, 36);
        EXPECT_EQ(std::string((const char *)t, 4), sig);
        uint32_t len = le32(t + 4);
        EXPECT_GE(len, 36u);
        EXPECT_GE(pa, 0xE0000u);
        EXPECT_LE(pa + len, 0x100000u);
        EXPECT_EQ(sum(at(pa, len), len), 0) << sig;
        EXPECT_EQ(std::string((const char *)t + 10, 6), "HVSIM ");
        return t;
    }
    // Every table the XSDT lists, by signature; the RSDT must list the same ones.
    std::map<std::string, uint64_t> tables() {
        uint64_t r = scan_rsdp();
        EXPECT_EQ(r, rsdp_addr);
        const uint8_t *p = at(r, 36);
        EXPECT_EQ(p[15], 2);                         // revision 2: ACPI 2.0+ RSDP
        EXPECT_EQ(le32(p + 20), 36u);
        EXPECT_EQ(sum(p, 36), 0);                    // extended checksum
        EXPECT_EQ(std::string((const char *)p + 9, 6), "HVSIM ");
        const uint8_t *rsdt = table(le32(p + 16), "RSDT");
        const uint8_t *xsdt = table(le64(p + 24), "XSDT");
        uint32_t nr = (le32(rsdt + 4) - 36) / 4, nx = (le32(xsdt + 4) - 36) / 8;
        EXPECT_EQ((le32(rsdt + 4) - 36) % 4, 0u);
        EXPECT_EQ((le32(xsdt + 4) - 36) % 8, 0u);
        EXPECT_EQ(nr, nx);
        std::map<std::string, uint64_t> m;
        for (uint32_t k = 0; k < nx && k < nr; k++) {
            uint64_t a = le64(xsdt + 36 + 8 * k);
            EXPECT_EQ(a, le32(rsdt + 36 + 4 * k));
            m[std::string((const char *)at(a, 4), 4)] = a;
        }
        return m;
    }
    std::vector<Entry> madt_entries(uint64_t pa) {
        const uint8_t *t = table(pa, "APIC");
        EXPECT_EQ(le32(t + 36), 0xFEE00000u);       // local APIC address
        EXPECT_EQ(le32(t + 40), 1u);                // PCAT_COMPAT
        uint32_t len = le32(t + 4), off = 44;
        std::vector<Entry> v;
        while (off + 2 <= len) {
            uint8_t l = t[off + 1];
            EXPECT_GE(l, 2);
            if (l < 2 || off + l > len)
                break;
            v.push_back({ t[off], std::vector<uint8_t>(t + off, t + off + l) });
            off += l;
        }
        EXPECT_EQ(off, len);                        // the entries fill the table exactly
        return v;
    }
    // Build the PC description with n processors and check the MADT's fixed part after them.
    std::vector<Entry> build(const acpi_desc &d) {
        EXPECT_EQ(acpi_build(&b, &d, &rsdp_addr), 0);
        auto m = tables();
        EXPECT_EQ(m.size(), 2u);
        EXPECT_TRUE(m.count("FACP"));
        EXPECT_TRUE(m.count("APIC"));
        return madt_entries(m["APIC"]);
    }
};

// The I/O APIC, the two overrides and the LINT1 NMI entry after the processors.
void expect_pc_tail(const std::vector<Entry> &e, size_t first) {
    ASSERT_GE(e.size(), first + 4);
    const Entry &io = e[first];
    EXPECT_EQ(io.type, 1);
    ASSERT_EQ(io.b.size(), 12u);
    EXPECT_EQ(io.b[2], 0);                          // I/O APIC ID
    EXPECT_EQ(le32(&io.b[4]), 0xFEC00000u);
    EXPECT_EQ(le32(&io.b[8]), 0u);                  // GSI base
    const Entry &o0 = e[first + 1], &o9 = e[first + 2];
    EXPECT_EQ(o0.type, 2);
    ASSERT_EQ(o0.b.size(), 10u);
    EXPECT_EQ(o0.b[2], 0);                          // bus ISA
    EXPECT_EQ(o0.b[3], 0);                          // IRQ 0 ...
    EXPECT_EQ(le32(&o0.b[4]), 2u);                  // ... -> GSI 2
    EXPECT_EQ(le16(&o0.b[8]), 0u);                  // conforms to the bus (edge, high)
    EXPECT_EQ(o9.type, 2);
    ASSERT_EQ(o9.b.size(), 10u);
    EXPECT_EQ(o9.b[3], 9);
    EXPECT_EQ(le32(&o9.b[4]), 9u);
    EXPECT_EQ(le16(&o9.b[8]), 0xDu);                // level (11b << 2) | active high (01b)
    const Entry &nmi = e[first + 3];
    EXPECT_EQ(nmi.type, 4);
    ASSERT_EQ(nmi.b.size(), 6u);
    EXPECT_EQ(nmi.b[2], 0xFF);                      // all processors
    EXPECT_EQ(le16(&nmi.b[3]), 0u);
    EXPECT_EQ(nmi.b[5], 1);                         // LINT1
}

void expect_lapics(const std::vector<Entry> &e, int n) {
    ASSERT_GE(e.size(), (size_t)n);
    for (int i = 0; i < n; i++) {
        EXPECT_EQ(e[i].type, 0) << i;
        ASSERT_EQ(e[i].b.size(), 8u);
        EXPECT_EQ(e[i].b[2], i);                    // ACPI processor UID
        EXPECT_EQ(e[i].b[3], i);                    // APIC ID
        EXPECT_EQ(le32(&e[i].b[4]), 1u);            // enabled
    }
}

TEST_F(Acpi, OneProcessor) {
    acpi_desc d;
    acpi_desc_pc(&d, 1);
    auto e = build(d);
    ASSERT_EQ(e.size(), 5u);
    expect_lapics(e, 1);
    expect_pc_tail(e, 1);
    EXPECT_EQ(rsdp_addr % 16, 0u);
    EXPECT_GE(rsdp_addr, 0xE0000u);
    EXPECT_LT(rsdp_addr, 0x100000u);
}

TEST_F(Acpi, FourProcessors) {
    acpi_desc d;
    acpi_desc_pc(&d, 4);
    auto e = build(d);
    ASSERT_EQ(e.size(), 8u);
    expect_lapics(e, 4);
    expect_pc_tail(e, 4);
}

TEST_F(Acpi, SixtyFourProcessors) {
    acpi_desc d;
    acpi_desc_pc(&d, 64);
    auto e = build(d);
    ASSERT_EQ(e.size(), 68u);
    expect_lapics(e, 64);
    expect_pc_tail(e, 64);
}

TEST_F(Acpi, X2apicIdAbove254) {
    acpi_desc d;
    acpi_desc_pc(&d, 4);
    d.apic_id[3] = 300;
    d.apic_id[2] = 254;                             // the largest ID a type-0 entry may carry
    auto e = build(d);
    ASSERT_EQ(e.size(), 9u);
    EXPECT_EQ(e[0].type, 0);
    EXPECT_EQ(e[1].type, 0);
    EXPECT_EQ(e[2].type, 0);
    EXPECT_EQ(e[2].b[3], 254);
    const Entry &x = e[3];
    EXPECT_EQ(x.type, 9);
    ASSERT_EQ(x.b.size(), 16u);
    EXPECT_EQ(le16(&x.b[2]), 0u);                   // reserved
    EXPECT_EQ(le32(&x.b[4]), 300u);                 // x2APIC ID
    EXPECT_EQ(le32(&x.b[8]), 1u);                   // enabled
    EXPECT_EQ(le32(&x.b[12]), 3u);                  // ACPI processor UID
    expect_pc_tail(e, 4);
    const Entry &xn = e[8];                          // Local x2APIC NMI (5.2.12.13)
    EXPECT_EQ(xn.type, 10);
    ASSERT_EQ(xn.b.size(), 12u);
    EXPECT_EQ(le16(&xn.b[2]), 0u);
    EXPECT_EQ(le32(&xn.b[4]), 0xFFFFFFFFu);         // all processors
    EXPECT_EQ(xn.b[8], 1);                          // LINT1
}

TEST_F(Acpi, FadtFacsDsdt) {
    acpi_desc d;
    acpi_desc_pc(&d, 2);
    ASSERT_EQ(acpi_build(&b, &d, &rsdp_addr), 0);
    auto m = tables();
    const uint8_t *f = table(m["FACP"], "FACP");
    EXPECT_EQ(le32(f + 4), 276u);                   // ACPI 6.x FADT length
    EXPECT_EQ(f[8], 6);                             // major version
    EXPECT_EQ(f[131] & 0xF, 3);                     // minor version: 6.3
    uint64_t facs = le64(f + 132), dsdt = le64(f + 140);
    EXPECT_EQ(le32(f + 36), facs);                  // FIRMWARE_CTRL = X_FIRMWARE_CTRL
    EXPECT_EQ(le32(f + 40), dsdt);                  // DSDT = X_DSDT
    EXPECT_EQ(le16(f + 46), 9u);                    // SCI_INT
    EXPECT_EQ(le32(f + 48), 0u);                    // no SMI_CMD: always in ACPI mode
    EXPECT_EQ(le32(f + 56), 0x600u);                // PM1a_EVT_BLK
    EXPECT_EQ(le32(f + 60), 0u);                    // no PM1b
    EXPECT_EQ(le32(f + 64), 0x604u);                // PM1a_CNT_BLK
    EXPECT_EQ(le32(f + 76), 0x608u);                // PM_TMR_BLK
    EXPECT_EQ(le32(f + 80), 0u);                    // no GPE0
    EXPECT_EQ(f[88], 4);                            // PM1_EVT_LEN
    EXPECT_EQ(f[89], 2);                            // PM1_CNT_LEN
    EXPECT_EQ(f[91], 4);                            // PM_TMR_LEN
    EXPECT_GT(le16(f + 96), 100u);                  // no C2
    EXPECT_GT(le16(f + 98), 1000u);                 // no C3
    EXPECT_EQ(f[108], 0x32);                        // CENTURY register
    uint16_t boot = le16(f + 109);
    EXPECT_EQ(boot & 1, 1);                         // legacy devices present
    EXPECT_EQ(boot & 2, 0);                         // no 8042
    uint32_t flags = le32(f + 112);
    EXPECT_TRUE(flags & (1u << 0));                 // WBINVD
    EXPECT_TRUE(flags & (1u << 8));                 // TMR_VAL_EXT: 32-bit timer
    EXPECT_FALSE(flags & (1u << 20));               // not hardware-reduced
    EXPECT_TRUE(flags & (1u << 10));                // RESET_REG_SUP
    EXPECT_EQ(f[116], 1);                           // RESET_REG: system I/O ...
    EXPECT_EQ(f[117], 8);
    EXPECT_EQ(le64(f + 120), 0x92u);                // ... port 0x92
    EXPECT_EQ(f[128], 1);                           // RESET_VALUE: fast reset bit
    // X_PM1a_EVT_BLK, X_PM1a_CNT_BLK, X_PM_TMR_BLK: system I/O GAS with the same ports
    EXPECT_EQ(f[148], 1);
    EXPECT_EQ(f[149], 32);
    EXPECT_EQ(le64(f + 152), 0x600u);
    EXPECT_EQ(f[172], 1);
    EXPECT_EQ(f[173], 16);
    EXPECT_EQ(le64(f + 176), 0x604u);
    EXPECT_EQ(f[208], 1);
    EXPECT_EQ(f[209], 32);
    EXPECT_EQ(le64(f + 212), 0x608u);

    EXPECT_EQ(facs % 64, 0u);                       // FACS alignment (5.2.10)
    const uint8_t *s = at(facs, 64);
    EXPECT_EQ(std::string((const char *)s, 4), "FACS");
    EXPECT_EQ(le32(s + 4), 64u);
    EXPECT_EQ(s[32], 2);                            // version

    const uint8_t *t = table(dsdt, "DSDT");
    EXPECT_EQ(t[8], 2);
    // Name (_S5, Package (4) { 7, 7, 0, 0 }) decoded by hand from the AML grammar (20.2).
    uint32_t len = le32(t + 4);
    ASSERT_EQ(len, 36u + 14u);
    const uint8_t aml[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0A, 7, 0x0A, 7, 0, 0 };
    EXPECT_EQ(memcmp(t + 36, aml, sizeof aml), 0);
}

TEST_F(Acpi, Deterministic) {
    acpi_desc d;
    acpi_desc_pc(&d, 8);
    ASSERT_EQ(acpi_build(&b, &d, &rsdp_addr), 0);
    std::vector<uint8_t> first(at(0xE0000, 0x20000), at(0xE0000, 0x20000) + 0x20000);
    bus b2{};
    ASSERT_EQ(bus_init(&b2, 16u << 20), 0);
    uint64_t r2 = 0;
    ASSERT_EQ(acpi_build(&b2, &d, &r2), 0);
    EXPECT_EQ(r2, rsdp_addr);
    EXPECT_EQ(memcmp(first.data(), bus_ram_ptr(&b2, 0xE0000, 0x20000), 0x20000), 0);
    bus_destroy(&b2);
}

TEST_F(Acpi, ManyX2apicProcessorsFit) {
    acpi_desc d;
    acpi_desc_pc(&d, ACPI_MAX_CPUS);
    for (int i = 0; i < ACPI_MAX_CPUS; i++)
        d.apic_id[i] = 1000u + 2u * (uint32_t)i;
    auto e = build(d);
    ASSERT_EQ(e.size(), (size_t)ACPI_MAX_CPUS + 5);
    for (int i = 0; i < ACPI_MAX_CPUS; i++) {
        EXPECT_EQ(e[i].type, 9);
        EXPECT_EQ(le32(&e[i].b[4]), 1000u + 2u * (uint32_t)i);
        EXPECT_EQ(le32(&e[i].b[12]), (uint32_t)i);
    }
}

TEST_F(Acpi, InvalidDescriptions) {
    acpi_desc d;
    acpi_desc_pc(&d, 4);
    d.apic_id[2] = 1;                               // duplicate
    EXPECT_EQ(acpi_build(&b, &d, &rsdp_addr), -1);
    acpi_desc_pc(&d, 0);
    EXPECT_EQ(acpi_build(&b, &d, &rsdp_addr), -1);
    acpi_desc_pc(&d, ACPI_MAX_CPUS + 1);
    EXPECT_EQ(acpi_build(&b, &d, &rsdp_addr), -1);
    bus small{};
    ASSERT_EQ(bus_init(&small, 0x80000), 0);        // RAM ends below the BIOS area
    acpi_desc_pc(&d, 1);
    EXPECT_EQ(acpi_build(&small, &d, &rsdp_addr), -1);
    bus_destroy(&small);
}

} // namespace
