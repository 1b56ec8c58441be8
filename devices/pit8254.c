/* pit8254.c — Intel 8254 PIT on virtual time (see pit8254.h for the invariants).
 *
 * Control word (port 0x43; 8254 datasheet, "Control Word Format"): SC1 SC0 RW1 RW0 M2 M1 M0 BCD.
 * SC=11 is the read-back command (D5 = /COUNT, D4 = /STATUS, D3-D1 = counters 2-0); RW=00 is
 * the counter latch command. Modes 6 and 7 are modes 2 and 3. Status byte: OUTPUT, NULL COUNT,
 * then the control word's RW1-BCD bits.
 *
 * Counting (datasheet, "Mode Definitions"): a count written at tick g is loaded into CE at tick
 * g+1 (that CLK pulse does not decrement) and CE decrements on each later pulse, so with e =
 * ticks since loading and N the count (0 = 2^16, or 10^4 in BCD):
 *   mode 0  CE = N - e (wrapping), OUT low until e = N, then high
 *   mode 1  like mode 0 but started by a GATE rising edge, OUT high before it
 *   mode 2  CE = N - (e mod N), OUT low only while CE = 1 (a count of 1 is illegal: OUT stays low)
 *   mode 3  CE counts down by 2 from N (N-1 if odd), OUT high for ceil(N/2) ticks, low for floor
 *   mode 4  CE = N - e, OUT low for the one tick at e = N
 *   mode 5  like mode 4 but started by a GATE rising edge
 * GATE (datasheet "Gate Pin Operations Summary"): modes 0, 4 low = counting suspended; modes 2, 3
 * low = counting stopped and OUT high, rising edge = reload; modes 1, 5 rising edge = trigger.
 */
#include "devices/pit8254.h"

#include <string.h>

#include "sim/bus.h"

#define NEVER UINT64_MAX
#define REFRESH_TICKS 18        /* port 0x61 bit 4 toggles every 18 CLK periods (~15.09 us) */

uint64_t pit_ticks_at(uint64_t ps)
{
    return (uint64_t)((unsigned __int128)ps * PIT_HZ / PS_PER_S);
}

uint64_t pit_tick_time(uint64_t g)
{
    return (uint64_t)(((unsigned __int128)g * PS_PER_S + PIT_HZ - 1) / PIT_HZ);
}

/* ---------------------------------------------------------------- count arithmetic */

static uint32_t modulus(const struct pit_counter *c) { return c->bcd ? 10000 : 65536; }

static uint16_t bcd_to_bin(uint16_t v)
{
    return (uint16_t)((v >> 12) * 1000 + ((v >> 8) & 15) * 100 + ((v >> 4) & 15) * 10 + (v & 15));
}

static uint16_t bin_to_bcd(uint32_t v)
{
    return (uint16_t)((v / 1000 % 10) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | v % 10);
}

/* Effective count of a count-register value: 1..M (a written 0 is the maximum count). */
static uint32_t count_of(const struct pit_counter *c, uint16_t raw)
{
    uint32_t n = c->bcd ? bcd_to_bin(raw) % 10000u : raw;
    return n ? n : modulus(c);
}

static uint32_t half1(uint32_t nn) { return (nn + 1) / 2; }   /* mode 3 high half */

/* Apply a mode 2/3 count that was written during counting once its cycle boundary is reached. */
static void sync(struct pit_counter *c, uint64_t g)
{
    if (c->pend && g >= c->g_pend) {
        c->g0 = c->g0_pend;
        c->nn = c->nn_pend;
        c->pend = false;
    }
}

/* CE value (binary, 0..M-1) at tick g. */
static uint32_t ce_at(const struct pit_counter *c, uint64_t g)
{
    uint32_t m = modulus(c);
    int64_t e;
    switch (c->state) {
    case PIT_GATED:
        if (c->mode == 2 || c->mode == 3)
            return c->ce_hold;
        e = c->e_gated;
        break;
    case PIT_COUNT:
        e = (int64_t)g - c->g0;
        if (e < 0)
            return c->ce_hold;
        break;
    default:
        return c->ce_hold;
    }
    uint32_t p, start;
    switch (c->mode) {
    case 2:
        return (c->nn - (uint32_t)(e % c->nn)) % m;
    case 3:
        p = (uint32_t)(e % c->nn);
        start = c->nn & 1 ? c->nn - 1 : c->nn;
        return (start - 2 * (p < half1(c->nn) ? p : p - half1(c->nn))) % m;
    default:        /* 0, 1, 4, 5: decrement and wrap */
        return (uint32_t)(((int64_t)c->nn - e % m + m) % m);
    }
}

