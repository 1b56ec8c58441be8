/* wl_mmio.c — the child's `mmio` workload: the device page the root emulates for it
 * (partitions/root/mmio_emul.h; docs/HYPERVISOR.md "The child's device page") at GPA
 * F0000000H, mapped uncacheable by the root's page tables. Every access is an EPT violation the
 * hypervisor sends to the root as HVMSG_UNMAPPED_GPA; the root decodes the MOV, performs it and
 * completes it (the destination register, RIP). Each access below is one MOV written in inline
 * assembly, so the form is the one named (the compiler would use MOVZX for a C byte load, which
 * the device does not emulate). The expected values come from the device's register map (ID =
 * the bytes "HVMM" = 4D4D5648H; SCRATCH 0 after reset, little-endian bytes) and SDM Vol. 1
 * 3.4.1.1 (a 32-bit load zero-extends into the 64-bit register, 8/16-bit loads keep the other
 * bits; AH is bits 15:8), and the MOV forms from SDM Vol. 2B (C7 with REX.W sign-extends its
 * imm32), never from a run.
 * Prints "child NAME: mmio: PASS what" or "... FAIL what: got X, want Y" per check, a line
 * through DATA, and "child NAME: mmio: N checks passed, M failed"; tests/build/check-mmio.sh
 * reads them.
 */
#include "krt/krt.h"
#include "partitions/child/child.h"
#include "partitions/lib/kcon.h"

#define DEV 0xF0000000ull
#define R_ID 0x00u
#define R_DATA 0x08u
#define R_SCRATCH 0x10u
#define ID_VALUE 0x4D4D5648ull      /* 'H' 'V' 'M' 'M' at offsets 0-3 */

static unsigned passed, failed;

static void check(const char *what, uint64_t got, uint64_t want)
{
    if (got == want) {
        passed++;
        kcon_printf("child %s: mmio: PASS %s\n", child_name, what);
    } else {
        failed++;
        kcon_printf("child %s: mmio: FAIL %s: got 0x%llx, want 0x%llx\n", child_name, what,
                    (unsigned long long)got, (unsigned long long)want);
    }
}

static volatile uint8_t *reg(uint32_t off) { return (volatile uint8_t *)(uintptr_t)(DEV + off); }

/* Loads into RAX preset to `pre` (8B / 8A with the named destination). */
static uint64_t ld64(uint32_t off)
{
    uint64_t v;
    __asm__ volatile("movq (%1), %0" : "=a"(v) : "d"(reg(off)) : "memory");
    return v;
}
static uint64_t ld32(uint32_t off, uint64_t pre)
{
    __asm__ volatile("movl (%1), %%eax" : "+a"(pre) : "d"(reg(off)) : "memory");
    return pre;
}
static uint64_t ld16(uint32_t off, uint64_t pre)
{
    __asm__ volatile("movw (%1), %%ax" : "+a"(pre) : "d"(reg(off)) : "memory");
    return pre;
}
static uint64_t ld8(uint32_t off, uint64_t pre)
{
    __asm__ volatile("movb (%1), %%al" : "+a"(pre) : "d"(reg(off)) : "memory");
    return pre;
}
static uint64_t ld8_ah(uint32_t off, uint64_t pre)
{
    __asm__ volatile("movb (%1), %%ah" : "+a"(pre) : "d"(reg(off)) : "memory");
    return pre;
}

/* One byte through DATA (88 /r from a legacy byte register). */
static void data_put(char c)
{
    __asm__ volatile("movb %b0, (%1)" : : "q"(c), "d"(reg(R_DATA)) : "memory");
}

static void data_line(const char *s)
{
    for (; *s; s++)
        data_put(*s);
    __asm__ volatile("movb $10, (%0)" : : "d"(reg(R_DATA)) : "memory");   /* C6 /0: '\n' */
}

