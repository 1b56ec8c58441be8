/* apic_bus.h — the system bus between the APICs of one machine: routes struct apic_msg (IPIs
 * from ICR writes, I/O APIC redirection entries, MSIs) to the local APICs it selects, broadcasts
 * local-APIC EOIs of level-triggered vectors to the registered listeners (the I/O APICs), and
 * keeps the xAPIC MMIO pages of the local APICs mapped on the physical bus.
 *
 * Routing (SDM Vol. 3 10.6.2, 10.12.9, 10.12.10):
 *  - shorthands: self, all including self, all excluding self (the sender is `source`);
 *  - physical: the APIC id (xAPIC 8 bits, x2APIC 32 bits); 0xFF / 0xFFFFFFFF is a broadcast;
 *  - logical xAPIC, by the receiver's DFR model: flat (dest & LDR[31:24] != 0) or cluster
 *    (dest[7:4] = LDR[31:28] or 15, and dest[3:0] & LDR[27:24] != 0); 0xFF is a broadcast;
 *  - logical x2APIC: dest[31:16] = LDR[31:16] and dest[15:0] & LDR[15:0] != 0; 0xFFFFFFFF
 *    broadcast;
 *  - lowest priority: one APIC among the selected ones that are software-enabled: the lowest
 *    PPR, ties broken by the lowest processor index (deterministic; no focus processor, no
 *    rotation).
 * A hardware-disabled local APIC (IA32_APIC_BASE.EN = 0) receives nothing.
 *
 * Invariants: APICs are kept in processor-index order and every selection walks them in that
 * order, so delivery order is fixed; at most APIC_BUS_MAX local APICs.
 */
#ifndef HVSIM_APIC_BUS_H
#define HVSIM_APIC_BUS_H

#include <stdbool.h>
#include <stdint.h>

#include "apic/apic_msg.h"

#ifdef __cplusplus
extern "C" {
#endif

struct lapic;
struct bus;
struct dcache;

#define APIC_BUS_MAX 256
#define APIC_BUS_MAX_EOI 8
#define APIC_BUS_MAX_MAPS 8

struct apic_bus;

/* One mapped xAPIC page (the region's opaque). */
struct apic_bus_map {
    struct apic_bus *owner;
    uint64_t base;
    bool used;
};

struct apic_bus {
    struct lapic *lapic[APIC_BUS_MAX];
    int n;
    struct { apic_eoi_fn fn; void *opaque; } eoi[APIC_BUS_MAX_EOI];
    int n_eoi;
    struct bus *mem;                /* physical bus for the xAPIC pages (NULL: none) */
    const struct dcache *dc;        /* dc->cur tells which processor makes an MMIO access */
    struct apic_bus_map map[APIC_BUS_MAX_MAPS];
    uint64_t msgs;                  /* messages routed */
    uint64_t undelivered;           /* messages that selected no APIC */
    uint64_t map_failures;          /* relocations the physical bus refused (overlap) */
};

/* `mem` and `dc` may be NULL (no MMIO access: x2APIC-only use or unit tests). */
void apic_bus_init(struct apic_bus *b, struct bus *mem, const struct dcache *dc);
/* Add a local APIC (in processor-index order); maps its xAPIC page. 0, or -1 when full. */
int apic_bus_add(struct apic_bus *b, struct lapic *l);
/* Register an EOI listener (the I/O APIC). 0, or -1 when full. */
int apic_bus_add_eoi(struct apic_bus *b, apic_eoi_fn fn, void *opaque);

/* Deliver a message (an apic_send_fn: opaque is the struct apic_bus). */
void apic_bus_send(void *opaque, const struct apic_msg *m);
/* The local APICs a message selects, in index order (before lowest-priority arbitration, which
 * apic_bus_send applies). Returns how many were written to out[APIC_BUS_MAX]. */
int apic_bus_select(const struct apic_bus *b, const struct apic_msg *m, struct lapic **out);
/* Lowest-priority arbitration among sel[0..n): the chosen APIC, or NULL. */
struct lapic *apic_bus_lowest(struct lapic *const *sel, int n);
/* A local APIC's EOI of a level-triggered vector: call every listener. */
void apic_bus_eoi(struct apic_bus *b, uint8_t vector);
/* Re-map the xAPIC pages after an IA32_APIC_BASE change (relocation, mode change). */
void apic_bus_remap(struct apic_bus *b);

#ifdef __cplusplus
}
#endif
#endif
