// test_hvboot.cc — host tests of the hypervisor's boot-input parsers (hv/boot/bootparse.h:
// mb2_parse.c, madt.c, memsel.c). Inputs are built byte by byte from the specifications'
// layouts (Multiboot2 2.0 3.6; ACPI 6.3 5.2.5.3, 5.2.6, 5.2.12.2, 5.2.12.12) and the expected
// values are worked out by hand from those inputs.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "hv/boot/bootparse.h"
}

namespace {

void put32(std::vector<uint8_t> &v, size_t off, uint32_t x)
{
    for (int i = 0; i < 4; i++) v[off + i] = (uint8_t)(x >> (8 * i));
}
void put64(std::vector<uint8_t> &v, size_t off, uint64_t x)
{
    for (int i = 0; i < 8; i++) v[off + i] = (uint8_t)(x >> (8 * i));
}

// A Multiboot2 information buffer: tags appended 8-aligned, total_size fixed by finish().
struct Mb2 {
    std::vector<uint8_t> b = std::vector<uint8_t>(8, 0);
    size_t tag(uint32_t type, const std::vector<uint8_t> &body)
    {
        size_t off = b.size();
        b.resize(off + 8 + body.size(), 0);
        put32(b, off, type);
        put32(b, off + 4, (uint32_t)(8 + body.size()));
        if (!body.empty())      /* an empty vector's data() may be NULL: not for memcpy */
            memcpy(b.data() + off + 8, body.data(), body.size());
        b.resize((b.size() + 7) & ~size_t(7), 0);
        return off;
    }
    void cmdline(const std::string &s)
    {
        tag(1, std::vector<uint8_t>(s.c_str(), s.c_str() + s.size() + 1));
    }
    void module(uint32_t start, uint32_t end, const std::string &s)
    {
        std::vector<uint8_t> body(8 + s.size() + 1, 0);
        put32(body, 0, start);
        put32(body, 4, end);
        memcpy(body.data() + 8, s.c_str(), s.size() + 1);
        tag(3, body);
    }
    void mmap(const std::vector<hv_mem_range> &r, uint32_t esize = 24)
    {
        std::vector<uint8_t> body(8 + esize * r.size(), 0);
        put32(body, 0, esize);
        for (size_t i = 0; i < r.size(); i++) {
            put64(body, 8 + esize * i, r[i].base);
            put64(body, 8 + esize * i + 8, r[i].length);
            put32(body, 8 + esize * i + 16, r[i].type);
        }
        tag(6, body);
    }
    std::vector<uint8_t> &finish()
    {
        tag(0, {});
        put32(b, 0, (uint32_t)b.size());
        return b;
    }
};

struct Parsed {
    int rc;
    hv_boot_info info;
    char arena[512];
    uint32_t total, dropped;
    std::string err;
};

void parse(const std::vector<uint8_t> &b, Parsed *p, size_t arena = 512)
{
    char err[200];
    memset(&p->info, 0, sizeof p->info);
    p->rc = hv_mb2_parse_buf(b.data(), b.size(), &p->info, p->arena, arena, &p->total,
                             &p->dropped, err, sizeof err);
    p->err = err;
}

TEST(HvBootMb2, ParsesCommandLineModulesAndMemoryMap)
{
    Mb2 m;
    m.cmdline("pool=8M x");
    m.tag(2, { 'h', 'v', 's', 'i', 'm', 0 });       // boot loader name: skipped
    m.module(0x129e000, 0x12b0f68, "root.elf a=1");
    m.module(0x12b1000, 0x12b1000, "");              // an empty module
    m.mmap({ { 0, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 }, { 0xa0000, 0x60000, 2 },
             { 0x100000, 0x7e00000, 1 }, { 0x7f00000, 0x100000, 1 } });
    auto &b = m.finish();
    auto p = std::make_unique<Parsed>();
    parse(b, p.get());
    ASSERT_EQ(p->rc, 0) << p->err;
    EXPECT_EQ(p->total, b.size());
    EXPECT_STREQ(p->info.cmdline, "pool=8M x");
    ASSERT_EQ(p->info.nmodules, 2u);
    EXPECT_EQ(p->info.modules[0].start, 0x129e000u);
    EXPECT_EQ(p->info.modules[0].end, 0x12b0f68u);
    EXPECT_STREQ(p->info.modules[0].string, "root.elf a=1");
    EXPECT_STREQ(p->info.modules[1].string, "");
    // the two adjacent reserved ranges and the two adjacent available ones are merged
    ASSERT_EQ(p->info.nmmap, 3u);
    EXPECT_EQ(p->info.mmap[0].base, 0u);
    EXPECT_EQ(p->info.mmap[0].length, 0x9fc00u);
    EXPECT_EQ(p->info.mmap[1].base, 0x9fc00u);
    EXPECT_EQ(p->info.mmap[1].length, 0x60400u);
    EXPECT_EQ(p->info.mmap[1].type, 2u);
    EXPECT_EQ(p->info.mmap[2].base, 0x100000u);
    EXPECT_EQ(p->info.mmap[2].length, 0x7f00000u);
    EXPECT_EQ(p->dropped, 0u);
    // strings live in the arena, not in the input
    EXPECT_GE(p->info.cmdline, p->arena);
    EXPECT_LT(p->info.cmdline, p->arena + sizeof p->arena);
}

TEST(HvBootMb2, DefaultsAndLargerMemoryMapEntries)
{
    Mb2 m;
    m.mmap({ { 0x100000, 0x1000, 1 }, { 0x200000, 0x1000, 3 } }, 32);  // entry_size 32
    auto p = std::make_unique<Parsed>();
    parse(m.finish(), p.get());
    ASSERT_EQ(p->rc, 0) << p->err;
    EXPECT_STREQ(p->info.cmdline, "");
    EXPECT_EQ(p->info.nmodules, 0u);
    ASSERT_EQ(p->info.nmmap, 2u);
    EXPECT_EQ(p->info.mmap[1].base, 0x200000u);
    EXPECT_EQ(p->info.mmap[1].type, 3u);
}

TEST(HvBootMb2, TooManyRangesAreDroppedAndCounted)
{
    std::vector<hv_mem_range> r;
    for (unsigned i = 0; i < 70; i++)       // alternating types: nothing merges
        r.push_back({ 0x100000ull * (i + 1), 0x1000, 1 + (i & 1) });
    Mb2 m;
    m.mmap(r);
    auto p = std::make_unique<Parsed>();
    parse(m.finish(), p.get());
    ASSERT_EQ(p->rc, 0) << p->err;
    EXPECT_EQ(p->info.nmmap, 64u);
    EXPECT_EQ(p->dropped, 6u);
    EXPECT_EQ(p->info.mmap[63].base, 0x100000ull * 64);
}

TEST(HvBootMb2, MalformedInformation)
{
    auto p = std::make_unique<Parsed>();
    {   // total_size below 16
        Mb2 m;
        auto b = m.finish();
        put32(b, 0, 8);
        parse(b, p.get());
        EXPECT_EQ(p->rc, -1);
        EXPECT_NE(p->err.find("total_size 8"), std::string::npos) << p->err;
    }
    {   // total_size beyond the bytes there are
        Mb2 m;
        auto b = m.finish();
        put32(b, 0, (uint32_t)b.size() + 8);
        parse(b, p.get());
        EXPECT_EQ(p->rc, -1);
    }
    {   // a tag of size 4
        Mb2 m;
        m.cmdline("x");
        auto b = m.finish();
        put32(b, 12, 4);
        parse(b, p.get());
        EXPECT_EQ(p->rc, -1);
        EXPECT_NE(p->err.find("tag type 1 at offset 0x8 has size 4"), std::string::npos) << p->err;
    }
    {   // a tag running past total_size
        Mb2 m;
        m.cmdline("abc");
        auto b = m.finish();
        put32(b, 12, 0x1000);
        parse(b, p.get());
        EXPECT_EQ(p->rc, -1);
    }
    {   // no end tag: total_size stops after the command line
        Mb2 m;
        m.cmdline("abc");
        auto b = m.finish();
        put32(b, 0, 8 + 16);
        parse(b, p.get());
        EXPECT_EQ(p->rc, -1);
        EXPECT_NE(p->err.find("no end tag"), std::string::npos) << p->err;
    }
    {   // a command line without its NUL inside the tag
        Mb2 m;
        m.tag(1, { 'a', 'b', 'c' });
        parse(m.finish(), p.get());
        EXPECT_EQ(p->rc, -1);
        EXPECT_NE(p->err.find("not terminated"), std::string::npos) << p->err;
    }
    {   // a module that ends before it starts
        Mb2 m;
        m.module(0x2000, 0x1000, "m");
        parse(m.finish(), p.get());
        EXPECT_EQ(p->rc, -1);
        EXPECT_NE(p->err.find("module 0 ends (0x1000) before it starts (0x2000)"),
                  std::string::npos) << p->err;
    }
    {   // a module tag too short for its fields
        Mb2 m;
        m.tag(3, { 0, 0, 0, 0 });
        parse(m.finish(), p.get());
        EXPECT_EQ(p->rc, -1);
    }
    {   // 33 modules
        Mb2 m;
        for (int i = 0; i < 33; i++)
            m.module(0x1000, 0x2000, "");
        parse(m.finish(), p.get());
        EXPECT_EQ(p->rc, -1);
        EXPECT_NE(p->err.find("more than 32 modules"), std::string::npos) << p->err;
    }
    {   // memory map entry_size 20
        Mb2 m;
        m.mmap({ { 0, 0x1000, 1 } }, 20);
        parse(m.finish(), p.get());
        EXPECT_EQ(p->rc, -1);
    }
    {   // strings longer than the arena
        Mb2 m;
        m.cmdline(std::string(100, 'x'));
        parse(m.finish(), p.get(), 100);
        EXPECT_EQ(p->rc, -1);
    }
    {   // fewer than 8 readable bytes
        std::vector<uint8_t> b(4, 0);
        parse(b, p.get());
        EXPECT_EQ(p->rc, -1);
    }
}

// ---------------------------------------------------------------- ACPI

std::vector<uint8_t> sdt(const char sig[4], std::vector<uint8_t> body)
{
    std::vector<uint8_t> t(36 + body.size(), 0);
    memcpy(t.data(), sig, 4);
    for (size_t i = 0; i < body.size(); i++) t[36 + i] = body[i];
    put32(t, 4, (uint32_t)t.size());
    uint8_t s = 0;
    for (uint8_t c : t) s = (uint8_t)(s + c);
    t[9] = (uint8_t)-s;
    return t;
}

std::vector<uint8_t> lapic(uint8_t uid, uint8_t id, uint32_t flags)
{
    return { 0, 8, uid, id, (uint8_t)flags, (uint8_t)(flags >> 8), (uint8_t)(flags >> 16),
             (uint8_t)(flags >> 24) };
}

std::vector<uint8_t> x2apic(uint32_t id, uint32_t flags)
{
    std::vector<uint8_t> e(16, 0);
    e[0] = 9;
    e[1] = 16;
    put32(e, 4, id);
    put32(e, 8, flags);
    return e;
}

std::vector<uint8_t> madt(const std::vector<std::vector<uint8_t>> &entries)
{
    std::vector<uint8_t> body(8, 0);        // local APIC address, flags
    put32(body, 0, 0xFEE00000u);
    for (auto &e : entries) body.insert(body.end(), e.begin(), e.end());
    return sdt("APIC", body);
}

struct Lapics {
    int rc;
    uint32_t ids[8], n, skipped;
    bool bsp_listed;
    std::string err;
};

Lapics lapics(const std::vector<uint8_t> &m, uint32_t bsp, uint32_t max = 8)
{
    Lapics r;
    char err[200];
    r.rc = hv_madt_lapics(m.data(), (uint32_t)m.size(), bsp, r.ids, max, &r.n, &r.bsp_listed,
                          &r.skipped, err, sizeof err);
    r.err = err;
    return r;
}

TEST(HvBootAcpi, MadtEnabledProcessorsInOrder)
{
    std::vector<uint8_t> ioapic = { 1, 12, 0, 0, 0, 0, 0xC0, 0xFE, 0, 0, 0, 0 };
    auto m = madt({ lapic(0, 0, 1), ioapic, lapic(1, 2, 1), lapic(2, 1, 0), lapic(3, 3, 3),
                    x2apic(5, 1), x2apic(300, 1), x2apic(7, 0) });
    auto r = lapics(m, 0);
    ASSERT_EQ(r.rc, 0) << r.err;
    EXPECT_TRUE(r.bsp_listed);
    ASSERT_EQ(r.n, 3u);                     // 2, 3, 5; 1 and 7 disabled, 300 skipped
    EXPECT_EQ(r.ids[0], 2u);
    EXPECT_EQ(r.ids[1], 3u);
    EXPECT_EQ(r.ids[2], 5u);
    EXPECT_EQ(r.skipped, 1u);

    r = lapics(m, 3);                       // the BSP is not the first entry
    ASSERT_EQ(r.rc, 0) << r.err;
    EXPECT_TRUE(r.bsp_listed);
    ASSERT_EQ(r.n, 3u);
    EXPECT_EQ(r.ids[0], 0u);
    EXPECT_EQ(r.ids[1], 2u);
    EXPECT_EQ(r.ids[2], 5u);

    r = lapics(m, 1);                       // a disabled BSP is not listed
    EXPECT_EQ(r.rc, 0);
    EXPECT_FALSE(r.bsp_listed);
}

TEST(HvBootAcpi, MadtMalformed)
{
    auto r = lapics(madt({ lapic(0, 0, 1), lapic(1, 4, 1), lapic(2, 4, 1) }), 0);
    EXPECT_EQ(r.rc, -1);
    EXPECT_EQ(r.err, "ACPI MADT lists APIC ID 4 twice");
    r = lapics(madt({ lapic(0, 0, 1), lapic(1, 0, 1) }), 0);
    EXPECT_EQ(r.rc, -1);                    // the BSP twice
    auto m = madt({ lapic(0, 0, 1), lapic(1, 1, 1) });
    m[44 + 8 + 1] = 0;                      // second entry: length 0
    r = lapics(m, 0);
    EXPECT_EQ(r.rc, -1);
    m = madt({ lapic(0, 0, 1), lapic(1, 1, 1) });
    m[44 + 8 + 1] = 9;                      // second entry runs one byte past the table
    r = lapics(m, 0);
    EXPECT_EQ(r.rc, -1);
    EXPECT_NE(r.err.find("outside the table"), std::string::npos) << r.err;
    m = madt({ lapic(0, 0, 1), lapic(1, 1, 1), lapic(2, 2, 1) });
    r = lapics(m, 0, 1);                    // room for one AP only
    EXPECT_EQ(r.rc, -1);
    std::vector<uint8_t> small(40, 0);
    r = lapics(small, 0);
    EXPECT_EQ(r.rc, -1);
    // an entry shorter than its type's layout is ignored, not read past
    std::vector<uint8_t> shortx = { 9, 8, 0, 0, 1, 0, 0, 0 };
    r = lapics(madt({ lapic(0, 0, 1), shortx }), 0);
    EXPECT_EQ(r.rc, 0);
    EXPECT_EQ(r.n, 0u);
}

TEST(HvBootAcpi, TableHeaderChecks)
{
    auto t = sdt("XSDT", { 1, 2, 3, 4, 5, 6, 7, 8 });
    EXPECT_EQ(hv_acpi_table_len(t.data(), t.size()), 44u);
    EXPECT_EQ(hv_acpi_table_len(t.data(), 43), 0u);     // length beyond what may be read
    EXPECT_EQ(hv_acpi_table_len(t.data(), 35), 0u);
    t[40] ^= 1;                                         // checksum broken
    EXPECT_EQ(hv_acpi_table_len(t.data(), t.size()), 0u);
    auto s = sdt("XSDT", {});
    put32(s, 4, 20);                                    // length below the header
    EXPECT_EQ(hv_acpi_table_len(s.data(), s.size()), 0u);
}

TEST(HvBootAcpi, RsdpChecks)
{
    std::vector<uint8_t> r(36, 0);
    memcpy(r.data(), "RSD PTR ", 8);
    auto fix20 = [&] {
        r[8] = 0;
        uint8_t s = 0;
        for (int i = 0; i < 20; i++) s = (uint8_t)(s + r[i]);
        r[8] = (uint8_t)-s;
    };
    r[15] = 0;                              // ACPI 1.0: only the first 20 bytes count
    put32(r, 16, 0xE0100);
    fix20();
    EXPECT_EQ(hv_acpi_rsdp_ok(r.data(), 20), 1);
    r[17] ^= 1;
    EXPECT_EQ(hv_acpi_rsdp_ok(r.data(), 20), 0);
    r[17] ^= 1;
    r[0] = 'X';
    fix20();
    EXPECT_EQ(hv_acpi_rsdp_ok(r.data(), 20), 0);
    r[0] = 'R';
    r[15] = 2;                              // revision 2: extended checksum over 36 bytes
    put32(r, 20, 36);
    put64(r, 24, 0xE0200);
    fix20();
    r[32] = 0;
    uint8_t s = 0;
    for (int i = 0; i < 36; i++) s = (uint8_t)(s + r[i]);
    r[32] = (uint8_t)-s;
    EXPECT_EQ(hv_acpi_rsdp_ok(r.data(), 36), 1);
    EXPECT_EQ(hv_acpi_rsdp_ok(r.data(), 35), 0);
    r[33] = 1;
    EXPECT_EQ(hv_acpi_rsdp_ok(r.data(), 36), 0);
}

// ---------------------------------------------------------------- command line, pool

uint64_t size_of(const char *cmdline, int *rc)
{
    uint64_t v = 0;
    char err[200];
    *rc = hv_cmdline_size_parse(cmdline, "pool", 77, &v, err, sizeof err);
    return v;
}

TEST(HvBootMem, CommandLineSizes)
{
    int rc;
    EXPECT_EQ(size_of("pool=8M", &rc), 8u << 20);
    EXPECT_EQ(rc, 0);
    EXPECT_EQ(size_of("a=1  pool=0x200000 b", &rc), 0x200000u);
    EXPECT_EQ(size_of("pool=12k", &rc), 12288u);
    EXPECT_EQ(size_of("pool=1G", &rc), 1u << 30);
    EXPECT_EQ(size_of("xpool=5 pool2=3 pool", &rc), 77u);  // absent: the default
    EXPECT_EQ(rc, 0);
    EXPECT_EQ(size_of("", &rc), 77u);
    size_of("pool=", &rc);
    EXPECT_EQ(rc, -1);
    size_of("pool=12Q", &rc);
    EXPECT_EQ(rc, -1);
    size_of("pool=0x", &rc);
    EXPECT_EQ(rc, -1);
    size_of("pool=99999999999999999999", &rc);              // > 2^64
    EXPECT_EQ(rc, -1);
    size_of("pool=17179869184G", &rc);                      // 2^34 GiB = 2^64
    EXPECT_EQ(rc, -1);
    size_of("pool=17179869183G", &rc);                      // 2^64 - 2^30: fits
    EXPECT_EQ(rc, 0);
}

const uint64_t M = 1ull << 20;

TEST(HvBootMem, PoolAtTheTopOfTheHighestAvailableRange)
{
    // hvsim's 128 MiB map (docs/BOOT.md) with the image at 16 MiB and a module after it
    std::vector<hv_mem_range> mm = { { 0, 0xA0000, 1 }, { 0xA0000, 0x60000, 2 },
                                     { 0x100000, 127 * M, 1 } };
    std::vector<hv_range> avoid = { { 0, M }, { 16 * M, 0x129e000 }, { 0x129e000, 0x12b1000 },
                                    { 0x12b1000, 0x12b2000 } };
    uint64_t s = 0;
    ASSERT_EQ(hv_pool_choose(mm.data(), 3, avoid.data(), 4, 8 * M, 2 * M, 64ull << 30, &s), 0);
    EXPECT_EQ(s, 120 * M);
    // something in the top page: the block moves below it, 2 MiB aligned
    avoid.push_back({ 127 * M, 127 * M + 0x1000 });
    ASSERT_EQ(hv_pool_choose(mm.data(), 3, avoid.data(), 5, 8 * M, 2 * M, 64ull << 30, &s), 0);
    EXPECT_EQ(s, 118 * M);
    // a range end that is not 2 MiB aligned is rounded down
    mm[2].length = 0x7f80000 - 0x100000;
    ASSERT_EQ(hv_pool_choose(mm.data(), 3, avoid.data(), 4, 8 * M, 2 * M, 64ull << 30, &s), 0);
    EXPECT_EQ(s, 118 * M);
    // too big for any range
    EXPECT_EQ(hv_pool_choose(mm.data(), 3, avoid.data(), 4, 256 * M, 2 * M, 64ull << 30, &s),
              -1);
    // the whole range is in the way
    std::vector<hv_range> all = { { 0, 1ull << 40 } };
    EXPECT_EQ(hv_pool_choose(mm.data(), 3, all.data(), 1, 2 * M, 2 * M, 64ull << 30, &s), -1);
}

TEST(HvBootMem, PoolPrefersTheHighestRangeThatFitsBelowTheLimit)
{
    std::vector<hv_mem_range> mm = { { 0x100000, 127 * M, 1 }, { 4096 * M, M, 1 },
                                     { 8192 * M, 64 * M, 3 } };
    uint64_t s = 0;
    // the 1 MiB range at 4 GiB is too small; the ACPI-reclaimable one is not available
    ASSERT_EQ(hv_pool_choose(mm.data(), 3, nullptr, 0, 8 * M, 2 * M, 64ull << 30, &s), 0);
    EXPECT_EQ(s, 120 * M);
    mm[1].length = 64 * M;
    ASSERT_EQ(hv_pool_choose(mm.data(), 3, nullptr, 0, 8 * M, 2 * M, 64ull << 30, &s), 0);
    EXPECT_EQ(s, 4096 * M + 56 * M);
    // a limit of 4 GiB (the identity map's end) excludes it
    ASSERT_EQ(hv_pool_choose(mm.data(), 3, nullptr, 0, 8 * M, 2 * M, 4096 * M, &s), 0);
    EXPECT_EQ(s, 120 * M);
    // a range straddling the limit is cut at it
    mm[1] = { 4000 * M, 200 * M, 1 };
    ASSERT_EQ(hv_pool_choose(mm.data(), 3, nullptr, 0, 8 * M, 2 * M, 4096 * M, &s), 0);
    EXPECT_EQ(s, 4088 * M);
}

}  // namespace
