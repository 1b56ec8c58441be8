/* kdev.c — small PC device and arithmetic helpers of the test kernels (see kernel.h). */
#include "kernel.h"

void pic_init(uint8_t master_base, uint8_t slave_base, uint16_t mask)
{
    outb(PIC1_CMD, 0x11);                 /* ICW1: edge, cascade, ICW4 follows */
    outb(PIC2_CMD, 0x11);
    outb(PIC1_DATA, master_base);         /* ICW2: vector base (bits 7:3) */
    outb(PIC2_DATA, slave_base);
    outb(PIC1_DATA, 0x04);                /* ICW3 master: a slave on IR2 */
    outb(PIC2_DATA, 0x02);                /* ICW3 slave: cascade identity 2 */
    outb(PIC1_DATA, 0x01);                /* ICW4: 8086 mode, normal EOI */
    outb(PIC2_DATA, 0x01);
    pic_set_mask(mask);
}

void pic_set_mask(uint16_t mask)
{
    outb(PIC1_DATA, (uint8_t)mask);
    outb(PIC2_DATA, (uint8_t)(mask >> 8));
}

void pic_eoi(unsigned irq)
{
    if (irq >= 8)
        outb(PIC2_CMD, 0x20);             /* OCW2: non-specific EOI */
    outb(PIC1_CMD, 0x20);
}

uint16_t pic_read_irr(void)
{
    outb(PIC1_CMD, 0x0a);                 /* OCW3: read IRR */
    outb(PIC2_CMD, 0x0a);
    return (uint16_t)(inb(PIC1_CMD) | inb(PIC2_CMD) << 8);
}

uint16_t pic_read_isr(void)
{
    outb(PIC1_CMD, 0x0b);                 /* OCW3: read ISR */
    outb(PIC2_CMD, 0x0b);
    uint16_t v = (uint16_t)(inb(PIC1_CMD) | inb(PIC2_CMD) << 8);
    outb(PIC1_CMD, 0x0a);                 /* back to IRR */
    outb(PIC2_CMD, 0x0a);
    return v;
}

void pit_periodic(uint16_t count)
{
    outb(0x43, 0x34);                     /* counter 0, LSB then MSB, mode 2, binary */
    outb(0x40, (uint8_t)count);
    outb(0x40, (uint8_t)(count >> 8));
}

uint8_t cmos_read(uint8_t reg)
{
    outb(0x70, reg & 0x7f);
    return inb(0x71);
}

void cmos_write(uint8_t reg, uint8_t v)
{
    outb(0x70, reg & 0x7f);
    outb(0x71, v);
}

uint64_t udiv64(uint64_t n, uint64_t d, uint64_t *rem)
{
    uint64_t q = 0, r = 0;
    for (int bit = 63; bit >= 0; bit--) {
        r = (r << 1) | ((n >> bit) & 1);
        if (r >= d) {
            r -= d;
            q |= 1ull << bit;
        }
    }
    if (rem)
        *rem = r;
    return q;
}

uint64_t tsc_hz(void)
{
    return ((rdmsr(0xce) >> 8) & 0xff) * 100000000ull;
}

uint32_t crc32(const void *data, uint32_t len)
{
    const uint8_t *p = data;
    uint32_t c = 0xffffffffu;
    while (len--) {
        c ^= *p++;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & -(c & 1));
    }
    return ~c;
}
