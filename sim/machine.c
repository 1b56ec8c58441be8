/* machine.c — build, run and tear down the machine of `hvsim run` (see machine.h). */
#include "sim/machine.h"

#include <stdlib.h>
#include <string.h>

#include "sim/acpi.h"
#include "sim/wiring.h"
#include "traces/trace_verify.h"

enum { PART_BUS = 1, PART_DCACHE, PART_CPU };

static void serial_tx(void *opaque, uint8_t byte)
{
    struct machine *m = opaque;
    if (m->serial)
        fputc(byte, m->serial);
}

/* A device's stop request (debug-exit port, port 0x92 reset, ACPI S5, --strict): it comes from
 * an instruction of the processor running now, which stops after it. */
static void stop_running(void *opaque)
{
    struct machine *m = opaque;
    wiring_stop_cpu(m->sched.cur ? m->sched.cur : &m->cpus[0]);
}

/* --verify found a divergence: stop the machine (the rest of the run cannot be compared). */
static void diverge(void *opaque)
{
    struct machine *m = opaque;
    sched_request_stop(&m->sched);
}

static int fail(struct machine *m, char *err, size_t errlen, const char *msg)
{
    snprintf(err, errlen, "%s", msg);
    machine_destroy(m);
    return -1;
}

/* One ISA interrupt to both controllers: 8259A input `irq`, I/O APIC pin `pin`. */
static struct irq_line isa_irq(struct machine *m, struct irq_split *sp, int irq, int pin)
{
    sp->out[0] = pic8259_line(&m->pic, irq);
    sp->out[1] = ioapic_line(&m->ioapic, pin);
    return irq_split_line(sp);
}

static int build_devices(struct machine *m, const struct machine_config *cfg)
{
    pic8259_init(&m->pic);
    ioapic_init(&m->ioapic, 0, apic_bus_send, &m->apic_bus);
    apic_bus_add_eoi(&m->apic_bus, ioapic_eoi, &m->ioapic);
    struct irq_line pit = isa_irq(m, &m->irq_pit, 0, 2), com1 = isa_irq(m, &m->irq_com1, 4, 4),
                    com2 = isa_irq(m, &m->irq_com2, 3, 3), sci = isa_irq(m, &m->irq_sci, 9, 9);
    pit8254_init(&m->pit, &m->q);
    pit8254_connect(&m->pit, 0, pit);
    uart16550_init(&m->com1, &m->q, &com1, serial_tx, m);
    uart16550_init(&m->com2, &m->q, &com2, NULL, NULL);
    if (cmos_rtc_init(&m->rtc, &m->q, &cfg->date))
        return -1;
    m->rtc.irq = isa_irq(m, &m->irq_rtc, 8, 8);
    cmos_rtc_set_memory(&m->rtc, cfg->ram_size);
    acpi_pm_init(&m->pm, &m->q, &sci, stop_running, m);
    if (pic8259_map(&m->pic, &m->bus) || pit8254_map(&m->pit, &m->bus) ||
        ioapic_map(&m->ioapic, &m->bus, IOAPIC_BASE) ||
        uart16550_map(&m->com1, &m->bus, UART_COM1_PORT) ||
        uart16550_map(&m->com2, &m->bus, UART_COM2_PORT) || cmos_rtc_map(&m->rtc, &m->bus) ||
        acpi_pm_map(&m->pm, &m->bus, ACPI_PM_BASE) ||
        sysports_init(&m->sys, &m->bus, stop_running, m) ||
        debugexit_init(&m->dexit, &m->bus, DEBUGEXIT_PORT, stop_running, m) ||
        debugcon_init(&m->dcon, &m->bus, DEBUGCON_PORT, cfg->console))
        return -1;
    return 0;
}

/* The processors and their local APICs: processor k has APIC ID k; processor 0 is the BSP and
 * takes the 8259A pair through LINT0 (virtual wire, as a BIOS leaves it); the others wait for
 * SIPI. */
