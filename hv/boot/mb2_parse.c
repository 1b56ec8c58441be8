/* mb2_parse.c — the Multiboot2 boot-information parser (bootparse.h; Multiboot2 Specification
 * 2.0, 3.6 "Boot information format"; docs/BOOT.md "Multiboot2").
 *
 * The information is total_size (u32), reserved (u32), then tags (type u32, size u32, 8-byte
 * aligned, ending with type 0 size 8). Kept: tag 1 (command line, a NUL-terminated string at +8),
 * tag 3 (module: mod_start u32 +8, mod_end u32 +12, string +16), tag 6 (memory map: entry_size
 * u32 +8, entry_version u32 +12, entries from +16 of base u64, length u64, type u32, reserved u32).
 * Others are skipped.
 *
 * Untrusted input: total_size in [16, HV_MB2_INFO_MAX] and <= avail; every tag has size >= 8 and
 * lies inside total_size; there is an end tag; strings end inside their tag; a module has
 * mod_start <= mod_end; the memory map's entry_size is a multiple of 8, at least 24. Limits: 32
 * modules (an error beyond), 64 memory ranges (adjacent ranges of one type are merged; what
 * still does not fit is counted in *dropped). A missing command line is "".
 * Plain C: compiled into the image and into the host unit tests.
 */
#include "hv/boot/bootparse.h"
#include "krt/krt.h"

#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_MODULE 3
#define MB2_TAG_MMAP 6

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

struct arena { char *buf; size_t size, used; };

/* Copy the NUL-terminated string at [p, p + max) into the arena; NULL if it is not terminated
 * or does not fit. */
static const char *keep(struct arena *a, const uint8_t *p, size_t max)
{
    size_t n = 0;
    while (n < max && p[n])
        n++;
    if (n == max || n + 1 > a->size - a->used)
        return NULL;
    char *s = a->buf + a->used;
    memcpy(s, p, n);
    s[n] = '\0';
    a->used += n + 1;
    return s;
}

static void add_range(struct hv_boot_info *out, uint64_t base, uint64_t len, uint32_t type,
                      uint32_t *dropped)
{
    const uint32_t max = sizeof out->mmap / sizeof out->mmap[0];
    if (len == 0)
        return;
    if (out->nmmap > 0) {
        struct hv_mem_range *last = &out->mmap[out->nmmap - 1];
        if (last->type == type && last->base + last->length == base &&
            last->length + len > last->length) {
            last->length += len;
            return;
        }
    }
    if (out->nmmap == max) {
        (*dropped)++;
        return;
    }
    out->mmap[out->nmmap++] = (struct hv_mem_range){ base, len, type };
}

#define FAIL(...) do { krt_snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

int hv_mb2_parse_buf(const uint8_t *b, size_t avail, struct hv_boot_info *out, char *arena,
                     size_t arena_size, uint32_t *total_out, uint32_t *dropped, char *err,
                     size_t errlen)
{
    struct arena a = { arena, arena_size, 0 };
    const uint32_t max_modules = sizeof out->modules / sizeof out->modules[0];
    if (errlen)
        err[0] = '\0';
    *dropped = 0;
    out->cmdline = "";
    out->nmodules = 0;
    out->nmmap = 0;
    if (avail < 8)
        FAIL("boot information: truncated (%zu bytes)", avail);
    uint32_t total = rd32(b);
    *total_out = total;
    if (total < 16 || total > HV_MB2_INFO_MAX || total > avail)
        FAIL("boot information: total_size %u is not in [16, %u]", total,
             avail < HV_MB2_INFO_MAX ? (uint32_t)avail : HV_MB2_INFO_MAX);
    uint32_t off = 8;
    for (;;) {
        if (off > total - 8)
            FAIL("boot information: no end tag within total_size %u", total);
        uint32_t type = rd32(b + off), size = rd32(b + off + 4);
        if (size < 8 || size > total - off)
            FAIL("boot information: tag type %u at offset %#x has size %u, which does not fit in "
                 "total_size %u", type, off, size, total);
        const uint8_t *t = b + off;
        if (type == MB2_TAG_END)
            return 0;
        if (type == MB2_TAG_CMDLINE) {
            out->cmdline = keep(&a, t + 8, size - 8);
            if (!out->cmdline)
                FAIL("boot information: the command line (tag at offset %#x) is not terminated "
                     "inside its tag or too long", off);
        } else if (type == MB2_TAG_MODULE) {
            if (size < 17)
                FAIL("boot information: module tag at offset %#x has size %u < 17", off, size);
            if (out->nmodules == max_modules)
                FAIL("boot information: more than %u modules", max_modules);
            struct hv_module *m = &out->modules[out->nmodules];
            m->start = rd32(t + 8);
            m->end = rd32(t + 12);
            if (m->end < m->start)
                FAIL("boot information: module %u ends (%#lx) before it starts (%#lx)",
                     out->nmodules, (unsigned long)m->end, (unsigned long)m->start);
            m->string = keep(&a, t + 16, size - 16);
            if (!m->string)
                FAIL("boot information: the string of module %u (tag at offset %#x) is not "
                     "terminated inside its tag or too long", out->nmodules, off);
            out->nmodules++;
        } else if (type == MB2_TAG_MMAP) {
            if (size < 16)
                FAIL("boot information: memory map tag at offset %#x has size %u < 16", off, size);
            uint32_t esize = rd32(t + 8);
            if (esize < 24 || (esize & 7))
                FAIL("boot information: memory map tag at offset %#x has entry_size %u (not a "
                     "multiple of 8 of at least 24)", off, esize);
            for (uint32_t e = 16; e <= size && size - e >= esize; e += esize)
                add_range(out, rd64(t + e), rd64(t + e + 8), rd32(t + e + 16), dropped);
        }
        off += (size + 7) & ~7u;            /* <= total + 7: no wrap (total <= 1 MiB) */
    }
}
