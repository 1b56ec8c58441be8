/* trace_export.c — see trace_export.h. The JSON follows the Trace Event Format (the Chrome/Catapult
 * document "Trace Event Format", which Perfetto imports): an object with "traceEvents" and
 * "displayTimeUnit"; phases X (complete slice with dur), i (instant, thread scope), C (counter),
 * s/f (flow start/finish, bound with "bp":"e" to the enclosing slice), M (process/thread names). */
#include "traces/trace_export.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "traces/trace_fmt.h"
#include "traces/trace_names.h"
#include "traces/trace_stats.h"

#define EXPORT_MAX_LP 256               /* processors with pairing state (as trace_stats) */
#define EXPORT_EXIT_REASONS 66          /* basic reasons 0..64, [65] = VM-entry failure / other */

static int fail(char *err, size_t errlen, const char *msg)
{
    snprintf(err, errlen, "%s", msg);
    return -1;
}

static int finish(FILE *f, struct trace_reader *r, int rc, char *err, size_t errlen)
{
    if (rc < 0)
        return fail(err, errlen, trace_reader_error(r));
    if (fflush(f) != 0 || ferror(f))
        return fail(err, errlen, "write error");
    return 0;
}

int trace_export_format_parse(const char *s, enum trace_export_format *out)
{
    if (s && (!strcmp(s, "perfetto") || !strcmp(s, "json"))) {
        *out = TRACE_EXPORT_PERFETTO;
        return 0;
    }
    if (s && !strcmp(s, "csv")) {
        *out = TRACE_EXPORT_CSV;
        return 0;
    }
    return -1;
}

int trace_export(struct trace_reader *r, enum trace_export_format fmt, FILE *f, char *err,
                 size_t errlen)
{
    return fmt == TRACE_EXPORT_CSV ? trace_export_csv(r, f, err, errlen)
                                   : trace_export_perfetto(r, f, err, errlen);
}

void trace_export_print_us(FILE *f, uint64_t ps)
{
    fprintf(f, "%" PRIu64 ".%06" PRIu64, ps / 1000000u, ps % 1000000u);
}

void trace_export_json_string(FILE *f, const char *s, size_t len)
{
    fputc('"', f);
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)s[k];
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* ---- CSV ---------------------------------------------------------------------------------- */

/* The columns after the fixed ones: each distinct field name of the schema, in the order of its
 * first appearance (event id order, then field order). col[e][k]: the column of event e's field k. */
struct csv_cols {
    const char *name[TRACE_NEVENTS * TRACE_MAX_FIELDS];
    unsigned n;
    unsigned col[TRACE_NEVENTS][TRACE_MAX_FIELDS];
};

static void csv_columns(struct csv_cols *c)
{
    c->n = 0;
    for (unsigned e = 0; e < TRACE_NEVENTS; e++) {
        for (unsigned k = 0; k < trace_events[e].nfields; k++) {
            const char *nm = trace_events[e].f[k].name;
            unsigned j;
            for (j = 0; j < c->n && strcmp(c->name[j], nm) != 0; j++)
                ;
            if (j == c->n)
                c->name[c->n++] = nm;
            c->col[e][k] = j;
        }
    }
}

int trace_export_csv(struct trace_reader *r, FILE *f, char *err, size_t errlen)
{
    struct csv_cols c;                  /* a function of the constant schema only */
    csv_columns(&c);
    fputs("ts_ps,cpu,cycles,partition,vp,event", f);
    for (unsigned j = 0; j < c.n; j++)
        fprintf(f, ",%s", c.name[j]);
    fputc('\n', f);
    struct trace_event ev;
    int rc;
    while ((rc = trace_reader_next(r, &ev)) == 1) {
        fprintf(f, "%" PRIu64 ",", ev.ts_ps);
        if (ev.cpu_id == TRACE_CPU_MACHINE)
            fputs("machine", f);
        else
            fprintf(f, "%" PRIu32, ev.cpu_id);
        fprintf(f, ",%" PRIu64 ",", ev.cycles);
        if (ev.partition != TRACE_ID_NONE)
            fprintf(f, "%u", ev.partition);
        fputc(',', f);
        if (ev.vp != TRACE_ID_NONE)
            fprintf(f, "%u", ev.vp);
        fprintf(f, ",%s", ev.desc->name);
        uint64_t val[TRACE_NEVENTS * TRACE_MAX_FIELDS];
        unsigned char has[TRACE_NEVENTS * TRACE_MAX_FIELDS];
        memset(has, 0, c.n);
        for (unsigned k = 0; k < ev.desc->nfields; k++) {
            val[c.col[ev.id][k]] = ev.v[k];
            has[c.col[ev.id][k]] = 1;
        }
        for (unsigned j = 0; j < c.n; j++) {
            fputc(',', f);
            if (has[j])
                fprintf(f, "%" PRIu64, val[j]);
        }
        fputc('\n', f);
    }
    return finish(f, r, rc, err, errlen);
}

