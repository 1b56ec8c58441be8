/* sched.h — the logical-processor scheduler: interleaves N processors and the machine's device
 * events in virtual time, deterministically, on one host thread.
 *
 * Virtual time is picoseconds (sim/evq.h). A processor's local time is its cycle counter at the
 * model's frequency (cycles * 10^12 / tsc_hz), so RDTSC, timers and the event queue all derive
 * from retired instructions and nothing else.
 *
 * A round: the round ends at min(now + quantum, next device event). Every processor, in index
 * order, runs until its local time reaches the round end (or it stops); a halted processor's time
 * jumps to the round end (idle skip: a waiting processor burns no host time). Then the events due
 * by the round end fire, which may raise interrupts that wake processors in the next round.
 *
 * Exact device timing within a round: a processor stops at the first block boundary at or past
 * the round end (struct cpu's cycle_limit); before every device access the queue is brought up to
 * the accessing processor's local time (sched_sync), so a device sees the time of the access; and
 * an event scheduled during the round before its end (a timer programmed by the guest) ends the
 * round there (evq's `earlier` hook). So with one processor, a timer interrupt arrives at its exact
 * time, within one basic block. With several, processors later in the round order are behind the
 * ones before them by up to a round; every time stays monotonic and the order is fixed.
 *
 * Host input (sim/serial_in.h) plugs in through struct sched_input: a hook after every round, a
 * deadline that bounds round ends (input known in advance, a replay), and a hook called when
 * every processor is halted and no event is queued, which may block for host input instead of
 * letting the machine stop. None is called per instruction; with no hooks nothing changes.
 *
 * Invariants: the order of processors and events within a round is fixed; local times never
 * exceed the round end by more than one basic block's cost; two runs with the same machine and
 * budget produce the same instruction counts, cycles and device activity.
 */
#ifndef HVSIM_SCHED_H
#define HVSIM_SCHED_H

#include <stdint.h>

#include "cpu/cpu.h"
#include "sim/evq.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SCHED_MAX_LPS 256

enum sched_stop {
    SCHED_RUNNING = 0,
    SCHED_INSN_LIMIT,      /* the instruction budget is used up */
    SCHED_CPU_STOP,        /* a processor stopped (triple fault, device request, unsupported) */
    SCHED_IDLE_FOREVER,    /* every processor is halted and no event can ever wake one */
    SCHED_REQUESTED,       /* stop_req was set between processors' turns (sched_request_stop) */
};

/* What the idle hook did: nothing can come (stop as halted), something changed (look again),
 * or input is due at *until (skip the halted processors' time there). */
enum sched_idle { SCHED_IDLE_STOP = 0, SCHED_IDLE_AGAIN, SCHED_IDLE_SKIP };

struct sched_input {
    void (*round_end)(void *opaque);             /* after each round's events fired */
    uint64_t (*deadline)(void *opaque);          /* next known input time, UINT64_MAX: none */
    enum sched_idle (*idle)(void *opaque, uint64_t *until);
    void *opaque;
};

struct sched {
    struct cpu *lp[SCHED_MAX_LPS];
    int n;
    struct evq *q;
    uint64_t hz;            /* cycles per simulated second (the model's tsc_hz) */
    uint64_t quantum_ps;    /* length of a round (default 10 us) */
    struct cpu *stopped;    /* the processor that stopped the machine, if any */
    bool stop_req;          /* the host asked the machine to stop (sched_request_stop) */
    struct sched_input input;   /* host input hooks, all NULL by default */
    /* the current round */
    struct cpu *cur;        /* the processor running now, or NULL between processors */
    uint64_t end, end_cycles;   /* round end in ps and in cycles (lowered by earlier events) */
};

void sched_init(struct sched *s, struct evq *q, uint64_t hz);
/* The host (not the guest) asks the machine to stop as soon as possible: the running processor
 * after its current instruction (SCHED_CPU_STOP, stop STOP_REQUEST), else before the next
 * processor's turn (SCHED_REQUESTED). E.g. `hvsim run --verify` at a divergence. */
void sched_request_stop(struct sched *s);
int  sched_add(struct sched *s, struct cpu *c);     /* 0, or -1 when full */

/* Bring the event queue up to the running processor's local time (cpu_cycles_now), firing what
 * falls due: called before every device access (struct bus's sync hook), so a device sees the
 * time of the instruction that accesses it, not the start of the round. Time never goes back. */
void sched_sync(void *opaque);

/* Run until a stop; `max_insns` counts instructions of all processors (UINT64_MAX: no limit). */
enum sched_stop sched_run(struct sched *s, uint64_t max_insns);

/* Cycle <-> picosecond conversion at hz (exact integer arithmetic, rounding down). */
uint64_t sched_cycles_to_ps(uint64_t cycles, uint64_t hz);
uint64_t sched_ps_to_cycles(uint64_t ps, uint64_t hz);

#ifdef __cplusplus
}
#endif
#endif
