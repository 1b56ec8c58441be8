/* hc_ipi.c — HvCallSendSyntheticClusterIpi (0x000B; TLFS "Virtual interrupts": synthetic
 * cluster IPI; input layout of Linux hyperv-tlfs.h struct hv_send_ipi) (docs/HYPERVISOR.md
 * "Hypercalls").
 *
 * Rules (beyond the dispatcher's checks): a simple call, fast form allowed (RDX = vector and
 * target VTL, R8 = the processor mask, as Linux and Windows issue it). Vector below 0x10 (the
 * TLFS range is 0x10..0xFF) → INVALID_PARAMETER; a target VTL other than 0 (only VTL 0 exists)
 * or non-zero padding → INVALID_PARAMETER. Then every VP of the caller's own partition whose
 * index has its bit in processor_mask gets the vector as a fixed external interrupt
 * (vp_raise_irq: injected when it can take it, ending HLT). A mask bit with no VP is ignored
 * (Linux never names an absent VP; KVM ignores them too); an empty mask is a success that
 * sends nothing. A STOPPED VP is skipped; a NOT_STARTED, halted or suspended one keeps the
 * vector pending like a real local APIC's IRR.
 *
 * Invariants: IPIs reach only the caller's own partition; the handler reads only x->in.
 */
#include "hv/hcall/hcall.h"
#include "krt/krt.h"

uint16_t hc_send_ipi(struct hc_ctx *x)
{
    struct hv_input_send_synthetic_cluster_ipi in;
    memcpy(&in, x->in, sizeof(in));
    if (in.vector < HV_IPI_LOW_VECTOR || in.vector > HV_IPI_HIGH_VECTOR)
        return HV_STATUS_INVALID_PARAMETER;
    if (in.target_vtl || in.reserved[0] || in.reserved[1] || in.reserved[2])
        return HV_STATUS_INVALID_PARAMETER;
    struct hv_partition *p = x->caller;
    for (uint32_t i = 0; i < 64 && i < HV_MAX_VPS; i++)
        if (((in.processor_mask >> i) & 1) && p->vp[i] && p->vp[i]->state != HV_VP_STOPPED)
            vp_raise_irq(p->vp[i], (uint8_t)in.vector);
    return HV_STATUS_SUCCESS;
}
