/* trace_reader.h — reading an hvsim trace (the C API the tools and the GUI share): the metadata's
 * env (the run's inputs) and the events of every stream merged in time order.
 *
 * Invariants:
 *  - Any input (truncated, corrupt, hostile) gives events or a clear error naming the file, the
 *    byte offset and what was expected; never a crash or a read outside the data.
 *  - The order is deterministic: by timestamp, then stream (lp0, lp1, ..., machine), then the
 *    order within the stream.
 *  - Only traces of this schema version are read (the metadata's env hvsim_schema).
 */
#ifndef HVSIM_TRACE_READER_H
#define HVSIM_TRACE_READER_H

#include <stddef.h>
#include <stdint.h>

#include "traces/trace_schema.h"

#ifdef __cplusplus
extern "C" {
#endif

struct trace_reader;

struct trace_event {
    unsigned id;                        /* enum trace_event_id */
    const struct trace_event_desc *desc;
    unsigned stream;                    /* index: trace_reader_stream_name */
    uint32_t cpu_id;                    /* logical processor, or TRACE_CPU_MACHINE */
    uint64_t ts_ps;                     /* virtual time */
    uint64_t cycles;
    uint16_t partition, vp;             /* TRACE_ID_NONE if not known */
    uint64_t v[TRACE_MAX_FIELDS];       /* payload, in the order of desc->f */
    uint64_t offset;                    /* byte offset of the event in its stream file */
};

/* A trace directory written by trace_writer. NULL with a message on failure. */
struct trace_reader *trace_reader_open(const char *dir, char *err, size_t errlen);

/* The same from memory (fuzz targets, tests): the metadata text and the stream files' contents.
 * The buffers must outlive the reader. */
struct trace_mem { const char *name; const uint8_t *data; size_t len; };
struct trace_reader *trace_reader_open_mem(const char *meta, size_t mlen,
                                           const struct trace_mem *streams, unsigned n,
                                           char *err, size_t errlen);

/* The next event: 1, 0 at the end, -1 on a format error (trace_reader_error says what). */
int trace_reader_next(struct trace_reader *r, struct trace_event *ev);
const char *trace_reader_error(const struct trace_reader *r);
/* The next event of one stream only (index as trace_reader_stream_name), in stream order: 1, 0 at
 * that stream's end, -1 on a format error. Mixing it with trace_reader_next on one reader is
 * allowed (each event is returned once) but the merged order then no longer holds. */
int trace_reader_next_in(struct trace_reader *r, unsigned stream, struct trace_event *ev);

/* An env entry of the metadata (a string value, or an integer in decimal), or NULL. */
const char *trace_reader_env(const struct trace_reader *r, const char *key);
unsigned trace_reader_env_count(const struct trace_reader *r);
const char *trace_reader_env_key(const struct trace_reader *r, unsigned k);

unsigned trace_reader_nstreams(const struct trace_reader *r);
const char *trace_reader_stream_name(const struct trace_reader *r, unsigned k);

void trace_reader_close(struct trace_reader *r);

#ifdef __cplusplus
}
#endif
#endif
