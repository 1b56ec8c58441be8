/* lp_setup.c — the per-LP set-up every LP runs on itself before hv/vmx takes it
 * (docs/HYPERVISOR.md "Boot" 3; arch.h hv_arch_lp_setup).
 *
 * Order: lp->self (GS:0 must read it), the GDT/TSS and segment registers (gdt.c; this reloads
 * GS, which clears GS base, so GS base is written after it), the IDT (idt.c), IA32_GS_BASE = lp
 * (lp.h: this_lp()), the local APIC (lapic.c), and a check that the APIC ID this LP reads is the
 * one the MADT gave for it.
 * Invariants: runs with IF = 0 on the LP it sets up; leaves IF = 0.
 */
#include "hv/arch/arch.h"
#include "hv/hv_svc.h"
#include "krt/krt.h"

#define MSR_IA32_FS_BASE 0xC0000100
#define MSR_IA32_GS_BASE 0xC0000101
#define MSR_IA32_KERNEL_GS_BASE 0xC0000102

void hv_arch_lp_setup(struct hv_lp *lp)
{
    lp->self = lp;
    hv_gdt_load(lp);
    hv_idt_load(lp);
    wrmsr(MSR_IA32_FS_BASE, 0);
    wrmsr(MSR_IA32_GS_BASE, (uint64_t)(uintptr_t)lp);
    wrmsr(MSR_IA32_KERNEL_GS_BASE, 0);
    lapic_init();
    uint32_t id = lapic_id();
    if (id != lp->apic_id)
        hv_panic("LP %u has APIC ID %u, but the MADT entry for it says %u", lp->index, id,
                 lp->apic_id);
}
