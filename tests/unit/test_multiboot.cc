// test_multiboot.cc — sim/multiboot*.c: header search, placement, the v1 and v2 boot information
// checked field by field against hand-computed values (Multiboot 0.6.96 3.3, Multiboot2 2.0 3.6),
// the entry state (0.6.96 3.2) including a real run through the CPU, and every rejection path.
#include <gtest/gtest.h>

#include <elf.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "cpu/cpu.h"
#include "sim/bus.h"
#include "sim/multiboot.h"
#include "tests/unit/cpu_harness.h"
#include "tests/unit/elf_builder.h"

namespace {

using Bytes = std::vector<uint8_t>;

void add32(Bytes &v, uint32_t x)
{
    for (int k = 0; k < 4; k++)
        v.push_back((uint8_t)(x >> (8 * k)));
}

void add16(Bytes &v, uint16_t x)
{
    v.push_back((uint8_t)x);
    v.push_back((uint8_t)(x >> 8));
}

Bytes cat(Bytes a, const Bytes &b)
{
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// Multiboot v1 header (0.6.96 3.1.1): magic, flags, checksum.
Bytes mb1(uint32_t flags, uint32_t checksum_delta = 0)
{
    Bytes v;
    add32(v, MB1_HEADER_MAGIC);
    add32(v, flags);
    add32(v, 0u - (MB1_HEADER_MAGIC + flags) + checksum_delta);
    return v;
}

// A Multiboot2 header tag (2.0 3.1.3), padded to 8 bytes.
Bytes tag2(uint16_t type, uint16_t flags, const Bytes &payload)
{
    Bytes v;
    add16(v, type);
    add16(v, flags);
    add32(v, (uint32_t)(8 + payload.size()));
    v = cat(v, payload);
    while (v.size() % 8)
        v.push_back(0);
    return v;
}

// Multiboot2 header: fixed part, the tags, the end tag.
Bytes mb2(const std::vector<Bytes> &tags, uint32_t arch = MB2_ARCH_I386, bool end = true)
{
    Bytes body;
    for (auto &t : tags)
        body = cat(body, t);
    if (end)
        body = cat(body, tag2(MB2_HEADER_TAG_END, 0, {}));
    uint32_t len = (uint32_t)(16 + body.size());
    Bytes v;
    add32(v, MB2_HEADER_MAGIC);
    add32(v, arch);
    add32(v, len);
    add32(v, 0u - (MB2_HEADER_MAGIC + arch + len));
    return cat(v, body);
}

const Bytes kHalt = { 0xb8, 0, 0, 0, 0, 0xf4 };   // mov eax, 0; hlt

// ELF32 kernel with one segment at 0x100000 of 0x2000 bytes. The segment starts at file offset
// 84 (4-aligned, not 8-aligned), so v2 headers are given 4 bytes of padding in front.
Bytes kernel32(const Bytes &seg, uint32_t entry, uint32_t paddr = 0x100000,
               uint32_t memsz = 0x2000)
{
    return make_elf32(paddr, seg, memsz, entry);
}

Bytes v1_kernel(uint32_t flags = MB1_PAGE_ALIGN | MB1_MEMORY_INFO)
{
    return kernel32(cat(mb1(flags), kHalt), 0x10000c);
}

Bytes v2_kernel(const std::vector<Bytes> &tags = {})
{
    Bytes seg = cat(Bytes(4, 0), mb2(tags));
    uint32_t entry = 0x100000 + (uint32_t)seg.size();
    return kernel32(cat(seg, kHalt), entry);
}

class MultibootTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_EQ(bus_init(&b, 16 << 20), 0); }
    void TearDown() override { bus_destroy(&b); }

    int load(const Bytes &k, enum mb_version v = MB_AUTO, const char *cmdline = nullptr,
             const std::vector<mb_blob> &mods = {})
    {
        mb_blob kb = { "kernel.elf", k.data(), k.size(), nullptr };
        return mb_load_mem(&b, &kb, cmdline, mods.data(), (int)mods.size(), v, &mb, err,
                           sizeof err);
    }
    uint32_t rd32(uint64_t pa) { return (uint32_t)bus_read(&b, pa, 4); }
    uint64_t rd64(uint64_t pa) { return bus_read(&b, pa, 8); }
    std::string str(uint64_t pa) { return std::string((const char *)b.ram + pa); }
    bool ram_zero()
    {
        for (uint64_t k = 0; k < b.ram_size; k++)
            if (b.ram[k])
                return false;
        return true;
    }
    // Expect a load failure whose message names the kernel and contains `what`; RAM untouched.
    void expect_error(const Bytes &k, const char *what, enum mb_version v = MB_AUTO,
                      const std::vector<mb_blob> &mods = {}, const char *who = "kernel.elf: ")
    {
        EXPECT_EQ(load(k, v, nullptr, mods), -1);
        EXPECT_EQ(strncmp(err, who, strlen(who)), 0) << err;
        EXPECT_NE(strstr(err, what), nullptr) << err;
        EXPECT_TRUE(ram_zero()) << "RAM written by a failed load: " << err;
    }