/* ---- Perfetto / Chrome JSON --------------------------------------------------------------- */

struct exp_thread { uint32_t pid, tid; };
struct exp_pname { uint16_t partition; char name[25]; };
struct exp_raise { uint64_t ts1; uint32_t pid, tid; };    /* ts1 = time + 1; 0: none pending */
struct exp_count { uint32_t pid; uint32_t slot; uint64_t n; };
/* A SynIC message or event flag awaiting the receiving VP's injection of its vector. */
struct exp_synic { uint16_t part, vp; uint8_t vector; uint64_t ts; uint32_t pid, tid; };

struct exporter {
    FILE *f;
    int first;                                  /* no event written yet (comma placement) */
    uint64_t next_flow;
    struct exp_thread *thr; unsigned nthr;      /* (pid, tid) seen, for the M events */
    struct exp_pname *pn; unsigned npn;         /* partition names from annotations */
    struct exp_count *cnt; unsigned ncnt;       /* cumulative exits per (pid, reason) */
    int have_exit[EXPORT_MAX_LP];
    struct trace_event exit_ev[EXPORT_MAX_LP];  /* the unmatched exit of each processor */
    struct exp_raise *raised[EXPORT_MAX_LP];    /* [lp][vector], allocated on first use */
    struct exp_synic *syn; unsigned nsyn;       /* SynIC flows awaiting their vm_inject */
    int oom;
};

static void ev_ids(const struct trace_event *ev, uint32_t *pid, uint32_t *tid)
{
    if (ev->cpu_id == TRACE_CPU_MACHINE) {
        *pid = 0;
        *tid = EXPORT_TID_DEVICES;
    } else if (ev->partition == TRACE_ID_NONE) {
        *pid = 0;
        *tid = ev->cpu_id;
    } else {
        *pid = (uint32_t)ev->partition + 1;
        *tid = ev->vp != TRACE_ID_NONE ? ev->vp : EXPORT_TID_LP_BASE + ev->cpu_id;
    }
}

static void see_thread(struct exporter *x, uint32_t pid, uint32_t tid)
{
    for (unsigned k = 0; k < x->nthr; k++)
        if (x->thr[k].pid == pid && x->thr[k].tid == tid)
            return;
    struct exp_thread *n = realloc(x->thr, (x->nthr + 1) * sizeof *n);
    if (!n) {
        x->oom = 1;
        return;
    }
    x->thr = n;
    x->thr[x->nthr++] = (struct exp_thread){ pid, tid };
}

/* Opens one event object: {"name":...,"cat":...,"ph":...,"ts":...,"pid":...,"tid":...
 * (the caller adds the rest and the closing brace). */
static void ev_open(struct exporter *x, const char *name, const char *cat, char ph, uint64_t ts,
                    uint32_t pid, uint32_t tid)
{
    fputs(x->first ? "\n" : ",\n", x->f);
    x->first = 0;
    fputs("{\"name\":", x->f);
    trace_export_json_string(x->f, name, strlen(name));
    fprintf(x->f, ",\"cat\":\"%s\",\"ph\":\"%c\",\"ts\":", cat, ph);
    trace_export_print_us(x->f, ts);
    fprintf(x->f, ",\"pid\":%" PRIu32 ",\"tid\":%" PRIu32, pid, tid);
}

static const char *cat_name(uint32_t cat)
{
    switch (cat) {
    case TRACE_CAT_VMX: return "vmx";
    case TRACE_CAT_HCALL: return "hcall";
    case TRACE_CAT_INTR: return "intr";
    case TRACE_CAT_IO: return "io";
    case TRACE_CAT_ANNOT: return "annot";
    default: return "input";
    }
}

/* The event's fields (and the stream's cycles), written as `"args":{...}` without the closing
 * brace, so a caller can append more. Hex fields as strings (exact for 64-bit addresses). */
