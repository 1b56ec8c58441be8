// test_pm_image.cc — a child's initial memory and registers (partitions/root/pm_image.c): the
// ELF loaded at its physical addresses with the bss zeroed, the GDT/TSS descriptors decoded by
// hand per SDM Vol. 3 3.4.5 / 7.2.3, the page tables walked per SDM Vol. 3 4.5 (identity for
// every page but page 0), the long-mode register values of SDM 9.8.5, and every refusal.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/elf_builder.h"

extern "C" {
#include "partitions/root/pm_image.h"
}

namespace {

const uint64_t MiB = 1ull << 20;

uint64_t rd64(const std::vector<uint8_t> &m, uint64_t a)
{
    uint64_t v;
    memcpy(&v, &m[a], 8);
    return v;
}

// 4-level walk (SDM Vol. 3 4.5): the GPA a GVA maps to, or ~0 if some level is not present.
uint64_t walk(const std::vector<uint8_t> &m, uint64_t cr3, uint64_t va)
{
    uint64_t t = cr3 & ~0xFFFull;
    for (int level = 3; level >= 0; level--) {
        uint64_t e = rd64(m, t + ((va >> (12 + 9 * level)) & 511) * 8);
        if (!(e & 1))
            return ~0ull;
        EXPECT_EQ(e & 0x80, 0u) << "no large pages";
        EXPECT_TRUE(e & 2) << "writable";
        t = e & 0x000FFFFFFFFFF000ull;
    }
    return t | (va & 0xFFF);
}

struct Built {
    int rc;
    std::vector<uint8_t> mem;
    pm_image img;
    std::string err;
};

Built build(uint64_t size, const std::vector<uint8_t> &elf, const char *cmdline = "name=c1",
            uint32_t vps = 1)
{
    Built b;
    b.mem.assign(size, 0xAB);   // old contents that must not survive
    char err[160] = "";
    b.rc = pm_image_build(b.mem.data(), size, vps, elf.data(), elf.size(), cmdline, &b.img, err,
                          sizeof err);
    b.err = err;
    return b;
}

std::vector<uint8_t> child_elf(uint64_t at = MiB, uint64_t memsz = 0x3000)
{
    Seg s{ at, at, { 0x90, 0x90, 0xF4, 0x11 }, memsz };
    return make_elf64({ s }, at + 2);
}

}  // namespace

TEST(PmImage, LoadsSegmentsAndCommandLine)
{
    Built b = build(16 * MiB, child_elf());
    ASSERT_EQ(b.rc, 0) << b.err;
    EXPECT_EQ(b.img.entry, MiB + 2);
    EXPECT_EQ(b.img.rsp, 16 * MiB);
    EXPECT_EQ(b.img.load_lo, MiB);
    EXPECT_EQ(b.img.load_hi, MiB + 0x3000);
    EXPECT_EQ(b.mem[MiB], 0x90);
    EXPECT_EQ(b.mem[MiB + 3], 0x11);
    for (uint64_t a = MiB + 4; a < MiB + 0x3000; a++)
        ASSERT_EQ(b.mem[a], 0) << "bss at " << a;
    EXPECT_STREQ((const char *)&b.mem[PM_CMDLINE_GPA], "name=c1");
    // Everything the layout does not write is zero: no byte of the old contents is left.
    for (uint64_t a = 0; a < PM_GDT_GPA; a++)
        ASSERT_EQ(b.mem[a], 0);
    for (uint64_t a = b.img.rsp - PM_STACK_SIZE; a < b.img.rsp; a++)
        ASSERT_EQ(b.mem[a], 0);
}

