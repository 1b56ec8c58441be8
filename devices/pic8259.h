/* pic8259.h — the PC's cascaded pair of Intel 8259A programmable interrupt controllers: the
 * master at ports 0x20/0x21 (IRQ 0-7), the slave at 0xA0/0xA1 (IRQ 8-15) whose INT output is
 * wired to the master's IR2, and the PIIX edge/level control registers ELCR1/ELCR2 at
 * 0x4D0/0x4D1. See docs/DEVICES.md, "8259A PIC pair".
 *
 * Invariants:
 *  - IRR of an edge-triggered line is set by a low-to-high transition of its input and cleared
 *    when the input falls or the request is acknowledged; IRR of a level-triggered line equals
 *    the input level (8259A datasheet, "Edge and Level Triggered Modes").
 *  - The slave's INT output is always the master's IR2 input level; `int_out` of each chip is
 *    recomputed after every change, so `pending` is a field read.
 *  - The INTA sequence never fails: with no request left it answers the chip's IR7 vector
 *    without setting an ISR bit (spurious interrupt), as the datasheet defines.
 *  - Guest writes of any value to any port leave a consistent state; nothing here allocates.
 */
#ifndef HVSIM_PIC8259_H
#define HVSIM_PIC8259_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "devices/irq.h"

#ifdef __cplusplus
extern "C" {
#endif

struct bus;

/* One 8259A. */
struct pic8259_chip {
    uint8_t irr, isr, imr;      /* request, in-service, mask registers */
    uint8_t input;              /* current IR input levels */
    uint8_t elcr;               /* PIIX ELCR: 1 = level-triggered line */
    uint8_t elcr_mask;          /* ELCR bits that are writable */
    uint8_t vector_base;        /* ICW2 T7-T3 */
    uint8_t icw3;               /* master: lines with a slave; slave: its ID */
    uint8_t priority_add;       /* line with the highest priority (rotation) */
    uint8_t init_step;          /* 0 ready; 2, 3, 4 = next ICW expected */
    bool icw4_needed, single, ltim;
    bool upm;                   /* ICW4 uPM: 1 = 8086 mode */
    bool auto_eoi, rotate_aeoi, sfnm;
    bool special_mask, read_isr, poll;
    bool int_out;               /* INT output level */
};

struct pic8259 {
    struct pic8259_chip chip[2];   /* [0] master, [1] slave */
    uint64_t spurious[2];          /* INTA cycles answered with IR7 of master / slave */
    uint64_t ignored;              /* writes with no effect (8080 mode ICW, IRQ2 input, ...) */
};

/* Power-on state: both chips uninitialised (vector base 0, all lines unmasked and edge-triggered,
 * IR0 highest priority); the guest must send ICW1-ICW4 before using them. */
void pic8259_init(struct pic8259 *p);
/* Map ports 0x20-0x21, 0xA0-0xA1 and 0x4D0-0x4D1. Returns 0, or -1 if a port is taken. */
int pic8259_map(struct pic8259 *p, struct bus *b);

/* Input line `line` (0-15) of the pair; line 2 is the cascade input and is ignored here (on a
 * PC the ISA IRQ2 pin is routed to IRQ9). Has the signature of irq_line.set. */
void pic8259_set_irq(void *opaque, int line, bool level);
struct irq_line pic8259_line(struct pic8259 *p, int line);

/* What the CPU sees: pending = the master's INT output; ack = the INTA sequence, returning the
 * vector (cascading to the slave when the master's selected line has a slave). */
struct irq_source pic8259_irq_source(struct pic8259 *p);
bool pic8259_pending(struct pic8259 *p);
uint8_t pic8259_inta(struct pic8259 *p);

/* Register access as through the ports: chip 0/1, a0 = port address bit 0. */
uint8_t pic8259_read(struct pic8259 *p, int chip, int a0);
void pic8259_write(struct pic8259 *p, int chip, int a0, uint8_t v);

#ifdef __cplusplus
}
#endif
#endif
