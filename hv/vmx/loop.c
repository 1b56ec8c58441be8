/* loop.c — the per-LP VP loop (docs/HYPERVISOR.md "Running VPs"): pick a runnable VP of this LP
 * (round robin over its run list; the root's VP first when it has an interrupt waiting), make its
 * VMCS current, load a dirty context, inject one pending interrupt, enter, handle the exit.
 *
 * Events (SDM Vol. 3 26.6, 25.2, 24.8.3): a pending external-interrupt vector is injected on VM
 * entry only when the guest can take it (RFLAGS.IF = 1, no STI / MOV-SS blocking, its priority
 * class above the PPR of the VP's virtual APIC, hv/vapic); otherwise interrupt-window exiting is
 * turned on and the exit comes when it can. An event whose delivery an exit interrupted
 * (IDT-vectoring information, 27.2.4) is re-injected first.
 *
 * Time slices: every VP runs with the VMX-preemption timer (25.5.1) armed to one slice when the
 * scheduler picks it; the "save VMX-preemption timer value" exit control keeps the rest across
 * exits, and before each entry the timer is cut to the LP's earliest synthetic-timer deadline.
 * With nothing runnable the LP waits with STI; HLT; CLI (host mode runs with IF = 0), with its
 * local APIC timer armed for that deadline if there is one.
 *
 * Invariants: host mode runs with interrupts disabled except in that HLT; only this LP touches
 * its VPs' VMCSs, lp->current and pending_irq bits' clearing.
 */
#include "hv/arch/lapic_timer.h"
#include "hv/vapic/vapic.h"
#include "hv/vmx/vmx.h"
#include "krt/krt.h"

void vmx_run_list_lock(uint32_t lp);
void vmx_run_list_unlock(uint32_t lp);

static struct hv_vp *rr_last[HV_MAX_LPS];
/* The earliest virtual APIC timer deadline (hv/vapic/vapic_timer.c) of the LP's halted VPs as
 * pick() left it (a halted VP's timer changes only when pick() polls it), 0 if none: it bounds
 * the slices and the idle LP's sleep, so a halted VP's timer wakes it. */
static uint64_t vt_halted_due[HV_MAX_LPS];

static uint64_t earliest(uint64_t a, uint64_t b) { return a && (!b || a < b) ? a : b; }

/* Optional hooks of hv/synic (weak: the loop works without them).
 * synic_vp_poll(vp): on vp's LP before each entry and while vp is halted: deliver what is due
 * (expired synthetic timers, messages) with vp_raise_irq; it must not touch the VMCS (a halted
 * VP's is not current).
 * synic_lp_deadline(lp): the earliest TSC at which a VP of LP `lp` needs synic_vp_poll, 0 if
 * none: an idle LP waits until then instead of halting. */
void synic_vp_poll(struct hv_vp *vp) __attribute__((weak));
uint64_t synic_lp_deadline(uint32_t lp) __attribute__((weak));
/* synic_stimer_deadline(vp): the earliest TSC at which vp itself has a timer due, 0 if none. */
uint64_t synic_stimer_deadline(const struct hv_vp *vp) __attribute__((weak));

/* An interrupt the virtual APIC would dispatch now (IRR above PPR, SDM Vol. 3 11.8.4): what
 * ends HLT ("an interrupt that is not masked") and gives the root's VP precedence. */
static bool has_irq(const struct hv_vp *vp) { return vapic_next_vector(vp) >= 0; }

static void write_cr2(uint64_t v) { __asm__ volatile("mov %0, %%cr2" : : "r"(v) : "memory"); }

/* Serve the requests other LPs leave for this one: VMCLEAR of a VP being destroyed, and
 * forgetting it as the LP's guest (guest_switch.c must not save into its freed area). */
static void serve_clear(struct hv_lp *lp)
{
    if (lp->guest && lp->guest->arch.clear_req)
        lp->guest = NULL;
    struct hv_vp *cur = lp->current;
    if (cur && cur->arch.clear_req) {
        vmclear(cur->arch.vmcs);
        cur->arch.clear_req = false;
        lp->current = NULL;
    }
}

