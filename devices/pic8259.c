/* pic8259.c — Intel 8259A PIC pair with PIIX ELCR (see pic8259.h for the invariants).
 *
 * Register interface (8259A datasheet, "Programming the 8259A"):
 *  A0=0, D4=1          ICW1: D3 LTIM, D1 SNGL, D0 IC4 (D2 ADI and D7-D5 are 8080-mode only)
 *  A0=1 after ICW1     ICW2 (T7-T3), ICW3 unless SNGL, ICW4 if IC4: D4 SFNM, D3 BUF, D2 M/S,
 *                      D1 AEOI, D0 uPM
 *  A0=1 otherwise      OCW1 = IMR
 *  A0=0, D4=0, D3=0    OCW2: D7-D5 R SL EOI, D2-D0 level (table ocw2_ops below)
 *  A0=0, D4=0, D3=1    OCW3: D6 ESMM, D5 SMM, D2 P (poll), D1 RR, D0 RIS
 *  read A0=0           poll word after OCW3 P=1, else IRR or ISR (per RR/RIS); read A0=1: IMR
 * ELCR1/ELCR2 (Intel 82371AB PIIX4 datasheet, 4.1.15): bit n = 1 makes IRQ n level-triggered;
 * IRQ 0, 1, 2, 8 and 13 are always edge-triggered (their bits read 0).
 *
 * Priorities: priority_add is the line of highest priority; priority index of line n is
 * (n - priority_add) & 7, 0 = highest. Rotation makes the serviced line the lowest.
 */
#include "devices/pic8259.h"

#include <string.h>

#include "sim/bus.h"

#define MASTER 0
#define SLAVE  1
#define CASCADE_IR 2        /* master input the slave's INT is wired to */

/* ---------------------------------------------------------------- priority resolution */

/* Priority index (0 = highest) of the highest-priority bit set in mask, 8 if none. */
static int priority_of(const struct pic8259_chip *c, uint8_t mask)
{
    for (int p = 0; p < 8; p++)
        if (mask & (1u << ((p + c->priority_add) & 7)))
            return p;
    return 8;
}

/* The line this chip would deliver now, or -1: the highest-priority unmasked request that has
 * higher priority than every in-service level. In special mask mode masked levels do not
 * inhibit; in special fully nested mode the master's cascade lines do not inhibit. */
static int chip_request(const struct pic8259_chip *c, bool master)
{
    int req = priority_of(c, c->irr & ~c->imr);
    if (req == 8)
        return -1;
    uint8_t in_service = c->isr;
    if (c->special_mask)
        in_service &= ~c->imr;
    if (master && c->sfnm && !c->single)
        in_service &= ~c->icw3;
    return req < priority_of(c, in_service) ? (req + c->priority_add) & 7 : -1;
}

static bool level_triggered(const struct pic8259_chip *c, int ir)
{
    return c->ltim || (c->elcr & (1u << ir));
}

/* Drive IR input `ir` of a chip to `level` (datasheet, Figure "Priority Cell"). */
static void chip_input(struct pic8259_chip *c, int ir, bool level)
{
    uint8_t m = (uint8_t)(1u << ir);
    if (level_triggered(c, ir)) {
        c->irr = level ? c->irr | m : c->irr & ~m;
    } else if (level) {
        if (!(c->input & m))
            c->irr |= m;
    } else {
        c->irr &= ~m;
    }
    c->input = level ? c->input | m : c->input & ~m;
}

/* Recompute both INT outputs; the slave's drives the master's IR2. */
static void pic_update(struct pic8259 *p)
{
    struct pic8259_chip *s = &p->chip[SLAVE], *m = &p->chip[MASTER];
    s->int_out = chip_request(s, false) >= 0;
    chip_input(m, CASCADE_IR, s->int_out);
    m->int_out = chip_request(m, true) >= 0;
}

/* The acknowledge part of INTA (or of a poll read) for line ir: ISR set unless AEOI, IRR of an
 * edge-triggered line cleared (a level-triggered line keeps requesting while high). */
static void chip_ack(struct pic8259_chip *c, int ir)
{
    uint8_t m = (uint8_t)(1u << ir);
    if (c->auto_eoi) {
        if (c->rotate_aeoi)
            c->priority_add = (uint8_t)((ir + 1) & 7);
    } else {
        c->isr |= m;
    }
    if (!level_triggered(c, ir))
        c->irr &= ~m;
}

/* ---------------------------------------------------------------- INTA, inputs */

