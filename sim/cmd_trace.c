/* cmd_trace.c — `hvsim trace`: tools over a recorded trace (docs/TRACE-FORMAT.md).
 *
 *   hvsim trace dump TRACE [--event NAME[,NAME...]] [--cpu N] [--partition P] [--from PS]
 *                          [--to PS]
 *   hvsim trace stats TRACE [--csv]
 *   hvsim trace diff A B
 *   hvsim trace export TRACE --format perfetto|csv [-o FILE]
 *
 * Output depends only on the trace (deterministic). A damaged trace gives the reader's error
 * (file, offset, expectation) and exit status 1; bad usage exit status 2.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cmd.h"
#include "traces/trace_diff.h"
#include "traces/trace_export.h"
#include "traces/trace_fmt.h"
#include "traces/trace_names.h"
#include "traces/trace_reader.h"
#include "traces/trace_stats.h"

static int usage(FILE *f)
{
    fprintf(f,
            "usage: hvsim trace dump TRACE [--event NAME[,NAME...]] [--cpu N] [--partition P]\n"
            "                              [--from PS] [--to PS]\n"
            "       hvsim trace stats TRACE [--csv]\n"
            "       hvsim trace diff A B\n"
            "       hvsim trace export TRACE --format perfetto|csv [-o FILE]\n\n"
            "dump   print the events of a trace in time order, one per line, with their fields\n"
            "       (filters: event names, logical processor, partition, time range in ps)\n"
            "stats  VM exits by reason (count, %%, min/mean/max cycles in the root, %% of root\n"
            "       time), hypercalls by code, interrupt deliveries by vector; overall, per\n"
            "       partition and per virtual processor; --csv for scripts\n"
            "diff   compare two traces event by event; print the first difference with the\n"
            "       events before it (exit status 0 same, 1 different, 2 error)\n"
            "export convert for other tools: --format perfetto (Chrome/Perfetto JSON for\n"
            "       ui.perfetto.dev: exits and hypercalls as slices, interrupt arrows, exit\n"
            "       counters) or --format csv (one row per event); -o FILE (default stdout)\n");
    return f == stderr ? 2 : 0;
}

static int parse_u64(const char *s, uint64_t *v)
{
    char *end;
    if (!s || !*s || *s == '-')
        return -1;
    *v = strtoull(s, &end, 0);
    return *end ? -1 : 0;
}

static int name_listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0)
            return 1;
        p = e ? e + 1 : NULL;
    }
    return 0;
}

static int cmd_dump(int argc, char **argv)
{
    const char *path = NULL, *events = NULL;
    uint64_t cpu = UINT64_MAX, part = UINT64_MAX, from = 0, to = UINT64_MAX;
    for (int k = 1; k < argc; k++) {
        const char *a = argv[k], *v = k + 1 < argc ? argv[k + 1] : NULL;
        int bad = 0;
        if (!strcmp(a, "--event")) { events = v; bad = !v; k++; }
        else if (!strcmp(a, "--cpu")) { bad = parse_u64(v, &cpu); k++; }
        else if (!strcmp(a, "--partition")) { bad = parse_u64(v, &part); k++; }
        else if (!strcmp(a, "--from")) { bad = parse_u64(v, &from); k++; }
        else if (!strcmp(a, "--to")) { bad = parse_u64(v, &to); k++; }
        else if (a[0] == '-' || path) bad = 1;
        else path = a;
        if (bad) {
            fprintf(stderr, "hvsim trace dump: bad argument '%s'%s%s\n", a, v ? " " : "",
                    v && a[0] == '-' ? v : "");
            return usage(stderr);
        }
    }
    if (!path)
        return usage(stderr);
    if (events) {
        for (const char *p = events; *p;) {
            const char *e = strchr(p, ',');
            char name[64];
            size_t len = e ? (size_t)(e - p) : strlen(p);
            snprintf(name, sizeof name, "%.*s", (int)(len < 63 ? len : 63), p);
            if (trace_event_by_name(name) < 0) {
                fprintf(stderr, "hvsim trace dump: --event: no event named '%s' (see "
                        "docs/TRACE-FORMAT.md)\n", name);
                return 2;
            }
            p = e ? e + 1 : p + len;
        }
    }
    char err[512];
    struct trace_reader *r = trace_reader_open(path, err, sizeof err);
    if (!r) {
        fprintf(stderr, "hvsim trace dump: %s\n", err);
        return 1;
    }
    struct trace_event ev;
    int rc;
    while ((rc = trace_reader_next(r, &ev)) == 1) {
        if ((events && !name_listed(events, ev.desc->name)) ||
            (cpu != UINT64_MAX && ev.cpu_id != cpu) ||
            (part != UINT64_MAX && ev.partition != part) || ev.ts_ps < from || ev.ts_ps > to)
            continue;
        trace_event_print(stdout, &ev);
    }
    if (rc < 0)
        fprintf(stderr, "hvsim trace dump: %s/%s\n", path, trace_reader_error(r));
    trace_reader_close(r);
    return rc < 0 ? 1 : 0;
}

static void reason_name(unsigned slot, char *buf, size_t len)
{
    const char *n = slot == TRACE_STATS_REASONS - 1 ? "ENTRY_FAILURE"
                                                    : trace_exit_reason_name(slot);
    snprintf(buf, len, "%s", n ? n : "?");
}

static void print_group(const struct trace_group *g, int csv, const char *label)
{
    uint64_t n = 0, root = 0;
    for (unsigned k = 0; k < TRACE_STATS_REASONS; k++) {
        n += g->exits[k].count;
        root += g->exits[k].total;
    }
    if (!csv)
        printf("\n%s: %" PRIu64 " VM exits, %" PRIu64 " cycles in the root handling them\n", label,
               n, root);
    if (!csv && n)
        printf("\n%-22s %10s %7s %10s %10s %10s %7s\n", "exit reason", "count", "%", "min",
               "mean", "max", "%time");
    for (unsigned k = 0; k < TRACE_STATS_REASONS; k++) {
        const struct trace_minmax *m = &g->exits[k];
        if (!m->count)
            continue;
        char name[40];
        reason_name(k, name, sizeof name);
        double pct = n ? 100.0 * (double)m->count / (double)n : 0;
        double tpct = root ? 100.0 * (double)m->total / (double)root : 0;
        uint64_t mean = m->timed ? m->total / m->timed : 0;
        if (csv) {
            printf("exit,%s,%s,%" PRIu64 ",%.2f,", label, name, m->count, pct);
            if (m->timed)
                printf("%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.2f\n", m->min, mean, m->max, tpct);
            else
                printf(",,,\n");       /* no later entry: the handling time is unknown */
        } else if (m->timed) {
            printf("%-22s %10" PRIu64 " %6.2f%% %10" PRIu64 " %10" PRIu64 " %10" PRIu64
                   " %6.2f%%\n", name, m->count, pct, m->min, mean, m->max, tpct);
        } else {
            printf("%-22s %10" PRIu64 " %6.2f%% %10s %10s %10s %7s\n", name, m->count, pct, "-",
                   "-", "-", "-");
        }
    }
    int header = 0;
    for (unsigned c = 0; c < sizeof g->hcalls / sizeof g->hcalls[0]; c++) {
        const struct trace_minmax *m = &g->hcalls[c];
        if (!m->count)
            continue;
        uint64_t mean = m->timed ? m->total / m->timed : 0;
        if (csv) {
            printf("hypercall,%s,%#x,%" PRIu64 ",,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",\n", label,
                   c, m->count, m->min, mean, m->max);
            continue;
        }
        if (!header++)
            printf("\n%-46s %10s %10s %10s %10s\n", "hypercall code", "count", "min", "mean",
                   "max");
        char name[64];
        const char *hn = trace_hcall_name(c);
        snprintf(name, sizeof name, "%#06x %s", c, hn ? hn : "");
        printf("%-46s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64 "\n", name,
               m->count, m->min, mean, m->max);
    }
    header = 0;
    for (unsigned v = 0; v < 256; v++) {
        if (!g->irq[v])
            continue;
        const struct trace_minmax *l = &g->irq_latency[v];
        uint64_t mean = l->timed ? l->total / l->timed : 0;
        if (csv) {
            printf("interrupt,%s,%u,%" PRIu64 ",,", label, v, g->irq[v]);
            if (l->timed)
                printf("%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",\n", l->min, mean, l->max);
            else
                printf(",,,\n");
            continue;
        }
        if (!header++)
            printf("\n%-22s %10s %12s %12s %12s   (raise to delivery, ns)\n",
                   "interrupt vector", "delivered", "min", "mean", "max");
        printf("%-22u %10" PRIu64, v, g->irq[v]);
        if (l->timed)
            printf(" %12.3f %12.3f %12.3f\n", (double)l->min / 1000.0, (double)mean / 1000.0,
                   (double)l->max / 1000.0);
        else
            printf(" %12s %12s %12s\n", "-", "-", "-");
    }
    trace_stats_print_synic(stdout, g, csv, label);     /* partitions and "all" only */
}

