/* kernel.h — the runtime of the 32-bit Multiboot test kernels (tests/target/NAME.kernel).
 *
 * A kernel is mb1_entry.S or mb2_entry.S (header, entry) + kentry.S (saves the entry state, sets
 * the stack) + kcrt.c (kernel_start: COM1 console, main(), exit port) + these helpers + the
 * common runtime (tprintf, test.h). It runs in the state the loader left: 32-bit protected mode,
 * flat segments, paging off; kidt_init() installs an IDT that uses the loader's CS selector.
 *
 * PC hardware as programmed here: National PC16550D UART datasheet (COM1 at 0x3F8, IRQ 4), Intel
 * 8259A datasheet (master 0x20/0x21, slave 0xA0/0xA1, cascade on IR2), Intel 8254 datasheet
 * (0x40-0x43, 1.193182 MHz input), Motorola MC146818A datasheet (CMOS RTC, 0x70/0x71).
 */
#ifndef TARGET_KERNEL_H
#define TARGET_KERNEL_H

#include <stdint.h>

#include "mb.h"
#include "rt.h"
#include "x86.h"

/* ---- COM1 console (com1.c) ---------------------------------------------------------------- */
#define COM1 0x3f8
enum { UART_RBR = 0, UART_THR = 0, UART_DLL = 0, UART_IER = 1, UART_DLM = 1, UART_IIR = 2,
       UART_FCR = 2, UART_LCR = 3, UART_MCR = 4, UART_LSR = 5, UART_MSR = 6, UART_SCR = 7 };
#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

/* Program COM1 for the console: 115200 baud (divisor 1), 8 data bits, no parity, 1 stop bit,
 * FIFOs enabled and cleared (trigger 1), interrupts off, DTR and RTS on. */
void com1_init(void);
void com1_putc(char c);               /* waits for THRE, then writes THR */

/* UART registers as kernel_start found them, before com1_init (power-on values). */
struct uart_snapshot {
    uint8_t ier, iir, lcr, mcr, lsr;
};
extern struct uart_snapshot com1_at_boot;

/* ---- interrupts (kidt.c, kidt_asm.S) ------------------------------------------------------ */
struct kframe {                       /* what the common stub pushed, lowest address first */
    uint32_t edi, esi, ebp, esp_, ebx, edx, ecx, eax;   /* PUSHAD */
    uint32_t vector, error;           /* error = 0 for vectors without an error code */
    uint32_t eip, cs, eflags;         /* pushed by the processor (same privilege level) */
};
typedef void (*kidt_handler)(struct kframe *f);

/* Build and load an IDT of 256 32-bit interrupt gates (SDM Vol. 3 6.11) with the current CS.
 * Vectors without a handler report FAIL "unexpected interrupt" and exit with status 2 (5). */
void kidt_init(void);
void kidt_set(unsigned vector, kidt_handler h);
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
/* STI; HLT: wait for the next interrupt (the STI shadow makes the pair atomic, SDM STI). */
static inline void sti_hlt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }

/* ---- 8259A pair (kdev.c) ------------------------------------------------------------------- */
#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
/* ICW1-ICW4 as a PC BIOS does: edge-triggered, cascade (slave on IR2, slave ID 2), 8086 mode,
 * normal EOI; vectors master_base+0..7 and slave_base+0..7; then IMR = mask (bit n = IRQ n). */
void pic_init(uint8_t master_base, uint8_t slave_base, uint16_t mask);
void pic_set_mask(uint16_t mask);
void pic_eoi(unsigned irq);           /* non-specific EOI to the slave (IRQ >= 8) and master */
uint16_t pic_read_irr(void);          /* OCW3 RR=1 RIS=0 */
uint16_t pic_read_isr(void);          /* OCW3 RR=1 RIS=1 (leaves ISR selected: reset by irr) */

/* ---- 8254 PIT ------------------------------------------------------------------------------ */
#define PIT_HZ 1193182u               /* input clock, 14.31818 MHz / 12 */
void pit_periodic(uint16_t count);    /* counter 0, mode 2 (rate generator), binary, LSB+MSB */

/* ---- CMOS RTC ------------------------------------------------------------------------------ */
uint8_t cmos_read(uint8_t reg);       /* NMI stays enabled (port 0x70 bit 7 = 0) */
void cmos_write(uint8_t reg, uint8_t v);

/* ---- time and arithmetic --------------------------------------------------------------------- */
static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}
/* n / d (and n % d in *rem if rem), without libgcc (32-bit code has no 64-bit DIV). */
uint64_t udiv64(uint64_t n, uint64_t d, uint64_t *rem);
/* The TSC frequency: MSR_PLATFORM_INFO (0xCE) bits 15:8, the maximum non-turbo ratio, times
 * 100 MHz (SDM Vol. 4, Table 2-25 and the invariant-TSC note of 18.17). */
uint64_t tsc_hz(void);

/* CRC-32 as in ISO 3309 / ITU-T V.42 / zlib (reflected polynomial 0xEDB88320, initial and final
 * value 0xFFFFFFFF): python3 -c 'import zlib; print(hex(zlib.crc32(open("F","rb").read())))'. */
uint32_t crc32(const void *data, uint32_t len);

extern char __image_start[], __image_end[];

#endif
