/* memsel.c — pure helpers of the hypervisor's memory set-up (bootparse.h): a size from the
 * command line (`pool=16M`) and the choice of the pool's block in the memory map
 * (docs/HYPERVISOR.md "Memory").
 * Invariants: no arithmetic on input values wraps (each sum and shift is checked first).
 * Plain C: compiled into the image and into the host unit tests.
 */
#include "hv/boot/bootparse.h"
#include "krt/krt.h"

#define MB2_MMAP_AVAILABLE 1

int hv_cmdline_size_parse(const char *cmdline, const char *key, uint64_t def, uint64_t *out,
                          char *err, size_t errlen)
{
    size_t klen = strlen(key);
    *out = def;
    for (const char *s = cmdline; *s;) {
        while (*s == ' ')
            s++;
        const char *w = s;
        while (*s && *s != ' ')
            s++;
        if ((size_t)(s - w) <= klen || strncmp(w, key, klen) != 0 || w[klen] != '=')
            continue;
        const char *p;
        uint64_t v;
        bool bad = krt_parse_u64(w + klen + 1, &p, &v) != 0;
        unsigned shift = 0;
        if (*p == 'K' || *p == 'k')
            shift = 10;
        else if (*p == 'M' || *p == 'm')
            shift = 20;
        else if (*p == 'G' || *p == 'g')
            shift = 30;
        if (shift)
            p++;
        if (bad || p != s || (shift && v > (UINT64_MAX >> shift))) {
            krt_snprintf(err, errlen, "command line: %.*s is not a size (digits or 0x hex, "
                         "optional K/M/G)", (int)(s - w), w);
            return -1;
        }
        *out = v << shift;              /* a later key=... overrides an earlier one */
    }
    return 0;
}

static bool overlaps(const struct hv_range *r, unsigned n, uint64_t s, uint64_t e,
                     uint64_t *lowest)
{
    bool hit = false;
    for (unsigned i = 0; i < n; i++)
        if (r[i].start < e && s < r[i].end) {
            if (!hit || r[i].start < *lowest)
                *lowest = r[i].start;
            hit = true;
        }
    return hit;
}

int hv_pool_choose(const struct hv_mem_range *mm, uint32_t n, const struct hv_range *avoid,
                   unsigned navoid, uint64_t size, uint64_t align, uint64_t limit,
                   uint64_t *start)
{
    bool found = false;
    uint64_t best = 0;
    if (size == 0 || align == 0 || (align & (align - 1)))
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        if (mm[i].type != MB2_MMAP_AVAILABLE)
            continue;
        uint64_t lo = mm[i].base, hi = mm[i].base + mm[i].length;
        if (hi < lo || hi > limit)
            hi = limit;
        if (lo >= hi)
            continue;
        uint64_t top = hi & ~(align - 1);
        while (top >= size && top - size >= lo) {
            uint64_t s = top - size, block = 0;
            if ((s & (align - 1)) == 0 && !overlaps(avoid, navoid, s, top, &block)) {
                if (!found || s > best)
                    best = s;
                found = true;
                break;
            }
            if ((s & (align - 1)) != 0)     /* size not a multiple of align: round the start down */
                block = s;
            top = block & ~(align - 1);
        }
    }
    if (!found)
        return -1;
    *start = best;
    return 0;
}
