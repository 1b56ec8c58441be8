// test_krt.cc — host tests of the target runtime's formatter (krt/printf.c) and ELF64 validator
// (krt/elf64.c). Expected strings are what C99 7.19.6.1 specifies for the same conversion (the
// formatter implements a subset of it); ELF images are built byte by byte from the ELF-64 Object
// File Format 1.5 layouts (Elf64_Ehdr 64 bytes, Elf64_Phdr 56 bytes).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "krt/krt.h"
}

namespace {

std::string fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char *f, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, f);
    int n = krt_vsnprintf(buf, sizeof buf, f, ap);
    va_end(ap);
    EXPECT_EQ((size_t)n, strlen(buf));
    return buf;
}

// The same without the compiler's format check, for inputs it rightly warns about.
std::string fmt_unchecked(const char *f, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, f);
    krt_vsnprintf(buf, sizeof buf, f, ap);
    va_end(ap);
    return buf;
}

TEST(KrtPrintf, Conversions)
{
    EXPECT_EQ(fmt("a%cb", 'x'), "axb");
    EXPECT_EQ(fmt_unchecked("%s|%s", "hi", (const char *)nullptr), "hi|(null)");
    EXPECT_EQ(fmt("%d %i %d", 0, -42, 2147483647), "0 -42 2147483647");
    EXPECT_EQ(fmt("%d", (int)0x80000000), "-2147483648");
    EXPECT_EQ(fmt("%u", 4294967295u), "4294967295");
    EXPECT_EQ(fmt("%x %X", 0xdeadbeefu, 0xabcu), "deadbeef ABC");
    EXPECT_EQ(fmt("%lld", (long long)INT64_MIN), "-9223372036854775808");
    EXPECT_EQ(fmt("%llu", (unsigned long long)UINT64_MAX), "18446744073709551615");
    EXPECT_EQ(fmt("%lx", 0x123456789abcdef0ul), "123456789abcdef0");
    EXPECT_EQ(fmt("%zu %zx", (size_t)12345, (size_t)0xfff), "12345 fff");
    EXPECT_EQ(fmt("%hhu %hx", 0x1ff, 0x12345), "255 2345");
    EXPECT_EQ(fmt("%p", (void *)0x1000), "0x0000000000001000");
    EXPECT_EQ(fmt("100%%"), "100%");
}

TEST(KrtPrintf, WidthAndFlags)
{
    EXPECT_EQ(fmt("[%5d]", 42), "[   42]");
    EXPECT_EQ(fmt("[%-5d]", 42), "[42   ]");
    EXPECT_EQ(fmt("[%05d]", -42), "[-0042]");
    EXPECT_EQ(fmt("[%08x]", 0xbeefu), "[0000beef]");
    // '-' overrides '0' (C99 7.19.6.1p6)
    EXPECT_EQ(fmt_unchecked("[%-08x]", 0xbeefu), "[beef    ]");
    EXPECT_EQ(fmt("[%4s]", "ab"), "[  ab]");
    EXPECT_EQ(fmt("[%-4s]", "ab"), "[ab  ]");
    EXPECT_EQ(fmt("[%*d]", 4, 7), "[   7]");
    EXPECT_EQ(fmt("[%*d]", -4, 7), "[7   ]");
    EXPECT_EQ(fmt("[%2d]", 12345), "[12345]");      // width is a minimum
    EXPECT_EQ(fmt("[%3c]", 'z'), "[  z]");
}

TEST(KrtPrintf, AlternateFormSignAndPrecision)
{
    EXPECT_EQ(fmt("%#x %#X %#x", 0x1fu, 0xabu, 0u), "0x1f 0XAB 0");   // no prefix for 0
    EXPECT_EQ(fmt("%#lx", 0xffffffff00ul), "0xffffffff00");
    EXPECT_EQ(fmt("[%#8x]", 0x1fu), "[    0x1f]");
    EXPECT_EQ(fmt("[%#08x]", 0x1fu), "[0x00001f]");                 // zeros after the prefix
    EXPECT_EQ(fmt("%+d %+d % d", 5, -5, 5), "+5 -5  5");
    EXPECT_EQ(fmt("[%.3d] [%.0d] [%5.3u]", 7, 0, 42u), "[007] [] [  042]");
    // '0' is ignored with a precision
    EXPECT_EQ(fmt_unchecked("[%08.3x]", 0xau), "[     00a]");
    EXPECT_EQ(fmt("[%.2s] [%.*s] [%-4.1s]", "abc", 1, "xyz", "qq"), "[ab] [x] [q   ]");
}

