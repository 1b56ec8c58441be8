/* com_emul.c — the 16550 register file of a child's emulated COM1 (see com_emul.h for the
 * behaviour and invariants; PC16550D datasheet sections cited below). */
#include "partitions/root/com_emul.h"

/* Register offsets and bits (PC16550D Table II "Summary of registers"). */
#define REG_RBR 0   /* THR on write; DLL with DLAB */
#define REG_IER 1   /* DLM with DLAB */
#define REG_IIR 2   /* FCR on write */
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5
#define REG_MSR 6
#define REG_SCR 7

#define IER_ERBFI 0x01
#define IER_ETBEI 0x02
#define IER_EDSSI 0x08
#define IIR_NONE  0x01
#define IIR_MSI   0x00
#define IIR_THRI  0x02
#define IIR_RDI   0x04
#define IIR_FIFO  0xC0
#define FCR_ENABLE  0x01
#define FCR_RXRESET 0x02
#define LCR_DLAB  0x80
#define MCR_DTR   0x01
#define MCR_RTS   0x02
#define MCR_OUT1  0x04
#define MCR_OUT2  0x08
#define MCR_LOOP  0x10
#define LSR_DR    0x01
#define LSR_THRE  0x20
#define LSR_TEMT  0x40
#define MSR_DCTS  0x01
#define MSR_DDSR  0x02
#define MSR_TERI  0x04
#define MSR_DDCD  0x08
#define MSR_CTS   0x10
#define MSR_DSR   0x20
#define MSR_RI    0x40
#define MSR_DCD   0x80

void com_emul_reset(struct com_emul *c, uint16_t base)
{
    *c = (struct com_emul){ 0 };
    c->base = base;
}

/* MSR 7:4: nothing is connected; in loopback the MCR outputs (8.7). */
static uint8_t modem_inputs(const struct com_emul *c)
{
    if (!(c->mcr & MCR_LOOP))
        return 0;
    uint8_t v = 0;
    if (c->mcr & MCR_DTR)
        v |= MSR_DSR;
    if (c->mcr & MCR_RTS)
        v |= MSR_CTS;
    if (c->mcr & MCR_OUT1)
        v |= MSR_RI;
    if (c->mcr & MCR_OUT2)
        v |= MSR_DCD;
    return v;
}

static uint32_t rx_trigger(const struct com_emul *c)
{
    static const uint8_t level[4] = { 1, 4, 8, 14 };   /* FCR 7:6 (8.5) */
    return c->fifo_enabled ? level[c->fcr_bits >> 6] : 1;
}

/* The highest-priority enabled interrupt (IIR 3:0, Table V). */
static uint8_t iir_ident(const struct com_emul *c)
{
    if ((c->ier & IER_ERBFI) && c->rx_count >= rx_trigger(c))
        return IIR_RDI;
    if ((c->ier & IER_ETBEI) && c->thr_ipending)
        return IIR_THRI;
    if ((c->ier & IER_EDSSI) && c->msr_delta)
        return IIR_MSI;
    return IIR_NONE;
}

bool com_emul_irq(const struct com_emul *c)
{
    return iir_ident(c) != IIR_NONE;
}

static uint8_t rbr_read(struct com_emul *c)
{
    if (c->rx_count == 0)
        return 0;
    uint8_t v = c->rx[0];
    for (uint32_t k = 1; k < c->rx_count; k++)
        c->rx[k - 1] = c->rx[k];
    c->rx_count--;
    return v;
}

static uint8_t read_reg(struct com_emul *c, unsigned reg)
{
    bool dlab = c->lcr & LCR_DLAB;
    switch (reg) {
    case REG_RBR:
        return dlab ? c->dll : rbr_read(c);
    case REG_IER:
        return dlab ? c->dlm : c->ier;
    case REG_IIR: {
        uint8_t id = iir_ident(c);
        if (id == IIR_THRI)            /* reading IIR clears the THRE interrupt it reports */
            c->thr_ipending = false;
        return id | (c->fifo_enabled ? IIR_FIFO : 0);
    }
    case REG_LCR:
        return c->lcr;
    case REG_MCR:
        return c->mcr;
    case REG_LSR:
        return LSR_THRE | LSR_TEMT | (c->rx_count ? LSR_DR : 0);
    case REG_MSR: {
        uint8_t v = c->msr_delta | modem_inputs(c);
        c->msr_delta = 0;
        return v;
    }
    default:
        return c->scr;
    }
}

