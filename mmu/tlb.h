/* tlb.h — the modelled TLBs of one logical processor (L1 ITLB, L1 DTLB, unified STLB) and the
 * host-side fast-lookup slots that make an L1 hit cost a handful of instructions.
 *
 * Model (SDM Vol. 3 4.10.2): each TLB is set-associative with the geometry of the CPU model.
 * An entry caches one translation of a page of 4 KiB, 2 MiB, 4 MiB or 1 GiB (one entry covers the
 * whole page; the set index uses the page number at that page size). Entries are tagged with the
 * PCID, the VPID and an EPT context tag (SDM Vol. 3 29.4.1): tag 0 for linear mappings (no EPT
 * in use), tag k > 0 for combined mappings built through the EPT paging structures of the EPTP in
 * tlb->ept_ctx[k]. Guest-physical mappings (EPT in use with paging off) are entries whose PCID is
 * TLB_PCID_GPA (never a real PCID) and whose linear base is the guest-physical address. Global
 * entries (G=1 with CR4.PGE=1) match every PCID of their VPID and EPT context.
 * Replacement is true LRU with a per-TLB monotonically increasing stamp: the victim is the first
 * invalid way, else the way with the smallest stamp (lowest way number on ties), so it is fully
 * deterministic. The STLB is filled on every walk; an L1 miss that hits the STLB refills the L1.
 *
 * Fast slots (host acceleration, not part of the model): a direct-mapped array per L1 TLB,
 * indexed by the 4 KiB linear page number. A valid slot mirrors one valid L1 entry of the current
 * PCID/VPID context for a 4 KiB linear page lying entirely in RAM. Invariants:
 *  - a slot is valid only while the entry it points to is valid and unchanged (every replacement
 *    or invalidation of an L1 entry clears the slots that point to it; every change of the
 *    current PCID/VPID clears all slots);
 *  - a hit through a slot is exactly a modelled L1 hit: it updates the entry's LRU stamp and the
 *    hit counter, and the permission check uses the same deny table as the slow path.
 */
#ifndef HVSIM_TLB_H
#define HVSIM_TLB_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct cpu;

/* Entry flags: the combined access rights of the translation (SDM Vol. 3 4.6), stored in both
 * polarities so that "access allowed" is one AND with a deny mask (see tlb->deny). */
#define TF_S   0x01u   /* supervisor-mode address (some level has U/S = 0) */
#define TF_U   0x02u   /* user-mode address (U/S = 1 at every level) */
#define TF_RO  0x04u   /* read-only (some level has R/W = 0) */
#define TF_ND  0x08u   /* not dirty: the final entry has D = 0, a write must walk to set it */
#define TF_NX  0x10u   /* execute-disable (XD = 1 at some level, EFER.NXE = 1) */
#define TF_G   0x20u   /* global (G = 1 in the final entry and CR4.PGE = 1) */
#define TF_NR  0x40u   /* not readable: the EPT rights lack R (execute-only page, SDM 29.3.3.2);
                        * EPT rights lacking W (or an EPT leaf with D = 0 under EPTP[6]) are TF_ND,
                        * lacking X are TF_NX: a denied hit re-walks, and the walk raises the
                        * EPT violation */
#define TF_V   0x80u   /* valid */
#define TF_PERM (TF_S | TF_U | TF_RO | TF_ND | TF_NX | TF_NR)

struct tlb_entry {
    uint64_t vbase;     /* linear base of the page (aligned to its size) */
    uint64_t pbase;     /* physical base of the page */
    uint64_t stamp;     /* LRU: value of tlb->clock at the last use */
    uint16_t pcid;      /* PCID, or TLB_PCID_GPA for a guest-physical mapping */
    uint16_t vpid;
    uint8_t shift;      /* page size: 12, 21, 22 or 30 */
    uint8_t flags;      /* TF_* */
    uint16_t ept;       /* EPT context tag: 0 none, else index into tlb->ept_ctx */
};

#define TLB_PCID_GPA 0x1000u        /* "PCID" of guest-physical mappings (paging off under EPT) */
#define TLB_EPT_CTX  8u             /* EPT contexts (tags 1..7) cached at once */
#define TLB_NO_APIC_PAGE UINT64_MAX /* tlb->apic_page when APIC accesses are not virtualized */

/* Page-size classes, in probe order. */
enum { TLB_PS_4K, TLB_PS_2M, TLB_PS_4M, TLB_PS_1G, TLB_NPS };

#define TLB_LIVE_CAP 64u            /* entries the live list of an array can name */

struct tlb_array {
    struct tlb_entry *e;            /* sets * ways entries, set-major */
    uint32_t sets, ways;
    uint32_t n_size[TLB_NPS];       /* valid entries per page-size class (skips empty probes) */
    const char *name;
    /* Host-side bookkeeping, no effect on the model: unless live_over, live[0..nlive) names
     * every valid entry (and maybe some that are no longer valid), so an invalidation that must
     * look at every entry (a VM entry/exit without VPID, a CR3 load) visits only those. */
    uint32_t live[TLB_LIVE_CAP];
    uint32_t nlive;
    bool live_over;
};

#define TLB_FAST_SLOTS 256u        /* power of two */
#define TLB_FAST_INVALID 1ull      /* never equal to a page-aligned tag */

