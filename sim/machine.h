/* machine.h — the PC-like machine of `hvsim run`: RAM, N processors each with its local APIC,
 * the I/O APIC, the virtual-time event queue and scheduler, the legacy devices (8259A pair, 8254
 * PIT, 16550A UARTs on COM1/COM2, CMOS RTC, ports 0x80/0x92), the ACPI PM registers and the ACPI
 * tables, the QEMU-compatible debug ports, and a Multiboot (v1 or v2) kernel with its modules.
 *
 * Wiring, as on a PC (docs/ARCHITECTURE.md, docs/IOAPIC.md): PIT counter 0 -> IRQ 0 / I/O APIC
 * pin 2, COM2 -> IRQ 3 / pin 3, COM1 -> IRQ 4 / pin 4, RTC -> IRQ 8 / pin 8, SCI -> IRQ 9 / pin 9.
 * The 8259A pair's INT output reaches the bootstrap processor through its local APIC's LINT0,
 * left in virtual-wire (ExtINT) mode as a BIOS leaves it; the I/O APIC and the local APICs talk
 * over the APIC bus (apic/apic_bus.h). Processor 0 starts at the kernel's entry, the others wait
 * for INIT-SIPI-SIPI.
 *
 * Invariants: the machine is built only from its configuration (no host time, no randomness),
 * construction order is bus -> decode cache -> model -> processors and APICs -> event queue ->
 * devices -> ACPI tables -> COM1 input -> kernel, and machine_destroy undoes exactly what
 * machine_init built.
 */
#ifndef HVSIM_MACHINE_H
#define HVSIM_MACHINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cpu/cpu.h"
#include "cpu/dcache.h"
#include "cpu/model.h"
#include "apic/apic_bus.h"
#include "apic/ioapic.h"
#include "apic/lapic.h"
#include "devices/acpi_pm.h"
#include "devices/cmos_rtc.h"
#include "devices/debugcon.h"
#include "devices/debugexit.h"
#include "devices/pic8259.h"
#include "devices/pit8254.h"
#include "devices/sysports.h"
#include "devices/uart16550.h"
#include "sim/bus.h"
#include "sim/evq.h"
#include "sim/multiboot.h"
#include "sim/sched.h"
#include "sim/serial_in.h"
#include "traces/tracer.h"

#ifdef __cplusplus
extern "C" {
#endif

struct machine_config {
    uint64_t ram_size;              /* bytes, a multiple of 4 KiB, >= 2 MiB */
    int cpus;                       /* logical processors, 1..MACHINE_MAX_CPUS */
    const char *kernel;             /* Multiboot kernel image */
    const char *cmdline;            /* may be NULL */
    const char *modules[MB_MAX_MODULES];   /* "FILE[,ARGS]" */
    /* the FILE part of each module's string when it differs from the path opened (a config
     * file's path as written, before it was resolved; sim/multiboot.h mb_load), or NULL */
    const char *module_names[MB_MAX_MODULES];
    int n_modules;
    const char *model_path;         /* CPU model file, NULL: built-in */
    FILE *serial;                   /* COM1 output, NULL: discarded */
    /* COM1 input (sim/serial_in.h): none (the default), a file, live from a host descriptor
     * (recorded in serial_log if not NULL), or the arrivals of a replay log */
    enum serial_in_mode serial_in_mode;
    const char *serial_in_path;     /* SERIAL_IN_FILE: the file; SERIAL_IN_REPLAY: the log */
    const struct serial_log *serial_in_log;   /* SERIAL_IN_REPLAY: the log in memory instead */
    int serial_in_fd;               /* SERIAL_IN_LIVE: the host descriptor (0: stdin) */
    FILE *serial_log;               /* SERIAL_IN_LIVE: where arrivals are recorded */
    FILE *console;                  /* port 0xE9 output, NULL: discarded */
    struct rtc_time date;           /* the RTC's date at power-on */
    bool strict;                    /* accesses to nothing stop the machine */
    /* trace recording (docs/TRACE-FORMAT.md): a directory, or NULL for none; the categories
     * (TRACE_CAT_*) and the env entries that record the run's inputs in the metadata */
    const char *trace_dir;
    uint32_t trace_cats;
    const struct trace_env *trace_env;
    unsigned trace_nenv;
    /* --verify: a reference trace to compare every event with as the run goes (with or without
     * trace_dir; traces/trace_verify.h), and the context events its report shows */
    const char *verify_trace;
    unsigned verify_context;
};

enum machine_stop {
    MSTOP_NONE, MSTOP_EXIT_PORT, MSTOP_TRIPLE_FAULT, MSTOP_HALTED, MSTOP_INSN_LIMIT,
    MSTOP_UNSUPPORTED, MSTOP_RESET, MSTOP_STRICT, MSTOP_SOFT_OFF,
    MSTOP_DIVERGED,     /* --verify: an event differs from the reference trace */
};

/* xAPIC IDs 0..254 (255 is the broadcast ID); processor k has APIC ID k. */
#define MACHINE_MAX_CPUS 255

struct machine {
    struct bus bus;
    struct dcache dc;
    struct cpu_model model;
    int ncpus;
    struct cpu *cpus;               /* [ncpus]; cpus[0] is the bootstrap processor */
    struct lapic *apics;            /* [ncpus]; apics[k] is cpus[k]'s local APIC, ID k */
    struct apic_bus apic_bus;
    struct ioapic ioapic;
    struct evq q;
    struct sched sched;
    struct pic8259 pic;
    struct pit8254 pit;
    /* each ISA interrupt reaches both the 8259A pair and an I/O APIC pin (docs/IOAPIC.md) */
    struct irq_split irq_pit, irq_com1, irq_com2, irq_rtc, irq_sci;
    struct uart16550 com1, com2;
    struct serial_in com1_in;       /* COM1's input line */
    struct cmos_rtc rtc;
    struct sysports sys;
    struct debugexit dexit;
    struct debugcon dcon;
    struct acpi_pm pm;
    uint64_t rsdp;                  /* where the ACPI tables start (sim/acpi.h) */
    struct mb_boot mb;
    struct tracer trace;            /* the run's trace recorder, when `tracing` */
    bool tracing;
    FILE *serial;
    int parts;                      /* construction progress, for destroy */
};

/* Build the machine and load the kernel. 0, or -1 with a message naming the file and the problem. */
int machine_init(struct machine *m, const struct machine_config *cfg, char *err, size_t errlen);
/* Run until a stop (max_insns: UINT64_MAX for no limit). */
enum machine_stop machine_run(struct machine *m, uint64_t max_insns);
/* Finish the trace (flush, close): 0, or -1 with a message naming the file. Without a trace, 0.
 * machine_destroy also closes it, without a report. */
int machine_trace_close(struct machine *m, char *err, size_t errlen);
void machine_destroy(struct machine *m);

#ifdef __cplusplus
}
#endif
#endif
