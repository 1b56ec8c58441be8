/* tprintf.c — console output (port 0xE9 or a sink the program selects) and a small printf
 * (see rt.h).
 *
 * No division of 64-bit values by the compiler in 32-bit builds (that would need libgcc): the
 * decimal conversion divides by 10 with shifts and subtractions there.
 */
#include <stdarg.h>
#include <stdint.h>

#include "rt.h"
#include "x86.h"

void debugcon_putc(char c)
{
    outb(DEBUGCON_PORT, (uint8_t)c);
}

static void (*console_sink)(char c) = debugcon_putc;

void tconsole_set(void (*sink)(char c))
{
    console_sink = sink ? sink : debugcon_putc;
}

void tputc(char c)
{
    console_sink(c);
}

void tputs(const char *s)
{
    while (*s)
        tputc(*s++);
}

/* q = n / 10, returns n % 10. */
static unsigned divmod10(uint64_t *n)
{
#ifdef __x86_64__
    unsigned r = (unsigned)(*n % 10);
    *n /= 10;
    return r;
#else
    uint64_t q = 0;
    uint32_t r = 0;
    for (int bit = 63; bit >= 0; bit--) {
        r = (r << 1) | (uint32_t)((*n >> bit) & 1);
        if (r >= 10) {
            r -= 10;
            q |= 1ull << bit;
        }
    }
    *n = q;
    return r;
#endif
}

static int emit_num(uint64_t v, int neg, unsigned base, int upper, int width, int zero, int left)
{
    char buf[24];
    int n = 0;
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        if (base == 16) {
            buf[n++] = digits[v & 15];
            v >>= 4;
        } else {
            buf[n++] = digits[divmod10(&v)];
        }
    } while (v);
    int len = n + neg, out = 0;
    if (!left && !zero)
        for (; width > len; width--, out++)
            tputc(' ');
    if (neg) {
        tputc('-');
        out++;
    }
    if (!left && zero)
        for (; width > len; width--, out++)
            tputc('0');
    while (n) {
        tputc(buf[--n]);
        out++;
    }
    for (; left && width > len; width--, out++)
        tputc(' ');
    return out;
}

int tvprintf(const char *fmt, va_list ap)
{
    int out = 0;
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            tputc(*fmt);
            out++;
            continue;
        }
        int zero = 0, left = 0, width = 0, lng = 0;
        for (;; fmt++) {
            if (fmt[1] == '0')
                zero = 1;
            else if (fmt[1] == '-')
                left = 1;
            else
                break;
        }
        while (fmt[1] >= '0' && fmt[1] <= '9')
            width = width * 10 + (*++fmt - '0');
        while (fmt[1] == 'l' || fmt[1] == 'z') {
            lng += fmt[1] == 'z' ? (sizeof(long) == 8 ? 1 : 0) + 1 : 1;
            fmt++;
        }
        char conv = *++fmt;
        uint64_t u;
        int64_t s;
        switch (conv) {
        case 'd':
        case 'i':
            s = lng >= 2 ? va_arg(ap, long long) : lng == 1 ? va_arg(ap, long) : va_arg(ap, int);
            out += emit_num(s < 0 ? -(uint64_t)s : (uint64_t)s, s < 0, 10, 0, width, zero, left);
            break;
        case 'u':
        case 'x':
        case 'X':
            u = lng >= 2 ? va_arg(ap, unsigned long long)
                : lng == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
            out += emit_num(u, 0, conv == 'u' ? 10 : 16, conv == 'X', width, zero, left);
            break;
        case 'p':
            tputs("0x");
            out += 2 + emit_num((uintptr_t)va_arg(ap, void *), 0, 16, 0, width, zero, left);
            break;
        case 'c':
            tputc((char)va_arg(ap, int));
            out++;
            break;
        case 's': {
            const char *str = va_arg(ap, const char *);
            int len = 0;
            if (!str)
                str = "(null)";
            while (str[len])
                len++;
            for (; !left && width > len; width--, out++)
                tputc(' ');
            tputs(str);
            out += len;
            for (; left && width > len; width--, out++)
                tputc(' ');
            break;
        }
        case '%':
            tputc('%');
            out++;
            break;
        case 0:
            return out;
        default:
            tputc('%');
            tputc(conv);
            out += 2;
            break;
        }
    }
    return out;
}

int tprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = tvprintf(fmt, ap);
    va_end(ap);
    return n;
}

__attribute__((noreturn)) void target_exit(int code)
{
    outl(DEBUGEXIT_PORT, (uint32_t)code);
    for (;;)
        __asm__ volatile("cli; hlt");
}
