/* apic.c — the child's local APIC (its VP's virtual xAPIC, docs/HYPERVISOR.md "Virtual local
 * APIC"): child_apic_init software-enables it (SVR = 1FFH: enable bit 8, spurious vector FFH;
 * SDM Vol. 3 11.9 — after reset the APIC is software-disabled and accepts no fixed interrupt,
 * 11.4.7.2), through the xAPIC page at its default base FEE00000H (SDM Vol. 3 11.4.1), which
 * the root maps in the child's page tables (partitions/root/pm_image.c). child_eoi signals the
 * end of an interrupt with HV_X64_MSR_EOI (TLFS "Virtual Interrupt Controller": one WRMSR, no
 * MMIO decoding; the EOI register 0B0H would do the same, 11.8.5).
 * Every VP calls child_apic_init for itself (the APIC is per VP).
 */
#include "krt/krt.h"
#include "partitions/child/child.h"
#include "partitions/lib/winhv.h"

#define CHILD_APIC_BASE 0xFEE00000ull   /* IA32_APIC_BASE's default (SDM Vol. 3 11.4.4) */
#define CHILD_APIC_SVR  0x0F0u

void child_apic_init(void)
{
    *(volatile uint32_t *)(uintptr_t)(CHILD_APIC_BASE + CHILD_APIC_SVR) = 0x1FF;
}

void child_eoi(void)
{
    wrmsr(HV_X64_MSR_EOI, 0);
}
