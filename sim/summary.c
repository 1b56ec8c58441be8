/* summary.c — the end-of-run summary (see summary.h), with the VMX lines when VMX was used. */
#include "sim/summary.h"

#include <inttypes.h>
#include <time.h>

double run_wall_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* VMX lines (only if a VM entry was attempted): entries, failures, and per basic exit reason the
 * number of exits and the processor cycles from those exits to the next VM entry (the exit and
 * entry costs plus the host's handling: cpu/vmx.h struct vmx_counters). Totals over processors. */
static void vmx_summary(FILE *f, const struct cpu *cpus, int n)
{
    struct vmx_counters t = { 0 };
    uint64_t exits = 0;
    for (int p = 0; p < n; p++) {
        const struct vmx_counters *k = &cpus[p].vmx.ctr;
        t.entries += k->entries;
        t.entry_fails += k->entry_fails;
        for (int r = 0; r < VMX_EXIT_NREASONS; r++) {
            t.exits[r] += k->exits[r];
            t.cycles[r] += k->cycles[r];
            exits += k->exits[r];
        }
    }
    if (!t.entries && !t.entry_fails)
        return;
    fprintf(f, "VM entries      %" PRIu64 " (%" PRIu64 " failed: VMfail or exit reason bit 31)\n",
            t.entries, t.entry_fails);
    fprintf(f, "VM exits        %" PRIu64 "\n", exits);
    for (int r = 0; r < VMX_EXIT_NREASONS; r++)
        if (t.exits[r])
            fprintf(f, "  %2d %-22s %" PRIu64 " exits, %" PRIu64 " cycles to re-entry\n", r,
                    vmx_exit_reason_name((unsigned)r), t.exits[r], t.cycles[r]);
}

/* Per-processor lines of a multiprocessor run, at most this many. */
#define SUMMARY_MAX_LP_LINES 16

void run_summary_print(FILE *f, const struct cpu *cpus, int n, const struct bus *b,
                       const char *reason, double wall)
{
    /* totals over the processors; cycles are processor-cycles (the sum of local clocks) */
    struct cpu_counters t = { 0 };
    for (int p = 0; p < n; p++) {
        const struct cpu_counters *k = &cpus[p].ctr;
        t.insns += k->insns;
        t.cycles += k->cycles;
        t.halt_cycles += k->halt_cycles;
        t.itlb_hits += k->itlb_hits;
        t.itlb_misses += k->itlb_misses;
        t.dtlb_hits += k->dtlb_hits;
        t.dtlb_misses += k->dtlb_misses;
        t.stlb_hits += k->stlb_hits;
        t.stlb_misses += k->stlb_misses;
        t.walks += k->walks;
        t.walk_refs += k->walk_refs;
        t.ept_walks += k->ept_walks;
        t.ept_refs += k->ept_refs;
        t.exceptions += k->exceptions;
        t.interrupts += k->interrupts;
    }
    const struct cpu_counters *k = &t;
    uint64_t busy = k->cycles - k->halt_cycles;
    double ipc = busy ? (double)k->insns / (double)busy : 0.0;
    double mips = wall > 0 ? (double)k->insns / wall / 1e6 : 0.0;
    fprintf(f, "--- hvsim run summary ---\n");
    fprintf(f, "stopped         %s\n", reason);
    if (n > 1)
        fprintf(f, "processors      %d (instructions and cycles below are totals)\n", n);
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
    if (k->ept_walks)       /* guest-physical translations through EPT (mmu/ept_walk.c) */
        fprintf(f, "EPT walks       %" PRIu64 " (%" PRIu64 " memory references)\n", k->ept_walks,
                k->ept_refs);
    fprintf(f, "exceptions      %" PRIu64 ", interrupts %" PRIu64 "\n", k->exceptions,
            k->interrupts);
    for (int p = 0; n > 1 && p < n && p < SUMMARY_MAX_LP_LINES; p++) {
        const struct cpu_counters *c = &cpus[p].ctr;
        fprintf(f, "  cpu %-3d       %" PRIu64 " instructions, %" PRIu64 " cycles (%" PRIu64
                " halted), %" PRIu64 " interrupts%s\n", p, c->insns, c->cycles, c->halt_cycles,
                c->interrupts, cpus[p].wait_sipi ? ", waiting for SIPI" : "");
    }
    if (n > SUMMARY_MAX_LP_LINES)
        fprintf(f, "  (%d more processors)\n", n - SUMMARY_MAX_LP_LINES);
    vmx_summary(f, cpus, n);
    if (b->unclaimed)
        fprintf(f, "unclaimed I/O   %" PRIu64 " accesses (last: %s 0x%" PRIx64 ")\n",
                b->unclaimed, b->last_unclaimed_pio ? "port" : "address", b->last_unclaimed);
}
