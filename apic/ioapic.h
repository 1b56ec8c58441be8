/* ioapic.h — the I/O APIC: an Intel 82093AA-compatible interrupt router with the ICH-era
 * extensions (version 0x20, the EOI register at offset 0x40), 24 input pins, each sent to the
 * local APICs as a struct apic_msg through an apic_send_fn. See docs/IOAPIC.md.
 *
 * MMIO window (82093AA datasheet 3.1; ICH9 datasheet 13.5): IOREGSEL at +0x00 selects an
 * indirect register, IOWIN at +0x10 reads/writes it (32 bits), EOI at +0x40 (write-only).
 * Indirect registers (82093AA 3.2): 0x00 ID, 0x01 version, 0x02 arbitration, 0x10 + 2n / +2n+1
 * the low / high dword of redirection table entry n (n = 0..23).
 *
 * Invariants:
 *  - Delivery status (RTE bit 12) is always 0: a message is delivered when it is sent.
 *  - Remote IRR (bit 14) is set only for a level-triggered Fixed/Lowest entry whose message was
 *    sent, and cleared by an EOI with its vector (local APIC broadcast or the EOI register) or
 *    by switching the entry to edge; it is never set for an edge entry.
 *  - `pin_level` is the electrical input level; an input is asserted when its level differs
 *    from the entry's polarity bit (bit 13, 1 = active low). An edge entry sends one message per
 *    rising edge of the asserted state seen while unmasked (masked edges are lost, 82093AA
 *    3.2.4, "Interrupt Mask"); a level entry sends whenever it is asserted, unmasked and its
 *    remote IRR is clear, re-checked after every pin change, RTE write and EOI.
 *  - Nothing here allocates; any guest access leaves a consistent state.
 */
#ifndef HVSIM_IOAPIC_H
#define HVSIM_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "apic/apic_msg.h"
#include "devices/irq.h"

#ifdef __cplusplus
extern "C" {
#endif

struct bus;

#define IOAPIC_BASE     0xFEC00000ull   /* the PC's default I/O APIC address */
#define IOAPIC_SIZE     0x1000ull       /* the 4 KiB window the chipset decodes */
#define IOAPIC_PINS     24
#define IOAPIC_VERSION  0x20

/* MMIO offsets. */
#define IOAPIC_IOREGSEL 0x00
#define IOAPIC_IOWIN    0x10
#define IOAPIC_EOIR     0x40

/* Indirect registers. */
#define IOAPIC_REG_ID   0x00
#define IOAPIC_REG_VER  0x01
#define IOAPIC_REG_ARB  0x02
#define IOAPIC_REG_RTE  0x10            /* RTE n low dword at 0x10 + 2n, high at 0x11 + 2n */

/* Redirection table entry fields (82093AA 3.2.4). */
#define IOAPIC_RTE_VECTOR    0xFFull
#define IOAPIC_RTE_DELMODE_SHIFT 8
#define IOAPIC_RTE_DESTMODE  (1ull << 11)  /* 1 = logical */
#define IOAPIC_RTE_DELIVS    (1ull << 12)  /* read-only */
#define IOAPIC_RTE_POLARITY  (1ull << 13)  /* 1 = active low */
#define IOAPIC_RTE_REMOTEIRR (1ull << 14)  /* read-only */
#define IOAPIC_RTE_LEVEL     (1ull << 15)  /* trigger mode: 1 = level */
#define IOAPIC_RTE_MASK      (1ull << 16)
#define IOAPIC_RTE_EDID_SHIFT 48           /* ICH extended destination ID, bits 55:48 */
#define IOAPIC_RTE_DEST_SHIFT 56           /* destination, bits 63:56 */

struct tracer;

struct ioapic {
    uint8_t id;                 /* ID register bits 27:24 */
    uint8_t regsel;             /* IOREGSEL */
    uint64_t rte[IOAPIC_PINS];
    uint32_t pin_level;         /* electrical input levels, bit n = pin n */
    apic_send_fn send;          /* the system bus towards the local APICs (may be NULL) */
    void *send_opaque;
    struct tracer *trace;       /* the run's trace recorder (traces/tracer.h), or NULL */
    /* statistics */
    uint64_t sent;              /* messages sent */
    uint64_t masked_edges;      /* rising edges lost on masked edge entries */
    uint64_t reserved_delmode;  /* would-be messages dropped: delivery mode 3 or 6 (reserved) */
    uint64_t ignored;           /* accesses with no effect (narrow IOWIN writes, RO registers, ...) */
};

/* Power-on state (82093AA 3.2): every RTE masked with all other fields 0, IOREGSEL 0, ID `id`
 * (only its low 4 bits exist). Messages go to send(opaque, msg). */
void ioapic_init(struct ioapic *io, uint8_t id, apic_send_fn send, void *opaque);
/* Map the window at `base` (normally IOAPIC_BASE). 0, or -1 if the range is taken. */
int ioapic_map(struct ioapic *io, struct bus *b, uint64_t base);

/* Input pin `pin` (0-23) at electrical level `level`; has the signature of irq_line.set. */
void ioapic_set_irq(void *opaque, int pin, bool level);
struct irq_line ioapic_line(struct ioapic *io, int pin);

/* A local APIC's EOI broadcast of `vector` (matches apic_eoi_fn): every level entry with that
 * vector gets remote IRR cleared and, if still asserted and unmasked, sends again. */
void ioapic_eoi(void *opaque, uint8_t vector);

/* Indirect register access, as through IOREGSEL/IOWIN. */
uint32_t ioapic_reg_read(struct ioapic *io, uint8_t index);
void ioapic_reg_write(struct ioapic *io, uint8_t index, uint32_t value);

/* The window's register access (offset inside the window, size 1, 2, 4 or 8). */
uint64_t ioapic_mmio_read(void *opaque, uint64_t offset, unsigned size);
void ioapic_mmio_write(void *opaque, uint64_t offset, uint64_t value, unsigned size);

#ifdef __cplusplus
}
#endif
#endif
