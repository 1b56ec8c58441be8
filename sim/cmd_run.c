/* cmd_run.c — `hvsim run --kernel FILE ...`: boot a Multiboot kernel on the PC-like machine
 * (sim/machine.h) and print the run summary.
 *
 * Exit status: see sim/run_machine.h (the run itself is run_machine's, shared with `hvsim
 * replay`); 16 when --verify TRACE finds a divergence. COM1 output goes to stdout
 * (or --serial FILE); the summary to stderr. COM1 input (none by default) comes from
 * --serial-in FILE, live from --serial-in stdio (recorded by --serial-log FILE), or from
 * --serial-replay FILE (sim/serial_in.h).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cmd.h"
#include "sim/config.h"
#include "sim/machine.h"
#include "sim/run_env.h"
#include "sim/run_machine.h"
#include "traces/trace_reader.h"
#include "traces/trace_verify.h"

#define EXIT_USAGE RUN_EXIT_USAGE

static int run_usage(FILE *f)
{
    fprintf(f,
        "usage: hvsim run [CONFIG] [--kernel FILE] [options]\n"
        "  CONFIG is a machine configuration file (docs/CONFIG.md); options override it.\n"
        "  Boot a Multiboot (v1 or v2) kernel on a PC-like machine: 8259A PIC pair, 8254 PIT,\n"
        "  16550A UARTs on COM1/COM2, CMOS RTC, debug-exit port 0xF4, debug console 0xE9.\n"
        "options:\n"
        "  --kernel FILE          the Multiboot kernel (ELF)\n"
        "  --module FILE[,ARGS]   a boot module with its string (repeatable)\n"
        "  --append CMDLINE       the kernel command line\n"
        "  --mem SIZE             RAM, e.g. 64M, 1G (default 128M)\n"
        "  --cpus N               logical processors, 1 to 255 (default 1)\n"
        "  --serial FILE|stdio    where COM1 output goes (default stdio)\n"
        "  --serial-in FILE|stdio COM1 input: a file's bytes, or what is typed on stdin\n"
        "                         (default: none); sent once the guest sets DTR or RTS,\n"
        "                         one character time each, waiting while the FIFO is full\n"
        "  --serial-log FILE      with --serial-in stdio: record each input arrival and its\n"
        "                         virtual time in FILE, for --serial-replay\n"
        "  --serial-replay FILE   COM1 input from a --serial-log recording, at the recorded\n"
        "                         virtual times (the run repeats bit for bit)\n"
        "  --cycle-model FILE     CPU model / cycle-cost file (default: built-in)\n"
        "  --max-insns N          stop after N instructions (K/M/G suffixes)\n"
        "  --date YYYY-MM-DDTHH:MM:SS  the RTC at power-on (default 2000-01-01T00:00:00)\n"
        "  --strict               stop at the first access to an address or port with no device\n"
        "  --trace DIR            record a trace of the run in DIR (CTF 1.8, docs/TRACE-FORMAT.md;\n"
        "                         read it with `hvsim trace` or babeltrace2)\n"
        "  --trace-events LIST    categories to record: vmx, hcall, intr, io, annot, default, all\n"
        "                         (comma-separated; default: all but io; input is always recorded)\n"
        "  --verify TRACE         compare every event with a recorded trace as the run goes; at\n"
        "                         the first difference stop and print both events, the events\n"
        "                         before it and the processor's registers (exit status 16)\n"
        "  --verify-context N     events before a divergence to print (default 8)\n"
        "  --quiet                no run summary\n"
        "exit status: (V<<1)|1 for debug-exit value V; 0 halted or ACPI soft-off; 2 usage or\n"
        "  load error; 4 triple fault; 6 instruction limit; 8 unsupported feature; 12 reset requested;\n"
        "  14 --strict: access to an address or port with no device; 16 --verify: divergence\n");
    return f == stderr ? EXIT_USAGE : 0;
}

/* COM1's input from the configuration's keys and the options (sim/serial_in.h): one source,
 * serial-in or serial-replay, and options replace the file's source; serial-log records live
 * input only (serial-in = stdio), and a file's serial-log is dropped when the options choose
 * another source. 0, or -1 after a message. */
