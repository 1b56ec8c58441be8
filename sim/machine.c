/* machine.c — build, run and tear down the machine of `hvsim run` (see machine.h). */
#include "sim/machine.h"

#include <string.h>

#include "sim/wiring.h"

enum { PART_BUS = 1, PART_DCACHE, PART_CPU };

static void serial_tx(void *opaque, uint8_t byte)
{
    struct machine *m = opaque;
    if (m->serial)
        fputc(byte, m->serial);
}

static int fail(struct machine *m, char *err, size_t errlen, const char *msg)
{
    snprintf(err, errlen, "%s", msg);
    machine_destroy(m);
    return -1;
}

static int build_devices(struct machine *m, const struct machine_config *cfg)
{
    struct irq_line l0 = pic8259_line(&m->pic, 0), l3 = pic8259_line(&m->pic, 3),
                    l4 = pic8259_line(&m->pic, 4);
    pic8259_init(&m->pic);
    pit8254_init(&m->pit, &m->q);
    pit8254_connect(&m->pit, 0, l0);
    uart16550_init(&m->com1, &m->q, &l4, serial_tx, m);
    uart16550_init(&m->com2, &m->q, &l3, NULL, NULL);
    if (cmos_rtc_init(&m->rtc, &m->q, &cfg->date))
        return -1;
    m->rtc.irq = pic8259_line(&m->pic, 8);
    cmos_rtc_set_memory(&m->rtc, cfg->ram_size);
    m->cpu.irq = pic8259_irq_source(&m->pic);
    if (pic8259_map(&m->pic, &m->bus) || pit8254_map(&m->pit, &m->bus) ||
        uart16550_map(&m->com1, &m->bus, UART_COM1_PORT) ||
        uart16550_map(&m->com2, &m->bus, UART_COM2_PORT) || cmos_rtc_map(&m->rtc, &m->bus) ||
        sysports_init(&m->sys, &m->bus, wiring_stop_cpu, &m->cpu) ||
        debugexit_init(&m->dexit, &m->bus, DEBUGEXIT_PORT, wiring_stop_cpu, &m->cpu) ||
        debugcon_init(&m->dcon, &m->bus, DEBUGCON_PORT, cfg->console))
        return -1;
    return 0;
}

int machine_init(struct machine *m, const struct machine_config *cfg, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    if (cfg->cpus != 1)
        return snprintf(err, errlen, "--cpus %d: this build runs 1 processor (SMP needs the local "
                        "APIC, a later issue)", cfg->cpus), -1;
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
    m->bus.strict_stop = wiring_stop_cpu;
    m->bus.strict_opaque = &m->cpu;
    if (dcache_init(&m->dc, cfg->ram_size))
        return fail(m, err, errlen, "cannot create the decode cache");
    m->parts = PART_DCACHE;
    m->bus.code_write = wiring_code_write;
    m->bus.code_write_opaque = &m->dc;
    if (cpu_init(&m->cpu, 0, &m->bus, &m->dc, &m->model))
        return fail(m, err, errlen, "cannot create the processor");
    m->parts = PART_CPU;
    m->serial = cfg->serial;
    evq_init(&m->q);
    sched_init(&m->sched, &m->q, m->model.tsc_hz);
    sched_add(&m->sched, &m->cpu);
    if (build_devices(m, cfg))
        return fail(m, err, errlen, "cannot build the devices (invalid RTC date, or a port "
                                    "conflict)");
    serial_in_init(&m->com1_in, &m->com1, &m->q);
    int in_err = 0;
    switch (cfg->serial_in_mode) {
    case SERIAL_IN_FILE:
        in_err = serial_in_use_file(&m->com1_in, cfg->serial_in_path, err, errlen);
        break;
    case SERIAL_IN_REPLAY:
        in_err = serial_in_use_replay(&m->com1_in, cfg->serial_in_path, err, errlen);
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
    if (mb_load(&m->bus, cfg->kernel, cfg->cmdline, cfg->modules, cfg->n_modules, MB_AUTO, &m->mb,
                err, errlen)) {
        machine_destroy(m);
        return -1;
    }
    if (mb_enter(&m->cpu, &m->mb))
        return fail(m, err, errlen, "cannot set up the Multiboot entry state");
    return 0;
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
    case SCHED_CPU_STOP:
        break;
    default:
        return MSTOP_NONE;
    }
    switch (m->cpu.stop) {
    case STOP_TRIPLE_FAULT:
        return MSTOP_TRIPLE_FAULT;
    case STOP_SHUTDOWN_UNSUPPORTED:
        return MSTOP_UNSUPPORTED;
    case STOP_REQUEST:
        if (m->dexit.fired)
            return MSTOP_EXIT_PORT;
        if (m->sys.reset_requested)
            return MSTOP_RESET;
        return m->bus.strict && m->bus.unclaimed ? MSTOP_STRICT : MSTOP_NONE;
    default:
        return MSTOP_NONE;
    }
}

void machine_destroy(struct machine *m)
{
    serial_in_destroy(&m->com1_in);
    if (m->parts >= PART_CPU)
        cpu_destroy(&m->cpu);
    if (m->parts >= PART_DCACHE)
        dcache_destroy(&m->dc);
    if (m->parts >= PART_BUS)
        bus_destroy(&m->bus);
    m->parts = 0;
}
