/* summary.h — the run summary `hvsim exec` and `hvsim run` print at the end of a run: why it
 * stopped, instructions, cycles, IPC, host wall time and simulated MIPS, TLB and walk counts,
 * exceptions and interrupts, unclaimed I/O. Only the wall-time and MIPS lines depend on the host. */
#ifndef HVSIM_SUMMARY_H
#define HVSIM_SUMMARY_H

#include <stdio.h>

#include "cpu/cpu.h"
#include "sim/bus.h"

void run_summary_print(FILE *f, const struct cpu *c, const struct bus *b, const char *reason,
                       double wall_seconds);
/* Host monotonic time in seconds, for the wall-time line only (never reaches the machine). */
double run_wall_clock(void);

#endif
