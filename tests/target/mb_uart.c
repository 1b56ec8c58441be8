/* mb_uart.c — the 16550A UART on COM1 as a driver sees it, run by tests/target/mb_uart.cfg.
 *
 * Expected values from the National Semiconductor PC16550D datasheet (section 8, registers):
 * reset values (Table IV), scratch register (8.10), divisor latch through LCR.DLAB (8.2, 8.3),
 * MCR bits 7:5 reading 0 (8.6), LSR THRE/TEMT (8.4), FCR and IIR bits 7:6 (8.5, 8.7), IIR
 * priorities (Table V), loopback (8.6: SOUT marking, SIN disconnected, TX looped to RX, DTR->DSR,
 * RTS->CTS, OUT1->RI, OUT2->DCD; MSR delta bits 8.8, TERI on RI's trailing edge), FIFO trigger
 * levels and the character timeout (8.5, 8.7: 4 character times). The PC wiring (IBM PC/AT
 * serial adapter): INTRPT reaches IRQ 4 only while OUT2 is active, and loopback forces the OUT2
 * pin inactive, so in loopback the UART's interrupts do not reach the 8259A even though IIR
 * reports them. IRQ 4 arrives at vector ICW2 base + 4 (Intel 8259A datasheet).
 *
 * COM1 is also the console: every block saves what it reads in locals, puts COM1 back in its
 * console state (com1_init, IER 0, no loopback) and only then prints its PASS/FAIL lines.
 */
#include "lib/kernel.h"
#include "lib/test.h"

#define U(r) (COM1 + (r))
#define IRQ_BASE 0x40                    /* master ICW2: IRQ 0-7 -> vectors 0x40-0x47 */
#define SLAVE_BASE 0x48

static void restore_console(void)
{
    outb(U(UART_IER), 0);
    com1_init();
}

/* Wait for `us` microseconds of virtual time (TSC). */
static void delay_us(uint32_t us)
{
    uint64_t end = rdtsc() + udiv64(tsc_hz() * us, 1000000, 0);
    while (rdtsc() < end)
        ;
}

static void drain(void)
{
    for (int i = 0; i < 32 && (inb(U(UART_LSR)) & LSR_DR); i++)
        (void)inb(U(UART_RBR));
    (void)inb(U(UART_LSR));
    (void)inb(U(UART_MSR));
}

static void test_reset_values(void)
{
    t_eq("reset: IER = 0x00", com1_at_boot.ier, 0x00);
    t_eq("reset: IIR = 0x01 (no interrupt pending, FIFOs off)", com1_at_boot.iir, 0x01);
    t_eq("reset: LCR = 0x00", com1_at_boot.lcr, 0x00);
    t_eq("reset: MCR = 0x00", com1_at_boot.mcr, 0x00);
    t_eq("reset: LSR = 0x60 (THRE, TEMT)", com1_at_boot.lsr, 0x60);
}

static void test_registers(void)
{
    uint8_t scr[3], dll, dlm, lcr_dlab, ier_after, dll2, dlm2, lcr[3], mcr[2], com2_scr;
    static const uint8_t scr_val[3] = { 0x55, 0xaa, 0x00 };
    for (int i = 0; i < 3; i++) {
        outb(U(UART_SCR), scr_val[i]);
        scr[i] = inb(U(UART_SCR));
    }
    outb(U(UART_LCR), 0x83);                  /* DLAB */
    outb(U(UART_DLL), 0x0c);                  /* divisor 0x10C */
    outb(U(UART_DLM), 0x01);
    dll = inb(U(UART_DLL));
    dlm = inb(U(UART_DLM));
    lcr_dlab = inb(U(UART_LCR));
    outb(U(UART_LCR), 0x03);                  /* DLAB off: offset 1 is IER again */
    ier_after = inb(U(UART_IER));
    outb(U(UART_LCR), 0x83);
    dll2 = inb(U(UART_DLL));                  /* the latch kept its value */
    dlm2 = inb(U(UART_DLM));
    static const uint8_t lcr_val[3] = { 0x1f, 0x3a, 0x04 };  /* formats, parity, stop bits */
    for (int i = 0; i < 3; i++) {
        outb(U(UART_LCR), lcr_val[i]);
        lcr[i] = inb(U(UART_LCR));
    }
    outb(U(UART_MCR), 0x0f);
    mcr[0] = inb(U(UART_MCR));
    outb(U(UART_MCR), 0xef);                  /* bits 7:5 too (not LOOP): they always read 0 */
    mcr[1] = inb(U(UART_MCR));
    outb(0x2ff, 0x3c);                        /* COM2's scratch register */
    com2_scr = inb(0x2ff);
    restore_console();

    t_check(scr[0] == 0x55 && scr[1] == 0xaa && scr[2] == 0x00, "SCR: holds what was written",
            "read 0x%x 0x%x 0x%x", scr[0], scr[1], scr[2]);
    t_check(dll == 0x0c && dlm == 0x01, "DLAB=1: DLL/DLM read back the divisor latch",
            "DLL 0x%x DLM 0x%x, want 0xc 0x1", dll, dlm);
    t_eq("LCR: reads back with DLAB set", lcr_dlab, 0x83);
    t_eq("DLAB=0: offset 1 is IER again", ier_after, 0x00);
    t_check(dll2 == 0x0c && dlm2 == 0x01, "divisor latch unchanged while DLAB was 0",
            "DLL 0x%x DLM 0x%x", dll2, dlm2);
    t_check(lcr[0] == 0x1f && lcr[1] == 0x3a && lcr[2] == 0x04, "LCR: word length, stop bits, "
            "parity read back", "read 0x%x 0x%x 0x%x", lcr[0], lcr[1], lcr[2]);
    t_eq("MCR: DTR RTS OUT1 OUT2 read back", mcr[0], 0x0f);
    t_eq("MCR: bits 7:5 read 0", mcr[1], 0x0f);
    t_eq("COM2 (0x2F8): scratch register", com2_scr, 0x3c);
}