static void args_open(struct exporter *x, const struct trace_event *ev)
{
    fprintf(x->f, ",\"args\":{\"cycles\":%" PRIu64, ev->cycles);
    for (unsigned k = 0; k < ev->desc->nfields; k++) {
        const struct trace_field *fd = &ev->desc->f[k];
        if (ev->id == TEV_VM_EXIT && k == 1) {
            const char *n = trace_exit_reason_name((unsigned)ev->v[k] & 0xffff);
            fprintf(x->f, ",\"reason\":%" PRIu64 ",\"reason_name\":\"%s%s\"", ev->v[k],
                    (ev->v[k] & 0x80000000u) ? "ENTRY_FAIL|" : "", n ? n : "?");
        } else if (ev->id == TEV_IRQ_RAISE && k == 1) {
            fprintf(x->f, ",\"source\":\"%s\"", trace_irq_source_name((unsigned)ev->v[k]));
        } else if (fd->hex) {
            fprintf(x->f, ",\"%s\":\"%#" PRIx64 "\"", fd->name, ev->v[k]);
        } else {
            fprintf(x->f, ",\"%s\":%" PRIu64, fd->name, ev->v[k]);
        }
    }
}

static void instant(struct exporter *x, const struct trace_event *ev, const char *name)
{
    uint32_t pid, tid;
    ev_ids(ev, &pid, &tid);
    see_thread(x, pid, tid);
    ev_open(x, name, cat_name(ev->desc->cat), 'i', ev->ts_ps, pid, tid);
    fputs(",\"s\":\"t\"", x->f);
    args_open(x, ev);
    fputs("}}", x->f);
}

/* A zero-length slice: an endpoint that flow arrows can bind to. */
static void point_slice(struct exporter *x, const struct trace_event *ev)
{
    uint32_t pid, tid;
    ev_ids(ev, &pid, &tid);
    see_thread(x, pid, tid);
    ev_open(x, ev->desc->name, cat_name(ev->desc->cat), 'X', ev->ts_ps, pid, tid);
    fputs(",\"dur\":0", x->f);
    args_open(x, ev);
    fputs("}}", x->f);
}

static void exit_name(const struct trace_event *ev, char *buf, size_t len)
{
    const char *n = trace_exit_reason_name((unsigned)ev->v[1] & 0xffff);
    if (n)
        snprintf(buf, len, "%s%s", (ev->v[1] & 0x80000000u) ? "ENTRY_FAIL|" : "", n);
    else
        snprintf(buf, len, "%sexit %" PRIu64, (ev->v[1] & 0x80000000u) ? "ENTRY_FAIL|" : "",
                 ev->v[1] & 0xffff);
}

/* Counter "vm_exits" of the exit's pid: the cumulative count of its reason (SDM Appendix C). */
static void exit_counter(struct exporter *x, const struct trace_event *ev)
{
    uint32_t pid, tid;
    ev_ids(ev, &pid, &tid);
    uint32_t slot = (ev->v[1] & 0x80000000u) || (ev->v[1] & 0xffff) >= EXPORT_EXIT_REASONS - 1
                        ? EXPORT_EXIT_REASONS - 1 : (uint32_t)(ev->v[1] & 0xffff);
    unsigned k;
    for (k = 0; k < x->ncnt && !(x->cnt[k].pid == pid && x->cnt[k].slot == slot); k++)
        ;
    if (k == x->ncnt) {
        struct exp_count *n = realloc(x->cnt, (x->ncnt + 1) * sizeof *n);
        if (!n) {
            x->oom = 1;
            return;
        }
        x->cnt = n;
        x->cnt[x->ncnt++] = (struct exp_count){ pid, slot, 0 };
    }
    x->cnt[k].n++;
    const char *n = slot == EXPORT_EXIT_REASONS - 1 ? "other" : trace_exit_reason_name(slot);
    char num[16];
    if (!n) {
        snprintf(num, sizeof num, "%" PRIu32, slot);
        n = num;
    }
    ev_open(x, "vm_exits", "vmx", 'C', ev->ts_ps, pid, 0);
    fprintf(x->f, ",\"args\":{\"%s\":%" PRIu64 "}}", n, x->cnt[k].n);
}

/* The exit slice: from the exit to the entry that resumes a guest on the same processor (the
 * root's handling time), with the exit's fields and the entry's root_cycles and launch. */