static struct hv_vp *pick(struct hv_lp *lp)
{
    struct hv_vp *found = NULL, *root_irq = NULL;
    vmx_run_list_lock(lp->index);
    lp->resched = 0;
    struct hv_vp *start = rr_last[lp->index];
    bool in_list = false;
    uint64_t now = hv_rdtsc(), vt_due = 0;
    for (struct hv_vp *v = lp->run_list; v; v = v->next_on_lp) {
        if (v == start)
            in_list = true;
        if (v->state == HV_VP_HALTED && synic_vp_poll)
            synic_vp_poll(v);
        if (v->state == HV_VP_HALTED)
            vapic_timer_poll(v, now);
        /* an interrupt the VP accepts ends HLT (SDM Vol. 3 9.10 / HLT: with IF = 0 it stays
         * halted); vp->ctx holds its RFLAGS while it is halted */
        if (v->state == HV_VP_HALTED && has_irq(v) && (v->ctx.rflags & RFLAGS_IF))
            v->state = HV_VP_RUNNABLE;
        if (v->state == HV_VP_HALTED)
            vt_due = earliest(vt_due, vapic_timer_deadline(v));
        if (v->state == HV_VP_RUNNABLE && v->part->id == HV_PARTITION_ROOT_ID && has_irq(v))
            root_irq = v;
    }
    if (!in_list)
        start = NULL;
    /* round robin: the first runnable VP after the last one picked, wrapping around */
    struct hv_vp *v = start ? start->next_on_lp : lp->run_list;
    for (int pass = 0; pass < 2 && !found; pass++) {
        for (; v; v = v->next_on_lp) {
            if (v->state == HV_VP_RUNNABLE) {
                found = v;
                break;
            }
            if (pass == 1 && v == start)
                break;
        }
        v = lp->run_list;
    }
    if (root_irq)
        found = root_irq;
    rr_last[lp->index] = found;
    vt_halted_due[lp->index] = vt_due;
    vmx_run_list_unlock(lp->index);
    return found;
}

