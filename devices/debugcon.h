/* debugcon.h — the debug console port: bytes the guest writes to port 0xE9 appear on the host.
 *
 * QEMU's debugcon convention: an OUT of any width to 0xE9 emits the low byte; an IN from 0xE9
 * returns 0xE9 so a guest can detect the device. Output goes to a host stream (stdout for
 * `hvsim exec`); the stream is host-side only and nothing flows back into the machine.
 *
 * Invariant: every byte written is passed to the stream in order; `bytes` counts them.
 */
#ifndef HVSIM_DEBUGCON_H
#define HVSIM_DEBUGCON_H

#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bus;

#define DEBUGCON_PORT 0xe9

struct debugcon {
    FILE *out;          /* host stream, or NULL to discard */
    uint64_t bytes;     /* bytes written by the guest */
};

/* Map the console at `port` (normally DEBUGCON_PORT). 0, or -1 if the port is taken. */
int debugcon_init(struct debugcon *d, struct bus *b, uint16_t port, FILE *out);

#ifdef __cplusplus
}
#endif
#endif