static void test_lsr_fifo(void)
{
    tputs("# THR test byte: ");
    outb(U(UART_THR), 'X');
    uint8_t lsr = 0;
    unsigned polls = 0;
    while (polls < 100000 && (lsr = inb(U(UART_LSR)), (lsr & 0x60) != 0x60))
        polls++;
    tputs("\n");
    t_check((lsr & 0x60) == 0x60, "LSR: THRE and TEMT set again after a THR write",
            "LSR 0x%x after %u polls", lsr, polls);

    outb(U(UART_FCR), 0x07);
    uint8_t iir_fifo = inb(U(UART_IIR));
    outb(U(UART_FCR), 0x00);
    uint8_t iir_nofifo = inb(U(UART_IIR));
    restore_console();
    t_eq("FCR0=1: IIR = 0xC1 (bits 7:6 = 11: FIFOs enabled)", iir_fifo, 0xc1);
    t_eq("FCR0=0: IIR = 0x01 (16450 mode)", iir_nofifo, 0x01);
}

static void test_loopback(void)
{
    /* data: three bytes through the FIFO */
    outb(U(UART_FCR), 0x07);
    outb(U(UART_MCR), 0x10);
    drain();
    outb(U(UART_THR), 'a');
    outb(U(UART_THR), 'b');
    outb(U(UART_THR), 'c');
    uint8_t lsr0 = inb(U(UART_LSR)), rx[3];
    for (int i = 0; i < 3; i++)
        rx[i] = inb(U(UART_RBR));
    uint8_t lsr1 = inb(U(UART_LSR));

    /* modem lines: outputs loop to inputs, with their delta bits */
    outb(U(UART_MCR), 0x10);
    (void)inb(U(UART_MSR));                   /* clear the deltas of entering loopback */
    uint8_t msr[7];
    msr[0] = inb(U(UART_MSR));
    outb(U(UART_MCR), 0x1a);                  /* RTS, OUT2: the Linux probe */
    msr[1] = inb(U(UART_MSR));
    msr[2] = inb(U(UART_MSR));
    outb(U(UART_MCR), 0x14);                  /* OUT1 only */
    msr[3] = inb(U(UART_MSR));
    outb(U(UART_MCR), 0x10);                  /* RI falls: trailing edge */
    msr[4] = inb(U(UART_MSR));
    outb(U(UART_MCR), 0x11);                  /* DTR */
    msr[5] = inb(U(UART_MSR));
    msr[6] = inb(U(UART_MSR));
    restore_console();

    t_check(lsr0 & LSR_DR, "loopback: a written byte sets LSR.DR", "LSR 0x%x", lsr0);
    t_check(rx[0] == 'a' && rx[1] == 'b' && rx[2] == 'c', "loopback: bytes come back in order",
            "got 0x%x 0x%x 0x%x", rx[0], rx[1], rx[2]);
    t_check(!(lsr1 & LSR_DR), "loopback: DR clear once the FIFO is read", "LSR 0x%x", lsr1);
    t_eq("loopback: MCR 0x10: MSR 0x00", msr[0], 0x00);
    t_eq("loopback: MCR 0x1A: MSR 0x99 (CTS, DCD; DCTS, DDCD)", msr[1], 0x99);
    t_eq("loopback: reading MSR clears bits 3:0", msr[2], 0x90);
    t_eq("loopback: MCR 0x14: MSR 0x49 (RI; DCTS, DDCD)", msr[3], 0x49);
    t_eq("loopback: RI falling sets TERI: MSR 0x04", msr[4], 0x04);
    t_eq("loopback: MCR 0x11: MSR 0x22 (DSR; DDSR)", msr[5], 0x22);
    t_eq("loopback: MSR 0x20 after the read", msr[6], 0x20);
}

