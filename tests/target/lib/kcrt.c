/* kcrt.c — kernel_start: what the Multiboot test kernels run after kentry.S saved the entry
 * state. Records COM1's power-on registers, programs COM1 as the console (tprintf goes there
 * from then on), runs main() and reports its return value on the debug-exit port (0xF4), so
 * `hvsim run` exits with status (ret << 1) | 1. */
#include "kernel.h"

struct uart_snapshot com1_at_boot;

__attribute__((noreturn)) void kernel_start(void);

__attribute__((noreturn)) void kernel_start(void)
{
    /* reads without side effects on a 16550 except IIR (clears a THRE interrupt: none at reset)
     * and LSR (clears error bits: none at reset) */
    com1_at_boot.ier = inb(COM1 + UART_IER);
    com1_at_boot.iir = inb(COM1 + UART_IIR);
    com1_at_boot.lcr = inb(COM1 + UART_LCR);
    com1_at_boot.mcr = inb(COM1 + UART_MCR);
    com1_at_boot.lsr = inb(COM1 + UART_LSR);
    com1_init();
    tconsole_set(com1_putc);
    target_exit(main());
}
