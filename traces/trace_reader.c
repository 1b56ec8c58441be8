/* trace_reader.c — the reader of trace_reader.h: metadata env parsing, packet and event decoding
 * with bounds checks on every field, and the time-ordered merge of the streams. */
#include "traces/trace_reader.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "traces/trace_fmt.h"

struct rstream {
    char *name;
    const uint8_t *data;
    size_t len;
    void *map;              /* mmap'ed region to unmap, or NULL */
    size_t pkt;             /* offset of the current packet */
    size_t pos, end;        /* next event, end of the current packet's content */
    uint64_t pkt_begin, pkt_end_ts, last_ts, seq;
    uint32_t cpu_id;
    int started, done;
    struct trace_event head;
    int have_head;
};

struct trace_reader {
    uint8_t uuid[16];
    unsigned n;
    struct rstream *s;
    unsigned nenv;
    char **env_key, **env_val;
    int failed;
    char err[512];
};

static uint64_t get(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;
    for (unsigned k = 0; k < size; k++)
        v |= (uint64_t)p[k] << (8 * k);
    return v;
}

static int fail(struct trace_reader *r, const char *fmt, ...)
{
    if (!r->failed) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err, sizeof r->err, fmt, ap);
        va_end(ap);
    }
    r->failed = 1;
    return -1;
}

/* ------------------------------------------------------------------ metadata */

static const char *skip_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

static int parse_uuid(const char *p, const char *e, uint8_t u[16])
{
    int k = 0;
    while (p < e && k < 32) {
        if (*p == '-') {
            p++;
            continue;
        }
        int h = hexval(*p);
        if (h < 0)
            return -1;
        if (k & 1)
            u[k / 2] = (uint8_t)(u[k / 2] | h);
        else
            u[k / 2] = (uint8_t)(h << 4);
        k++;
        p++;
    }
    return k == 32 && p < e && *p == '"' ? 0 : -1;
}

/* Parse `key = "string";` or `key = 123;` entries of the env block at [p, e). */
static int parse_env(struct trace_reader *r, const char *base, const char *p, const char *e,
                     const char *what)
{
    for (;;) {
        p = skip_ws(p, e);
        if (p >= e)
            return fail(r, "%s: the env block is not closed: expected '}'", what);
        if (*p == '}')
            return 0;
        const char *k0 = p;
        while (p < e && (*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                         (*p >= '0' && *p <= '9')))
            p++;
        if (p == k0)
            return fail(r, "%s: offset %zu: expected an env key", what, (size_t)(k0 - base));
        size_t klen = (size_t)(p - k0);
        p = skip_ws(p, e);
        if (p >= e || *p != '=')
            return fail(r, "%s: env key '%.*s': expected '='", what, (int)klen, k0);
        p = skip_ws(p + 1, e);
        char *val = malloc((size_t)(e - p) + 1);
        if (!val)
            return fail(r, "%s: out of memory", what);
        size_t vlen = 0;
        if (p < e && *p == '"') {
            for (p++; p < e && *p != '"'; p++) {
                if (*p == '\\' && p + 1 < e) {
                    p++;
                    if (*p >= '0' && *p <= '7' && p + 2 < e) {
                        val[vlen++] = (char)((p[0] - '0') * 64 + (p[1] - '0') * 8 + (p[2] - '0'));
                        p += 2;
                        continue;
                    }
                }
                val[vlen++] = *p;
            }
            if (p >= e) {
                free(val);
                return fail(r, "%s: env key '%.*s': unterminated string", what, (int)klen, k0);
            }
            p++;
        } else {
            while (p < e && *p >= '0' && *p <= '9')
                val[vlen++] = *p++;
            if (vlen == 0) {
                free(val);
                return fail(r, "%s: env key '%.*s': expected a string or a number", what,
                            (int)klen, k0);
            }
        }
        val[vlen] = 0;
        p = skip_ws(p, e);
        if (p >= e || *p != ';') {
            free(val);
            return fail(r, "%s: env key '%.*s': expected ';'", what, (int)klen, k0);
        }
        p++;
        char **nk = realloc(r->env_key, (r->nenv + 1) * sizeof *nk);
        if (nk)
            r->env_key = nk;
        char **nv = realloc(r->env_val, (r->nenv + 1) * sizeof *nv);
        if (nv)
            r->env_val = nv;
        char *key = malloc(klen + 1);
        if (!nk || !nv || !key) {
            free(val);
            free(key);
            return fail(r, "%s: out of memory", what);
        }
        memcpy(key, k0, klen);
        key[klen] = 0;
        r->env_key[r->nenv] = key;
        r->env_val[r->nenv] = val;
        r->nenv++;
    }
}

