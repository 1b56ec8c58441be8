/* uart16550.c — the PC16550D UART (see uart16550.h for the model and its invariants).
 *
 * Section names below refer to the National Semiconductor PC16550D datasheet ("8.0 Registers").
 */
#include "devices/uart16550.h"

#include <string.h>

#include "sim/bus.h"

/* FCR7:6 -> receiver FIFO trigger level (8.5 FIFO Control Register). */
static const unsigned rx_trigger_table[4] = { 1, 4, 8, 14 };

/* MCR outputs that drive the MSR inputs in loopback (8.7): DTR->DSR, RTS->CTS, OUT1->RI,
 * OUT2->DCD. */
static const struct { uint8_t mcr, msr; } loop_wiring[4] = {
    { UART_MCR_DTR,  UART_MSR_DSR },
    { UART_MCR_RTS,  UART_MSR_CTS },
    { UART_MCR_OUT1, UART_MSR_RI },
    { UART_MCR_OUT2, UART_MSR_DCD },
};

static unsigned rx_capacity(const struct uart16550 *u)
{
    return u->fifo_enabled ? UART_FIFO_SIZE : 1;
}

static uint8_t word_mask(const struct uart16550 *u)
{
    return (uint8_t)((1u << (5 + (u->lcr & UART_LCR_WLS))) - 1);
}

/* Errors in characters behind the top one (whose errors LSR is reporting right now). */
static bool rx_error_behind_top(const struct uart16550 *u)
{
    for (unsigned k = 1; k < u->rx_count; k++)
        if (u->rx_err[(u->rx_head + k) % UART_FIFO_SIZE])
            return true;
    return false;
}

/* The modem-status inputs as the MSR sees them: external lines, or the MCR outputs in loopback. */
static uint8_t modem_inputs(const struct uart16550 *u)
{
    if (!(u->mcr & UART_MCR_LOOP))
        return u->modem_in;
    uint8_t v = 0;
    for (unsigned k = 0; k < 4; k++)
        if (u->mcr & loop_wiring[k].mcr)
            v |= loop_wiring[k].msr;
    return v;
}

/* MSR3:0 (8.8): DCTS/DDSR/DDCD on any change, TERI when RI goes from asserted to not. */
static void modem_delta(struct uart16550 *u, uint8_t old, uint8_t now)
{
    uint8_t ch = old ^ now;
    if (ch & UART_MSR_CTS)
        u->msr_delta |= UART_MSR_DCTS;
    if (ch & UART_MSR_DSR)
        u->msr_delta |= UART_MSR_DDSR;
    if (ch & UART_MSR_DCD)
        u->msr_delta |= UART_MSR_DDCD;
    if ((old & UART_MSR_RI) && !(now & UART_MSR_RI))
        u->msr_delta |= UART_MSR_TERI;
}

/* The highest-priority enabled pending interrupt as IIR3:0 (8.4, Table IV). */
static uint8_t iir_ident(const struct uart16550 *u)
{
    bool data = u->fifo_enabled ? u->rx_count >= rx_trigger_table[u->fcr_bits >> 6]
                                : u->rx_count > 0;
    if ((u->ier & UART_IER_ELSI) && u->lsr_err)
        return UART_IIR_RLSI;
    if ((u->ier & UART_IER_ERBFI) && data)
        return UART_IIR_RDI;
    if ((u->ier & UART_IER_ERBFI) && u->timeout_pending)
        return UART_IIR_CTI;
    if ((u->ier & UART_IER_ETBEI) && u->thr_ipending)
        return UART_IIR_THRI;
    if ((u->ier & UART_IER_EDSSI) && u->msr_delta)
        return UART_IIR_MSI;
    return UART_IIR_NONE;
}

/* Drive the IRQ output: INTR gated by OUT2 as on a PC; in loopback OUT2 is forced inactive. */
static void update_irq(struct uart16550 *u)
{
    bool level = iir_ident(u) != UART_IIR_NONE && (u->mcr & UART_MCR_OUT2) &&
                 !(u->mcr & UART_MCR_LOOP);
    if (level != u->irq_level) {
        u->irq_level = level;
        irq_set(&u->irq, level);
    }
}

uint64_t uart16550_timeout_ps(const struct uart16550 *u)
{
    uint64_t div = (uint64_t)u->dll | (uint64_t)u->dlm << 8;
    if (div == 0)
        div = 65536;   /* undefined in the datasheet; a 16-bit down-counter loaded with 0 */
    return 4 * 10 * div * PS_PER_S / UART_CLOCK_BAUD;
}

/* (Re)start the character-timeout timer (8.5 "FIFO Interrupt Mode Operation"): it runs while
 * the FIFO holds data and no timeout is pending; receiving or reading a character resets it. */
static void timeout_restart(struct uart16550 *u)
{
    if (!u->q)
        return;
    if (u->fifo_enabled && u->rx_count && !u->timeout_pending)
        evq_schedule(u->q, &u->timeout_ev, u->q->now + uart16550_timeout_ps(u));
    else
        evq_cancel(u->q, &u->timeout_ev);
}

