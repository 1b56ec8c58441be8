/* ioapic_uart.c — device interrupts through the I/O APIC, run by tests/target/ioapic_uart.cfg
 * (cpus = 4): COM1's interrupt on its I/O APIC pin, edge and level entries, remote IRR and EOI,
 * a non-BSP destination, and the PIT on the pin the MADT's override names.
 *
 * Expected values:
 *   Intel 82093AA I/O APIC datasheet (3.0 registers): IOREGSEL at +0, IOWIN at +10H; ID (index
 *     0, bits 27:24), version (index 1: bits 7:0 version, 23:16 maximum redirection entry; a PC
 *     I/O APIC has 24 pins); redirection table entries at 10H + 2n (3.2.4): vector 7:0, delivery
 *     mode 10:8, destination mode 11, delivery status 12 (RO), polarity 13, remote IRR 14 (RO),
 *     trigger 15, mask 16, destination 63:56; every entry masked after reset. Remote IRR is set
 *     when a level interrupt is accepted and cleared by the EOI message with its vector; an edge
 *     that arrives while its entry is masked is lost. ICH-era I/O APICs (version 20H) also have
 *     the EOI register at +40H (Intel ICH9 datasheet 13.5.5), for directed EOI.
 *   ACPI 6.3 5.2.12.3/5.2.12.5: the MADT gives the I/O APIC's address, ID and GSI base; ISA IRQs
 *     without an override arrive on GSI = IRQ (COM1: IRQ 4 -> pin 4), IRQ 0 (PIT) has an
 *     override to GSI 2.
 *   Intel SDM Vol. 3 10.8.4-10.8.5: a level-triggered interrupt sets the vector's TMR bit; the
 *     local APIC's EOI of a level vector is broadcast to the I/O APIC, unless EOI-broadcast
 *     suppression (SVR bit 12, supported when version bit 24 is set) is on, in which case
 *     software writes the I/O APIC's EOI register. 10.5.3: a vector below 16 arriving at a
 *     local APIC is refused with ESR bit 6 "received illegal vector".
 *   PC16550D datasheet (Table IV, 8.4, 8.7): with IER.ETBEI = 1 the THRE interrupt is raised
 *     while THR is empty; it is cleared by reading IIR (when it is the source) or by writing
 *     THR, and raised again when THR empties; on a PC the INTRPT output reaches IRQ 4 only
 *     while MCR.OUT2 = 1. The line is a level: it stays asserted while the interrupt is pending.
 *   Intel 8254 datasheet: counter 0 in mode 2 with count 1193 interrupts every 1193 / 1193182 s;
 *     10 periods are 10 x 1193 x 2.4e9 / 1193182 = 23,996,340 TSC cycles (2.4 GHz TSC).
 */
#include "lib/kernel.h"
#include "lib/smp.h"
#include "lib/test.h"

#define NCPUS 4
#define VEC_TX 0x44
#define VEC_LEVEL 0x45
#define VEC_EDGE 0x46
#define VEC_PIT 0x42
#define VEC_PIN0 0x41
#define RTE_LEVEL (1u << 15)
#define RTE_REMOTE_IRR (1u << 14)
#define RTE_MASKED (1u << 16)
#define RTE_LOGICAL (1u << 11)
#define TOL_IRQ 600u                       /* interrupt latency, as in apic_timer.c */

static volatile uint32_t *ioapic;          /* the MADT's address */
static uint32_t com1_pin, pit_pin;

static uint32_t io_read(uint32_t idx)
{
    ioapic[0] = idx;
    return ioapic[4];
}

static void io_write(uint32_t idx, uint32_t v)
{
    ioapic[0] = idx;
    ioapic[4] = v;
}

static void rte_set(uint32_t pin, uint32_t lo, uint32_t dest)
{
    io_write(0x10 + 2 * pin, RTE_MASKED);  /* mask first, then destination, then the low half */
    io_write(0x11 + 2 * pin, dest << 24);
    io_write(0x10 + 2 * pin, lo);
}