/* THR (8.4): the character leaves at once; in loopback it reaches the receiver (a full receiver
 * drops it: an overrun, whose LSR bit is not modelled). Word length: LCR 1:0. */
static void thr_write(struct com_emul *c, uint8_t v, uint8_t out[4], unsigned *nout)
{
    v &= (uint8_t)((1u << (5 + (c->lcr & 3))) - 1);
    if (c->mcr & MCR_LOOP) {
        uint32_t cap = c->fifo_enabled ? COM_EMUL_RX_MAX : 1;
        if (c->rx_count < cap)
            c->rx[c->rx_count++] = v;
        else if (!c->fifo_enabled)
            c->rx[0] = v;              /* 16450 mode: the RBR is overwritten */
    } else {
        out[(*nout)++] = v;
    }
    c->thr_ipending = true;
}

static void mcr_write(struct com_emul *c, uint8_t v)
{
    uint8_t old = modem_inputs(c);
    c->mcr = v & 0x1F;
    uint8_t now = modem_inputs(c);
    uint8_t ch = old ^ now;
    if (ch & MSR_CTS)
        c->msr_delta |= MSR_DCTS;
    if (ch & MSR_DSR)
        c->msr_delta |= MSR_DDSR;
    if (ch & MSR_DCD)
        c->msr_delta |= MSR_DDCD;
    if ((old & MSR_RI) && !(now & MSR_RI))
        c->msr_delta |= MSR_TERI;
}

static void fcr_write(struct com_emul *c, uint8_t v)
{
    bool enable = v & FCR_ENABLE;
    if (enable != c->fifo_enabled) {
        c->rx_count = 0;
        c->fifo_enabled = enable;
    }
    if (enable) {
        c->fcr_bits = v & 0xC8;
        if (v & FCR_RXRESET)
            c->rx_count = 0;
    }
}

static void write_reg(struct com_emul *c, unsigned reg, uint8_t v, uint8_t out[4],
                      unsigned *nout)
{
    bool dlab = c->lcr & LCR_DLAB;
    switch (reg) {
    case REG_RBR:
        if (dlab)
            c->dll = v;
        else
            thr_write(c, v, out, nout);
        break;
    case REG_IER:
        if (dlab) {
            c->dlm = v;
        } else {
            if (!(c->ier & IER_ETBEI) && (v & IER_ETBEI))
                c->thr_ipending = true;        /* THR is empty: THRE raised at once */
            c->ier = v & 0x0F;
        }
        break;
    case REG_IIR:
        fcr_write(c, v);
        break;
    case REG_LCR:
        c->lcr = v;
        break;
    case REG_MCR:
        mcr_write(c, v);
        break;
    case REG_SCR:
        c->scr = v;
        break;
    default:
        break;                                 /* LSR, MSR: read-only */
    }
}

uint32_t com_emul_access(struct com_emul *c, uint16_t port, unsigned size, bool write,
                         uint32_t value, uint8_t out[4], unsigned *nout)
{
    uint32_t result = 0;
    *nout = 0;
    if (size != 1 && size != 2 && size != 4)
        return 0;
    for (unsigned k = 0; k < size; k++) {
        uint32_t p = (uint32_t)port + k;
        uint8_t byte = (uint8_t)(value >> (8 * k));
        bool mine = p >= c->base && p < (uint32_t)c->base + 8;
        if (write) {
            if (mine)
                write_reg(c, p - c->base, byte, out, nout);
        } else {
            result |= (uint32_t)(mine ? read_reg(c, p - c->base) : 0xFF) << (8 * k);
        }
    }
    return result;
}
