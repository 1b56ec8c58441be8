/* serial_log.c — reader and writer of the serial replay log (sim/serial_log.h,
 * docs/SERIAL-LOG.md).
 *
 * The text is read line by line as (pointer, length) slices, never modified or NUL-terminated,
 * so embedded NULs, a missing final newline and over-long lines are reported, not truncated.
 * Invariants: on failure *out owns nothing; arrivals are stored in file order with
 * non-decreasing times and every (off, len) lies inside bytes[0..nbytes).
 */
#include "sim/serial_log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct log_parser {
    const char *name;
    int line;
    char *err;
    size_t errlen;
};

__attribute__((format(printf, 2, 3)))
static int fail(const struct log_parser *p, const char *fmt, ...)
{
    if (!p->errlen)
        return -1;
    int n = snprintf(p->err, p->errlen, "%s:%d: ", p->name, p->line);
    if (n >= 0 && (size_t)n < p->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

void serial_log_free(struct serial_log *l)
{
    free(l->arr);
    free(l->bytes);
    memset(l, 0, sizeof *l);
}

/* Make room for `more` elements of `size` bytes in *buf (capacity *cap, used n). 0 or -1. */
static int grow(void **buf, size_t *cap, size_t n, size_t more, size_t size)
{
    if (n + more <= *cap)
        return 0;
    size_t c = *cap ? *cap : 64;
    while (c < n + more) {
        if (c > SIZE_MAX / 2 / size)
            return -1;
        c *= 2;
    }
    void *b = realloc(*buf, c * size);
    if (!b)
        return -1;
    *buf = b;
    *cap = c;
    return 0;
}

static bool is_blank(char ch) { return ch == ' ' || ch == '\t'; }

static int hex_digit(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* The length of the token at s (up to a blank, '#' or the end), at most 16 for messages. */
static int token_len(const char *s, size_t n)
{
    size_t k = 0;
    while (k < n && !is_blank(s[k]) && s[k] != '#')
        k++;
    return (int)(k > 16 ? 16 : k);
}

/* Line 1: "hvsim-serial-log VERSION", optionally followed by blanks and a comment. */
static int parse_header(const struct log_parser *p, const char *s, size_t n)
{
    size_t ml = strlen(SERIAL_LOG_MAGIC), i;
    if (n < ml || memcmp(s, SERIAL_LOG_MAGIC, ml) || (n > ml && !is_blank(s[ml])))
        return fail(p, "expected the header '" SERIAL_LOG_MAGIC " %d' (not a serial replay log)",
                    SERIAL_LOG_VERSION);
    for (i = ml; i < n && is_blank(s[i]); i++)
        ;
    uint64_t v = 0;
    size_t d0 = i;
    while (i < n && s[i] >= '0' && s[i] <= '9' && i - d0 < 9)
        v = v * 10 + (uint64_t)(s[i++] - '0');
    size_t j = i;
    while (j < n && is_blank(s[j]))
        j++;
    if (i == d0 || (j < n && s[j] != '#') || (i < n && !is_blank(s[i]) && s[i] != '#'))
        return fail(p, "expected a version number after '" SERIAL_LOG_MAGIC "'");
    if (v != SERIAL_LOG_VERSION)
        return fail(p, "expected format version %d, got %llu", SERIAL_LOG_VERSION,
                    (unsigned long long)v);
    return 0;
}

/* An arrival line: TIME BYTE... [# comment]. *prev is the previous arrival's time. */
static int parse_arrival(const struct log_parser *p, const char *s, size_t n, uint64_t *prev,
                         bool first, struct serial_log *out)
{
    size_t i = 0;
    while (i < n && is_blank(s[i]))
        i++;
    if (i == n || s[i] == '#')
        return 0;                                   /* blank or comment */
    uint64_t t = 0;
    size_t d0 = i;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (t > (UINT64_MAX - d) / 10)
            return fail(p, "expected a time in picoseconds below 2^64, got '%.*s'",
                        token_len(s + d0, n - d0), s + d0);
        t = t * 10 + d;
    }
    if (i == d0 || (i < n && !is_blank(s[i])))
        return fail(p, "expected a virtual time in picoseconds (decimal digits), got '%.*s'",
                    token_len(s + d0, n - d0), s + d0);
    if (!first && t < *prev)
        return fail(p, "expected a time >= %llu (the previous arrival's), got %llu",
                    (unsigned long long)*prev, (unsigned long long)t);
    size_t start = out->nbytes, count = 0;
    for (;;) {
        while (i < n && is_blank(s[i]))
            i++;
        if (i == n || s[i] == '#')
            break;
        int hi = hex_digit(s[i]), lo = i + 1 < n ? hex_digit(s[i + 1]) : -1;
        if (hi < 0 || lo < 0 || (i + 2 < n && !is_blank(s[i + 2]) && s[i + 2] != '#'))
            return fail(p, "expected a byte as two hex digits, got '%.*s'",
                        token_len(s + i, n - i), s + i);
        if (count == SERIAL_LOG_MAX_BYTES)
            return fail(p, "expected at most %d bytes in one arrival", SERIAL_LOG_MAX_BYTES);
        if (grow((void **)&out->bytes, &out->bytes_cap, out->nbytes, 1, 1))
            return fail(p, "out of memory");
        out->bytes[out->nbytes++] = (uint8_t)(hi << 4 | lo);
        count++;
        i += 2;
    }
    if (!count)
        return fail(p, "expected at least one byte (two hex digits) after the time");
    if (grow((void **)&out->arr, &out->cap, out->n, 1, sizeof *out->arr))
        return fail(p, "out of memory");
    out->arr[out->n++] = (struct serial_arrival){ t, start, count };
    *prev = t;
    return 0;
}

int serial_log_parse(const char *text, size_t len, const char *name, struct serial_log *out,
                     char *err, size_t errlen)
{
    struct log_parser p = { .name = name ? name : "(serial log)", .err = err, .errlen = errlen };
    memset(out, 0, sizeof *out);
    if (errlen)
        err[0] = 0;
    uint64_t prev = 0;
    size_t pos = 0;
    while (pos < len) {
        p.line++;
        const char *s = text + pos;
        const char *nl = memchr(s, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - s) : len - pos;
        pos += n + (nl ? 1 : 0);
        if (n && s[n - 1] == '\r')
            n--;
        int r;
        if (n > SERIAL_LOG_MAX_LINE)
            r = fail(&p, "expected a line of at most %d bytes", SERIAL_LOG_MAX_LINE);
        else if (memchr(s, 0, n))
            r = fail(&p, "expected text, found a NUL byte");
        else if (p.line == 1)
            r = parse_header(&p, s, n);
        else
            r = parse_arrival(&p, s, n, &prev, out->n == 0, out);
        if (r) {
            serial_log_free(out);
            return -1;
        }
    }
    if (p.line == 0) {
        p.line = 1;
        return fail(&p, "expected the header '" SERIAL_LOG_MAGIC " %d', the file is empty",
                    SERIAL_LOG_VERSION);
    }
    return 0;
}

int serial_log_load(const char *path, struct serial_log *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open the serial replay log: %s", path,
                 strerror(errno));
        return -1;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    bool bad = false;
    for (;;) {
        if (grow((void **)&buf, &cap, len, 65536, 1)) {
            bad = true;
            break;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (len > SERIAL_LOG_MAX_FILE || got == 0)
            break;
    }
    bad |= ferror(f) != 0;
    fclose(f);
    if (bad || len > SERIAL_LOG_MAX_FILE) {
        free(buf);
        snprintf(err, errlen, bad ? "%s: cannot read it (or out of memory)"
                                  : "%s: larger than 64 MiB", path);
        return -1;
    }
    int r = serial_log_parse(buf, len, path, out, err, errlen);
    free(buf);
    return r;
}

int serial_log_write_header(FILE *f)
{
    fprintf(f, SERIAL_LOG_MAGIC " %d\n# virtual time (ps)  bytes (hex)  # as text\n",
            SERIAL_LOG_VERSION);
    return ferror(f) ? -1 : 0;
}

int serial_log_write_arrival(FILE *f, uint64_t t_ps, const uint8_t *bytes, size_t n)
{
    for (size_t k = 0; k < n; k += 32) {
        size_t m = n - k < 32 ? n - k : 32;
        fprintf(f, "%llu", (unsigned long long)t_ps);
        for (size_t j = 0; j < m; j++)
            fprintf(f, " %02x", bytes[k + j]);
        fputs("  # \"", f);
        for (size_t j = 0; j < m; j++) {
            uint8_t b = bytes[k + j];
            switch (b) {
            case '\r': fputs("\\r", f); break;
            case '\n': fputs("\\n", f); break;
            case '\t': fputs("\\t", f); break;
            case '"':  fputs("\\\"", f); break;
            case '\\': fputs("\\\\", f); break;
            default:
                if (b >= 0x20 && b < 0x7f)
                    fputc(b, f);
                else
                    fprintf(f, "\\x%02x", b);
            }
        }
        fputs("\"\n", f);
    }
    fflush(f);
    return ferror(f) ? -1 : 0;
}
