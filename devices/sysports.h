/* sysports.h — two small PC system ports boot code touches:
 *
 *  - Port 0x80, the POST-code port: firmware and kernels write progress codes (and Linux uses it
 *    as an I/O delay). The last code and the number of writes are kept for the run summary;
 *    reads return the last code written (as on PCs with a POST card latch; 0xFF before any).
 *  - Port 0x92, System Control Port A (PS/2, IBM PS/2 Hardware Interface Technical Reference):
 *    bit 1 is the A20 gate, bit 0 a fast reset. hvsim models a processor without A20 masking (as
 *    Intel processors since Haswell, which dropped the A20M# pin): A20 is always enabled, so
 *    bit 1 always reads 1 and clearing it has no effect on addresses. Writing 1 to bit 0 asks the
 *    machine for a reset (the request hook); bits 7:2 read back what was written, as on PIIX.
 *
 * Invariant: the devices only record and report; the machine decides what a reset means.
 */
#ifndef HVSIM_SYSPORTS_H
#define HVSIM_SYSPORTS_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bus;

struct sysports {
    uint8_t post_code;          /* last value written to port 0x80 */
    uint64_t post_writes;
    uint8_t port92;             /* bits 7:2 as written */
    uint64_t a20_disable_attempts;
    bool reset_requested;
    void (*request_reset)(void *opaque);
    void *opaque;
};

/* Map ports 0x80 and 0x92. 0, or -1 if taken. */
int sysports_init(struct sysports *s, struct bus *b, void (*request_reset)(void *opaque),
                  void *opaque);

#ifdef __cplusplus
}
#endif
#endif
