/* ept_xlate.c — the EPT steps of the 2-D walk (SDM Vol. 3 29.3.2): guest paging-structure
 * references and the final guest-physical address are translated through EPT (ept_walk.c), and a
 * failed EPT walk becomes the VM-exit request of an EPT violation (exit reason 48, qualification
 * of Table 28-7) or an EPT misconfiguration (49).
 *
 * Invariants:
 *  - Used only while c->tlb->ept_on (VMX non-root operation with "enable EPT").
 *  - Every request carries the guest-physical address; an EPT violation carries the access bits
 *    (2:0), the combined rights (5:3), bit 7 and bit 8 as the SDM defines them, and the linear
 *    address when bit 7 is set. Bits the SDM leaves undefined (a misconfiguration's
 *    qualification and linear address) are 0. NMI unblocking (bit 12) is the exit code's business.
 */
#include <string.h>

#include "cpu/cpu.h"
#include "mmu/ept.h"
#include "mmu/mmu.h"
#include "mmu/paging.h"
#include "mmu/tlb.h"

/* The exit request of a failed EPT walk. */
static void ept_exit_req(struct vmx_exit_req *x, enum ept_status st, unsigned eacc,
                         const struct ept_out *eo, uint64_t gpa, uint64_t lin, uint64_t gla_bits)
{
    memset(x, 0, sizeof *x);
    x->gpa = gpa;
    if (st == EPT_MISCONFIG) {
        x->reason = VMX_EXIT_EPT_MISCONFIG;
        return;
    }
    x->reason = VMX_EXIT_EPT_VIOLATION;
    x->qual = EPTQ_ACCESS(eacc) | EPTQ_PERM(eo->perm) | gla_bits;
    if (gla_bits & EPTQ_GLA_VALID)
        x->gla = lin;
}

static unsigned ept_wflags(unsigned wflags)
{
    return ((wflags & WALK_COUNT) ? EPTW_COUNT : 0) | ((wflags & WALK_COMMIT) ? EPTW_COMMIT : 0) |
           ((wflags & WALK_NOPERM) ? EPTW_NOPERM : 0);
}

bool mmu_ept_pse(struct cpu *c, uint64_t gpa, uint64_t lin, bool gla_valid, bool write,
                 unsigned wflags, uint64_t *hpa, struct vmx_exit_req *x)
{
    struct tlb *t = c->tlb;
    /* 29.3.3.2: with EPTP[6] = 1 every guest paging-structure access is treated as a write */
    unsigned eacc = (t->eptp & EPTP_AD) ? EPTA_READ | EPTA_WRITE
                                        : write ? EPTA_WRITE : EPTA_READ;
    struct ept_out eo;
    enum ept_status st = ept_walk(c, t->eptp, gpa, eacc, ept_wflags(wflags), &eo);
    if (st == EPT_OK) {
        *hpa = eo.hpa;
        if (__builtin_expect(t->apic_page != TLB_NO_APIC_PAGE, 0) &&
            mmu_apic_gpa_access(c, eo.hpa, wflags, x))
            return false;   /* guest-physical access to the APIC-access page (29.4.6.1) */
        return true;
    }
    ept_exit_req(x, st, eacc, &eo, gpa, lin, gla_valid ? EPTQ_GLA_VALID : 0);
    return false;
}

int mmu_ept_final(struct cpu *c, uint64_t lin, unsigned acc, unsigned wflags, struct walk_out *o)
{
    struct tlb *t = c->tlb;
    unsigned kind = acc & ACC_KIND;
    unsigned eacc = kind == ACC_WRITE ? EPTA_WRITE : kind == ACC_FETCH ? EPTA_FETCH : EPTA_READ;
    struct ept_out eo;
    enum ept_status st = ept_walk(c, t->eptp, o->gpa, eacc, ept_wflags(wflags), &eo);
    if (st != EPT_OK) {
        ept_exit_req(&o->exit, st, eacc, &eo, o->gpa, lin, EPTQ_GLA_VALID | EPTQ_GLA_XLATE);
        return -2;
    }
    unsigned shift = eo.shift < o->shift ? eo.shift : o->shift;
    o->shift = (uint8_t)shift;
    o->pbase = eo.hpa & ~((1ull << shift) - 1);
    if (!(eo.perm & EPTE_R))
        o->flags |= TF_NR;
    if (!(eo.perm & EPTE_W) || !eo.dirty)
        o->flags |= TF_ND;
    if (!(eo.perm & EPTE_X))
        o->flags |= TF_NX;
    return 0;
}
