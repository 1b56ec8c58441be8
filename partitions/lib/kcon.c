/* kcon.c — COM1 console of the partition kernels (see kcon.h). Register use: PC16550D datasheet
 * 8.2 divisor latch (LCR.DLAB), 8.3 LCR word format, 8.5 FCR, 8.4 LSR.THRE polling. */
#include "partitions/lib/kcon.h"

#include "krt/krt.h"

#define REG_THR 0
#define REG_IER 1
#define REG_FCR 2
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5
#define LSR_THRE 0x20

void kcon_init(void)
{
    outb(KCON_COM1 + REG_IER, 0x00);       /* no interrupts */
    outb(KCON_COM1 + REG_LCR, 0x80);       /* DLAB = 1 */
    outb(KCON_COM1 + REG_THR, 0x01);       /* DLL: divisor 1 = 115200 baud from 1.8432 MHz */
    outb(KCON_COM1 + REG_IER, 0x00);       /* DLM */
    outb(KCON_COM1 + REG_LCR, 0x03);       /* DLAB = 0, 8 data bits, no parity, 1 stop bit */
    outb(KCON_COM1 + REG_FCR, 0x07);       /* FIFOs on, both cleared, trigger level 1 */
    outb(KCON_COM1 + REG_MCR, 0x03);       /* DTR, RTS; OUT2 off: no interrupt */
}

void kcon_putc(char c)
{
    for (unsigned n = 0; n < 100000 && !(inb(KCON_COM1 + REG_LSR) & LSR_THRE); n++)
        cpu_pause();
    outb(KCON_COM1 + REG_THR, (uint8_t)c);
}

void kcon_puts(const char *s)
{
    while (*s)
        kcon_putc(*s++);
}

static void put(void *ctx, char c)
{
    (void)ctx;
    kcon_putc(c);
}

/* One kcon_printf at a time on all of a kernel's VPs, so the lines of two VPs never mix (each
 * call prints whole lines). The wait is bounded (KCON_LOCK_SPINS pauses, far longer than any
 * line takes even with the holder's LP running other VPs' slices): a VP that faults while it
 * holds the lock still gets its report out, at worst interleaved. */
#define KCON_LOCK_SPINS (1u << 26)
static volatile uint32_t kcon_lock_word;

void kcon_printf(const char *fmt, ...)
{
    bool locked = false;
    for (uint32_t n = 0; n < KCON_LOCK_SPINS; n++) {
        if (!__atomic_exchange_n(&kcon_lock_word, 1u, __ATOMIC_ACQUIRE)) {
            locked = true;
            break;
        }
        cpu_pause();
    }
    va_list ap;
    va_start(ap, fmt);
    krt_vformat(put, 0, fmt, ap);
    va_end(ap);
    if (locked)
        __atomic_store_n(&kcon_lock_word, 0u, __ATOMIC_RELEASE);
}