/* OUT level at tick g. */
static bool out_at(const struct pit_counter *c, uint64_t g)
{
    int64_t e;
    switch (c->state) {
    case PIT_IDLE:
        return c->mode != 0;
    case PIT_WAIT:
        return true;
    case PIT_GATED:
        e = c->e_gated;
        break;
    default:
        e = (int64_t)g - c->g0;
        if (e < 0)
            return c->mode != 0;
        break;
    }
    switch (c->mode) {
    case 0: case 1:
        return e >= c->nn;
    case 4: case 5:
        return e != c->nn;
    case 2:
        return c->state == PIT_GATED || (c->nn > 1 && e % c->nn != c->nn - 1);
    default:
        return c->state == PIT_GATED || (uint32_t)(e % c->nn) < half1(c->nn);
    }
}

/* First tick after g at which OUT changes, or NEVER. */
static uint64_t next_change(const struct pit_counter *c, uint64_t g)
{
    if (c->state != PIT_COUNT)
        return NEVER;
    int64_t e = (int64_t)g - c->g0;
    uint64_t nx = NEVER;
    if (e < 0 && out_at(c, (uint64_t)c->g0) != out_at(c, g)) {
        nx = (uint64_t)c->g0;
    } else {
        if (e < 0) {
            g = (uint64_t)c->g0;
            e = 0;
        }
        uint32_t p, nn = c->nn;
        switch (c->mode) {
        case 0: case 1:
            nx = e < nn ? (uint64_t)c->g0 + nn : NEVER;
            break;
        case 4: case 5:
            nx = e < nn ? (uint64_t)c->g0 + nn : e == nn ? (uint64_t)c->g0 + nn + 1 : NEVER;
            break;
        case 2:
            p = (uint32_t)(e % nn);
            nx = nn == 1 ? NEVER : p < nn - 1 ? g + (nn - 1 - p) : g + 1;
            break;
        default:
            p = (uint32_t)(e % nn);
            nx = nn == half1(nn) ? NEVER : p < half1(nn) ? g + (half1(nn) - p) : g + (nn - p);
            break;
        }
    }
    return c->pend && c->g_pend < nx ? c->g_pend : nx;
}

/* ---------------------------------------------------------------- OUT to the IRQ line */

static uint64_t now_tick(const struct pit_counter *c) { return pit_ticks_at(c->pit->q->now); }

/* Drive the line to OUT's current level and queue the event for OUT's next change. */
static void out_update(struct pit_counter *c)
{
    if (!c->irq.set)
        return;
    uint64_t g = now_tick(c);
    sync(c, g);
    bool lvl = out_at(c, g);
    if (lvl != c->out) {
        c->out = lvl;
        irq_set(&c->irq, lvl);
    }
    uint64_t nx = next_change(c, g);
    if (nx == NEVER)
        evq_cancel(c->pit->q, &c->ev);
    else
        evq_schedule(c->pit->q, &c->ev, pit_tick_time(nx));
}

static void out_event(void *opaque, uint64_t now_ps)
{
    (void)now_ps;
    out_update(opaque);
}

bool pit8254_out(struct pit8254 *p, int n)
{
    if (n < 0 || n > 2)
        return false;
    struct pit_counter *c = &p->c[n];
    uint64_t g = now_tick(c);
    sync(c, g);
    return out_at(c, g);
}

/* ---------------------------------------------------------------- control word */

static void latch_count(struct pit_counter *c, uint64_t g)
{
    if (c->ol_bytes)            /* a latched count is held until read */
        return;
    uint32_t v = ce_at(c, g);
    c->ol = c->bcd ? bin_to_bcd(v) : (uint16_t)v;
    c->ol_bytes = c->rw == 3 || c->rw == 0 ? 2 : 1;
    c->ol_msb_next = c->rw == 2;
}

static void latch_status(struct pit_counter *c, uint64_t g)
{
    if (c->status_latched)
        return;
    c->status = (uint8_t)(out_at(c, g) << 7 | (g < c->null_until) << 6 | c->ctrl);
    c->status_latched = true;
}

