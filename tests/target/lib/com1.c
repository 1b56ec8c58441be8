/* com1.c — COM1 as the kernels' console, programmed as a PC16550D datasheet driver would:
 * divisor latch through LCR.DLAB (8.2), LCR word format (8.3), FCR (8.5), polling LSR.THRE (8.4)
 * before each THR write. */
#include "kernel.h"

void com1_init(void)
{
    outb(COM1 + UART_IER, 0x00);          /* no interrupts */
    outb(COM1 + UART_LCR, 0x80);          /* DLAB = 1 */
    outb(COM1 + UART_DLL, 0x01);          /* divisor 1: 115200 baud from 1.8432 MHz */
    outb(COM1 + UART_DLM, 0x00);
    outb(COM1 + UART_LCR, 0x03);          /* DLAB = 0; 8 bits, no parity, 1 stop bit */
    outb(COM1 + UART_FCR, 0x07);          /* FIFOs on, clear RX and TX, trigger level 1 */
    outb(COM1 + UART_MCR, 0x03);          /* DTR, RTS; OUT2 off: no interrupt to the PIC */
}

void com1_putc(char c)
{
    /* bounded wait: a UART that never becomes ready must not hang the kernel */
    for (unsigned n = 0; n < 1000000 && !(inb(COM1 + UART_LSR) & LSR_THRE); n++)
        ;
    outb(COM1 + UART_THR, (uint8_t)c);
}
