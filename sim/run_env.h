/* run_env.h — the exact inputs of an `hvsim run`, as the env entries of its trace (docs/TRACE-
 * FORMAT.md "Metadata env"): the configuration after options, and the SHA-256 of every file the
 * machine reads (kernel, modules, CPU model, serial input), so the run can be repeated and a
 * changed input is visible.
 *
 * Invariants: entries depend only on the configuration and the files' contents, never on the host
 * (no time, no absolute paths beyond what the user gave, no pointers); the order is fixed.
 */
#ifndef HVSIM_RUN_ENV_H
#define HVSIM_RUN_ENV_H

#include <stdint.h>

#include "sim/machine.h"
#include "traces/trace_meta.h"

#define RUN_ENV_MAX (16 + 3 * MB_MAX_MODULES)

struct run_env {
    struct trace_env e[RUN_ENV_MAX];
    unsigned n;
    char keys[RUN_ENV_MAX][48];
    char vals[RUN_ENV_MAX][4200];
};

/* Fill *env from cfg (after options) and the instruction limit. */
void run_env_build(struct run_env *env, const struct machine_config *cfg, uint64_t max_insns);

#endif
