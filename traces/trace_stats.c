/* trace_stats.c — see trace_stats.h. */
#include "traces/trace_stats.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "traces/trace_fmt.h"
#include "traces/trace_names.h"

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

void trace_synic_cause(const struct trace_event *ev, uint16_t *part, uint16_t *vp)
{
    *part = *vp = TRACE_ID_NONE;
    if (ev->id == TEV_SYNIC_EVENT) {
        *part = ev->partition;
        *vp = ev->vp;
        return;
    }
    if (ev->id != TEV_SYNIC_MESSAGE)
        return;
    uint64_t type = ev->v[4], sender = ev->v[5];
    if (type == 0x80000010u) {                          /* HVMSG_TIMER_EXPIRED */
        *part = (uint16_t)ev->v[0];
        *vp = (uint16_t)ev->v[1];
    } else if (type == 0x80000000u || type == 0x80000001u || type == 0x80000021u ||
               (type & 0xffff0000u) == 0x80010000u) {   /* intercepts: sender = partition */
        if (sender < TRACE_ID_NONE) {
            *part = (uint16_t)sender;
            if (ev->partition == sender)
                *vp = ev->vp;
        }
    } else if (!ev->v[7]) {                             /* not queued: the caller */
        *part = ev->partition;
        *vp = ev->vp;
    }
}

/* A SynIC message or event flag: received by dst_partition, sent by its cause. */
static int synic_count(struct trace_stats *st, const struct trace_event *ev)
{
    int msg = ev->id == TEV_SYNIC_MESSAGE;
    uint16_t cp, cv;
    trace_synic_cause(ev, &cp, &cv);
    struct trace_group *gs[2] = { &st->all, group(st, (uint16_t)ev->v[0], TRACE_ID_NONE) };
    if (!gs[1])
        return -1;
    for (unsigned k = 0; k < 2; k++) {
        struct trace_group *g = gs[k];
        if (!msg) {
            g->ev_rx++;
            continue;
        }
        unsigned j;
        for (j = 0; j < TRACE_STATS_MSG_TYPES && g->msg_rx[j].n && g->msg_rx[j].type != ev->v[4];
             j++)
            ;
        if (j == TRACE_STATS_MSG_TYPES) {
            g->msg_rx_other++;
        } else {
            g->msg_rx[j].type = (uint32_t)ev->v[4];
            g->msg_rx[j].n++;
        }
    }
    struct trace_group *tx = group(st, cp, TRACE_ID_NONE);     /* NONE: cause not known */
    if (!tx)
        return -1;
    if (msg) {
        st->all.msg_tx++;
        tx->msg_tx++;
    } else {
        st->all.ev_tx++;
        tx->ev_tx++;
    }
    return 0;
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
        case TEV_SYNIC_MESSAGE:
        case TEV_SYNIC_EVENT:
            if (synic_count(st, &ev) != 0)
                return -1;
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

void trace_stats_print_synic(FILE *f, const struct trace_group *g, int csv, const char *label)
{
    uint64_t rx = g->msg_rx_other;
    for (unsigned j = 0; j < TRACE_STATS_MSG_TYPES; j++)
        rx += g->msg_rx[j].n;
    if (!rx && !g->ev_rx && !g->msg_tx && !g->ev_tx)
        return;
    if (!csv)
        fprintf(f, "\n%-36s %10s\n", "SynIC messages received, by type", "count");
    for (unsigned j = 0; j <= TRACE_STATS_MSG_TYPES; j++) {
        char name[48];
        uint64_t n;
        if (j < TRACE_STATS_MSG_TYPES) {
            if (!g->msg_rx[j].n)
                continue;
            trace_hvmsg_label(g->msg_rx[j].type, name, sizeof name);
            n = g->msg_rx[j].n;
        } else {
            if (!g->msg_rx_other)
                continue;
            snprintf(name, sizeof name, "other types");
            n = g->msg_rx_other;
        }
        if (csv)
            fprintf(f, "synic_received,%s,%s,%" PRIu64 ",,,,,\n", label, name, n);
        else
            fprintf(f, "%-36s %10" PRIu64 "\n", name, n);
    }
    if (csv) {
        fprintf(f, "synic_received,%s,event flags,%" PRIu64 ",,,,,\n", label, g->ev_rx);
        fprintf(f, "synic_sent,%s,messages,%" PRIu64 ",,,,,\n", label, g->msg_tx);
        fprintf(f, "synic_sent,%s,event flags,%" PRIu64 ",,,,,\n", label, g->ev_tx);
    } else {
        fprintf(f, "%-36s %10" PRIu64 "\n", "event flags set (0 -> 1)", g->ev_rx);
        fprintf(f, "%-36s %10" PRIu64 "\n", "SynIC messages sent", g->msg_tx);
        fprintf(f, "%-36s %10" PRIu64 "\n", "SynIC event flags sent", g->ev_tx);
    }
}