static int cmd_stats(int argc, char **argv)
{
    const char *path = NULL;
    int csv = 0;
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--csv"))
            csv = 1;
        else if (argv[k][0] == '-' || path)
            return usage(stderr);
        else
            path = argv[k];
    }
    if (!path)
        return usage(stderr);
    char err[512];
    struct trace_reader *r = trace_reader_open(path, err, sizeof err);
    if (!r) {
        fprintf(stderr, "hvsim trace stats: %s\n", err);
        return 1;
    }
    struct trace_stats *st = malloc(sizeof *st);
    if (!st || trace_stats_compute(r, st) != 0) {
        fprintf(stderr, "hvsim trace stats: %s/%s\n", path,
                st ? trace_reader_error(r) : "out of memory");
        if (st)
            trace_stats_free(st);
        free(st);
        trace_reader_close(r);
        return 1;
    }
    if (csv)
        printf("table,group,key,count,percent,min,mean,max,percent_time\n");   /* exits: cycles;
                                                                                  interrupts: ps */
    else
        printf("%s: %" PRIu64 " events, virtual time %" PRIu64 " .. %" PRIu64 " ps\n", path,
               st->events, st->first_ts, st->last_ts);
    print_group(&st->all, csv, "all");
    /* each partition, then its VPs (the groups are sorted by partition, then VP with the
     * partition's own group, VP NONE, last) */
    for (unsigned k = 0; k < st->ngroups; k++) {
        const struct trace_group *g = &st->groups[k];
        if (g->partition == TRACE_ID_NONE || g->vp != TRACE_ID_NONE)
            continue;
        char label[48];
        snprintf(label, sizeof label, "partition %u", g->partition);
        print_group(g, csv, label);
        for (unsigned j = 0; j < st->ngroups; j++) {
            const struct trace_group *v = &st->groups[j];
            if (v->partition != g->partition || v->vp == TRACE_ID_NONE)
                continue;
            snprintf(label, sizeof label, "partition %u vp %u", v->partition, v->vp);
            print_group(v, csv, label);
        }
    }
    trace_stats_free(st);
    free(st);
    trace_reader_close(r);
    return 0;
}

