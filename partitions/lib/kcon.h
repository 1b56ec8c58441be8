/* kcon.h — the partition kernels' console: COM1 (I/O 0x3F8) programmed as a PC16550D driver
 * would (115200 baud, 8N1, FIFOs on, no interrupts) and polled output. In the root it drives the
 * physical UART (the root owns the devices); in a child every access is a port-I/O intercept that
 * the root emulates (partitions/root/com_emul.c) and prints tagged with the child's name.
 *
 * Invariants: kcon_init before output; output never blocks for ever (the THRE wait is bounded);
 * the output of one kcon_printf is not interleaved with another VP's kcon_printf (a lock whose
 * wait is bounded too).
 */
#ifndef KCON_H
#define KCON_H

#include <stdarg.h>

#define KCON_COM1 0x3F8

void kcon_init(void);
void kcon_putc(char c);
void kcon_puts(const char *s);
void kcon_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
