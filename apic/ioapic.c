/* ioapic.c — the 82093AA-compatible I/O APIC (see ioapic.h for the invariants).
 *
 * Window accesses (82093AA datasheet 3.1, ICH9 datasheet 13.5 "I/O APIC registers"):
 *   +0x00 IOREGSEL  bits 7:0 select the indirect register; a write of any size at +0x00 takes
 *                   bits 7:0, reads return the index zero-extended.
 *   +0x10 IOWIN     dword access to the selected register (a qword access acts on the low
 *                   dword, the high dword reads 0); narrower reads return the addressed bytes,
 *                   narrower writes are ignored (the chipset requires dword writes).
 *   +0x40 EOI       write-only: bits 7:0 are a vector, as a local APIC EOI broadcast.
 *   anything else   reads 0, writes ignored (reserved).
 * Indirect registers outside 0x00-0x02 and 0x10-0x3F read 0 and ignore writes.
 */
#include "apic/ioapic.h"

#include <string.h>

#include "sim/bus.h"
#include "traces/tracer.h"

/* Writable RTE bits (82093AA 3.2.4): vector, delivery mode, destination mode, polarity, trigger
 * mode, mask (low dword); destination and the ICH extended destination ID (high dword). Delivery
 * status and remote IRR are read-only. */
#define RTE_RW_LOW  0x1AFFFull
#define RTE_RW_HIGH 0xFFFF0000ull

static unsigned rte_delmode(uint64_t rte) { return (unsigned)(rte >> IOAPIC_RTE_DELMODE_SHIFT) & 7; }

/* Level semantics apply to Fixed and Lowest Priority entries only: SMI, NMI, INIT and ExtINT
 * are always edge-sensitive whatever the trigger bit says (82093AA 3.2.4, "Delivery Mode"). */
static bool rte_is_level(uint64_t rte)
{
    unsigned dm = rte_delmode(rte);
    return (rte & IOAPIC_RTE_LEVEL) && (dm == APIC_DM_FIXED || dm == APIC_DM_LOWEST);
}

static bool pin_asserted(const struct ioapic *io, int pin)
{
    bool high = (io->pin_level >> pin) & 1;
    bool active_low = (io->rte[pin] & IOAPIC_RTE_POLARITY) != 0;
    return high != active_low;
}

/* Send entry `pin`'s message; for a level entry set remote IRR first, so an EOI that arrives
 * while the message is being accepted finds it set. */
static void ioapic_send(struct ioapic *io, int pin)
{
    uint64_t rte = io->rte[pin];
    unsigned dm = rte_delmode(rte);
    if (dm == 3 || dm == APIC_DM_SIPI) {
        io->reserved_delmode++;
        return;
    }
    struct apic_msg m;
    memset(&m, 0, sizeof m);
    m.dest = (uint32_t)(rte >> IOAPIC_RTE_DEST_SHIFT) & 0xFF;
    m.vector = (uint8_t)(rte & IOAPIC_RTE_VECTOR);
    m.delmode = (uint8_t)dm;
    m.shorthand = APIC_SH_NONE;
    m.logical = (rte & IOAPIC_RTE_DESTMODE) != 0;
    m.level = rte_is_level(rte);
    m.assert = true;
    m.x2apic = false;
    m.source = -1;
    if (m.level)
        io->rte[pin] |= IOAPIC_RTE_REMOTEIRR;
    io->sent++;
    if (io->trace) {            /* an interrupt message of pin `pin` (machine stream) */
        uint64_t tv[5] = { m.vector, TRACE_SRC_IOAPIC, (uint64_t)pin, m.dest, m.level };
        tracer_device(io->trace, TEV_IRQ_RAISE, tv);
    }
    if (io->send)
        io->send(io->send_opaque, &m);
}

/* Level entries: send when asserted, unmasked and remote IRR is clear. */
static void ioapic_service_level(struct ioapic *io, int pin)
{
    uint64_t rte = io->rte[pin];
    if (rte_is_level(rte) && !(rte & (IOAPIC_RTE_MASK | IOAPIC_RTE_REMOTEIRR)) &&
        pin_asserted(io, pin))
        ioapic_send(io, pin);
}

void ioapic_init(struct ioapic *io, uint8_t id, apic_send_fn send, void *opaque)
{
    memset(io, 0, sizeof *io);
    io->id = id & 0xF;
    io->send = send;
    io->send_opaque = opaque;
    for (int n = 0; n < IOAPIC_PINS; n++)
        io->rte[n] = IOAPIC_RTE_MASK;
}