static const char *find(const char *p, const char *e, const char *needle)
{
    size_t n = strlen(needle);
    for (; p + n <= e; p++)
        if (memcmp(p, needle, n) == 0)
            return p;
    return NULL;
}

static int parse_meta(struct trace_reader *r, const char *m, size_t len)
{
    const char *e = m + len;
    const char *what = "metadata";
    static const char magic[] = "/* CTF 1.8 */";
    if (len < sizeof magic - 1 || memcmp(m, magic, sizeof magic - 1) != 0)
        return fail(r, "%s: offset 0: expected the text \"%s\" (a CTF 1.8 metadata file in "
                    "text form)", what, magic);
    const char *t = find(m, e, "\ntrace {");
    const char *u = t ? find(t, e, "uuid = \"") : NULL;
    if (!u || parse_uuid(u + 8, e, r->uuid) != 0)
        return fail(r, "%s: expected the trace block's uuid = \"xxxxxxxx-xxxx-xxxx-xxxx-"
                    "xxxxxxxxxxxx\"", what);
    const char *env = find(m, e, "\nenv {");
    if (!env)
        return fail(r, "%s: expected an env block (hvsim traces record their inputs there)",
                    what);
    if (parse_env(r, m, env + 6, e, what) != 0)
        return -1;
    const char *schema = trace_reader_env(r, "hvsim_schema");
    if (!schema)
        return fail(r, "%s: env has no hvsim_schema: not an hvsim trace", what);
    if (strtoul(schema, NULL, 10) != TRACE_SCHEMA_VERSION || strlen(schema) > 9)
        return fail(r, "%s: env hvsim_schema = %s, expected %d (a trace of another hvsim "
                    "version)", what, schema, TRACE_SCHEMA_VERSION);
    return 0;
}

/* ------------------------------------------------------------------ streams */

/* Move to the packet at s->pkt (or mark the stream done at its end). */
static int open_packet(struct trace_reader *r, struct rstream *s)
{
    if (s->pkt == s->len) {
        s->done = 1;
        return 0;
    }
    size_t left = s->len - s->pkt;
    const uint8_t *p = s->data + s->pkt;
    if (left < TRACE_PKT_PREAMBLE)
        return fail(r, "%s: offset %zu: truncated packet header (%zu bytes left, expected at "
                    "least %u)", s->name, s->pkt, left, TRACE_PKT_PREAMBLE);
    if (get(p, 4) != TRACE_CTF_MAGIC)
        return fail(r, "%s: offset %zu: packet magic %#llx, expected 0xc1fc1fc1", s->name,
                    s->pkt, (unsigned long long)get(p, 4));
    if (memcmp(p + 4, r->uuid, 16) != 0)
        return fail(r, "%s: offset %zu: packet uuid differs from the metadata's (a stream of "
                    "another trace)", s->name, s->pkt + 4);
    if (get(p + 20, 4) != 0)
        return fail(r, "%s: offset %zu: stream_id %llu, expected 0", s->name, s->pkt + 20,
                    (unsigned long long)get(p + 20, 4));
    uint64_t content = get(p + 40, 8), psize = get(p + 48, 8);
    if ((content & 7) || (psize & 7) || content > psize || content / 8 < TRACE_PKT_PREAMBLE ||
        psize / 8 > left)
        return fail(r, "%s: offset %zu: packet content_size %llu / packet_size %llu bits: "
                    "expected byte multiples with %u <= content <= packet <= the %zu bytes left",
                    s->name, s->pkt + 40, (unsigned long long)content,
                    (unsigned long long)psize, TRACE_PKT_PREAMBLE, left);
    uint64_t seq = get(p + 56, 8);
    if (seq != s->seq)
        return fail(r, "%s: offset %zu: packet_seq_num %llu, expected %llu", s->name,
                    s->pkt + 56, (unsigned long long)seq, (unsigned long long)s->seq);
    uint32_t cpu = (uint32_t)get(p + 64, 4);
    if (s->started && cpu != s->cpu_id)
        return fail(r, "%s: offset %zu: cpu_id %u, expected %u as in the stream's first packet",
                    s->name, s->pkt + 64, cpu, s->cpu_id);
    s->cpu_id = cpu;
    s->started = 1;
    s->pkt_begin = get(p + 24, 8);
    s->pkt_end_ts = get(p + 32, 8);
    if (s->pkt_end_ts < s->pkt_begin || s->pkt_begin < s->last_ts)
        return fail(r, "%s: offset %zu: packet timestamps [%llu, %llu] go back in time (last "
                    "event at %llu)", s->name, s->pkt + 24, (unsigned long long)s->pkt_begin,
                    (unsigned long long)s->pkt_end_ts, (unsigned long long)s->last_ts);
    s->pos = s->pkt + TRACE_PKT_PREAMBLE;
    s->end = s->pkt + (size_t)(content / 8);
    s->pkt += (size_t)(psize / 8);
    s->seq++;
    return 0;
}

