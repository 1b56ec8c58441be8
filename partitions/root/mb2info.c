/* mb2info.c — read the Multiboot2 boot information (see mb2info.h; Multiboot2 1.6 3.6.1 basic
 * tags structure, 3.6.3 command line, 3.6.6 modules, 3.6.8 memory map). */
#include "partitions/root/mb2info.h"

#include "krt/krt.h"

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* p[0, n) holds a NUL: the string is usable. */
static const char *string_in(const uint8_t *p, uint32_t n)
{
    for (uint32_t k = 0; k < n; k++)
        if (!p[k])
            return (const char *)p;
    return 0;
}

int mb2_parse(const uint8_t *info, struct mb2_info *out, char *err, size_t errlen)
{
    *out = (struct mb2_info){ .cmdline = "" };
    uint32_t total = rd32(info);
    if (total < 16 || total > MB2_INFO_MAX) {
        krt_snprintf(err, errlen, "multiboot2: total_size %u out of range", total);
        return -1;
    }
    out->total_size = total;
    for (uint32_t off = 8; off + 8 <= total;) {
        const uint8_t *t = info + off;
        uint32_t type = rd32(t), size = rd32(t + 4);
        if (size < 8 || size > total - off) {
            krt_snprintf(err, errlen, "multiboot2: tag %u at +%u: size %u does not fit", type,
                         off, size);
            return -1;
        }
        if (type == 0)
            return 0;
        if (type == 1) {
            const char *s = string_in(t + 8, size - 8);
            if (s)
                out->cmdline = s;
        } else if (type == 3 && size >= 16) {
            const char *s = string_in(t + 16, size - 16);
            if (out->nmodules < MB2_MAX_MODULES)
                out->modules[out->nmodules++] =
                    (struct mb2_module){ rd32(t + 8), rd32(t + 12), s ? s : "" };
            else
                out->dropped++;
        } else if (type == 6 && size >= 16) {
            uint32_t esz = rd32(t + 8);
            if (esz < 24) {
                krt_snprintf(err, errlen, "multiboot2: memory map entry size %u", esz);
                return -1;
            }
            for (uint32_t e = 16; e + esz <= size; e += esz) {
                if (out->nmmap == MB2_MAX_MMAP) {
                    out->dropped++;
                    continue;
                }
                out->mmap[out->nmmap++] =
                    (struct mb2_mmap){ rd64(t + e), rd64(t + e + 8), rd32(t + e + 16) };
            }
        }
        off += (size + 7) & ~7u;
    }
    krt_snprintf(err, errlen, "multiboot2: no end tag");
    return -1;
}
