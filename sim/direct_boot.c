/* direct_boot.c — layout and identity page tables for booting a bare ELF (see direct_boot.h). */
#include "sim/direct_boot.h"

#include <stdio.h>

#include "sim/bus.h"

#define PAGE 4096ull

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

int direct_boot_layout(uint64_t image_end, uint64_t ram_size, int bits, struct direct_boot *db,
                       char *err, size_t errlen)
{
    uint64_t gib = (ram_size + (1ull << 30) - 1) >> 30;
    if (gib < DIRECT_BOOT_MIN_MAP_GIB)
        gib = DIRECT_BOOT_MIN_MAP_GIB;
    if (gib > 512) {
        snprintf(err, errlen, "RAM of 0x%llx bytes is more than one PDPT can map (512 GiB)",
                 (unsigned long long)ram_size);
        return -1;
    }
    db->map_gib = (uint32_t)gib;
    db->pt_base = align_up(image_end, PAGE);
    db->pt_bytes = bits == 64 ? (2 + gib) * PAGE : 0;   /* 32-bit entry runs without paging */
    db->stack_top = db->pt_base + db->pt_bytes + DIRECT_BOOT_STACK_SIZE;
    db->free_base = db->stack_top;
    uint64_t limit = bits == 32 && ram_size > (1ull << 32) ? (1ull << 32) : ram_size;
    if (db->free_base > limit || db->pt_base < image_end) {
        snprintf(err, errlen, "RAM too small: image ends at 0x%llx and needs 0x%llx more bytes "
                 "for page tables and stack, but RAM%s ends at 0x%llx; use --mem",
                 (unsigned long long)image_end,
                 (unsigned long long)(db->pt_bytes + DIRECT_BOOT_STACK_SIZE),
                 bits == 32 ? " below 4 GiB" : "", (unsigned long long)limit);
        return -1;
    }
    return 0;
}

static int put64(struct bus *b, uint64_t pa, uint64_t v)
{
    return bus_copy_to(b, pa, &v, sizeof v);
}

int direct_boot_pagetables(struct bus *b, const struct direct_boot *db)
{
    if (db->pt_bytes == 0)
        return 0;
    uint64_t pml4 = db->pt_base, pdpt = pml4 + PAGE, pd0 = pdpt + PAGE;
    static const unsigned char zeros[PAGE];
    for (uint64_t off = 0; off < db->pt_bytes; off += PAGE)
        if (bus_copy_to(b, pml4 + off, zeros, PAGE))
            return -1;
    /* SDM Vol. 3 4.5.4: PML4E -> PDPT, PDPTE -> PD, PDE with PS=1 maps a 2 MiB page. */
    if (put64(b, pml4, pdpt | PTE_P | PTE_RW))
        return -1;
    for (uint64_t g = 0; g < db->map_gib; g++) {
        uint64_t pd = pd0 + g * PAGE;
        if (put64(b, pdpt + g * 8, pd | PTE_P | PTE_RW))
            return -1;
        for (uint64_t k = 0; k < 512; k++)
            if (put64(b, pd + k * 8, (g << 30) | (k << 21) | PTE_P | PTE_RW | PTE_PS))
                return -1;
    }
    return 0;
}
