/* trap.c — the child's IDT (SDM Vol. 3 6.10-6.14): 64-bit interrupt gates, selector 08H (the
 * GDT the root builds, docs/HYPERVISOR.md "Child memory layout"), for the exceptions 0-31 and
 * CHILD_SINT_VECTOR. An exception is printed with its vector, error code and RIP, and ends the
 * child with status 0x80 | vector (the root's summary shows it); the SINT vector counts and is
 * EOIed (child_eoi, apic.c), the workloads read the message slots themselves.
 */
#include "krt/krt.h"
#include "partitions/child/child.h"
#include "partitions/lib/kcon.h"

struct idt_gate {
    uint16_t off0, sel;
    uint8_t ist, type;
    uint16_t off1;
    uint32_t off2, zero;
} __attribute__((packed));

extern const uint64_t child_isr_table[33];
static struct idt_gate child_idt[256] __attribute__((aligned(16)));
volatile uint64_t child_sint_irqs;

void child_trap(uint64_t vector, const uint64_t *frame);

void child_trap(uint64_t vector, const uint64_t *frame)
{
    if (vector == CHILD_SINT_VECTOR) {
        child_sint_irqs++;
        child_eoi();   /* the vector is in service until the EOI (SDM Vol. 3 11.8.5) */
        return;
    }
    /* frame: vector, error code, RIP, CS, RFLAGS, RSP, SS */
    kcon_printf("child %s: exception %llu (error code 0x%llx) at RIP 0x%llx: stopped\n",
                child_name, (unsigned long long)vector, (unsigned long long)frame[1],
                (unsigned long long)frame[2]);
    child_exit((uint8_t)(0x80 | vector));
}

static void set_gate(unsigned vec, uint64_t handler)
{
    struct idt_gate *g = &child_idt[vec];
    g->off0 = (uint16_t)handler;
    g->sel = 0x08;
    g->ist = 0;
    g->type = 0x8E;                     /* present, DPL 0, 64-bit interrupt gate */
    g->off1 = (uint16_t)(handler >> 16);
    g->off2 = (uint32_t)(handler >> 32);
    g->zero = 0;
}

void child_idt_init(void)
{
    for (unsigned v = 0; v < 32; v++)
        set_gate(v, child_isr_table[v]);
    set_gate(CHILD_SINT_VECTOR, child_isr_table[32]);
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) idtr = { sizeof child_idt - 1, (uint64_t)(uintptr_t)child_idt };
    __asm__ volatile("lidt %0" : : "m"(idtr));
}