static void control_word(struct pit8254 *p, uint8_t v)
{
    uint64_t g = pit_ticks_at(p->q->now);
    int sc = v >> 6, rw = (v >> 4) & 3;
    if (sc == 3) {                                  /* read-back */
        for (int n = 0; n < 3; n++) {
            if (!(v & (2 << n)))
                continue;
            sync(&p->c[n], g);
            if (!(v & 0x20))
                latch_count(&p->c[n], g);
            if (!(v & 0x10))
                latch_status(&p->c[n], g);
        }
        return;
    }
    struct pit_counter *c = &p->c[sc];
    sync(c, g);
    if (rw == 0) {
        latch_count(c, g);
        return;
    }
    c->ce_hold = (uint16_t)ce_at(c, g);             /* control logic reset: counting stops */
    c->ctrl = v & 0x3F;
    c->mode = (v >> 1) & 7;
    if (c->mode > 5)
        c->mode -= 4;
    c->bcd = v & 1;
    c->rw = (uint8_t)rw;
    c->state = PIT_IDLE;
    c->pend = false;
    c->null_until = NEVER;
    c->write_msb = c->read_msb = false;
    c->ol_bytes = 0;
    c->status_latched = false;
    out_update(c);
}

/* ---------------------------------------------------------------- count writes, GATE */

static void start(struct pit_counter *c, uint64_t g, uint32_t nn)
{
    c->state = PIT_COUNT;
    c->g0 = (int64_t)g + 1;
    c->nn = nn;
    c->pend = false;
    if (c->null_until > g + 1)
        c->null_until = g + 1;
}

/* A complete new count in CR (datasheet, per-mode "new count" behaviour). */
static void count_written(struct pit_counter *c, uint16_t raw)
{
    uint64_t g = now_tick(c);
    sync(c, g);
    c->cr = raw;
    uint32_t n = count_of(c, raw);
    c->null_until = NEVER;
    switch (c->mode) {
    case 0: case 4:                     /* loaded on the next CLK pulse, restarting */
        if (c->gate) {
            start(c, g, n);
        } else {
            c->state = PIT_GATED;       /* loaded at g+1, counts once GATE rises */
            c->g0 = (int64_t)g + 1;
            c->nn = n;
            c->e_gated = 0;
            c->null_until = g + 1;
        }
        break;
    case 1: case 5:                     /* takes effect at the next trigger */
        if (c->state == PIT_IDLE)
            c->state = PIT_WAIT;
        break;
    default:                            /* 2, 3 */
        if (c->state != PIT_COUNT) {
            if (c->gate)
                start(c, g, n);
            else
                c->state = PIT_GATED;   /* loaded when GATE rises */
        } else if ((int64_t)g < c->g0) {
            c->nn = n;                  /* previous count not loaded yet */
            c->null_until = (uint64_t)c->g0;
        } else {                        /* end of the current cycle (mode 2) / half (mode 3) */
            int64_t e = (int64_t)g - c->g0;
            uint32_t ph = (uint32_t)(e % c->nn);
            c->pend = true;
            c->nn_pend = n;
            if (c->mode == 2) {
                c->g_pend = g + (c->nn - ph);
                c->g0_pend = (int64_t)c->g_pend;
            } else if (ph < half1(c->nn)) {     /* new count starts in its low half */
                c->g_pend = g + (half1(c->nn) - ph);
                c->g0_pend = (int64_t)c->g_pend - half1(n);
            } else {
                c->g_pend = g + (c->nn - ph);
                c->g0_pend = (int64_t)c->g_pend;
            }
            c->null_until = c->g_pend;
        }
        break;
    }
    out_update(c);
}

static void count_write(struct pit_counter *c, uint8_t v)
{
    switch (c->rw) {
    case 1:
        count_written(c, v);
        return;
    case 2:
        count_written(c, (uint16_t)(v << 8));
        return;
    default:
        if (c->write_msb) {
            c->write_msb = false;
            count_written(c, (uint16_t)(c->cr_lsb | v << 8));
            return;
        }
        c->cr_lsb = v;
        c->write_msb = true;
        if (c->mode == 0) {             /* the first byte stops counting, OUT low at once */
            uint64_t g = now_tick(c);
            sync(c, g);
            c->ce_hold = (uint16_t)ce_at(c, g);
            c->state = PIT_IDLE;
            out_update(c);
        }
        return;
    }
}

