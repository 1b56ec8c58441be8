/* paging.c — the page walker: 32-bit paging (4 KiB, 4 MiB with CR4.PSE and PSE-36), PAE paging
 * (PDPTE registers, 4 KiB and 2 MiB) and 4-level paging (4 KiB, 2 MiB, 1 GiB), with reserved-bit
 * checks against MAXPHYADDR, access rights (U/S, R/W, XD, CR0.WP, SMEP, SMAP) and accessed/dirty
 * updates, per SDM Vol. 3 4.3-4.8.
 *
 * Invariants:
 *  - Every paging-structure reference is a physical read through the bus (RAM or MMIO), counted
 *    as one walk reference when WALK_COUNT is given. PAE PDPTEs come from the PDPTE registers
 *    (loaded on MOV to CR3/CR0/CR4, SDM 4.4.1) and cost no reference.
 *  - A walk that fails has no side effect in memory: accessed and dirty bits are set only after
 *    the whole translation and its access rights were checked (SDM 4.8 permits setting them only
 *    for translations that are used; we never set them for a faulting access).
 *  - The error code is built exactly as SDM 4.7 says: P is 0 only for a not-present entry; RSVD
 *    implies P; I/D only for fetches when SMEP=1 or PAE+NXE.
 *  - Under EPT (tlb->ept_on) the walk is two-dimensional (SDM Vol. 3 29.3.2): each entry's
 *    guest-physical address is translated through EPT before it is read, the final guest-physical
 *    address after the guest rights were checked (a #PF has priority over an EPT violation of
 *    the final access), and every EPT translation for a guest A/D update before any is written.
 */
#include "mmu/paging.h"

#include "mmu/ept.h"
#include "mmu/mmu.h"
#include "mmu/tlb.h"

uint8_t mmu_deny_for(uint64_t cr0, uint64_t cr4, unsigned acc, bool user_cpl, bool ac)
{
    bool implicit = acc & ACC_IMPLICIT_SUPER;
    bool user = user_cpl && !implicit;
    /* SMAP (4.6): supervisor data accesses to user-mode addresses are blocked when CR4.SMAP=1
     * and either RFLAGS.AC=0 or the access is implicit. */
    bool smap = (cr4 & CR4_SMAP) && (!ac || implicit);
    switch (acc & ACC_KIND) {
    case ACC_READ:      /* TF_NR: EPT execute-only (only ever set under EPT) */
        return TF_NR | (user ? TF_S : (smap ? TF_U : 0));
    case ACC_WRITE:
        if (user)
            return TF_ND | TF_S | TF_RO;
        return TF_ND | ((cr0 & CR0_WP) ? TF_RO : 0) | (smap ? TF_U : 0);
    case ACC_FETCH:
        if (user)
            return TF_NX | TF_S;
        return TF_NX | ((cr4 & CR4_SMEP) ? TF_U : 0);
    default:
        return 0xff;
    }
}

/* Read one paging-structure entry. */
static uint64_t pte_read(struct cpu *c, uint64_t pa, unsigned esz, bool count)
{
    if (count) {
        c->ctr.walk_refs++;
        c->ctr.cycles += c->tlb->walk_cost;
    }
    return mmu_phys_read(c, pa, esz);
}

/* Set bits in an entry with a read-modify-write of the current memory value (the locked OR the
 * processor performs, SDM 4.8). */
static void pte_set(struct cpu *c, uint64_t pa, unsigned esz, uint64_t bits)
{
    uint64_t cur = mmu_phys_read(c, pa, esz);
    if ((cur | bits) != cur)
        mmu_phys_write(c, pa, cur | bits, esz);
}

/* Bits [hi:lo] set. */
static inline uint64_t bits(unsigned hi, unsigned lo)
{
    return (hi >= 63 ? ~0ull : ((1ull << (hi + 1)) - 1)) & ~((1ull << lo) - 1);
}