static uint32_t rte_lo(uint32_t pin)
{
    return io_read(0x10 + 2 * pin);
}

static uint32_t apic_bit(unsigned base, unsigned vec)
{
    return (lapic_read(base + 0x10 * (vec / 32)) >> (vec % 32)) & 1;
}

/* ---- interrupt-driven transmission (edge entry) -------------------------------------------- */
static const char *volatile tx_msg;
static volatile uint32_t tx_pos, tx_irqs, tx_cpu_mask, tx_first_cpu, tx_iir_read = 1;

static void tx_handler(struct kframe *f)
{
    (void)f;
    if (tx_irqs++ == 0)
        tx_first_cpu = this_cpu()->apic_id;
    tx_cpu_mask |= 1u << this_cpu()->apic_id;
    if (tx_iir_read)
        (void)inb(COM1 + UART_IIR);         /* the usual driver: identify the source */
    if ((inb(COM1 + UART_LSR) & LSR_THRE) && tx_msg[tx_pos])
        outb(COM1 + UART_THR, (uint8_t)tx_msg[tx_pos++]);
    if (!tx_msg[tx_pos])
        outb(COM1 + UART_IER, 0);           /* done: no more THRE interrupts */
    lapic_eoi();
}

/* Send msg (a whole output line) by THRE interrupts; returns the number of interrupts. */
static uint32_t transmit(const char *msg, uint32_t dest, uint32_t lo_extra)
{
    tx_msg = msg;
    tx_pos = 0;
    tx_irqs = 0;
    tx_cpu_mask = 0;
    rte_set(com1_pin, VEC_TX | lo_extra, dest);
    outb(COM1 + UART_MCR, 0x0b);            /* DTR, RTS, OUT2: INTRPT reaches IRQ 4 */
    outb(COM1 + UART_IER, 0x02);            /* ETBEI: THR is empty, so THRE rises now */
    uint64_t end = rdtsc() + us_to_tsc(20000);
    sti();
    while (tx_msg[tx_pos] && rdtsc() < end)
        cpu_relax();
    delay_us(50);
    cli();
    outb(COM1 + UART_IER, 0);
    outb(COM1 + UART_MCR, 0x03);
    rte_set(com1_pin, RTE_MASKED, 0);
    return tx_irqs;
}

/* ---- level entry ------------------------------------------------------------------------- */
static volatile uint32_t lv_irqs, lv_remote_irr[3], lv_tmr[3], lv_clear_at = 2;

static void level_handler(struct kframe *f)
{
    (void)f;
    uint32_t n = lv_irqs++;
    if (n < 3) {
        lv_remote_irr[n] = (rte_lo(com1_pin) & RTE_REMOTE_IRR) != 0;
        lv_tmr[n] = apic_bit(LAPIC_TMR, VEC_LEVEL);
    }
    if (lv_irqs >= lv_clear_at)
        outb(COM1 + UART_IER, 0);           /* the UART drops its line */
    lapic_eoi();                            /* no IIR read, no THR write: still asserted */
}

static volatile uint32_t edge_irqs;
static void edge_handler(struct kframe *f)
{
    (void)f;
    edge_irqs++;
    lapic_eoi();                            /* the source stays asserted */
}

static void set_ldr(void *p);
static void set_tpr(void *p);

static void uart_raise_thre(void)
{
    outb(COM1 + UART_MCR, 0x0b);
    outb(COM1 + UART_IER, 0x02);
}

static void uart_quiet(void)
{
    outb(COM1 + UART_IER, 0);
    outb(COM1 + UART_MCR, 0x03);
}

static void settle(uint32_t us)
{
    sti();
    delay_us(us);
    cli();
}