/* IIR priorities (Table V) in 16450 mode, in loopback with every interrupt enabled. */
static void test_iir_priorities(void)
{
    uint8_t iir[11], lsr, rbr, msr;
    outb(U(UART_FCR), 0x00);
    outb(U(UART_MCR), 0x10);
    drain();
    outb(U(UART_IER), 0x00);
    iir[0] = inb(U(UART_IIR));                /* nothing */
    outb(U(UART_IER), 0x02);                  /* ETBEI with THR empty: THRE at once */
    iir[1] = inb(U(UART_IIR));
    iir[2] = inb(U(UART_IIR));                /* reading IIR cleared THRE */
    outb(U(UART_IER), 0x0f);
    outb(U(UART_THR), 0x41);                  /* received data over THRE */
    for (int i = 0; i < 1000 && !(inb(U(UART_LSR)) & LSR_DR); i++)
        ;
    iir[3] = inb(U(UART_IIR));
    outb(U(UART_THR), 0x42);                  /* RBR not read: overrun */
    for (int i = 0; i < 1000 && (inb(U(UART_IIR)) & 0x0f) != 0x06; i++)
        ;
    iir[4] = inb(U(UART_IIR));                /* line status is the highest */
    lsr = inb(U(UART_LSR));                   /* clears OE */
    iir[5] = inb(U(UART_IIR));
    rbr = inb(U(UART_RBR));
    iir[6] = inb(U(UART_IIR));                /* THRE from the last THR write */
    iir[7] = inb(U(UART_IIR));
    outb(U(UART_MCR), 0x11);                  /* DTR -> DSR changes: modem status */
    iir[8] = inb(U(UART_IIR));
    msr = inb(U(UART_MSR));
    iir[9] = inb(U(UART_IIR));
    restore_console();

    t_eq("IIR: no source: 0x01", iir[0], 0x01);
    t_eq("IIR: ETBEI with THR empty: THRE (0x02)", iir[1], 0x02);
    t_eq("IIR: reading IIR clears THRE", iir[2], 0x01);
    t_eq("IIR: received data (0x04) outranks THRE", iir[3], 0x04);
    t_eq("IIR: overrun: receiver line status (0x06) first", iir[4], 0x06);
    t_eq("LSR: DR, OE, THRE, TEMT after the overrun", lsr, 0x63);
    t_eq("IIR: after the LSR read: received data (0x04)", iir[5], 0x04);
    t_eq("RBR: the second byte overwrote the first (16450 mode)", rbr, 0x42);
    t_eq("IIR: after the RBR read: THRE (0x02)", iir[6], 0x02);
    t_eq("IIR: then nothing", iir[7], 0x01);
    t_eq("IIR: modem status change: 0x00", iir[8], 0x00);
    t_eq("MSR: DSR and DDSR", msr, 0x22);
    t_eq("IIR: the MSR read cleared it", iir[9], 0x01);
}

/* FIFO mode: the trigger level decides when received data interrupts; below it, the character
 * timeout (4 character times without activity) does. */
static void test_fifo_trigger(void)
{
    uint8_t iir[5];
    outb(U(UART_MCR), 0x10);
    outb(U(UART_FCR), 0x47);                  /* FIFOs, clear, RX trigger 4 */
    drain();
    outb(U(UART_IER), 0x01);                  /* ERBFI only */
    outb(U(UART_THR), '1');
    outb(U(UART_THR), '2');
    outb(U(UART_THR), '3');
    iir[0] = inb(U(UART_IIR));                /* 3 < 4: nothing yet */
    outb(U(UART_THR), '4');
    iir[1] = inb(U(UART_IIR));                /* 4: received data, FIFO mode */
    for (int i = 0; i < 4; i++)
        (void)inb(U(UART_RBR));
    iir[2] = inb(U(UART_IIR));
    outb(U(UART_THR), '5');                   /* one byte, below the trigger */
    iir[3] = inb(U(UART_IIR));
    delay_us(1000);                           /* > 4 character times at 115200 baud (347 us) */
    iir[4] = inb(U(UART_IIR));                /* character timeout */
    restore_console();

    t_eq("FIFO trigger 4: three bytes raise nothing (IIR 0xC1)", iir[0], 0xc1);
    t_eq("FIFO trigger 4: the fourth raises received data (IIR 0xC4)", iir[1], 0xc4);
    t_eq("FIFO: reading the bytes clears it (IIR 0xC1)", iir[2], 0xc1);
    t_eq("FIFO: one byte below the trigger: no interrupt at once", iir[3], 0xc1);
    t_eq("FIFO: character timeout after 4 character times (IIR 0xCC)", iir[4], 0xcc);
}

