/* cmd_exec.c — `hvsim exec FILE.elf`: run one bare ELF program on the exec machine and report.
 *
 * Exit status (documented in docs/USER-GUIDE.md):
 *   (V << 1) | 1   the guest wrote V to the debug-exit port (odd: QEMU isa-debug-exit convention)
 *   0              the CPU halted with interrupts disabled (nothing can wake it)
 *   2              usage error, or the program could not be loaded
 *   4              triple fault (shutdown); the register state is printed
 *   6              the --max-insns limit was reached
 *   8              the guest used something hvsim does not implement (message printed)
 *   10             HLT with interrupts enabled but no interrupt source exists in this machine
 *
 * The summary goes to stderr, so stdout carries exactly the guest's console output. Host wall
 * time is measured for the summary only and never reaches the machine.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/model.h"
#include "sim/cmd.h"
#include "sim/config.h"
#include "sim/exec_machine.h"
#include "sim/summary.h"

enum {
    EXIT_HALT = 0, EXIT_USAGE = 2, EXIT_TRIPLE = 4, EXIT_LIMIT = 6, EXIT_UNSUPPORTED = 8,
    EXIT_HALT_IF = 10,
};

#define RUN_QUANTUM 10000000ull   /* instructions per cpu_run call (no effect on results) */

static int exec_usage(FILE *f)
{
    fprintf(f,
        "usage: hvsim exec FILE.elf [options]\n"
        "  Load a freestanding ELF64 (x86-64) or ELF32 (i386) program, start it in long mode\n"
        "  (64-bit, identity paging) or protected mode (32-bit, no paging), run it, and print a\n"
        "  run summary on stderr. Port 0xE9 is a console (stdout), port 0xF4 exits.\n"
        "options:\n"
        "  --max-insns N        stop after N instructions (default: no limit)\n"
        "  --cycle-model FILE   CPU model / cycle-cost file (default: built-in model)\n"
        "  --mem SIZE           RAM size, e.g. 64M, 1G (default 128M)\n"
        "  --quiet              no run summary\n"
        "exit status: (V<<1)|1 for debug-exit value V; 0 halted; 2 usage or load error;\n"
        "  4 triple fault; 6 instruction limit; 8 unsupported feature; 10 HLT with IF=1\n");
    return f == stderr ? EXIT_USAGE : 0;
}

/* Why the run ended, as text and exit status. */
static int stop_reason(struct exec_machine *m, uint64_t left, char *buf, size_t len)
{
    struct cpu *c = &m->cpu;
    if (m->dexit.fired) {
        snprintf(buf, len, "debug-exit port: guest wrote 0x%" PRIx32 " (exit status %d)",
                 m->dexit.value, debugexit_status(&m->dexit));
        return debugexit_status(&m->dexit);
    }
    switch (c->stop) {
    case STOP_TRIPLE_FAULT:
        snprintf(buf, len, "%s", c->stop_msg[0] ? c->stop_msg : "triple fault (shutdown)");
        return EXIT_TRIPLE;
    case STOP_SHUTDOWN_UNSUPPORTED:
        snprintf(buf, len, "unsupported: %s", c->stop_msg);
        return EXIT_UNSUPPORTED;
    case STOP_HLT:
        if (c->rflags & RF_IF) {
            snprintf(buf, len, "HLT with interrupts enabled, but this machine has no interrupt "
                     "source");
            return EXIT_HALT_IF;
        }
        snprintf(buf, len, "HLT with interrupts disabled");
        return EXIT_HALT;
    case STOP_REQUEST:
        snprintf(buf, len, "stop requested");
        return EXIT_HALT;
    default:
        break;
    }
    (void)left;
    snprintf(buf, len, "instruction limit reached");
    return EXIT_LIMIT;
}

int cmd_exec(int argc, char **argv)
{
    static const struct option opts[] = {
        { "max-insns", required_argument, NULL, 'n' },
        { "cycle-model", required_argument, NULL, 'c' },
        { "mem", required_argument, NULL, 'm' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    uint64_t max_insns = 0, mem = 128ull << 20;
    const char *model_path = NULL;
    int quiet = 0, o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "n:c:m:qh", opts, NULL)) != -1) {
        switch (o) {
        case 'n':
            if (config_parse_size(optarg, &max_insns) || max_insns == 0) {
                fprintf(stderr, "hvsim exec: --max-insns needs a positive count, not '%s'\n",
                        optarg);
                return EXIT_USAGE;
            }
            break;
        case 'c': model_path = optarg; break;
        case 'm':
            if (config_parse_size(optarg, &mem) || mem < (1ull << 20) || (mem & 0xfff)) {
                fprintf(stderr, "hvsim exec: --mem needs a size of at least 1M in whole 4K "
                        "pages, e.g. 64M or 1G, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'q': quiet = 1; break;
        case 'h': return exec_usage(stdout);
        default: return exec_usage(stderr);
        }
    }
    if (optind != argc - 1)
        return exec_usage(stderr);
    const char *path = argv[optind];

    static struct cpu_model model;
    const struct cpu_model *mp = NULL;
    char err[512];
    if (model_path) {
        if (model_load(&model, model_path, err, sizeof err)) {
            fprintf(stderr, "hvsim exec: %s\n", err);
            return EXIT_USAGE;
        }
        mp = &model;
    }

    struct exec_machine *m = malloc(sizeof *m);
    if (!m) {
        fprintf(stderr, "hvsim exec: out of host memory\n");
        return EXIT_USAGE;
    }
    if (exec_machine_init(m, mem, mp, stdout, err, sizeof err) ||
        exec_machine_load(m, path, err, sizeof err)) {
        fprintf(stderr, "hvsim exec: %s\n", err);
        exec_machine_destroy(m);
        free(m);
        return EXIT_USAGE;
    }

    struct cpu *c = &m->cpu;
    uint64_t left = max_insns ? max_insns : UINT64_MAX;
    double t0 = run_wall_clock();
    while (left) {
        uint64_t q = left < RUN_QUANTUM ? left : RUN_QUANTUM;
        left -= cpu_run(c, q);
        if (c->stop != STOP_NONE)
            break;
    }
    double wall = run_wall_clock() - t0;
    fflush(stdout);

    char reason[400];
    int status = stop_reason(m, left, reason, sizeof reason);
    if (!quiet || status == EXIT_TRIPLE || status == EXIT_UNSUPPORTED) {
        run_summary_print(stderr, &m->cpu, 1, &m->bus, reason, wall);
        if (status == EXIT_TRIPLE || status == EXIT_UNSUPPORTED) {
            char dump[2048];
            cpu_dump(c, dump, sizeof dump);
            fprintf(stderr, "register state at the stop:\n%s", dump);
        }
    }
    exec_machine_destroy(m);
    free(m);
    return status;
}
