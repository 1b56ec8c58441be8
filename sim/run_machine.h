/* run_machine.h — one run of the PC-like machine as the commands do it (`hvsim run`, `hvsim
 * replay`): build it from a configuration, run it, print the summary and the stop reason, report
 * a --verify divergence, finish the trace, and turn the stop into the exit status.
 *
 * Exit statuses (docs/hvsim.1 "EXIT STATUS"): (V << 1) | 1 for a debug-exit write of V; 0 every
 * processor halted with nothing to wake it, or ACPI soft-off; 2 usage or load error; 4 triple
 * fault; 6 instruction limit; 8 unsupported feature; 12 reset requested through port 0x92;
 * 14 --strict and an access to nothing; 16 --verify or replay found a divergence from the
 * reference trace.
 */
#ifndef HVSIM_RUN_MACHINE_H
#define HVSIM_RUN_MACHINE_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/machine.h"

enum {
    RUN_EXIT_HALT = 0, RUN_EXIT_USAGE = 2, RUN_EXIT_TRIPLE = 4, RUN_EXIT_LIMIT = 6,
    RUN_EXIT_UNSUPPORTED = 8, RUN_EXIT_RESET = 12, RUN_EXIT_STRICT = 14, RUN_EXIT_DIVERGED = 16,
};

struct run_result {
    bool log_error;         /* writing the serial log failed */
    bool trace_error;       /* finishing the trace failed (the message was printed) */
    bool diverged;          /* --verify: a divergence was found (and reported) */
    uint64_t events;        /* events written to the trace (0 without one) */
};

/* Run the machine of cfg for at most max_insns instructions. `cmd` names the command in
 * messages. quiet: no summary unless the stop is a triple fault or an unsupported feature. */
int run_machine(const char *cmd, const struct machine_config *cfg, uint64_t max_insns,
                bool quiet, struct run_result *res);

#endif
