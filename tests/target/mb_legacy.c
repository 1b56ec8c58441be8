/* mb_legacy.c — the legacy PC devices a boot path touches, run by tests/target/mb_legacy.cfg
 * (a Multiboot2 kernel).
 *
 * Expected values:
 *   8259A (Intel 8259A datasheet): IMR read back through OCW1; a masked request stays in IRR and
 *     is delivered when unmasked; ISR bit set during the handler and cleared by EOI; the slave on
 *     IR2 delivers IRQ 8 at its ICW2 base; an edge request withdrawn before any INTA cycle is not
 *     delivered, neither as its vector nor as the spurious IR7 (IRQ 7 needs an INTA with no
 *     request left, which a processor with IF = 0 never starts).
 *   8254 (Intel 8254 datasheet, 1.193182 MHz input): counter 0 in mode 2 with count 11932 fires
 *     every 11932 / 1193182 s; 100 periods take 100 * 11932 * tsc_hz / 1193182 TSC cycles, tsc_hz
 *     being MSR_PLATFORM_INFO[15:8] * 100 MHz (SDM Vol. 4); between two RTC update interrupts
 *     (1 s apart) 99 or 100 such periods end (1 s / 10.0001 ms = 99.998). Counter 2 in mode 0,
 *     gated by port 0x61 bit 0, raises OUT (port 0x61 bit 5) after its count.
 *   MC146818A RTC: the date is the .cfg's (2024-02-29T23:59:58, a Thursday: day of week 5 with
 *     Sunday = 1) in BCD, binary and 12-hour formats; the update-ended interrupt comes once a
 *     second on IRQ 8; two seconds later the date is 2024-03-01T00:00:00, a Friday (6); status
 *     D reads 0x80 (valid RAM and time).
 *   CMOS memory-size bytes (IBM PC/AT BIOS convention, as SeaBIOS/QEMU fill them) for 64 MiB.
 *   Port 0x92: bit 1 (A20) reads 1 at Multiboot entry (A20 on: v1 3.2, Multiboot2 "I386
 *     machine state"), bit 0 0.
 * The expectations below must match mb_legacy.cfg.
 */
#include "lib/kernel.h"
#include "lib/test.h"

#define MASTER_BASE 0x20
#define SLAVE_BASE 0x28
#define RAM_SIZE (64ull << 20)                 /* mem = 64M */
#define PIT_100HZ 11932                        /* round(1193182 / 100) */

static volatile unsigned ticks, upd, irq7, irq7_isr7;
static volatile unsigned ticks_at_upd[3];
static volatile uint64_t tsc_at_upd[3], tsc_tick[3];
static volatile unsigned isr_in_handler = 0xffff;

static void irq0(struct kframe *f)
{
    (void)f;
    ticks++;
    if (ticks == 1)
        tsc_tick[0] = rdtsc();
    else if (ticks == 2)
        tsc_tick[1] = rdtsc();
    else if (ticks == 102)
        tsc_tick[2] = rdtsc();
    if (isr_in_handler == 0xffff)
        isr_in_handler = pic_read_isr();
    pic_eoi(0);
}

static void irq7_spurious(struct kframe *f)
{
    (void)f;
    irq7++;
    irq7_isr7 = (pic_read_isr() >> 7) & 1;     /* a spurious IRQ 7 has no ISR bit: no EOI */
    if (irq7_isr7)
        pic_eoi(7);
}

static void irq8(struct kframe *f)
{
    (void)f;
    uint8_t c = cmos_read(0x0c);               /* reading C acknowledges (clears IRQF) */
    if ((c & 0x10) && upd < 3) {               /* UF: update ended */
        tsc_at_upd[upd] = rdtsc();
        ticks_at_upd[upd] = ticks;
        upd++;
    }
    pic_eoi(8);
}

struct rtc {
    uint8_t sec, min, hour, dow, day, mon, year, cent;
};

static void rtc_read(struct rtc *r)
{
    for (int i = 0; i < 100000 && (cmos_read(0x0a) & 0x80); i++)
        ;                                       /* UIP: an update is about to happen */
    r->sec = cmos_read(0x00);
    r->min = cmos_read(0x02);
    r->hour = cmos_read(0x04);
    r->dow = cmos_read(0x06);
    r->day = cmos_read(0x07);
    r->mon = cmos_read(0x08);
    r->year = cmos_read(0x09);
    r->cent = cmos_read(0x32);
}

static void check_rtc(const char *name, const struct rtc *r, const struct rtc *w)
{
    t_check(r->sec == w->sec && r->min == w->min && r->hour == w->hour && r->dow == w->dow &&
            r->day == w->day && r->mon == w->mon && r->year == w->year && r->cent == w->cent,
            name, "got %02x%02x-%02x-%02x %02x:%02x:%02x dow %x, want %02x%02x-%02x-%02x "
            "%02x:%02x:%02x dow %x", r->cent, r->year, r->mon, r->day, r->hour, r->min, r->sec,
            r->dow, w->cent, w->year, w->mon, w->day, w->hour, w->min, w->sec, w->dow);
}