TEST(KrtPrintf, TruncationAndReturnValue)
{
    char buf[8];
    memset(buf, 'X', sizeof buf);
    EXPECT_EQ(krt_snprintf(buf, 5, "%s", "abcdefgh"), 8);
    EXPECT_STREQ(buf, "abcd");
    EXPECT_EQ(buf[5], 'X');                         // nothing past size
    EXPECT_EQ(krt_snprintf(buf, 1, "%d", 123), 3);
    EXPECT_STREQ(buf, "");
    buf[0] = 'Q';
    EXPECT_EQ(krt_snprintf(buf, 0, "abc"), 3);      // size 0: nothing written
    EXPECT_EQ(buf[0], 'Q');
}

TEST(KrtPrintf, UnknownConversionIsPrinted)
{
    EXPECT_EQ(fmt_unchecked("%q|%"), "%q|%");
}

// ---------------------------------------------------------------- ELF64

void put16(std::vector<uint8_t> &v, size_t off, uint16_t x)
{
    for (int i = 0; i < 2; i++) v[off + i] = (uint8_t)(x >> (8 * i));
}
void put32(std::vector<uint8_t> &v, size_t off, uint32_t x)
{
    for (int i = 0; i < 4; i++) v[off + i] = (uint8_t)(x >> (8 * i));
}
void put64(std::vector<uint8_t> &v, size_t off, uint64_t x)
{
    for (int i = 0; i < 8; i++) v[off + i] = (uint8_t)(x >> (8 * i));
}

struct Seg { uint32_t type; uint64_t off, vaddr, paddr, filesz, memsz; uint32_t flags; };

// An ELF64 x86-64 ET_EXEC with the program headers at 64 and `size` bytes in all.
std::vector<uint8_t> make_elf(const std::vector<Seg> &segs, uint64_t entry, size_t size)
{
    std::vector<uint8_t> v(size, 0);
    v[0] = 0x7f; v[1] = 'E'; v[2] = 'L'; v[3] = 'F';
    v[4] = 2; v[5] = 1; v[6] = 1;
    put16(v, 16, 2);            // ET_EXEC
    put16(v, 18, 62);           // EM_X86_64
    put32(v, 20, 1);
    put64(v, 24, entry);
    put64(v, 32, 64);           // e_phoff
    put16(v, 52, 64);           // e_ehsize
    put16(v, 54, 56);
    put16(v, 56, (uint16_t)segs.size());
    for (size_t i = 0; i < segs.size(); i++) {
        size_t p = 64 + 56 * i;
        put32(v, p, segs[i].type);
        put32(v, p + 4, segs[i].flags);
        put64(v, p + 8, segs[i].off);
        put64(v, p + 16, segs[i].vaddr);
        put64(v, p + 24, segs[i].paddr);
        put64(v, p + 32, segs[i].filesz);
        put64(v, p + 40, segs[i].memsz);
        put64(v, p + 48, 0x1000);
    }
    return v;
}

int open_elf(const std::vector<uint8_t> &v, struct krt_elf64 *e, std::string *msg)
{
    char err[160];
    int r = krt_elf64_open(e, v.data(), v.size(), err, sizeof err);
    *msg = err;
    return r;
}

