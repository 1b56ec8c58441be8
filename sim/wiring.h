/* wiring.h — the two connections every machine makes between its parts (sim/machine.c,
 * sim/exec_machine.c): RAM writes that do not come from the CPU store path drop decoded code of
 * the written pages, and a device's stop request ends the processor's current block. */
#ifndef HVSIM_WIRING_H
#define HVSIM_WIRING_H

#include <stdint.h>

#include "cpu/cpu.h"
#include "cpu/dcache.h"

/* bus.code_write hook; opaque is the struct dcache. */
static inline void wiring_code_write(void *opaque, uint64_t pa, uint64_t len)
{
    dcache_code_write(opaque, pa, len);
}

/* Device stop hook; opaque is the struct cpu: stop after the current instruction. */
static inline void wiring_stop_cpu(void *opaque)
{
    struct cpu *c = opaque;
    c->stop = STOP_REQUEST;
    c->block_end = true;
}

#endif
