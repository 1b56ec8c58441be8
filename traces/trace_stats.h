/* trace_stats.h — statistics over a trace in the spirit of `perf kvm stat`: VM exits by reason
 * with the cycles the root spent handling them, hypercalls by call code with their latency, and
 * interrupt deliveries by vector; for the whole trace, per partition and per virtual processor.
 *
 * Invariants:
 *  - The handling time of an exit is the root_cycles of the next vm_entry on the same logical
 *    processor (the time from the exit to the entry that resumes a guest). An exit with no later
 *    entry on its processor (end of the run) counts with its time unknown (not in min/mean/max).
 *  - The delivery latency of an interrupt is the time from its raise (irq_raise with a target
 *    processor, or a fixed IPI to one processor by physical destination or to itself) to the
 *    first irq_deliver of that vector on that processor; raises before a delivery coalesce (as
 *    in the IRR) and count from the first.
 *  - SynIC messages and event flags count as received by their dst_partition and as sent by
 *    the partition trace_synic_cause names (whole partitions only, not per VP).
 *  - Results depend only on the events, in the reader's order: deterministic.
 */
#ifndef HVSIM_TRACE_STATS_H
#define HVSIM_TRACE_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "traces/trace_reader.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TRACE_STATS_REASONS 66      /* basic reasons 0..64, and [65] = VM-entry failures */
#define TRACE_STATS_MAX_LP 256
#define TRACE_STATS_MSG_TYPES 16    /* distinct SynIC message types counted by name */

struct trace_minmax {
    uint64_t count;     /* events */
    uint64_t timed;     /* events with a known duration */
    uint64_t total, min, max;
};

struct trace_group {
    uint16_t partition;                         /* TRACE_ID_NONE: not known / all */
    uint16_t vp;                                /* TRACE_ID_NONE: the whole partition */
    struct trace_minmax exits[TRACE_STATS_REASONS];
    struct trace_minmax hcalls[0x10000 / 64];   /* hypercall codes 0..1023 (TLFS range used) */
    uint64_t irq[256];                          /* deliveries by vector */
    struct trace_minmax irq_latency[256];       /* raise-to-delivery time, ps, by vector */
    uint64_t hcall_other;                       /* codes >= 1024 */
    /* SynIC (synic_message / synic_event): received by this partition, message types in order
     * of first appearance (the rest in msg_rx_other), and sent (as trace_synic_cause says) */
    struct { uint32_t type; uint64_t n; } msg_rx[TRACE_STATS_MSG_TYPES];
    uint64_t msg_rx_other, ev_rx, msg_tx, ev_tx;
};

struct trace_stats {
    uint64_t events;
    uint64_t first_ts, last_ts;
    struct trace_group all;
    unsigned ngroups;
    struct trace_group *groups;                 /* by (partition, vp) ascending: a partition's
                                                   VPs, then the partition itself (vp NONE) */
    /* per-processor pairing state */
    int64_t pending_exit[TRACE_STATS_MAX_LP];   /* reason of the unmatched exit, or -1 */
    uint16_t pending_part[TRACE_STATS_MAX_LP], pending_vp[TRACE_STATS_MAX_LP];
    uint64_t (*raised)[256];    /* [lp][vector]: time of the undelivered raise + 1, or 0 */
};

/* The partition and VP that caused a synic_message or synic_event (docs/TRACE-FORMAT.md):
 * a timer message: the receiver (its own timer); an intercept message (HVMSG_UNMAPPED_GPA,
 * _GPA_INTERCEPT, _UNRECOVERABLE_EXCEPTION, HVMSG_X64_*): the partition in its sender field,
 * with the event's VP if that is the event's partition; any other message that did not wait
 * in a queue, and every event flag: the event's partition and VP (the VP whose exit the
 * hypervisor was handling: the PostMessage / SignalEvent caller). Otherwise TRACE_ID_NONE. */
void trace_synic_cause(const struct trace_event *ev, uint16_t *part, uint16_t *vp);

/* Read every event of r into *st (zeroed first). 0, or -1 with the reader's error. */
int trace_stats_compute(struct trace_reader *r, struct trace_stats *st);
void trace_stats_free(struct trace_stats *st);
/* The SynIC table of group g (nothing if it received and sent none): messages received by
 * type (TLFS names, "message type 0x100" otherwise), event flags received, messages and flags
 * sent; csv: rows "synic_received|synic_sent,LABEL,KEY,COUNT,,,,," of `hvsim trace stats --csv`. */
void trace_stats_print_synic(FILE *f, const struct trace_group *g, int csv, const char *label);

#ifdef __cplusplus
}
#endif
#endif