int mmu_walk(struct cpu *c, uint64_t lin, unsigned acc, unsigned wflags, struct walk_out *o,
             uint32_t *ec)
{
    struct tlb *t = c->tlb;
    enum pg_mode m = pg_mode_of(c->cr0, c->cr4, c->msr.efer);
    unsigned kind = acc & ACC_KIND;
    bool count = wflags & WALK_COUNT;
    bool user_cpl = c->cpl == 3;
    bool user = user_cpl && !(acc & ACC_IMPLICIT_SUPER);
    unsigned M = t->max_phys_bits;
    uint64_t addr_mask = bits(M - 1, 12);           /* physical-address bits of a table/page */
    bool nxe = (c->msr.efer & EFER_NXE) && m != PG_32;
    uint64_t xd_rsvd = (m != PG_32 && !nxe) ? PTE_XD : 0;  /* XD reserved when NXE=0 (4.5) */
    uint64_t rsvd_hi, table, v = 0;
    unsigned shift, esz, idx_bits;
    struct { uint64_t pa, hpa, v; } ent[4];   /* (guest-)physical, host-physical, value read */
    int n = 0;
    bool ept = t->ept_on;

    uint32_t base_ec = (kind == ACC_WRITE ? PFEC_W : 0) | (user ? PFEC_U : 0);
    if (kind == ACC_FETCH &&
        ((c->cr4 & CR4_SMEP) || ((c->cr4 & CR4_PAE) && (c->msr.efer & EFER_NXE))))
        base_ec |= PFEC_ID;

    if (count)
        c->ctr.walks++;

    switch (m) {
    case PG_32:     /* 4.3: CR3[31:12] -> PDE (bits 31:22) -> PTE (21:12), 4-byte entries */
        esz = 4;
        idx_bits = 10;
        shift = 22;
        table = c->cr3 & 0xfffff000ull;
        rsvd_hi = 0;
        break;
    case PG_PAE: {  /* 4.4: PDPTE register (31:30) -> PDE (29:21) -> PTE (20:12) */
        uint64_t pdpte = t->pdpte[(lin >> 30) & 3];
        if (!(pdpte & PTE_P)) {
            *ec = base_ec;
            return -1;
        }
        esz = 8;
        idx_bits = 9;
        shift = 21;
        table = pdpte & addr_mask;
        rsvd_hi = bits(62, M);
        break;
    }
    case PG_4L:     /* 4.5: CR3 -> PML4E (47:39) -> PDPTE (38:30) -> PDE (29:21) -> PTE (20:12) */
        esz = 8;
        idx_bits = 9;
        shift = 39;
        table = c->cr3 & addr_mask;
        rsvd_hi = M < 52 ? bits(51, M) : 0;
        break;
    default:
        o->gpa = lin;
        if (!ept) {
            o->pbase = lin & ~0xfffull;
            o->shift = 12;
            o->flags = TF_U;
            return 0;
        }
        /* unrestricted guest with paging off: lin is the guest-physical address, cached as a
         * guest-physical mapping of up to the EPT page size; no guest rights apply */
        o->pbase = lin & ~((1ull << 30) - 1);
        o->shift = 30;
        o->flags = 0;
        return mmu_ept_final(c, lin, acc, wflags, o);
    }

    bool rw = true, us = true, xd = false;
    for (;;) {
        uint64_t pa = table + ((lin >> shift) & ((1u << idx_bits) - 1)) * esz, hpa = pa;
        if (ept && !mmu_ept_pse(c, pa, lin, true, false, wflags, &hpa, &o->exit))
            return -2;
        v = pte_read(c, hpa, esz, count);
        ent[n].pa = pa;
        ent[n].hpa = hpa;
        ent[n++].v = v;
        if (!(v & PTE_P)) {
            *ec = base_ec;
            return -1;
        }
        bool leaf = shift == 12;
        uint64_t rsvd = rsvd_hi | xd_rsvd;
        if (!leaf && (v & PTE_PS)) {
            if (m == PG_32) {
                if (c->cr4 & CR4_PSE) {         /* 4 MiB page, PSE-36 (Table 4-4) */
                    leaf = true;
                    rsvd = 1ull << 21;
                    if (M < 40)
                        rsvd |= bits(20, 13 + (M - 32));
                }                               /* else PS is ignored */
            } else if (shift == 39) {
                rsvd |= PTE_PS;                 /* PML4E: PS reserved (Table 4-15) */
            } else if (shift == 30) {
                if (t->has_1g) {                /* 1 GiB page (Table 4-16) */
                    leaf = true;
                    rsvd |= bits(29, 13);
                } else {
                    rsvd |= PTE_PS;
                }
            } else {                            /* 2 MiB page (Tables 4-9, 4-18) */
                leaf = true;
                rsvd |= bits(20, 13);
            }
        }
        if (v & rsvd) {
            *ec = base_ec | PFEC_P | PFEC_RSVD;
            return -1;
        }
        rw = rw && (v & PTE_RW);
        us = us && (v & PTE_US);
        if (nxe && (v & PTE_XD))
            xd = true;
        if (leaf)
            break;
        table = m == PG_32 ? (v & 0xfffff000ull) : (v & addr_mask);
        shift -= idx_bits;
    }

    if (m == PG_32 && shift == 22)
        o->pbase = (v & 0xffc00000ull) | (((v >> 13) & 0xff) << 32);
    else if (m == PG_32)
        o->pbase = v & 0xfffff000ull;
    else
        o->pbase = v & addr_mask & ~((1ull << shift) - 1);
    o->shift = (uint8_t)shift;
    o->flags = (uint8_t)((us ? TF_U : TF_S) | (rw ? 0 : TF_RO) | (xd ? TF_NX : 0) |
                         ((v & PTE_D) ? 0 : TF_ND) |
                         (((v & PTE_G) && (c->cr4 & CR4_PGE)) ? TF_G : 0));

    if (!(wflags & WALK_NOPERM)) {
        uint8_t deny = mmu_deny_for(c->cr0, c->cr4, acc, user_cpl, (c->rflags & RF_AC) != 0);
        if (o->flags & deny & ~TF_ND) {
            *ec = base_ec | PFEC_P;
            return -1;
        }
    }

    o->gpa = o->pbase | (lin & ((1ull << shift) - 1));
    if (ept && mmu_ept_final(c, lin, acc, wflags, o) < 0)
        return -2;

    if (wflags & WALK_COMMIT) {
        /* 4.8: A in every entry used, D in the final entry for a write. Under EPT without
         * EPTP[6] the updates are EPT writes: translate every one before writing any. */
        uint64_t set[4];
        for (int k = 0; k < n; k++) {
            set[k] = PTE_A | ((k == n - 1 && kind == ACC_WRITE) ? PTE_D : 0);
            /* the translation made for the read is reused: a rights check, no references */
            if (ept && !(t->eptp & EPTP_AD) && (ent[k].v | set[k]) != ent[k].v &&
                !mmu_ept_pse(c, ent[k].pa, lin, true, true, wflags & ~WALK_COUNT, &ent[k].hpa,
                             &o->exit))
                return -2;
        }
        for (int k = 0; k < n; k++)
            pte_set(c, ent[k].hpa, esz, set[k]);
        if (kind == ACC_WRITE)
            o->flags &= (uint8_t)~TF_ND;
    }
    return 0;
}
