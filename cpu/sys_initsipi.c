/* sys_initsipi.c — the INIT signal and the start-up IPI on the processor side (SDM Vol. 3 9.1.1
 * Table 9-1 "Following INIT" column; 8.4.1 and 8.4.4 for the MP initialization protocol; 10.6.1
 * for the INIT and Start-Up delivery modes).
 *
 * INIT resets what Table 9-1 resets and keeps what it keeps:
 *   reset: general-purpose registers (RDX = processor signature, RAX = 0: no BIST), RIP = FFF0h,
 *          RFLAGS = 2, segment registers (CS F000h/base FFFF0000h), GDTR/IDTR, LDTR/TR, CR0 =
 *          60000010h with CD and NW kept from before, CR2/CR3/CR4 = 0, CR8 = 0, DR0-DR7 to their
 *          reset values, IA32_EFER = 0 (the processor is in real mode), TLBs and paging caches
 *          flushed, pending NMI, NMI blocking, interrupt shadow, HLT state.
 *   kept:  every other MSR (MTRRs, PAT, SYSENTER/SYSCALL MSRs, IA32_APIC_BASE, TSC_AUX,
 *          MISC_ENABLE...), the time-stamp counter, XCR0 and the x87/SSE state (hvsim has none
 *          yet), the caches, and the local APIC's id (the APIC resets itself, apic/lapic.c).
 * After INIT an application processor (IA32_APIC_BASE.BSP = 0) waits for a SIPI: `halted` and
 * `wait_sipi` are set and RFLAGS.IF = 0, so the run loop retires nothing and the scheduler treats
 * it as halted and not wakeable by interrupts (sim/sched.c idle skip needs no special case). The
 * local APIC does not deliver NMI, SMI, fixed or ExtINT interrupts to a waiting processor; INIT
 * again just repeats the reset. The BSP restarts at the reset vector instead (FFFF_FFF0h).
 *
 * Invariant: a processor with wait_sipi set is halted, has IF = 0 and no pending NMI (in VMX
 * non-root operation wait_sipi is the guest's wait-for-SIPI activity state, and INIT and SIPI
 * become VM exits: cpu/vmx_event.c).
 */
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/model.h"
#include "mmu/mmu.h"

static void seg_real(struct segment *s, uint16_t sel, uint64_t base, uint32_t ar)
{
    s->sel = sel;
    s->base = base;
    s->limit = 0xffff;
    s->ar = ar;
}

void cpu_init_signal(struct cpu *c)
{
    /* INIT is blocked in VMX root operation (SDM Vol. 3 23.8): held until VMXOFF. In VMX
     * non-root operation it causes a VM exit (25.2, reason 3) at the next instruction boundary
     * (cpu/vmx_event.c): the processor must run to take it, so it leaves HLT activity's
     * scheduler idle state through vmx_halt_event_now. */
    if (vmx_init_blocked(c) || c->vmx.nonroot) {
        c->vmx.init_pending = true;
        c->block_end = true;
        return;
    }
    memset(&c->gpr, 0, sizeof c->gpr);
    uint32_t sig[4];
    model_cpuid(c->model, 1, 0, sig);
    c->gpr[R_RDX] = sig[0];
    c->lf = (struct lazy_flags){ 0 };
    c->rflags = RF_FIXED1;
    c->rip = 0xfff0;
    seg_real(&c->seg[SEG_CS], 0xf000, 0xffff0000ull, 0x9b);
    for (int s = 0; s < SEG_NSEG; s++)
        if (s != SEG_CS)
            seg_real(&c->seg[s], 0, 0, 0x93);
    seg_real(&c->ldtr, 0, 0, 0x82);
    seg_real(&c->tr, 0, 0, 0x8b);
    c->gdtr = (struct dtr){ 0, 0xffff };
    c->idtr = (struct dtr){ 0, 0xffff };
    c->cr0 = CR0_ET | (c->cr0 & (CR0_CD | CR0_NW));
    c->cr2 = c->cr3 = c->cr4 = c->cr8 = 0;
    memset(c->dr, 0, sizeof c->dr);
    c->dr[6] = 0xffff0ff0;
    c->dr[7] = 0x400;
    c->msr.efer = 0;
    c->nmi_pending = c->nmi_blocked = false;
    c->delivering = -1;
    c->intr_shadow = 0;
    c->block_end = true;        /* INIT from the processor's own ICR write: leave the block */
    cpu_update_mode(c);
    mmu_flush_all(c, true);
    bool bsp = c->msr.apic_base & (1ull << 8);
    c->wait_sipi = !bsp;
    c->halted = !bsp;
}

bool cpu_sipi(struct cpu *c, uint8_t vector)
{
    /* VMX non-root operation: a SIPI exits (reason 4, qualification = vector) only in the
     * wait-for-SIPI activity state, and is ignored otherwise (25.2) */
    if (c->vmx.nonroot) {
        if (!(c->halted && c->wait_sipi))
            return false;
        c->vmx.sipi_pending = true;
        c->vmx.sipi_vector = vector;
        return true;
    }
    if (!c->wait_sipi)
        return false;
    c->wait_sipi = false;
    c->halted = false;
    seg_real(&c->seg[SEG_CS], (uint16_t)(vector << 8), (uint64_t)vector << 12, 0x9b);
    c->rip = 0;
    cpu_update_mode(c);
    return true;
}