static void exit_slice(struct exporter *x, const struct trace_event *ex,
                       const struct trace_event *en)
{
    uint32_t pid, tid;
    ev_ids(ex, &pid, &tid);
    see_thread(x, pid, tid);
    char name[64];
    exit_name(ex, name, sizeof name);
    ev_open(x, name, "vmx", 'X', ex->ts_ps, pid, tid);
    fputs(",\"dur\":", x->f);
    trace_export_print_us(x->f, en->ts_ps - ex->ts_ps);
    args_open(x, ex);
    fprintf(x->f, ",\"root_cycles\":%" PRIu64 ",\"launch\":%" PRIu64 "}}", en->v[2], en->v[3]);
}

/* A hypercall event is written when the call completes; its slice starts latency_cycles earlier,
 * converted to time at the processor's average rate since power-on (ts_ps / cycles). */
static void hypercall_slice(struct exporter *x, const struct trace_event *ev)
{
    uint32_t pid, tid;
    ev_ids(ev, &pid, &tid);
    see_thread(x, pid, tid);
    uint64_t lat = ev->v[6], dur = 0;
    if (ev->cycles && lat <= ev->cycles)
        dur = (uint64_t)((unsigned __int128)lat * ev->ts_ps / ev->cycles);
    char name[32];
    snprintf(name, sizeof name, "hypercall %#" PRIx64, ev->v[0]);
    ev_open(x, name, "hcall", 'X', ev->ts_ps - dur, pid, tid);
    fputs(",\"dur\":", x->f);
    trace_export_print_us(x->f, dur);
    args_open(x, ev);
    fputs("}}", x->f);
}

static struct exp_raise *raise_slot(struct exporter *x, uint64_t lp, uint64_t vector)
{
    if (lp >= EXPORT_MAX_LP || vector > 255)
        return NULL;
    if (!x->raised[lp]) {
        x->raised[lp] = calloc(256, sizeof *x->raised[lp]);
        if (!x->raised[lp]) {
            x->oom = 1;
            return NULL;
        }
    }
    return &x->raised[lp][vector];
}

/* A raise towards processor lp: remembered unless one is already pending (coalescing). */
static void note_raise(struct exporter *x, const struct trace_event *ev, uint64_t lp)
{
    struct exp_raise *s = raise_slot(x, lp, ev->v[0]);
    if (s && !s->ts1) {
        s->ts1 = ev->ts_ps + 1;
        ev_ids(ev, &s->pid, &s->tid);
    }
}

/* A delivery: a flow from the pending raise of its vector on this processor, if any. */
static void deliver(struct exporter *x, const struct trace_event *ev)
{
    point_slice(x, ev);
    if (ev->v[1] != 0 || ev->cpu_id >= EXPORT_MAX_LP || !x->raised[ev->cpu_id])
        return;                                 /* NMIs and unknown processors: no pairing */
    struct exp_raise *s = &x->raised[ev->cpu_id][ev->v[0] & 0xff];
    if (!s->ts1)
        return;
    uint32_t pid, tid;
    ev_ids(ev, &pid, &tid);
    uint64_t id = ++x->next_flow;
    ev_open(x, "irq", "intr", 's', s->ts1 - 1, s->pid, s->tid);
    fprintf(x->f, ",\"id\":%" PRIu64 "}", id);
    ev_open(x, "irq", "intr", 'f', ev->ts_ps, pid, tid);
    fprintf(x->f, ",\"bp\":\"e\",\"id\":%" PRIu64 "}", id);
    s->ts1 = 0;
}

/* A synic_message / synic_event: a zero-length slice on the track of the VP that caused it
 * (trace_synic_cause; the event's own track when not known), the start of a flow to the
 * receiving VP's next injection of the SINT's vector. Flows to the same (VP, vector) before the
 * injection coalesce into the first (the vector is pending once, as in the IRR). */
static void synic_start(struct exporter *x, const struct trace_event *ev)
{
    struct trace_event src = *ev;
    uint16_t cp, cv;
    trace_synic_cause(ev, &cp, &cv);
    if (cp != TRACE_ID_NONE) {
        src.partition = cp;
        src.vp = cv;
    }
    point_slice(x, &src);
    uint16_t part = (uint16_t)ev->v[0], vp = (uint16_t)ev->v[1];
    uint8_t vector = (uint8_t)ev->v[3];
    for (unsigned k = 0; k < x->nsyn; k++)
        if (x->syn[k].part == part && x->syn[k].vp == vp && x->syn[k].vector == vector)
            return;
    struct exp_synic *n = realloc(x->syn, (x->nsyn + 1) * sizeof *n);
    if (!n) {
        x->oom = 1;
        return;
    }
    x->syn = n;
    struct exp_synic *e = &x->syn[x->nsyn++];
    e->part = part;
    e->vp = vp;
    e->vector = vector;
    e->ts = ev->ts_ps;
    ev_ids(&src, &e->pid, &e->tid);
}

