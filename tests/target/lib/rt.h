/* rt.h — the freestanding runtime every target program links (tests/target/lib/).
 *
 * crt0 sets a stack, saves the entry registers (RAM size, first free page: see
 * sim/direct_boot.h), calls main(), and writes main's return value to the debug-exit port, so
 * `hvsim exec` exits with status (ret << 1) | 1. Console output goes to port 0xE9 unless a program
 * selects another sink with tconsole_set() (the Multiboot kernels use COM1: lib/kernel.h).
 */
#ifndef TARGET_RT_H
#define TARGET_RT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define DEBUGCON_PORT 0xe9
#define DEBUGEXIT_PORT 0xf4

extern unsigned long boot_ram_size;    /* RDI/EDI at entry */
extern unsigned long boot_free_base;   /* RSI/ESI at entry */

int main(void);
__attribute__((noreturn)) void target_exit(int code);

/* Console: every character goes to the current sink, debugcon_putc (port 0xE9) at start. */
void debugcon_putc(char c);
void tconsole_set(void (*sink)(char c));
void tputc(char c);
void tputs(const char *s);
/* printf subset: %c %s %d %i %u %x %X %p %%, flags '-' '0', width, length l ll z. */
int tprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int tvprintf(const char *fmt, va_list ap);

/* A pointer to a fixed physical/linear address that the compiler cannot reason about (keeps
 * gcc's bounds warnings away from intentional absolute addresses). */
static inline void *phys_ptr(uintptr_t addr)
{
    void *p = (void *)addr;
    __asm__("" : "+r"(p));
    return p;
}

/* The few libc functions gcc may emit calls to even in freestanding code. */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif
