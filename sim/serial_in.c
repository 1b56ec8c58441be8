/* serial_in.c — COM1's input line (see serial_in.h for the model and its invariants).
 *
 * The line is a sender that honours flow control: it starts a character only while the guest
 * has the port open (MCR.DTR or MCR.RTS, PC16550D 8.7), completes it in the receiver one
 * character time later, and holds it if the receiver has no room (uart16550_rx_room), as a
 * terminal does with RTS/CTS. Arrivals and the line are separate so that a replay, which only
 * re-creates arrivals, drives the very same line.
 */
#include "sim/serial_in.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "traces/tracer.h"

#define LIVE_CHUNK 4096            /* bytes taken from the host per poll */

uint64_t serial_in_char_ps(const struct uart16550 *u)
{
    uint64_t div = (uint64_t)u->dll | (uint64_t)u->dlm << 8;
    if (div == 0)
        div = 1;    /* unprogrammed divisor (undefined on the chip): the fastest rate */
    return 10 * div * PS_PER_S / UART_CLOCK_BAUD;
}

/* Append n bytes to the send queue (compacting it first). 0, or -1 when out of memory. */
static int queue_push(struct serial_in *s, const uint8_t *bytes, size_t n)
{
    if (s->head && s->head + s->len + n > s->cap) {
        memmove(s->buf, s->buf + s->head, s->len);
        s->head = 0;
    }
    if (s->len + n > s->cap) {
        size_t c = s->cap ? s->cap : 4096;
        while (c < s->len + n) {
            if (c > SIZE_MAX / 2)
                return -1;
            c *= 2;
        }
        uint8_t *b = realloc(s->buf, c);
        if (!b)
            return -1;
        s->buf = b;
        s->cap = c;
    }
    memcpy(s->buf + s->head + s->len, bytes, n);
    s->len += n;
    return 0;
}

/* Start the next character if the line is free: it completes one character time from now. */
static void line_kick(struct serial_in *s)
{
    if (s->open && s->len && !s->waiting && !s->rx_ev.queued)
        evq_schedule(s->q, &s->rx_ev, s->q->now + serial_in_char_ps(s->u));
}

/* The character on the line completes: into the receiver, or it waits for room. */
static void line_complete(void *opaque, uint64_t now_ps)
{
    struct serial_in *s = opaque;
    (void)now_ps;
    if (!s->len)
        return;
    if (!uart16550_rx_room(s->u)) {
        s->waiting = true;
        s->waits++;
        return;
    }
    uart16550_rx(s->u, s->buf[s->head]);
    s->head++;
    s->len--;
    s->delivered++;
    line_kick(s);
}

/* Open the line once the guest asserts DTR or RTS; resume a waiting character when the
 * receiver has room again. */
static void line_service(struct serial_in *s)
{
    if (!s->open && (s->u->mcr & (UART_MCR_DTR | UART_MCR_RTS)))
        s->open = true;
    if (s->waiting && uart16550_rx_room(s->u))
        s->waiting = false;
    line_kick(s);
}

void serial_in_arrive(struct serial_in *s, const uint8_t *bytes, size_t n)
{
    if (!n)
        return;
    if (s->log && serial_log_write_arrival(s->log, s->q->now, bytes, n))
        s->log_error = true;
    for (size_t k = 0; s->trace && k < n; k++)
        tracer_input_serial(s->trace, 0, bytes[k]);
    if (queue_push(s, bytes, n)) {
        s->eof = true;                      /* out of memory: take no more host input */
        return;
    }
    s->arrived += n;
}

/* Live: take what the host has ready, without waiting (timeout_ms 0) or blocking (-1). Output
 * streams are flushed first, so the user sees what the guest printed (a prompt, an echo)
 * before typing: host-side only, nothing reaches the machine. */
static void live_take(struct serial_in *s, int timeout_ms)
{
    if (s->eof)
        return;
    fflush(NULL);
    struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
    int r;
    do
        r = poll(&pfd, 1, timeout_ms);
    while (r < 0 && errno == EINTR && timeout_ms != 0);
    if (r <= 0)
        return;
    if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)))
        return;
    uint8_t chunk[LIVE_CHUNK];
    ssize_t got;
    do
        got = read(s->fd, chunk, sizeof chunk);
    while (got < 0 && errno == EINTR);
    if (got <= 0) {
        s->eof = true;                      /* end of input (or an error): nothing more */
        return;
    }
    serial_in_arrive(s, chunk, (size_t)got);
}

/* Replay: re-create the logged arrivals that are due by now. */
static void replay_take(struct serial_in *s)
{
    while (s->next < s->replay.n && s->replay.arr[s->next].t_ps <= s->q->now) {
        const struct serial_arrival *a = &s->replay.arr[s->next++];
        serial_in_arrive(s, s->replay.bytes + a->off, a->len);
    }
}

