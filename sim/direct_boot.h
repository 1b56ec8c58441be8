/* direct_boot.h — start a bare ELF program without firmware: identity page tables, a stack, and
 * the CPU state at the entry point (what `hvsim exec` and the benchmark do).
 *
 * Memory layout above the loaded image (all page-aligned, all inside RAM):
 *   [pt_base, pt_base + pt_bytes)      PML4, one PDPT, one PD per GiB mapped (4-level paging,
 *                                      2 MiB pages, identity, supervisor, read/write, executable)
 *   [stack_top - STACK, stack_top)     the initial stack
 *   free_base                          first free page; everything above is free RAM
 * The map covers max(4 GiB, RAM rounded up to 1 GiB), so the MMIO hole below 4 GiB is reachable.
 *
 * Entry convention (documented in docs/USER-GUIDE.md):
 *   64-bit ELF: long mode, CPL 0, paging on with CR3 = pt_base, RIP = entry, RSP = stack_top,
 *               RDI = RAM size in bytes, RSI = free_base.
 *   32-bit ELF: protected mode, flat 4 GiB segments, paging off, EIP = entry, ESP = stack_top,
 *               EDI = RAM size (saturated to 4 GiB - 1), ESI = free_base.
 *
 * Invariant: the layout depends only on the image span and the RAM size (deterministic).
 */
#ifndef HVSIM_DIRECT_BOOT_H
#define HVSIM_DIRECT_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"

#ifdef __cplusplus
extern "C" {
#endif

struct bus;

#define DIRECT_BOOT_STACK_SIZE 0x10000ull
#define DIRECT_BOOT_MIN_MAP_GIB 4u

/* Page-table entry bits used for the identity map (SDM Vol. 3 4.5, Tables 4-15..4-19). */
#define PTE_P  (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_PS (1ull << 7)

struct direct_boot {
    uint64_t pt_base;    /* PML4 physical address (the CR3 value) */
    uint64_t pt_bytes;   /* size of the page tables */
    uint32_t map_gib;    /* GiB identity-mapped from 0 */
    uint64_t stack_top;  /* initial RSP/ESP */
    uint64_t free_base;  /* first free physical page */
};

/* Compute the layout for an image ending at image_end (exclusive). For 32-bit programs the
 * stack must end below 4 GiB. 0, or -1 with a message in err if RAM is too small. */
int direct_boot_layout(uint64_t image_end, uint64_t ram_size, int bits, struct direct_boot *db,
                       char *err, size_t errlen);

/* Write the 4-level identity page tables of `db` into RAM. 0, or -1 if outside RAM. */
int direct_boot_pagetables(struct bus *b, const struct direct_boot *db);

/* Put the CPU at `entry` following the entry convention above. */
static inline void direct_boot_enter64(struct cpu *c, const struct direct_boot *db,
                                       uint64_t entry, uint64_t ram_size)
{
    cpu_setup_flat64(c, db->pt_base);
    c->rip = entry;
    c->gpr[R_RSP] = db->stack_top;
    c->gpr[R_RDI] = ram_size;
    c->gpr[R_RSI] = db->free_base;
}

static inline void direct_boot_enter32(struct cpu *c, const struct direct_boot *db,
                                       uint64_t entry, uint64_t ram_size)
{
    cpu_setup_flat32(c);
    c->rip = (uint32_t)entry;
    c->gpr[R_RSP] = (uint32_t)db->stack_top;
    c->gpr[R_RDI] = ram_size > 0xffffffffull ? 0xffffffffull : ram_size;
    c->gpr[R_RSI] = (uint32_t)db->free_base;
}

#ifdef __cplusplus
}
#endif
#endif
