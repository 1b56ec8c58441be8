/* run_machine.c — see run_machine.h. */
#include "sim/run_machine.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim/serial_tty.h"
#include "sim/summary.h"
#include "traces/trace_verify.h"
#include "traces/trace_writer.h"

/* The stop as a sentence and an exit status. */
static int stop_reason(const struct machine *m, enum machine_stop why, char *reason, size_t len)
{
    /* the processor the stop concerns: the one that stopped the machine, else the BSP */
    const struct cpu *sc = m->sched.stopped ? m->sched.stopped : &m->cpus[0];
    switch (why) {
    case MSTOP_EXIT_PORT: {
        int status = debugexit_status(&m->dexit);
        snprintf(reason, len, "debug-exit port: guest wrote %#x (exit status %d)",
                 m->dexit.value, status);
        return status;
    }
    case MSTOP_TRIPLE_FAULT:
        snprintf(reason, len, "triple fault on cpu %d: %s", sc->id, sc->stop_msg);
        return RUN_EXIT_TRIPLE;
    case MSTOP_HALTED:
        snprintf(reason, len, "all processors halted with nothing to wake them (cpu 0 RIP %#"
                 PRIx64 ", IF=%d)", m->cpus[0].rip, (int)!!(m->cpus[0].rflags & RF_IF));
        return RUN_EXIT_HALT;
    case MSTOP_INSN_LIMIT:
        snprintf(reason, len, "instruction limit reached");
        return RUN_EXIT_LIMIT;
    case MSTOP_STRICT:
        snprintf(reason, len, "--strict: access to %s %#" PRIx64 ", where there is no device "
                 "(RIP %#" PRIx64 ")", m->bus.last_unclaimed_pio ? "port" : "address",
                 m->bus.last_unclaimed, sc->insn_start);
        return RUN_EXIT_STRICT;
    case MSTOP_RESET:
        snprintf(reason, len, "the guest requested a reset (port 0x92)");
        return RUN_EXIT_RESET;
    case MSTOP_SOFT_OFF:
        snprintf(reason, len, "ACPI soft-off: the guest entered S5 (PM1_CNT SLP_EN)");
        return RUN_EXIT_HALT;
    case MSTOP_DIVERGED:
        snprintf(reason, len, "--verify: divergence from the reference trace");
        return RUN_EXIT_DIVERGED;
    default:
        snprintf(reason, len, "unsupported (cpu %d): %s", sc->id, sc->stop_msg);
        return RUN_EXIT_UNSUPPORTED;
    }
}

/* --verify: the end of the run is compared too (the reference may go on); print the result. */
static bool verify_report(const struct machine *m, const struct machine_config *cfg,
                          const char *cmd)
{
    struct trace_verify *v = m->trace.verify;
    if (!trace_verify_finish(v)) {
        fprintf(stderr, "%s: verify: %" PRIu64 " events identical to %s\n", cmd,
                trace_verify_matched(v), cfg->verify_trace);
        return false;
    }
    fprintf(stderr, "%s: verify: the run diverges from %s\n", cmd, cfg->verify_trace);
    trace_verify_report(v, stderr);
    if (m->trace.diverge_regs)
        fputs(m->trace.diverge_regs, stderr);
    return true;
}

int run_machine(const char *cmd, const struct machine_config *cfg, uint64_t max_insns,
                bool quiet, struct run_result *res)
{
    static struct machine m;
    char err[512];
    memset(res, 0, sizeof *res);
    if (machine_init(&m, cfg, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", cmd, err);
        return RUN_EXIT_USAGE;
    }
    if (cfg->serial_in_mode == SERIAL_IN_LIVE && serial_tty_raw(0))
        fprintf(stderr, "%s: warning: cannot set the terminal to raw mode; input is "
                "line-buffered\n", cmd);
    double t0 = run_wall_clock();
    enum machine_stop why = machine_run(&m, max_insns);
    double wall = run_wall_clock() - t0;
    serial_tty_restore();
    fflush(stdout);

    char reason[400];
    int status = stop_reason(&m, why, reason, sizeof reason);
    const struct cpu *sc = m.sched.stopped ? m.sched.stopped : &m.cpus[0];
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
    }
    if (m.tracing && m.trace.w) {
        res->events = trace_writer_count(m.trace.w);
        if (loud)
            fprintf(stderr, "trace           %s: %" PRIu64 " events\n", cfg->trace_dir,
                    res->events);
    }
    if (m.tracing && m.trace.verify && verify_report(&m, cfg, cmd)) {
        res->diverged = true;
        status = RUN_EXIT_DIVERGED;
    }
    char trace_err[512];
    res->trace_error = machine_trace_close(&m, trace_err, sizeof trace_err) != 0;
    res->log_error = m.com1_in.log_error;
    if (why == MSTOP_TRIPLE_FAULT) {
        char dump[2048];
        cpu_dump(sc, dump, sizeof dump);
        fputs(dump, stderr);
    }
    machine_destroy(&m);
    if (res->trace_error)
        fprintf(stderr, "%s: trace: %s\n", cmd, trace_err);
    return status;
}
