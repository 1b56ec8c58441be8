/* sched.c — rounds of processor execution and device events in virtual time (see sched.h).
 * A halted processor in VMX non-root operation asks cpu/vmx_event.c whether it can run now or be
 * woken later (exits wake it), and an armed VMX-preemption timer bounds its idle skip. */
#include "sim/sched.h"

#include <string.h>

uint64_t sched_cycles_to_ps(uint64_t cycles, uint64_t hz)
{
    return (uint64_t)((unsigned __int128)cycles * PS_PER_S / hz);
}

uint64_t sched_ps_to_cycles(uint64_t ps, uint64_t hz)
{
    /* the smallest cycle count whose time is >= ps */
    unsigned __int128 c = ((unsigned __int128)ps * hz + PS_PER_S - 1) / PS_PER_S;
    return (uint64_t)c;
}

static void sched_earlier(void *opaque, uint64_t when);

void sched_init(struct sched *s, struct evq *q, uint64_t hz)
{
    memset(s, 0, sizeof *s);
    s->q = q;
    s->hz = hz;
    s->quantum_ps = 10 * PS_PER_US;
    q->earlier = sched_earlier;
    q->earlier_opaque = s;
}

int sched_add(struct sched *s, struct cpu *c)
{
    if (s->n >= SCHED_MAX_LPS)
        return -1;
    s->lp[s->n++] = c;
    return 0;
}

/* Could an interrupt ever wake this halted processor? (an NMI, or IF = 1) */
static bool wakeable(const struct cpu *c)
{
    if (c->vmx.nonroot)         /* VMX guest: exits can wake it too (cpu/vmx_event.c) */
        return vmx_halt_wakeable(c);
    return c->nmi_pending || (c->rflags & RF_IF);
}

/* Halted with nothing deliverable right now (a pending NMI or an unmasked pending interrupt
 * would wake it at its next turn). */
static bool idle_now(const struct cpu *c)
{
    if (!c->halted)
        return false;
    if (c->vmx.nonroot)
        return !vmx_halt_event_now(c);
    if (c->nmi_pending && !c->nmi_blocked)
        return false;
    return !((c->rflags & RF_IF) && c->irq.pending && c->irq.pending(c->irq.opaque));
}

/* Run c until its time reaches the round end (s->end_cycles, which an event scheduled during
 * the round may lower: sched_earlier), it stops, or the budget is spent. Returns the number of
 * instructions retired. */
static uint64_t run_lp(struct sched *s, struct cpu *c, uint64_t budget)
{
    uint64_t done = 0;
    s->cur = c;
    while (c->ctr.cycles < s->end_cycles && done < budget) {
        c->cycle_limit = s->end_cycles;
        done += cpu_run(c, budget - done);
        if (c->stop == STOP_HLT) {
            if (!c->halted || c->ctr.cycles >= s->end_cycles)
                continue;
            /* HLT with an interrupt already deliverable (STI; HLT with one pending, SDM Vol. 3
             * 6.8.3): it wakes the processor at once, not at the round end. */
            if (!idle_now(c) && !c->intr_shadow)
                continue;
            /* Halted: wait for the rest of the round (an interrupt is checked next round), or
             * until a VMX guest's preemption timer expires (then it runs and exits). */
            uint64_t until = s->end_cycles;
            if (c->vmx.nonroot && vmx_wake_cycle(c) < until)
                until = vmx_wake_cycle(c);
            c->ctr.halt_cycles += until - c->ctr.cycles;
            c->ctr.cycles = until;
            if (until < s->end_cycles)
                continue;
            break;
        }
        if (c->stop != STOP_NONE)
            break;
    }
    c->cycle_limit = UINT64_MAX;
    s->cur = NULL;
    return done;
}

/* evq hook: an event was scheduled before the round end, so the round ends there instead. The
 * running processor stops at its next block boundary past that time; the ones after it in the
 * round run only up to it. */
static void sched_earlier(void *opaque, uint64_t when)
{
    struct sched *s = opaque;
    s->end = when;
    s->end_cycles = sched_ps_to_cycles(when, s->hz);
    s->q->horizon = when;
    if (s->cur)
        s->cur->cycle_limit = s->end_cycles;
}