struct serial_choice { const char *in, *log, *replay; };

static int choose_serial_input(const struct run_config *rc, unsigned given, const char *opt_in,
                               const char *opt_log, const char *opt_replay,
                               struct serial_choice *out)
{
    if ((given & CFG_SERIAL_IN) && (given & CFG_SERIAL_REPLAY)) {
        fprintf(stderr, "hvsim run: --serial-in and --serial-replay both choose COM1's input; "
                "give one\n");
        return -1;
    }
    *out = (struct serial_choice){ rc->serial_in, rc->serial_log, rc->serial_replay };
    if (given & (CFG_SERIAL_IN | CFG_SERIAL_REPLAY)) {
        out->in = opt_in;
        out->replay = opt_replay;
        if (!(opt_in && strcmp(opt_in, "stdio") == 0))
            out->log = NULL;
    }
    if (given & CFG_SERIAL_LOG)
        out->log = opt_log;
    if (out->log && !(out->in && strcmp(out->in, "stdio") == 0)) {
        fprintf(stderr, "hvsim run: serial log %s: it records live input, so it needs "
                "--serial-in stdio (or serial-in = stdio); the input here is %s\n", out->log,
                out->replay ? "a replay" : out->in ? "a file" : "none");
        return -1;
    }
    return 0;
}

/* --verify REF: take the reference's categories, and say which recorded inputs differ from this
 * run's (they explain a divergence). 0, or -1 with a message. */
static int verify_prepare(const char *ref, struct machine_config *cfg, uint64_t max_insns,
                          struct run_env *env)
{
    char err[512];
    struct trace_reader *r = trace_reader_open(ref, err, sizeof err);
    if (!r) {
        fprintf(stderr, "hvsim run: --verify: %s\n", err);
        return -1;
    }
    const char *cats = trace_reader_env(r, "trace_events");
    char *end = NULL;
    unsigned long long c = cats ? strtoull(cats, &end, 10) : 0;
    if (!cats || *end || c == 0 || c > TRACE_CAT_ALL) {
        fprintf(stderr, "hvsim run: --verify: %s/metadata: env trace_events '%s', expected the "
                "categories as a number from 1 to %u\n", ref, cats ? cats : "(missing)",
                TRACE_CAT_ALL);
        trace_reader_close(r);
        return -1;
    }
    cfg->trace_cats = (uint32_t)c;
    run_env_build(env, cfg, max_insns);
    for (unsigned k = 0; k < env->n; k++) {
        const char *was = trace_reader_env(r, env->e[k].key);
        if (!was || strcmp(was, env->e[k].value) != 0)
            fprintf(stderr, "hvsim run: --verify: note: %s is '%.80s' here, '%.80s' in the "
                    "reference\n", env->e[k].key, env->e[k].value, was ? was : "(missing)");
    }
    trace_reader_close(r);
    return 0;
}