static void test_registers(void)
{
    struct kacpi *a = &smp_acpi;
    t_eq("MADT: I/O APIC GSI base 0", a->ioapic_gsi_base, 0);
    com1_pin = kacpi_isa_gsi(a, 4, 0);
    uint16_t fl;
    pit_pin = kacpi_isa_gsi(a, 0, &fl);
    t_eq("MADT: COM1 (IRQ 4) on GSI 4 (no override)", com1_pin, 4);
    t_eq("MADT: PIT (IRQ 0) overridden to GSI 2", pit_pin, 2);
    t_eq("I/O APIC: ID register bits 27:24 = the MADT's ID", (io_read(0) >> 24) & 15,
         a->ioapic_id);
    uint32_t ver = io_read(1);
    t_check((ver & 0xff) >= 0x11 && ((ver >> 16) & 0xff) == 23, "I/O APIC: version register: "
            "version >= 11H, 24 redirection entries", "0x%x", ver);
    int masked = 1;
    for (unsigned n = 0; n < 24; n++)
        masked &= (rte_lo(n) & RTE_MASKED) != 0;
    t_check(masked, "I/O APIC: all 24 redirection entries masked after reset", "not all");
    io_write(0x10 + 2 * 5, RTE_MASKED | RTE_LEVEL | (1u << 13) | RTE_LOGICAL | (1u << 8) | 0x77);
    io_write(0x11 + 2 * 5, 0xa5u << 24);
    uint32_t lo = rte_lo(5), hi = io_read(0x11 + 2 * 5);
    t_check(lo == (RTE_MASKED | RTE_LEVEL | (1u << 13) | RTE_LOGICAL | (1u << 8) | 0x77) &&
            (hi >> 24) == 0xa5, "I/O APIC: RTE fields read back (pin 5)", "low 0x%x high 0x%x",
            lo, hi);
    io_write(0x10 + 2 * 5, RTE_MASKED | RTE_REMOTE_IRR | (1u << 12) | 0x77);
    t_eq("I/O APIC: delivery status and remote IRR are read-only", rte_lo(5),
         RTE_MASKED | 0x77);
    io_write(0x10 + 2 * 5, RTE_MASKED);
}

static void test_edge_tx(void)
{
    static const char msg[] = "# ioapic_uart: this line was sent by THRE interrupts through I/O "
                              "APIC pin 4\n";
    const uint32_t len = sizeof msg - 1;
    uint32_t n = transmit(msg, smp_bsp_id, 0);
    t_check(tx_pos == len && n == len + 1 && tx_cpu_mask == 1u << smp_bsp_id,
            "COM1 THRE interrupts on pin 4 (edge, physical BSP) send a whole line", "%u of %u "
            "characters, %u interrupts (want %u), CPUs 0x%x", tx_pos, len, n, len + 1,
            tx_cpu_mask);

    static const char msg2[] = "# ioapic_uart: this line was sent by APIC ID 2\n";
    n = transmit(msg2, 2, 0);
    t_check(tx_pos == sizeof msg2 - 1 && tx_cpu_mask == 1u << 2,
            "COM1 interrupt routed to APIC ID 2 (physical destination 2) runs there", "%u "
            "characters, CPUs 0x%x", tx_pos, tx_cpu_mask);

    static const char msg3[] = "# ioapic_uart: this line was sent by logical destination 08H\n";
    for (unsigned id = 0; id < NCPUS; id++)   /* flat logical model: LDR bit n for APIC ID n */
        if (id == smp_bsp_id)
            set_ldr((void *)(uintptr_t)((1u << id) << 24));
        else
            smp_call(id, set_ldr, (void *)(uintptr_t)((1u << id) << 24));
    n = transmit(msg3, 0x08, RTE_LOGICAL);
    t_check(tx_pos == sizeof msg3 - 1 && tx_cpu_mask == 1u << 3,
            "COM1 interrupt to logical destination 08H (flat) runs on APIC ID 3", "%u "
            "characters, CPUs 0x%x", tx_pos, tx_cpu_mask);

    /* lowest priority (delivery mode 001) to logical 0EH: APIC IDs 1-3 with TPRs 30H, 10H, 20H:
     * the first interrupt goes to ID 2, the lowest priority (SDM 10.6.2.4). The handler writes
     * THR before its EOI, so the next one is arbitrated while ID 2's PPR is the in-service
     * vector's class (40H, 10.8.3.1) and may go elsewhere, but only within 0EH. */
    static const char msg5[] = "# ioapic_uart: this line was sent by lowest-priority delivery\n";
    static const uint32_t tpr[NCPUS] = { 0, 0x30, 0x10, 0x20 };
    for (unsigned id = 1; id < NCPUS; id++)
        smp_call(id, set_tpr, (void *)(uintptr_t)tpr[id]);
    n = transmit(msg5, 0x0e, RTE_LOGICAL | (1u << 8));
    for (unsigned id = 1; id < NCPUS; id++)
        smp_call(id, set_tpr, 0);
    t_check(tx_pos == sizeof msg5 - 1 && tx_first_cpu == 2 && !(tx_cpu_mask & ~0xeu),
            "COM1 interrupt, lowest priority to logical 0EH (TPRs 30H/10H/20H): the first goes "
            "to APIC ID 2, none outside 0EH", "%u characters, first on %u, CPUs 0x%x", tx_pos,
            tx_first_cpu, tx_cpu_mask);

    /* the same without reading IIR: each THR write clears THRE and THR empties again, a new
     * edge each time (Table IV) */
    static const char msg4[] = "# ioapic_uart: sent by THRE interrupts, the handler writes THR "
                               "without reading IIR\n";
    tx_iir_read = 0;
    n = transmit(msg4, smp_bsp_id, 0);
    tx_iir_read = 1;
    if (tx_pos != sizeof msg4 - 1)
        tputc('\n');                        /* end the partial line */
    t_check(tx_pos == sizeof msg4 - 1, "edge entry: every THR write ends a THRE interrupt and "
            "the next empty THR raises a new edge (handler without IIR read)", "%u of %u "
            "characters sent, %u interrupts", tx_pos, (unsigned)sizeof msg4 - 1, n);
}

