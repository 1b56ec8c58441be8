/* trace_stats.c — see trace_stats.h. */
#include "traces/trace_stats.h"

#include <stdlib.h>
#include <string.h>

#include "traces/trace_fmt.h"

static void mm_add(struct trace_minmax *m, int timed, uint64_t v)
{
    m->count++;
    if (!timed)
        return;
    if (m->timed == 0 || v < m->min)
        m->min = v;
    if (v > m->max)
        m->max = v;
    m->timed++;
    m->total += v;
}

/* mm_add's duration-only half, for an exit counted earlier whose time is now known. */
static void mm_time(struct trace_minmax *m, uint64_t v)
{
    if (m->timed == 0 || v < m->min)
        m->min = v;
    if (v > m->max)
        m->max = v;
    m->timed++;
    m->total += v;
}

static uint32_t gkey(const struct trace_group *g)
{
    return (uint32_t)g->partition << 16 | g->vp;
}

/* The group of (part, vp); vp TRACE_ID_NONE is the whole partition. NULL: out of memory. */
static struct trace_group *group(struct trace_stats *st, uint16_t part, uint16_t vp)
{
    uint32_t key = (uint32_t)part << 16 | vp;
    unsigned lo = 0, hi = st->ngroups;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (gkey(&st->groups[mid]) < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < st->ngroups && gkey(&st->groups[lo]) == key)
        return &st->groups[lo];
    struct trace_group *ng = realloc(st->groups, (st->ngroups + 1) * sizeof *ng);
    if (!ng)
        return NULL;
    st->groups = ng;
    memmove(&ng[lo + 1], &ng[lo], (st->ngroups - lo) * sizeof *ng);
    memset(&ng[lo], 0, sizeof *ng);
    ng[lo].partition = part;
    ng[lo].vp = vp;
    st->ngroups++;
    return &ng[lo];
}

static unsigned reason_slot(uint64_t reason)
{
    if (reason & 0x80000000u)
        return TRACE_STATS_REASONS - 1;
    unsigned r = (unsigned)(reason & 0xffff);
    return r < TRACE_STATS_REASONS - 1 ? r : TRACE_STATS_REASONS - 1;
}

/* A raise of `vector` towards processor `lp` at time ts (the first one until delivered). */
static void raise_irq(struct trace_stats *st, uint64_t lp, uint64_t vector, uint64_t ts)
{
    if (lp < TRACE_STATS_MAX_LP && vector < 256 && !st->raised[lp][vector])
        st->raised[lp][vector] = ts + 1;
}

int trace_stats_compute(struct trace_reader *r, struct trace_stats *st)
{
    memset(st, 0, sizeof *st);
    st->raised = calloc(TRACE_STATS_MAX_LP, sizeof *st->raised);
    if (!st->raised)
        return -1;
    st->all.partition = TRACE_ID_NONE;
    st->all.vp = TRACE_ID_NONE;
    for (unsigned k = 0; k < TRACE_STATS_MAX_LP; k++)
        st->pending_exit[k] = -1;
    struct trace_event ev;
    int rc;
    while ((rc = trace_reader_next(r, &ev)) == 1) {
        if (st->events == 0)
            st->first_ts = ev.ts_ps;
        st->last_ts = ev.ts_ps;
        st->events++;
        /* g: the event's partition; vg: its VP within it (NULL when the VP is not known) */
        struct trace_group *g = group(st, ev.partition, TRACE_ID_NONE);
        if (!g)
            return -1;
        struct trace_group *vg = NULL;
        if (ev.partition != TRACE_ID_NONE && ev.vp != TRACE_ID_NONE) {
            vg = group(st, ev.partition, ev.vp);
            g = group(st, ev.partition, TRACE_ID_NONE);     /* vg's insertion moved it */
            if (!vg || !g)
                return -1;
        }
        unsigned lp = ev.cpu_id < TRACE_STATS_MAX_LP ? ev.cpu_id : TRACE_STATS_MAX_LP;
        switch (ev.id) {
        case TEV_VM_EXIT: {
            unsigned slot = reason_slot(ev.v[1]);
            mm_add(&st->all.exits[slot], 0, 0);
            mm_add(&g->exits[slot], 0, 0);
            if (vg)
                mm_add(&vg->exits[slot], 0, 0);
            if (lp < TRACE_STATS_MAX_LP) {
                st->pending_exit[lp] = slot;
                st->pending_part[lp] = ev.partition;
                st->pending_vp[lp] = vg ? ev.vp : TRACE_ID_NONE;
            }
            break;
        }
        case TEV_VM_ENTRY:
            if (lp < TRACE_STATS_MAX_LP && st->pending_exit[lp] >= 0) {
                unsigned slot = (unsigned)st->pending_exit[lp];
                mm_time(&st->all.exits[slot], ev.v[2]);
                struct trace_group *pg = group(st, st->pending_part[lp], TRACE_ID_NONE);
                if (!pg)
                    return -1;
                mm_time(&pg->exits[slot], ev.v[2]);
                if (st->pending_vp[lp] != TRACE_ID_NONE) {
                    struct trace_group *pv = group(st, st->pending_part[lp], st->pending_vp[lp]);
                    if (!pv)
                        return -1;
                    mm_time(&pv->exits[slot], ev.v[2]);
                }
                st->pending_exit[lp] = -1;
            }
            break;
        case TEV_HYPERCALL: {
            uint64_t code = ev.v[0];
            if (code < sizeof g->hcalls / sizeof g->hcalls[0]) {
                mm_add(&st->all.hcalls[code], 1, ev.v[6]);
                mm_add(&g->hcalls[code], 1, ev.v[6]);
                if (vg)
                    mm_add(&vg->hcalls[code], 1, ev.v[6]);
            } else {
                st->all.hcall_other++;
                g->hcall_other++;
                if (vg)
                    vg->hcall_other++;
            }
            break;
        }
        case TEV_IRQ_DELIVER: {
            unsigned vec = (unsigned)(ev.v[0] & 0xff);
            st->all.irq[vec]++;
            g->irq[vec]++;
            if (vg)
                vg->irq[vec]++;
            if (lp < TRACE_STATS_MAX_LP && ev.v[1] == 0 && st->raised[lp][vec]) {
                uint64_t lat = ev.ts_ps - (st->raised[lp][vec] - 1);
                mm_time(&st->all.irq_latency[vec], lat);
                mm_time(&g->irq_latency[vec], lat);
                if (vg)
                    mm_time(&vg->irq_latency[vec], lat);
                st->raised[lp][vec] = 0;
            }
            break;
        }
        case TEV_IRQ_RAISE:             /* vector, source, source_id, target, level */
            raise_irq(st, ev.v[3], ev.v[0], ev.ts_ps);
            break;
        case TEV_IPI:                   /* vector, delivery mode, shorthand, dest, logical */
            if (ev.v[1] == 0 && ev.v[2] == 1)               /* fixed, to self */
                raise_irq(st, ev.cpu_id, ev.v[0], ev.ts_ps);
            else if (ev.v[1] == 0 && ev.v[2] == 0 && ev.v[4] == 0)   /* fixed, physical */
                raise_irq(st, ev.v[3], ev.v[0], ev.ts_ps);
            break;
        default:
            break;
        }
    }
    return rc < 0 ? -1 : 0;
}

void trace_stats_free(struct trace_stats *st)
{
    free(st->raised);
    st->raised = NULL;
    free(st->groups);
    st->groups = NULL;
    st->ngroups = 0;
}
