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
    uint64_t pbase;     /* physical base of the page (host-physical under EPT) */
    uint64_t gpa;       /* the (guest-)physical address of lin itself */
    uint8_t shift;      /* 12, 21, 22, 30 (under EPT the smaller of the guest and EPT pages) */
    uint8_t flags;      /* TF_* (tlb.h), without TF_V; under EPT with the EPT rights folded in */
    struct vmx_exit_req exit;   /* the EPT violation / misconfiguration when the walk returns -2 */
};

/* Walk the paging structures for lin (already truncated/canonical) and access acc. Returns 0 and
 * fills *o, -1 with the page-fault error code in *ec, or -2 (EPT in use, c->tlb->ept_on) with the
 * VM exit an EPT walk asks for in o->exit: every guest paging-structure reference, the final
 * guest-physical address and the guest A/D updates go through EPT (the 2-D walk, SDM Vol. 3
 * 29.3.2). With paging off under EPT the linear address is the guest-physical address. No fault
 * or exit is raised here. */
int mmu_walk(struct cpu *c, uint64_t lin, unsigned acc, unsigned wflags, struct walk_out *o,
             uint32_t *ec);

/* The TF_* bits that deny an access of kind acc (with ACC_IMPLICIT_SUPER) under CR0.WP,
 * CR4.SMEP/SMAP, at CPL 3 (`user_cpl`) or not, with RFLAGS.AC = ac (SDM Vol. 3 4.6). Includes
 * TF_ND for writes (a write needs the dirty bit set first). */
uint8_t mmu_deny_for(uint64_t cr0, uint64_t cr4, unsigned acc, bool user_cpl, bool ac);

/* Physical accesses used by the walker (RAM directly, else the bus; RAM writes go to the decode
 * cache hook). */
uint64_t mmu_phys_read(struct cpu *c, uint64_t pa, unsigned size);
/* Translate the guest-physical address of a guest paging-structure access (or, with gla_valid
 * false, a PDPTE load) through EPT; on failure fill *x with the exit (GLA valid as given, bit 8
 * = 0) and return false. `write`: an A/D update (a write even without EPTP[6]). */
bool mmu_ept_pse(struct cpu *c, uint64_t gpa, uint64_t lin, bool gla_valid, bool write,
                 unsigned wflags, uint64_t *hpa, struct vmx_exit_req *x);
/* The last step of the 2-D walk: translate o->gpa (the guest-physical address of lin, o->pbase/
 * o->shift its guest page) through EPT for access acc and fold the result into *o: host-physical
 * page, the smaller page size, TF_NR/TF_ND/TF_NX for the EPT rights (mmu/tlb.h). 0, or -2 with the
 * exit in o->exit (GLA valid, bit 8 = 1). */
int mmu_ept_final(struct cpu *c, uint64_t lin, unsigned acc, unsigned wflags, struct walk_out *o);
void mmu_phys_write(struct cpu *c, uint64_t pa, uint64_t v, unsigned size);

/* The APIC-access page (vapic.c, SDM Vol. 3 29.4). For a linear access of `size` bytes (0: not
 * virtualizable, e.g. bulk copies) translated by *o: 0 if the page is not the APIC-access page (a
 * large page around it is narrowed to the 4 KiB page of the access in *o); 1 if the access is
 * virtualized, with *vpa its address on the virtual-APIC page; otherwise the APIC-access VM exit
 * is raised (never returns). Free of side effects. */
int  mmu_apic_access(struct cpu *c, uint64_t lin, unsigned acc, unsigned size,
                     struct walk_out *o, uint64_t *vpa);
/* After a virtualized write of `size` bytes was stored at *vpa: APIC-write emulation (29.4.3.2). */
void mmu_vapic_written(struct cpu *c, unsigned size);
/* A guest-physical access (EPT step of a walk) whose host-physical address is `hpa`: true, with
 * the APIC-access VM exit (type 10 or 15) in *x, if it is on the APIC-access page (29.4.6.1). */
bool mmu_apic_gpa_access(struct cpu *c, uint64_t hpa, unsigned wflags, struct vmx_exit_req *x);
/* The pending TPR virtualization taken by the instruction fetch at the next boundary. */
void mmu_vapic_trap_fetch(struct cpu *c);

#ifdef __cplusplus
}
#endif
#endif
