/* event.c — SynIC event flags (TLFS 11.9 "SynIC Event Flags", HV_SYNIC_EVENT_FLAGS; QEMU
 * hw/hyperv/hyperv.c hyperv_set_event_flag): synic_signal_event of hv/hv_svc.h.
 *
 * The SIEF page holds 16 areas of 256 bytes (2048 flags), one per SINT. Setting a flag is an
 * atomic OR on the 32-bit word that holds it (the guest clears flags with atomic operations);
 * the SINT's vector is raised only when the flag goes from 0 to 1: a second signal of a flag the
 * guest has not cleared yet raises nothing. A flag that goes 0 -> 1 is annotated
 * (HVSIM_ANNOT_SYNIC_EVENT, traces/annot_abi.h) before its vector is raised.
 *
 * Invariants: the page is reached only through synic_guest_page (the VP's own EPT, writable
 * RAM), under the VP's SynIC lock (a SIEFP write that moves or disables the page waits for it:
 * message.c); nothing else in the page is written.
 */
#include "hv/hv_svc.h"
#include "hv/part/annot.h"
#include "hv/synic/synic.h"

uint16_t synic_signal_event(struct hv_vp *vp, unsigned sint, unsigned flag)
{
    const struct hv_synic_vp *s = &vp->synic;
    if (sint >= HV_SYNIC_SINT_COUNT || flag >= HV_EVENT_FLAGS_COUNT)
        return HV_STATUS_INVALID_PARAMETER;
    if (!(s->scontrol & HV_SYNIC_CONTROL_ENABLE) || !(s->siefp & HV_SYNIC_SIEFP_ENABLE) ||
        (s->sint[sint] & HV_SYNIC_SINT_MASKED))
        return HV_STATUS_INVALID_SYNIC_STATE;
    synic_vp_lock(vp);
    uint32_t *page = (s->siefp & HV_SYNIC_SIEFP_ENABLE) ? synic_guest_page(vp, s->siefp & ~0xFFFull)
                                                        : NULL;
    if (!page) {
        synic_vp_unlock(vp);
        return HV_STATUS_INVALID_SYNIC_STATE;
    }
    uint32_t *word = &page[sint * (HV_EVENT_FLAGS_COUNT / 32) + flag / 32];
    uint32_t bit = 1u << (flag % 32);
    uint32_t old = __atomic_fetch_or(word, bit, __ATOMIC_SEQ_CST);
    synic_vp_unlock(vp);
    if (!(old & bit)) {
        uint8_t vector = (uint8_t)(s->sint[sint] & HV_SYNIC_SINT_VECTOR_MASK);
        /* the trace's `synic_event` (traces/annot_abi.h) */
        hv_annotate(HVSIM_ANNOT_SYNIC_EVENT, vp->part->id,
                    HVSIM_ANNOT_SYNIC_A1(vp->index, sint, vector, 0), flag, 0);
        vp_raise_irq(vp, vector);
    }
    return HV_STATUS_SUCCESS;
}