    bus b;
    mb_boot mb{};
    char err[512] = "";
    // Three modules: 10 bytes with arguments, 0x1001 bytes (two pages), empty with no string.
    Bytes ma = Bytes(10, 0x11), mbb = Bytes(0x1001, 0x22);
    std::vector<mb_blob> mods3 = { { "a.bin", ma.data(), ma.size(), "a.bin arg1" },
                                   { "b.bin", mbb.data(), mbb.size(), "b.bin" },
                                   { "c.bin", nullptr, 0, nullptr } };
};

TEST_F(MultibootTest, AbiLayoutMatchesSpecTables)
{
    EXPECT_EQ(offsetof(mb1_info, mods_addr), 24u);
    EXPECT_EQ(offsetof(mb1_info, mmap_length), 44u);
    EXPECT_EQ(offsetof(mb1_info, boot_loader_name), 64u);
    EXPECT_EQ(offsetof(mb1_info, framebuffer_bpp), 108u);
    EXPECT_EQ(offsetof(mb2_tag_mmap, entries), 16u);
    EXPECT_EQ(offsetof(mb2_tag_module, string), 16u);
}

// ---- header search -------------------------------------------------------------------------

TEST_F(MultibootTest, ProbeFindsBothVersionsAndPrefersV1)
{
    EXPECT_EQ(mb_probe(v1_kernel().data(), v1_kernel().size()), 1);
    Bytes v2 = v2_kernel();
    EXPECT_EQ(mb_probe(v2.data(), v2.size()), 2);
    Bytes both = kernel32(cat(mb1(0), mb2({})), 0x100000);   // v2 at 84 + 12 = 96
    EXPECT_EQ(mb_probe(both.data(), both.size()), 1);
    Bytes plain = kernel32(kHalt, 0x100000);
    EXPECT_EQ(mb_probe(plain.data(), plain.size()), 0);
    // unsupported flags still probe as Multiboot (so the load reports why)
    Bytes f = v1_kernel(0x8);
    EXPECT_EQ(mb_probe(f.data(), f.size()), 1);
}

TEST_F(MultibootTest, HeaderOffsetAndFlags)
{
    Bytes k = v1_kernel(MB1_PAGE_ALIGN | MB1_MEMORY_INFO);
    mb_header h;
    ASSERT_EQ(mb_find_header(k.data(), k.size(), "k", MB_AUTO, &h, err, sizeof err), 0) << err;
    EXPECT_EQ(h.version, 1);
    EXPECT_EQ(h.offset, 84u);    // sizeof(Elf32_Ehdr) + sizeof(Elf32_Phdr)
    EXPECT_EQ(h.flags, 3u);
    Bytes both = kernel32(cat(mb1(0), mb2({})), 0x100000);
    ASSERT_EQ(mb_find_header(both.data(), both.size(), "k", MB_V2, &h, err, sizeof err), 0);
    EXPECT_EQ(h.version, 2);
    EXPECT_EQ(h.offset, 96u);    // 84 + 12, 8-aligned
    EXPECT_EQ(h.length, 24u);
}

TEST_F(MultibootTest, V1HeaderAtLastPlaceInWindowIsFound)
{
    // 8192 - 12 = 8180 is the last 4-aligned offset where the whole header fits.
    Bytes seg(8180 - 84, 0);
    Bytes k = kernel32(cat(cat(seg, mb1(0)), kHalt), 0x100000, 0x100000, 0x4000);
    mb_header h;
    ASSERT_EQ(mb_find_header(k.data(), k.size(), "k", MB_V1, &h, err, sizeof err), 0) << err;
    EXPECT_EQ(h.offset, 8180u);
}

// ---- v1 boot information --------------------------------------------------------------------