/* Decode the stream's next event into s->head (have_head = 0 at the end). */
static int decode_next(struct trace_reader *r, struct rstream *s, unsigned idx)
{
    s->have_head = 0;
    while (!s->done && s->pos == s->end)
        if (open_packet(r, s) != 0)
            return -1;
    if (s->done)
        return 0;
    const uint8_t *p = s->data + s->pos;
    size_t left = s->end - s->pos;
    if (left < TRACE_EV_FIXED)
        return fail(r, "%s: offset %zu: truncated event header (%zu bytes left in the packet, "
                    "expected %u)", s->name, s->pos, left, TRACE_EV_FIXED);
    unsigned id = (unsigned)get(p, 2);
    if (id >= TRACE_NEVENTS)
        return fail(r, "%s: offset %zu: event id %u, expected 0..%d", s->name, s->pos, id,
                    TRACE_NEVENTS - 1);
    const struct trace_event_desc *d = &trace_events[id];
    unsigned size = TRACE_EV_FIXED + trace_payload_size(d);
    if (left < size)
        return fail(r, "%s: offset %zu: event %s needs %u bytes, the packet has %zu left",
                    s->name, s->pos, d->name, size, left);
    struct trace_event *ev = &s->head;
    memset(ev, 0, sizeof *ev);
    ev->id = id;
    ev->desc = d;
    ev->stream = idx;
    ev->cpu_id = s->cpu_id;
    ev->ts_ps = get(p + 2, 8);
    ev->cycles = get(p + 10, 8);
    ev->partition = (uint16_t)get(p + 18, 2);
    ev->vp = (uint16_t)get(p + 20, 2);
    ev->offset = s->pos;
    if (ev->ts_ps < s->last_ts || ev->ts_ps < s->pkt_begin || ev->ts_ps > s->pkt_end_ts)
        return fail(r, "%s: offset %zu: event time %llu outside its packet's [%llu, %llu] or "
                    "before the previous event (%llu)", s->name, s->pos + 2,
                    (unsigned long long)ev->ts_ps, (unsigned long long)s->pkt_begin,
                    (unsigned long long)s->pkt_end_ts, (unsigned long long)s->last_ts);
    s->last_ts = ev->ts_ps;
    const uint8_t *q = p + TRACE_EV_FIXED;
    for (unsigned k = 0; k < d->nfields; k++) {
        ev->v[k] = get(q, d->f[k].size);
        q += d->f[k].size;
    }
    s->pos += size;
    s->have_head = 1;
    return 0;
}

/* ------------------------------------------------------------------ API */

static struct trace_reader *reader_new(void)
{
    return calloc(1, sizeof(struct trace_reader));
}

/* Natural order of stream names: lp2 before lp10, "machine" after the lps. */
static int stream_cmp(const void *a, const void *b)
{
    const struct rstream *x = a, *y = b;
    int lx = strncmp(x->name, "lp", 2) == 0, ly = strncmp(y->name, "lp", 2) == 0;
    if (lx && ly) {
        size_t nx = strlen(x->name), ny = strlen(y->name);
        if (nx != ny)
            return nx < ny ? -1 : 1;
    } else if (lx != ly) {
        return lx ? -1 : 1;
    }
    return strcmp(x->name, y->name);
}

static struct trace_reader *finish_open(struct trace_reader *r, const char *meta, size_t mlen,
                                        char *err, size_t errlen)
{
    if (parse_meta(r, meta, mlen) == 0) {
        if (r->n)   /* r->s is NULL without streams: qsort's pointer must not be (C11 7.22.5) */
            qsort(r->s, r->n, sizeof *r->s, stream_cmp);
        for (unsigned k = 0; k < r->n; k++)
            if (decode_next(r, &r->s[k], k) != 0)
                break;
    }
    if (r->failed) {
        snprintf(err, errlen, "%s", r->err);
        trace_reader_close(r);
        return NULL;
    }
    return r;
}

struct trace_reader *trace_reader_open_mem(const char *meta, size_t mlen,
                                           const struct trace_mem *streams, unsigned n,
                                           char *err, size_t errlen)
{
    struct trace_reader *r = reader_new();
    if (!r || !(r->s = calloc(n ? n : 1, sizeof *r->s))) {
        free(r);
        snprintf(err, errlen, "trace: out of memory");
        return NULL;
    }
    for (unsigned k = 0; k < n; k++) {
        r->s[k].name = strdup(streams[k].name ? streams[k].name : "?");
        r->s[k].data = streams[k].data;
        r->s[k].len = streams[k].len;
        r->n++;
        if (!r->s[k].name)
            fail(r, "trace: out of memory");
    }
    if (r->failed) {
        snprintf(err, errlen, "%s", r->err);
        trace_reader_close(r);
        return NULL;
    }
    return finish_open(r, meta, mlen, err, errlen);
}