static int cmd_diff(int argc, char **argv)
{
    if (argc != 3)
        return usage(stderr);
    char err[512];
    struct trace_reader *a = trace_reader_open(argv[1], err, sizeof err);
    if (!a) {
        fprintf(stderr, "hvsim trace diff: %s\n", err);
        return 2;
    }
    struct trace_reader *b = trace_reader_open(argv[2], err, sizeof err);
    if (!b) {
        fprintf(stderr, "hvsim trace diff: %s\n", err);
        trace_reader_close(a);
        return 2;
    }
    static struct trace_diff d;
    char which = 0;
    int rc = trace_diff_run(a, b, &d, &which);
    if (rc < 0) {
        fprintf(stderr, "hvsim trace diff: %s/%s\n", argv[which == 'a' ? 1 : 2],
                trace_reader_error(which == 'a' ? a : b));
        rc = 2;
    } else if (rc == 0) {
        printf("identical: %" PRIu64 " events\n", d.index);
    } else {
        printf("traces differ at event %" PRIu64 " (0-based); the %u events before it:\n",
               d.index, d.nctx);
        for (unsigned k = 0; k < d.nctx; k++) {
            printf("    ");
            trace_event_print(stdout, &d.ctx[k]);
        }
        printf("%s: ", argv[1]);
        if (d.a_end)
            printf("(end of trace)\n");
        else
            trace_event_print(stdout, &d.a);
        printf("%s: ", argv[2]);
        if (d.b_end)
            printf("(end of trace)\n");
        else
            trace_event_print(stdout, &d.b);
    }
    trace_reader_close(a);
    trace_reader_close(b);
    return rc;
}

static int cmd_export(int argc, char **argv)
{
    const char *path = NULL, *out = NULL, *format = NULL;
    for (int k = 1; k < argc; k++) {
        const char *a = argv[k], *v = k + 1 < argc ? argv[k + 1] : NULL;
        int bad = 0;
        if (!strcmp(a, "--format")) { format = v; bad = !v; k++; }
        else if (!strcmp(a, "-o")) { out = v; bad = !v; k++; }
        else if (a[0] == '-' || path) bad = 1;
        else path = a;
        if (bad) {
            fprintf(stderr, "hvsim trace export: bad argument '%s'\n", a);
            return usage(stderr);
        }
    }
    enum trace_export_format fmt;
    if (!path || !format)
        return usage(stderr);
    if (trace_export_format_parse(format, &fmt) != 0) {
        fprintf(stderr, "hvsim trace export: --format: '%s' is not one of " TRACE_EXPORT_FORMATS
                "\n", format);
        return 2;
    }
    char err[512];
    struct trace_reader *r = trace_reader_open(path, err, sizeof err);
    if (!r) {
        fprintf(stderr, "hvsim trace export: %s\n", err);
        return 1;
    }
    FILE *f = out ? fopen(out, "w") : stdout;
    if (!f) {
        fprintf(stderr, "hvsim trace export: cannot write %s\n", out);
        trace_reader_close(r);
        return 1;
    }
    int rc = trace_export(r, fmt, f, err, sizeof err);
    int werr = ferror(f) != 0;
    if (out && fclose(f) != 0)
        werr = 1;
    if (werr)
        fprintf(stderr, "hvsim trace export: %s: write error\n", out ? out : "stdout");
    else if (rc < 0)
        fprintf(stderr, "hvsim trace export: %s/%s\n", path, err);
    trace_reader_close(r);
    return rc < 0 || werr ? 1 : 0;
}

int cmd_trace(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
        return usage(argc < 2 ? stderr : stdout);
    if (!strcmp(argv[1], "dump"))
        return cmd_dump(argc - 1, argv + 1);
    if (!strcmp(argv[1], "stats"))
        return cmd_stats(argc - 1, argv + 1);
    if (!strcmp(argv[1], "diff"))
        return cmd_diff(argc - 1, argv + 1);
    if (!strcmp(argv[1], "export"))
        return cmd_export(argc - 1, argv + 1);
    fprintf(stderr, "hvsim trace: unknown tool '%s'\n", argv[1]);
    return usage(stderr);
}