TEST_F(MultibootTest, V1InfoEveryField)
{
    ASSERT_EQ(load(v1_kernel(), MB_AUTO, "console=ttyS0 x=1", mods3), 0) << err;
    // Placement: kernel [0x100000, 0x102000); modules page-aligned after it; info; GDT.
    EXPECT_EQ(mb.version, 1);
    EXPECT_EQ(mb.kernel_lo, 0x100000u);
    EXPECT_EQ(mb.kernel_hi, 0x102000u);
    ASSERT_EQ(mb.n_mods, 3);
    EXPECT_EQ(mb.mods[0].start, 0x102000u);
    EXPECT_EQ(mb.mods[0].end, 0x10200au);
    EXPECT_EQ(mb.mods[1].start, 0x103000u);
    EXPECT_EQ(mb.mods[1].end, 0x104001u);
    EXPECT_EQ(mb.mods[2].start, 0x105000u);   // an empty module still gets its own page
    EXPECT_EQ(mb.mods[2].end, 0x105000u);
    EXPECT_EQ(mb.info, 0x106000u);
    EXPECT_EQ(mb.gdt, 0x107000u);
    EXPECT_EQ(mb.free_base, 0x108000u);
    EXPECT_EQ(mb.magic, 0x2BADB002u);
    EXPECT_EQ(mb.entry, 0x10000cu);
    // info: 116 bytes at +0, mmap at +120, 3 module structs at +192, cmdline at +240 (18 bytes),
    // "hvsim" at +258, module strings at +264 ("a.bin arg1"), +275 ("b.bin"), +281 ("").
    EXPECT_EQ(mb.info_size, 282u);
    const uint32_t I = 0x106000;
    EXPECT_EQ(rd32(I + 0), 0x24du);            // bits 0 mem, 2 cmdline, 3 mods, 6 mmap, 9 name
    EXPECT_EQ(rd32(I + 4), 640u);              // mem_lower KiB
    EXPECT_EQ(rd32(I + 8), 15360u);            // mem_upper: (16 MiB - 1 MiB) / 1 KiB
    EXPECT_EQ(rd32(I + 12), 0u);               // boot_device (flag 1 clear)
    EXPECT_EQ(rd32(I + 16), I + 240);          // cmdline
    EXPECT_EQ(rd32(I + 20), 3u);               // mods_count
    EXPECT_EQ(rd32(I + 24), I + 192);          // mods_addr
    for (uint32_t o = 28; o < 44; o += 4)
        EXPECT_EQ(rd32(I + o), 0u) << "syms +" << o;
    EXPECT_EQ(rd32(I + 44), 72u);              // mmap_length: 3 entries of 24
    EXPECT_EQ(rd32(I + 48), I + 120);          // mmap_addr
    EXPECT_EQ(rd32(I + 52), 0u);               // drives_length
    EXPECT_EQ(rd32(I + 56), 0u);
    EXPECT_EQ(rd32(I + 60), 0u);               // config_table
    EXPECT_EQ(rd32(I + 64), I + 258);          // boot_loader_name
    for (uint32_t o = 68; o < 116; o += 4)
        EXPECT_EQ(rd32(I + o), 0u) << "apm/vbe/framebuffer +" << o;
    EXPECT_EQ(str(I + 240), "console=ttyS0 x=1");
    EXPECT_EQ(str(I + 258), "hvsim");
    // mmap entries (size, base_addr, length, type), BIOS style
    const uint64_t want[3][3] = { { 0, 0xa0000, 1 }, { 0xa0000, 0x60000, 2 },
                                  { 0x100000, 0xf00000, 1 } };
    for (int k = 0; k < 3; k++) {
        uint32_t e = I + 120 + 24 * k;
        EXPECT_EQ(rd32(e), 20u) << k;
        EXPECT_EQ(rd64(e + 4), want[k][0]) << k;
        EXPECT_EQ(rd64(e + 12), want[k][1]) << k;
        EXPECT_EQ(rd32(e + 20), want[k][2]) << k;
    }
    // module structures
    const uint32_t wm[3][3] = { { 0x102000, 0x10200a, I + 264 }, { 0x103000, 0x104001, I + 275 },
                                { 0x105000, 0x105000, I + 281 } };
    for (int k = 0; k < 3; k++) {
        uint32_t m = I + 192 + 16 * k;
        EXPECT_EQ(rd32(m), wm[k][0]) << k;
        EXPECT_EQ(rd32(m + 4), wm[k][1]) << k;
        EXPECT_EQ(rd32(m + 8), wm[k][2]) << k;
        EXPECT_EQ(rd32(m + 12), 0u) << k;
    }
    EXPECT_EQ(str(I + 264), "a.bin arg1");
    EXPECT_EQ(str(I + 275), "b.bin");
    EXPECT_EQ(str(I + 281), "");
    // module contents
    EXPECT_EQ(b.ram[0x102000], 0x11);
    EXPECT_EQ(b.ram[0x102009], 0x11);
    EXPECT_EQ(b.ram[0x10200a], 0);
    EXPECT_EQ(b.ram[0x103000], 0x22);
    EXPECT_EQ(b.ram[0x104000], 0x22);
    EXPECT_EQ(b.ram[0x104001], 0);
    // kernel: header bytes and zeroed bss
    EXPECT_EQ(rd32(0x100000), MB1_HEADER_MAGIC);
    EXPECT_EQ(b.ram[0x100011], 0xf4);
    EXPECT_EQ(b.ram[0x101fff], 0);
}

TEST_F(MultibootTest, V1NoModulesNoCmdline)
{
    ASSERT_EQ(load(v1_kernel()), 0) << err;
    EXPECT_EQ(mb.info, 0x102000u);
    EXPECT_EQ(rd32(0x102000 + 20), 0u);                  // mods_count
    EXPECT_EQ(rd32(0x102000 + 24), 0x102000u + 192);     // mods_addr: empty array
    EXPECT_EQ(rd32(0x102000 + 16), 0x102000u + 192);     // cmdline right after it
    EXPECT_EQ(str(0x102000 + 192), "");
    EXPECT_EQ(str(0x102000 + 193), "hvsim");
    EXPECT_EQ(mb.info_size, 199u);
}

TEST_F(MultibootTest, KernelBelow640KPushesBlocksPastTheHole)
{
    // kernel [0x90000, 0x9e000): a 0x3000-byte module would cross 0xa0000, so it goes to 1 MiB.
    Bytes k = kernel32(cat(mb1(3), kHalt), 0x9000c, 0x90000, 0xe000);
    Bytes m(0x3000, 1);
    ASSERT_EQ(load(k, MB_V1, nullptr, { { "m", m.data(), m.size(), "m" } }), 0) << err;
    EXPECT_EQ(mb.mods[0].start, 0x100000u);
    EXPECT_EQ(mb.mods[0].end, 0x103000u);
    EXPECT_EQ(mb.info, 0x103000u);
}