void wl_mmio(void)
{
    volatile uint8_t *p = reg(0);
    /* ID (8B, 32-bit): zero-extends over a register of all ones */
    check("ID = 4D4D5648H, zero-extended", ld32(R_ID, ~0ull), ID_VALUE);
    check("ID byte 1 into AL keeps bits 63:8", ld8(R_ID + 1, ~0ull), 0xFFFFFFFFFFFFFF56ull);
    /* a write to ID is ignored (C7 /0) */
    __asm__ volatile("movl $0, (%0)" : : "d"(p) : "memory");
    check("ID is read-only", ld32(R_ID, 0), ID_VALUE);
    /* DATA: a console line of this child, byte by byte */
    char line[64];
    krt_snprintf(line, sizeof line, "child %s: mmio: a line through DATA", child_name);
    data_line(line);
    check("DATA reads 0", ld64(R_DATA), 0);
    /* SCRATCH: 0 after reset; 64-bit store (89 with REX.W) and load */
    check("SCRATCH is 0 after reset", ld64(R_SCRATCH), 0);
    uint64_t v = 0x0123456789ABCDEFull;
    __asm__ volatile("movq %0, 0x10(%1)" : : "c"(v), "d"(p) : "memory");
    check("SCRATCH 64-bit write, read back", ld64(R_SCRATCH), v);
    /* narrower loads of its bytes EF CD AB 89 67 45 23 01 */
    check("8-bit load (AL) of byte 3 keeps bits 63:8", ld8(R_SCRATCH + 3, ~0ull),
          0xFFFFFFFFFFFFFF89ull);
    check("8-bit load (AH) of byte 4 keeps the rest", ld8_ah(R_SCRATCH + 4, ~0ull),
          0xFFFFFFFFFFFF67FFull);
    check("16-bit load of bytes 2-3 keeps bits 63:16", ld16(R_SCRATCH + 2, ~0ull),
          0xFFFFFFFFFFFF89ABull);
    check("32-bit load of bytes 4-7 zero-extends", ld32(R_SCRATCH + 4, ~0ull), 0x01234567ull);
    /* immediate forms: C6 /0, 66 C7 /0, C7 /0, REX.W C7 /0 */
    __asm__ volatile("movb $0x5A, 0x10(%0)" : : "d"(p) : "memory");
    check("8-bit immediate store", ld64(R_SCRATCH), 0x0123456789ABCD5Aull);
    __asm__ volatile("movw $0x1234, 0x16(%0)" : : "d"(p) : "memory");
    check("16-bit immediate store", ld64(R_SCRATCH), 0x1234456789ABCD5Aull);
    __asm__ volatile("movl $0x87654321, 0x10(%0)" : : "d"(p) : "memory");
    check("32-bit immediate store", ld64(R_SCRATCH), 0x1234456787654321ull);
    __asm__ volatile("movq $-0x80000000, 0x10(%0)" : : "d"(p) : "memory");
    check("64-bit immediate store sign-extends imm32", ld64(R_SCRATCH), 0xFFFFFFFF80000000ull);
    /* register stores: AH (88 without REX), CX (66 89), R9D (REX.R 89) */
    __asm__ volatile("movb %%ah, 0x11(%0)" : : "d"(p), "a"(0xAB00ull) : "memory");
    check("8-bit store from AH", ld64(R_SCRATCH), 0xFFFFFFFF8000AB00ull);
    __asm__ volatile("movw %%cx, 0x12(%0)" : : "d"(p), "c"(0x5555BEEFull) : "memory");
    check("16-bit store from CX", ld64(R_SCRATCH), 0xFFFFFFFFBEEFAB00ull);
    register uint64_t r9 __asm__("r9") = 0x7777777711223344ull;
    __asm__ volatile("movl %%r9d, 0x14(%0)" : : "d"(p), "r"(r9) : "memory");
    check("32-bit store from R9D", ld64(R_SCRATCH), 0x11223344BEEFAB00ull);
    /* a 64-bit load into R12 (REX.R), the moffs forms (REX.W A1 / A3) */
    register uint64_t r12 __asm__("r12");
    __asm__ volatile("movq 0x10(%1), %0" : "=r"(r12) : "d"(p) : "memory");
    check("64-bit load into R12", r12, 0x11223344BEEFAB00ull);
    uint64_t a;
    __asm__ volatile("movabsq 0xF0000010, %0" : "=a"(a) : : "memory");
    check("64-bit moffs load", a, 0x11223344BEEFAB00ull);
    __asm__ volatile("movabsq %0, 0xF0000010" : : "a"(0x0AA55AA5C3C3C3C3ull) : "memory");
    check("64-bit moffs store", ld64(R_SCRATCH), 0x0AA55AA5C3C3C3C3ull);
    /* a reserved offset reads 0 and ignores writes */
    __asm__ volatile("movq %0, 0x100(%1)" : : "c"(~0ull), "d"(p) : "memory");
    check("reserved offset reads 0", ld32(0x100, ~0ull), 0);
    check("SCRATCH after the reserved write", ld64(R_SCRATCH), 0x0AA55AA5C3C3C3C3ull);
    kcon_printf("child %s: mmio: %u checks passed, %u failed\n", child_name, passed, failed);
}
