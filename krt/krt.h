/* krt.h — the freestanding runtime of the target world's product code (hv/, partitions/):
 * string functions, formatted output, a spinlock, and (through the headers included at the end)
 * x86 instruction helpers (krt/x86.h), the ELF64 validator (krt/elf64.h) and the MOV decoder
 * (krt/x86_mov.h).
 * docs/HYPERVISOR.md "Layout".
 *
 * Two worlds:
 *  - target (freestanding, __STDC_HOSTED__ == 0): memset, memcpy, memmove, memcmp, strlen,
 *    strcmp, strncmp and strchr are krt/string.c (GCC emits calls to the mem* functions itself,
 *    so they keep their standard names);
 *  - host (the unit tests): the same names come from the C library; krt/string.c is never
 *    compiled there. krt_vsnprintf and krt_elf64_* are plain C and are compiled in both.
 *
 * Invariants: no state, no allocation; every function is reentrant; nothing here reads past the
 * bounds it is given.
 */
#ifndef KRT_KRT_H
#define KRT_KRT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__STDC_HOSTED__) && __STDC_HOSTED__
#include <string.h>
#else
void *memset(void *dst, int c, size_t n);
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- formatted output (printf.c)
 * Conversions: %c %s %d %i %u %x %X %p %%; length modifiers l, ll, z (also h, hh: the value is
 * narrowed); flags '-' '0' '#' (0x/0X before a non-zero %x/%X) '+' ' '; a field width and a
 * precision (digits or '*'; for integers the minimum number of digits, at most 31; for %s the
 * maximum length), as C99 7.19.6.1 defines them. %s of NULL prints "(null)"; %p prints 0x and 16
 * hex digits. An unknown conversion is printed as it is written. */

/* The core: every output character goes to put(ctx, c). Returns the number of characters. */
size_t krt_vformat(void (*put)(void *ctx, char c), void *ctx, const char *fmt, va_list ap);
/* C99 semantics: writes at most size - 1 characters and a NUL (if size > 0); returns the length
 * the complete output has. */
int krt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
/* Decimal, or hexadecimal after 0x/0X, from s into *out; *end = the first character after the
 * digits. 0, or -1 if there is no digit or the value does not fit 64 bits (krt/num.c). */
int krt_parse_u64(const char *s, const char **end, uint64_t *out);

int krt_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---------------------------------------------------------------- spinlock
 * Test-and-set with XCHG (implicitly locked, SDM Vol. 3 9.1.2.1) and PAUSE in the wait loop
 * (SDM Vol. 2 PAUSE). Not recursive; interrupts are the caller's business. */
struct krt_spinlock { volatile uint32_t v; };
#define KRT_SPINLOCK_INIT { 0 }

static inline void krt_lock(struct krt_spinlock *l)
{
    for (;;) {
        uint32_t old = 1;
        __asm__ volatile("xchg %0, %1" : "+r"(old), "+m"(l->v) : : "memory");
        if (old == 0)
            return;
        while (l->v != 0)
            __asm__ volatile("pause" ::: "memory");
    }
}

static inline void krt_unlock(struct krt_spinlock *l)
{
    /* a store releases on x86 (SDM Vol. 3 9.2.2: stores are not reordered with older loads or
     * stores); the barrier keeps the compiler from moving accesses past it */
    __asm__ volatile("" ::: "memory");
    l->v = 0;
}

#ifdef __cplusplus
}
#endif

#include "krt/x86.h"
#include "krt/elf64.h"
#include "krt/x86_mov.h"

#endif