int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        { "kernel", required_argument, 0, 'k' }, { "module", required_argument, 0, 'M' },
        { "append", required_argument, 0, 'a' }, { "mem", required_argument, 0, 'm' },
        { "cpus", required_argument, 0, 'c' }, { "serial", required_argument, 0, 's' },
        { "cycle-model", required_argument, 0, 'C' }, { "max-insns", required_argument, 0, 'n' },
        { "date", required_argument, 0, 'd' }, { "strict", no_argument, 0, 'S' },
        { "quiet", no_argument, 0, 'q' }, { "help", no_argument, 0, 'h' },
        { "serial-in", required_argument, 0, 'i' }, { "serial-log", required_argument, 0, 'L' },
        { "serial-replay", required_argument, 0, 'R' }, { "trace", required_argument, 0, 'T' },
        { "trace-events", required_argument, 0, 'E' }, { "verify", required_argument, 0, 'V' },
        { "verify-context", required_argument, 0, 'X' }, { 0, 0, 0, 0 },
    };
    /* The options, kept apart so they can override a configuration file. */
    struct machine_config opt;
    memset(&opt, 0, sizeof opt);
    const char *opt_serial = NULL, *opt_in = NULL, *opt_log = NULL, *opt_replay = NULL;
    uint64_t opt_max = 0;
    unsigned given = 0, opt_context = 0;
    const char *opt_verify = NULL;
    bool quiet = false;
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'k': opt.kernel = optarg; given |= CFG_KERNEL; break;
        case 'M':
            if (opt.n_modules >= MB_MAX_MODULES) {
                fprintf(stderr, "hvsim run: more than %d modules\n", MB_MAX_MODULES);
                return EXIT_USAGE;
            }
            opt.modules[opt.n_modules++] = optarg;
            given |= CFG_MODULE;
            break;
        case 'a': opt.cmdline = optarg; given |= CFG_APPEND; break;
        case 'm':
            if (config_parse_size(optarg, &opt.ram_size)) {
                fprintf(stderr, "hvsim run: --mem '%s': expected a size such as 64M or 1G\n",
                        optarg);
                return EXIT_USAGE;
            }
            given |= CFG_MEM;
            break;
        case 'c': {
            uint64_t n;
            if (config_parse_size(optarg, &n) || n < 1 || n > 255) {
                fprintf(stderr, "hvsim run: --cpus '%s': expected a count from 1 to 255\n",
                        optarg);
                return EXIT_USAGE;
            }
            opt.cpus = (int)n;
            given |= CFG_CPUS;
            break;
        }
        case 's': opt_serial = optarg; given |= CFG_SERIAL; break;
        case 'i': opt_in = optarg; given |= CFG_SERIAL_IN; break;
        case 'L': opt_log = optarg; given |= CFG_SERIAL_LOG; break;
        case 'R': opt_replay = optarg; given |= CFG_SERIAL_REPLAY; break;
        case 'C': opt.model_path = optarg; given |= CFG_CYCLE_MODEL; break;
        case 'n':
            if (config_parse_size(optarg, &opt_max) || opt_max == 0) {
                fprintf(stderr, "hvsim run: --max-insns '%s': expected a positive count\n",
                        optarg);
                return EXIT_USAGE;
            }
            given |= CFG_MAX_INSNS;
            break;
        case 'd':
            if (config_parse_date(optarg, &opt.date)) {
                fprintf(stderr, "hvsim run: --date '%s': expected YYYY-MM-DDTHH:MM:SS, a real "
                        "date from 1970 on\n", optarg);
                return EXIT_USAGE;
            }
            given |= CFG_DATE;
            break;
        case 'S': opt.strict = true; given |= CFG_STRICT; break;
        case 'T': opt.trace_dir = optarg; given |= CFG_TRACE; break;
        case 'E':
            if (trace_cats_parse(optarg, &opt.trace_cats)) {
                fprintf(stderr, "hvsim run: --trace-events '%s': expected a comma-separated list "
                        "of " TRACE_CATS_NAMES "\n", optarg);
                return EXIT_USAGE;
            }
            given |= CFG_TRACE_EVENTS;
            break;
        case 'V': opt_verify = optarg; break;
        case 'X': {
            uint64_t n;
            if (config_parse_size(optarg, &n) || n < 1 || n > TRACE_VERIFY_CONTEXT_MAX) {
                fprintf(stderr, "hvsim run: --verify-context '%s': expected a count from 1 to %d\n",
                        optarg, TRACE_VERIFY_CONTEXT_MAX);
                return EXIT_USAGE;
            }
            opt_context = (unsigned)n;
            break;
        }
        case 'q': quiet = true; break;
        case 'h': return run_usage(stdout);
        default: return run_usage(stderr);
        }
    }
    if (optind + 1 < argc) {
        fprintf(stderr, "hvsim run: unexpected argument '%s' (one configuration file at most)\n",
                argv[optind + 1]);
        return EXIT_USAGE;
    }

    /* The configuration file (or the defaults), then the options over it. */
    static struct run_config rc;
    char err[512];
    int rc_err = optind < argc ? config_load(argv[optind], &rc, err, sizeof err)
                               : config_parse("", 0, "(defaults)", NULL, &rc, err, sizeof err);
    if (rc_err) {
        fprintf(stderr, "hvsim run: %s\n", err);
        return EXIT_USAGE;
    }
    struct machine_config cfg = rc.machine;
    if (given & CFG_KERNEL) cfg.kernel = opt.kernel;
    if (given & CFG_MODULE) {
        memcpy(cfg.modules, opt.modules, sizeof cfg.modules);
        memset(cfg.module_names, 0, sizeof cfg.module_names);   /* as given: the path itself */
        cfg.n_modules = opt.n_modules;
    }
    if (given & CFG_APPEND) cfg.cmdline = opt.cmdline;
    if (given & CFG_MEM) cfg.ram_size = opt.ram_size;
    if (given & CFG_CPUS) cfg.cpus = opt.cpus;
    if (given & CFG_CYCLE_MODEL) cfg.model_path = opt.model_path;
    if (given & CFG_DATE) cfg.date = opt.date;
    if (given & CFG_STRICT) cfg.strict = true;
    if (given & CFG_TRACE) cfg.trace_dir = opt.trace_dir;
    if (given & CFG_TRACE_EVENTS) cfg.trace_cats = opt.trace_cats;
    const char *serial = (given & CFG_SERIAL) ? opt_serial : rc.serial ? rc.serial : "stdio";
    uint64_t max_insns = (given & CFG_MAX_INSNS) ? opt_max : rc.max_insns;
    cfg.console = stdout;
    if (!cfg.kernel) {
        fprintf(stderr, "hvsim run: no kernel: give --kernel FILE or `kernel = FILE` in the "
                "configuration file\n");
        config_free(&rc);
        return run_usage(stderr);
    }
    struct serial_choice in;
    if (choose_serial_input(&rc, given, opt_in, opt_log, opt_replay, &in)) {
        config_free(&rc);
        return EXIT_USAGE;
    }
    FILE *log_file = NULL;
    if (in.log && !(log_file = fopen(in.log, "w"))) {
        fprintf(stderr, "hvsim run: serial log %s: cannot open for writing\n", in.log);
        config_free(&rc);
        return EXIT_USAGE;
    }
    if (in.replay) {
        cfg.serial_in_mode = SERIAL_IN_REPLAY;
        cfg.serial_in_path = in.replay;
    } else if (in.in && strcmp(in.in, "stdio") == 0) {
        cfg.serial_in_mode = SERIAL_IN_LIVE;
        cfg.serial_in_fd = 0;
        cfg.serial_log = log_file;
    } else if (in.in) {
        cfg.serial_in_mode = SERIAL_IN_FILE;
        cfg.serial_in_path = in.in;
    }
    FILE *serial_file = NULL;
    if (strcmp(serial, "stdio") == 0) {
        cfg.serial = stdout;
    } else {
        serial_file = fopen(serial, "wb");
        if (!serial_file) {
            fprintf(stderr, "hvsim run: serial %s: cannot open for writing\n", serial);
            if (log_file)
                fclose(log_file);
            config_free(&rc);
            return EXIT_USAGE;
        }
        cfg.serial = serial_file;
    }

    static struct run_env env;          /* the run's inputs, recorded in its trace */
    if (opt_verify) {
        if (given & CFG_TRACE_EVENTS) {
            fprintf(stderr, "hvsim run: --verify uses the reference trace's categories; "
                    "--trace-events cannot be given with it\n");
            config_free(&rc);
            return EXIT_USAGE;
        }
        if (verify_prepare(opt_verify, &cfg, max_insns, &env)) {
            config_free(&rc);
            return EXIT_USAGE;
        }
        cfg.verify_trace = opt_verify;
        cfg.verify_context = opt_context;
    }
    if (cfg.trace_dir) {
        run_env_build(&env, &cfg, max_insns);
        cfg.trace_env = env.e;
        cfg.trace_nenv = env.n;
    }
    struct run_result res;
    int status = run_machine("hvsim run", &cfg, max_insns, quiet, &res);
    if (serial_file)
        fclose(serial_file);
    if (log_file && fclose(log_file))
        res.log_error = true;
    if (res.log_error)
        fprintf(stderr, "hvsim run: serial log %s: write error, the recording is incomplete\n",
                in.log);
    config_free(&rc);
    return status;
}
