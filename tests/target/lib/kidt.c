/* kidt.c — the IDT of the test kernels: 256 32-bit interrupt gates, DPL 0, to the stubs of
 * kidt_asm.S (16 bytes apart), dispatching to a handler per vector (SDM Vol. 3 6.10-6.12). */
#include "desc.h"
#include "kernel.h"
#include "test.h"

extern char kidt_stubs[];
void kidt_dispatch(struct kframe *f);

static uint64_t idt[256] __attribute__((aligned(8)));
static kidt_handler handlers[256];

void kidt_dispatch(struct kframe *f)
{
    kidt_handler h = f->vector < 256 ? handlers[f->vector] : 0;
    if (h) {
        h(f);
        return;
    }
    tconsole_set(0);                      /* COM1 may be the reason: say it on port 0xE9 too */
    t_check(0, "no unexpected interrupt", "vector %u, error code 0x%x, at CS:EIP %x:%x",
            f->vector, f->error, f->cs, f->eip);
    t_finish();
    target_exit(2);
}

void kidt_set(unsigned vector, kidt_handler h)
{
    handlers[vector & 255] = h;
}

void kidt_init(void)
{
    uint16_t cs = read_cs();
    for (unsigned v = 0; v < 256; v++)
        idt[v] = gate32((uint32_t)(uintptr_t)(kidt_stubs + 16 * v), cs, DA_P | DA_INTGATE);
    struct dtr_ptr p = { sizeof idt - 1, (unsigned long)(uintptr_t)idt };
    lidt(&p);
}