static void delay_us(uint32_t us)
{
    uint64_t end = rdtsc() + udiv64(tsc_hz() * us, 1000000, 0);
    while (rdtsc() < end)
        ;
}

static void test_rtc_formats(void)
{
    struct rtc r;
    cmos_write(0x0b, 0x02);                     /* BCD, 24-hour, no interrupts */
    rtc_read(&r);
    check_rtc("RTC: BCD date = the .cfg's 2024-02-29T23:59:58, Thursday", &r,
              &(struct rtc){ 0x58, 0x59, 0x23, 5, 0x29, 0x02, 0x24, 0x20 });
    cmos_write(0x0b, 0x06);                     /* binary */
    rtc_read(&r);
    check_rtc("RTC: binary format (status B DM = 1)", &r,
              &(struct rtc){ 58, 59, 23, 5, 29, 2, 24, r.cent });
    t_check(r.cent == 0x20 || r.cent == 20, "RTC: century register (0x32) = 20",
            "0x%x", r.cent);
    cmos_write(0x0b, 0x04);                     /* binary, 12-hour */
    t_eq("RTC: 12-hour format: 23 h reads 11 with bit 7 (PM)", cmos_read(0x04), 0x8b);
    cmos_write(0x0b, 0x02);
    t_eq("RTC: status D = 0x80 (valid RAM and time)", cmos_read(0x0d), 0x80);
}

static void test_pic_masking(void)
{
    pic_init(MASTER_BASE, SLAVE_BASE, 0xffff);
    outb(PIC1_DATA, 0xa5);
    outb(PIC2_DATA, 0x5a);
    uint8_t m1 = inb(PIC1_DATA), m2 = inb(PIC2_DATA);
    pic_set_mask(0xffff);
    t_check(m1 == 0xa5 && m2 == 0x5a, "8259A: IMR reads back (OCW1)", "master 0x%x slave 0x%x",
            m1, m2);

    pit_periodic(1193);                         /* 1 ms */
    sti();
    delay_us(5000);
    cli();
    unsigned masked_ticks = ticks;
    uint16_t irr = pic_read_irr(), isr_before = pic_read_isr();
    t_eq("8259A: no IRQ 0 while masked (5 ms of 1 ms ticks)", masked_ticks, 0);
    t_check(irr & 1, "8259A: the masked request waits in IRR", "IRR 0x%x", irr);
    t_eq("8259A: ISR empty before any INTA", isr_before, 0);
    pic_set_mask((uint16_t)~1u);
    sti();
    for (int i = 0; i < 5; i++)
        __asm__ volatile("nop");
    cli();
    t_check(ticks >= 1, "8259A: unmasking delivers the waiting IRQ 0 at once", "%u ticks",
            ticks);
    t_eq("8259A: ISR bit 0 set in the handler", isr_in_handler, 1);
    t_eq("8259A: ISR empty after EOI", pic_read_isr(), 0);
}

static void test_withdrawn_request(void)
{
    /* counter 0 one-shot (mode 0): OUT rises after 100 ticks, IRQ 0 latches in IRR; a new
     * control word drops OUT again: the edge request is withdrawn while IF = 0 */
    pic_set_mask((uint16_t)~1u);
    unsigned t0 = ticks;
    outb(0x43, 0x30);                           /* counter 0, LSB+MSB, mode 0 */
    outb(0x40, 100);
    outb(0x40, 0);
    delay_us(200);                              /* 100 ticks = 84 us */
    uint16_t irr_high = pic_read_irr();
    outb(0x43, 0x30);                           /* OUT low again (mode 0 initial state) */
    uint16_t irr_low = pic_read_irr();
    sti();
    delay_us(1000);
    cli();
    t_check(irr_high & 1, "8259A: terminal count of a mode 0 one-shot latches IRQ 0", "IRR 0x%x",
            irr_high);
    t_check(!(irr_low & 1), "8259A: the line falling before INTA withdraws the request",
            "IRR 0x%x", irr_low);
    t_check(ticks == t0 && irq7 == 0, "8259A: a withdrawn request is not delivered (neither IRQ 0 "
            "nor a spurious IRQ 7)", "%u IRQ 0, %u IRQ 7 (ISR7 %u)", ticks - t0, irq7, irq7_isr7);
}

static void check_cycles(const char *name, uint64_t got, uint64_t want, uint64_t tol)
{
    uint64_t diff = got > want ? got - want : want - got;
    t_check(diff <= tol, name, "got %llu TSC cycles, want %llu +- %llu", (unsigned long long)got,
            (unsigned long long)want, (unsigned long long)tol);
}

