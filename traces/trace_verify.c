/* trace_verify.c — see trace_verify.h. */
#include "traces/trace_verify.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "traces/trace_diff.h"
#include "traces/trace_fmt.h"
#include "traces/trace_writer.h"

struct vstream {
    uint64_t matched;               /* events of this stream matched so far */
    struct trace_event *ring;       /* [context]: the last matched events */
    unsigned ring_head, ring_n;
};

struct trace_verify {
    struct trace_reader *r;
    unsigned nlp, context;
    struct vstream *s;              /* [nlp + 1]; nlp = the machine stream */
    int *map;                       /* [nlp + 1]: the reader's stream index, -1: no file (empty) */
    uint64_t matched;
    /* the divergence */
    int diverged;
    unsigned where;                 /* stream */
    int ref_end, run_end;           /* the reference ended / the run ended there */
    int ref_error;                  /* the reference could not be read there */
    struct trace_event ref, run;
    char msg[512];
};

struct trace_verify *trace_verify_open(const char *dir, unsigned nlp, unsigned context,
                                       char *err, size_t errlen)
{
    if (context < 1 || context > TRACE_VERIFY_CONTEXT_MAX) {
        snprintf(err, errlen, "verify: context %u, expected 1..%u events", context,
                 TRACE_VERIFY_CONTEXT_MAX);
        return NULL;
    }
    struct trace_reader *r = trace_reader_open(dir, err, errlen);
    if (!r)
        return NULL;
    /* the streams must be those of a machine with nlp processors: lp0..lp<nlp-1> and machine,
     * each file present only if the stream has events */
    int *map = malloc((nlp + 1) * sizeof *map);
    if (!map) {
        snprintf(err, errlen, "verify: out of memory");
        trace_reader_close(r);
        return NULL;
    }
    for (unsigned k = 0; k <= nlp; k++)
        map[k] = -1;
    for (unsigned i = 0; i < trace_reader_nstreams(r); i++) {
        const char *name = trace_reader_stream_name(r, i);
        unsigned k = nlp + 1;
        if (strcmp(name, "machine") == 0) {
            k = nlp;
        } else if (strncmp(name, "lp", 2) == 0 && name[2] >= '0' && name[2] <= '9' &&
                   (name[2] != '0' || !name[3])) {
            char *end;
            unsigned long n = strtoul(name + 2, &end, 10);
            if (!*end && n < nlp)
                k = (unsigned)n;
        }
        if (k > nlp) {
            snprintf(err, errlen, "%s: stream file '%s' does not belong to a machine with %u "
                     "processor%s (expected lp0..lp%u and machine): the reference was recorded "
                     "on another machine", dir, name, nlp, nlp == 1 ? "" : "s",
                     nlp ? nlp - 1 : 0);
            free(map);
            trace_reader_close(r);
            return NULL;
        }
        map[k] = (int)i;
    }
    struct trace_verify *v = calloc(1, sizeof *v);
    if (v)
        v->s = calloc(nlp + 1, sizeof *v->s);
    for (unsigned k = 0; v && v->s && k <= nlp; k++)
        if (!(v->s[k].ring = calloc(context, sizeof *v->s[k].ring))) {
            v->nlp = k;
            trace_verify_close(v);
            v = NULL;
        }
    if (!v || !v->s) {
        if (v)
            free(v);
        free(map);
        trace_reader_close(r);
        snprintf(err, errlen, "verify: out of memory");
        return NULL;
    }
    v->r = r;
    v->map = map;
    v->nlp = nlp;
    v->context = context;
    return v;
}

void trace_verify_close(struct trace_verify *v)
{
    if (!v)
        return;
    for (unsigned k = 0; v->s && k <= v->nlp; k++)
        free(v->s[k].ring);
    free(v->s);
    free(v->map);
    if (v->r)
        trace_reader_close(v->r);
    free(v);
}

const struct trace_reader *trace_verify_reader(const struct trace_verify *v) { return v->r; }

uint32_t trace_verify_cats(const struct trace_verify *v)
{
    const char *s = trace_reader_env(v->r, "trace_events");
    if (!s || !*s)
        return 0;
    char *end;
    unsigned long long c = strtoull(s, &end, 10);
    return *end || c > TRACE_CAT_ALL ? 0 : (uint32_t)c;
}