void serial_in_round_end(struct serial_in *s)
{
    if (s->mode == SERIAL_IN_LIVE)
        live_take(s, 0);
    else if (s->mode == SERIAL_IN_REPLAY)
        replay_take(s);
    line_service(s);
}

static void hook_round_end(void *opaque)
{
    serial_in_round_end(opaque);
}

static uint64_t hook_deadline(void *opaque)
{
    const struct serial_in *s = opaque;
    if (s->mode == SERIAL_IN_REPLAY && s->next < s->replay.n)
        return s->replay.arr[s->next].t_ps;
    return UINT64_MAX;
}

/* Every processor is halted and no event is queued: only input can make progress, and only if
 * the line can carry it (open, nothing queued or waiting). A live run blocks on the host here;
 * a replay takes the logged arrival, which a live run stamped with this same time. */
static enum sched_idle hook_idle(void *opaque, uint64_t *until)
{
    struct serial_in *s = opaque;
    line_service(s);
    if (s->rx_ev.queued)
        return SCHED_IDLE_AGAIN;
    if (!s->open || s->len)
        return SCHED_IDLE_STOP;             /* port closed, or the receiver stays full */
    switch (s->mode) {
    case SERIAL_IN_LIVE:
        live_take(s, -1);
        break;
    case SERIAL_IN_REPLAY:
        if (s->next < s->replay.n && s->replay.arr[s->next].t_ps > s->q->now) {
            *until = s->replay.arr[s->next].t_ps;
            return SCHED_IDLE_SKIP;
        }
        replay_take(s);
        break;
    default:
        break;
    }
    line_service(s);
    return s->rx_ev.queued ? SCHED_IDLE_AGAIN : SCHED_IDLE_STOP;
}

void serial_in_init(struct serial_in *s, struct uart16550 *u, struct evq *q)
{
    memset(s, 0, sizeof *s);
    s->u = u;
    s->q = q;
    s->fd = -1;
    event_init(&s->rx_ev, line_complete, s, "serial-in");
}

int serial_in_use_file(struct serial_in *s, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return snprintf(err, errlen, "serial input %s: cannot open: %s", path, strerror(errno)),
               -1;
    uint8_t chunk[65536];
    size_t got;
    int rc = 0;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (s->len + got > SERIAL_IN_MAX_FILE) {
            snprintf(err, errlen, "serial input %s: larger than %u MiB", path,
                     SERIAL_IN_MAX_FILE >> 20);
            rc = -1;
            break;
        }
        if (queue_push(s, chunk, got)) {
            snprintf(err, errlen, "serial input %s: out of memory", path);
            rc = -1;
            break;
        }
    }
    if (!rc && ferror(f)) {
        snprintf(err, errlen, "serial input %s: read error", path);
        rc = -1;
    }
    fclose(f);
    if (rc)
        return -1;
    s->mode = SERIAL_IN_FILE;
    s->arrived = s->len;
    return 0;
}

int serial_in_use_replay(struct serial_in *s, const char *path, char *err, size_t errlen)
{
    if (serial_log_load(path, &s->replay, err, errlen))
        return -1;
    s->mode = SERIAL_IN_REPLAY;
    return 0;
}

int serial_in_use_log(struct serial_in *s, const struct serial_log *log, char *err,
                      size_t errlen)
{
    struct serial_log *r = &s->replay;
    memset(r, 0, sizeof *r);
    r->arr = malloc((log->n ? log->n : 1) * sizeof *r->arr);
    r->bytes = malloc(log->nbytes ? log->nbytes : 1);
    if (!r->arr || !r->bytes) {
        serial_log_free(r);
        return snprintf(err, errlen, "serial input: out of memory"), -1;
    }
    if (log->n)
        memcpy(r->arr, log->arr, log->n * sizeof *r->arr);
    if (log->nbytes)
        memcpy(r->bytes, log->bytes, log->nbytes);
    r->n = r->cap = log->n;
    r->nbytes = r->bytes_cap = log->nbytes;
    s->mode = SERIAL_IN_REPLAY;
    return 0;
}

int serial_in_use_live(struct serial_in *s, int fd, FILE *log, char *err, size_t errlen)
{
    s->mode = SERIAL_IN_LIVE;
    s->fd = fd;
    s->log = log;
    if (log && serial_log_write_header(log))
        return snprintf(err, errlen, "serial log: cannot write the header"), -1;
    return 0;
}

void serial_in_attach(struct serial_in *s, struct sched *sch)
{
    if (s->mode == SERIAL_IN_NONE)
        return;
    sch->input = (struct sched_input){ hook_round_end, hook_deadline, hook_idle, s };
}

void serial_in_destroy(struct serial_in *s)
{
    if (s->q)
        evq_cancel(s->q, &s->rx_ev);
    free(s->buf);
    s->buf = NULL;
    s->head = s->len = s->cap = 0;
    serial_log_free(&s->replay);
}
