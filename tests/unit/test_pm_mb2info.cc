// test_pm_mb2info.cc — the root kernel's Multiboot2 information reader
// (partitions/root/mb2info.c) over hand-built information blocks (Multiboot2 1.6 3.6: 8-byte
// aligned tags {u32 type, u32 size}; 1 command line, 3 module {start, end, string}, 6 memory
// map {entry_size, entry_version, entries of base, length, type, reserved}, 0 end).
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "partitions/root/mb2info.h"
}

namespace {

struct Info {
    std::vector<uint8_t> b = std::vector<uint8_t>(8, 0);
    void u32(uint32_t v) { b.insert(b.end(), (uint8_t *)&v, (uint8_t *)&v + 4); }
    void u64(uint64_t v) { b.insert(b.end(), (uint8_t *)&v, (uint8_t *)&v + 8); }
    void str(const std::string &s) { b.insert(b.end(), s.begin(), s.end()); b.push_back(0); }
    void pad() { while (b.size() % 8) b.push_back(0); }
    void tag_begin(uint32_t type) { start = b.size(); u32(type); u32(0); }
    void tag_end() { uint32_t sz = (uint32_t)(b.size() - start); memcpy(&b[start + 4], &sz, 4); pad(); }
    std::vector<uint8_t> done()
    {
        tag_begin(0);
        tag_end();
        uint32_t total = (uint32_t)b.size();
        memcpy(&b[0], &total, 4);
        return b;
    }
    size_t start = 0;
};

}  // namespace

TEST(PmMb2info, Tags)
{
    Info i;
    i.tag_begin(1); i.str("pool=8M"); i.tag_end();
    i.tag_begin(3); i.u32(0x200000); i.u32(0x201234); i.str("child.elf x"); i.tag_end();
    i.tag_begin(2); i.str("loader"); i.tag_end();                    // ignored
    i.tag_begin(3); i.u32(0x202000); i.u32(0x202000); i.str(""); i.tag_end();
    i.tag_begin(6); i.u32(24); i.u32(0);
    i.u64(0); i.u64(0x9FC00); i.u32(1); i.u32(0);
    i.u64(0x100000); i.u64(0x7F00000); i.u32(1); i.u32(0);
    i.u64(0xFFFC0000); i.u64(0x40000); i.u32(2); i.u32(0);
    i.tag_end();
    std::vector<uint8_t> b = i.done();
    mb2_info m;
    char err[96] = "";
    ASSERT_EQ(mb2_parse(b.data(), &m, err, sizeof err), 0) << err;
    EXPECT_EQ(m.total_size, b.size());
    EXPECT_STREQ(m.cmdline, "pool=8M");
    ASSERT_EQ(m.nmodules, 2u);
    EXPECT_EQ(m.modules[0].start, 0x200000u);
    EXPECT_EQ(m.modules[0].end, 0x201234u);
    EXPECT_STREQ(m.modules[0].string, "child.elf x");
    EXPECT_STREQ(m.modules[1].string, "");
    ASSERT_EQ(m.nmmap, 3u);
    EXPECT_EQ(m.mmap[1].base, 0x100000u);
    EXPECT_EQ(m.mmap[1].length, 0x7F00000u);
    EXPECT_EQ(m.mmap[2].type, 2u);
    EXPECT_EQ(m.dropped, 0u);
}

TEST(PmMb2info, Malformed)
{
    mb2_info m;
    char err[96];
    Info i;
    i.tag_begin(1); i.str("x"); i.tag_end();
    std::vector<uint8_t> b = i.done();
    // a tag whose size runs past total_size
    std::vector<uint8_t> t = b;
    uint32_t big = 0x100;
    memcpy(&t[12], &big, 4);
    EXPECT_EQ(mb2_parse(t.data(), &m, err, sizeof err), -1);
    EXPECT_STREQ(err, "multiboot2: tag 1 at +8: size 256 does not fit");
    // no end tag: total_size stops before it
    t = b;
    uint32_t total = (uint32_t)b.size() - 8;
    memcpy(&t[0], &total, 4);
    EXPECT_EQ(mb2_parse(t.data(), &m, err, sizeof err), -1);
    EXPECT_STREQ(err, "multiboot2: no end tag");
    // total_size out of range
    t = b;
    total = 8;
    memcpy(&t[0], &total, 4);
    EXPECT_EQ(mb2_parse(t.data(), &m, err, sizeof err), -1);
    // a command line without its NUL inside the tag is not used
    Info j;
    j.tag_begin(1); j.b.push_back('a'); j.tag_end();
    t = j.done();
    // the tag is "type 1, size 9, 'a'" padded: its string has no NUL within size - 8 = 1 byte
    ASSERT_EQ(mb2_parse(t.data(), &m, err, sizeof err), 0) << err;
    EXPECT_STREQ(m.cmdline, "");
    // a memory map entry size below 24
    Info k;
    k.tag_begin(6); k.u32(16); k.u32(0); k.u64(0); k.u64(0); k.tag_end();
    t = k.done();
    EXPECT_EQ(mb2_parse(t.data(), &m, err, sizeof err), -1);
    EXPECT_STREQ(err, "multiboot2: memory map entry size 16");
}

TEST(PmMb2info, TooManyModules)
{
    Info i;
    for (int n = 0; n < MB2_MAX_MODULES + 3; n++) {
        i.tag_begin(3); i.u32(0x200000); i.u32(0x201000); i.str("m"); i.tag_end();
    }
    std::vector<uint8_t> b = i.done();
    mb2_info m;
    char err[96];
    ASSERT_EQ(mb2_parse(b.data(), &m, err, sizeof err), 0);
    EXPECT_EQ(m.nmodules, (uint32_t)MB2_MAX_MODULES);
    EXPECT_EQ(m.dropped, 3u);
}
