/* apic_msg.h — an interrupt message on the system bus between APICs: what a local APIC's ICR
 * write (SDM Vol. 3 10.6.1), an I/O APIC redirection entry (82093AA datasheet 3.2.4) or an MSI
 * (SDM Vol. 3 10.11) sends, and what the receiving local APICs accept.
 *
 * The message carries the architectural fields only; routing (which local APICs a destination
 * selects, lowest-priority arbitration) is done by the receiver side (apic/apic_bus.h), so every
 * sender builds the same structure and routing has one implementation.
 *
 * Invariants: `dest` is the 8-bit xAPIC destination (bits 63:56 of the ICR, zero-extended) or
 * the 32-bit x2APIC one; `vector` is meaningful for FIXED and LOWEST (and is the start page for
 * SIPI); `shorthand` is APIC_SH_NONE for every message not sent from an ICR.
 */
#ifndef HVSIM_APIC_MSG_H
#define HVSIM_APIC_MSG_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Delivery modes (ICR bits 10:8, SDM Vol. 3 10.6.1; the same encoding in I/O APIC RTEs and MSI). */
enum apic_delmode {
    APIC_DM_FIXED = 0,
    APIC_DM_LOWEST = 1,
    APIC_DM_SMI = 2,
    APIC_DM_NMI = 4,
    APIC_DM_INIT = 5,
    APIC_DM_SIPI = 6,      /* "Start-Up"; in I/O APIC RTEs this encoding is reserved */
    APIC_DM_EXTINT = 7,
};

/* Destination shorthands (ICR bits 19:18). */
enum apic_shorthand {
    APIC_SH_NONE = 0,
    APIC_SH_SELF = 1,
    APIC_SH_ALL = 2,       /* all including self */
    APIC_SH_OTHERS = 3,    /* all excluding self */
};

struct apic_msg {
    uint32_t dest;         /* destination field (8-bit xAPIC, 32-bit x2APIC) */
    uint8_t vector;
    uint8_t delmode;       /* enum apic_delmode */
    uint8_t shorthand;     /* enum apic_shorthand */
    bool logical;          /* destination mode: logical (true) or physical */
    bool level;            /* trigger mode: level (true) or edge */
    bool assert;           /* level: assert (true) or de-assert (INIT level de-assert) */
    bool x2apic;           /* dest is an x2APIC (32-bit) destination */
    int16_t source;        /* sending logical processor index, or -1 (I/O APIC, MSI) */
};

/* A sender's view of the bus: deliver one message. */
typedef void (*apic_send_fn)(void *opaque, const struct apic_msg *m);
/* A local APIC's EOI of a level-triggered vector, broadcast to the I/O APICs (SDM Vol. 3 10.8.5;
 * suppressed per local APIC by SVR bit 12, directed EOI). */
typedef void (*apic_eoi_fn)(void *opaque, uint8_t vector);

#ifdef __cplusplus
}
#endif
#endif
