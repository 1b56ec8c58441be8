/* irq.h — an interrupt line between a device and an interrupt controller (8259 PIC, later the
 * I/O APIC). The device drives the line's level; the controller decides what an edge or a level
 * means (edge/level triggering is the controller's configuration, as on a PC).
 *
 * Invariant: a device with no line connected (set == NULL) raises nothing and never crashes.
 */
#ifndef HVSIM_IRQ_H
#define HVSIM_IRQ_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

struct irq_line {
    void (*set)(void *opaque, int line, bool level);
    void *opaque;
    int line;
};

static inline void irq_set(const struct irq_line *l, bool level)
{
    if (l && l->set)
        l->set(l->opaque, l->line, level);
}

/* One device output driving two controller inputs, as an ISA IRQ pin reaches both the 8259A pair
 * and an I/O APIC input on a PC (e.g. COM1: PIC IRQ 4 and I/O APIC pin 4; PIT: PIC IRQ 0 and
 * I/O APIC pin 2, the MADT's interrupt source override). The splitter owns no state beyond its
 * two outputs; it forwards every level in order out[0], out[1], so the result is deterministic. */
struct irq_split {
    struct irq_line out[2];
};

static inline void irq_split_set(void *opaque, int line, bool level)
{
    const struct irq_split *s = (const struct irq_split *)opaque;
    (void)line;
    irq_set(&s->out[0], level);
    irq_set(&s->out[1], level);
}

/* The line a device is given; `s` must outlive it (embed it in the machine). */
static inline struct irq_line irq_split_line(struct irq_split *s)
{
    struct irq_line l = { irq_split_set, s, 0 };
    return l;
}

#ifdef __cplusplus
}
#endif
#endif