/* A vm_inject: of an external interrupt (type 0) whose vector a SynIC flow awaits on this VP, a
 * zero-length slice that ends the flow; otherwise an instant. */
static void inject(struct exporter *x, const struct trace_event *ev)
{
    unsigned k = x->nsyn;
    if (ev->v[1] == 0 && ev->partition != TRACE_ID_NONE)
        for (k = 0; k < x->nsyn; k++)
            if (x->syn[k].part == ev->partition && x->syn[k].vp == ev->vp &&
                x->syn[k].vector == (uint8_t)ev->v[0])
                break;
    if (k == x->nsyn) {
        instant(x, ev, ev->desc->name);
        return;
    }
    point_slice(x, ev);
    uint32_t pid, tid;
    ev_ids(ev, &pid, &tid);
    uint64_t id = ++x->next_flow;
    ev_open(x, "synic", "annot", 's', x->syn[k].ts, x->syn[k].pid, x->syn[k].tid);
    fprintf(x->f, ",\"id\":%" PRIu64 "}", id);
    ev_open(x, "synic", "annot", 'f', ev->ts_ps, pid, tid);
    fprintf(x->f, ",\"bp\":\"e\",\"id\":%" PRIu64 "}", id);
    x->syn[k] = x->syn[--x->nsyn];
}

static void partition_name(struct exporter *x, const struct trace_event *ev)
{
    if (ev->v[1] > 0xfffe)
        return;
    uint16_t p = (uint16_t)ev->v[1];
    unsigned k;
    for (k = 0; k < x->npn && x->pn[k].partition != p; k++)
        ;
    if (k == x->npn) {
        struct exp_pname *n = realloc(x->pn, (x->npn + 1) * sizeof *n);
        if (!n) {
            x->oom = 1;
            return;
        }
        x->pn = n;
        x->npn++;
    }
    x->pn[k].partition = p;
    for (unsigned b = 0; b < 24; b++)           /* a1..a3, little-endian, NUL-padded */
        x->pn[k].name[b] = (char)(ev->v[2 + b / 8] >> (8 * (b % 8)));
    x->pn[k].name[24] = 0;
}

static void one_event(struct exporter *x, const struct trace_event *ev)
{
    unsigned lp = ev->cpu_id;
    switch (ev->id) {
    case TEV_VM_EXIT:
        exit_counter(x, ev);
        if (lp < EXPORT_MAX_LP) {
            if (x->have_exit[lp]) {             /* two exits without an entry: the first ends */
                char name[64];
                exit_name(&x->exit_ev[lp], name, sizeof name);
                instant(x, &x->exit_ev[lp], name);
            }
            x->exit_ev[lp] = *ev;
            x->have_exit[lp] = 1;
        } else {
            char name[64];
            exit_name(ev, name, sizeof name);
            instant(x, ev, name);
        }
        break;
    case TEV_VM_ENTRY:
        if (lp < EXPORT_MAX_LP && x->have_exit[lp]) {
            exit_slice(x, &x->exit_ev[lp], ev);
            x->have_exit[lp] = 0;
        } else {
            instant(x, ev, ev->desc->name);
        }
        break;
    case TEV_HYPERCALL:
        hypercall_slice(x, ev);
        break;
    case TEV_IRQ_RAISE:
        point_slice(x, ev);
        note_raise(x, ev, ev->v[3]);
        break;
    case TEV_IPI:                       /* vector, delivery mode, shorthand, dest, logical */
        point_slice(x, ev);
        if (ev->v[1] == 0 && ev->v[2] == 1)
            note_raise(x, ev, ev->cpu_id);
        else if (ev->v[1] == 0 && ev->v[2] == 0 && ev->v[4] == 0)
            note_raise(x, ev, ev->v[3]);
        break;
    case TEV_IRQ_DELIVER:
        deliver(x, ev);
        break;
    case TEV_SYNIC_MESSAGE:
    case TEV_SYNIC_EVENT:
        synic_start(x, ev);
        break;
    case TEV_VM_INJECT:
        inject(x, ev);
        break;
    case TEV_ANNOTATION:
        if (ev->v[0] == 2)                      /* HVSIM_ANNOT_PARTITION_CREATE */
            partition_name(x, ev);
        instant(x, ev, ev->desc->name);
        break;
    default:
        instant(x, ev, ev->desc->name);
        break;
    }
}

