/* pit8254.h — the PC's Intel 8254 programmable interval timer at ports 0x40-0x43 (counters 0-2
 * and the control word register), input clock 1.193182 MHz, with the timer-related bits of PC
 * System Control Port B at 0x61 (bit 0 counter 2 GATE, bit 1 speaker data enable, bit 4
 * refresh toggle, bit 5 counter 2 OUT). Counter 0's OUT drives IRQ 0. See docs/DEVICES.md,
 * "8254 PIT".
 *
 * Invariants:
 *  - Nothing ticks: the CLK input is a grid of global ticks, tick g at ceil(g * 1e12 / f) ps, and
 *    every counter value and OUT level is a function of the tick count derived from the event
 *    queue's virtual time (q->now) and the state left by the last register write or gate change.
 *  - A counter with an IRQ line connected has at most one queued event, at the next tick where
 *    its OUT changes; when it fires, the line is driven to the OUT level of that moment.
 *    Counters without a line (1 and 2) never schedule events.
 */
#ifndef HVSIM_PIT8254_H
#define HVSIM_PIT8254_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/irq.h"
#include "sim/evq.h"

#ifdef __cplusplus
extern "C" {
#endif

struct bus;

#define PIT_HZ 1193182ull

/* How a counter's CE evolves from the last state change (see pit8254.c). */
enum pit_state {
    PIT_IDLE,       /* no count loaded since the control word: CE holds ce_hold, OUT initial */
    PIT_WAIT,       /* modes 1, 5: count written, waiting for a GATE trigger */
    PIT_COUNT,      /* counting sequence: CE loaded with nn at tick g0 */
    PIT_GATED,      /* GATE low stopped counting: modes 0/4 at elapsed e_gated, 2/3 at ce_hold */
};

struct pit_counter {
    uint8_t ctrl;           /* RW1 RW0 M2 M1 M0 BCD as last written (read-back status) */
    uint8_t mode;           /* 0-5 */
    uint8_t rw;             /* 1 LSB, 2 MSB, 3 LSB then MSB */
    bool bcd;
    bool gate;
    uint16_t cr;            /* count register (as written, BCD digits if bcd) */
    uint8_t cr_lsb;         /* first byte of an LSB-then-MSB write */
    bool write_msb;         /* write flip-flop: next byte is the MSB */
    bool read_msb;          /* read flip-flop */
    enum pit_state state;
    int64_t g0;             /* tick at which CE was (or will be) loaded (mode 3 may start a
                             * sequence in its low half: then g0 is where it would have begun) */
    uint32_t nn;            /* effective count 1..65536 (or 10000 in BCD) */
    int64_t e_gated;        /* elapsed ticks when GATE stopped mode 0/4 */
    uint16_t ce_hold;       /* CE value while not counting (binary) */
    bool pend;              /* modes 2/3: a new count takes effect at tick g_pend */
    uint64_t g_pend;
    int64_t g0_pend;
    uint32_t nn_pend;
    uint64_t null_until;    /* null count bit is 1 while tick < null_until */
    uint16_t ol;            /* output latch */
    uint8_t ol_bytes;       /* latched count bytes left to read (0 = not latched) */
    bool ol_msb_next;
    bool status_latched;
    uint8_t status;
    bool out;               /* level last driven on `irq` */
    struct irq_line irq;    /* counter 0: IRQ 0 */
    struct event ev;
    struct pit8254 *pit;
};

struct pit8254 {
    struct pit_counter c[3];
    struct evq *q;
    uint8_t port61;         /* bits 0-3 as written */
};

/* Power-on state: all counters idle with OUT low, GATE high for counters 0 and 1, low for 2
 * (port 0x61 = 0). */
void pit8254_init(struct pit8254 *p, struct evq *q);
/* Map ports 0x40-0x43 and 0x61. Returns 0, or -1 if a port is taken. */
int pit8254_map(struct pit8254 *p, struct bus *b);
/* Connect counter n's OUT to an interrupt line (counter 0 to IRQ 0). */
void pit8254_connect(struct pit8254 *p, int n, struct irq_line line);

/* Register access as through the ports: port 0-3 = 0x40-0x43. */
uint8_t pit8254_read(struct pit8254 *p, int port);
void pit8254_write(struct pit8254 *p, int port, uint8_t v);
uint8_t pit8254_port61_read(struct pit8254 *p);
void pit8254_port61_write(struct pit8254 *p, uint8_t v);

/* GATE input of counter n (0-2; others ignored), and its OUT level now. */
void pit8254_set_gate(struct pit8254 *p, int n, bool level);
bool pit8254_out(struct pit8254 *p, int n);

/* The CLK grid: ticks elapsed by time t, and the time of tick g. */
uint64_t pit_ticks_at(uint64_t ps);
uint64_t pit_tick_time(uint64_t g);

#ifdef __cplusplus
}
#endif
#endif
