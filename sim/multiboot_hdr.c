/* multiboot_hdr.c — find and validate the Multiboot header of a kernel image (see multiboot.h).
 *
 * v1: Multiboot Specification 0.6.96, 3.1 (magic, flags, checksum; 4-aligned within 8192 bytes).
 * v2: Multiboot2 Specification 2.0, 3.1 (magic, architecture, header_length, checksum, tags;
 *     8-aligned within 32768 bytes).
 *
 * Invariant: every read is bounds-checked against the image size first (the image is untrusted);
 * the scan reports the most specific problem it saw (bad checksum, truncated header, header past
 * the search window) when no valid header exists.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "sim/multiboot.h"
#include "sim/loaderr.h"

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

/* What a scan found when it found no valid header: the first problem of the highest rank. */
enum scan_problem { P_NONE, P_BEYOND, P_TRUNCATED, P_CHECKSUM };

struct scan {
    enum scan_problem p;
    uint32_t off;
    uint32_t sum;            /* P_CHECKSUM: the wrong sum */
};

static void note(struct scan *s, enum scan_problem p, uint32_t off, uint32_t sum)
{
    if (p > s->p) {
        s->p = p;
        s->off = off;
        s->sum = sum;
    }
}

static int report(const struct scan *s, int version, const char *name, char *err, size_t errlen)
{
    unsigned win = version == 1 ? MB1_SEARCH : MB2_SEARCH;
    switch (s->p) {
    case P_CHECKSUM:
        return load_error(err, errlen, name, "Multiboot%s header at offset 0x%x has a bad checksum "
                    "(the header words sum to 0x%08x, not 0)", version == 1 ? "" : "2", s->off,
                    s->sum);
    case P_TRUNCATED:
        return load_error(err, errlen, name, "truncated: the Multiboot%s header at offset 0x%x runs "
                    "past the end of the file", version == 1 ? "" : "2", s->off);
    case P_BEYOND:
        return load_error(err, errlen, name, "Multiboot%s header at offset 0x%x is beyond the search "
                    "window: it must lie completely within the first %u bytes",
                    version == 1 ? "" : "2", s->off, win);
    case P_NONE:
        break;
    }
    return load_error(err, errlen, name, "no Multiboot%s header (magic 0x%08X, %u-aligned, in the first "
                "%u bytes)", version == 1 ? "" : "2", version == 1 ? MB1_HEADER_MAGIC :
                MB2_HEADER_MAGIC, version == 1 ? MB1_ALIGN : MB2_ALIGN, win);
}

/* ---- v1 ------------------------------------------------------------------------------------ */

/* Flags hvsim satisfies among the required bits 0-15 (3.1.2): modules are always page-aligned,
 * memory information is always given; a video mode request is accepted without a framebuffer
 * (no info flag 11/12 is set), as QEMU does. */
#define MB1_SUPPORTED (MB1_PAGE_ALIGN | MB1_MEMORY_INFO | MB1_VIDEO_MODE)

static int scan_v1(const uint8_t *d, size_t size, struct scan *s)
{
    for (size_t off = 0; off + 4 <= size; off += MB1_ALIGN) {
        if (rd32(d + off) != MB1_HEADER_MAGIC)
            continue;
        if (off + MB1_HEADER_MIN_SIZE > MB1_SEARCH) {
            note(s, P_BEYOND, (uint32_t)(off < UINT32_MAX ? off : UINT32_MAX), 0);
            break;     /* later hits are further out still */
        }
        if (off + MB1_HEADER_MIN_SIZE > size) {
            note(s, P_TRUNCATED, (uint32_t)off, 0);
            continue;
        }
        uint32_t sum = rd32(d + off) + rd32(d + off + 4) + rd32(d + off + 8);
        if (sum != 0) {
            note(s, P_CHECKSUM, (uint32_t)off, sum);
            continue;
        }
        return (int)off;
    }
    return -1;
}

