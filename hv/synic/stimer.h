/* stimer.h — synthetic timers and the partition reference time (TLFS 12 "Timers"; hv/synic/
 * stimer.c; docs/HYPERVISOR.md "Synthetic timers").
 *
 * Time bases: a partition's reference time counts 100 ns units from its creation
 * (hv_partition.ref_time_tsc is the TSC then); timers are kept as the TSC at which they expire
 * (hv_synic_vp.stimer_due) so the run loop can compare with RDTSC and bound slices.
 *
 * Invariants: a VP's timer state is changed only on its own LP (its WRMSR exits and
 * synic_vp_poll); other LPs only read stimer_due (synic_lp_deadline of their own LP's VPs).
 */
#ifndef HV_SYNIC_STIMER_H
#define HV_SYNIC_STIMER_H

#include <stdint.h>

#include "hv/part/part.h"

/* STIMER0-3 CONFIG/COUNT (0x400000B0-0x400000B7): 0 done, -1 #GP. */
int synic_stimer_rdmsr(struct hv_vp *vp, uint32_t msr, uint64_t *v);
int synic_stimer_wrmsr(struct hv_vp *vp, uint32_t msr, uint64_t v);

/* Partition p's reference time now (TIME_REF_COUNT, TLFS 12.4). */
uint64_t synic_ref_time(const struct hv_partition *p);
/* The TSC at which p's reference time reaches `ref` (the first such TSC; UINT64_MAX if never). */
uint64_t synic_ref_to_tsc(const struct hv_partition *p, uint64_t ref);
/* The reference TSC page's offset for p with scale `scale` (TLFS 12.7.3:
 * time = ((tsc * scale) >> 64) + offset). */
int64_t synic_ref_tsc_offset(const struct hv_partition *p, uint64_t scale);

/* The earliest TSC at which vp has a timer to deliver, 0 if none (timers waiting for a message
 * slot do not count: the guest's EOM exit brings them). */
uint64_t synic_stimer_deadline(const struct hv_vp *vp);

/* The hooks hv/vmx/loop.c calls (weak there). synic_vp_poll: on vp's LP, deliver the timers
 * that are due. synic_lp_deadline: the earliest synic_stimer_deadline of the halted VPs of LP
 * `lp` (those the loop polls when it looks for work), 0 if none; the loop adds the running VP's
 * own synic_stimer_deadline when it bounds a slice. */
void synic_vp_poll(struct hv_vp *vp);
uint64_t synic_lp_deadline(uint32_t lp);

#endif
