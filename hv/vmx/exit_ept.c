/* exit_ept.c — EPT violations (SDM Vol. 3 29.3.3.2, exit qualification table 27-7).
 *
 * An access to the VP's local-APIC page (the root's at its IA32_APIC_BASE, absent from its EPT;
 * a child's at FEE00000H) is its virtual APIC (hv/vmx/vapic_mmio.c, docs/HYPERVISOR.md "Virtual
 * local APIC"). Any other unmapped GPA of the root (the hypervisor's memory, a deposited page)
 * gives the root #GP(0); a child's other EPT violation is an intercept message to the root
 * (HVMSG_UNMAPPED_GPA, or HVMSG_GPA_INTERCEPT for a page mapped without the access's
 * permission), the VP INTERCEPT_SUSPENDED.
 *
 * Invariants: nothing here touches a physical APIC; vmx_root_apic_gpa is the root's APIC page
 * (hv/part/root.c sets it from the physical IA32_APIC_BASE and leaves it out of the EPT).
 */
#include "hv/vapic/vapic.h"
#include "hv/vmx/vmx.h"
#include "krt/krt.h"

uint64_t vmx_root_apic_gpa = 0xFEE00000ull;

unsigned vmx_insn_bytes(struct hv_vp *vp, uint8_t buf[16]);   /* exit.c */

int vmx_exit_ept_violation(struct hv_vp *vp)
{
    uint64_t gpa = vmx_read(VMCS_GUEST_PHYS), q = vmx_read(VMCS_EXIT_QUAL);
    if (vp->part->id != HV_PARTITION_ROOT_ID) {
        if ((gpa & ~0xFFFull) == VAPIC_DEFAULT_BASE)
            return vmx_vapic_mmio(vp, gpa);   /* its own virtual APIC (IA32_APIC_BASE fixed) */
        /* 27.2.1 table 27-7: 0 read, 1 write, 2 fetch; 7 linear address valid. The VP waits
         * for the root (hv/synic/intercept.c): unmapped GPA, or a mapping without the right */
        struct hv_intercept ii = {
            .type = ept_lookup(&vp->part->ept, gpa, NULL, NULL) == 0 ? HVMSG_GPA_INTERCEPT
                                                                     : HVMSG_UNMAPPED_GPA,
            .access = (q & 4) ? HV_INTERCEPT_ACCESS_EXECUTE
                      : (q & 2) ? HV_INTERCEPT_ACCESS_WRITE : HV_INTERCEPT_ACCESS_READ,
            .gpa = gpa,
            .gva_valid = (q & (1u << 7)) != 0,
            .gva = (q & (1u << 7)) ? vmx_read(VMCS_GUEST_LINEAR) : 0,
        };
        ii.insn_byte_count = (uint8_t)vmx_insn_bytes(vp, ii.insn_bytes);
        vmx_vp_stop(vp, HV_VP_INTERCEPT_SUSPENDED);
        synic_intercept(vp, &ii);
        return 1;
    }
    if ((gpa & ~0xFFFull) == vmx_root_apic_gpa)
        return vmx_vapic_mmio(vp, gpa);
    hv_log("vmx: root VP %u: access to GPA %#lx (not the root's, qualification %#lx) at RIP "
           "%#lx: #GP\n", vp->index, (unsigned long)gpa, (unsigned long)q,
           (unsigned long)vmx_read(VMCS_G_RIP));
    vmx_inject_exception(VEC_GP, true, 0);
    return 0;
}