/* ---- interrupt-driven I/O through the 8259A (IRQ 4) --------------------------------------- */
static const char tx_msg[] = "# this line was sent by the THRE interrupt handler\n";
static volatile unsigned tx_pos, thre_seen, rx_seen, isr_calls, isr_bit4, other_src;
static volatile uint8_t rx_byte;

static void com1_isr(struct kframe *f)
{
    (void)f;
    if (isr_calls++ == 0)
        isr_bit4 = (pic_read_isr() >> 4) & 1;
    for (int guard = 0; guard < 256; guard++) {
        uint8_t iir = inb(U(UART_IIR));
        if (iir & 1)
            break;
        switch (iir & 0x0e) {
        case 0x02:                            /* THR empty: send the next byte or stop */
            thre_seen++;
            if (tx_msg[tx_pos])
                outb(U(UART_THR), (uint8_t)tx_msg[tx_pos++]);
            else
                outb(U(UART_IER), inb(U(UART_IER)) & ~0x02);
            break;
        case 0x04:
        case 0x0c:
            rx_byte = inb(U(UART_RBR));
            rx_seen++;
            break;
        default:
            other_src++;
            (void)inb(U(UART_LSR));
            (void)inb(U(UART_MSR));
            break;
        }
    }
    pic_eoi(4);
}

static void test_interrupts(void)
{
    kidt_set(IRQ_BASE + 4, com1_isr);
    pic_init(IRQ_BASE, SLAVE_BASE, (uint16_t)~(1u << 4));

    /* transmit: OUT2 on, ETBEI: the handler sends the whole line */
    outb(U(UART_MCR), 0x0b);
    outb(U(UART_IER), 0x02);
    for (int i = 0; i < 1000 && (inb(U(UART_IER)) & 0x02); i++)
        sti_hlt();
    cli();
    unsigned sent = tx_pos, thre = thre_seen, calls = isr_calls, bit4 = isr_bit4;

    /* receive in loopback: IIR reports data, but the PC's OUT2 gate keeps IRQ 4 low */
    outb(U(UART_IER), 0x00);
    outb(U(UART_MCR), 0x1b);                  /* LOOP, OUT2, RTS, DTR */
    drain();
    outb(U(UART_IER), 0x01);                  /* ERBFI */
    outb(U(UART_THR), 'Z');
    uint8_t iir_loop = inb(U(UART_IIR));
    sti();
    delay_us(100);
    cli();
    unsigned rx_in_loop = rx_seen;
    uint16_t irr = pic_read_irr();
    /* leaving loopback makes OUT2 active: the pending received-data interrupt reaches IRQ 4 */
    outb(U(UART_MCR), 0x0b);
    for (int i = 0; i < 100 && !rx_seen; i++)
        sti_hlt();
    cli();
    unsigned rx_after = rx_seen, other = other_src;
    uint8_t got = rx_byte;
    pic_set_mask(0xffff);
    restore_console();

    t_eq("IRQ 4: THRE interrupts sent the whole line", sent, sizeof tx_msg - 1);
    t_eq("IRQ 4: one THRE source per byte plus the last (which disables ETBEI)", thre,
         sizeof tx_msg);
    t_check(calls >= 1 && bit4, "IRQ 4: handled at vector ICW2 + 4 with ISR bit 4 set",
            "%u calls, ISR bit 4 = %u", calls, bit4);
    t_eq("loopback: IIR reports received data (0xC4)", iir_loop, 0xc4);
    t_check(rx_in_loop == 0 && !(irr & (1u << 4)), "loopback: OUT2 forced inactive keeps IRQ 4 "
            "low", "%u interrupts, IRR 0x%x", rx_in_loop, irr);
    t_check(rx_after == 1 && got == 'Z', "leaving loopback: received-data interrupt on IRQ 4",
            "%u interrupts, byte 0x%x", rx_after, got);
    t_eq("no other interrupt source seen", other, 0);
}

int main(void)
{
    t_begin("mb_uart");
    kidt_init();
    test_reset_values();
    test_registers();
    test_lsr_fifo();
    test_loopback();
    test_iir_priorities();
    test_fifo_trigger();
    test_interrupts();
    return t_finish();
}
