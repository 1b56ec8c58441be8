/* pt64.c — page tables for 64-bit target tests (see pt64.h). The pool is static, so the tables
 * are identity-mapped physical memory inside the image. */
#include "pt64.h"

#include "rt.h"
#include "test.h"
#include "x86.h"

#define POOL_PAGES 64
static uint64_t pool[POOL_PAGES][512] __attribute__((aligned(4096), section(".bss.pagetables")));
static unsigned pool_used;
static uint64_t *pml4;

extern char __user_start[], __user_end[];

void *pt_alloc_page(void)
{
    if (pool_used >= POOL_PAGES) {
        t_check(0, "page-table pool", "exhausted (%d pages)", POOL_PAGES);
        target_exit(2);
    }
    uint64_t *p = pool[pool_used++];
    memset(p, 0, 4096);
    return p;
}

/* The table an entry at `level` points to; creates it or splits a large page first. */
static uint64_t *next_table(uint64_t *e, int level)
{
    if (!(*e & PT_P)) {
        uint64_t *t = pt_alloc_page();
        *e = (uint64_t)(uintptr_t)t | PT_P | PT_W | PT_U;
        return t;
    }
    if ((*e & PT_PS) && (level == 2 || level == 3)) {
        /* split a large page (2 MiB at level 2, 1 GiB at level 3) into 512 smaller ones */
        uint64_t *t = pt_alloc_page();
        uint64_t base = *e & (level == 2 ? 0x000fffffffe00000ull : 0x000fffffc0000000ull);
        uint64_t step = level == 2 ? 4096 : (2ull << 20);
        uint64_t low = *e & 0xfffull, nx = *e & PT_NX;
        if (level == 2)
            low &= ~PT_PS;   /* 4 KiB PTEs have no PS bit (bit 7 is PAT there) */
        for (int k = 0; k < 512; k++)
            t[k] = (base + (uint64_t)k * step) | low | nx;
        *e = (uint64_t)(uintptr_t)t | PT_P | PT_W | PT_U;
        return t;
    }
    return (uint64_t *)(uintptr_t)(*e & PT_ADDR);
}

uint64_t *pt_entry(uint64_t va, int level)
{
    uint64_t *t = pml4;
    for (int l = 4; l > level; l--)
        t = next_table(&t[(va >> (12 + 9 * (l - 1))) & 511], l);
    return &t[(va >> (12 + 9 * (level - 1))) & 511];
}

void pt_map4k(uint64_t va, uint64_t pa, uint64_t flags)
{
    *pt_entry(va, 1) = (pa & PT_ADDR) | flags;
    invlpg((void *)(uintptr_t)va);
}

uint64_t pt_root(void)
{
    return (uint64_t)(uintptr_t)pml4;
}

void pt_init(void)
{
    pool_used = 0;
    pml4 = pt_alloc_page();
    uint64_t *pdpt = pt_alloc_page();
    pml4[0] = (uint64_t)(uintptr_t)pdpt | PT_P | PT_W | PT_U;
    for (uint64_t g = 0; g < 4; g++) {
        uint64_t *pd = pt_alloc_page();
        pdpt[g] = (uint64_t)(uintptr_t)pd | PT_P | PT_W | PT_U;
        for (uint64_t k = 0; k < 512; k++)
            pd[k] = (g << 30 | k << 21) | PT_P | PT_W | PT_PS;
    }
    uint64_t *pt = pt_alloc_page();
    for (uint64_t k = 0; k < 512; k++) {
        uint64_t a = k << 12;
        int user = a >= (uint64_t)(uintptr_t)__user_start && a < (uint64_t)(uintptr_t)__user_end;
        pt[k] = a | PT_P | PT_W | (user ? PT_U : 0);
    }
    ((uint64_t *)(uintptr_t)(pdpt[0] & PT_ADDR))[0] = (uint64_t)(uintptr_t)pt | PT_P | PT_W | PT_U;
    write_cr3(pt_root());
}
