/* trace_writer.h — writing an hvsim trace: a directory with the CTF metadata and one stream file
 * per logical processor (lp0, lp1, ...) plus one for the machine's devices (machine).
 *
 * Invariants:
 *  - Output is a function of the calls only (no host time, no pointers): same calls, same bytes.
 *  - Within a stream, event timestamps never decrease: an event older than its stream's last one
 *    is a caller bug, reported by trace_writer_close (the event is still written, clamped, so the
 *    trace stays readable).
 *  - Events of categories not enabled cost one test and write nothing.
 *  - A write error is remembered and reported by trace_writer_close; emitting never fails.
 */
#ifndef HVSIM_TRACE_WRITER_H
#define HVSIM_TRACE_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "traces/trace_meta.h"
#include "traces/trace_schema.h"

#ifdef __cplusplus
extern "C" {
#endif

struct trace_writer;

/* Create (or reuse) directory `dir` and write its metadata. nlp: logical processors (streams
 * 0..nlp-1; stream nlp is the machine stream, TRACE_STREAM_MACHINE selects it). cats: the
 * categories recorded (TRACE_CAT_INPUT is always added). NULL with a message on failure. */
struct trace_writer *trace_writer_open(const char *dir, unsigned nlp, uint32_t cats,
                                       const struct trace_env *env, unsigned nenv, char *err,
                                       size_t errlen);
#define TRACE_STREAM_MACHINE 0xffffffffu

/* True if events of category `cat` are recorded. */
int trace_writer_wants(const struct trace_writer *w, uint32_t cat);

/* Append one event to stream `lp` (or TRACE_STREAM_MACHINE): virtual time ts_ps, the processor's
 * cycle count, partition and vp (TRACE_ID_NONE if unknown), and the payload values in the order
 * of the event's fields (each truncated to its field size). */
void trace_emit(struct trace_writer *w, unsigned lp, unsigned id, uint64_t ts_ps, uint64_t cycles,
                uint16_t partition, uint16_t vp, const uint64_t *vals);

/* Events written so far (all streams). */
uint64_t trace_writer_count(const struct trace_writer *w);

/* Flush and close every stream; 0, or -1 with a message naming the file (I/O error, decreasing
 * timestamps). Frees w in both cases. */
int trace_writer_close(struct trace_writer *w, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
