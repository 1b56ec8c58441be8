/* printf.c — formatted output for the target world (krt/krt.h): krt_vformat (to a character
 * sink), krt_vsnprintf, krt_snprintf. Conversions c s d i u x X p %, length hh h l ll z,
 * flags '-' '0' '#' '+' ' ', width and precision (digits or '*'; C99 7.19.6.1).
 *
 * Plain C with no host dependency: compiled into the target images and into the host unit tests
 * (tests/unit/test_krt.cc). Invariants: krt_vsnprintf never writes more than `size` bytes and
 * always NUL-terminates when size > 0; the return value is the full length (C99 7.19.6.12).
 */
#include "krt/krt.h"

enum { LEN_INT, LEN_CHAR, LEN_SHORT, LEN_LONG, LEN_LLONG, LEN_SIZE };

struct fmt_spec {
    bool left, zero;
    unsigned width;
};

#define NO_PREC (-1)

static size_t emit_padded(void (*put)(void *, char), void *ctx, const struct fmt_spec *sp,
                          const char *prefix, const char *body, size_t body_len)
{
    size_t plen = 0, n = 0;
    while (prefix[plen])
        plen++;
    size_t len = plen + body_len;
    size_t pad = sp->width > len ? sp->width - len : 0;
    if (!sp->left && !sp->zero)
        for (; pad; pad--, n++)
            put(ctx, ' ');
    for (size_t i = 0; i < plen; i++, n++)
        put(ctx, prefix[i]);
    if (!sp->left && sp->zero)
        for (; pad; pad--, n++)
            put(ctx, '0');
    for (size_t i = 0; i < body_len; i++, n++)
        put(ctx, body[i]);
    for (; pad; pad--, n++)
        put(ctx, ' ');
    return n;
}

/* Digits of v in base 10 or 16 ending at end; returns the first digit. */
static char *utoa(uint64_t v, unsigned base, bool upper, char *end)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char *p = end;
    do {
        *--p = digits[v % base];
        v /= base;
    } while (v);
    return p;
}

/* The digits of v with at least prec of them (C99: precision 0 and value 0 give no digits). */
static char *digits_prec(uint64_t v, unsigned base, bool upper, int prec, char *buf, char *end)
{
    if (prec == 0 && v == 0)
        return end;
    char *p = utoa(v, base, upper, end);
    while (prec != NO_PREC && end - p < prec && p > buf)
        *--p = '0';
    return p;
}

