/* evq.c — the virtual-time event queue (see evq.h for the invariants). A sorted list: machines
 * have a few dozen timers at most, and the common operations (peek the head, re-arm a periodic
 * timer near the end) stay cheap. */
#include "sim/evq.h"

#include <stddef.h>

void evq_init(struct evq *q)
{
    q->now = 0;
    q->seq = 0;
    q->head = NULL;
    q->fired = 0;
    q->horizon = UINT64_MAX;
    q->earlier = NULL;
    q->earlier_opaque = NULL;
}

void event_init(struct event *e, evq_fn fn, void *opaque, const char *name)
{
    e->when = 0;
    e->seq = 0;
    e->fn = fn;
    e->opaque = opaque;
    e->name = name;
    e->next = NULL;
    e->queued = false;
}

void evq_cancel(struct evq *q, struct event *e)
{
    if (!e->queued)
        return;
    for (struct event **pp = &q->head; *pp; pp = &(*pp)->next) {
        if (*pp == e) {
            *pp = e->next;
            break;
        }
    }
    e->next = NULL;
    e->queued = false;
}

void evq_schedule(struct evq *q, struct event *e, uint64_t when)
{
    evq_cancel(q, e);
    e->when = when < q->now ? q->now : when;
    e->seq = q->seq++;
    struct event **pp = &q->head;
    while (*pp && ((*pp)->when < e->when || ((*pp)->when == e->when && (*pp)->seq < e->seq)))
        pp = &(*pp)->next;
    e->next = *pp;
    *pp = e;
    e->queued = true;
    if (e->when < q->horizon && q->earlier)
        q->earlier(q->earlier_opaque, e->when);
}

void evq_run_until(struct evq *q, uint64_t t)
{
    while (q->head && q->head->when <= t) {
        struct event *e = q->head;
        q->head = e->next;
        e->next = NULL;
        e->queued = false;
        if (e->when > q->now)
            q->now = e->when;
        q->fired++;
        e->fn(e->opaque, q->now);
    }
    if (t > q->now)
        q->now = t;
}
