/* idt.c — the root kernel's IDT: 64-bit interrupt gates (SDM Vol. 3 6.14.1) to the stubs of
 * isr.S. An exception is fatal: it is reported on the console with the frame and the root
 * stops; other vectors end the wait loop's HLT (isr.S), except those smp.c points at its own
 * handler (root_idt_set_gate, before any AP starts). The legacy PICs are remapped and masked. */
#include <stdint.h>

#include "krt/krt.h"
#include "partitions/lib/kcon.h"

extern const uint8_t root_isr_stubs[];
void root_idt_init(void);
void root_idt_load(void);
void root_idt_set_gate(unsigned v, const void *handler);
void root_pic_mask(void);
__attribute__((noreturn)) void root_fault(uint64_t vector, const uint64_t *frame);

static uint64_t root_idt[512] __attribute__((aligned(16)));

void root_idt_set_gate(unsigned v, const void *handler)
{
    uint64_t a = (uint64_t)(uintptr_t)handler;
    /* offset 15:0, selector 08H, IST 0, type 0xE (interrupt gate), P; offset 63:16 */
    root_idt[2 * v] = (a & 0xFFFF) | 0x08ull << 16 | 0x8Eull << 40 | ((a >> 16) & 0xFFFF) << 48;
    root_idt[2 * v + 1] = a >> 32;
}

/* Every VP of the root loads the one IDT (the APs in smp.c). */
void root_idt_load(void)
{
    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idtr = {
        sizeof root_idt - 1, (uint64_t)(uintptr_t)root_idt
    };
    __asm__ volatile("lidt %0" : : "m"(idtr));
}

void root_idt_init(void)
{
    for (unsigned v = 0; v < 256; v++)
        root_idt_set_gate(v, root_isr_stubs + 16 * v);
    root_idt_load();
}

/* The legacy 8259A pair: a BIOS leaves them at vector base 08H (the exception vectors) with IRQ 0
 * enabled. Move them to 20H-2FH (ICW1-ICW4, 8259A datasheet "Initialization command words") and
 * mask every line (OCW1): the root uses no legacy interrupt, and a timer tick must never look
 * like a #DF once interrupts are on. */
void root_pic_mask(void)
{
    outb(0x20, 0x11);                   /* ICW1: edge, cascade, ICW4 follows */
    outb(0xA0, 0x11);
    outb(0x21, 0x20);                   /* ICW2: vector bases */
    outb(0xA1, 0x28);
    outb(0x21, 0x04);                   /* ICW3: slave on IR2 */
    outb(0xA1, 0x02);
    outb(0x21, 0x01);                   /* ICW4: 8086 mode */
    outb(0xA1, 0x01);
    outb(0x21, 0xFF);                   /* OCW1: every line masked */
    outb(0xA1, 0xFF);
}

void root_fault(uint64_t vector, const uint64_t *frame)
{
    /* vectors 8, 10-14, 17, 21, 29, 30 push an error code first (SDM Vol. 3 6.13) */
    bool code = vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 ||
                vector == 29 || vector == 30;
    const uint64_t *f = code ? frame + 1 : frame;
    kcon_printf("root: exception %llu (error code 0x%llx) at RIP 0x%llx, CR2 0x%llx: stopped\n",
                (unsigned long long)vector, code ? (unsigned long long)frame[0] : 0ull,
                (unsigned long long)f[0], (unsigned long long)read_cr2());
    for (;;) {
        cpu_cli();
        cpu_hlt();
    }
}