size_t krt_vformat(void (*put)(void *ctx, char c), void *ctx, const char *fmt, va_list ap)
{
    size_t n = 0;
    va_list args;
    va_copy(args, ap);
    while (*fmt) {
        if (*fmt != '%') {
            put(ctx, *fmt++);
            n++;
            continue;
        }
        const char *start = fmt++;
        struct fmt_spec sp = { false, false, 0 };
        bool alt = false, plus = false, space = false;
        for (;; fmt++) {
            if (*fmt == '-')
                sp.left = true;
            else if (*fmt == '0')
                sp.zero = true;
            else if (*fmt == '#')
                alt = true;
            else if (*fmt == '+')
                plus = true;
            else if (*fmt == ' ')
                space = true;
            else
                break;
        }
        if (*fmt == '*') {
            int w = va_arg(args, int);
            if (w < 0) {
                sp.left = true;
                w = -w;
            }
            sp.width = (unsigned)w;
            fmt++;
        } else {
            while (*fmt >= '0' && *fmt <= '9' && sp.width < 1000000)
                sp.width = sp.width * 10 + (unsigned)(*fmt++ - '0');
            while (*fmt >= '0' && *fmt <= '9')
                fmt++;
        }
        int prec = NO_PREC;
        if (*fmt == '.') {
            fmt++;
            prec = 0;
            if (*fmt == '*') {
                prec = va_arg(args, int);
                if (prec < 0)
                    prec = NO_PREC;     /* a negative precision is taken as if omitted */
                fmt++;
            } else {
                while (*fmt >= '0' && *fmt <= '9') {
                    if (prec < 1000000)
                        prec = prec * 10 + (*fmt - '0');
                    fmt++;
                }
            }
        }
        if (prec != NO_PREC)
            sp.zero = false;            /* 7.19.6.1p6: '0' is ignored with a precision */
        int len = LEN_INT;
        if (*fmt == 'l') {
            fmt++;
            len = LEN_LONG;
            if (*fmt == 'l') {
                fmt++;
                len = LEN_LLONG;
            }
        } else if (*fmt == 'h') {
            fmt++;
            len = LEN_SHORT;
            if (*fmt == 'h') {
                fmt++;
                len = LEN_CHAR;
            }
        } else if (*fmt == 'z') {
            fmt++;
            len = LEN_SIZE;
        }
        char buf[32], *end = buf + sizeof buf;   /* 20 digits of 2^64 + padding */
        char conv = *fmt;
        if (conv)
            fmt++;
        switch (conv) {
        case 'c': {
            char c = (char)va_arg(args, int);
            n += emit_padded(put, ctx, &(struct fmt_spec){ sp.left, false, sp.width }, "", &c, 1);
            break;
        }
        case 's': {
            const char *s = va_arg(args, const char *);
            if (!s)
                s = "(null)";
            size_t l = 0;
            while ((prec == NO_PREC || l < (size_t)prec) && s[l])
                l++;
            n += emit_padded(put, ctx, &(struct fmt_spec){ sp.left, false, sp.width }, "", s, l);
            break;
        }
        case 'd':
        case 'i': {
            int64_t v;
            switch (len) {
            case LEN_LONG: v = va_arg(args, long); break;
            case LEN_LLONG: v = va_arg(args, long long); break;
            case LEN_SIZE: v = (int64_t)va_arg(args, size_t); break;
            case LEN_CHAR: v = (signed char)va_arg(args, int); break;
            case LEN_SHORT: v = (short)va_arg(args, int); break;
            default: v = va_arg(args, int); break;
            }
            uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
            char *p = digits_prec(mag, 10, false, prec, buf, end);
            n += emit_padded(put, ctx, &sp, v < 0 ? "-" : plus ? "+" : space ? " " : "", p,
                             (size_t)(end - p));
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            uint64_t v;
            switch (len) {
            case LEN_LONG: v = va_arg(args, unsigned long); break;
            case LEN_LLONG: v = va_arg(args, unsigned long long); break;
            case LEN_SIZE: v = va_arg(args, size_t); break;
            case LEN_CHAR: v = (unsigned char)va_arg(args, unsigned); break;
            case LEN_SHORT: v = (unsigned short)va_arg(args, unsigned); break;
            default: v = va_arg(args, unsigned); break;
            }
            char *p = digits_prec(v, conv == 'u' ? 10 : 16, conv == 'X', prec, buf, end);
            const char *prefix = alt && v && conv != 'u' ? (conv == 'X' ? "0X" : "0x") : "";
            n += emit_padded(put, ctx, &sp, prefix, p, (size_t)(end - p));
            break;
        }
        case 'p': {
            uint64_t v = (uint64_t)(uintptr_t)va_arg(args, void *);
            char *p = utoa(v, 16, false, end);
            while (end - p < 16)
                *--p = '0';
            n += emit_padded(put, ctx, &(struct fmt_spec){ sp.left, false, sp.width }, "0x", p,
                             (size_t)(end - p));
            break;
        }
        case '%':
            put(ctx, '%');
            n++;
            break;
        default:                        /* unknown or truncated: print it as written */
            for (const char *q = start; q < fmt; q++, n++)
                put(ctx, *q);
            break;
        }
    }
    va_end(args);
    return n;
}

struct snbuf {
    char *buf;
    size_t size, pos;
};

static void snput(void *ctx, char c)
{
    struct snbuf *b = ctx;
    if (b->pos + 1 < b->size)
        b->buf[b->pos] = c;
    b->pos++;
}

int krt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct snbuf b = { buf, size, 0 };
    size_t n = krt_vformat(snput, &b, fmt, ap);
    if (size > 0)
        buf[n < size - 1 ? n : size - 1] = '\0';
    return n > 0x7fffffff ? 0x7fffffff : (int)n;
}

int krt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = krt_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