static void timeout_fire(void *opaque, uint64_t now_ps)
{
    struct uart16550 *u = opaque;
    (void)now_ps;
    if (u->fifo_enabled && u->rx_count)
        u->timeout_pending = true;
    update_irq(u);
}

static void rx_clear(struct uart16550 *u)
{
    u->rx_head = 0;
    u->rx_count = 0;
    u->timeout_pending = false;
    u->lsr_fifoerr = false;
}

/* A character (with its PE/FE/BI bits) completes in the receiver shift register (8.6 LSR1). */
static bool rx_store(struct uart16550 *u, uint8_t byte, uint8_t err)
{
    bool stored = true;
    byte &= word_mask(u);
    u->rx_bytes++;
    if (u->rx_count == rx_capacity(u)) {
        /* Overrun: FIFO mode keeps the FIFO and loses the new character; 16450 mode
         * overwrites the RBR, destroying the previous one. */
        u->overruns++;
        u->lsr_err |= UART_LSR_OE;
        if (!u->fifo_enabled) {
            u->rx_fifo[u->rx_head] = byte;
            u->rx_err[u->rx_head] = err;
            u->lsr_err |= err;
        }
        stored = false;
    } else {
        unsigned idx = (u->rx_head + u->rx_count) % UART_FIFO_SIZE;
        u->rx_fifo[idx] = byte;
        u->rx_err[idx] = err;
        if (++u->rx_count == 1)
            u->lsr_err |= err;   /* errors show when their character is at the top */
        if (err && u->fifo_enabled)
            u->lsr_fifoerr = true;
    }
    timeout_restart(u);
    update_irq(u);
    return stored;
}

static uint8_t rbr_read(struct uart16550 *u)
{
    if (u->rx_count) {
        u->rbr = u->rx_fifo[u->rx_head];
        u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
        if (--u->rx_count)
            u->lsr_err |= u->rx_err[u->rx_head];
    }
    u->timeout_pending = false;
    timeout_restart(u);
    update_irq(u);
    return u->rbr;
}

static uint8_t iir_read(struct uart16550 *u)
{
    uint8_t id = iir_ident(u);
    if (id == UART_IIR_THRI) {   /* reading IIR clears a THRE interrupt it reports (8.4) */
        u->thr_ipending = false;
        update_irq(u);
    }
    return id | (u->fifo_enabled ? UART_IIR_FIFO : 0);
}

static uint8_t lsr_value(const struct uart16550 *u)
{
    uint8_t v = u->lsr_err | UART_LSR_THRE | UART_LSR_TEMT;   /* transmitter always idle */
    if (u->rx_count)
        v |= UART_LSR_DR;
    if (u->fifo_enabled && u->lsr_fifoerr)
        v |= UART_LSR_FIFOERR;
    return v;
}

static uint8_t lsr_read(struct uart16550 *u)
{
    uint8_t v = lsr_value(u);
    u->lsr_err = 0;   /* OE, PE, FE, BI reset on read */
    if (!rx_error_behind_top(u))   /* LSR7 clears unless further errors wait in the FIFO */
        u->lsr_fifoerr = false;
    update_irq(u);
    return v;
}

static uint8_t msr_read(struct uart16550 *u)
{
    uint8_t v = u->msr_delta | modem_inputs(u);
    u->msr_delta = 0;
    update_irq(u);
    return v;
}

uint8_t uart16550_read(struct uart16550 *u, unsigned offset)
{
    bool dlab = u->lcr & UART_LCR_DLAB;
    switch (offset & 7) {
    case UART_RBR: return dlab ? u->dll : rbr_read(u);
    case UART_IER: return dlab ? u->dlm : u->ier;
    case UART_IIR: return iir_read(u);
    case UART_LCR: return u->lcr;
    case UART_MCR: return u->mcr;
    case UART_LSR: return lsr_read(u);
    case UART_MSR: return msr_read(u);
    default:       return u->scr;
    }
}

/* THR write: the character leaves at once (instantaneous transmission), so THR and the shift
 * register are empty again and the THRE interrupt re-arms immediately. */
static void thr_write(struct uart16550 *u, uint8_t v)
{
    /* Loading THR resets THRE and its interrupt; the character moves on to the transmitter and
     * THRE sets again (PC16550D LSR bit 5, 8.4 IIR). Transmission is instantaneous here, but the
     * interrupt output still drops and rises again, so an edge-triggered input sees a new edge. */
    u->thr_ipending = false;
    update_irq(u);
    v &= word_mask(u);
    if (u->mcr & UART_MCR_LOOP) {
        rx_store(u, v, 0);          /* SOUT held marking, transmitter looped to the receiver */
    } else {
        u->tx_bytes++;
        if (u->tx)
            u->tx(u->tx_opaque, v);
    }
    u->thr_ipending = true;
    update_irq(u);
}

