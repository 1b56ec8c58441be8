/* string.c — the C string functions of the target world (krt/krt.h): memset, memcpy, memmove,
 * memcmp (GCC emits calls to these for struct copies and initialisers even with
 * -ffreestanding, so they keep the standard names), strlen, strcmp, strncmp, strchr.
 *
 * Target only: never compiled into a host program (the C library has them there).
 * memset/memcpy (and memmove when it can copy forwards) use REP STOSQ/MOVSQ for the whole
 * quadwords and REP STOSB/MOVSB for the rest (SDM Vol. 2 REP, Vol. 1 7.3.9.3 "fast string
 * operation"): what production kernels do, and on hvsim one element per cycle instead of a loop
 * of ordinary instructions per byte. DF is 0 (the SysV ABI at every call).
 * Invariants: the other functions are loops the compiler may not turn back into calls to
 * themselves (-fno-tree-loop-distribute-patterns in TGT_CC_COMMON); memmove is correct for any
 * overlap.
 */
#include "krt/krt.h"

void *memset(void *dst, int c, size_t n)
{
    void *d = dst;
    size_t q = n / 8, r = n % 8;
    uint64_t pattern = 0x0101010101010101ull * (unsigned char)c;
    __asm__ volatile("rep stosq" : "+D"(d), "+c"(q) : "a"(pattern) : "memory");
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(r) : "a"(pattern) : "memory");
    return dst;
}

/* Forward copy of n bytes: whole quadwords, then the bytes left. */
static inline void copy_forward(void *d, const void *s, size_t n)
{
    size_t q = n / 8, r = n % 8;
    __asm__ volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(q) : : "memory");
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(r) : : "memory");
}

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    copy_forward(dst, src, n);
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d < s) {
        copy_forward(d, s, n);      /* each element is read before it can be overwritten */
    } else if (d > s) {
        while (n--)
            d[n] = s[n];
    }
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (int)(unsigned char)*a - (int)(unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (int)(unsigned char)*a - (int)(unsigned char)*b;
        if (!*a)
            return 0;
    }
    return 0;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return NULL;
    }
}