TEST(PmImage, PageTablesIdentityMap)
{
    for (uint64_t size : { 16 * MiB, 2 * MiB + 0x5000, 1 * MiB }) {
        Built b = build(size, child_elf(0x3000, 0x1000));
        ASSERT_EQ(b.rc, 0) << b.err;
        // 16 MiB: 4096 pages -> 8 PTs, 1 PD, 1 PDPT, 1 PML4, then the APIC page's PD and PT and
        // the device page's PT, below the 64 KiB stack.
        uint64_t pages = size / 4096, pts = (pages + 511) / 512;
        EXPECT_EQ(b.img.tables, size - PM_STACK_SIZE - (pts + 1 + 1 + 1 + 3) * 4096) << size;
        EXPECT_EQ(b.img.cr3, b.img.tables + (pts + 2) * 4096);
        EXPECT_EQ(walk(b.mem, b.img.cr3, 0), ~0ull) << "page 0 is not mapped";
        EXPECT_EQ(walk(b.mem, b.img.cr3, 0xFFF), ~0ull);
        for (uint64_t va = 0x1000; va < size; va += 0x1000)
            ASSERT_EQ(walk(b.mem, b.img.cr3, va + 0x123), va + 0x123) << std::hex << va;
        EXPECT_EQ(walk(b.mem, b.img.cr3, size), ~0ull) << "nothing past the memory";
        // the local APIC page (SDM Vol. 3 11.4.1), identity, and nothing around it
        EXPECT_EQ(walk(b.mem, b.img.cr3, 0xFEE00000ull + 0xB0), 0xFEE000B0ull);
        EXPECT_EQ(walk(b.mem, b.img.cr3, 0xFEE01000ull), ~0ull);
        EXPECT_EQ(walk(b.mem, b.img.cr3, 0xFEDFF000ull), ~0ull);
        EXPECT_EQ(walk(b.mem, b.img.cr3, 0xBEE00000ull), ~0ull);
        EXPECT_EQ(walk(b.mem, b.img.cr3, 1ull << 39), ~0ull);
        // the device page the root emulates (mmio_emul.h), identity, and nothing around it
        EXPECT_EQ(walk(b.mem, b.img.cr3, 0xF0000000ull + 0x10), 0xF0000010ull);
        EXPECT_EQ(walk(b.mem, b.img.cr3, 0xF0001000ull), ~0ull);
        EXPECT_EQ(walk(b.mem, b.img.cr3, 0xEFFFF000ull), ~0ull);
    }
}

TEST(PmImage, GdtAndTss)
{
    Built b = build(4 * MiB, child_elf());
    ASSERT_EQ(b.rc, 0) << b.err;
    // 64-bit code (SDM Vol. 3 3.4.5 / 5.2.1): type 1011b, S, DPL 0, P, L = 1, D = 0.
    uint64_t code = rd64(b.mem, PM_GDT_GPA + PM_SEL_CODE);
    EXPECT_EQ((code >> 40) & 0xF, 0xBu);
    EXPECT_EQ((code >> 44) & 1, 1u);
    EXPECT_EQ((code >> 47) & 1, 1u);
    EXPECT_EQ((code >> 53) & 1, 1u);
    EXPECT_EQ((code >> 54) & 1, 0u);
    uint64_t data = rd64(b.mem, PM_GDT_GPA + PM_SEL_DATA);
    EXPECT_EQ((data >> 40) & 0xF, 0x3u);
    EXPECT_EQ((data >> 47) & 1, 1u);
    // 64-bit TSS descriptor (7.2.3): base 0x1800 split over bits 39:16 and 63:56, limit 0x67,
    // type 1011b (busy), P; the upper 8 bytes hold base 63:32 = 0.
    uint64_t lo = rd64(b.mem, PM_GDT_GPA + PM_SEL_TSS), hi = rd64(b.mem, PM_GDT_GPA + PM_SEL_TSS + 8);
    EXPECT_EQ(lo & 0xFFFF, 0x67u);
    EXPECT_EQ(((lo >> 16) & 0xFFFFFF) | ((lo >> 56) << 24), PM_TSS_GPA);
    EXPECT_EQ((lo >> 40) & 0xFF, 0x8Bu);
    EXPECT_EQ(hi, 0u);
    EXPECT_EQ(b.mem[PM_TSS_GPA + 0x66], 0x68);   // I/O map base past the limit
}

