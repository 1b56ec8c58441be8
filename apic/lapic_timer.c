/* lapic_timer.c — the local APIC timer (SDM Vol. 3 10.5.4): one-shot and periodic modes counting
 * down from the initial count at the timer clock divided by the divide configuration, and
 * TSC-deadline mode (10.5.4.1) firing when the time-stamp counter reaches IA32_TSC_DEADLINE.
 *
 * Time: the timer clock is the model's apic_timer_hz (cpu/models/default.model: 25 MHz, the
 * core crystal clock of the Skylake-SP model, 40 000 ps per count at divide 1). A counter that
 * started at time `timer_start` (ps) with `timer_base_count` has made
 *     n(t) = floor((t - timer_start) * apic_timer_hz / (div * 10^12))
 * decrements at time t, so the current count is read from virtual time with exact integer
 * arithmetic and no per-tick events. The k-th expiry (k >= 1) is at the first picosecond where
 * n(t) >= base + (k - 1) * initial (periodic reloads with the initial count); one event per
 * expiry is queued on the machine's evq. The processor's time is its retired cycles at the
 * model's tsc_hz (rounded down to a picosecond, as sim/sched.c does).
 *
 * Invariants: timer_ev is queued exactly while a one-shot/periodic count runs (timer_running)
 * or a TSC deadline is armed (tsc_deadline != 0 in TSC-deadline mode); a masked timer still
 * counts (and reloads) but raises nothing.
 */
#include "apic/lapic.h"

#include "cpu/insn.h"
#include "cpu/model.h"
#include "sim/sched.h"
#include "traces/tracer.h"

static unsigned timer_mode(const struct lapic *l)
{
    return (l->lvt[LVT_TIMER] >> LAPIC_TIMER_MODE_SHIFT) & 3;
}

uint64_t lapic_now(const struct lapic *l)
{
    return sched_cycles_to_ps(cpu_cycles_now(l->cpu), l->cpu->model->tsc_hz);
}

/* Divide configuration (SDM Figure 10-10): bits 3,1,0 = 000 -> 2, 001 -> 4, ... 110 -> 128,
 * 111 -> 1. */
unsigned lapic_timer_divisor(uint32_t dcr)
{
    unsigned v = (dcr & 3) | ((dcr >> 1) & 4);
    return v == 7 ? 1 : 2u << v;
}

uint64_t lapic_counts_to_ps(const struct lapic *l, uint64_t counts, unsigned div)
{
    unsigned __int128 num = (unsigned __int128)counts * div * PS_PER_S;
    return (uint64_t)((num + l->timer_hz - 1) / l->timer_hz);
}

/* Decrements since timer_start at time `now`. */
static uint64_t counts_at(const struct lapic *l, uint64_t now)
{
    if (now <= l->timer_start)
        return 0;
    unsigned div = lapic_timer_divisor(l->timer_dcr);
    return (uint64_t)((unsigned __int128)(now - l->timer_start) * l->timer_hz /
                      ((unsigned __int128)div * PS_PER_S));
}

/* Queue the next expiry (number timer_periods + 1). */
static void schedule_next(struct lapic *l)
{
    uint64_t counts = (uint64_t)l->timer_base_count + l->timer_periods * (uint64_t)l->timer_icr;
    unsigned div = lapic_timer_divisor(l->timer_dcr);
    uint64_t when = l->timer_start + lapic_counts_to_ps(l, counts, div);
    if (l->q)
        evq_schedule(l->q, &l->timer_ev, when);
}

void lapic_timer_stop(struct lapic *l)
{
    l->timer_running = false;
    if (l->q)
        evq_cancel(l->q, &l->timer_ev);
}

static void start_count(struct lapic *l, uint32_t count, uint64_t now)
{
    l->timer_start = now;
    l->timer_base_count = count;
    l->timer_periods = 0;
    l->timer_running = true;
    schedule_next(l);
}

uint32_t lapic_timer_ccr(const struct lapic *l, uint64_t now)
{
    if (!l->timer_running || timer_mode(l) == LAPIC_TIMER_DEADLINE)
        return 0;
    uint64_t n = counts_at(l, now);
    if (n < l->timer_base_count)
        return (uint32_t)(l->timer_base_count - n);
    if (timer_mode(l) != LAPIC_TIMER_PERIODIC || l->timer_icr == 0)
        return 0;
    return l->timer_icr - (uint32_t)((n - l->timer_base_count) % l->timer_icr);
}

