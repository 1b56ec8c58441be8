/* paging.h — MMU-internal interface of the page walker (paging.c) and the physical-access helpers
 * (mmu.c). Not for use outside mmu/.
 */
#ifndef HVSIM_PAGING_H
#define HVSIM_PAGING_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Paging-structure entry bits (SDM Vol. 3 4.3-4.5, Tables 4-4 to 4-20). */
#define PTE_P   (1ull << 0)
#define PTE_RW  (1ull << 1)
#define PTE_US  (1ull << 2)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_A   (1ull << 5)
#define PTE_D   (1ull << 6)
#define PTE_PS  (1ull << 7)
#define PTE_G   (1ull << 8)
#define PTE_XD  (1ull << 63)

/* Page-fault error code (SDM Vol. 3 4.7, Figure 4-12). */
#define PFEC_P    (1u << 0)
#define PFEC_W    (1u << 1)
#define PFEC_U    (1u << 2)
#define PFEC_RSVD (1u << 3)
#define PFEC_ID   (1u << 4)

/* Paging modes (SDM Vol. 3 4.1.1, Table 4-1). */
enum pg_mode { PG_OFF, PG_32, PG_PAE, PG_4L };

static inline enum pg_mode pg_mode_of(uint64_t cr0, uint64_t cr4, uint64_t efer)
{
    if (!(cr0 & CR0_PG))
        return PG_OFF;
    if (!(cr4 & CR4_PAE))
        return PG_32;
    return (efer & EFER_LMA) ? PG_4L : PG_PAE;
}

/* Walk flags. */
#define WALK_COUNT  1u   /* count the walk and its references in c->ctr, charge walk_ref */
#define WALK_COMMIT 2u   /* on success, set accessed (and dirty for writes) bits in memory */
#define WALK_NOPERM 4u   /* do not check access rights (debug translation) */

struct walk_out {
    uint64_t pbase;     /* physical base of the page */
    uint8_t shift;      /* 12, 21, 22, 30 */
    uint8_t flags;      /* TF_* (tlb.h), without TF_V */
};

/* Walk the paging structures for lin (already truncated/canonical) and access acc. Returns 0 and
 * fills *o, or -1 with the page-fault error code in *ec. No fault is raised here. */
int mmu_walk(struct cpu *c, uint64_t lin, unsigned acc, unsigned wflags, struct walk_out *o,
             uint32_t *ec);

/* The TF_* bits that deny an access of kind acc (with ACC_IMPLICIT_SUPER) under CR0.WP,
 * CR4.SMEP/SMAP, at CPL 3 (`user_cpl`) or not, with RFLAGS.AC = ac (SDM Vol. 3 4.6). Includes
 * TF_ND for writes (a write needs the dirty bit set first). */
uint8_t mmu_deny_for(uint64_t cr0, uint64_t cr4, unsigned acc, bool user_cpl, bool ac);

/* Physical accesses used by the walker (RAM directly, else the bus; RAM writes go to the decode
 * cache hook). */
uint64_t mmu_phys_read(struct cpu *c, uint64_t pa, unsigned size);
void mmu_phys_write(struct cpu *c, uint64_t pa, uint64_t v, unsigned size);

#ifdef __cplusplus
}
#endif
#endif