TEST_F(MultibootTest, Elf64KernelEntryIsTranslatedToPhysical)
{
    // higher-half link address, physical load address: EIP is the physical entry (paging off).
    Bytes seg = cat(mb1(0), kHalt);
    Bytes k = make_elf64({ { 0x200000, 0xffffffff80200000ull, seg, 0x1000 } },
                         0xffffffff8020000cull);
    ASSERT_EQ(load(k), 0) << err;
    EXPECT_EQ(mb.entry, 0x20000cu);
    EXPECT_EQ(mb.info, 0x201000u);
}

// ---- v2 boot information --------------------------------------------------------------------

TEST_F(MultibootTest, V2InfoEveryTag)
{
    ASSERT_EQ(load(v2_kernel(), MB_AUTO, "console=ttyS0 x=1", mods3), 0) << err;
    EXPECT_EQ(mb.version, 2);
    EXPECT_EQ(mb.magic, 0x36D76289u);
    EXPECT_EQ(mb.entry, 0x10001cu);            // e_entry: 0x100000 + 4 + 24
    EXPECT_EQ(mb.info, 0x106000u);
    EXPECT_EQ(mb.info % 8, 0u);
    const uint32_t I = 0x106000;
    EXPECT_EQ(rd32(I), 248u);                  // total_size
    EXPECT_EQ(rd32(I + 4), 0u);                // reserved
    // +8: cmdline, size 8 + 18
    EXPECT_EQ(rd32(I + 8), 1u);
    EXPECT_EQ(rd32(I + 12), 26u);
    EXPECT_EQ(str(I + 16), "console=ttyS0 x=1");
    // +40: boot loader name, size 8 + 6
    EXPECT_EQ(rd32(I + 40), 2u);
    EXPECT_EQ(rd32(I + 44), 14u);
    EXPECT_EQ(str(I + 48), "hvsim");
    // +56, +88, +112: modules (size 16 + string)
    const uint32_t at[3] = { 56, 88, 112 }, sz[3] = { 27, 22, 17 };
    const uint32_t st[3] = { 0x102000, 0x103000, 0x105000 }, en[3] = { 0x10200a, 0x104001,
                                                                      0x105000 };
    const char *s[3] = { "a.bin arg1", "b.bin", "" };
    for (int k = 0; k < 3; k++) {
        EXPECT_EQ(rd32(I + at[k]), 3u) << k;
        EXPECT_EQ(rd32(I + at[k] + 4), sz[k]) << k;
        EXPECT_EQ(rd32(I + at[k] + 8), st[k]) << k;
        EXPECT_EQ(rd32(I + at[k] + 12), en[k]) << k;
        EXPECT_EQ(str(I + at[k] + 16), s[k]) << k;
    }
    // +136: basic meminfo
    EXPECT_EQ(rd32(I + 136), 4u);
    EXPECT_EQ(rd32(I + 140), 16u);
    EXPECT_EQ(rd32(I + 144), 640u);
    EXPECT_EQ(rd32(I + 148), 15360u);
    // +152: memory map, size 16 + 3 * 24, entry_size 24, entry_version 0
    EXPECT_EQ(rd32(I + 152), 6u);
    EXPECT_EQ(rd32(I + 156), 88u);
    EXPECT_EQ(rd32(I + 160), 24u);
    EXPECT_EQ(rd32(I + 164), 0u);
    const uint64_t want[3][3] = { { 0, 0xa0000, 1 }, { 0xa0000, 0x60000, 2 },
                                  { 0x100000, 0xf00000, 1 } };
    for (int k = 0; k < 3; k++) {
        uint32_t e = I + 168 + 24 * k;
        EXPECT_EQ(rd64(e), want[k][0]) << k;
        EXPECT_EQ(rd64(e + 8), want[k][1]) << k;
        EXPECT_EQ(rd32(e + 16), want[k][2]) << k;
        EXPECT_EQ(rd32(e + 20), 0u) << k;
    }
    // +240: end tag
    EXPECT_EQ(rd32(I + 240), 0u);
    EXPECT_EQ(rd32(I + 244), 8u);
    EXPECT_EQ(mb.info_size, 248u);
}