/* Inject the highest pending vector if the guest can take it now, else ask for the window. */
static void inject_pending(struct hv_vp *vp)
{
    uint64_t proc = vmx_read(VMCS_PROC);
    if (vmx_read(VMCS_ENTRY_INTR_INFO) & INTR_VALID)
        return;   /* an exception or a re-injected event goes first */
    /* the virtual APIC's choice (hv/vapic: highest IRR vector above PPR, software-enabled).
     * Evaluated before every entry, so an EOI, TPR/CR8 lowering or SVR write on the last exit
     * lets a vector it unblocked in on this very entry. */
    int vec = vapic_next_vector(vp);
    if (vec < 0) {
        if (proc & PROC_INTR_WINDOW)
            vmx_write(VMCS_PROC, proc & ~(uint64_t)PROC_INTR_WINDOW);
        return;
    }
    bool can = (vmx_read(VMCS_G_RFLAGS) & RFLAGS_IF) &&
               !(vmx_read(VMCS_G_INTERRUPTIBILITY) &
                 (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
    if (!can) {
        vmx_write(VMCS_PROC, proc | PROC_INTR_WINDOW);
        return;
    }
    vapic_deliver(vp, (uint8_t)vec);   /* IRR -> ISR (11.8.4) unless auto-EOI */
    vmx_write(VMCS_ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE_EXT | (uint32_t)vec);
    if (proc & PROC_INTR_WINDOW)
        vmx_write(VMCS_PROC, proc & ~(uint64_t)PROC_INTR_WINDOW);
}

/* 27.2.4: an exit during event delivery: deliver the event again on the next entry. */
static void reinject_vectoring(void)
{
    uint32_t idt = (uint32_t)vmx_read(VMCS_IDT_VEC_INFO);
    if (!(idt & INTR_VALID))
        return;
    vmx_write(VMCS_ENTRY_INTR_INFO, idt & ~(1u << 12));
    if (idt & INTR_ERROR)
        vmx_write(VMCS_ENTRY_EXC_ERROR, vmx_read(VMCS_IDT_VEC_ERROR));
    vmx_write(VMCS_ENTRY_INSN_LEN, vmx_read(VMCS_EXIT_INSN_LEN));
}

/* A synthetic timer of vp or of a halted VP of this LP that falls due during the entry ends it
 * (the preemption timer counts down once per 2^preempt_shift TSC ticks, SDM Vol. 3 25.5.1;
 * rounded up, so the exit comes at or after the deadline). */
static void bound_slice(struct hv_lp *lp, struct hv_vp *vp)
{
    uint64_t deadline = synic_lp_deadline ? synic_lp_deadline(lp->index) : 0;
    uint64_t own = synic_stimer_deadline ? synic_stimer_deadline(vp) : 0;
    if (own && (!deadline || own < deadline))
        deadline = own;
    deadline = earliest(earliest(deadline, vt_halted_due[lp->index]), vapic_timer_deadline(vp));
    if (!deadline)
        return;
    uint64_t now = hv_rdtsc(), unit = 1ull << vmx_caps.preempt_shift;
    uint64_t ticks = deadline > now ? (deadline - now + unit - 1) >> vmx_caps.preempt_shift : 0;
    if (ticks < vmx_read(VMCS_PREEMPT_TIMER))
        vmx_write(VMCS_PREEMPT_TIMER, ticks);
}

/* One entry and its exit; returns 0 to keep running this VP. */
static int run_once(struct hv_lp *lp, struct hv_vp *vp)
{
    if (vp->ctx.dirty)
        vp_ctx_load(vp);
    if (synic_vp_poll)
        synic_vp_poll(vp);
    vapic_timer_poll(vp, hv_rdtsc());
    bound_slice(lp, vp);
    inject_pending(vp);
    write_cr2(vp->ctx.cr2);
    int rc = vmx_enter(vp->ctx.gpr, vp->arch.launched);
    vp->ctx.cr2 = read_cr2();
    if (rc != 0)
        hv_panic("vmx: LP %u: %s failed for partition %lu VP %u: %s, VM-instruction error %lu",
                 lp->index, vp->arch.launched ? "VMRESUME" : "VMLAUNCH",
                 (unsigned long)vp->part->id, vp->index,
                 rc == 1 ? "VMfailInvalid" : "VMfailValid",
                 rc == 1 ? 0ul : (unsigned long)vmx_read(VMCS_INSN_ERROR));
    uint32_t reason = (uint32_t)vmx_read(VMCS_EXIT_REASON);
    if (reason & EXIT_ENTRY_FAIL) {
        /* 26.8: VM-entry failure; the guest state is unusable */
        hv_log("vmx: VM-entry failure for partition %lu VP %u: reason %u, qualification %#lx\n",
               (unsigned long)vp->part->id, vp->index, reason & 0xFFFF,
               (unsigned long)vmx_read(VMCS_EXIT_QUAL));
        vmx_stop_partition(vp, "VM-entry failure");
        return 1;
    }
    vp->arch.launched = true;
    reinject_vectoring();
    return vmx_handle_exit(vp, reason & 0xFFFF);
}

__attribute__((noreturn)) void hv_lp_loop(void)
{
    struct hv_lp *lp = this_lp();
    cpu_cli();
    for (;;) {
        ept_flush_service();
        vmx_tlb_flush_service();
        serve_clear(lp);
        struct hv_vp *vp = pick(lp);
        if (!vp) {
            uint64_t deadline = earliest(synic_lp_deadline ? synic_lp_deadline(lp->index) : 0,
                                         vt_halted_due[lp->index]);
            if (deadline) {
                /* sleep until then: the local APIC timer ends the HLT (hv/arch/lapic_timer.c);
                 * a kick or a device interrupt ends it earlier */
                if (!lp->resched && hv_rdtsc() < deadline) {
                    lapic_timer_arm(deadline);
                    __asm__ volatile("sti; hlt; cli" ::: "memory");
                    lapic_timer_disarm();
                }
            } else if (!lp->resched) {
                /* STI's interrupt shadow covers HLT: a kick between the check and HLT wakes it */
                __asm__ volatile("sti; hlt; cli" ::: "memory");
            }
            continue;
        }
        if (lp->current != vp) {
            if (vmptrld(vp->arch.vmcs) != 0)
                hv_panic("vmx: VMPTRLD of partition %lu VP %u failed",
                         (unsigned long)vp->part->id, vp->index);
            lp->current = vp;
        }
        if (!vp->arch.vmcs_ready)
            vmcs_setup(vp);
        vmx_guest_switch(lp, vp);
        vmx_write(VMCS_PREEMPT_TIMER, vmx_caps.slice_ticks);
        while (vp->state == HV_VP_RUNNABLE && run_once(lp, vp) == 0 && !lp->resched) {
            ept_flush_service();
            vmx_tlb_flush_service();
            if (vp->arch.clear_req)
                break;
        }
        /* a stopped VP will be destroyed: its VMCS leaves this LP now, so vp_arch_destroy
         * rarely has to ask for it */
        if (vp->state == HV_VP_STOPPED && lp->current == vp) {
            vmclear(vp->arch.vmcs);
            lp->current = NULL;
        }
        if (vp->state == HV_VP_STOPPED && lp->guest == vp)
            lp->guest = NULL;
    }
}