uint8_t pic8259_inta(struct pic8259 *p)
{
    struct pic8259_chip *m = &p->chip[MASTER], *s = &p->chip[SLAVE];
    int ir = chip_request(m, true);
    uint8_t vec;
    if (ir < 0) {                       /* request vanished: default IR7, no ISR bit */
        p->spurious[MASTER]++;
        vec = (uint8_t)(m->vector_base | 7);
    } else {
        chip_ack(m, ir);
        if (!m->single && (m->icw3 & (1u << ir))) {
            int sir = chip_request(s, false);
            if ((s->icw3 & 7) != ir) {  /* no slave answers this cascade address */
                vec = 0xFF;
            } else if (sir < 0) {       /* slave's request vanished: its IR7 (IRQ 15) */
                p->spurious[SLAVE]++;
                vec = (uint8_t)(s->vector_base | 7);
            } else {
                chip_ack(s, sir);
                vec = (uint8_t)(s->vector_base | sir);
            }
        } else {
            vec = (uint8_t)(m->vector_base | ir);
        }
    }
    pic_update(p);
    return vec;
}

bool pic8259_pending(struct pic8259 *p) { return p->chip[MASTER].int_out; }

static bool src_pending(void *o) { return pic8259_pending(o); }
static uint8_t src_ack(void *o) { return pic8259_inta(o); }

struct irq_source pic8259_irq_source(struct pic8259 *p)
{
    struct irq_source s = { src_pending, src_ack, p };
    return s;
}

void pic8259_set_irq(void *opaque, int line, bool level)
{
    struct pic8259 *p = opaque;
    if (line < 0 || line > 15 || line == CASCADE_IR) {
        p->ignored++;
        return;
    }
    chip_input(&p->chip[line >> 3], line & 7, level);
    pic_update(p);
}

struct irq_line pic8259_line(struct pic8259 *p, int line)
{
    struct irq_line l = { pic8259_set_irq, p, line };
    return l;
}

/* ---------------------------------------------------------------- command words */

/* ICW1 (datasheet "Initialization Command Words"): IMR cleared, IR7 lowest priority, special
 * mask mode off, status read = IRR, edge-sense latches reset (an edge line needs a new
 * low-to-high transition), ICW4 functions zero unless IC4. */
static void icw1(struct pic8259_chip *c, uint8_t v)
{
    c->ltim = v & 0x08;
    c->single = v & 0x02;
    c->icw4_needed = v & 0x01;
    c->imr = 0;
    c->isr = 0;
    c->priority_add = 0;
    c->special_mask = false;
    c->read_isr = false;
    c->poll = false;
    c->auto_eoi = c->rotate_aeoi = c->sfnm = c->upm = false;
    c->irr = 0;
    for (int ir = 0; ir < 8; ir++)          /* level lines request as long as they are high */
        if (level_triggered(c, ir) && (c->input & (1u << ir)))
            c->irr |= (uint8_t)(1u << ir);
    c->init_step = 2;
}

static void icw_data(struct pic8259 *p, struct pic8259_chip *c, uint8_t v)
{
    switch (c->init_step) {
    case 2:
        c->vector_base = v & 0xF8;
        c->init_step = !c->single ? 3 : c->icw4_needed ? 4 : 0;
        break;
    case 3:
        c->icw3 = v;
        c->init_step = c->icw4_needed ? 4 : 0;
        break;
    default:
        c->upm = v & 0x01;
        c->auto_eoi = v & 0x02;
        c->sfnm = v & 0x10;
        if (!c->upm)            /* 8080/8085 CALL format has no meaning on x86: 8086 vectors */
            p->ignored++;
        c->init_step = 0;
        break;
    }
}

/* OCW2 commands by R SL EOI (datasheet, OCW2 table). */
enum { OCW2_ROT_AEOI_CLR, OCW2_NS_EOI, OCW2_NOP, OCW2_S_EOI, OCW2_ROT_AEOI_SET, OCW2_ROT_NS_EOI,
       OCW2_SET_PRIO, OCW2_ROT_S_EOI };

static void ocw2(struct pic8259 *p, struct pic8259_chip *c, uint8_t v)
{
    int level = v & 7, cmd = v >> 5;
    if (cmd == OCW2_NS_EOI || cmd == OCW2_ROT_NS_EOI) {
        /* the highest-priority in-service level, whatever the special mask */
        int pr = priority_of(c, c->isr);
        if (pr == 8)
            return;
        level = (pr + c->priority_add) & 7;
    }
    switch (cmd) {
    case OCW2_ROT_AEOI_CLR: c->rotate_aeoi = false; break;
    case OCW2_ROT_AEOI_SET: c->rotate_aeoi = true; break;
    case OCW2_NOP: p->ignored++; break;
    case OCW2_SET_PRIO: c->priority_add = (uint8_t)((level + 1) & 7); break;
    default:
        c->isr &= (uint8_t)~(1u << level);
        if (cmd == OCW2_ROT_NS_EOI || cmd == OCW2_ROT_S_EOI)
            c->priority_add = (uint8_t)((level + 1) & 7);
        break;
    }
}

