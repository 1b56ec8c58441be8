/* exec_machine.c — the bare-ELF machine (see exec_machine.h). */
#include "sim/exec_machine.h"

#include <string.h>

#include "sim/wiring.h"

enum { PART_BUS = 1, PART_DCACHE, PART_CPU };

int exec_machine_init(struct exec_machine *m, uint64_t ram_size, const struct cpu_model *model,
                      FILE *console, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    m->ram_size = ram_size;
    if (bus_init(&m->bus, ram_size)) {
        snprintf(err, errlen, "cannot allocate %llu bytes of guest RAM",
                 (unsigned long long)ram_size);
        return -1;
    }
    m->parts = PART_BUS;
    if (dcache_init(&m->dc, ram_size)) {
        snprintf(err, errlen, "cannot create the decode cache (Capstone initialisation failed?)");
        exec_machine_destroy(m);
        return -1;
    }
    m->parts = PART_DCACHE;
    m->bus.code_write = wiring_code_write;
    m->bus.code_write_opaque = &m->dc;
    if (cpu_init(&m->cpu, 0, &m->bus, &m->dc, model)) {
        snprintf(err, errlen, "cannot create the CPU (TLB allocation or CPU model failed)");
        exec_machine_destroy(m);
        return -1;
    }
    m->parts = PART_CPU;
    if (debugexit_init(&m->dexit, &m->bus, DEBUGEXIT_PORT, wiring_stop_cpu, &m->cpu) ||
        debugcon_init(&m->dcon, &m->bus, DEBUGCON_PORT, console)) {
        snprintf(err, errlen, "cannot map the debug ports");
        exec_machine_destroy(m);
        return -1;
    }
    return 0;
}

int exec_machine_load(struct exec_machine *m, const char *path, char *err, size_t errlen)
{
    if (elf_load(&m->bus, path, &m->img, err, errlen))
        return -1;
    char why[200];
    if (direct_boot_layout(m->img.hi, m->ram_size, m->img.bits, &m->boot, why, sizeof why)) {
        snprintf(err, errlen, "%s: %s", path, why);
        return -1;
    }
    if (direct_boot_pagetables(&m->bus, &m->boot)) {
        snprintf(err, errlen, "%s: page tables do not fit in RAM", path);
        return -1;
    }
    if (m->img.bits == 64)
        direct_boot_enter64(&m->cpu, &m->boot, m->img.entry, m->ram_size);
    else
        direct_boot_enter32(&m->cpu, &m->boot, m->img.entry, m->ram_size);
    return 0;
}

void exec_machine_destroy(struct exec_machine *m)
{
    if (m->parts >= PART_CPU)
        cpu_destroy(&m->cpu);
    if (m->parts >= PART_DCACHE)
        dcache_destroy(&m->dc);
    if (m->parts >= PART_BUS)
        bus_destroy(&m->bus);
    m->parts = 0;
}