struct trace_reader *trace_reader_open(const char *dir, char *err, size_t errlen)
{
    char path[4200];
    if (strlen(dir) > 4000) {
        snprintf(err, errlen, "trace directory name too long");
        return NULL;
    }
    snprintf(path, sizeof path, "%s/metadata", dir);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s (a trace is a directory with a metadata file)", path,
                 strerror(errno));
        return NULL;
    }
    char *meta = malloc(TRACE_META_MAX + 1);
    size_t mlen = meta ? fread(meta, 1, TRACE_META_MAX + 1, f) : 0;
    fclose(f);
    if (!meta || mlen > TRACE_META_MAX) {
        free(meta);
        snprintf(err, errlen, "%s: larger than %u bytes, not an hvsim trace's metadata", path,
                 TRACE_META_MAX);
        return NULL;
    }
    DIR *dp = opendir(dir);
    struct trace_reader *r = reader_new();
    if (!dp || !r) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        if (dp)
            closedir(dp);
        free(r);
        free(meta);
        return NULL;
    }
    struct dirent *de;
    while ((de = readdir(dp)) != NULL) {
        if (de->d_name[0] == '.' || strcmp(de->d_name, "metadata") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        struct rstream *ns = realloc(r->s, (r->n + 1) * sizeof *ns);
        if (!ns) {
            fail(r, "trace: out of memory");
            break;
        }
        r->s = ns;
        struct rstream *s = &r->s[r->n];
        memset(s, 0, sizeof *s);
        s->name = strdup(de->d_name);
        r->n++;
        int fd = open(path, O_RDONLY);
        if (!s->name || fd < 0) {
            fail(r, "%s: %s", path, strerror(errno));
            if (fd >= 0)
                close(fd);
            break;
        }
        s->len = (size_t)st.st_size;
        if (s->len) {
            s->map = mmap(NULL, s->len, PROT_READ, MAP_PRIVATE, fd, 0);
            if (s->map == MAP_FAILED) {
                s->map = NULL;
                close(fd);
                fail(r, "%s: cannot map: %s", path, strerror(errno));
                break;
            }
            s->data = s->map;
        }
        close(fd);
    }
    closedir(dp);
    if (r->failed) {
        snprintf(err, errlen, "%s", r->err);
        trace_reader_close(r);
        free(meta);
        return NULL;
    }
    struct trace_reader *out = finish_open(r, meta, mlen, err, errlen);
    free(meta);
    return out;
}

int trace_reader_next(struct trace_reader *r, struct trace_event *ev)
{
    if (r->failed)
        return -1;
    int best = -1;
    for (unsigned k = 0; k < r->n; k++)
        if (r->s[k].have_head && (best < 0 || r->s[k].head.ts_ps < r->s[best].head.ts_ps))
            best = (int)k;
    if (best < 0)
        return 0;
    *ev = r->s[best].head;
    /* a damaged event after this one is reported by the next call */
    decode_next(r, &r->s[best], (unsigned)best);
    return 1;
}

int trace_reader_next_in(struct trace_reader *r, unsigned stream, struct trace_event *ev)
{
    if (r->failed)
        return -1;
    if (stream >= r->n || !r->s[stream].have_head)
        return 0;
    *ev = r->s[stream].head;
    decode_next(r, &r->s[stream], stream);
    return 1;
}

const char *trace_reader_error(const struct trace_reader *r) { return r->err; }

const char *trace_reader_env(const struct trace_reader *r, const char *key)
{
    for (unsigned k = 0; k < r->nenv; k++)
        if (strcmp(r->env_key[k], key) == 0)
            return r->env_val[k];
    return NULL;
}

unsigned trace_reader_env_count(const struct trace_reader *r) { return r->nenv; }
const char *trace_reader_env_key(const struct trace_reader *r, unsigned k)
{
    return k < r->nenv ? r->env_key[k] : NULL;
}

unsigned trace_reader_nstreams(const struct trace_reader *r) { return r->n; }
const char *trace_reader_stream_name(const struct trace_reader *r, unsigned k)
{
    return k < r->n ? r->s[k].name : NULL;
}

void trace_reader_close(struct trace_reader *r)
{
    if (!r)
        return;
    for (unsigned k = 0; k < r->n; k++) {
        if (r->s[k].map)
            munmap(r->s[k].map, r->s[k].len);
        free(r->s[k].name);
    }
    free(r->s);
    for (unsigned k = 0; k < r->nenv; k++) {
        free(r->env_key[k]);
        free(r->env_val[k]);
    }
    free(r->env_key);
    free(r->env_val);
    free(r);
}
