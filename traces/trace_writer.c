/* trace_writer.c — packets of CTF events, one buffer per stream (see trace_writer.h for the
 * invariants and trace_fmt.h for the layout). */
#include "traces/trace_writer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "traces/trace_fmt.h"

struct trace_stream {
    FILE *f;
    char name[24];
    uint32_t cpu_id;
    uint8_t *buf;           /* the packet being filled; events start at TRACE_PKT_PREAMBLE */
    size_t len;
    uint64_t ts_begin, ts_last, seq;
    unsigned nev;           /* events in the current packet */
    int clamped;            /* a decreasing timestamp was seen */
};

struct trace_writer {
    uint32_t cats;
    unsigned nstreams;      /* nlp + 1 */
    uint64_t count;
    uint8_t uuid[16];
    uint16_t evsize[TRACE_NEVENTS];
    int io_error;
    char dir[4096];
    char io_what[256];
    struct trace_stream s[];
};

static void put(uint8_t *p, uint64_t v, unsigned size)
{
    for (unsigned k = 0; k < size; k++)
        p[k] = (uint8_t)(v >> (8 * k));
}

/* put() for the fields of an event (sizes 1, 2, 4, 8: trace_schema.h), on the per-event path:
 * a little-endian host stores the value's low bytes as they are (docs/PERFORMANCE.md "Trace
 * overhead": the byte loop was most of trace_emit's cost). */
static inline void put_field(uint8_t *p, uint64_t v, unsigned size)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    switch (size) {
    case 1: *p = (uint8_t)v; return;
    case 2: { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); return; }
    case 4: { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); return; }
    case 8: memcpy(p, &v, 8); return;
    default: break;
    }
#endif
    put(p, v, size);
}

static void flush_packet(struct trace_writer *w, struct trace_stream *s)
{
    if (s->nev == 0)
        return;
    uint8_t *p = s->buf;
    put(p, TRACE_CTF_MAGIC, 4);
    memcpy(p + 4, w->uuid, 16);
    put(p + 20, 0, 4);
    put(p + 24, s->ts_begin, 8);
    put(p + 32, s->ts_last, 8);
    put(p + 40, (uint64_t)s->len * 8, 8);
    put(p + 48, (uint64_t)s->len * 8, 8);
    put(p + 56, s->seq, 8);
    put(p + 64, s->cpu_id, 4);
    if (!s->f) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", w->dir, s->name);
        s->f = fopen(path, "wb");
        if (!s->f && !w->io_error) {
            w->io_error = errno ? errno : EIO;
            snprintf(w->io_what, sizeof w->io_what, "%s", s->name);
        }
    }
    if (s->f && fwrite(p, 1, s->len, s->f) != s->len && !w->io_error) {
        w->io_error = errno ? errno : EIO;
        snprintf(w->io_what, sizeof w->io_what, "%s", s->name);
    }
    s->seq++;
    s->len = TRACE_PKT_PREAMBLE;
    s->nev = 0;
}