static int build_processors(struct machine *m, int n, char *err, size_t errlen)
{
    m->cpus = calloc((size_t)n, sizeof *m->cpus);
    m->apics = calloc((size_t)n, sizeof *m->apics);
    if (!m->cpus || !m->apics)
        return snprintf(err, errlen, "cannot allocate %d processors", n), -1;
    apic_bus_init(&m->apic_bus, &m->bus, &m->dc);
    struct irq_source pic = pic8259_irq_source(&m->pic);
    for (int k = 0; k < n; k++) {
        if (cpu_init(&m->cpus[k], k, &m->bus, &m->dc, &m->model))
            return snprintf(err, errlen, "cannot create processor %d", k), -1;
        m->ncpus = k + 1;
        lapic_init(&m->apics[k], &m->cpus[k], &m->q, &m->apic_bus, (uint32_t)k);
        if (apic_bus_add(&m->apic_bus, &m->apics[k]))
            return snprintf(err, errlen, "cannot attach the local APIC of processor %d", k), -1;
        lapic_attach(&m->apics[k], k == 0 ? &pic : NULL);
        sched_add(&m->sched, &m->cpus[k]);
    }
    lapic_bios_virtual_wire(&m->apics[0]);
    return 0;
}

static int build_acpi(struct machine *m, char *err, size_t errlen)
{
    static struct acpi_desc d;      /* large (256 processors); filled afresh on every build */
    acpi_desc_pc(&d, m->ncpus);
    for (int k = 0; k < m->ncpus; k++)
        d.apic_id[k] = m->apics[k].id;
    if (acpi_build(&m->bus, &d, &m->rsdp))
        return snprintf(err, errlen, "cannot build the ACPI tables for %d processors",
                        m->ncpus), -1;
    return 0;
}

int machine_init(struct machine *m, const struct machine_config *cfg, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    if (cfg->cpus < 1 || cfg->cpus > MACHINE_MAX_CPUS)
        return snprintf(err, errlen, "%d processors: hvsim runs 1 to %d", cfg->cpus,
                        MACHINE_MAX_CPUS), -1;
    if (cfg->ram_size < (2u << 20) || cfg->ram_size % 4096)
        return snprintf(err, errlen, "memory size %llu: need at least 2 MiB, a multiple of 4 KiB",
                        (unsigned long long)cfg->ram_size), -1;
    if (cfg->model_path) {
        if (model_load(&m->model, cfg->model_path, err, (unsigned)errlen))
            return -1;
    } else {
        m->model = *model_default();
    }
    if (bus_init(&m->bus, cfg->ram_size))
        return snprintf(err, errlen, "cannot allocate %llu bytes of guest RAM",
                        (unsigned long long)cfg->ram_size), -1;
    m->parts = PART_BUS;
    m->bus.strict = cfg->strict;
    m->bus.strict_stop = stop_running;
    m->bus.strict_opaque = m;
    if (dcache_init(&m->dc, cfg->ram_size))
        return fail(m, err, errlen, "cannot create the decode cache");
    m->parts = PART_DCACHE;
    m->bus.code_write = wiring_code_write;
    m->bus.code_write_opaque = &m->dc;
    evq_init(&m->q);
    sched_init(&m->sched, &m->q, m->model.tsc_hz);
    m->bus.sync = sched_sync;
    m->bus.sync_opaque = &m->sched;
    m->parts = PART_CPU;
    if (build_processors(m, cfg->cpus, err, errlen)) {
        machine_destroy(m);
        return -1;
    }
    m->serial = cfg->serial;
    if (build_devices(m, cfg))
        return fail(m, err, errlen, "cannot build the devices (invalid RTC date, or a port "
                                    "conflict)");
    if (build_acpi(m, err, errlen)) {
        machine_destroy(m);
        return -1;
    }
    serial_in_init(&m->com1_in, &m->com1, &m->q);
    int in_err = 0;
    switch (cfg->serial_in_mode) {
    case SERIAL_IN_FILE:
        in_err = serial_in_use_file(&m->com1_in, cfg->serial_in_path, err, errlen);
        break;
    case SERIAL_IN_REPLAY:
        in_err = cfg->serial_in_log
                     ? serial_in_use_log(&m->com1_in, cfg->serial_in_log, err, errlen)
                     : serial_in_use_replay(&m->com1_in, cfg->serial_in_path, err, errlen);
        break;
    case SERIAL_IN_LIVE:
        in_err = serial_in_use_live(&m->com1_in, cfg->serial_in_fd, cfg->serial_log, err,
                                    errlen);
        break;
    default:
        break;
    }
    if (in_err) {
        machine_destroy(m);
        return -1;
    }
    serial_in_attach(&m->com1_in, &m->sched);
    if (mb_load(&m->bus, cfg->kernel, cfg->cmdline, cfg->modules, cfg->module_names,
                cfg->n_modules, MB_AUTO, &m->mb, err, errlen)) {
        machine_destroy(m);
        return -1;
    }
    if (mb_enter(&m->cpus[0], &m->mb))
        return fail(m, err, errlen, "cannot set up the Multiboot entry state");
    if (cfg->trace_dir || cfg->verify_trace) {
        if (tracer_open(&m->trace, cfg->trace_dir, (unsigned)m->ncpus, cfg->trace_cats,
                        m->model.tsc_hz, &m->sched, &m->q, cfg->trace_env, cfg->trace_nenv, err,
                        errlen)) {
            machine_destroy(m);
            return -1;
        }
        m->tracing = true;
        if (cfg->verify_trace &&
            tracer_verify(&m->trace, cfg->verify_trace,
                          cfg->verify_context ? cfg->verify_context
                                              : TRACE_VERIFY_CONTEXT_DEFAULT,
                          diverge, m, err, errlen)) {
            machine_destroy(m);
            return -1;
        }
        for (int k = 0; k < m->ncpus; k++)
            m->cpus[k].trace = &m->trace;
        m->bus.trace = &m->trace;
        m->ioapic.trace = &m->trace;
        m->com1_in.trace = &m->trace;
    }
    return 0;
}

