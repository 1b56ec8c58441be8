/* serial_log.h — the serial replay log: the record of what arrived on COM1's input line and at
 * which virtual time (docs/SERIAL-LOG.md). Written while input comes live from the host
 * (`hvsim run --serial-in stdio --serial-log FILE`), read back by `--serial-replay FILE`.
 *
 * Format, version 1 (text, one arrival a line):
 *
 *     hvsim-serial-log 1
 *     # comment lines and blank lines are ignored
 *     8000000000 68 65 6c 6c 6f 0d    # "hello\r"
 *
 * An arrival is a decimal virtual time in picoseconds and 1..SERIAL_LOG_MAX_BYTES bytes, each
 * exactly two hex digits, separated by blanks; a '#' after them starts a comment. Times never
 * decrease from one arrival to the next.
 *
 * Invariants: the parser treats its input as untrusted: it reads only [text, text+len) (no NUL
 * terminator needed), never crashes, and either fills *out completely or fails with
 * "NAME:LINE: expected ..." and leaves *out owning nothing. The writer produces exactly the
 * lines the parser accepts, so write-then-parse gives back the same arrivals.
 */
#ifndef HVSIM_SERIAL_LOG_H
#define HVSIM_SERIAL_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SERIAL_LOG_MAGIC "hvsim-serial-log"
#define SERIAL_LOG_VERSION 1
#define SERIAL_LOG_MAX_LINE 4096     /* bytes a line, without its line ending */
#define SERIAL_LOG_MAX_BYTES 1024    /* bytes an arrival line (the writer puts 32 a line) */
#define SERIAL_LOG_MAX_FILE (64u << 20)   /* serial_log_load refuses larger files */

/* One arrival: len bytes at bytes[off..off+len) of the log, at virtual time t_ps. */
struct serial_arrival {
    uint64_t t_ps;
    size_t off, len;
};

struct serial_log {
    struct serial_arrival *arr;
    size_t n, cap;
    uint8_t *bytes;
    size_t nbytes, bytes_cap;
};

/* Parse [text, text+len). name is used in messages. 0, or -1 with err = "NAME:LINE: ..." and
 * *out owning nothing. */
int serial_log_parse(const char *text, size_t len, const char *name, struct serial_log *out,
                     char *err, size_t errlen);
/* Read and parse the file at path. */
int serial_log_load(const char *path, struct serial_log *out, char *err, size_t errlen);
/* Free what *l owns (safe on a zeroed or already freed log). */
void serial_log_free(struct serial_log *l);

/* Writer: the header line, then one line per arrival (split into lines of at most 32 bytes with
 * the same time), each with a comment showing the printable bytes. Return 0, or -1 on a write
 * error (ferror). */
int serial_log_write_header(FILE *f);
int serial_log_write_arrival(FILE *f, uint64_t t_ps, const uint8_t *bytes, size_t n);

#ifdef __cplusplus
}
#endif
#endif