TEST(PmImage, Registers)
{
    Built b = build(16 * MiB, child_elf());
    ASSERT_EQ(b.rc, 0) << b.err;
    hv_register_assoc r[PM_NREGS];
    pm_image_registers(&b.img, 0, r);
    auto find = [&](uint32_t name) -> const hv_register_assoc * {
        for (auto &x : r)
            if (x.name == name)
                return &x;
        ADD_FAILURE() << "register " << std::hex << name << " not set";
        return &r[0];
    };
    EXPECT_EQ(find(HV_X64_REGISTER_RIP)->value.reg64, MiB + 2);
    EXPECT_EQ(find(HV_X64_REGISTER_RSP)->value.reg64, 16 * MiB);
    EXPECT_EQ(find(HV_X64_REGISTER_RDI)->value.reg64, PM_CMDLINE_GPA);
    EXPECT_EQ(find(HV_X64_REGISTER_RSI)->value.reg64, 0u);             // VP index
    EXPECT_EQ(find(HV_X64_REGISTER_RFLAGS)->value.reg64, 2u);
    EXPECT_EQ(find(HV_X64_REGISTER_CR0)->value.reg64, 0x80010033u);   // PG WP NE ET MP PE
    EXPECT_EQ(find(HV_X64_REGISTER_CR3)->value.reg64, b.img.cr3);
    EXPECT_EQ(find(HV_X64_REGISTER_CR4)->value.reg64, 0x20u);         // PAE
    EXPECT_EQ(find(HV_X64_REGISTER_EFER)->value.reg64, 0x500u);       // LMA LME
    EXPECT_EQ(find(HV_X64_REGISTER_PAT)->value.reg64, 0x0007040600070406ull);
    const hv_x64_segment_register &cs = find(HV_X64_REGISTER_CS)->value.segment;
    EXPECT_EQ(cs.selector, PM_SEL_CODE);
    EXPECT_EQ(cs.attributes, 0xA09B);   // G L P S type B
    const hv_x64_segment_register &ss = find(HV_X64_REGISTER_SS)->value.segment;
    EXPECT_EQ(ss.selector, PM_SEL_DATA);
    EXPECT_EQ(ss.attributes, 0xC093);
    EXPECT_EQ(ss.limit, 0xFFFFFFFFu);
    const hv_x64_segment_register &tr = find(HV_X64_REGISTER_TR)->value.segment;
    EXPECT_EQ(tr.selector, PM_SEL_TSS);
    EXPECT_EQ(tr.base, PM_TSS_GPA);
    EXPECT_EQ(tr.limit, 0x67u);
    EXPECT_EQ(tr.attributes, 0x8B);
    EXPECT_EQ(find(HV_X64_REGISTER_GDTR)->value.table.base, PM_GDT_GPA);
    EXPECT_EQ(find(HV_X64_REGISTER_GDTR)->value.table.limit, 0x27);
    // Every name once.
    for (unsigned i = 0; i < PM_NREGS; i++)
        for (unsigned j = 0; j < i; j++)
            EXPECT_NE(r[i].name, r[j].name);
    hv_initial_vp_context c;
    pm_image_initial_context(&b.img, 0, &c);
    EXPECT_EQ(c.rip, MiB + 2);
    EXPECT_EQ(c.cr3, b.img.cr3);
    EXPECT_EQ(c.cs.attributes, 0xA09B);
}

TEST(PmImage, Refusals)
{
    EXPECT_EQ(build(16 * MiB, { 1, 2, 3 }).err.rfind("image: ", 0), 0u);
    // a segment over the page tables, one in the low pages, one past the end
    Built b = build(2 * MiB, child_elf(MiB, MiB));
    EXPECT_EQ(b.rc, -1);
    EXPECT_NE(b.err.find("segment 0 [0x100000, +0x100000) is outside the child's free memory"),
              std::string::npos)
        << b.err;
    EXPECT_EQ(build(16 * MiB, child_elf(0x2000, 0x1000)).rc, -1);
    EXPECT_EQ(build(16 * MiB, child_elf(32 * MiB, 0x1000)).rc, -1);
    EXPECT_EQ(build(16 * MiB, child_elf(~0ull - 0xFFF, 0x1000)).rc, -1);
    // vaddr != paddr
    Seg s{ MiB, 0xFFFFFFFF80100000ull, { 0x90 }, 0x1000 };
    b = build(16 * MiB, make_elf64({ s }, 0xFFFFFFFF80100000ull));
    EXPECT_EQ(b.rc, -1);
    // memory too small, not whole pages; a command line too long
    EXPECT_EQ(build(64 * 1024, child_elf()).rc, -1);
    EXPECT_EQ(build(16 * MiB + 1, child_elf()).rc, -1);
    std::string longcmd(PM_CMDLINE_MAX, 'x');
    EXPECT_EQ(build(16 * MiB, child_elf(), longcmd.c_str()).rc, -1);
    // a refused image leaves the memory untouched
    b = build(2 * MiB, child_elf(MiB, MiB));
    EXPECT_EQ(b.mem[0], 0xAB);
}