int machine_trace_close(struct machine *m, char *err, size_t errlen)
{
    if (!m->tracing)
        return 0;
    m->tracing = false;
    for (int k = 0; k < m->ncpus; k++)
        m->cpus[k].trace = NULL;
    m->bus.trace = NULL;
    m->ioapic.trace = NULL;
    m->com1_in.trace = NULL;
    return tracer_close(&m->trace, err, errlen);
}

enum machine_stop machine_run(struct machine *m, uint64_t max_insns)
{
    enum sched_stop s = sched_run(&m->sched, max_insns);
    if (m->serial)
        fflush(m->serial);
    switch (s) {
    case SCHED_INSN_LIMIT:
        return MSTOP_INSN_LIMIT;
    case SCHED_IDLE_FOREVER:
        return MSTOP_HALTED;
    case SCHED_REQUESTED:
        return m->trace.verify && trace_verify_diverged(m->trace.verify) ? MSTOP_DIVERGED
                                                                         : MSTOP_NONE;
    case SCHED_CPU_STOP:
        break;
    default:
        return MSTOP_NONE;
    }
    const struct cpu *c = m->sched.stopped ? m->sched.stopped : &m->cpus[0];
    switch (c->stop) {
    case STOP_TRIPLE_FAULT:
        return MSTOP_TRIPLE_FAULT;
    case STOP_SHUTDOWN_UNSUPPORTED:
        return MSTOP_UNSUPPORTED;
    case STOP_REQUEST:
        if (m->trace.verify && trace_verify_diverged(m->trace.verify))
            return MSTOP_DIVERGED;
        if (m->dexit.fired)
            return MSTOP_EXIT_PORT;
        if (m->sys.reset_requested)
            return MSTOP_RESET;
        if (m->pm.soft_off)
            return MSTOP_SOFT_OFF;
        return m->bus.strict && m->bus.unclaimed ? MSTOP_STRICT : MSTOP_NONE;
    default:
        return MSTOP_NONE;
    }
}

void machine_destroy(struct machine *m)
{
    char err[256];
    machine_trace_close(m, err, sizeof err);
    serial_in_destroy(&m->com1_in);
    if (m->parts >= PART_CPU) {
        for (int k = 0; k < m->ncpus; k++)
            cpu_destroy(&m->cpus[k]);
        free(m->cpus);
        free(m->apics);
        m->cpus = NULL;
        m->apics = NULL;
        m->ncpus = 0;
    }
    if (m->parts >= PART_DCACHE)
        dcache_destroy(&m->dc);
    if (m->parts >= PART_BUS)
        bus_destroy(&m->bus);
    m->parts = 0;
}