static int parse_v1(const uint8_t *d, size_t size, uint32_t off, const char *name,
                    struct mb_header *h, char *err, size_t errlen)
{
    h->version = 1;
    h->offset = off;
    h->flags = rd32(d + off + 4);
    h->length = MB1_HEADER_MIN_SIZE;
    uint32_t unknown = h->flags & MB1_REQUIRED_MASK & ~MB1_SUPPORTED;
    if (unknown)
        return load_error(err, errlen, name, "Multiboot header requires features hvsim does not "
                    "provide (flag bits 0x%04x in flags 0x%08x)", unknown, h->flags);
    if (h->flags & MB1_AOUT_KLUDGE) {
        h->has_address = 1;
        h->length = 32;
        if (off + h->length > size)
            return load_error(err, errlen, name, "truncated: the Multiboot header at offset 0x%x has "
                        "flag 16 (address fields) but the file ends before them", off);
        h->entry = rd32(d + off + 28);
    }
    if (h->flags & MB1_VIDEO_MODE)
        h->length = 48;
    return 0;
}

/* ---- v2 ------------------------------------------------------------------------------------ */

static int scan_v2(const uint8_t *d, size_t size, struct scan *s)
{
    for (size_t off = 0; off + 4 <= size; off += MB2_ALIGN) {
        if (rd32(d + off) != MB2_HEADER_MAGIC)
            continue;
        if (off + sizeof(struct mb2_header) > MB2_SEARCH) {
            note(s, P_BEYOND, (uint32_t)(off < UINT32_MAX ? off : UINT32_MAX), 0);
            break;
        }
        if (off + sizeof(struct mb2_header) > size) {
            note(s, P_TRUNCATED, (uint32_t)off, 0);
            continue;
        }
        uint32_t sum = rd32(d + off) + rd32(d + off + 4) + rd32(d + off + 8) + rd32(d + off + 12);
        if (sum != 0) {
            note(s, P_CHECKSUM, (uint32_t)off, sum);
            continue;
        }
        return (int)off;
    }
    return -1;
}

/* Boot information tags hvsim writes (3.6); an information request for others fails unless
 * marked optional. */
static bool provided(uint32_t type)
{
    return type == MB2_TAG_END || type == MB2_TAG_CMDLINE || type == MB2_TAG_BOOT_LOADER_NAME ||
           type == MB2_TAG_MODULE || type == MB2_TAG_BASIC_MEMINFO || type == MB2_TAG_MMAP;
}

static int parse_tag(const uint8_t *t, uint16_t type, uint16_t flags, uint32_t tsize,
                     uint32_t toff, const char *name, struct mb_header *h, char *err,
                     size_t errlen)
{
    bool optional = flags & MB2_TAG_OPTIONAL;
    switch (type) {
    case MB2_HEADER_TAG_INFORMATION_REQUEST:
        if ((tsize - 8) % 4)
            return load_error(err, errlen, name, "Multiboot2 information request tag at offset 0x%x "
                        "has size %u, not 8 + 4n", toff, tsize);
        for (uint32_t k = 8; k < tsize; k += 4) {
            uint32_t want = rd32(t + k);
            if (!provided(want) && !optional)
                return load_error(err, errlen, name, "Multiboot2 header requires boot information "
                            "tag type %u, which hvsim does not provide (it provides 1 cmdline, "
                            "2 boot loader name, 3 modules, 4 basic meminfo, 6 memory map)",
                            want);
        }
        return 0;
    case MB2_HEADER_TAG_ADDRESS:
        if (tsize != 24)
            return load_error(err, errlen, name, "Multiboot2 address tag at offset 0x%x has size %u, "
                        "not 24", toff, tsize);
        h->has_address = 1;
        return 0;
    case MB2_HEADER_TAG_ENTRY_ADDRESS:
        if (tsize != 12)
            return load_error(err, errlen, name, "Multiboot2 entry address tag at offset 0x%x has "
                        "size %u, not 12", toff, tsize);
        h->has_entry = 1;
        h->entry = rd32(t + 8);
        return 0;
    case MB2_HEADER_TAG_CONSOLE_FLAGS:      /* no console is promised or needed */
    case MB2_HEADER_TAG_MODULE_ALIGN:       /* modules are always page-aligned */
    case MB2_HEADER_TAG_EFI_BS:             /* 3.1.11-13: only meaningful on EFI platforms */
    case MB2_HEADER_TAG_ENTRY_ADDRESS_EFI32:
    case MB2_HEADER_TAG_ENTRY_ADDRESS_EFI64:
    case MB2_HEADER_TAG_RELOCATABLE:        /* loading at the link address is allowed */
        return 0;
    case MB2_HEADER_TAG_FRAMEBUFFER:
        if (optional)
            return 0;
        return load_error(err, errlen, name, "Multiboot2 header requires a framebuffer (tag 5 not "
                    "optional), which hvsim does not provide");
    default:
        if (optional)
            return 0;
        return load_error(err, errlen, name, "Multiboot2 header tag type %u at offset 0x%x is required "
                    "but not supported", type, toff);
    }
}