struct trace_writer *trace_writer_open(const char *dir, unsigned nlp, uint32_t cats,
                                       const struct trace_env *env, unsigned nenv, char *err,
                                       size_t errlen)
{
    if (strlen(dir) >= 4000) {
        snprintf(err, errlen, "trace directory name too long");
        return NULL;
    }
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: cannot create the trace directory: %s", dir, strerror(errno));
        return NULL;
    }
    struct trace_writer *w = calloc(1, sizeof *w + (nlp + 1) * sizeof(struct trace_stream));
    if (!w) {
        snprintf(err, errlen, "trace: out of memory");
        return NULL;
    }
    w->cats = cats | TRACE_CAT_INPUT;
    w->nstreams = nlp + 1;
    snprintf(w->dir, sizeof w->dir, "%s", dir);
    for (unsigned id = 0; id < TRACE_NEVENTS; id++)
        w->evsize[id] = (uint16_t)(TRACE_EV_FIXED + trace_payload_size(&trace_events[id]));
    trace_uuid_from_env(env, nenv, w->uuid);

    char *meta;
    size_t mlen;
    if (trace_meta_build(w->uuid, env, nenv, &meta, &mlen, err, errlen) != 0) {
        free(w);
        return NULL;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/metadata", dir);
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(meta, 1, mlen, f) == mlen;
    if (f && fclose(f) != 0)
        ok = 0;
    free(meta);
    if (!ok) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        free(w);
        return NULL;
    }
    for (unsigned k = 0; k < w->nstreams; k++) {
        struct trace_stream *s = &w->s[k];
        if (k < nlp) {
            snprintf(s->name, sizeof s->name, "lp%u", k);
            s->cpu_id = k;
        } else {
            snprintf(s->name, sizeof s->name, "machine");
            s->cpu_id = TRACE_CPU_MACHINE;
        }
        s->len = TRACE_PKT_PREAMBLE;
        /* stream files are created at their first packet, so a stream without events has no
         * file; remove a stale one from an earlier trace in the same directory */
        snprintf(path, sizeof path, "%s/%s", dir, s->name);
        remove(path);
    }
    return w;
}

int trace_writer_wants(const struct trace_writer *w, uint32_t cat)
{
    return (w->cats & cat) != 0;
}

void trace_emit(struct trace_writer *w, unsigned lp, unsigned id, uint64_t ts_ps, uint64_t cycles,
                uint16_t partition, uint16_t vp, const uint64_t *vals)
{
    if (id >= TRACE_NEVENTS || !(w->cats & trace_events[id].cat))
        return;
    struct trace_stream *s = &w->s[lp < w->nstreams - 1 ? lp : w->nstreams - 1];
    if (!s->buf) {
        s->buf = malloc(TRACE_PKT_MAX);
        if (!s->buf) {
            if (!w->io_error) {
                w->io_error = ENOMEM;
                snprintf(w->io_what, sizeof w->io_what, "%s", s->name);
            }
            return;
        }
    }
    unsigned size = w->evsize[id];
    if (s->len + size > TRACE_PKT_MAX)
        flush_packet(w, s);
    if (ts_ps < s->ts_last) {
        s->clamped = 1;
        ts_ps = s->ts_last;
    }
    if (s->nev == 0)
        s->ts_begin = ts_ps;
    s->ts_last = ts_ps;
    uint8_t *p = s->buf + s->len;
    put_field(p, id, 2);
    put_field(p + 2, ts_ps, 8);
    put_field(p + 10, cycles, 8);
    put_field(p + 18, partition, 2);
    put_field(p + 20, vp, 2);
    p += TRACE_EV_FIXED;
    const struct trace_event_desc *d = &trace_events[id];
    for (unsigned k = 0; k < d->nfields; k++) {
        put_field(p, vals[k], d->f[k].size);
        p += d->f[k].size;
    }
    s->len += size;
    s->nev++;
    w->count++;
}

uint64_t trace_writer_count(const struct trace_writer *w) { return w->count; }

int trace_writer_close(struct trace_writer *w, char *err, size_t errlen)
{
    int rc = 0;
    for (unsigned k = 0; k < w->nstreams; k++) {
        struct trace_stream *s = &w->s[k];
        flush_packet(w, s);
        if (s->f && fclose(s->f) != 0 && !w->io_error) {
            w->io_error = errno ? errno : EIO;
            snprintf(w->io_what, sizeof w->io_what, "%s", s->name);
        }
        if (s->clamped && rc == 0) {
            snprintf(err, errlen, "%s/%s: an event's time was earlier than the one before it "
                     "in the same stream (written with the earlier event's time)", w->dir,
                     s->name);
            rc = -1;
        }
        free(s->buf);
    }
    if (w->io_error) {
        snprintf(err, errlen, "%s/%s: %s", w->dir, w->io_what, strerror(w->io_error));
        rc = -1;
    }
    free(w);
    return rc;
}