static int thread_cmp(const void *a, const void *b)
{
    const struct exp_thread *p = a, *q = b;
    if (p->pid != q->pid)
        return p->pid < q->pid ? -1 : 1;
    return p->tid < q->tid ? -1 : p->tid > q->tid;
}

static void meta(struct exporter *x, const char *what, uint32_t pid, uint32_t tid,
                 const char *name)
{
    fputs(x->first ? "\n" : ",\n", x->f);
    x->first = 0;
    fprintf(x->f, "{\"name\":\"%s\",\"ph\":\"M\",\"ts\":0,\"pid\":%" PRIu32 ",\"tid\":%" PRIu32
            ",\"args\":{\"name\":", what, pid, tid);
    trace_export_json_string(x->f, name, strlen(name));
    fputs("}}", x->f);
}

/* Process and thread names, at the end (once each, with the final partition names). */
static void names(struct exporter *x)
{
    qsort(x->thr, x->nthr, sizeof *x->thr, thread_cmp);
    for (unsigned k = 0; k < x->nthr; k++) {
        uint32_t pid = x->thr[k].pid, tid = x->thr[k].tid;
        char buf[64];
        if (k == 0 || x->thr[k - 1].pid != pid) {
            const char *pn = NULL;
            for (unsigned j = 0; pid && j < x->npn; j++)
                if (x->pn[j].partition == pid - 1 && x->pn[j].name[0])
                    pn = x->pn[j].name;
            if (pid == 0)
                snprintf(buf, sizeof buf, "machine");
            else if (pn)
                snprintf(buf, sizeof buf, "partition %" PRIu32 " %s", pid - 1, pn);
            else
                snprintf(buf, sizeof buf, "partition %" PRIu32, pid - 1);
            meta(x, "process_name", pid, 0, buf);
        }
        if (tid == EXPORT_TID_DEVICES)
            snprintf(buf, sizeof buf, "devices");
        else if (pid == 0)
            snprintf(buf, sizeof buf, "lp %" PRIu32, tid);
        else if (tid >= EXPORT_TID_LP_BASE)
            snprintf(buf, sizeof buf, "lp %" PRIu32 " (vp unknown)", tid - EXPORT_TID_LP_BASE);
        else
            snprintf(buf, sizeof buf, "vp %" PRIu32, tid);
        meta(x, "thread_name", pid, tid, buf);
    }
}

int trace_export_perfetto(struct trace_reader *r, FILE *f, char *err, size_t errlen)
{
    struct exporter *x = calloc(1, sizeof *x);
    if (!x)
        return fail(err, errlen, "out of memory");
    x->f = f;
    x->first = 1;
    fputs("{\"displayTimeUnit\":\"ns\",\"otherData\":{", f);
    for (unsigned k = 0; k < trace_reader_env_count(r); k++) {
        const char *key = trace_reader_env_key(r, k), *v = trace_reader_env(r, key);
        if (k)
            fputc(',', f);
        trace_export_json_string(f, key, strlen(key));
        fputc(':', f);
        trace_export_json_string(f, v ? v : "", v ? strlen(v) : 0);
    }
    fputs("},\"traceEvents\":[", f);
    struct trace_event ev;
    int rc;
    while ((rc = trace_reader_next(r, &ev)) == 1 && !x->oom)
        one_event(x, &ev);
    for (unsigned lp = 0; lp < EXPORT_MAX_LP; lp++) {
        if (x->have_exit[lp]) {                 /* no entry before the end: time unknown */
            char name[64];
            exit_name(&x->exit_ev[lp], name, sizeof name);
            instant(x, &x->exit_ev[lp], name);
        }
    }
    names(x);
    fputs("\n]}\n", f);
    int oom = x->oom;
    for (unsigned lp = 0; lp < EXPORT_MAX_LP; lp++)
        free(x->raised[lp]);
    free(x->thr);
    free(x->pn);
    free(x->cnt);
    free(x->syn);
    free(x);
    if (oom)
        return fail(err, errlen, "out of memory");
    return finish(f, r, rc, err, errlen);
}