TEST(KrtElf64, ValidImageIteratesLoadSegments)
{
    // a PT_NOTE between two PT_LOADs; entry in the second, higher-half virtual address
    auto v = make_elf({ { 1, 0x200, 0x100000, 0x100000, 0x80, 0x1000, 5 },
                        { 4, 0x280, 0, 0, 0x10, 0x10, 4 },
                        { 1, 0x300, 0xC0200000, 0x200000, 0x100, 0x2000, 6 } },
                      0xC0200010, 0x400);
    struct krt_elf64 e;
    std::string msg;
    ASSERT_EQ(open_elf(v, &e, &msg), KRT_ELF_OK) << msg;
    EXPECT_EQ(msg, "");
    EXPECT_EQ(e.entry, 0xC0200010u);
    EXPECT_EQ(e.entry_paddr, 0x200010u);
    EXPECT_EQ(e.nload, 2);
    unsigned cur = 0;
    struct krt_elf64_seg s;
    ASSERT_EQ(krt_elf64_next_load(&e, &cur, &s), 1);
    EXPECT_EQ(s.offset, 0x200u);
    EXPECT_EQ(s.paddr, 0x100000u);
    EXPECT_EQ(s.filesz, 0x80u);
    EXPECT_EQ(s.memsz, 0x1000u);
    EXPECT_EQ(s.flags, KRT_ELF_PF_R | KRT_ELF_PF_X);
    ASSERT_EQ(krt_elf64_next_load(&e, &cur, &s), 1);
    EXPECT_EQ(s.vaddr, 0xC0200000u);
    EXPECT_EQ(s.flags, KRT_ELF_PF_R | KRT_ELF_PF_W);
    EXPECT_EQ(krt_elf64_next_load(&e, &cur, &s), 0);
    EXPECT_EQ(krt_elf64_next_load(&e, &cur, &s), 0);
}

TEST(KrtElf64, HeaderErrors)
{
    const Seg ok = { 1, 0x100, 0x100000, 0x100000, 0x10, 0x10, 5 };
    struct krt_elf64 e;
    std::string msg;
    auto base = make_elf({ ok }, 0x100000, 0x200);

    std::vector<uint8_t> shortv(base.begin(), base.begin() + 63);
    EXPECT_EQ(open_elf(shortv, &e, &msg), KRT_ELF_TRUNCATED);
    EXPECT_NE(msg.find("truncated"), std::string::npos);

    auto v = base; v[1] = 'X';
    EXPECT_EQ(open_elf(v, &e, &msg), KRT_ELF_MAGIC);
    EXPECT_EQ(msg, "not an ELF file (no \\177ELF magic)");
    v = base; v[4] = 1;
    EXPECT_EQ(open_elf(v, &e, &msg), KRT_ELF_CLASS);
    v = base; v[5] = 2;
    EXPECT_EQ(open_elf(v, &e, &msg), KRT_ELF_DATA);
    v = base; put32(v, 20, 2);
    EXPECT_EQ(open_elf(v, &e, &msg), KRT_ELF_VERSION);
    v = base; put16(v, 16, 3);      // ET_DYN
    EXPECT_EQ(open_elf(v, &e, &msg), KRT_ELF_TYPE);
    EXPECT_EQ(msg, "ELF type 3, not a static executable (ET_EXEC)");
    v = base; put16(v, 18, 3);      // EM_386
    EXPECT_EQ(open_elf(v, &e, &msg), KRT_ELF_MACHINE);
    v = base; put16(v, 54, 32);
    EXPECT_EQ(open_elf(v, &e, &msg), KRT_ELF_PHDR);
    v = base; put16(v, 56, 0);
    EXPECT_EQ(open_elf(v, &e, &msg), KRT_ELF_NO_LOAD);
}

TEST(KrtElf64, ProgramHeaderTableBounds)
{
    struct krt_elf64 e;
    std::string msg;
    // 3 headers need [64, 232): a 200-byte file is too short
    auto v = make_elf({ { 1, 0, 0x100000, 0x100000, 0x10, 0x10, 5 },
                        { 4, 0, 0, 0, 0, 0, 0 }, { 4, 0, 0, 0, 0, 0, 0 } }, 0x100000, 232);
    EXPECT_EQ(open_elf(v, &e, &msg), KRT_ELF_OK) << msg;
    v.resize(231);
    EXPECT_EQ(open_elf(v, &e, &msg), KRT_ELF_PHDR);
    // e_phoff near 2^64: the sum would wrap
    v = make_elf({ { 1, 0, 0x100000, 0x100000, 0x10, 0x10, 5 } }, 0x100000, 0x200);
    put64(v, 32, UINT64_MAX - 8);
    EXPECT_EQ(open_elf(v, &e, &msg), KRT_ELF_PHDR);
}

