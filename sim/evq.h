/* evq.h — the machine's one virtual-time event queue: every timer and delayed device action.
 *
 * Time is in picoseconds of simulated time (uint64_t: ~213 days), derived only from retired
 * cycles at the model's frequency, never from the host clock.
 *
 * Invariants:
 *  - Events fire in (when, seq) order: equal times fire in the order they were scheduled, so the
 *    order of everything is fixed for given inputs (determinism rule).
 *  - An event is in the queue at most once; rescheduling moves it, cancelling removes it. The
 *    caller owns the struct event memory (embedded in the device), the queue only links it.
 *  - evq_run_until never moves time backwards; a callback may schedule or cancel any event,
 *    including itself.
 */
#ifndef HVSIM_EVQ_H
#define HVSIM_EVQ_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PS_PER_NS 1000ull
#define PS_PER_US 1000000ull
#define PS_PER_MS 1000000000ull
#define PS_PER_S  1000000000000ull

struct evq;
typedef void (*evq_fn)(void *opaque, uint64_t now_ps);

struct event {
    uint64_t when;       /* picoseconds */
    uint64_t seq;        /* tie-breaker: scheduling order */
    evq_fn fn;
    void *opaque;
    const char *name;    /* for diagnostics */
    struct event *next;  /* sorted singly-linked list */
    bool queued;
};

struct evq {
    uint64_t now;        /* current simulated time in ps */
    uint64_t seq;
    struct event *head;
    uint64_t fired;      /* statistics */
    /* The scheduler's current round end: an event scheduled before it calls `earlier`, so the
     * round can end at that event instead (sim/sched.c). UINT64_MAX / NULL: no hook. */
    uint64_t horizon;
    void (*earlier)(void *opaque, uint64_t when);
    void *earlier_opaque;
};

void evq_init(struct evq *q);
/* Initialise an event (not queued). */
void event_init(struct event *e, evq_fn fn, void *opaque, const char *name);
/* Schedule e at absolute time `when` (clamped to now if in the past); moves it if queued. If
 * the time is before q->horizon, q->earlier is told. */
void evq_schedule(struct evq *q, struct event *e, uint64_t when);
void evq_cancel(struct evq *q, struct event *e);
/* Time of the earliest event, or UINT64_MAX if none. */
static inline uint64_t evq_next(const struct evq *q) { return q->head ? q->head->when : UINT64_MAX; }
/* Fire every event with when <= t in order, then set now = t (if t > now). */
void evq_run_until(struct evq *q, uint64_t t);

#ifdef __cplusplus
}
#endif
#endif