// Multiboot2 3.6.14/3.6.15: when the machine has ACPI tables, the loader finds the RSDP as an OS
// would (signature on a 16-byte boundary in 0xE0000-0xFFFFF, checksum of the first 20 bytes) and
// passes copies: tag 14 (ACPI 1.0 form, 20 bytes) and, for revision >= 2, tag 15 (36 bytes).
// Placement: cmdline "" (8+1 -> 16), loader name (8+6 -> 16), meminfo (16) put tag 14 at +56
// (size 28, padded to 32) and tag 15 at +88 (size 44, padded to 48); the memory map follows.
TEST_F(MultibootTest, V2AcpiRsdpTags)
{
    uint8_t rsdp[36] = { 'R', 'S', 'D', ' ', 'P', 'T', 'R', ' ', 0, 'H', 'V', 'S', 'I', 'M', ' ',
                         2 };
    const uint32_t rsdt = 0xE0100;
    const uint64_t xsdt = 0xE0200;
    memcpy(rsdp + 16, &rsdt, 4);
    rsdp[20] = 36;                                    // length
    memcpy(rsdp + 24, &xsdt, 8);
    uint8_t sum = 0;
    for (int k = 0; k < 20; k++)
        sum = (uint8_t)(sum + rsdp[k]);
    rsdp[8] = (uint8_t)-sum;                          // ACPI 5.2.5.3: first 20 bytes sum to 0
    const uint64_t at = 0xF0A50;                      // a 16-byte boundary in the BIOS area
    ASSERT_EQ(bus_copy_to(&b, at, rsdp, sizeof rsdp), 0);

    ASSERT_EQ(load(v2_kernel()), 0) << err;
    const uint32_t I = mb.info;
    EXPECT_EQ(rd32(I + 56), 14u);
    EXPECT_EQ(rd32(I + 60), 28u);
    EXPECT_EQ(memcmp(b.ram + I + 64, rsdp, 20), 0);
    EXPECT_EQ(rd32(I + 88), 15u);
    EXPECT_EQ(rd32(I + 92), 44u);
    EXPECT_EQ(memcmp(b.ram + I + 96, rsdp, 36), 0);
    EXPECT_EQ(rd32(I + 136), 6u);                     // the memory map follows

    // Revision 0 (ACPI 1.0): only the old tag; the memory map moves up by 48.
    rsdp[15] = 0;
    rsdp[8] = (uint8_t)(rsdp[8] + 2);
    ASSERT_EQ(bus_copy_to(&b, at, rsdp, sizeof rsdp), 0);
    ASSERT_EQ(load(v2_kernel()), 0) << err;
    EXPECT_EQ(rd32(mb.info + 56), 14u);
    EXPECT_EQ(rd32(mb.info + 88), 6u);

    // A bad checksum, or a signature off the 16-byte grid, is no RSDP: no ACPI tags.
    rsdp[8] = (uint8_t)(rsdp[8] + 1);
    ASSERT_EQ(bus_copy_to(&b, at, rsdp, sizeof rsdp), 0);
    ASSERT_EQ(load(v2_kernel()), 0) << err;
    EXPECT_EQ(rd32(mb.info + 56), 6u);
    rsdp[8] = (uint8_t)(rsdp[8] - 1);
    uint8_t zero[36] = { 0 };
    ASSERT_EQ(bus_copy_to(&b, at, zero, sizeof zero), 0);
    ASSERT_EQ(bus_copy_to(&b, at + 8, rsdp, sizeof rsdp), 0);
    ASSERT_EQ(load(v2_kernel()), 0) << err;
    EXPECT_EQ(rd32(mb.info + 56), 6u);
}

TEST_F(MultibootTest, V2EntryAddressTagOverridesElfEntry)
{
    Bytes e;
    add32(e, 0x100040);
    ASSERT_EQ(load(v2_kernel({ tag2(MB2_HEADER_TAG_ENTRY_ADDRESS, 0, e) })), 0) << err;
    EXPECT_EQ(mb.entry, 0x100040u);
    EXPECT_TRUE(mb.hdr.has_entry);
}

TEST_F(MultibootTest, V2AcceptsProvidedInfoRequestsAndIgnorableTags)
{
    Bytes req;
    for (uint32_t t : { 1u, 2u, 3u, 4u, 6u })
        add32(req, t);
    Bytes opt_req;
    add32(opt_req, 8);                               // framebuffer info, but optional
    Bytes fb;
    add32(fb, 1024);
    add32(fb, 768);
    add32(fb, 32);
    Bytes align;                                     // module alignment tag: no payload
    Bytes console;
    add32(console, 3);
    ASSERT_EQ(load(v2_kernel({ tag2(1, 0, req), tag2(1, MB2_TAG_OPTIONAL, opt_req),
                               tag2(MB2_HEADER_TAG_FRAMEBUFFER, MB2_TAG_OPTIONAL, fb),
                               tag2(MB2_HEADER_TAG_MODULE_ALIGN, 0, align),
                               tag2(MB2_HEADER_TAG_CONSOLE_FLAGS, 0, console),
                               tag2(99, MB2_TAG_OPTIONAL, {}) })),
              0)
        << err;
}

// ---- entry state ----------------------------------------------------------------------------

