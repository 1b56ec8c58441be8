/* trace_verify.h — comparing a running machine's events with a recorded trace, on the fly
 * (`hvsim run --verify TRACE`, `hvsim replay TRACE`; docs/TRACE-FORMAT.md "Verifying a run").
 *
 * The run's events are compared stream by stream: an event the run emits on processor k's stream
 * (or the machine stream) is compared with the next event of the same stream in the reference.
 * Within a stream the order is the program order of that processor, so the first divergence
 * found is the first event at which that processor's behaviour differs; the events before it
 * in that stream are known to be identical in both runs.
 *
 * Invariants:
 *  - Two events are equal when id, time, cycles, partition, vp and every payload field (truncated
 *    to its size, as the writer stores it) are equal.
 *  - After the first divergence nothing more is compared: the report describes that one.
 *  - The reference is read like any untrusted trace (trace_reader.h): a damaged reference is a
 *    divergence with the reader's message, never a crash.
 */
#ifndef HVSIM_TRACE_VERIFY_H
#define HVSIM_TRACE_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "traces/trace_reader.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TRACE_VERIFY_CONTEXT_DEFAULT 8
#define TRACE_VERIFY_CONTEXT_MAX 1000

struct trace_verify;

/* Open reference trace `dir` for a machine of nlp processors; `context`: matched events of the
 * diverging stream to keep for the report (1..TRACE_VERIFY_CONTEXT_MAX). The reference must have
 * streams lp0..lp<nlp-1> and machine only (a stream without events has no file). NULL with a
 * message. */
struct trace_verify *trace_verify_open(const char *dir, unsigned nlp, unsigned context,
                                       char *err, size_t errlen);
void trace_verify_close(struct trace_verify *v);

/* The reference's reader (its env: the recorded run's inputs). */
const struct trace_reader *trace_verify_reader(const struct trace_verify *v);
/* The categories the reference recorded (env trace_events), or 0 if it does not say. */
uint32_t trace_verify_cats(const struct trace_verify *v);

/* One event of the run, on stream `lp` (0..nlp-1, or TRACE_STREAM_MACHINE), arguments as
 * trace_emit. 0 if it matches the reference (or a divergence was already found), 1 if this is
 * the first divergence. */
int trace_verify_event(struct trace_verify *v, unsigned lp, unsigned id, uint64_t ts_ps,
                       uint64_t cycles, uint16_t partition, uint16_t vp, const uint64_t *vals);

/* The run ended: 0 if the reference has no event left either, 1 if this is the first divergence
 * (the reference goes on: the run stopped early or took another path to its stop). */
int trace_verify_finish(struct trace_verify *v);

int trace_verify_diverged(const struct trace_verify *v);
/* Events matched so far, over all streams. */
uint64_t trace_verify_matched(const struct trace_verify *v);
/* The stream of the divergence (0..nlp-1, or nlp for the machine stream); valid once diverged. */
unsigned trace_verify_stream(const struct trace_verify *v);

/* Print the divergence: where, the reference's event and the run's (or which ended), and the
 * context events of that stream before it. Nothing if there is no divergence. */
void trace_verify_report(const struct trace_verify *v, FILE *f);

#ifdef __cplusplus
}
#endif
#endif