TEST(KrtElf64, SegmentErrors)
{
    struct krt_elf64 e;
    std::string msg;
    // file bytes [0x100, 0x200) in a 0x200-byte file: exactly fits
    auto v = make_elf({ { 1, 0x100, 0x100000, 0x100000, 0x100, 0x100, 5 } }, 0x100000, 0x200);
    EXPECT_EQ(open_elf(v, &e, &msg), KRT_ELF_OK) << msg;
    // one byte more does not
    v = make_elf({ { 1, 0x100, 0x100000, 0x100000, 0x101, 0x101, 5 } }, 0x100000, 0x200);
    EXPECT_EQ(open_elf(v, &e, &msg), KRT_ELF_SEGMENT);
    EXPECT_EQ(msg, "truncated: segment 0 needs file bytes [0x100, +0x101) but the file has 0x200 "
                   "bytes");
    // offset + filesz wraps around
    v = make_elf({ { 1, UINT64_MAX - 0xF, 0x100000, 0x100000, 0x20, 0x20, 5 } }, 0x100000, 0x200);
    EXPECT_EQ(open_elf(v, &e, &msg), KRT_ELF_SEGMENT);
    // filesz > memsz
    v = make_elf({ { 1, 0x100, 0x100000, 0x100000, 0x20, 0x10, 5 } }, 0x100000, 0x200);
    EXPECT_EQ(open_elf(v, &e, &msg), KRT_ELF_SEGMENT);
    // paddr + memsz wraps
    v = make_elf({ { 1, 0x100, 0x100000, UINT64_MAX - 0xF, 0x10, 0x20, 5 } }, 0x100000, 0x200);
    EXPECT_EQ(open_elf(v, &e, &msg), KRT_ELF_SEGMENT);
    // only a PT_NOTE
    v = make_elf({ { 4, 0x100, 0, 0, 0x10, 0x10, 4 } }, 0x100000, 0x200);
    EXPECT_EQ(open_elf(v, &e, &msg), KRT_ELF_NO_LOAD);
    // entry one past the segment's memory
    v = make_elf({ { 1, 0x100, 0x100000, 0x100000, 0x10, 0x20, 5 } }, 0x100020, 0x200);
    EXPECT_EQ(open_elf(v, &e, &msg), KRT_ELF_ENTRY);
    v = make_elf({ { 1, 0x100, 0x100000, 0x100000, 0x10, 0x20, 5 } }, 0x10001F, 0x200);
    EXPECT_EQ(open_elf(v, &e, &msg), KRT_ELF_OK) << msg;
}

TEST(KrtElf64, ErrorMessageIsTruncatedToTheBuffer)
{
    std::vector<uint8_t> v(16, 0);
    struct krt_elf64 e;
    char err[8];
    memset(err, 'X', sizeof err);
    EXPECT_EQ(krt_elf64_open(&e, v.data(), v.size(), err, 6), KRT_ELF_TRUNCATED);
    EXPECT_STREQ(err, "trunc");
    EXPECT_EQ(err[6], 'X');
}

}  // namespace

// krt_parse_u64 (krt/num.c): decimal or 0x hex, the first non-digit ends it, overflow refused.
TEST(KrtNum, DecimalHexEndAndOverflow)
{
    const char *end;
    uint64_t v;
    EXPECT_EQ(krt_parse_u64("16M", &end, &v), 0);
    EXPECT_EQ(v, 16u);
    EXPECT_STREQ(end, "M");
    EXPECT_EQ(krt_parse_u64("0x1fF rest", &end, &v), 0);
    EXPECT_EQ(v, 0x1ffu);
    EXPECT_STREQ(end, " rest");
    EXPECT_EQ(krt_parse_u64("18446744073709551615", &end, &v), 0);   // 2^64 - 1
    EXPECT_EQ(v, UINT64_MAX);
    EXPECT_EQ(*end, '\0');
    EXPECT_EQ(krt_parse_u64("18446744073709551616", &end, &v), -1);  // 2^64
    EXPECT_EQ(krt_parse_u64("0x10000000000000000", &end, &v), -1);
    EXPECT_EQ(krt_parse_u64("", &end, &v), -1);                      // no digit
    EXPECT_EQ(krt_parse_u64("0x", &end, &v), -1);
    EXPECT_EQ(krt_parse_u64("x12", &end, &v), -1);
    EXPECT_EQ(krt_parse_u64("12ab", &end, &v), 0);                   // decimal stops at 'a'
    EXPECT_EQ(v, 12u);
    EXPECT_STREQ(end, "ab");
}
