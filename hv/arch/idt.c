/* idt.c — the hypervisor's IDT and its trap handler (SDM Vol. 3 6.10-6.14).
 *
 * One IDT shared by every LP: 256 64-bit interrupt gates (type 0xE, DPL 0, present; SDM 6.14.1
 * Figure 6-8) to the stubs of isr.S, selector 08H; NMI (2), #DF (8) and #MC (18) run on IST1
 * (the LP's IST stack, gdt.c; SDM 6.14.5), so they have a good stack even if RSP is not.
 *
 * hv_trap:
 *  - vectors 0-31: a fault inside the hypervisor is fatal: hv_panic with the vector's mnemonic,
 *    the error code, RIP, CS, RFLAGS, RSP, CR2 and the general registers; an NMI after another LP
 *    panicked (hv_panicking) halts this LP silently;
 *  - HV_VECTOR_KICK: this_lp()->resched = 1, EOI (another LP wants this one to look at its run
 *    list, hv_svc.h vp_kick);
 *  - HV_VECTOR_TIMER: EOI (the idle LP's wake-up, lapic_timer.c);
 *  - HV_VECTOR_SPURIOUS: nothing, and no EOI (SDM 11.9);
 *  - any other vector (a device interrupt while the hypervisor runs with IF = 1, e.g. in the idle
 *    HLT): hv_vmx_host_irq(vector) if hv/vmx provides it (it forwards the vector to the root),
 *    else EOI and a log line.
 * Invariants: hv_trap runs with IF = 0 (interrupt gates clear IF); it returns only for the
 * non-fatal vectors.
 */
#include "hv/arch/arch.h"
#include "hv/arch/lapic_timer.h"
#include "hv/hv_svc.h"
#include "krt/krt.h"

struct hv_trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rdi, rsi, rbp, rbx, rdx, rcx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;
};

void hv_trap(struct hv_trap_frame *f);

/* Provided by hv/vmx if it wants device interrupts that arrive in host mode (optional). */
void hv_vmx_host_irq(uint8_t vector) __attribute__((weak));

extern const char hv_isr_stubs[];

struct idt_gate {
    uint16_t offset_lo, selector;
    uint8_t ist, type_attr;
    uint16_t offset_mid;
    uint32_t offset_hi, reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct idt_gate) == 16, "SDM Vol. 3 Figure 6-8: a 64-bit gate is 16 bytes");

static struct idt_gate hv_idt[256] __attribute__((aligned(16)));
static volatile uint32_t idt_built;

static void idt_build(void)
{
    for (unsigned v = 0; v < 256; v++) {
        uint64_t h = (uint64_t)(uintptr_t)(hv_isr_stubs + 16 * v);
        struct idt_gate *g = &hv_idt[v];
        g->offset_lo = (uint16_t)h;
        g->selector = HV_SEL_CODE;
        g->ist = (v == 2 || v == 8 || v == 18) ? 1 : 0;
        g->type_attr = 0x8E;        /* P, DPL 0, type 0xE: 64-bit interrupt gate */
        g->offset_mid = (uint16_t)(h >> 16);
        g->offset_hi = (uint32_t)(h >> 32);
        g->reserved = 0;
    }
}

void hv_idt_load(struct hv_lp *lp)
{
    if (!idt_built) {               /* the BSP builds it before any AP starts */
        idt_build();
        idt_built = 1;
    }
    lp->idt_base = (uint64_t)(uintptr_t)hv_idt;
    lp->idt_limit = sizeof hv_idt - 1;
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) idtr = {
        lp->idt_limit, lp->idt_base };
    __asm__ volatile("lidt %0" : : "m"(idtr) : "memory");
}

static const char *const exc_names[32] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
    "#BR BOUND range exceeded", "#UD invalid opcode", "#NM device not available",
    "#DF double fault", "coprocessor segment overrun", "#TS invalid TSS", "#NP segment not present",
    "#SS stack fault", "#GP general protection", "#PF page fault", "reserved (15)",
    "#MF x87 floating-point error", "#AC alignment check", "#MC machine check",
    "#XM SIMD floating-point", "#VE virtualization exception", "#CP control protection",
    "reserved (22)", "reserved (23)", "reserved (24)", "reserved (25)", "reserved (26)",
    "reserved (27)", "reserved (28)", "reserved (29)", "reserved (30)", "reserved (31)",
};

void hv_trap(struct hv_trap_frame *f)
{
    uint64_t v = f->vector;
    if (v == HV_VECTOR_KICK) {
        this_lp()->resched = 1;
        lapic_eoi();
        return;
    }
    if (v == HV_VECTOR_TIMER) {
        lapic_eoi();        /* lapic_timer.c: it only ends the idle LP's HLT */
        return;
    }
    if (v == HV_VECTOR_SPURIOUS)
        return;
    if (v == 2 && hv_panicking) {
        for (;;)
            __asm__ volatile("cli; hlt" ::: "memory");
    }
    if (v >= 32) {
        if (hv_vmx_host_irq) {
            hv_vmx_host_irq((uint8_t)v);
        } else {
            lapic_eoi();
            hv_log("hv: LP %u: interrupt vector %lu in host mode ignored\n", this_lp()->index,
                   (unsigned long)v);
        }
        return;
    }
    hv_panic("exception %lu (%s), error code %#lx\n"
             "  RIP 0x%016lx CS %#lx RFLAGS %#lx RSP 0x%016lx SS %#lx CR2 %#lx\n"
             "  RAX 0x%016lx RBX 0x%016lx RCX 0x%016lx RDX 0x%016lx\n"
             "  RSI 0x%016lx RDI 0x%016lx RBP 0x%016lx R8  0x%016lx\n"
             "  R9  0x%016lx R10 0x%016lx R11 0x%016lx R12 0x%016lx\n"
             "  R13 0x%016lx R14 0x%016lx R15 0x%016lx",
             (unsigned long)v, exc_names[v], (unsigned long)f->error,
             (unsigned long)f->rip, (unsigned long)f->cs, (unsigned long)f->rflags,
             (unsigned long)f->rsp, (unsigned long)f->ss, (unsigned long)read_cr2(),
             (unsigned long)f->rax, (unsigned long)f->rbx, (unsigned long)f->rcx,
             (unsigned long)f->rdx, (unsigned long)f->rsi, (unsigned long)f->rdi,
             (unsigned long)f->rbp, (unsigned long)f->r8, (unsigned long)f->r9,
             (unsigned long)f->r10, (unsigned long)f->r11, (unsigned long)f->r12,
             (unsigned long)f->r13, (unsigned long)f->r14, (unsigned long)f->r15);
}
