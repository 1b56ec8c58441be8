/* gdt.c — each LP's GDT and 64-bit TSS (SDM Vol. 3 3.4.5 segment descriptors, 8.2.3 "TSS
 * Descriptor in 64-bit Mode", 8.7 "Task Management in 64-bit Mode").
 *
 * GDT of LP k: 00H null, 08H 64-bit code (L = 1, DPL 0), 10H flat data (read/write), 18H the
 * 16-byte descriptor of LP k's TSS (type 9, available 64-bit TSS). The TSS has IST1 = the top of
 * LP k's IST stack (used by #DF, NMI and #MC, idt.c: SDM 6.14.5) and no I/O bitmap (I/O map base
 * = the TSS limit + 1, 8.7 / 19.5.2), so CPL 0 code is never checked against one.
 *
 * Invariants: hv_gdt_load reloads CS (far return), SS, DS, ES, FS, GS with the selectors above
 * and loads TR; it runs before GS base is written (loading GS would clear the base); each LP's
 * TSS is loaded only by that LP (LTR marks it busy, 8.2.3).
 */
#include "hv/arch/arch.h"
#include "krt/krt.h"

struct tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss64) == 104, "SDM Vol. 3 Figure 8-11: the 64-bit TSS is 104 bytes");

struct lp_desc {
    uint64_t gdt[5];
    struct tss64 tss;
} __attribute__((aligned(64)));

static struct lp_desc lp_desc[HV_MAX_LPS];
__attribute__((section(".bss.stacks"), aligned(4096)))
static uint8_t ist_stacks[HV_MAX_LPS][HV_IST_STACK_SIZE];

#define DESC_CODE64 0x00af9a000000ffffull   /* P, DPL 0, S, type 0xA (code, read), L, G */
#define DESC_DATA 0x00cf92000000ffffull     /* P, DPL 0, S, type 0x2 (data, write), D/B, G */

void hv_gdt_load(struct hv_lp *lp)
{
    struct lp_desc *d = &lp_desc[lp->index];
    memset(d, 0, sizeof *d);
    d->tss.ist[0] = (uint64_t)(uintptr_t)&ist_stacks[lp->index][HV_IST_STACK_SIZE];
    d->tss.iomap_base = sizeof d->tss;
    uint64_t base = (uint64_t)(uintptr_t)&d->tss;
    uint64_t limit = sizeof d->tss - 1;
    d->gdt[1] = DESC_CODE64;
    d->gdt[2] = DESC_DATA;
    /* 8.2.3 Figure 8-4: limit 15:0, base 23:0, type 9, P, limit 19:16, base 31:24; base 63:32 */
    d->gdt[3] = (limit & 0xFFFF) | (base & 0xFFFFFF) << 16 | 0x9ull << 40 | 1ull << 47 |
                ((limit >> 16) & 0xF) << 48 | ((base >> 24) & 0xFF) << 56;
    d->gdt[4] = base >> 32;

    lp->gdt_base = (uint64_t)(uintptr_t)d->gdt;
    lp->gdt_limit = sizeof d->gdt - 1;
    lp->tss_base = base;

    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) gdtr = {
        lp->gdt_limit, lp->gdt_base };
    __asm__ volatile("lgdt %0" : : "m"(gdtr) : "memory");
    /* reload CS with a far return (SDM Vol. 2 RET: far return to the same privilege level) */
    __asm__ volatile("pushq %0\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:"
                     : : "i"(HV_SEL_CODE) : "rax", "memory");
    __asm__ volatile("mov %0, %%ss\n\t"
                     "mov %0, %%ds\n\t"
                     "mov %0, %%es\n\t"
                     "mov %0, %%fs\n\t"
                     "mov %0, %%gs"
                     : : "r"((uint32_t)HV_SEL_DATA) : "memory");
    __asm__ volatile("ltr %w0" : : "r"((uint32_t)HV_SEL_TSS) : "memory");
}
