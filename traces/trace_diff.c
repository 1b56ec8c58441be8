/* trace_diff.c — see trace_diff.h; also the one-line event format shared by the tools. */
#include "traces/trace_diff.h"

#include <inttypes.h>
#include <string.h>

#include "traces/trace_fmt.h"
#include "traces/trace_names.h"

int trace_event_equal(const struct trace_event *x, const struct trace_event *y)
{
    if (x->id != y->id || x->cpu_id != y->cpu_id || x->ts_ps != y->ts_ps ||
        x->cycles != y->cycles || x->partition != y->partition || x->vp != y->vp)
        return 0;
    for (unsigned k = 0; k < x->desc->nfields; k++)
        if (x->v[k] != y->v[k])
            return 0;
    return 1;
}

int trace_diff_run(struct trace_reader *a, struct trace_reader *b, struct trace_diff *d,
                   char *which)
{
    memset(d, 0, sizeof *d);
    for (;;) {
        int ra = trace_reader_next(a, &d->a);
        if (ra < 0) {
            *which = 'a';
            return -1;
        }
        int rb = trace_reader_next(b, &d->b);
        if (rb < 0) {
            *which = 'b';
            return -1;
        }
        if (ra == 0 && rb == 0)
            return 0;
        d->a_end = ra == 0;
        d->b_end = rb == 0;
        if (d->a_end || d->b_end || !trace_event_equal(&d->a, &d->b))
            return 1;
        if (d->nctx == TRACE_DIFF_CONTEXT) {
            memmove(d->ctx, d->ctx + 1, (TRACE_DIFF_CONTEXT - 1) * sizeof d->ctx[0]);
            d->nctx--;
        }
        d->ctx[d->nctx++] = d->a;
        d->index++;
    }
}

void trace_event_print(FILE *f, const struct trace_event *ev)
{
    fprintf(f, "%" PRIu64 " ", ev->ts_ps);
    if (ev->cpu_id == TRACE_CPU_MACHINE)
        fprintf(f, "machine");
    else
        fprintf(f, "lp%" PRIu32, ev->cpu_id);
    fprintf(f, " cycles=%" PRIu64, ev->cycles);
    if (ev->partition != TRACE_ID_NONE)
        fprintf(f, " part=%u", ev->partition);
    if (ev->vp != TRACE_ID_NONE)
        fprintf(f, " vp=%u", ev->vp);
    fprintf(f, " %s", ev->desc->name);
    for (unsigned k = 0; k < ev->desc->nfields; k++) {
        const struct trace_field *fd = &ev->desc->f[k];
        if (ev->id == TEV_VM_EXIT && k == 1) {
            const char *n = trace_exit_reason_name((unsigned)ev->v[k]);
            fprintf(f, " %s=%s%s(%" PRIu64 ")", fd->name,
                    (ev->v[k] & 0x80000000u) ? "ENTRY_FAIL|" : "", n ? n : "?",
                    ev->v[k] & 0xffff);
        } else if (ev->id == TEV_HYPERCALL && (k == 0 || k == 4)) {
            /* call code and status by their TLFS names */
            const char *n = k == 0 ? trace_hcall_name((unsigned)ev->v[k])
                                   : trace_hv_status_name((unsigned)ev->v[k]);
            fprintf(f, " %s=%s(%" PRIu64 ")", fd->name, n ? n : "?", ev->v[k]);
        } else if (ev->id == TEV_IRQ_RAISE && k == 1) {
            fprintf(f, " %s=%s", fd->name, trace_irq_source_name((unsigned)ev->v[k]));
        } else if (ev->id == TEV_SYNIC_MESSAGE && k == 4 &&
                   trace_hvmsg_name((unsigned)ev->v[k])) {
            /* a TLFS message type by name; a partition's own type as a number */
            fprintf(f, " %s=%s(%#" PRIx64 ")", fd->name, trace_hvmsg_name((unsigned)ev->v[k]),
                    ev->v[k]);
        } else if (fd->hex) {
            fprintf(f, " %s=%#" PRIx64, fd->name, ev->v[k]);
        } else {
            fprintf(f, " %s=%" PRIu64, fd->name, ev->v[k]);
        }
    }
    fprintf(f, "\n");
}
