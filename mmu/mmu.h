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
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/dcache.h"
#include "mmu/tlb.h"

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

/* Accesses of 1, 2, 4 or 8 bytes at any alignment; they fault through cpu_fault().
 * (static inline below: an L1 TLB hit on a RAM page is handled in line.) */
static inline uint64_t mmu_read(struct cpu *c, uint64_t lin, unsigned size, unsigned acc);
static inline __attribute__((always_inline)) void mmu_write(struct cpu *c, uint64_t lin, uint64_t val, unsigned size,
                             unsigned acc);
/* Check that an access of `size` bytes would succeed (faults exactly as it would), and set
 * accessed/dirty bits as the access would. Used before multi-part stores. A check that hits
 * the L1 fast path counts nothing (the access that follows counts its own hit). */
static inline void mmu_check(struct cpu *c, uint64_t lin, unsigned size, unsigned acc);
/* Bulk copies for string instructions, descriptor tables, FXSAVE images. */
void mmu_read_bytes(struct cpu *c, uint64_t lin, void *dst, unsigned len, unsigned acc);
void mmu_write_bytes(struct cpu *c, uint64_t lin, const void *src, unsigned len, unsigned acc);

/* Instruction fetch: translate `lin` for execution (ITLB, execute checks) and return the physical
 * address. Faults with #PF if not executable. */
static inline uint64_t mmu_fetch_pa(struct cpu *c, uint64_t lin);

/* Translation without side effects, for debuggers and tools: 0 ok, -1 not mapped. */
int mmu_translate_debug(struct cpu *c, uint64_t lin, uint64_t *pa);

/* TLB maintenance (SDM Vol. 3 4.10.4). */
void mmu_flush_all(struct cpu *c, bool include_global);        /* all PCIDs */
void mmu_flush_pcid(struct cpu *c, uint16_t pcid, bool include_global);
void mmu_invlpg(struct cpu *c, uint64_t lin);                   /* current PCID + globals */
void mmu_invpcid(struct cpu *c, unsigned type, uint16_t pcid, uint64_t lin); /* caller checked type */
/* Called after a MOV to CR0/CR4, a WRMSR to EFER, or any other change of CR3 (task switch, VMX
 * transition) with the old values; applies the architectural flush rules for what changed and
 * reloads the PAE PDPTEs when the SDM says so. For MOV to CR3 use mmu_cr3_write (it flushes even
 * when the value is unchanged and knows the PCID no-flush bit). */
void mmu_cr_write(struct cpu *c, uint64_t old_cr0, uint64_t old_cr3, uint64_t old_cr4,
                  uint64_t old_efer);

/* MOV to CR3 (SDM Vol. 3 4.10.4.1): call after c->cr3 holds the new value (bit 63 cleared).
 * `noflush` is bit 63 of the source operand when CR4.PCIDE = 1 (no invalidation). Unlike
 * mmu_cr_write, this flushes even when the value did not change. */
void mmu_cr3_write(struct cpu *c, uint64_t old_cr3, bool noflush);

/* PAE paging (SDM Vol. 3 4.4.1): load the four PDPTE registers from the 32-byte aligned table at
 * cr3[31:5]. Returns 0, or -1 without changing the registers if a present PDPTE has a reserved
 * bit set: the caller raises #GP(0) before committing the CR write. Must be called for MOV to
 * CR3 while PAE paging is in use, and for MOV to CR0/CR4 that leaves PAE paging in use and
 * changes CR0.PG/CD/NW or CR4.PAE/PGE/PSE/SMEP (see mmu_pdptes_reload_needed). */
int  mmu_load_pdptes_at(struct cpu *c, uint64_t cr3);
int  mmu_load_pdptes(struct cpu *c);   /* from c->cr3 */
/* True if PAE paging is in use with these values (CR0.PG=1, CR4.PAE=1, EFER.LMA=0). */
bool mmu_pae_paging(uint64_t cr0, uint64_t cr4, uint64_t efer);
/* True if a MOV to CR0/CR4 from (old_cr0, old_cr4) to (cr0, cr4) must reload the PDPTEs. */
bool mmu_pdptes_reload_needed(uint64_t old_cr0, uint64_t old_cr4, uint64_t cr0, uint64_t cr4,
                              uint64_t efer);

/* VMX transitions (VM entry, VM exit, VMFUNC EPTP switching): called after c->vmx.nonroot, the
 * VMCS controls and the new CR0/CR3/CR4/EFER are in place, so that translations use the right
 * context (VPID, EPT context, APIC-access page) and are flushed as SDM Vol. 3 28.3.3.3 / 29.4.3.3
 * require when VPIDs are not in use; the CR3 change of the transition itself flushes nothing.
 * On a VM entry under EPT with a PAE guest the PDPTEs come from the guest-state fields. */
void mmu_vmx_switch(struct cpu *c);

/* TPR virtualization after a virtualized write to offset 080H of the APIC-access page (SDM Vol. 3
 * 29.4.3.2, 29.1.2; mmu/vapic.c): at an instruction boundary in VMX non-root operation, returns true
 * (once) when the operation that wrote VTPR has completed and VTPR[7:4] < TPR threshold[3:0]: the
 * caller then performs the trap-like TPR-below-threshold VM exit (reason 43, qualification 0) with
 * vmx_vmexit. Clears the pending state either way. Without a call, the next instruction fetch
 * takes the exit (vmx_exit_raise). Cheap test first: c->tlb->vapic_trap. */
