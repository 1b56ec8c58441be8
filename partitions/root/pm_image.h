/* pm_image.h — a child partition's initial memory and registers: the root loads the child's ELF
 * into the child's RAM, writes a GDT, a TSS, the command line and identity-mapping page tables,
 * and computes the long-mode register state the VP starts in (docs/HYPERVISOR.md "Partition
 * memory layout"). Pure C over a byte array that is the child's RAM (GPA 0 = mem[0]): the root
 * passes its view of the child's pages, the host unit tests a malloc'ed buffer.
 *
 * Child GPA layout (size = the configured memory):
 *   0x0000  not mapped in the page tables (a null pointer faults)
 *   0x1000  GDT: 0 null, 08H 64-bit code, 10H data, 18H 64-bit TSS (busy); TSS at 0x1800
 *   0x2000  command line (NUL-terminated, at most PM_CMDLINE_MAX bytes with the NUL)
 *   0x3000 .. tables   the ELF's PT_LOAD segments (at their physical addresses)
 *   tables .. size - vps * PM_STACK_SIZE   PTs, PDs, PDPT, PML4: GVA = GPA for [0x1000, size),
 *            4 KiB pages; then one PD and one PT for the local APIC page: GVA 0xFEE00000 ->
 *            GPA 0xFEE00000, supervisor, RW, PCD | PWT (SDM Vol. 3 11.4.1: strong uncacheable);
 *            then one PT for the device page the root emulates (mmio_emul.h): GVA 0xF0000000 ->
 *            GPA 0xF0000000, supervisor, RW, PCD | PWT
 *   size - (k + 1) * PM_STACK_SIZE .. size - k * PM_STACK_SIZE   VP k's initial stack
 *            (RSP = size - k * PM_STACK_SIZE; VP 0's is the top 64 KiB)
 *
 * Invariants: the ELF is validated (krt_elf64_open) and every segment must lie in
 * [PM_LOW_END, tables) with vaddr == paddr; nothing outside mem[0, size) is written; mem is
 * zeroed first, so no byte of the root's old page contents reaches the child.
 */
#ifndef PM_IMAGE_H
#define PM_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "hv/abi/tlfs.h"

#define PM_GDT_GPA      0x1000ull
#define PM_TSS_GPA      0x1800ull
#define PM_CMDLINE_GPA  0x2000ull
#define PM_CMDLINE_MAX  4096u
#define PM_LOW_END      0x3000ull
#define PM_STACK_SIZE   0x10000ull
#define PM_SEL_CODE     0x08
#define PM_SEL_DATA     0x10
#define PM_SEL_TSS      0x18
#define PM_NREGS        20          /* registers pm_image_registers sets */
#define PM_APIC_GPA     0xFEE00000ull   /* the child's local APIC page (VA 0xFEE00000) */

struct pm_image {
    uint64_t size;                  /* bytes of child RAM */
    uint32_t vps;                   /* VPs with a stack */
    uint64_t entry;                 /* RIP */
    uint64_t rsp;                   /* VP 0's; VP k's is rsp - k * PM_STACK_SIZE */
    uint64_t cr3;                   /* the PML4's GPA */
    uint64_t tables;                /* first GPA of the page tables */
    uint64_t load_lo, load_hi;      /* the ELF's segments span [load_lo, load_hi) */
};

/* Build the child's memory for `vps` VPs (1..PM_MAX_VPS). 0, or -1 with a one-line message in
 * err. */
#define PM_MAX_VPS 16
int pm_image_build(uint8_t *mem, uint64_t size, uint32_t vps, const void *elf, size_t elf_len,
                   const char *cmdline, struct pm_image *img, char *err, size_t errlen);

/* VP k's initial long-mode registers (SDM Vol. 3 9.8.5; TLFS register names): every VP enters
 * at the ELF entry with the same control registers and segments, RSP = its own stack's top,
 * RDI = the command line's GPA and RSI = k (the child's entry dispatches on RSI: 0 -> VP 0's
 * path). Writes PM_NREGS entries. */
void pm_image_registers(const struct pm_image *img, uint32_t k,
                        struct hv_register_assoc regs[PM_NREGS]);
/* VP k's state as StartVirtualProcessor's initial context (TLFS 7.8.1; it has no RDI/RSI:
 * those come from pm_image_registers, which StartVirtualProcessor leaves alone). */
void pm_image_initial_context(const struct pm_image *img, uint32_t k,
                              struct hv_initial_vp_context *ctx);

#endif