TEST(MultibootEntry, RegistersAndSegmentsPerSpec32)
{
    cputest::CpuMachine m(16 << 20, nullptr, true);
    // At the entry: store EAX and EBX, reload DS/SS and CS (needs a valid GDT), save EFLAGS and
    // CR0, halt.
    Bytes code = {
        0xa3, 0x00, 0x08, 0x10, 0x00,              // mov [0x100800], eax
        0x89, 0x1d, 0x04, 0x08, 0x10, 0x00,        // mov [0x100804], ebx
        0x66, 0xb8, 0x10, 0x00,                    // mov ax, 0x10
        0x8e, 0xd8,                                // mov ds, ax
        0x8e, 0xd0,                                // mov ss, ax
        0xea, 0x26, 0x00, 0x10, 0x00, 0x28, 0x00,  // jmp 0x28:0x100026
        0xbc, 0x00, 0x10, 0x10, 0x00,              // mov esp, 0x101000
        0x9c,                                      // pushfd
        0x59,                                      // pop ecx
        0x89, 0x0d, 0x08, 0x08, 0x10, 0x00,        // mov [0x100808], ecx
        0x0f, 0x20, 0xc0,                          // mov eax, cr0
        0xa3, 0x0c, 0x08, 0x10, 0x00,              // mov [0x10080c], eax
        0xf4,                                      // hlt
    };
    Bytes k = kernel32(cat(mb1(3), code), 0x10000c);
    mb_blob kb = { "kernel.elf", k.data(), k.size(), nullptr };
    mb_boot mb;
    char err[256];
    ASSERT_EQ(mb_load_mem(&m.bus, &kb, "x", nullptr, 0, MB_AUTO, &mb, err, sizeof err), 0) << err;
    m.c.gpr[R_RCX] = 0x1234;   // must be cleared by mb_enter
    ASSERT_EQ(mb_enter(&m.c, &mb), 0);
    EXPECT_EQ(m.c.gpr[R_RAX], 0x2BADB002u);
    EXPECT_EQ(m.c.gpr[R_RBX], 0x102000u);
    EXPECT_EQ(m.c.gpr[R_RCX], 0u);
    EXPECT_EQ(m.c.rip, 0x10000cu);
    EXPECT_EQ(m.c.cr0 & CR0_PE, CR0_PE);
    EXPECT_EQ(m.c.cr0 & CR0_PG, 0u);
    EXPECT_EQ(cpu_get_rflags(&m.c), 0x2u);          // IF = 0, VM = 0
    for (int s = 0; s < SEG_NSEG; s++) {
        EXPECT_EQ(m.c.seg[s].base, 0u) << s;
        EXPECT_EQ(m.c.seg[s].limit, 0xffffffffu) << s;
        EXPECT_EQ(m.c.seg[s].sel, s == SEG_CS ? 0x28 : 0x10) << s;
    }
    EXPECT_EQ(m.c.gdtr.base, mb.gdt);
    EXPECT_EQ(mb.gdt, 0x103000u);
    EXPECT_EQ(m.rd(mb.gdt + 0x28), 0x00cf9b000000ffffull);   // flat 32-bit code, DPL 0
    EXPECT_EQ(m.rd(mb.gdt + 0x10), 0x00cf93000000ffffull);   // flat data
    cpu_run(&m.c, 100);
    EXPECT_EQ(m.c.stop, STOP_HLT);
    EXPECT_EQ(m.rd(0x100800, 4), 0x2BADB002u);
    EXPECT_EQ(m.rd(0x100804, 4), 0x102000u);
    EXPECT_EQ(m.rd(0x100808, 4) & 0x20200u, 0u);   // EFLAGS.IF and VM clear
    EXPECT_EQ(m.rd(0x10080c, 4) & 0x80000001u, 1u); // CR0.PE set, PG clear
    EXPECT_EQ(m.c.seg[SEG_CS].sel, 0x28);
}

TEST(MultibootEntry, V2MagicInEax)
{
    cputest::CpuMachine m(16 << 20, nullptr, true);
    Bytes k = v2_kernel();
    mb_blob kb = { "kernel.elf", k.data(), k.size(), nullptr };
    mb_boot mb;
    char err[256];
    ASSERT_EQ(mb_load_mem(&m.bus, &kb, nullptr, nullptr, 0, MB_AUTO, &mb, err, sizeof err), 0);
    ASSERT_EQ(mb_enter(&m.c, &mb), 0);
    EXPECT_EQ(m.c.gpr[R_RAX], 0x36D76289u);
    EXPECT_EQ(m.c.gpr[R_RBX], mb.info);
    EXPECT_EQ(m.c.rip, 0x10001cu);
}

// ---- errors ---------------------------------------------------------------------------------

TEST_F(MultibootTest, ErrorNotElf)
{
    Bytes raw = cat(mb1(3), kHalt);
    expect_error(raw, "not an ELF file");
}

TEST_F(MultibootTest, ErrorAoutKludgeForRawImage)
{
    Bytes raw = cat(cat(mb1(3 | MB1_AOUT_KLUDGE), Bytes(20, 0)), kHalt);
    expect_error(raw, "a.out kludge");
    Bytes addr(16, 0);
    Bytes raw2 = cat(cat(mb2({ tag2(MB2_HEADER_TAG_ADDRESS, 0, addr) }), kHalt), {});
    expect_error(raw2, "a.out kludge");
}

TEST_F(MultibootTest, AoutKludgeFlagIgnoredForElf)
{
    Bytes seg = cat(cat(mb1(3 | MB1_AOUT_KLUDGE), Bytes(20, 0)), kHalt);
    ASSERT_EQ(load(kernel32(seg, 0x100020)), 0) << err;
    EXPECT_EQ(mb.entry, 0x100020u);
}

TEST_F(MultibootTest, ErrorWrongClassAndMachine)
{
    Bytes k = v1_kernel();
    k[EI_CLASS] = 3;
    expect_error(k, "unknown ELF class 3");
    Bytes a = make_elf64({ { 0x100000, 0x100000, cat(mb1(0), kHalt), 0x1000 } }, 0x10000c,
                         EM_AARCH64);
    expect_error(a, "not supported");
}

TEST_F(MultibootTest, ErrorSegmentOutsideRam)
{
    Bytes k = kernel32(cat(mb1(3), kHalt), 0xfff00c, 0xfff000, 0x2000);
    expect_error(k, "outside RAM");
}

