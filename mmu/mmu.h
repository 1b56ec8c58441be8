/* mmu.h — linear-to-physical translation for the CPU: paging (32-bit, PAE, 4-level), the TLB
 * model, and the linear-address memory accesses every instruction uses.
 *
 * Invariants:
 *  - Every access goes through the modelled TLB; a hit never skips a permission check that the
 *    SDM requires for the current CPL, CR0.WP, CR4.SMEP/SMAP, RFLAGS.AC and EFER.NXE.
 *  - A faulting access raises #PF (with CR2 and the exact error code, SDM Vol. 3 4.7) or #GP/#SS
 *    for a non-canonical address, via cpu_fault(); it has no side effect before the fault other
 *    than accessed bits the SDM allows to be set.
 *  - A multi-byte access that crosses a page checks both pages before it writes either.
 *  - Writes to a physical page that holds decoded code go to the decode cache's invalidation hook
 *    (dcache_code_write), so self-modifying code is seen on the next fetch.
 *  - TLB hits/misses, walks and walk memory references are counted in c->ctr and charged
 *    through the cycle model.
 */
#ifndef HVSIM_MMU_H
#define HVSIM_MMU_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct cpu;

/* Access kinds. */
#define ACC_READ   0u
#define ACC_WRITE  1u
#define ACC_FETCH  2u
#define ACC_KIND   3u
#define ACC_IMPLICIT_SUPER 4u  /* implicit supervisor access (GDT/LDT/IDT/TSS), SDM Vol.3 4.6 */
#define ACC_STACK  8u          /* non-canonical address raises #SS(0) instead of #GP(0) */

/* Accesses of 1, 2, 4 or 8 bytes at any alignment; they fault through cpu_fault(). */
uint64_t mmu_read(struct cpu *c, uint64_t lin, unsigned size, unsigned acc);
void mmu_write(struct cpu *c, uint64_t lin, uint64_t val, unsigned size, unsigned acc);
/* Check that an access of `size` bytes would succeed (faults exactly as it would), and set
 * accessed/dirty bits as the access would. Used before multi-part stores. */
void mmu_check(struct cpu *c, uint64_t lin, unsigned size, unsigned acc);
/* Bulk copies for string instructions, descriptor tables, FXSAVE images. */
void mmu_read_bytes(struct cpu *c, uint64_t lin, void *dst, unsigned len, unsigned acc);
void mmu_write_bytes(struct cpu *c, uint64_t lin, const void *src, unsigned len, unsigned acc);

/* Instruction fetch: translate `lin` for execution (ITLB, execute checks) and return the physical
 * address. Faults with #PF if not executable. */
uint64_t mmu_fetch_pa(struct cpu *c, uint64_t lin);

/* Translation without side effects, for debuggers and tools: 0 ok, -1 not mapped. */
int mmu_translate_debug(struct cpu *c, uint64_t lin, uint64_t *pa);

/* TLB maintenance (SDM Vol. 3 4.10.4). */
void mmu_flush_all(struct cpu *c, bool include_global);        /* all PCIDs */
void mmu_flush_pcid(struct cpu *c, uint16_t pcid, bool include_global);
void mmu_invlpg(struct cpu *c, uint64_t lin);                   /* current PCID + globals */
void mmu_invpcid(struct cpu *c, unsigned type, uint16_t pcid, uint64_t lin); /* caller checked type */
/* Called after a MOV to CR0/CR3/CR4 or a WRMSR to EFER with the old values; applies the
 * architectural flush rules for what changed. */
void mmu_cr_write(struct cpu *c, uint64_t old_cr0, uint64_t old_cr3, uint64_t old_cr4,
                  uint64_t old_efer);

/* Allocate / free the per-LP TLB state (c->tlb) with the geometry of c->model. */
int  mmu_init(struct cpu *c);
void mmu_destroy(struct cpu *c);

#ifdef __cplusplus
}
#endif
#endif