static void ocw3(struct pic8259_chip *c, uint8_t v)
{
    if (v & 0x40)
        c->special_mask = v & 0x20;
    if (v & 0x02)
        c->read_isr = v & 0x01;
    c->poll = v & 0x04;
}

void pic8259_write(struct pic8259 *p, int chip, int a0, uint8_t v)
{
    struct pic8259_chip *c = &p->chip[chip & 1];
    if (!a0 && (v & 0x10))
        icw1(c, v);
    else if (a0 && c->init_step)
        icw_data(p, c, v);
    else if (a0)
        c->imr = v;
    else if (v & 0x08)
        ocw3(c, v);
    else
        ocw2(p, c, v);
    pic_update(p);
}

/* Poll read (datasheet "The Poll Command"): acts as an INTA on this chip; I (bit 7) set and
 * W2-W0 = the level if a request was pending. */
static uint8_t poll_read(struct pic8259 *p, struct pic8259_chip *c, bool master)
{
    c->poll = false;
    int ir = chip_request(c, master);
    if (ir < 0)
        return 0;
    chip_ack(c, ir);
    pic_update(p);
    return (uint8_t)(0x80 | ir);
}

uint8_t pic8259_read(struct pic8259 *p, int chip, int a0)
{
    struct pic8259_chip *c = &p->chip[chip & 1];
    if (c->poll)
        return poll_read(p, c, (chip & 1) == MASTER);
    if (a0)
        return c->imr;
    return c->read_isr ? c->isr : c->irr;
}

/* ---------------------------------------------------------------- ports, init */

/* Byte lanes: a 16- or 32-bit access is split into byte accesses at consecutive ports, as the
 * ISA bus does; bytes beyond the region read as all ones. */
static uint64_t pic_port_read(void *o, uint64_t off, unsigned size, int chip)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        uint64_t b = off + i < 2 ? pic8259_read(o, chip, (int)(off + i)) : 0xFF;
        v |= b << (8 * i);
    }
    return v;
}

static void pic_port_write(void *o, uint64_t off, uint64_t v, unsigned size, int chip)
{
    for (unsigned i = 0; i < size; i++)
        if (off + i < 2)
            pic8259_write(o, chip, (int)(off + i), (uint8_t)(v >> (8 * i)));
}

static uint64_t master_rd(void *o, uint64_t off, unsigned size) { return pic_port_read(o, off, size, MASTER); }
static uint64_t slave_rd(void *o, uint64_t off, unsigned size) { return pic_port_read(o, off, size, SLAVE); }
static void master_wr(void *o, uint64_t off, uint64_t v, unsigned size) { pic_port_write(o, off, v, size, MASTER); }
static void slave_wr(void *o, uint64_t off, uint64_t v, unsigned size) { pic_port_write(o, off, v, size, SLAVE); }

static uint64_t elcr_rd(void *o, uint64_t off, unsigned size)
{
    struct pic8259 *p = o;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)(off + i < 2 ? p->chip[off + i].elcr : 0xFF) << (8 * i);
    return v;
}

static void elcr_wr(void *o, uint64_t off, uint64_t v, unsigned size)
{
    struct pic8259 *p = o;
    for (unsigned i = 0; i < size; i++) {
        if (off + i >= 2)
            continue;
        struct pic8259_chip *c = &p->chip[off + i];
        c->elcr = (uint8_t)(v >> (8 * i)) & c->elcr_mask;
        for (int ir = 0; ir < 8; ir++)      /* a line now level-triggered requests while high */
            if (level_triggered(c, ir))
                chip_input(c, ir, c->input & (1u << ir));
    }
    pic_update(p);
}

static const struct bus_ops master_ops = { master_rd, master_wr };
static const struct bus_ops slave_ops = { slave_rd, slave_wr };
static const struct bus_ops elcr_ops = { elcr_rd, elcr_wr };

void pic8259_init(struct pic8259 *p)
{
    memset(p, 0, sizeof(*p));
    p->chip[MASTER].elcr_mask = 0xF8;       /* IRQ 0, 1, 2 edge only */
    p->chip[SLAVE].elcr_mask = 0xDE;        /* IRQ 8, 13 edge only */
}

int pic8259_map(struct pic8259 *p, struct bus *b)
{
    if (bus_map_pio(b, 0x20, 2, &master_ops, p, "pic-master") ||
        bus_map_pio(b, 0xA0, 2, &slave_ops, p, "pic-slave") ||
        bus_map_pio(b, 0x4D0, 2, &elcr_ops, p, "pic-elcr"))
        return -1;
    return 0;
}