void pit8254_set_gate(struct pit8254 *p, int n, bool level)
{
    if (n < 0 || n > 2)
        return;
    struct pit_counter *c = &p->c[n];
    if (c->gate == level)
        return;
    uint64_t g = pit_ticks_at(p->q->now);
    sync(c, g);
    c->gate = level;
    switch (c->mode) {
    case 0: case 4:
        if (!level && c->state == PIT_COUNT) {
            int64_t e = (int64_t)g - c->g0;
            c->e_gated = e < 0 ? 0 : e;
            c->state = PIT_GATED;
        } else if (level && c->state == PIT_GATED) {
            /* pulses after tick g count again; never before the load pulse itself */
            int64_t g0 = (int64_t)g - c->e_gated;
            c->state = PIT_COUNT;
            c->g0 = g0 > c->g0 ? g0 : c->g0;
        }
        break;
    case 1: case 5:
        if (level && c->state != PIT_IDLE)
            start(c, g, count_of(c, c->cr));
        break;
    default:
        if (!level && c->state == PIT_COUNT) {
            c->ce_hold = (uint16_t)ce_at(c, g);
            c->state = PIT_GATED;
            if (c->pend)
                c->null_until = NEVER;
            c->pend = false;
        } else if (level && c->state == PIT_GATED) {
            start(c, g, count_of(c, c->cr));
        }
        break;
    }
    out_update(c);
}

/* ---------------------------------------------------------------- register access */

uint8_t pit8254_read(struct pit8254 *p, int port)
{
    if (port == 3)              /* the control word register cannot be read */
        return 0xFF;
    struct pit_counter *c = &p->c[port & 3];
    if (c->status_latched) {
        c->status_latched = false;
        return c->status;
    }
    if (c->ol_bytes) {
        uint8_t b = (uint8_t)(c->ol_msb_next ? c->ol >> 8 : c->ol);
        c->ol_msb_next = !c->ol_msb_next;
        c->ol_bytes--;
        return b;
    }
    uint64_t g = now_tick(c);
    sync(c, g);
    uint32_t v = ce_at(c, g);
    uint16_t w = c->bcd ? bin_to_bcd(v) : (uint16_t)v;
    bool msb = c->rw == 2 || ((c->rw == 3 || c->rw == 0) && c->read_msb);
    if (c->rw == 3 || c->rw == 0)
        c->read_msb = !c->read_msb;
    return (uint8_t)(msb ? w >> 8 : w);
}

void pit8254_write(struct pit8254 *p, int port, uint8_t v)
{
    if (port == 3)
        control_word(p, v);
    else
        count_write(&p->c[port & 3], v);
}

uint8_t pit8254_port61_read(struct pit8254 *p)
{
    uint64_t g = pit_ticks_at(p->q->now);
    return (uint8_t)((p->port61 & 0x0F) | ((g / REFRESH_TICKS) & 1) << 4 |
                     pit8254_out(p, 2) << 5);
}

void pit8254_port61_write(struct pit8254 *p, uint8_t v)
{
    p->port61 = v & 0x0F;
    pit8254_set_gate(p, 2, v & 1);
}

static uint64_t pit_rd(void *o, uint64_t off, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)     /* ISA byte lanes, as for the PIC */
        v |= (uint64_t)(off + i < 4 ? pit8254_read(o, (int)(off + i)) : 0xFF) << (8 * i);
    return v;
}

static void pit_wr(void *o, uint64_t off, uint64_t v, unsigned size)
{
    for (unsigned i = 0; i < size; i++)
        if (off + i < 4)
            pit8254_write(o, (int)(off + i), (uint8_t)(v >> (8 * i)));
}

static uint64_t p61_rd(void *o, uint64_t off, unsigned size)
{
    (void)off;
    uint64_t v = pit8254_port61_read(o);
    return size > 1 ? v | (~0ull << 8 & (size == 2 ? 0xFFFF : 0xFFFFFFFF)) : v;
}

static void p61_wr(void *o, uint64_t off, uint64_t v, unsigned size)
{
    (void)off;
    (void)size;
    pit8254_port61_write(o, (uint8_t)v);
}

static const struct bus_ops pit_ops = { pit_rd, pit_wr };
static const struct bus_ops p61_ops = { p61_rd, p61_wr };

void pit8254_init(struct pit8254 *p, struct evq *q)
{
    memset(p, 0, sizeof(*p));
    p->q = q;
    for (int n = 0; n < 3; n++) {
        struct pit_counter *c = &p->c[n];
        c->pit = p;
        c->gate = n != 2;
        c->nn = 65536;
        c->null_until = NEVER;
        event_init(&c->ev, out_event, c, "pit-out");
    }
}

void pit8254_connect(struct pit8254 *p, int n, struct irq_line line)
{
    struct pit_counter *c = &p->c[n];
    c->irq = line;
    c->out = out_at(c, pit_ticks_at(p->q->now));
    irq_set(&c->irq, c->out);
    out_update(c);
}

int pit8254_map(struct pit8254 *p, struct bus *b)
{
    if (bus_map_pio(b, 0x40, 4, &pit_ops, p, "pit") || bus_map_pio(b, 0x61, 1, &p61_ops, p, "port61"))
        return -1;
    return 0;
}
