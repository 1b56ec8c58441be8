/* ept_walk.c — the EPT walk: guest-physical to host-physical translation through the 4-level EPT
 * paging structures, with EPT misconfigurations, EPT violations and the EPT accessed/dirty flags
 * (SDM Vol. 3 29.3.2, 29.3.3, 29.3.5).
 *
 * Invariants:
 *  - The walk reads one 8-byte entry per level from host-physical memory (RAM or the bus), top
 *    down, and stops at the first entry that is not present (violation), misconfigured, or a leaf.
 *    Every read is counted as one EPT reference when EPTW_COUNT is given.
 *  - A walk that does not succeed writes nothing. A successful walk with EPTW_COMMIT and
 *    EPTP[6] = 1 sets A in every entry used and D in the leaf for a write, each by a
 *    read-modify-write of the current memory value.
 *  - Misconfigurations take precedence over violations: they are detected on each present entry
 *    as it is read; rights are checked only when the whole walk found no misconfiguration.
 */
#include "mmu/ept.h"

#include "cpu/cpu.h"
#include "cpu/model.h"
#include "mmu/paging.h"
#include "mmu/tlb.h"

/* Bits [hi:lo] set. */
static inline uint64_t ebits(unsigned hi, unsigned lo)
{
    return (hi >= 63 ? ~0ull : ((1ull << (hi + 1)) - 1)) & ~((1ull << lo) - 1);
}

static unsigned phys_bits(const struct cpu *c)
{
    if (c->tlb)
        return c->tlb->max_phys_bits;
    return c->model && c->model->max_phys_bits ? c->model->max_phys_bits : 46;
}

/* SDM Vol. 3 29.3.3.1: is this present entry (bits 2:0 != 0) misconfigured? `shift` is the size
 * of the region it maps (39 PML4E, 30 PDPTE, 21 PDE, 12 PTE); *leaf tells whether it maps a page. */
static bool ept_misconfigured(uint64_t cap, unsigned M, uint64_t e, unsigned shift, bool *leaf)
{
    unsigned rwx = (unsigned)(e & EPTE_RWX);
    if (rwx == 2 || rwx == 6)                   /* write-only, write/execute */
        return true;
    if (rwx == 4 && !(cap & EPTCAP_XO))         /* execute-only without the capability */
        return true;
    uint64_t rsvd = M < 52 ? ebits(51, M) : 0;  /* bits 51:M of every entry */
    *leaf = shift == 12;
    switch (shift) {
    case 39:                                    /* PML4E: bits 7:3 reserved */
        rsvd |= ebits(7, 3);
        break;
    case 30:                                    /* PDPTE: 1 GiB page or a page directory */
        if (e & EPTE_PS) {
            if (!(cap & EPTCAP_1G))
                return true;                    /* bit 7 reserved without 1 GiB pages */
            *leaf = true;
            rsvd |= ebits(29, 12);
        } else {
            rsvd |= ebits(6, 3);
        }
        break;
    case 21:                                    /* PDE: 2 MiB page or a page table */
        if (e & EPTE_PS) {
            if (!(cap & EPTCAP_2M))
                return true;
            *leaf = true;
            rsvd |= ebits(20, 12);
        } else {
            rsvd |= ebits(6, 3);
        }
        break;
    default:                                    /* PTE: bit 7 ignored */
        break;
    }
    if (e & rsvd)
        return true;
    if (*leaf) {                                /* memory type 2, 3 or 7 is reserved */
        unsigned mt = EPTE_MT(e);
        if (mt == 2 || mt == 3 || mt == 7)
            return true;
    }
    return false;
}

static uint64_t ept_read_entry(struct cpu *c, uint64_t pa, bool count)
{
    if (count) {
        c->ctr.ept_refs++;
        c->ctr.cycles += c->model ? c->model->ept_walk_ref : 0;
    }
    return mmu_phys_read(c, pa, 8);
}

static void ept_set_bits(struct cpu *c, uint64_t pa, uint64_t bits)
{
    uint64_t cur = mmu_phys_read(c, pa, 8);
    if ((cur | bits) != cur)
        mmu_phys_write(c, pa, cur | bits, 8);
}

enum ept_status ept_walk(struct cpu *c, uint64_t eptp, uint64_t gpa, unsigned acc,
                         unsigned flags, struct ept_out *o)
{
    uint64_t cap = c->model ? c->model->vmx.ept_vpid_cap : 0;
    unsigned M = phys_bits(c);
    uint64_t addr_mask = ebits(M - 1, 12);
    uint64_t table = eptp & addr_mask;
    uint64_t ent_pa[4], e = 0;
    unsigned perm = EPTE_RWX, shift = 39;
    int n = 0;
    bool leaf = false;

    if (flags & EPTW_COUNT)
        c->ctr.ept_walks++;
    o->perm = 0;
    for (;;) {
        uint64_t pa = table + ((gpa >> shift) & 511) * 8;
        e = ept_read_entry(c, pa, flags & EPTW_COUNT);
        ent_pa[n++] = pa;
        if (!(e & EPTE_RWX))                    /* not present: violation, rights AND to 0 */
            return EPT_VIOLATION;
        if (ept_misconfigured(cap, M, e, shift, &leaf))
            return EPT_MISCONFIG;
        perm &= (unsigned)(e & EPTE_RWX);
        if (leaf)
            break;
        table = e & addr_mask;
        shift -= 9;
    }
    o->perm = (uint8_t)perm;
    /* 29.3.3.2: a read needs bit 0, a write bit 1, a fetch bit 2 in every entry used */
    if (!(flags & EPTW_NOPERM) && (acc & ~perm & EPTE_RWX))
        return EPT_VIOLATION;

    uint64_t mask = (1ull << shift) - 1;
    o->hpa = (e & addr_mask & ~mask) | (gpa & mask);
    o->shift = (uint8_t)shift;
    o->memtype = (uint8_t)EPTE_MT(e);
    bool ad = eptp & EPTP_AD;
    o->dirty = !ad || (e & EPTE_D);
    if (ad && (flags & EPTW_COMMIT)) {
        /* 29.3.5: A in every entry used; D in the leaf for a write */
        for (int k = 0; k < n; k++)
            ept_set_bits(c, ent_pa[k],
                         EPTE_A | ((k == n - 1 && (acc & EPTA_WRITE)) ? EPTE_D : 0));
        if (acc & EPTA_WRITE)
            o->dirty = true;
    }
    return EPT_OK;
}
