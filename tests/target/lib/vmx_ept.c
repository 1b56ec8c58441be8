/* vmx_ept.c — EPT paging structures for the VMX test kernels (vmx_lib.h "EPT"). Formats from the
 * SDM Vol. 3 (EPT translation mechanism: EPTP, PML4E/PDPTE/PDE/PTE with R/W/X in bits 2:0,
 * memory type in 5:3 of a leaf, bit 7 for a large page, address in 51:12). Tables come from a
 * static pool, so a kernel has one EPT hierarchy at a time (plus what it builds by hand). */
#include "vmx_lib.h"

#define POOL 48
static uint64_t pool[POOL][512] __attribute__((aligned(4096)));
static unsigned used;
static uint64_t *pml4;

void *ept_alloc_table(void)
{
    if (used >= POOL) {
        t_check(0, "EPT table pool", "exhausted (%d pages)", POOL);
        target_exit(2);
    }
    uint64_t *p = pool[used++];
    memset(p, 0, 4096);
    return p;
}

void ept_init(void)
{
    used = 0;
    pml4 = ept_alloc_table();
    uint64_t *pdpt = ept_alloc_table();
    pml4[0] = va_pa(pdpt) | EPT_RWX;
    for (uint64_t g = 0; g < 4; g++) {
        uint64_t *pd = ept_alloc_table();
        pdpt[g] = va_pa(pd) | EPT_RWX;
        for (uint64_t k = 0; k < 512; k++)
            pd[k] = ((g << 30) | (k << 21)) | EPT_PS | EPT_WB | EPT_RWX;
    }
}

uint64_t ept_eptp(void) { return va_pa(pml4) | (3u << 3) | 6u; }

uint64_t *ept_entry(uint64_t gpa, int level)
{
    uint64_t *t = pml4;
    for (int l = 4; l > level; l--) {
        uint64_t *e = &t[(gpa >> (12 + 9 * (l - 1))) & 511];
        if (!(*e & EPT_RWX) && !(*e & EPT_PS)) {
            uint64_t *n = ept_alloc_table();
            *e = va_pa(n) | EPT_RWX;
        } else if (*e & EPT_PS) {
            /* split: same mapping and flags in 512 pages of the next size */
            uint64_t *n = ept_alloc_table();
            uint64_t base = *e & EPT_ADDR, flags = *e & 0xff8000000000007full & ~EPT_PS;
            uint64_t step = 1ull << (12 + 9 * (l - 2));
            for (uint64_t k = 0; k < 512; k++)
                n[k] = (base + k * step) | flags | (l - 1 > 1 ? EPT_PS : 0);
            *e = va_pa(n) | EPT_RWX;
        }
        t = (uint64_t *)(uintptr_t)(*e & EPT_ADDR);
    }
    return &t[(gpa >> (12 + 9 * (level - 1))) & 511];
}

void ept_map4k(uint64_t gpa, uint64_t hpa, uint64_t flags)
{
    *ept_entry(gpa, 1) = (hpa & EPT_ADDR) | flags;
}

int invept_all(void)
{
    uint64_t cap = rdmsr(MSR_VMX_EPT_VPID_CAP);
    struct inv_desc d = { ept_eptp(), 0 };
    if ((cap >> 26) & 1)
        return invept_r(2, &d);
    return invept_r(1, &d);
}