TEST_F(MultibootTest, ErrorSegmentInLegacyHole)
{
    Bytes k = kernel32(cat(mb1(3), kHalt), 0xb800c, 0xb8000, 0x1000);
    expect_error(k, "reserved legacy area");
}

TEST_F(MultibootTest, ErrorSegmentAboveFourGiB)
{
    // needs RAM above 4 GiB to get past the RAM check (calloc'd, so only touched pages count)
    bus big;
    if (bus_init(&big, (4ull << 30) + 0x2000) != 0)
        GTEST_SKIP() << "host cannot reserve 4 GiB of address space";
    Bytes k = make_elf64({ { 0xfffff000ull, 0xfffff000ull, cat(mb1(0), kHalt), 0x2000 } },
                   0xfffff00cull);
    mb_blob kb = { "kernel.elf", k.data(), k.size(), nullptr };
    EXPECT_EQ(mb_load_mem(&big, &kb, nullptr, nullptr, 0, MB_AUTO, &mb, err, sizeof err), -1);
    EXPECT_NE(strstr(err, "above 4 GiB"), nullptr) << err;
    bus_destroy(&big);
}

TEST_F(MultibootTest, ErrorEntryOutsideSegments)
{
    expect_error(kernel32(cat(mb1(3), kHalt), 0x300000), "entry point 0x300000");
}

TEST_F(MultibootTest, ErrorTruncatedElf)
{
    Bytes k = v1_kernel();
    k.resize(k.size() - 2);
    expect_error(k, "truncated: segment 0");
}

TEST_F(MultibootTest, ErrorMissingHeader)
{
    expect_error(kernel32(kHalt, 0x100000), "no Multiboot header");
    expect_error(kernel32(kHalt, 0x100000), "no Multiboot header (magic 0x1BADB002", MB_V1);
    expect_error(kernel32(kHalt, 0x100000), "no Multiboot2 header (magic 0xE85250D6", MB_V2);
}

TEST_F(MultibootTest, ErrorBadChecksum)
{
    expect_error(kernel32(cat(mb1(3, 1), kHalt), 0x10000c),
                 "Multiboot header at offset 0x54 has a bad checksum (the header words sum to "
                 "0x00000001, not 0)");
    Bytes h = mb2({});
    h[12] ^= 0x10;
    expect_error(kernel32(cat(cat(Bytes(4, 0), h), kHalt), 0x100000),
                 "Multiboot2 header at offset 0x58 has a bad checksum");
}

TEST_F(MultibootTest, ErrorTruncatedHeader)
{
    Bytes raw;
    add32(raw, 0);
    add32(raw, MB1_HEADER_MAGIC);
    add32(raw, 3);
    expect_error(raw, "truncated: the Multiboot header at offset 0x4");
    Bytes k = v2_kernel();
    // claim a header_length past the end of the file (checksum adjusted)
    uint32_t off = 88, len = 0x1000;
    memcpy(&k[off + 8], &len, 4);
    uint32_t sum = 0u - (MB2_HEADER_MAGIC + len);
    memcpy(&k[off + 12], &sum, 4);
    expect_error(k, "truncated: the Multiboot2 header at offset 0x58 claims 4096 bytes");
}

TEST_F(MultibootTest, ErrorHeaderBeyondSearchWindow)
{
    // magic at 8184: the 12-byte header would end at 8196 > 8192
    Bytes seg(8184 - 84, 0);
    Bytes k = kernel32(cat(cat(seg, mb1(0)), kHalt), 0x100000, 0x100000, 0x4000);
    expect_error(k, "Multiboot header at offset 0x1ff8 is beyond the search window: it must "
                    "lie completely within the first 8192 bytes");
    // v2: fixed part in the window, tags running past 32768
    Bytes seg2(32768 - 16 - 84, 0);   // header at 32752 (8-aligned), fixed part ends at 32768
    Bytes k2 = kernel32(cat(cat(seg2, mb2({ tag2(99, MB2_TAG_OPTIONAL, Bytes(8, 0)) })), kHalt),
                        0x100000, 0x100000, 0x10000);
    expect_error(k2, "is beyond the search window", MB_V2);
}

TEST_F(MultibootTest, ErrorUnsupportedV1Flags)
{
    expect_error(v1_kernel(3 | 0x8), "flag bits 0x0008");
}

TEST_F(MultibootTest, ErrorV2Architecture)
{
    Bytes seg = cat(cat(Bytes(4, 0), mb2({}, MB2_ARCH_MIPS32)), kHalt);
    expect_error(kernel32(seg, 0x100000), "architecture 4 is not i386");
}

TEST_F(MultibootTest, ErrorV2RequiredTags)
{
    Bytes fb(12, 0);
    expect_error(v2_kernel({ tag2(MB2_HEADER_TAG_FRAMEBUFFER, 0, fb) }), "requires a framebuffer");
    Bytes req;
    add32(req, 8);
    expect_error(v2_kernel({ tag2(1, 0, req) }), "requires boot information tag type 8");
    expect_error(v2_kernel({ tag2(99, 0, {}) }), "tag type 99 at offset 0x68 is required");
}