static void ier_write(struct uart16550 *u, uint8_t v)
{
    uint8_t old = u->ier;
    u->ier = v & 0x0f;   /* IER7:4 are always 0 */
    if (!(old & UART_IER_ETBEI) && (u->ier & UART_IER_ETBEI))
        u->thr_ipending = true;   /* enabling ETBEI with THR empty raises THRE at once */
    update_irq(u);
}

/* FCR (8.5): FCR0 enables both FIFOs, and changing it clears them; the other bits are only
 * programmed when FCR0 is written as 1. The transmit FIFO is always empty, so FCR2 has nothing
 * to clear. */
static void fcr_write(struct uart16550 *u, uint8_t v)
{
    bool enable = v & UART_FCR_ENABLE;
    if (enable != u->fifo_enabled) {
        rx_clear(u);
        u->fifo_enabled = enable;
    }
    if (enable) {
        u->fcr_bits = v & (UART_FCR_DMA | UART_FCR_TRIGGER);
        if (v & UART_FCR_RXRESET)
            rx_clear(u);
    }
    timeout_restart(u);
    update_irq(u);
}

static void mcr_write(struct uart16550 *u, uint8_t v)
{
    uint8_t old = modem_inputs(u);
    u->mcr = v & 0x1f;   /* MCR7:5 are always 0 */
    modem_delta(u, old, modem_inputs(u));
    update_irq(u);
}

void uart16550_write(struct uart16550 *u, unsigned offset, uint8_t value)
{
    bool dlab = u->lcr & UART_LCR_DLAB;
    switch (offset & 7) {
    case UART_THR:
        if (dlab)
            u->dll = value;
        else
            thr_write(u, value);
        break;
    case UART_IER:
        if (dlab)
            u->dlm = value;
        else
            ier_write(u, value);
        break;
    case UART_FCR: fcr_write(u, value); break;
    case UART_LCR: u->lcr = value; break;
    case UART_MCR: mcr_write(u, value); break;
    case UART_SCR: u->scr = value; break;
    default:       u->ignored_writes++; break;   /* LSR, MSR: read-only (LSR: factory test) */
    }
}

bool uart16550_rx(struct uart16550 *u, uint8_t byte)
{
    if (u->mcr & UART_MCR_LOOP)
        return false;   /* SIN is disconnected in loopback */
    return rx_store(u, byte, 0);
}

bool uart16550_rx_break(struct uart16550 *u)
{
    if (u->mcr & UART_MCR_LOOP)
        return false;
    return rx_store(u, 0, UART_LSR_BI);   /* one zero character per break */
}

bool uart16550_rx_room(const struct uart16550 *u)
{
    return !(u->mcr & UART_MCR_LOOP) && u->rx_count < rx_capacity(u);
}

void uart16550_set_modem_inputs(struct uart16550 *u, uint8_t msr_bits)
{
    uint8_t old = modem_inputs(u);
    u->modem_in = msr_bits & 0xf0;
    modem_delta(u, old, modem_inputs(u));
    update_irq(u);
}

/* Master reset (Table IV "UART Reset Configuration"): SCR and the divisor latch keep their
 * values. */
void uart16550_reset(struct uart16550 *u)
{
    u->ier = 0;
    u->lcr = 0;
    u->mcr = 0;
    u->fifo_enabled = false;
    u->fcr_bits = 0;
    u->lsr_err = 0;
    u->msr_delta = 0;
    u->thr_ipending = false;
    rx_clear(u);
    timeout_restart(u);
    update_irq(u);
}

void uart16550_init(struct uart16550 *u, struct evq *q, const struct irq_line *irq,
                    void (*tx)(void *opaque, uint8_t byte), void *tx_opaque)
{
    memset(u, 0, sizeof(*u));
    u->q = q;
    if (irq)
        u->irq = *irq;
    u->tx = tx;
    u->tx_opaque = tx_opaque;
    u->modem_in = UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD;
    event_init(&u->timeout_ev, timeout_fire, u, "uart16550-timeout");
    uart16550_reset(u);
}

/* The UART is a byte-wide ISA device: a wider access is split into byte accesses at
 * consecutive ports, as the bus does; bytes beyond the eight registers read as all ones. */
static uint64_t uart_pio_read(void *opaque, uint64_t offset, unsigned size)
{
    struct uart16550 *u = opaque;
    uint64_t v = 0;
    if (size != 1)
        u->wide_accesses++;
    for (unsigned k = 0; k < size; k++) {
        uint64_t off = offset + k;
        uint8_t b = off < 8 ? uart16550_read(u, (unsigned)off) : 0xff;
        v |= (uint64_t)b << (8 * k);
    }
    return v;
}

static void uart_pio_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct uart16550 *u = opaque;
    if (size != 1)
        u->wide_accesses++;
    for (unsigned k = 0; k < size; k++)
        if (offset + k < 8)
            uart16550_write(u, (unsigned)(offset + k), (uint8_t)(value >> (8 * k)));
}

static const struct bus_ops uart_ops = { uart_pio_read, uart_pio_write };

int uart16550_map(struct uart16550 *u, struct bus *b, uint16_t base_port)
{
    return bus_map_pio(b, base_port, 8, &uart_ops, u, "uart16550");
}