static void set_tpr(void *p)
{
    lapic_write(LAPIC_TPR, (uint32_t)(uintptr_t)p);
}

static void set_ldr(void *p)
{
    lapic_write(LAPIC_DFR, 0xffffffffu);
    lapic_write(LAPIC_LDR, (uint32_t)(uintptr_t)p);
}

static void test_level(void)
{
    /* level, active high, to the BSP: the handler does not clear the source the first time */
    lv_irqs = 0;
    lv_clear_at = 2;
    rte_set(com1_pin, VEC_LEVEL | RTE_LEVEL, smp_bsp_id);
    uart_raise_thre();
    settle(100);
    uint32_t after = rte_lo(com1_pin);
    uart_quiet();
    t_eq("level: EOI with the line still asserted delivers again; cleared source stops it",
         lv_irqs, 2);
    t_check(lv_remote_irr[0] && lv_remote_irr[1], "level: remote IRR set while the interrupt "
            "is in service", "%u %u", lv_remote_irr[0], lv_remote_irr[1]);
    t_check(lv_tmr[0] && lv_tmr[1], "level: the vector's TMR bit is set (level-triggered)",
            "%u %u", lv_tmr[0], lv_tmr[1]);
    t_eq("level: the EOI broadcast cleared remote IRR", after & RTE_REMOTE_IRR, 0);

    /* directed EOI: SVR bit 12 suppresses the broadcast; the I/O APIC's EOI register clears */
    uint32_t ver = lapic_read(LAPIC_VER);
    t_eq("local APIC version bit 24: EOI-broadcast suppression supported", (ver >> 24) & 1, 1);
    ver = io_read(1) & 0xff;
    if (ver >= 0x20) {
        lapic_write(LAPIC_SVR, lapic_read(LAPIC_SVR) | SVR_NO_EOI_BCAST);
        lv_irqs = 0;
        lv_clear_at = 99;
        uart_raise_thre();
        settle(100);
        uint32_t n1 = lv_irqs, r1 = rte_lo(com1_pin) & RTE_REMOTE_IRR;
        ioapic[0x40 / 4] = VEC_LEVEL;       /* EOI register, line still asserted */
        settle(100);
        uint32_t n2 = lv_irqs, r2 = rte_lo(com1_pin) & RTE_REMOTE_IRR;
        uart_quiet();
        ioapic[0x40 / 4] = VEC_LEVEL;
        settle(100);
        uint32_t n3 = lv_irqs, r3 = rte_lo(com1_pin) & RTE_REMOTE_IRR;
        lapic_write(LAPIC_SVR, lapic_read(LAPIC_SVR) & ~SVR_NO_EOI_BCAST);
        t_check(n1 == 1 && r1, "directed EOI: with suppression the local EOI leaves remote IRR "
                "set, no second interrupt", "%u interrupts, remote IRR %u", n1, r1 != 0);
        t_check(n2 == 2 && r2, "directed EOI: the I/O APIC EOI register (+40H) clears remote "
                "IRR and the asserted line delivers again", "%u interrupts, remote IRR %u", n2,
                r2 != 0);
        t_check(n3 == 2 && !r3, "directed EOI: after the source is cleared the EOI register "
                "leaves remote IRR clear", "%u interrupts, remote IRR %u", n3, r3 != 0);
    }

    /* level entry masked while the line is asserted: unmasking delivers at once */
    lv_irqs = 0;
    lv_clear_at = 1;
    rte_set(com1_pin, VEC_LEVEL | RTE_LEVEL | RTE_MASKED, smp_bsp_id);
    uart_raise_thre();
    settle(50);
    uint32_t masked = lv_irqs;
    io_write(0x10 + 2 * com1_pin, VEC_LEVEL | RTE_LEVEL);
    settle(50);
    t_check(masked == 0 && lv_irqs == 1, "level: nothing while masked, delivered on unmasking "
            "the asserted line", "%u while masked, %u after", masked, lv_irqs);
    uart_quiet();
    rte_set(com1_pin, RTE_MASKED, 0);
}

