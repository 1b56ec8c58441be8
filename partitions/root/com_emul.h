/* com_emul.h — the COM1 a child partition sees: a 16550 register file emulated by the root
 * partition from the child's port-I/O intercepts (docs/HYPERVISOR.md "The root partition
 * kernel"). A pure function of its state and one access: no I/O, no allocation, so it runs in
 * the root kernel and in host unit tests (tests/unit/test_pm_com.cc).
 *
 * Behaviour (PC16550D datasheet): RBR/THR and IER with DLL/DLM behind LCR.DLAB; IIR/FCR with the
 * THR-empty interrupt (raised by setting IER.ETBEI and by every THR write, cleared by reading IIR
 * while it is the reported source or by writing THR); LCR; MCR (bits 4:0) with loopback, where THR
 * bytes go to the receiver instead of the output and MCR drives MSR (DTR->DSR, RTS->CTS,
 * OUT1->RI, OUT2->DCD); LSR (THRE and TEMT always set: transmission is instantaneous; DR when a
 * looped-back byte waits); MSR with its delta bits; SCR. No modem lines are connected and nothing
 * is ever received from outside: without loopback RBR reads 0 and MSR 7:4 read 0. Interrupt
 * identification in priority order (no line-status errors can occur): received data at the
 * trigger level (1 without FIFOs; the character timeout is not emulated), THR empty, modem
 * status.
 *
 * Invariants: rx_count <= COM_EMUL_RX_MAX; ier bits 7:4 and mcr bits 7:5 are 0. An access of 2 or
 * 4 bytes is that many byte accesses to consecutive ports (as the ISA bus splits it); bytes
 * outside [base, base + 8) read 0xFF and ignore writes.
 */
#ifndef COM_EMUL_H
#define COM_EMUL_H

#include <stdbool.h>
#include <stdint.h>

#define COM_EMUL_COM1 0x3F8
#define COM_EMUL_RX_MAX 16

struct com_emul {
    uint16_t base;              /* first port (COM_EMUL_COM1) */
    uint8_t ier, lcr, mcr, scr, dll, dlm;
    bool fifo_enabled;
    uint8_t fcr_bits;           /* FCR 7:6 and 3 as last programmed with FCR0 = 1 */
    bool thr_ipending;          /* the THR-empty interrupt is pending */
    uint8_t msr_delta;          /* MSR 3:0 */
    uint8_t rx[COM_EMUL_RX_MAX];
    uint32_t rx_count;          /* looped-back bytes waiting (1 at most without FIFOs) */
};

/* The registers after a reset (datasheet Table IV "UART reset configuration"). */
void com_emul_reset(struct com_emul *c, uint16_t base);

/* One access of size 1, 2 or 4 bytes. A write's output bytes (what the child transmitted) are
 * appended to out[0..3] and counted in *nout; a read returns the value (little-endian bytes). */
uint32_t com_emul_access(struct com_emul *c, uint16_t port, unsigned size, bool write,
                         uint32_t value, uint8_t out[4], unsigned *nout);

/* Is an enabled interrupt pending (the INTR output before the PC's OUT2 gate)? */
bool com_emul_irq(const struct com_emul *c);

#endif