/* Trace record of a programming of the timer by its processor: the first expiry's time, or 0
 * when the write stopped it. */
static void trace_arm(struct lapic *l, uint32_t initial)
{
    if (l->cpu && l->cpu->trace) {
        uint64_t v[4] = { timer_mode(l), initial, lapic_timer_divisor(l->timer_dcr),
                          l->timer_ev.queued ? l->timer_ev.when : 0 };
        tracer_cpu(l->cpu->trace, l->cpu, TEV_APIC_TIMER_ARM, v);
    }
}

void lapic_timer_write_icr(struct lapic *l, uint32_t v, uint64_t now)
{
    if (timer_mode(l) == LAPIC_TIMER_DEADLINE)
        return;                         /* ignored in TSC-deadline mode (10.5.4.1) */
    l->timer_icr = v;
    lapic_timer_stop(l);
    if (v)                              /* writing 0 stops the timer */
        start_count(l, v, now);
    trace_arm(l, v);
}

void lapic_timer_write_dcr(struct lapic *l, uint32_t v, uint64_t now)
{
    uint32_t cc = lapic_timer_ccr(l, now);
    bool rebase = l->timer_running && timer_mode(l) != LAPIC_TIMER_DEADLINE && cc != 0;
    l->timer_dcr = v & 0xb;
    if (rebase) {                       /* the count goes on from its value at the new rate */
        lapic_timer_stop(l);
        start_count(l, cc, now);
    }
}

void lapic_timer_write_lvt(struct lapic *l, uint32_t v, uint64_t now)
{
    (void)now;
    unsigned from = timer_mode(l), to = (v >> LAPIC_TIMER_MODE_SHIFT) & 3;
    l->lvt[LVT_TIMER] = v;
    if ((from == LAPIC_TIMER_DEADLINE) != (to == LAPIC_TIMER_DEADLINE)) {
        /* entering or leaving TSC-deadline mode disarms the timer (10.5.4.1) */
        lapic_timer_stop(l);
        l->tsc_deadline = 0;
    }
}

uint64_t lapic_timer_read_deadline(const struct lapic *l)
{
    return timer_mode(l) == LAPIC_TIMER_DEADLINE ? l->tsc_deadline : 0;
}

void lapic_timer_write_deadline(struct lapic *l, uint64_t v, uint64_t now)
{
    (void)now;
    if (timer_mode(l) != LAPIC_TIMER_DEADLINE)
        return;                         /* writes are ignored in the other modes */
    lapic_timer_stop(l);
    l->tsc_deadline = v;
    if (v == 0)                         /* 0 disarms */
        return;
    const struct cpu *c = l->cpu;
    uint64_t cy = cpu_cycles_now(c), tsc = cy + c->tsc_offset;
    if ((int64_t)(v - tsc) <= 0) {      /* already passed: fires at once */
        lapic_timer_expire(l, now);
        return;
    }
    /* the first picosecond at which the processor's cycle count reaches the deadline */
    uint64_t target = cy + (v - tsc);
    unsigned __int128 num = (unsigned __int128)target * PS_PER_S;
    uint64_t when = (uint64_t)((num + c->model->tsc_hz - 1) / c->model->tsc_hz);
    if (l->q)
        evq_schedule(l->q, &l->timer_ev, when);
    trace_arm(l, 0);
}

void lapic_timer_expire(void *opaque, uint64_t now)
{
    struct lapic *l = opaque;
    (void)now;
    l->timer_fired++;
    if (l->cpu && l->cpu->trace) {
        uint64_t v[2] = { l->lvt[LVT_TIMER] & LAPIC_VEC_MASK, (uint64_t)l->cpu->id };
        tracer_device(l->cpu->trace, TEV_APIC_TIMER_FIRE, v);
    }
    if (timer_mode(l) == LAPIC_TIMER_DEADLINE) {
        if (!l->tsc_deadline)
            return;
        l->tsc_deadline = 0;            /* the MSR reads 0 after the interrupt (10.5.4.1) */
        lapic_lvt_fire(l, LVT_TIMER);
        return;
    }
    if (!l->timer_running)
        return;
    l->timer_periods++;
    lapic_lvt_fire(l, LVT_TIMER);
    if (timer_mode(l) == LAPIC_TIMER_PERIODIC && l->timer_icr)
        schedule_next(l);
    else
        l->timer_running = false;
}