/* The run's event as the reader would decode it from the writer's bytes. */
static void as_read(struct trace_event *ev, unsigned stream, unsigned nlp, unsigned id,
                    uint64_t ts_ps, uint64_t cycles, uint16_t partition, uint16_t vp,
                    const uint64_t *vals)
{
    memset(ev, 0, sizeof *ev);
    ev->id = id;
    ev->desc = &trace_events[id];
    ev->stream = stream;
    ev->cpu_id = stream < nlp ? stream : TRACE_CPU_MACHINE;
    ev->ts_ps = ts_ps;
    ev->cycles = cycles;
    ev->partition = partition;
    ev->vp = vp;
    for (unsigned k = 0; k < ev->desc->nfields; k++) {
        unsigned size = ev->desc->f[k].size;
        ev->v[k] = size >= 8 ? vals[k] : vals[k] & ((1ull << (8 * size)) - 1);
    }
}

static void remember(struct trace_verify *v, struct vstream *s, const struct trace_event *ev)
{
    s->ring[(s->ring_head + s->ring_n) % v->context] = *ev;
    if (s->ring_n < v->context)
        s->ring_n++;
    else
        s->ring_head = (s->ring_head + 1) % v->context;
    s->matched++;
    v->matched++;
}

int trace_verify_event(struct trace_verify *v, unsigned lp, unsigned id, uint64_t ts_ps,
                       uint64_t cycles, uint16_t partition, uint16_t vp, const uint64_t *vals)
{
    if (v->diverged || id >= TRACE_NEVENTS)
        return 0;
    unsigned stream = lp < v->nlp ? lp : v->nlp;
    struct trace_event run;
    as_read(&run, stream, v->nlp, id, ts_ps, cycles, partition, vp, vals);
    struct trace_event ref;
    int rc = v->map[stream] < 0 ? 0 : trace_reader_next_in(v->r, (unsigned)v->map[stream], &ref);
    if (rc == 1 && trace_event_equal(&ref, &run)) {
        remember(v, &v->s[stream], &run);
        return 0;
    }
    v->diverged = 1;
    v->where = stream;
    v->run = run;
    if (rc == 1)
        v->ref = ref;
    else if (rc == 0)
        v->ref_end = 1;
    else {
        v->ref_error = 1;
        snprintf(v->msg, sizeof v->msg, "%s", trace_reader_error(v->r));
    }
    return 1;
}

int trace_verify_finish(struct trace_verify *v)
{
    if (v->diverged)
        return 1;
    for (unsigned k = 0; k <= v->nlp; k++) {
        struct trace_event ref;
        int rc = v->map[k] < 0 ? 0 : trace_reader_next_in(v->r, (unsigned)v->map[k], &ref);
        if (rc == 0)
            continue;
        v->diverged = 1;
        v->where = k;
        v->run_end = 1;
        if (rc == 1)
            v->ref = ref;
        else {
            v->ref_error = 1;
            snprintf(v->msg, sizeof v->msg, "%s", trace_reader_error(v->r));
        }
        return 1;
    }
    return 0;
}

int trace_verify_diverged(const struct trace_verify *v) { return v->diverged; }
uint64_t trace_verify_matched(const struct trace_verify *v) { return v->matched; }
unsigned trace_verify_stream(const struct trace_verify *v) { return v->where; }

void trace_verify_report(const struct trace_verify *v, FILE *f)
{
    if (!v->diverged)
        return;
    const struct vstream *s = &v->s[v->where];
    char name[16];
    if (v->where < v->nlp)
        snprintf(name, sizeof name, "lp%u", v->where);
    else
        snprintf(name, sizeof name, "machine");
    fprintf(f, "first divergence: stream %s, its event %" PRIu64 " (counting from 1; %" PRIu64
            " events of all streams matched before it)\n", name, s->matched + 1, v->matched);
    if (s->ring_n) {
        fprintf(f, "  last %u events of %s, identical in both runs:\n", s->ring_n, name);
        for (unsigned k = 0; k < s->ring_n; k++) {
            fprintf(f, "    ");
            trace_event_print(f, &s->ring[(s->ring_head + k) % v->context]);
        }
    } else {
        fprintf(f, "  (it is the first event of %s)\n", name);
    }
    if (v->ref_error) {
        fprintf(f, "  reference: unreadable here: %s\n", v->msg);
    } else if (v->ref_end) {
        fprintf(f, "  reference: (the stream ends here)\n");
    } else {
        fprintf(f, "  reference: ");
        trace_event_print(f, &v->ref);
    }
    if (v->run_end) {
        fprintf(f, "  this run:  (stopped before this event)\n");
    } else {
        fprintf(f, "  this run:  ");
        trace_event_print(f, &v->run);
    }
}
