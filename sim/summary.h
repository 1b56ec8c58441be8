/* summary.h — the run summary `hvsim exec` and `hvsim run` print at the end of a run: why it
 * stopped, instructions, cycles, IPC, host wall time and simulated MIPS, TLB and walk counts,
 * exceptions and interrupts, unclaimed I/O. Only the wall-time and MIPS lines depend on the host. */
#ifndef HVSIM_SUMMARY_H
#define HVSIM_SUMMARY_H

#include <stdio.h>

#include "cpu/cpu.h"
#include "sim/bus.h"

/* cpus[0..n-1]: one processor (hvsim exec) or all of a machine's; with several, the counts are
 * totals and one line per processor follows. */
void run_summary_print(FILE *f, const struct cpu *cpus, int n, const struct bus *b,
                       const char *reason, double wall_seconds);
/* Host monotonic time in seconds, for the wall-time line only (never reaches the machine). */
double run_wall_clock(void);

#endif