struct tlb_fast {
    uint64_t tag;           /* linear 4 KiB page (lin & ~0xfff) or TLB_FAST_INVALID */
    uintptr_t addend;       /* host address of a byte = lin + addend */
    uint64_t pa_page;       /* physical 4 KiB page */
    struct tlb_entry *e;    /* the L1 entry mirrored */
    uint32_t flags;         /* copy of e->flags */
};

struct tlb {
    /* hot: read by the inline fast paths in mmu.h */
    uint64_t clock;                 /* LRU clock, incremented on every lookup that hits */
    uint32_t mem_cost;              /* model->mem_access */
    uint8_t deny[8][8];             /* [acc & 7][CPL<<1 | RFLAGS.AC]: TF_* bits that deny */
    uint8_t fdeny[8][8];            /* the same for the fast slots, plus TF_V (deny all) where
                                       the slow path must check alignment (#AC, see mmu.c) */
    struct tlb_fast dfast[TLB_FAST_SLOTS];
    struct tlb_fast ifast[TLB_FAST_SLOTS];

    /* the model */
    struct tlb_array itlb, dtlb, stlb;
    uint16_t pcid;                  /* current PCID (CR3[11:0] with CR4.PCIDE=1, else 0) */
    uint16_t vpid;                  /* current VPID: 0 in VMX root operation, or without
                                       "enable VPID" (mmu_vmx_switch) */
    uint16_t ept;                   /* current EPT context tag (0: EPT not in use) */
    bool ept_on;                    /* VMX non-root with "enable EPT": guest-physical addresses
                                       are translated through EPT (the 2-D walk, mmu/paging.c) */
    bool nonroot;                   /* c->vmx.nonroot as of the last mmu_vmx_switch */
    uint64_t eptp;                  /* current EPTP (when ept_on) */
    uint64_t apic_page;             /* APIC-access address (guest-physical with EPT, else
                                       physical) while "virtualize APIC accesses" is in effect
                                       in VMX non-root operation, else TLB_NO_APIC_PAGE */
    uint64_t apic_last;             /* the last APIC-access page put in effect, or
                                       TLB_NO_APIC_PAGE */
    bool vapic_trap;                /* a virtualized write to VTPR (APIC-access page offset
                                       080H) awaits TPR virtualization at the end of its operation
                                       (mmu/vapic.c) */
    uint8_t vapic_wsize;            /* the size of that write */
    uint64_t vapic_op;              /* c->ctr.insns when it was written (its operation) */
    uint64_t ept_ctx[TLB_EPT_CTX];  /* EPTP of each EPT context tag (index 0 unused); 0 free */
    uint32_t ept_next;              /* next tag to reuse when all are taken (round robin) */
    uint64_t pdpte[4];              /* PAE PDPTE registers (SDM Vol. 3 4.4.1) */

    /* cycle-model constants (0 when the CPU has no model) */
    uint32_t stlb_cost, walk_cost;
    uint32_t max_phys_bits;         /* MAXPHYADDR */
    bool has_1g;                    /* 1-GByte pages (CPUID.80000001H:EDX.Page1GB) */

    /* control registers the deny table and the context were computed from */
    uint64_t cr0, cr3, cr4, efer;
};

/* Create the arrays with the geometry of c->model (defaults when NULL). 0 or -1. */
int  tlb_create(struct tlb *t, const struct cpu *c);
void tlb_free(struct tlb *t);

/* Look up lin (a linear address) for the current context; on a hit update LRU and return the
 * entry. No counters are touched here. */
struct tlb_entry *tlb_lookup(struct tlb *t, struct tlb_array *a, uint64_t lin);
/* Insert a translation (replacing the LRU way of its set) and return the new entry. */
struct tlb_entry *tlb_insert(struct tlb *t, struct tlb_array *a, const struct tlb_entry *src);

/* Invalidation. `pcid` < 0 means every PCID. Globals are dropped only with `globals`.
 * tlb_inval_page drops every entry whose page contains lin. All clear the fast slots they
 * affect. */
void tlb_inval_page(struct tlb *t, uint64_t lin, int pcid, bool globals);
void tlb_inval_ctx(struct tlb *t, int pcid, bool globals);
/* VMX (SDM Vol. 3 29.4.3). The tag of the EPT context of `eptp`, allocating one (and dropping
 * every entry of the context it replaces) if needed. */
uint16_t tlb_ept_tag(struct tlb *t, uint64_t eptp);
/* INVEPT: drop the combined and guest-physical mappings of every context whose EPTRTA (bits
 * 51:12) is that of `eptp`, or of every EPT context when `all`. */
void tlb_inval_ept(struct tlb *t, uint64_t eptp, bool all);
/* INVVPID and the VPID-0 flush of VM entry/exit: drop the linear and combined mappings tagged with
 * `vpid` (every VPID but 0 when vpid < 0), all PCIDs and EPT contexts; only the page of `lin`
 * when `one_page`; globals only with `globals`. Guest-physical mappings stay unless `gpa_too`. */
void tlb_inval_vpid(struct tlb *t, int vpid, bool one_page, uint64_t lin, bool globals,
                    bool gpa_too);

/* Clear every fast slot (context switch to another PCID/VPID, or a deny-table rebuild). */
void tlb_fast_clear(struct tlb *t);
/* Count valid entries (tests, statistics). */
unsigned tlb_count(const struct tlb_array *a);

#ifdef __cplusplus
}
#endif
#endif
