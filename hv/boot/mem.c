/* mem.c — the hypervisor's memory at boot (docs/HYPERVISOR.md "Memory"): its pool and the AP
 * trampoline page.
 *
 * The pool: `pool=SIZE` on the command line (default 16 MiB; rounded up to 2 MiB), carved from
 * the top of the highest available (type 1) range of the memory map: the highest 2 MiB-aligned
 * block of SIZE that lies inside one available range, inside the identity map (64 GiB,
 * entry.S), and overlaps neither the image [__hv_start, __hv_end), nor a module, nor the boot
 * information, nor the first MiB. Its pages go to hv_pool (hv/mm/pool.c), lowest address first
 * (so the first pages handed out are the lowest: the free list is LIFO, they are pushed from the
 * top down).
 * The trampoline: the highest 4 KiB page below 9F000H (below any EBDA) that lies in an
 * available range and overlaps no module and not the boot information; a start-up IPI can only
 * name a page below 1 MiB (SDM Vol. 3 11.6.1, vector = page number).
 * Invariants: both are recorded in hv_boot; no failure is silent (a pool that does not fit is a
 * panic naming the size and the memory map's largest candidate).
 */
#include "hv/boot/boot.h"
#include "hv/boot/bootparse.h"
#include "hv/hv_svc.h"
#include "krt/krt.h"

#define MiB (1ull << 20)
#define POOL_ALIGN (2 * MiB)
#define IDMAP_END (64ull << 30)
#define MB2_MMAP_AVAILABLE 1

uint64_t hv_cmdline_size(const char *key, uint64_t def)
{
    uint64_t v;
    char err[160];
    if (hv_cmdline_size_parse(hv_boot.cmdline, key, def, &v, err, sizeof err) != 0)
        hv_panic("%s", err);
    return v;
}

static void pool_setup(void)
{
    uint64_t size = hv_cmdline_size("pool", 16 * MiB);
    if (size == 0 || size > IDMAP_END)
        hv_panic("command line: pool=%lu: the pool must be between 1 byte and 64 GiB",
                 (unsigned long)size);
    size = (size + POOL_ALIGN - 1) & ~(POOL_ALIGN - 1);
    /* the first MiB, the image, the boot information, the modules */
    struct hv_range avoid[3 + 32];
    unsigned n = 0;
    avoid[n++] = (struct hv_range){ 0, MiB };
    avoid[n++] = (struct hv_range){ hv_boot.hv_start, hv_boot.hv_end };
    avoid[n++] = (struct hv_range){ hv_mb2_info_start, hv_mb2_info_end };
    for (uint32_t i = 0; i < hv_boot.nmodules; i++)
        avoid[n++] = (struct hv_range){ hv_boot.modules[i].start & ~0xFFFull,
                                        (hv_boot.modules[i].end + 0xFFF) & ~0xFFFull };
    uint64_t start;
    if (hv_pool_choose(hv_boot.mmap, hv_boot.nmmap, avoid, n, size, POOL_ALIGN, IDMAP_END,
                       &start) != 0)
        hv_panic("no available memory for a pool of %lu MiB (pool=SIZE on the command line; the "
                 "pool must fit, 2 MiB aligned, in one available range above 1 MiB away from the "
                 "image, the modules and the boot information)", (unsigned long)(size / MiB));
    hv_boot.pool_start = start;
    hv_boot.pool_end = start + size;
    for (uint64_t a = hv_boot.pool_end; a > hv_boot.pool_start; a -= 4096)
        hv_pool_add(&hv_pool, a - 4096);
    hv_log("hv: pool [%#lx, %#lx) %lu MiB\n", (unsigned long)hv_boot.pool_start,
           (unsigned long)hv_boot.pool_end, (unsigned long)(size / MiB));
}

static void trampoline_setup(void)
{
    for (uint64_t page = 0x9E000; page >= 0x1000; page -= 0x1000) {
        bool used = page < hv_mb2_info_end && hv_mb2_info_start < page + 0x1000;
        for (uint32_t i = 0; i < hv_boot.nmodules; i++)
            used |= page < hv_boot.modules[i].end && hv_boot.modules[i].start < page + 0x1000;
        if (used)
            continue;
        for (uint32_t i = 0; i < hv_boot.nmmap; i++) {
            const struct hv_mem_range *m = &hv_boot.mmap[i];
            if (m->type == MB2_MMAP_AVAILABLE && m->base <= page &&
                page + 0x1000 <= m->base + m->length) {
                hv_boot.trampoline = page;
                return;
            }
        }
    }
    hv_panic("no available page below 9F000H for the AP start-up trampoline");
}

void hv_mem_setup(void)
{
    hv_boot.hv_start = (uint64_t)(uintptr_t)__hv_start;
    hv_boot.hv_end = (uint64_t)(uintptr_t)__hv_end;
    pool_setup();
    trampoline_setup();
}
