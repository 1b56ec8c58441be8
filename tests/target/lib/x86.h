/* x86.h — target-side inline wrappers for privileged x86 instructions (32- and 64-bit code).
 *
 * Target world only: no host headers. Register-width values use `unsigned long` so the same
 * header serves -m32 and -m64 programs.
 */
#ifndef TARGET_X86_H
#define TARGET_X86_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

#define DEFINE_CR(n)                                                                   \
    static inline unsigned long read_cr##n(void)                                       \
    {                                                                                  \
        unsigned long v;                                                               \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                              \
        return v;                                                                      \
    }                                                                                  \
    static inline void write_cr##n(unsigned long v)                                    \
    {                                                                                  \
        __asm__ volatile("mov %0, %%cr" #n :: "r"(v) : "memory");                      \
    }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static inline unsigned long read_flags(void)
{
    unsigned long f;
    __asm__ volatile("pushf\n\tpop %0" : "=r"(f));
    return f;
}
static inline void write_flags(unsigned long f)
{
    __asm__ volatile("push %0\n\tpopf" :: "r"(f) : "memory", "cc");
}

static inline void invlpg(const volatile void *p) { __asm__ volatile("invlpg (%0)" :: "r"(p) : "memory"); }
static inline void cli(void) { __asm__ volatile("cli"); }
static inline void clts(void) { __asm__ volatile("clts"); }
static inline uint16_t read_cs(void)
{
    uint16_t v;
    __asm__ volatile("mov %%cs, %0" : "=r"(v));
    return v;
}

struct __attribute__((packed)) dtr_ptr {
    uint16_t limit;
    unsigned long base;
};
static inline void lgdt(const struct dtr_ptr *p) { __asm__ volatile("lgdt %0" :: "m"(*p)); }
static inline void lidt(const struct dtr_ptr *p) { __asm__ volatile("lidt %0" :: "m"(*p)); }

/* Architectural bits the tests use (SDM Vol. 3 2.5, Vol. 4). */
#define X86_CR0_PE (1ul << 0)
#define X86_CR0_MP (1ul << 1)
#define X86_CR0_EM (1ul << 2)
#define X86_CR0_TS (1ul << 3)
#define X86_CR0_WP (1ul << 16)
#define X86_CR0_AM (1ul << 18)
#define X86_CR0_PG (1ul << 31)
#define X86_CR4_PSE (1ul << 4)
#define X86_CR4_PAE (1ul << 5)
#define X86_CR4_PGE (1ul << 7)
#define X86_CR4_SMEP (1ul << 20)
#define X86_CR4_SMAP (1ul << 21)
#define X86_FL_CF (1ul << 0)
#define X86_FL_TF (1ul << 8)
#define X86_FL_IF (1ul << 9)
#define X86_FL_OF (1ul << 11)
#define X86_FL_AC (1ul << 18)
#define MSR_EFER 0xc0000080u
#define EFER_LME_BIT (1ull << 8)
#define EFER_LMA_BIT (1ull << 10)
#define EFER_NXE_BIT (1ull << 11)

#endif