TEST(PmImage, StacksPerVp)
{
    // 3 VPs: VP k's stack is [size - (k + 1) * 64 KiB, size - k * 64 KiB), the tables below
    Built b = build(16 * MiB, child_elf(), "name=c1", 3);
    ASSERT_EQ(b.rc, 0) << b.err;
    EXPECT_EQ(b.img.vps, 3u);
    uint64_t pts = (16 * MiB / 4096 + 511) / 512;
    EXPECT_EQ(b.img.tables, 16 * MiB - 3 * PM_STACK_SIZE - (pts + 1 + 1 + 1 + 3) * 4096);
    for (uint32_t k = 0; k < 3; k++) {
        hv_initial_vp_context c;
        pm_image_initial_context(&b.img, k, &c);
        EXPECT_EQ(c.rsp, 16 * MiB - k * PM_STACK_SIZE) << k;
        EXPECT_EQ(c.rip, MiB + 2);
        EXPECT_EQ(c.cr3, b.img.cr3);
        hv_register_assoc r[PM_NREGS];
        pm_image_registers(&b.img, k, r);
        unsigned seen = 0;
        for (auto &x : r) {
            if (x.name == HV_X64_REGISTER_RSP) {
                seen++;
                EXPECT_EQ(x.value.reg64, 16 * MiB - k * PM_STACK_SIZE);
            } else if (x.name == HV_X64_REGISTER_RSI) {
                seen++;
                EXPECT_EQ(x.value.reg64, k);
            } else if (x.name == HV_X64_REGISTER_RDI) {
                seen++;
                EXPECT_EQ(x.value.reg64, PM_CMDLINE_GPA);
            }
        }
        EXPECT_EQ(seen, 3u);
    }
    for (uint64_t a = 16 * MiB - 3 * PM_STACK_SIZE; a < 16 * MiB; a++)
        ASSERT_EQ(b.mem[a], 0) << "stacks are zeroed";
    // the APIC page's PTE: P, RW, supervisor (U/S = 0), PWT, PCD (SDM Vol. 3 4.5, Table 4-19)
    uint64_t e = b.img.cr3;
    for (int level = 3; level > 0; level--)
        e = rd64(b.mem, (e & ~0xFFFull) + ((0xFEE00000ull >> (12 + 9 * level)) & 511) * 8);
    uint64_t pte = rd64(b.mem, (e & 0x000FFFFFFFFFF000ull) + ((0xFEE00000ull >> 12) & 511) * 8);
    EXPECT_EQ(pte, 0xFEE00000ull | 0x1 | 0x2 | 0x8 | 0x10);
    // the device page's PTE: the same bits (uncacheable: every access reaches the device)
    e = b.img.cr3;
    for (int level = 3; level > 0; level--)
        e = rd64(b.mem, (e & ~0xFFFull) + ((0xF0000000ull >> (12 + 9 * level)) & 511) * 8);
    pte = rd64(b.mem, (e & 0x000FFFFFFFFFF000ull) + ((0xF0000000ull >> 12) & 511) * 8);
    EXPECT_EQ(pte, 0xF0000000ull | 0x1 | 0x2 | 0x8 | 0x10);
    // VP counts outside 1..16 and memory without room for the stacks are refused
    EXPECT_EQ(build(16 * MiB, child_elf(), "x", 0).rc, -1);
    EXPECT_EQ(build(16 * MiB, child_elf(), "x", 17).rc, -1);
    EXPECT_EQ(build(1 * MiB, child_elf(0x3000, 0x1000), "x", 16).rc, -1);
    EXPECT_EQ(build(1 * MiB, child_elf(0x3000, 0x1000), "x", 8).rc, 0);
}