TEST_F(MultibootTest, ErrorV2MalformedTags)
{
    Bytes seg = cat(cat(Bytes(4, 0), mb2({ tag2(99, MB2_TAG_OPTIONAL, {}) }, 0, false)), kHalt);
    expect_error(kernel32(seg, 0x100000), "no end tag");
    Bytes k = v2_kernel({ tag2(99, MB2_TAG_OPTIONAL, {}) });
    uint32_t huge = 0x7fffffff;
    memcpy(&k[88 + 16 + 4], &huge, 4);   // first tag's size
    expect_error(k, "has size 2147483647, outside the header");
    Bytes e;
    add32(e, 0x300000);
    expect_error(v2_kernel({ tag2(MB2_HEADER_TAG_ENTRY_ADDRESS, 0, e) }),
                 "entry address 0x300000 is outside the loaded image");
}

TEST_F(MultibootTest, ErrorModuleDoesNotFit)
{
    Bytes m(15 << 20, 1);
    expect_error(v1_kernel(), "module of 0xf00000 bytes does not fit", MB_AUTO,
                 { { "big.bin", m.data(), m.size(), "big" } }, "big.bin: ");
}

TEST_F(MultibootTest, ErrorRamTooSmall)
{
    bus small;
    ASSERT_EQ(bus_init(&small, 1 << 20), 0);
    Bytes k = v1_kernel();
    mb_blob kb = { "kernel.elf", k.data(), k.size(), nullptr };
    EXPECT_EQ(mb_load_mem(&small, &kb, nullptr, nullptr, 0, MB_AUTO, &mb, err, sizeof err), -1);
    EXPECT_NE(strstr(err, "too small"), nullptr) << err;
    bus_destroy(&small);
}

// ---- files ----------------------------------------------------------------------------------

TEST_F(MultibootTest, LoadFromFilesSplitsModuleArguments)
{
    std::string kp = write_temp(v1_kernel());
    std::string m1 = write_temp(Bytes(5, 0x33)), m2 = write_temp(Bytes(3, 0x44));
    std::string s1 = m1 + ",root=/dev/x,ro", s2 = m2;
    const char *specs[2] = { s1.c_str(), s2.c_str() };
    ASSERT_EQ(mb_load(&b, kp.c_str(), "quiet", specs, nullptr, 2, MB_AUTO, &mb, err, sizeof err),
              0) << err;
    uint32_t mods = rd32(mb.info + 24);
    EXPECT_EQ(str(rd32(mods + 8)), m1 + " root=/dev/x,ro");
    EXPECT_EQ(str(rd32(mods + 16 + 8)), m2);
    // names (a configuration file's paths as written) replace FILE in the strings only
    const char *names[2] = { "@build/root.elf", nullptr };
    ASSERT_EQ(mb_load(&b, kp.c_str(), "quiet", specs, names, 2, MB_AUTO, &mb, err, sizeof err),
              0) << err;
    mods = rd32(mb.info + 24);
    EXPECT_EQ(str(rd32(mods + 8)), "@build/root.elf root=/dev/x,ro");
    EXPECT_EQ(str(rd32(mods + 16 + 8)), m2);
    EXPECT_EQ(b.ram[rd32(mods)], 0x33);
    EXPECT_EQ(str(rd32(mb.info + 16)), "quiet");
    EXPECT_EQ(b.ram[rd32(mods)], 0x33);
    EXPECT_EQ(rd32(mods + 4) - rd32(mods), 5u);
    EXPECT_EQ(b.ram[rd32(mods + 16)], 0x44);
    // a missing module names its file
    std::string missing = "/nonexistent/mod.bin,x";
    const char *bad[1] = { missing.c_str() };
    EXPECT_EQ(mb_load(&b, kp.c_str(), nullptr, bad, nullptr, 1, MB_AUTO, &mb, err, sizeof err), -1);
    EXPECT_NE(strstr(err, "/nonexistent/mod.bin: cannot open"), nullptr) << err;
    const char *empty[1] = { ",args" };
    EXPECT_EQ(mb_load(&b, kp.c_str(), nullptr, empty, nullptr, 1, MB_AUTO, &mb, err, sizeof err), -1);
    EXPECT_NE(strstr(err, "file name is empty"), nullptr) << err;
    EXPECT_EQ(mb_load(&b, "/nonexistent/k", nullptr, nullptr, nullptr, 0, MB_AUTO, &mb, err,
                      sizeof err), -1);
    EXPECT_NE(strstr(err, "/nonexistent/k: cannot open"), nullptr) << err;
    unlink(kp.c_str());
    unlink(m1.c_str());
    unlink(m2.c_str());
}

TEST_F(MultibootTest, PlacementIsDeterministic)
{
    ASSERT_EQ(load(v2_kernel(), MB_AUTO, "a", mods3), 0) << err;
    Bytes first(b.ram, b.ram + b.ram_size);
    mb_boot one = mb;
    memset(b.ram, 0, b.ram_size);
    ASSERT_EQ(load(v2_kernel(), MB_AUTO, "a", mods3), 0) << err;
    EXPECT_EQ(memcmp(first.data(), b.ram, b.ram_size), 0);
    EXPECT_EQ(memcmp(&one, &mb, sizeof mb), 0);
}

}  // namespace
