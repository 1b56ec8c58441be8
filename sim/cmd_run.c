/* cmd_run.c — `hvsim run --kernel FILE ...`: boot a Multiboot kernel on the PC-like machine
 * (sim/machine.h) and print the run summary.
 *
 * Exit status (docs/USER-GUIDE.md): (V << 1) | 1 for a debug-exit write of V; 0 every processor
 * halted with nothing to wake it; 2 usage or load error; 4 triple fault; 6 instruction limit;
 * 8 unsupported feature; 12 the guest requested a reset (port 0x92); 14 --strict and the guest
 * accessed an address or port with no device. COM1 output goes to stdout
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
#include "sim/serial_tty.h"
#include "sim/summary.h"
#include "traces/trace_writer.h"

enum { EXIT_HALT = 0, EXIT_USAGE = 2, EXIT_TRIPLE = 4, EXIT_LIMIT = 6, EXIT_UNSUPPORTED = 8,
       EXIT_RESET = 12, EXIT_STRICT = 14 };

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
        "  --quiet                no run summary\n"
        "exit status: (V<<1)|1 for debug-exit value V; 0 halted or ACPI soft-off; 2 usage or\n"
        "  load error; 4 triple fault; 6 instruction limit; 8 unsupported feature; 12 reset requested;\n"
        "  14 --strict: access to an address or port with no device\n");
    return f == stderr ? EXIT_USAGE : 0;
}

static int parse_date(const char *s, struct rtc_time *t)
{
    char tail;
    if (sscanf(s, "%d-%d-%dT%d:%d:%d%c", &t->year, &t->month, &t->day, &t->hour, &t->minute,
               &t->second, &tail) != 6)
        return -1;
    return rtc_valid(t) ? 0 : -1;
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
        { "trace-events", required_argument, 0, 'E' }, { 0, 0, 0, 0 },
    };
    /* The options, kept apart so they can override a configuration file. */
    struct machine_config opt;
    memset(&opt, 0, sizeof opt);
    const char *opt_serial = NULL, *opt_in = NULL, *opt_log = NULL, *opt_replay = NULL;
    uint64_t opt_max = 0;
    unsigned given = 0;
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
            if (parse_date(optarg, &opt.date)) {
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
    if (cfg.trace_dir) {
        run_env_build(&env, &cfg, max_insns);
        cfg.trace_env = env.e;
        cfg.trace_nenv = env.n;
    }
    static struct machine m;
    if (machine_init(&m, &cfg, err, sizeof err)) {
        fprintf(stderr, "hvsim run: %s\n", err);
        if (serial_file)
            fclose(serial_file);
        if (log_file)
            fclose(log_file);
        config_free(&rc);
        return EXIT_USAGE;
    }
    if (cfg.serial_in_mode == SERIAL_IN_LIVE && serial_tty_raw(0))
        fprintf(stderr, "hvsim run: warning: cannot set the terminal to raw mode; input is "
                "line-buffered\n");
    double t0 = run_wall_clock();
    enum machine_stop why = machine_run(&m, max_insns);
    double wall = run_wall_clock() - t0;
    serial_tty_restore();
    fflush(stdout);

    char reason[400];
    int status;
    /* the processor the stop concerns: the one that stopped the machine, else the BSP */
    const struct cpu *sc = m.sched.stopped ? m.sched.stopped : &m.cpus[0];
    switch (why) {
    case MSTOP_EXIT_PORT:
        status = debugexit_status(&m.dexit);
        snprintf(reason, sizeof reason, "debug-exit port: guest wrote %#x (exit status %d)",
                 m.dexit.value, status);
        break;
    case MSTOP_TRIPLE_FAULT:
        status = EXIT_TRIPLE;
        snprintf(reason, sizeof reason, "triple fault on cpu %d: %s", sc->id, sc->stop_msg);
        break;
    case MSTOP_HALTED:
        status = EXIT_HALT;
        snprintf(reason, sizeof reason, "all processors halted with nothing to wake them "
                 "(cpu 0 RIP %#" PRIx64 ", IF=%d)", m.cpus[0].rip,
                 (int)!!(m.cpus[0].rflags & RF_IF));
        break;
    case MSTOP_INSN_LIMIT:
        status = EXIT_LIMIT;
        snprintf(reason, sizeof reason, "instruction limit reached");
        break;
    case MSTOP_STRICT:
        status = EXIT_STRICT;
        snprintf(reason, sizeof reason, "--strict: access to %s %#" PRIx64 ", where there is no "
                 "device (RIP %#" PRIx64 ")", m.bus.last_unclaimed_pio ? "port" : "address",
                 m.bus.last_unclaimed, sc->insn_start);
        break;
    case MSTOP_RESET:
        status = EXIT_RESET;
        snprintf(reason, sizeof reason, "the guest requested a reset (port 0x92)");
        break;
    case MSTOP_SOFT_OFF:
        status = EXIT_HALT;
        snprintf(reason, sizeof reason, "ACPI soft-off: the guest entered S5 (PM1_CNT SLP_EN)");
        break;
    default:
        status = EXIT_UNSUPPORTED;
        snprintf(reason, sizeof reason, "unsupported (cpu %d): %s", sc->id, sc->stop_msg);
        break;
    }
    bool loud = !quiet || why == MSTOP_TRIPLE_FAULT || why == MSTOP_UNSUPPORTED;
    if (loud) {
        run_summary_print(stderr, m.cpus, m.ncpus, &m.bus, reason, wall);
        fprintf(stderr, "virtual time    %.6f s\n", (double)m.q.now / (double)PS_PER_S);
        if (m.sys.post_writes)
            fprintf(stderr, "POST code       %#x (%" PRIu64 " writes to port 0x80)\n",
                    m.sys.post_code, m.sys.post_writes);
        if (m.com1_in.mode != SERIAL_IN_NONE)
            fprintf(stderr, "serial input    %" PRIu64 " bytes arrived, %" PRIu64 " delivered, "
                    "%" PRIu64 " waits for FIFO room%s\n", m.com1_in.arrived,
                    m.com1_in.delivered, m.com1_in.waits,
                    m.com1_in.open ? "" : " (the guest never set DTR or RTS)");
        if (m.tracing)
            fprintf(stderr, "trace           %s: %" PRIu64 " events\n", cfg.trace_dir,
                    trace_writer_count(m.trace.w));
    }
    char trace_err[512];
    bool trace_bad = machine_trace_close(&m, trace_err, sizeof trace_err) != 0;
    bool log_bad = m.com1_in.log_error;
    if (why == MSTOP_TRIPLE_FAULT) {
        char dump[2048];
        cpu_dump(sc, dump, sizeof dump);
        fputs(dump, stderr);
    }
    machine_destroy(&m);
    if (serial_file)
        fclose(serial_file);
    if (log_file && fclose(log_file))
        log_bad = true;
    if (log_bad)
        fprintf(stderr, "hvsim run: serial log %s: write error, the recording is incomplete\n",
                in.log);
    if (trace_bad)
        fprintf(stderr, "hvsim run: trace: %s\n", trace_err);
    config_free(&rc);
    return status;
}
