/* debugexit.h — the debug-exit port: a guest write stops the machine with an exit status.
 *
 * Compatible with QEMU's isa-debug-exit device as configured with iobase=0xf4, iosize=4: a write
 * of value V (any width) asks the machine to stop, and the simulator exits with status
 * (V << 1) | 1. Reads return 0 (QEMU's device reads back nothing useful either).
 *
 * Invariants: the device only records the request and calls the machine's stop callback; it
 * never stops anything by itself, so the machine decides when the current instruction ends.
 * The first write wins: later writes before the machine stops do not change the value.
 */
#ifndef HVSIM_DEBUGEXIT_H
#define HVSIM_DEBUGEXIT_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bus;

#define DEBUGEXIT_PORT  0xf4
#define DEBUGEXIT_PORTS 4

struct debugexit {
    bool fired;                 /* the guest wrote the port */
    uint32_t value;             /* V, as written (truncated to the access width) */
    void (*request_stop)(void *opaque);   /* the machine's stop hook (may be NULL) */
    void *opaque;
};

/* Map the device at `port` (normally DEBUGEXIT_PORT). 0, or -1 if the ports are taken. */
int debugexit_init(struct debugexit *d, struct bus *b, uint16_t port,
                   void (*request_stop)(void *opaque), void *opaque);

/* The host exit status QEMU would use: (V << 1) | 1. */
static inline int debugexit_status(const struct debugexit *d)
{
    return (int)((d->value << 1) | 1u);
}

#ifdef __cplusplus
}
#endif
#endif
