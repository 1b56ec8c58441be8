/* exec_machine.h — the minimal machine that runs one bare ELF program: RAM, one CPU, the
 * debug-exit port (0xF4) and the debug console (0xE9). Used by `hvsim exec` and bench/.
 *
 * It is the seed of the full machine (sim/machine, later: Multiboot, UART, PIC, APIC, several
 * LPs): construction order is bus -> decode cache -> CPU -> devices -> image -> boot state.
 *
 * Invariants: every part is created from the arguments only (RAM size, CPU model, image), so two
 * machines built from the same arguments run identically; the console stream is output-only.
 */
#ifndef HVSIM_EXEC_MACHINE_H
#define HVSIM_EXEC_MACHINE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cpu/cpu.h"
#include "cpu/dcache.h"
#include "devices/debugcon.h"
#include "devices/debugexit.h"
#include "sim/bus.h"
#include "sim/direct_boot.h"
#include "sim/elfload.h"

#ifdef __cplusplus
extern "C" {
#endif

struct exec_machine {
    struct bus bus;
    struct dcache dc;
    struct cpu cpu;
    struct debugexit dexit;
    struct debugcon dcon;
    struct elf_image img;
    struct direct_boot boot;
    uint64_t ram_size;
    int parts;          /* construction progress, for destroy */
};

/* Build the machine. `model` may be NULL (built-in default); `console` may be NULL (discard).
 * 0, or -1 with a message in err. */
int exec_machine_init(struct exec_machine *m, uint64_t ram_size, const struct cpu_model *model,
                      FILE *console, char *err, size_t errlen);

/* Load an ELF64 or ELF32 program and put the CPU at its entry (direct_boot.h convention).
 * 0, or -1 with a message in err. */
int exec_machine_load(struct exec_machine *m, const char *path, char *err, size_t errlen);

void exec_machine_destroy(struct exec_machine *m);

#ifdef __cplusplus
}
#endif
#endif
