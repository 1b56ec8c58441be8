/* main.c — the `hvsim` command: dispatch to subcommands (see cmd.h).
 *
 *   hvsim exec FILE.elf [--max-insns N] [--cycle-model FILE] [--mem SIZE] [--quiet]
 *   hvsim run [CONFIG] [--kernel FILE] ...   (the PC-like machine, cmd_run.c)
 *   hvsim replay TRACE ...                   (re-run a recorded trace, cmd_replay.c)
 *   hvsim trace dump|stats TRACE ...         (trace tools, cmd_trace.c)
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sim/cmd.h"
#include "sim/config.h"

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} cmds[] = {
    { "exec", cmd_exec, "run a freestanding ELF program on one CPU and print a run summary" },
    { "run", cmd_run, "boot a Multiboot kernel on the PC-like machine and print a run summary" },
    { "replay", cmd_replay, "re-run a recorded trace from its inputs and check it reproduces" },
    { "trace", cmd_trace, "tools over a recorded trace: dump, stats (docs/TRACE-FORMAT.md)" },
};

static int usage(FILE *f)
{
    fprintf(f, "usage: hvsim COMMAND [ARGS]\n\ncommands:\n");
    for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++)
        fprintf(f, "  %-6s %s\n", cmds[k].name, cmds[k].help);
    fprintf(f, "\n'hvsim COMMAND --help' describes a command. See docs/USER-GUIDE.md.\n");
    return f == stderr ? 2 : 0;
}

/* The build directory for "@build/" paths in configuration files: the directory of this binary
 * (sim/config.h). Only file names depend on it, never the machine. */
static void set_build_dir(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash)
        return;
    *slash = 0;
    config_set_build_dir(exe[0] ? exe : "/");
}

int main(int argc, char **argv)
{
    set_build_dir();
    if (argc < 2)
        return usage(stderr);
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))
        return usage(stdout);
    if (!strcmp(argv[1], "--version")) {
        printf("hvsim " PACKAGE_VERSION "\n");
        return 0;
    }
    for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++)
        if (!strcmp(argv[1], cmds[k].name))
            return cmds[k].fn(argc - 1, argv + 1);
    fprintf(stderr, "hvsim: unknown command '%s'\n\n", argv[1]);
    return usage(stderr);
}