static void test_pit_rtc_rate(void)
{
    uint64_t hz = tsc_hz();
    tprintf("# TSC frequency from MSR_PLATFORM_INFO: %u MHz\n", (unsigned)udiv64(hz, 1000000, 0));
    t_check(hz != 0, "MSR_PLATFORM_INFO reports the TSC ratio", "ratio 0");

    ticks = 0;
    upd = 0;
    (void)cmos_read(0x0c);                      /* clear old flags */
    cmos_write(0x0b, 0x12);                     /* UIE, BCD, 24-hour */
    pic_set_mask((uint16_t)~((1u << 0) | (1u << 2) | (1u << 8)));
    uint64_t t_cw = rdtsc();
    pit_periodic(PIT_100HZ);
    for (int i = 0; i < 1000 && (upd < 2 || ticks < 102); i++)
        sti_hlt();
    cli();
    cmos_write(0x0b, 0x02);
    pic_set_mask(0xffff);

    /* The control word makes OUT high (mode 2's initial level): a rising edge, IRQ 0 at once.
     * The count is loaded on the next CLK tick (<= 1 tick = 0.84 us) and the first period ends
     * 11932 ticks later; then every 11932 ticks. Tolerance 10 us (interrupt latency is far
     * smaller; a PIT tick is 0.84 us). */
    uint64_t tol = udiv64(hz, 100000, 0);
    uint64_t period = udiv64((uint64_t)PIT_100HZ * hz + PIT_HZ / 2, PIT_HZ, 0);
    t_check(ticks >= 102, "PIT 100 Hz: 102 interrupts", "%u", ticks);
    check_cycles("PIT mode 2: the control word raises OUT: IRQ 0 at once (within 10 us)",
                 tsc_tick[0] - t_cw, 0, tol);
    check_cycles("PIT mode 2: first period ends 11932 ticks after the count is written",
                 tsc_tick[1] - t_cw, period, tol);
    check_cycles("PIT 100 Hz: 100 periods = 100 * 11932 / 1193182 s of TSC (within 10 us)",
                 tsc_tick[2] - tsc_tick[1], udiv64(100ull * PIT_100HZ * hz + PIT_HZ / 2, PIT_HZ, 0),
                 tol);
    /* RTC seconds against PIT periods and the TSC */
    t_eq("RTC: two update-ended interrupts on IRQ 8 (slave 8259A)", upd, 2);
    unsigned per_s = ticks_at_upd[1] - ticks_at_upd[0];
    t_check(per_s == 99 || per_s == 100, "PIT 100 Hz: 99 or 100 ticks per RTC second", "%u ticks",
            per_s);
    check_cycles("RTC: update interrupts 1 s of TSC apart (within 10 us)",
                 tsc_at_upd[1] - tsc_at_upd[0], hz, tol);

    struct rtc r;
    rtc_read(&r);
    check_rtc("RTC: two seconds later: 2024-03-01T00:00:00, Friday", &r,
              &(struct rtc){ 0x00, 0x00, 0x00, 6, 0x01, 0x03, 0x24, 0x20 });
}

static void test_counter2(void)
{
    uint8_t p61 = inb(0x61);
    outb(0x61, (p61 & 0xfc) | 0x01);            /* gate 2 on, speaker data off */
    outb(0x43, 0xb0);                           /* counter 2, LSB+MSB, mode 0 */
    outb(0x42, 0xa9);                           /* 1193 = 0x4A9 ticks: 1 ms */
    outb(0x42, 0x04);
    uint8_t before = inb(0x61);
    delay_us(2000);
    uint8_t after = inb(0x61);
    outb(0x61, p61 & 0xfc);
    t_check(!(before & 0x20) && (after & 0x20), "PIT counter 2: OUT (port 0x61 bit 5) rises at "
            "terminal count", "before 0x%x after 0x%x", before, after);
}

static void test_sysports(void)
{
    uint8_t a = inb(0x92);
    t_check((a & 0x03) == 0x02, "port 0x92: A20 enabled (bit 1), no reset (bit 0)",
            "read 0x%x", a);
    outb(0x80, 0x42);                           /* POST code: must not disturb anything */
    uint16_t base = (uint16_t)(cmos_read(0x15) | cmos_read(0x16) << 8);
    uint16_t ext = (uint16_t)(cmos_read(0x17) | cmos_read(0x18) << 8);
    uint16_t ext2 = (uint16_t)(cmos_read(0x30) | cmos_read(0x31) << 8);
    uint16_t hi = (uint16_t)(cmos_read(0x34) | cmos_read(0x35) << 8);
    t_eq("CMOS 0x15-0x16: 640 KiB base memory", base, 640);
    t_eq("CMOS 0x17-0x18: extended memory KiB (64 MiB - 1 MiB)", ext, (RAM_SIZE >> 10) - 1024);
    t_eq("CMOS 0x30-0x31: the same", ext2, (RAM_SIZE >> 10) - 1024);
    t_eq("CMOS 0x34-0x35: 64 KiB blocks above 16 MiB", hi, (RAM_SIZE - (16u << 20)) >> 16);
}

int main(void)
{
    t_begin("mb_legacy");
    kidt_init();
    kidt_set(MASTER_BASE + 0, irq0);
    kidt_set(MASTER_BASE + 7, irq7_spurious);
    kidt_set(SLAVE_BASE + 0, irq8);
    test_rtc_formats();
    test_pic_masking();
    test_withdrawn_request();
    test_pit_rtc_rate();
    test_counter2();
    test_sysports();
    return t_finish();
}