static int parse_v2(const uint8_t *d, size_t size, uint32_t off, const char *name,
                    struct mb_header *h, char *err, size_t errlen)
{
    h->version = 2;
    h->offset = off;
    uint32_t arch = rd32(d + off + 4);
    uint32_t len = rd32(d + off + 8);
    h->length = len;
    if (arch != MB2_ARCH_I386)
        return load_error(err, errlen, name, "Multiboot2 header architecture %u is not i386 (0)", arch);
    if (len < sizeof(struct mb2_header) + 8)
        return load_error(err, errlen, name, "Multiboot2 header_length %u is too small for the fixed "
                    "part and an end tag (24)", len);
    if ((uint64_t)off + len > size)
        return load_error(err, errlen, name, "truncated: the Multiboot2 header at offset 0x%x claims "
                    "%u bytes but the file ends at 0x%zx", off, len, size);
    if ((uint64_t)off + len > MB2_SEARCH)
        return load_error(err, errlen, name, "Multiboot2 header at offset 0x%x (%u bytes) is beyond "
                    "the search window: it must lie completely within the first %u bytes", off,
                    len, MB2_SEARCH);
    uint32_t end = off + len;
    uint32_t t = off + (uint32_t)sizeof(struct mb2_header);
    for (;;) {
        if (t + 8 > end)
            return load_error(err, errlen, name, "Multiboot2 header at offset 0x%x has no end tag "
                        "within its %u bytes", off, len);
        uint16_t type = rd16(d + t), flags = rd16(d + t + 2);
        uint32_t tsize = rd32(d + t + 4);
        if (tsize < 8 || tsize > end - t)
            return load_error(err, errlen, name, "Multiboot2 header tag type %u at offset 0x%x has "
                        "size %u, outside the header (8..%u)", type, t, tsize, end - t);
        if (type == MB2_HEADER_TAG_END) {
            if (tsize != 8)
                return load_error(err, errlen, name, "Multiboot2 end tag at offset 0x%x has size %u, "
                            "not 8", t, tsize);
            return 0;
        }
        if (parse_tag(d + t, type, flags, tsize, t, name, h, err, errlen))
            return -1;
        t += (tsize + 7) & ~7u;     /* tags are 8-aligned; tsize <= end - t keeps t <= end+7 */
        if (t < off)
            return -1;              /* unreachable: sizes are bounded by len */
    }
}

int mb_find_header(const void *data, size_t size, const char *name, enum mb_version want,
                   struct mb_header *h, char *err, size_t errlen)
{
    const uint8_t *d = data;
    memset(h, 0, sizeof *h);
    struct scan s1 = { P_NONE, 0, 0 }, s2 = { P_NONE, 0, 0 };
    if (want != MB_V2) {
        int off = scan_v1(d, size, &s1);
        if (off >= 0)
            return parse_v1(d, size, (uint32_t)off, name, h, err, errlen);
    }
    if (want != MB_V1) {
        int off = scan_v2(d, size, &s2);
        if (off >= 0)
            return parse_v2(d, size, (uint32_t)off, name, h, err, errlen);
    }
    if (want == MB_V2 || (want == MB_AUTO && s2.p > s1.p))
        return report(&s2, 2, name, err, errlen);
    if (want == MB_V1 || s1.p != P_NONE)
        return report(&s1, 1, name, err, errlen);
    return load_error(err, errlen, name, "no Multiboot header: neither Multiboot (magic 0x%08X, "
                "4-aligned, in the first %u bytes) nor Multiboot2 (magic 0x%08X, 8-aligned, in "
                "the first %u bytes)", MB1_HEADER_MAGIC, MB1_SEARCH, MB2_HEADER_MAGIC,
                MB2_SEARCH);
}

int mb_probe(const void *data, size_t size)
{
    struct scan s = { P_NONE, 0, 0 };
    if (scan_v1(data, size, &s) >= 0)
        return 1;
    if (scan_v2(data, size, &s) >= 0)
        return 2;
    return 0;
}
