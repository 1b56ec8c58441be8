/* pt64.h — 4-level page tables built by 64-bit target tests (SDM Vol. 3 4.5).
 *
 * pt_init() builds and loads (CR3) an identity map of the first 4 GiB: 2 MiB pages, except the
 * first 2 MiB (the program image) in 4 KiB pages. Leaves are supervisor R/W, except the .user
 * section which is user R/W; every non-leaf entry is user R/W, so the leaf decides. No A/D bits
 * are preset. Further tables come from a static pool.
 */
#ifndef TARGET_PT64_H
#define TARGET_PT64_H

#include <stdint.h>

#define PT_P   (1ull << 0)
#define PT_W   (1ull << 1)
#define PT_U   (1ull << 2)
#define PT_PWT (1ull << 3)
#define PT_PCD (1ull << 4)
#define PT_A   (1ull << 5)
#define PT_D   (1ull << 6)
#define PT_PS  (1ull << 7)
#define PT_G   (1ull << 8)
#define PT_NX  (1ull << 63)
#define PT_ADDR 0x000ffffffffff000ull

void pt_init(void);
uint64_t pt_root(void);
/* Pointer to the entry for va at `level` (1 = PTE ... 4 = PML4E), creating tables and splitting
 * large pages on the way (the split keeps the large page's mapping and flags). */
uint64_t *pt_entry(uint64_t va, int level);
/* Map the 4 KiB page va -> pa with `flags` (PT_P etc.; 0 makes it not present), then INVLPG. */
void pt_map4k(uint64_t va, uint64_t pa, uint64_t flags);
/* A fresh zeroed 4 KiB page from the pool (for test data). */
void *pt_alloc_page(void);

#endif
