/* summary.c — the end-of-run summary (see summary.h). */
#include "sim/summary.h"

#include <inttypes.h>
#include <time.h>

double run_wall_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void run_summary_print(FILE *f, const struct cpu *c, const struct bus *b, const char *reason,
                       double wall)
{
    const struct cpu_counters *k = &c->ctr;
    uint64_t busy = k->cycles - k->halt_cycles;
    double ipc = busy ? (double)k->insns / (double)busy : 0.0;
    double mips = wall > 0 ? (double)k->insns / wall / 1e6 : 0.0;
    fprintf(f, "--- hvsim run summary ---\n");
    fprintf(f, "stopped         %s\n", reason);
    fprintf(f, "instructions    %" PRIu64 "\n", k->insns);
    fprintf(f, "cycles          %" PRIu64 "\n", k->cycles);
    if (k->halt_cycles)
        fprintf(f, "halted cycles   %" PRIu64 " (idle, skipped)\n", k->halt_cycles);
    fprintf(f, "IPC             %.3f\n", ipc);
    fprintf(f, "wall time       %.3f s (host)\n", wall);
    fprintf(f, "simulated MIPS  %.1f\n", mips);
    fprintf(f, "ITLB            %" PRIu64 " hits, %" PRIu64 " misses\n", k->itlb_hits,
            k->itlb_misses);
    fprintf(f, "DTLB            %" PRIu64 " hits, %" PRIu64 " misses\n", k->dtlb_hits,
            k->dtlb_misses);
    fprintf(f, "STLB            %" PRIu64 " hits, %" PRIu64 " misses\n", k->stlb_hits,
            k->stlb_misses);
    fprintf(f, "page walks      %" PRIu64 " (%" PRIu64 " memory references)\n", k->walks,
            k->walk_refs);
    fprintf(f, "exceptions      %" PRIu64 ", interrupts %" PRIu64 "\n", k->exceptions,
            k->interrupts);
    if (b->unclaimed)
        fprintf(f, "unclaimed I/O   %" PRIu64 " accesses (last: %s 0x%" PRIx64 ")\n",
                b->unclaimed, b->last_unclaimed_pio ? "port" : "address", b->last_unclaimed);
}
