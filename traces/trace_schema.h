/* trace_schema.h — the events of an hvsim trace: their ids, names, categories and fields. One
 * table (trace_schema.c) drives the writer, the reader and the CTF metadata (trace_meta.c), so
 * the three cannot disagree. docs/TRACE-FORMAT.md documents the schema for users.
 *
 * Invariants:
 *  - Event ids are dense (0 .. TRACE_NEVENTS-1) and never reused: a change of any event's id or
 *    fields bumps TRACE_SCHEMA_VERSION (the reader refuses other versions by name).
 *  - Every field is an unsigned little-endian integer of 1, 2, 4 or 8 bytes, byte-aligned, so an
 *    event's payload has a fixed size and no padding.
 */
#ifndef HVSIM_TRACE_SCHEMA_H
#define HVSIM_TRACE_SCHEMA_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TRACE_SCHEMA_VERSION 3
#define TRACE_MAX_FIELDS 8

/* Categories: switched on and off as a set (hvsim run --trace-events). */
enum trace_cat {
    TRACE_CAT_VMX   = 1u << 0,  /* VM entries, exits, injections */
    TRACE_CAT_HCALL = 1u << 1,  /* hypercalls */
    TRACE_CAT_INTR  = 1u << 2,  /* exceptions, interrupts, IPIs, timers */
    TRACE_CAT_IO    = 1u << 3,  /* port I/O and MMIO to devices */
    TRACE_CAT_ANNOT = 1u << 4,  /* software annotations from target code */
    TRACE_CAT_INPUT = 1u << 5,  /* inputs from outside the machine (always recorded) */
};
#define TRACE_CAT_DEFAULT (TRACE_CAT_VMX | TRACE_CAT_HCALL | TRACE_CAT_INTR | TRACE_CAT_ANNOT | \
                           TRACE_CAT_INPUT)
#define TRACE_CAT_ALL 0x3fu

enum trace_event_id {
    TEV_VM_ENTRY, TEV_VM_EXIT, TEV_VM_INJECT, TEV_HYPERCALL, TEV_EXCEPTION, TEV_IRQ_RAISE,
    TEV_IRQ_DELIVER, TEV_IRQ_EOI, TEV_IPI, TEV_APIC_TIMER_ARM, TEV_APIC_TIMER_FIRE,
    TEV_PREEMPT_TIMER, TEV_PIO, TEV_MMIO, TEV_ANNOTATION, TEV_INPUT_SERIAL,
    /* version 3: SynIC deliveries, from the hypervisor's annotations (traces/annot_abi.h) */
    TEV_SYNIC_MESSAGE, TEV_SYNIC_EVENT,
    TRACE_NEVENTS
};

/* Sources of an interrupt (TEV_IRQ_RAISE.source). */
enum trace_irq_source {
    TRACE_SRC_APIC_TIMER, TRACE_SRC_IPI, TRACE_SRC_IOAPIC, TRACE_SRC_LINT0, TRACE_SRC_LINT1,
    TRACE_SRC_PIC, TRACE_SRC_APIC_ERROR, TRACE_SRC_VMX_INJECT, TRACE_SRC_NSOURCES
};

struct trace_field {
    const char *name;
    uint8_t size;               /* bytes: 1, 2, 4, 8 */
    const char *enum_name;      /* NULL, or a CTF enumeration declared in the metadata */
    uint8_t hex;                /* an address or bit field: tools print it in hexadecimal */
};

struct trace_event_desc {
    const char *name;           /* CTF event name */
    uint32_t cat;               /* enum trace_cat */
    uint8_t nfields;
    struct trace_field f[TRACE_MAX_FIELDS];
};

extern const struct trace_event_desc trace_events[TRACE_NEVENTS];

/* Parse a comma-separated list of categories: vmx, hcall, intr, io, annot, default (the default
 * set), all. 0, or -1 for an empty list or an unknown name. */
int trace_cats_parse(const char *s, uint32_t *out);
#define TRACE_CATS_NAMES "vmx, hcall, intr, io, annot, default, all"

/* Bytes of an event's payload: the sum of its field sizes. */
unsigned trace_payload_size(const struct trace_event_desc *d);
/* Event id by name, or -1. */
int trace_event_by_name(const char *name);
/* Field index by name in an event, or -1. */
int trace_field_by_name(const struct trace_event_desc *d, const char *name);
/* Name of an interrupt source, or "?" */
const char *trace_irq_source_name(unsigned src);

#ifdef __cplusplus
}
#endif
#endif
