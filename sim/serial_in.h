/* serial_in.h — COM1's input line: bytes from a file, from the host live (recorded in the replay
 * log) or from a replay log, delivered to the UART's receiver at deterministic virtual times
 * (docs/USER-GUIDE.md "Serial input", docs/SERIAL-LOG.md).
 *
 * Two stages:
 *  1. Arrivals: bytes enter the line's send queue at a virtual time. A file arrives whole at
 *     time 0; live bytes arrive at the virtual time at which the simulator took them from the
 *     host (it polls between scheduler rounds, and blocks when the machine has nothing else to
 *     do), and each arrival is written to the log; a replay re-creates the logged arrivals at
 *     their logged times.
 *  2. The line: once the guest has opened the port (asserted DTR or RTS in MCR), queued bytes
 *     are sent one per character time, 10 bits at 115200 / divisor baud (divisor 0 counts as 1),
 *     each completing in the receiver one character time after its slot starts. A character that
 *     completes while the receiver has no room (uart16550_rx_room) waits: nothing is ever lost;
 *     when room appears the next character starts and completes one character time later.
 *
 * Invariants: only virtual time and guest-visible state decide when a byte reaches the UART,
 * so a run fed by a file or a replay log is repeatable, and a live run replays bit for bit from
 * its log. The hooks run between scheduler rounds (sim/sched.h), never per instruction; the
 * line event (rx_ev) is queued iff the line is open, bytes are queued and none is waiting.
 */
#ifndef HVSIM_SERIAL_IN_H
#define HVSIM_SERIAL_IN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "devices/uart16550.h"
#include "sim/evq.h"
#include "sim/sched.h"
#include "sim/serial_log.h"

#ifdef __cplusplus
extern "C" {
#endif

enum serial_in_mode {
    SERIAL_IN_NONE = 0,     /* no input: the line stays silent */
    SERIAL_IN_FILE,         /* a file's bytes, arriving at time 0 */
    SERIAL_IN_LIVE,         /* a host descriptor (stdin), recorded in the log */
    SERIAL_IN_REPLAY,       /* the arrivals of a replay log */
};

#define SERIAL_IN_MAX_FILE (64u << 20)   /* --serial-in FILE: larger files are refused */

struct tracer;

struct serial_in {
    enum serial_in_mode mode;
    struct uart16550 *u;
    struct evq *q;
    struct event rx_ev;        /* the character on the line completes in the receiver */
    /* bytes that arrived and wait to be sent, in order: buf[head..head+len) */
    uint8_t *buf;
    size_t head, len, cap;
    bool open;                 /* the guest asserted DTR or RTS: the line carries data */
    bool waiting;              /* a character completed with the receiver full; it waits */
    /* live input */
    int fd;                    /* host descriptor, polled between rounds */
    bool eof;                  /* the descriptor reached its end (or failed) */
    FILE *log;                 /* NULL: arrivals are not recorded */
    struct tracer *trace;      /* arrivals go to the run's trace too (traces/tracer.h), or NULL */
    bool log_error;            /* a write to the log failed (reported by the command) */
    /* replay */
    struct serial_log replay;
    size_t next;               /* the next logged arrival to re-create */
    /* statistics */
    uint64_t arrived, delivered, waits;
};

/* Set up an input line to uart u, timed on q, with no input (SERIAL_IN_NONE). */
void serial_in_init(struct serial_in *s, struct uart16550 *u, struct evq *q);
/* Choose the input. Each returns 0, or -1 with a message naming the file and the problem. */
int serial_in_use_file(struct serial_in *s, const char *path, char *err, size_t errlen);
int serial_in_use_replay(struct serial_in *s, const char *path, char *err, size_t errlen);
/* The arrivals of a log already in memory (copied; `hvsim replay` builds it from a trace). */
int serial_in_use_log(struct serial_in *s, const struct serial_log *log, char *err,
                      size_t errlen);
/* Live input from descriptor fd (not made non-blocking: it is polled); log may be NULL. The
 * log's header is written here; -1 if that write fails. */
int serial_in_use_live(struct serial_in *s, int fd, FILE *log, char *err, size_t errlen);
/* Install the between-round hooks in the scheduler (nothing for SERIAL_IN_NONE). */
void serial_in_attach(struct serial_in *s, struct sched *sch);
/* Free what s owns (not the descriptor or the log, which belong to the caller). */
void serial_in_destroy(struct serial_in *s);

/* Bytes arrive now (q->now): queue them, record them if live with a log. */
void serial_in_arrive(struct serial_in *s, const uint8_t *bytes, size_t n);
/* The between-round service: take due input, open the line, resume a waiting character. */
void serial_in_round_end(struct serial_in *s);

/* Picoseconds of one character (10 bits) at u's divisor; divisor 0 counts as 1 (115200 baud). */
uint64_t serial_in_char_ps(const struct uart16550 *u);

#ifdef __cplusplus
}
#endif
#endif