static void test_edge(void)
{
    edge_irqs = 0;
    rte_set(com1_pin, VEC_EDGE, smp_bsp_id);
    uart_raise_thre();
    settle(100);
    uint32_t n_edge = edge_irqs, rirr = rte_lo(com1_pin) & RTE_REMOTE_IRR;
    uint32_t tmr = apic_bit(LAPIC_TMR, VEC_EDGE);
    /* quiet before printing: every THR write of the console ends and re-raises THRE, a new edge
     * (PC16550D LSR bit 5), which would leave an interrupt pending for the next check */
    uart_quiet();
    t_eq("edge: one interrupt per rising edge, EOI with the line still asserted sends nothing",
         n_edge, 1);
    t_eq("edge: remote IRR stays clear", rirr, 0);
    t_eq("edge: TMR bit clear (edge-triggered)", tmr, 0);

    /* an edge while masked is lost */
    edge_irqs = 0;
    rte_set(com1_pin, VEC_EDGE | RTE_MASKED, smp_bsp_id);
    uart_raise_thre();
    settle(50);
    io_write(0x10 + 2 * com1_pin, VEC_EDGE);
    settle(50);
    t_eq("edge: a rising edge while masked is lost (nothing on unmasking)", edge_irqs, 0);
    uart_quiet();
    rte_set(com1_pin, RTE_MASKED, 0);

    /* a vector below 16 from the I/O APIC: the local APIC refuses it (ESR bit 6) */
    lapic_write(LAPIC_ESR, 0);
    uint32_t v5 = smp_cpu[smp_bsp_id].irq_count[5];
    rte_set(com1_pin, 5, smp_bsp_id);
    uart_raise_thre();
    settle(50);
    uart_quiet();
    rte_set(com1_pin, RTE_MASKED, 0);
    lapic_write(LAPIC_ESR, 0);
    uint32_t esr = lapic_read(LAPIC_ESR);
    t_check((esr & 0x40) && smp_cpu[smp_bsp_id].irq_count[5] == v5, "vector 5 from the I/O "
            "APIC: not accepted, ESR bit 6 (received illegal vector)", "ESR 0x%x, taken %u", esr,
            smp_cpu[smp_bsp_id].irq_count[5] - v5);
}

