/* uart16550.h — the National/TI PC16550D UART ("16550A"): the PC's COM ports (COM1 at 0x3f8,
 * COM2 at 0x2f8, eight byte-wide registers each).
 *
 * Modelled after the PC16550D datasheet: RBR/THR, IER, IIR/FCR, LCR (DLAB), MCR, LSR, MSR, SCR,
 * DLL/DLM; the 16-byte receive FIFO with trigger levels 1/4/8/14 and per-character error bits;
 * the four-level interrupt priority (line status > received data / character timeout > THR empty
 * > modem status); loopback; the PC's OUT2 gate on the interrupt line. See docs/DEVICES.md.
 *
 * Timing: transmission is instantaneous. A byte written to THR reaches the sink (or, in loopback,
 * the receiver) during the OUT instruction, and THRE/TEMT are set again at once, so the transmit
 * FIFO is always empty and the THRE interrupt is re-armed by every THR write. The character
 * timeout interrupt is timed on the machine's event queue (sim/evq.h): 4 character times of 10
 * bits at 115200/divisor baud after the last character received or the last RBR read. No host
 * time is ever read.
 *
 * Invariants:
 *  - rx_count <= 16 in FIFO mode and <= 1 in 16450 mode (the RBR); rx_err[] holds the PE/FE/BI
 *    bits of each received character, revealed in LSR when the character reaches the top.
 *  - The IRQ output equals (an enabled interrupt is pending) && MCR.OUT2 && !MCR.LOOP, and
 *    irq_set is called only when that level changes.
 *  - The timeout event is queued iff FIFO mode is on, the RX FIFO holds data and no timeout is
 *    already pending.
 */
#ifndef HVSIM_UART16550_H
#define HVSIM_UART16550_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/irq.h"
#include "sim/evq.h"

