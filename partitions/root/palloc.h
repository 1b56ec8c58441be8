/* palloc.h — the root kernel's physical page allocator: hands out 4 KiB pages (single or
 * contiguous runs) of the root's RAM for child memory and deposits (docs/HYPERVISOR.md "The root
 * partition kernel").
 *
 * Built from the Multiboot2 memory map: available (type 1) ranges, rounded inwards to whole
 * pages, minus every range marked used (the kernel image, the modules, the boot information,
 * everything below 1 MiB), clipped to [PALLOC_MIN, limit). Allocation is first-fit from the
 * lowest address; pages are never given back (the root's needs are known at start-up).
 *
 * Pure C without a runtime: the host unit tests build it too.
 *
 * Invariants: free ranges are page-aligned, non-empty, sorted and disjoint, and intersect no
 * range passed to palloc_reserve; a page is handed out at most once.
 */
#ifndef PALLOC_H
#define PALLOC_H

#include <stdint.h>

#define PALLOC_MAX_RANGES 64
#define PALLOC_MIN 0x100000ull     /* nothing below 1 MiB (real-mode IVT, BIOS data, ROMs) */

struct palloc {
    uint32_t n;
    struct { uint64_t base, end; } r[PALLOC_MAX_RANGES];   /* free [base, end) */
    uint64_t limit;                 /* nothing at or above (the root maps only this much) */
    uint64_t dropped;               /* ranges lost because the table was full */
};

void palloc_init(struct palloc *p, uint64_t limit);
/* An available range from the memory map. */
void palloc_add(struct palloc *p, uint64_t base, uint64_t len);
/* A range that must never be handed out (call after every palloc_add). */
void palloc_reserve(struct palloc *p, uint64_t base, uint64_t len);
/* npages contiguous pages: the first page's address, or 0 if no range is large enough. */
uint64_t palloc_alloc(struct palloc *p, uint64_t npages);
/* Pages still free. */
uint64_t palloc_free_pages(const struct palloc *p);

#endif