bool mmu_vapic_trap_due(struct cpu *c);

/* Allocate / free the per-LP TLB state (c->tlb) with the geometry of c->model. */
int  mmu_init(struct cpu *c);
void mmu_destroy(struct cpu *c);

/* ---- slow paths (mmu.c): TLB miss, page crossing, MMIO, code page, paging off ---- */
uint64_t mmu_read_slow(struct cpu *c, uint64_t lin, unsigned size, unsigned acc);
void mmu_write_slow(struct cpu *c, uint64_t lin, uint64_t val, unsigned size, unsigned acc);
void mmu_check_slow(struct cpu *c, uint64_t lin, unsigned size, unsigned acc);
uint64_t mmu_fetch_pa_slow(struct cpu *c, uint64_t lin);

/* ---- fast paths: an L1 hit through a fast slot (see tlb.h) ---- */

/* Column of tlb->deny for this access: CPL and RFLAGS.AC. */
static inline __attribute__((always_inline)) unsigned mmu_ctx_(const struct cpu *c)
{
    return (unsigned)c->cpl << 1 | ((unsigned)(c->rflags >> 18) & 1u);
}

/* The fast slot for [lin, lin+size) if it is a hit allowed for this access, else NULL. The slot
 * is chosen by the first byte's page and its tag compared with the last byte's page: a slot
 * only ever holds pages congruent to its index, so a page-crossing access never matches. */
static inline __attribute__((always_inline)) struct tlb_fast *mmu_fast_(struct cpu *c, struct tlb_fast *tab, uint64_t lin,
                                         unsigned size, unsigned acc)
{
    struct tlb *t = c->tlb;
    struct tlb_fast *f = &tab[(lin >> 12) & (TLB_FAST_SLOTS - 1)];
    if (__builtin_expect(f->tag == ((lin + size - 1) & ~0xfffull) &&
                         !(f->flags & t->fdeny[acc & 7u][mmu_ctx_(c)]), 1))
        return f;
    return (struct tlb_fast *)0;
}

static inline __attribute__((always_inline)) uint64_t mmu_ld_(const uint8_t *p, unsigned size)
{
    uint8_t b; uint16_t w; uint32_t d; uint64_t q;
    switch (size) {
    case 1: memcpy(&b, p, 1); return b;
    case 2: memcpy(&w, p, 2); return w;
    case 4: memcpy(&d, p, 4); return d;
    default: memcpy(&q, p, 8); return q;
    }
}

static inline __attribute__((always_inline)) void mmu_st_(uint8_t *p, uint64_t v, unsigned size)
{
    uint8_t b = (uint8_t)v; uint16_t w = (uint16_t)v; uint32_t d = (uint32_t)v;
    switch (size) {
    case 1: memcpy(p, &b, 1); break;
    case 2: memcpy(p, &w, 2); break;
    case 4: memcpy(p, &d, 4); break;
    default: memcpy(p, &v, 8); break;
    }
}

static inline __attribute__((always_inline)) uint64_t mmu_read(struct cpu *c, uint64_t lin, unsigned size, unsigned acc)
{
    struct tlb_fast *f = mmu_fast_(c, c->tlb->dfast, lin, size, acc);
    if (__builtin_expect(f != 0, 1)) {
        f->e->stamp = ++c->tlb->clock;
        c->ctr.dtlb_hits++;
        c->ctr.cycles += c->tlb->mem_cost;
        return mmu_ld_((const uint8_t *)(lin + f->addend), size);
    }
    return mmu_read_slow(c, lin, size, acc);
}

static inline __attribute__((always_inline)) void mmu_write(struct cpu *c, uint64_t lin, uint64_t val, unsigned size,
                             unsigned acc)
{
    struct tlb_fast *f = mmu_fast_(c, c->tlb->dfast, lin, size, acc);
    if (__builtin_expect(f != 0 && !(c->dcache && dcache_page_has_code(c->dcache, f->pa_page)),
                         1)) {
        f->e->stamp = ++c->tlb->clock;
        c->ctr.dtlb_hits++;
        c->ctr.cycles += c->tlb->mem_cost;
        mmu_st_((uint8_t *)(lin + f->addend), val, size);
        return;
    }
    mmu_write_slow(c, lin, val, size, acc);
}

static inline void mmu_check(struct cpu *c, uint64_t lin, unsigned size, unsigned acc)
{
    struct tlb_fast *tab = (acc & ACC_KIND) == ACC_FETCH ? c->tlb->ifast : c->tlb->dfast;
    if (__builtin_expect(mmu_fast_(c, tab, lin, size, acc) != 0, 1))
        return;
    mmu_check_slow(c, lin, size, acc);
}

static inline uint64_t mmu_fetch_pa(struct cpu *c, uint64_t lin)
{
    struct tlb_fast *f = mmu_fast_(c, c->tlb->ifast, lin, 1, ACC_FETCH);
    if (__builtin_expect(f != 0, 1)) {
        f->e->stamp = ++c->tlb->clock;
        c->ctr.itlb_hits++;
        return f->pa_page | (lin & 0xfff);
    }
    return mmu_fetch_pa_slow(c, lin);
}

#ifdef __cplusplus
}
#endif
#endif