#ifdef __cplusplus
extern "C" {
#endif

struct bus;

#define UART_COM1_PORT 0x3f8
#define UART_COM2_PORT 0x2f8
#define UART_FIFO_SIZE 16
#define UART_CLOCK_BAUD 115200u   /* 1.8432 MHz / 16: the baud rate at divisor 1 */

/* Register offsets (PC16550D Table II). DLAB = LCR bit 7 selects DLL/DLM at offsets 0/1. */
enum {
    UART_RBR = 0, UART_THR = 0, UART_DLL = 0,
    UART_IER = 1, UART_DLM = 1,
    UART_IIR = 2, UART_FCR = 2,
    UART_LCR = 3, UART_MCR = 4, UART_LSR = 5, UART_MSR = 6, UART_SCR = 7,
};

/* IER */
#define UART_IER_ERBFI 0x01   /* received data available (and character timeout) */
#define UART_IER_ETBEI 0x02   /* transmitter holding register empty */
#define UART_IER_ELSI  0x04   /* receiver line status */
#define UART_IER_EDSSI 0x08   /* modem status */
/* IIR: bit 0 = 0 when an interrupt is pending, bits 3:1 its identity, bits 7:6 = FCR0 twice */
#define UART_IIR_NONE  0x01
#define UART_IIR_MSI   0x00
#define UART_IIR_THRI  0x02
#define UART_IIR_RDI   0x04
#define UART_IIR_RLSI  0x06
#define UART_IIR_CTI   0x0c
#define UART_IIR_FIFO  0xc0
/* FCR */
#define UART_FCR_ENABLE   0x01
#define UART_FCR_RXRESET  0x02
#define UART_FCR_TXRESET  0x04
#define UART_FCR_DMA      0x08
#define UART_FCR_TRIGGER  0xc0
/* LCR */
#define UART_LCR_WLS   0x03   /* word length: 5 + value bits */
#define UART_LCR_BREAK 0x40
#define UART_LCR_DLAB  0x80
/* MCR */
#define UART_MCR_DTR  0x01
#define UART_MCR_RTS  0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08
#define UART_MCR_LOOP 0x10
/* LSR */
#define UART_LSR_DR   0x01
#define UART_LSR_OE   0x02
#define UART_LSR_PE   0x04
#define UART_LSR_FE   0x08
#define UART_LSR_BI   0x10
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
#define UART_LSR_FIFOERR 0x80
/* MSR: bits 3:0 are change flags, bits 7:4 the (complemented) modem inputs */
#define UART_MSR_DCTS 0x01
#define UART_MSR_DDSR 0x02
#define UART_MSR_TERI 0x04
#define UART_MSR_DDCD 0x08
#define UART_MSR_CTS  0x10
#define UART_MSR_DSR  0x20
#define UART_MSR_RI   0x40
#define UART_MSR_DCD  0x80

struct uart16550 {
    /* programmer-visible registers */
    uint8_t ier, lcr, mcr, scr, dll, dlm;
    bool fifo_enabled;        /* FCR0 */
    uint8_t fcr_bits;         /* last programmed FCR3 (DMA mode) and FCR7:6 (trigger) */
    uint8_t lsr_err;          /* latched OE/PE/FE/BI, cleared by reading LSR */
    bool lsr_fifoerr;         /* LSR7 latch */
    uint8_t msr_delta;        /* DCTS/DDSR/TERI/DDCD, cleared by reading MSR */
    uint8_t modem_in;         /* external CTS/DSR/RI/DCD as MSR bits 7:4 */
    uint8_t rbr;              /* last character read (returned again when the FIFO is empty) */
    /* receiver FIFO (the RBR in 16450 mode) */
    uint8_t rx_fifo[UART_FIFO_SIZE];
    uint8_t rx_err[UART_FIFO_SIZE];
    unsigned rx_head, rx_count;
    /* interrupt state */
    bool thr_ipending;        /* THRE interrupt armed (cleared by IIR read of it or a THR write) */
    bool timeout_pending;     /* character timeout indication */
    bool irq_level;           /* current level of the IRQ output */
    struct irq_line irq;
    /* host side */
    void (*tx)(void *opaque, uint8_t byte);
    void *tx_opaque;
    struct evq *q;            /* NULL: no character timeout */
    struct event timeout_ev;
    /* statistics */
    uint64_t tx_bytes, rx_bytes, overruns, ignored_writes, wide_accesses;
};

/* Zero and reset the UART (IER 0, IIR 0x01, LCR 0, MCR 0, LSR 0x60, divisor 0, FIFOs off).
 * `q` times the character timeout (may be NULL), `irq` is the line to drive (IRQ 4 for COM1,
 * 3 for COM2 on a PC), `tx` receives every transmitted byte (may be NULL to discard). The modem
 * inputs start as a connected terminal: CTS, DSR and DCD asserted, RI not. */
void uart16550_init(struct uart16550 *u, struct evq *q, const struct irq_line *irq,
                    void (*tx)(void *opaque, uint8_t byte), void *tx_opaque);
/* Master reset: registers to their datasheet reset values, FIFOs cleared, timeout cancelled. */
void uart16550_reset(struct uart16550 *u);
/* Map the eight registers at base_port. 0, or -1 if the ports are taken. */
int uart16550_map(struct uart16550 *u, struct bus *b, uint16_t base_port);

/* A character arrives on the serial input (SIN). Returns true if it was stored; false if it was
 * lost: an overrun (FIFO full, or RBR still full in 16450 mode: OE is set as on the hardware) or
 * loopback mode (SIN is disconnected). Feed only while uart16550_rx_room() to lose nothing. */
bool uart16550_rx(struct uart16550 *u, uint8_t byte);
/* A break condition (input held spacing for a character time): one zero character with BI. */
bool uart16550_rx_break(struct uart16550 *u);
/* True if a character arriving now would be stored without overrun. */
bool uart16550_rx_room(const struct uart16550 *u);
/* Set the external modem inputs (UART_MSR_CTS/DSR/RI/DCD); updates the MSR change bits. */
void uart16550_set_modem_inputs(struct uart16550 *u, uint8_t msr_bits);

/* Register access as the guest sees it at offset 0..7 (byte-wide). */
uint8_t uart16550_read(struct uart16550 *u, unsigned offset);
void uart16550_write(struct uart16550 *u, unsigned offset, uint8_t value);

/* Picoseconds of 4 character times (10 bits each) at the programmed divisor. */
uint64_t uart16550_timeout_ps(const struct uart16550 *u);

#ifdef __cplusplus
}
#endif
#endif