static volatile uint64_t pit_tsc[12];
static volatile uint32_t pit_n;
static void pit_handler(struct kframe *f)
{
    (void)f;
    if (pit_n < 12)
        pit_tsc[pit_n] = rdtsc();
    pit_n++;
    lapic_eoi();
}

static void test_pit(void)
{
    /* The control word sets OUT high at once (an edge if it was low); the RTE is still masked
     * then, so that edge is lost. The count is loaded on the next CLK (<= 1 PIT clock) and each
     * period ends 1193 clocks later. */
    const uint64_t clk = udiv64(smp_tsc_hz + PIT_HZ - 1, PIT_HZ, 0);        /* 2012 cycles */
    const uint64_t period = udiv64(1193 * smp_tsc_hz + PIT_HZ / 2, PIT_HZ, 0);   /* 2399634 */
    kidt_set(VEC_PIT, pit_handler);
    rte_set(0, VEC_PIN0, smp_bsp_id);       /* pin 0: a PC's 8259A ExtINT pin, not the PIT */
    rte_set(pit_pin, VEC_PIT | RTE_MASKED, smp_bsp_id);
    uint32_t pin0 = smp_cpu[smp_bsp_id].irq_count[VEC_PIN0];
    pit_n = 0;
    uint64_t t_w = rdtsc();
    pit_periodic(1193);                     /* 1193 / 1193182 s = 999.85 us */
    io_write(0x10 + 2 * pit_pin, VEC_PIT);  /* unmask */
    uint64_t end = rdtsc() + us_to_tsc(20000);
    while (pit_n < 11 && rdtsc() < end) {
        sti_hlt();
        cli();
    }
    outb(0x43, 0x30);                       /* counter 0, mode 0, no count: stops the periods */
    rte_set(pit_pin, RTE_MASKED, 0);
    rte_set(0, RTE_MASKED, 0);
    t_check(pit_n >= 11, "PIT: IRQ 0 arrives on I/O APIC pin 2 (the MADT override)", "%u "
            "interrupts in 20 ms", pit_n);
    t_eq("PIT: nothing on pin 0", smp_cpu[smp_bsp_id].irq_count[VEC_PIN0] - pin0, 0);
    if (pit_n < 11)
        return;
    tprintf("# ioapic_uart: PIT: first interrupt %llu TSC cycles after the count write; "
            "periods:", (unsigned long long)(pit_tsc[0] - t_w));
    for (unsigned k = 1; k <= 10; k++)
        tprintf(" %llu", (unsigned long long)(pit_tsc[k] - pit_tsc[k - 1]));
    tputc('\n');
    uint64_t first = pit_tsc[0] - t_w;
    t_check(first >= period && first <= period + clk + TOL_IRQ, "PIT: the first period ends "
            "1193 PIT clocks (2,399,634 TSC cycles) after the count is written, within one "
            "clock", "%llu TSC cycles", (unsigned long long)first);
    uint64_t d = pit_tsc[10] - pit_tsc[0];
    int64_t dev = (int64_t)d - (int64_t)(10 * period);
    t_check(dev >= -(int64_t)TOL_IRQ && dev <= (int64_t)TOL_IRQ, "PIT: 10 periods = 10 x 1193 "
            "PIT clocks = 23,996,340 TSC cycles", "%llu", (unsigned long long)d);
}

int main(void)
{
    t_begin("ioapic_uart");
    const char *err = "";
    if (!t_check(smp_init(&err) == 0, "runtime: ACPI tables read, APIC enabled", "%s", err))
        return t_finish();
    ioapic = phys_ptr(smp_acpi.ioapic_addr);
    t_eq("4 processors started", smp_start_aps() + 1, NCPUS);
    kidt_set(VEC_TX, tx_handler);
    kidt_set(VEC_LEVEL, level_handler);
    kidt_set(VEC_EDGE, edge_handler);
    kidt_set(VEC_PIN0, smp_count_handler);
    kidt_set(5, smp_count_handler);
    test_registers();
    test_edge_tx();
    test_level();
    test_edge();
    test_pit();
    return t_finish();
}