void ioapic_set_irq(void *opaque, int pin, bool level)
{
    struct ioapic *io = opaque;
    if (pin < 0 || pin >= IOAPIC_PINS)
        return;
    bool was = pin_asserted(io, pin);
    uint32_t bit = 1u << pin;
    if (((io->pin_level & bit) != 0) == level)
        return;
    io->pin_level = level ? io->pin_level | bit : io->pin_level & ~bit;
    if (rte_is_level(io->rte[pin])) {
        ioapic_service_level(io, pin);
    } else if (!was && pin_asserted(io, pin)) {
        if (io->rte[pin] & IOAPIC_RTE_MASK)
            io->masked_edges++;
        else
            ioapic_send(io, pin);
    }
}

struct irq_line ioapic_line(struct ioapic *io, int pin)
{
    struct irq_line l = { ioapic_set_irq, io, pin };
    return l;
}

void ioapic_eoi(void *opaque, uint8_t vector)
{
    struct ioapic *io = opaque;
    for (int n = 0; n < IOAPIC_PINS; n++) {
        if ((io->rte[n] & IOAPIC_RTE_VECTOR) != vector || !(io->rte[n] & IOAPIC_RTE_REMOTEIRR))
            continue;
        io->rte[n] &= ~IOAPIC_RTE_REMOTEIRR;
        ioapic_service_level(io, n);
    }
}

uint32_t ioapic_reg_read(struct ioapic *io, uint8_t index)
{
    switch (index) {
    case IOAPIC_REG_ID:
    case IOAPIC_REG_ARB:   /* the arbitration ID is loaded from the ID and never rotates here */
        return (uint32_t)io->id << 24;
    case IOAPIC_REG_VER:
        return (uint32_t)(IOAPIC_PINS - 1) << 16 | IOAPIC_VERSION;
    default:
        break;
    }
    if (index >= IOAPIC_REG_RTE && index < IOAPIC_REG_RTE + 2 * IOAPIC_PINS) {
        uint64_t rte = io->rte[(index - IOAPIC_REG_RTE) / 2];
        return (uint32_t)(index & 1 ? rte >> 32 : rte);
    }
    return 0;
}

void ioapic_reg_write(struct ioapic *io, uint8_t index, uint32_t value)
{
    if (index == IOAPIC_REG_ID) {
        io->id = (value >> 24) & 0xF;
        return;
    }
    if (index < IOAPIC_REG_RTE || index >= IOAPIC_REG_RTE + 2 * IOAPIC_PINS) {
        io->ignored++;     /* version, arbitration (read-only) and reserved registers */
        return;
    }
    int pin = (index - IOAPIC_REG_RTE) / 2;
    uint64_t rte = io->rte[pin];
    if (index & 1) {
        rte = (rte & ~(RTE_RW_HIGH << 32)) | ((uint64_t)value & RTE_RW_HIGH) << 32;
    } else {
        rte = (rte & ~RTE_RW_LOW) | (value & RTE_RW_LOW);
        /* Remote IRR is undefined for edge entries; clearing it on a switch to edge is what
         * chipsets do and what OSes use to recover a stuck level entry without an EOI register. */
        if (!(rte & IOAPIC_RTE_LEVEL))
            rte &= ~IOAPIC_RTE_REMOTEIRR;
    }
    io->rte[pin] = rte;
    ioapic_service_level(io, pin);   /* unmasking an asserted level entry sends */
}

uint64_t ioapic_mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    struct ioapic *io = opaque;
    if (offset == IOAPIC_IOREGSEL)
        return io->regsel;
    if (offset >= IOAPIC_IOWIN && offset < IOAPIC_IOWIN + 4) {
        uint64_t v = ioapic_reg_read(io, io->regsel) >> (8 * (offset - IOAPIC_IOWIN));
        return size >= 4 ? v : v & ((1ull << (8 * size)) - 1);
    }
    return 0;
}

void ioapic_mmio_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct ioapic *io = opaque;
    if (offset == IOAPIC_IOREGSEL)
        io->regsel = (uint8_t)value;
    else if (offset == IOAPIC_IOWIN && size >= 4)
        ioapic_reg_write(io, io->regsel, (uint32_t)value);
    else if (offset == IOAPIC_EOIR)
        ioapic_eoi(io, (uint8_t)value);
    else
        io->ignored++;
}

static const struct bus_ops ioapic_ops = { ioapic_mmio_read, ioapic_mmio_write };

int ioapic_map(struct ioapic *io, struct bus *b, uint64_t base)
{
    return bus_map_mmio(b, base, IOAPIC_SIZE, &ioapic_ops, io, "ioapic");
}
