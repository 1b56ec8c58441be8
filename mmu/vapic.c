/* vapic.c — the APIC-access page in VMX non-root operation ("virtualize APIC accesses", SDM Vol. 3
 * 29.4 "Virtualizing Memory-Mapped APIC Accesses"): which accesses cause APIC-access VM exits
 * (exit reason 44, qualification of Table 28-6), the TPR accesses that are virtualized through the
 * virtual-APIC page instead (29.4.2, 29.4.3.1), APIC-write emulation for offset 080H (29.4.3.2)
 * and the trap-like TPR-below-threshold VM exit of TPR virtualization (29.1.2).
 *
 * hvsim offers neither "APIC-register virtualization" nor "virtual-interrupt delivery", so with
 * "use TPR shadow" = 1 exactly these linear accesses are virtualized: a data read or write of 1, 2
 * or 4 bytes whose page offset is 080H (29.4.2 / 29.4.3.1 with both controls 0; such an access lies
 * in the low 4 bytes of its 16-byte region), unless the same operation already virtualized a write
 * (a read after it, or a write of another size, exits). Everything else exits.
 *
 * Invariants:
 *  - The APIC-access page is identified by its physical address: under EPT the host-physical
 *    address an access translates to (29.4.6.1: "the access's physical address is the result of
 *    an EPT translation"), so a guest maps it through EPT like KVM does.
 *  - Deciding is free of side effects (mmu_check uses it too); only a virtualized write changes
 *    state: bytes 081H-083H of the virtual-APIC page are cleared at once (no instruction can read
 *    them between the write and the end of its operation: a read after a virtualized write in the
 *    same operation exits) and TPR virtualization is left pending to the end of the operation.
 *  - The pending TPR virtualization (t->vapic_trap) is taken at the next instruction boundary
 *    (mmu_vapic_trap_due; the next instruction fetch takes it at the latest) and dropped by every
 *    VMX transition (mmu_vmx_switch): VM entry checks the threshold again (26.7.7).
 */
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/vmx_intercept.h"
#include "mmu/ept.h"
#include "mmu/mmu.h"
#include "mmu/paging.h"
#include "mmu/tlb.h"
#include "sim/bus.h"

#define VAPIC_PROC2_APIC_REGS (1u << 8)     /* "APIC-register virtualization" (24.6.2) */

/* 29.4.2 / 29.4.3.1 with "APIC-register virtualization" and "virtual-interrupt delivery" 0. */
static bool virtualized(const struct cpu *c, unsigned kind, unsigned size, unsigned offset)
{
    const struct tlb *t = c->tlb;
    if (!(vmx_proc_ctls(c) & VMX_PROC_TPR_SHADOW) || kind == ACC_FETCH)
        return false;
    if (vmx_proc2_ctls(c) & (VAPIC_PROC2_APIC_REGS | VMX_PROC2_VID))
        return false;   /* not offered by hvsim (VM entry refuses them): never virtualize */
    if (size == 0 || size > 4 || offset != VMX_VAPIC_VTPR)
        return false;
    bool same_op = t->vapic_trap && t->vapic_op == c->ctr.insns;
    if (same_op && (kind != ACC_WRITE || size != t->vapic_wsize))
        return false;   /* the operation already virtualized a write */
    return true;
}

int mmu_apic_access(struct cpu *c, uint64_t lin, unsigned acc, unsigned size, struct walk_out *o,
                    uint64_t *vpa)
{
    struct tlb *t = c->tlb;
    uint64_t size_pg = 1ull << o->shift;
    uint64_t pa = o->pbase | (lin & (size_pg - 1));
    if ((pa & ~0xfffull) == t->apic_page) {
        unsigned kind = acc & ACC_KIND, offset = (unsigned)(pa & 0xfff), type;
        if (virtualized(c, kind, size, offset)) {
            *vpa = c->vmx.vmcs[VMCS_VIRTUAL_APIC_ADDR] + offset;
            return 1;
        }
        if (kind == ACC_FETCH)
            type = APIC_ACC_LIN_FETCH;
        else if (c->delivering >= 0)
            type = APIC_ACC_LIN_EVENT;
        else
            type = kind == ACC_WRITE ? APIC_ACC_LIN_WRITE : APIC_ACC_LIN_READ;
        struct vmx_exit_req x;
        memset(&x, 0, sizeof x);
        x.reason = VMX_EXIT_APIC_ACCESS;
        x.qual = offset | ((uint64_t)type << 12);
        vmx_exit_raise(c, &x);
    }
    /* a translation of a larger page around the APIC-access page is cached as the 4 KiB page of
     * the access only (29.4.1 allows large pages either way; hvsim always checks) */
    if (o->shift > 12 && t->apic_page - o->pbase < size_pg) {
        o->pbase += (lin & (size_pg - 1)) & ~0xfffull;
        o->shift = 12;
    }
    return 0;
}

void mmu_vapic_written(struct cpu *c, unsigned size)
{
    struct tlb *t = c->tlb;
    uint64_t vtpr = c->vmx.vmcs[VMCS_VIRTUAL_APIC_ADDR] + VMX_VAPIC_VTPR;
    /* 29.4.3.2 APIC-write emulation for 080H: bytes 081H-083H are cleared, then TPR
     * virtualization (29.1.2) follows the operation */
    uint8_t b = (uint8_t)bus_read(c->bus, vtpr, 1);
    bus_write(c->bus, vtpr, b, 4);
    t->vapic_trap = true;
    t->vapic_wsize = (uint8_t)size;
    t->vapic_op = c->ctr.insns;
    c->block_end = true;    /* the boundary after this instruction must see it */
    for (unsigned k = 0; k < TLB_FAST_SLOTS; k++)
        t->ifast[k].tag = TLB_FAST_INVALID;     /* so the next fetch takes the slow path */
}

bool mmu_vapic_trap_due(struct cpu *c)
{
    struct tlb *t = c->tlb;
    if (!t->vapic_trap || t->vapic_op == c->ctr.insns)
        return false;   /* nothing pending, or still inside the operation that wrote VTPR */
    t->vapic_trap = false;
    /* 29.1.2: with "virtual-interrupt delivery" 0, exit if VTPR[7:4] < TPR threshold[3:0] */
    return c->vmx.nonroot && vmx_tpr_below_threshold(c);
}

void mmu_vapic_trap_fetch(struct cpu *c)
{
    if (!mmu_vapic_trap_due(c))
        return;
    /* trap-like (29.1.2): RIP is the next instruction, which has not started; no instruction
     * length or qualification */
    struct vmx_exit_req x;
    memset(&x, 0, sizeof x);
    x.reason = VMX_EXIT_TPR_BELOW_THRESHOLD;
    vmx_exit_raise(c, &x);
}

bool mmu_apic_gpa_access(struct cpu *c, uint64_t hpa, unsigned wflags, struct vmx_exit_req *x)
{
    struct tlb *t = c->tlb;
    if ((hpa & ~0xfffull) != t->apic_page || (wflags & WALK_NOPERM))
        return false;
    /* 29.4.6.1: guest-physical accesses (guest paging-structure references, PDPTE loads, guest
     * A/D updates) are never virtualized; Table 28-6: type 10 during event delivery, else 15;
     * bits 11:0 are undefined for them (0 here) */
    memset(x, 0, sizeof *x);
    x->reason = VMX_EXIT_APIC_ACCESS;
    x->qual = (uint64_t)(c->delivering >= 0 ? APIC_ACC_GPA_EVENT : APIC_ACC_GPA_FETCH_EXEC) << 12;
    return true;
}