void sched_sync(void *opaque)
{
    struct sched *s = opaque;
    if (!s->cur)
        return;
    uint64_t t = sched_cycles_to_ps(cpu_cycles_now(s->cur), s->hz);
    if (t > s->q->now)
        evq_run_until(s->q, t);
}

void sched_request_stop(struct sched *s)
{
    s->stop_req = true;
    if (s->cur) {
        s->cur->stop = STOP_REQUEST;
        s->cur->block_end = true;
    }
}

static enum sched_stop leave(struct sched *s, enum sched_stop why)
{
    s->q->horizon = UINT64_MAX;
    return why;
}

enum sched_stop sched_run(struct sched *s, uint64_t max_insns)
{
    uint64_t total = 0;
    s->stopped = NULL;
    for (;;) {
        if (s->stop_req)
            return leave(s, SCHED_REQUESTED);
        if (total >= max_insns)
            return leave(s, SCHED_INSN_LIMIT);
        /* Idle forever: every processor halted with nothing able to wake it. */
        bool all_halted = true, any_wakeable = false;
        uint64_t wake = UINT64_MAX;     /* earliest VMX-preemption-timer expiry of a halted LP */
        for (int k = 0; k < s->n; k++) {
            bool idle = idle_now(s->lp[k]);
            all_halted &= idle;
            any_wakeable |= s->lp[k]->halted && wakeable(s->lp[k]);
            if (idle && s->lp[k]->vmx.nonroot && vmx_wake_cycle(s->lp[k]) != UINT64_MAX) {
                uint64_t t = sched_cycles_to_ps(vmx_wake_cycle(s->lp[k]), s->hz);
                if (sched_ps_to_cycles(t, s->hz) < vmx_wake_cycle(s->lp[k]))
                    t++;                /* the round must reach the expiry cycle */
                wake = t < wake ? t : wake;
            }
        }
        uint64_t next = evq_next(s->q);
        if (wake < next)
            next = wake > s->q->now ? wake : s->q->now;
        if (all_halted && !any_wakeable)
            return leave(s, SCHED_IDLE_FOREVER);
        if (all_halted && next == UINT64_MAX) {
            /* Only host input could wake a processor now: ask the input hook. */
            uint64_t until = UINT64_MAX;
            enum sched_idle r = s->input.idle ? s->input.idle(s->input.opaque, &until)
                                              : SCHED_IDLE_STOP;
            if (r == SCHED_IDLE_AGAIN)
                continue;
            if (r != SCHED_IDLE_SKIP || until == UINT64_MAX)
                return leave(s, SCHED_IDLE_FOREVER);
            next = until > s->q->now ? until : s->q->now;
        }
        if (s->input.deadline) {
            uint64_t d = s->input.deadline(s->input.opaque);
            if (d < next)
                next = d;
        }

        uint64_t now = s->q->now, end = now + s->quantum_ps;
        if (next < end)
            end = next > now ? next : now;
        if (all_halted)
            end = next;                              /* idle skip straight to the event */
        s->end = end;
        s->end_cycles = sched_ps_to_cycles(end, s->hz);
        s->q->horizon = end;

        for (int k = 0; k < s->n; k++) {
            struct cpu *c = s->lp[k];
            total += run_lp(s, c, max_insns - total);
            if (c->stop != STOP_NONE && c->stop != STOP_HLT) {
                s->stopped = c;
                s->q->horizon = UINT64_MAX;
                evq_run_until(s->q, sched_cycles_to_ps(c->ctr.cycles, s->hz));
                return SCHED_CPU_STOP;
            }
            if (total >= max_insns || s->stop_req)
                break;
        }
        /* The round is over when every processor reached its end; fire what is due. */
        s->q->horizon = UINT64_MAX;
        uint64_t t = s->end;
        for (int k = 0; k < s->n; k++) {
            uint64_t lt = sched_cycles_to_ps(s->lp[k]->ctr.cycles, s->hz);
            if (lt > t)
                t = lt;
        }
        evq_run_until(s->q, t);
        if (s->input.round_end)
            s->input.round_end(s->input.opaque);
    }
}
