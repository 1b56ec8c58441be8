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

#ifdef __cplusplus
}
#endif
#endif
