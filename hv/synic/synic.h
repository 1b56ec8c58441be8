/* synic.h — hv/synic internals shared with hv/part: the SynIC/timer register reset of a new VP
 * (TLFS 11.8) and the guest-page helpers of the synthetic MSRs.
 *
 * Invariants: guest pages are only written through synic_guest_page (an ept_lookup with write
 * permission in the VP's own partition's EPT first).
 */
#ifndef HV_SYNIC_SYNIC_H
#define HV_SYNIC_SYNIC_H

#include <stdint.h>

#include "hv/part/part.h"

/* Reset values of a VP's SynIC registers: SINTx masked (0x10000), the rest 0. */
void synic_vp_init(struct hv_vp *vp);
/* The hypervisor's pointer to guest page `gpa` of vp's partition if it is mapped writable there,
 * else NULL. */
void *synic_guest_page(struct hv_vp *vp, uint64_t gpa);
/* TIME_REF_COUNT: TSC ticks converted to 100 ns units (TLFS 12.4). */
uint64_t synic_time_ref_count(void);
/* The reference TSC page's scale: floor(2^64 * 10^7 / tsc_hz) (TLFS 12.7.3), 0 if unusable. */
uint64_t synic_tsc_scale(uint64_t tsc_hz);

#endif
