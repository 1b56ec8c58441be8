/* trace_diff.h — comparing two traces event by event: the first divergence, with the events
 * before it for context. Used by `hvsim trace diff` (and by `hvsim run --verify`, which compares a
 * running machine's events with a recorded trace).
 *
 * Invariants:
 *  - Two events are equal when id, processor, time, cycles, partition, vp and every payload field
 *    are equal (the stream index and file offset are not compared).
 *  - The context ring keeps the last TRACE_DIFF_CONTEXT common events, oldest first.
 */
#ifndef HVSIM_TRACE_DIFF_H
#define HVSIM_TRACE_DIFF_H

#include <stdint.h>
#include <stdio.h>

#include "traces/trace_reader.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TRACE_DIFF_CONTEXT 8

struct trace_diff {
    uint64_t index;                 /* events that matched before the divergence */
    int a_end, b_end;               /* that trace ended at the divergence */
    struct trace_event a, b;        /* the differing events (when not at an end) */
    struct trace_event ctx[TRACE_DIFF_CONTEXT];
    unsigned nctx;                  /* events in ctx, oldest first */
};

int trace_event_equal(const struct trace_event *x, const struct trace_event *y);

/* Compare: 0 identical, 1 different (*d says where), -1 a reader error (which reader: *which =
 * 'a' or 'b'). */
int trace_diff_run(struct trace_reader *a, struct trace_reader *b, struct trace_diff *d,
                   char *which);

/* One event as a line of text (the format of `hvsim trace dump`). */
void trace_event_print(FILE *f, const struct trace_event *ev);

#ifdef __cplusplus
}
#endif
#endif
