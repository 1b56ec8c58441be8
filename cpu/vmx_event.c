/* vmx_event.c — events in VMX non-root operation (SDM Vol. 3 chapter 25, 26.x "event blocking"):
 * the VM exits that happen at instruction boundaries (INIT, SIPI, MTF, VMX-preemption timer, NMI
 * exiting, NMI-window and interrupt-window exiting, external-interrupt exiting with "acknowledge
 * interrupt on exit"), the exits of exceptions (exception bitmap, #PF error-code mask/match) and
 * of a triple fault, and the IDT-vectoring information of an event whose delivery a VM exit
 * interrupts.
 *
 * Priority at a boundary (SDM 6.9 and 26.x, as hvsim orders them): the VM-entry step (event
 * injection or TPR threshold), INIT, SIPI, MTF, pending debug exceptions from VM entry (a #DB
 * trap), preemption timer, NMI (exiting), NMI window, external interrupt (exiting), interrupt
 * window; then the guest's own NMIs and interrupts (exec.c). A single-step trap of the previous
 * instruction (exception.c -> vmx_db_trap) yields to TPR-threshold, INIT and MTF exits, which
 * save it as a pending debug exception (28.3.4).
 * Activity states (27.7.2, 25.2): wait-for-SIPI is left only by SIPI (INIT is held pending);
 * shutdown by INIT, NMI (exit or delivery), NMI-window and preemption-timer exits, never by
 * external interrupts or the interrupt window.
 * IRET (vmx_iret_begin) removes (virtual-)NMI blocking as the controls say before it can fault;
 * a fault exit of that IRET sets "NMI unblocking due to IRET" (28.2.2).
 *
 * Invariants:
 *  - Runs only in non-root operation; every function reads the controls of the current VMCS.
 *  - An exit at a boundary is performed directly (vmx_vmexit); an exit during an instruction or
 *    an event delivery goes through vmx_exit_raise (longjmp), never both.
 *  - c->vmx.vect_info names the event being delivered in the guest, 0 between deliveries
 *    (exception.c clears it when a delivery completes).
 */
#include "cpu/cpu.h"
#include "cpu/exception.h"
#include "cpu/model.h"
#include "cpu/vmx_intercept.h"
#include "mmu/mmu.h"
#include "traces/tracer.h"

#define VF(c, name) ((c)->vmx.vmcs[VMCS_##name])

/* Pin-based controls (24.6.1), processor-based (24.6.2), exit controls (24.7.1). */
#define PIN_EXT_INTR        (1u << 0)
#define PIN_NMI_EXITING     (1u << 3)
#define PIN_VIRTUAL_NMI     (1u << 5)
#define PROC_INTR_WINDOW    (1u << 2)
#define PROC_NMI_WINDOW     (1u << 22)
#define EXIT_ACK_INTR       (1u << 15)
/* Pending-debug-exceptions format (24.4.2 Table 24-4) = DR6 positions for B3-B0 and BS. */
#define DBG_ENABLED_BP      (1u << 12)
#define DBG_BS              (1u << 14)

static void exit_now(struct cpu *c, uint32_t reason, uint64_t qual, uint32_t intr_info)
{
    struct vmx_exit_req r = { .reason = reason, .qual = qual, .intr_info = intr_info };
    vmx_vmexit(c, &r);
}

static bool irq_pending(const struct cpu *c)
{
    return c->irq.pending && c->irq.pending(c->irq.opaque);
}

/* Physical NMI blocking: with "virtual NMIs", c->nmi_blocked is the guest's virtual-NMI
 * blocking and the processor's own blocking waits in root_nmi_blocked (24.4.2, 25.3). */
static bool nmi_blocked_phys(const struct cpu *c)
{
    return (VF(c, PIN_CONTROLS) & PIN_VIRTUAL_NMI) ? c->vmx.root_nmi_blocked : c->nmi_blocked;
}

/* 27.7.3: deliver the pending debug exceptions VM entry loaded, as a #DB trap of the previous
 * instruction (DR6 receives B3-B0 and BS when it is delivered through the IDT, exception.c); it
 * wakes HLT activity; MOV SS blocking holds it until after the next instruction. */
static bool deliver_pending_dbg(struct cpu *c)
{
    uint32_t pd = c->vmx.pending_dbg;
    if (!pd || c->intr_shadow == 2)
        return false;
    c->vmx.pending_dbg = 0;
    if (!(pd & (DBG_BS | DBG_ENABLED_BP)))
        return false;                   /* not valid pending debug exceptions */
    c->halted = false;
    c->vmx.activity = 0;
    c->insn_start = c->rip;
    c->vmx.db_cause = VMX_DB_CAUSE_SET | (pd & (DBG_BS | 0xfu));
    if (c->trace) {         /* a #DB trap before the guest's next instruction (TRACE-FORMAT.md) */
        uint64_t v[5] = { VEC_DB, 0, 0, c->rip, VMX_INTR_HW_EXCEPTION };
        tracer_cpu(c->trace, c, TEV_EXCEPTION, v);
    }
    cpu_deliver_exception(c, VEC_DB, false, 0, false);
    c->vmx.db_cause = 0;
    return true;
}

int vmx_event_boundary(struct cpu *c)
{
    uint32_t pin = (uint32_t)VF(c, PIN_CONTROLS), proc = (uint32_t)VF(c, PROC_CONTROLS);

    if (c->vmx.inject_pending) {
        c->vmx.inject_pending = false;
        if (VF(c, ENTRY_INTR_INFO) & VMX_INTR_VALID) {
            vmx_entry_inject(c);
            return 1;
        }
        /* 27.7.7, 29.1.2: TPR threshold: a non-vectoring VM entry with "use TPR shadow" exits at once
         * if VTPR[7:4] is below the threshold */
        if ((proc & VMX_PROC_TPR_SHADOW) && vmx_tpr_below_threshold(c)) {
            exit_now(c, VMX_EXIT_TPR_BELOW_THRESHOLD, 0, 0);
            return 1;
        }
    }
    /* trap-like TPR-below-threshold exit after a virtualized write to VTPR through the
     * APIC-access page (29.4.3.2, 29.1.2; mmu/vapic.c): before other events at this boundary */
    if (c->tlb->vapic_trap && mmu_vapic_trap_due(c)) {
        exit_now(c, VMX_EXIT_TPR_BELOW_THRESHOLD, 0, 0);
        return 1;
    }
    bool wait_sipi = c->halted && c->wait_sipi;
    bool shutdown = c->halted && c->vmx.activity == 2;
    /* 25.2: INIT is not blocked in non-root operation: it exits, except in wait-for-SIPI
     * activity, which blocks it (it stays pending) */
    if (c->vmx.init_pending && !wait_sipi) {
        c->vmx.init_pending = false;
        exit_now(c, VMX_EXIT_INIT, 0, 0);
        return 1;
    }
    if (c->vmx.sipi_pending) {
        c->vmx.sipi_pending = false;
        exit_now(c, VMX_EXIT_SIPI, c->vmx.sipi_vector, 0);
        return 1;
    }
    /* wait-for-SIPI: nothing else happens (25.2: no NMI, interrupt, window or timer exits) */
    if (wait_sipi)
        return -1;
    if (c->vmx.mtf_pending) {
        c->vmx.mtf_pending = false;
        exit_now(c, VMX_EXIT_MONITOR_TRAP_FLAG, 0, 0);
        return 1;
    }
    /* 27.7.3: pending debug exceptions from VM entry, with the priority of traps on the previous
     * instruction: after INIT, TPR threshold and MTF, before the timer, NMIs and interrupts */
    if (c->vmx.pending_dbg && deliver_pending_dbg(c))
        return 1;
    /* 25.2: the timer reached 0 — exits also from HLT and shutdown, ignores every blocking */
    if (c->vmx.preempt_armed && cpu_cycles_now(c) >= c->vmx.preempt_deadline) {
        if (c->trace) {     /* the expiry, before the exit it causes (TRACE-FORMAT.md) */
            uint64_t v[1] = { c->vmx.vmcs_ptr };
            tracer_cpu(c->trace, c, TEV_PREEMPT_TIMER, v);
        }
        exit_now(c, VMX_EXIT_PREEMPTION_TIMER, 0, 0);  /* saves 0, then disarms */
        return 1;
    }
    bool shadow = c->intr_shadow != 0;
    /* 25.2 NMI exiting: blocked by NMI blocking and MOV SS blocking (STI blocking is treated the
     * same, which the SDM allows: 26.3.1.5 / 6.8.3) */
    if (c->nmi_pending && (pin & PIN_NMI_EXITING) && !shadow && !nmi_blocked_phys(c)) {
        c->nmi_pending = false;
        exit_now(c, VMX_EXIT_EXCEPTION_NMI, 0,
                 VMX_INTR_VALID | (VMX_INTR_NMI << 8) | VEC_NMI);
        return 1;
    }
    /* 25.3 NMI-window exiting: no (virtual-)NMI blocking and no interrupt shadow; wakes
     * shutdown as an NMI would (25.2) */
    if ((proc & PROC_NMI_WINDOW) && !shadow && !c->nmi_blocked) {
        exit_now(c, VMX_EXIT_NMI_WINDOW, 0, 0);
        return 1;
    }
    if (shutdown) {
        /* 27.7.2 shutdown activity: external interrupts (exiting or not) and interrupt-window
         * exits do not end it; an NMI the guest takes does (SDM Vol. 3 6.15 interrupt 8) */
        if (c->nmi_pending && !(pin & PIN_NMI_EXITING) && !c->nmi_blocked) {
            c->nmi_pending = false;
            c->halted = false;
            c->vmx.activity = 0;
            c->insn_start = c->rip;
            cpu_deliver_interrupt(c, VEC_NMI, INTR_NMI);
            return 1;
        }
        return -1;
    }
    /* 25.2 external-interrupt exiting: RFLAGS.IF does not block it, the shadow does */
    if ((pin & PIN_EXT_INTR) && !shadow && irq_pending(c)) {
        uint32_t info = 0;
        if (VF(c, EXIT_CONTROLS) & EXIT_ACK_INTR)
            info = VMX_INTR_VALID | (VMX_INTR_EXTERNAL << 8) | c->irq.ack(c->irq.opaque);
        exit_now(c, VMX_EXIT_EXTERNAL_INTERRUPT, 0, info);
        return 1;
    }
    /* 25.3 interrupt-window exiting: RFLAGS.IF = 1 and no STI / MOV SS blocking */
    if ((proc & PROC_INTR_WINDOW) && (c->rflags & RF_IF) && !shadow) {
        exit_now(c, VMX_EXIT_INTERRUPT_WINDOW, 0, 0);
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ IRET and debug traps */

void vmx_iret_begin(struct cpu *c)
{
    /* 25.3: with "NMI exiting" 0 IRET unblocks NMIs; with "virtual NMIs" 1 it removes virtual-NMI
     * blocking (c->nmi_blocked is that blocking then); with NMI exiting 1 and virtual NMIs 0 it
     * does not affect NMI blocking. The unblocking happens even if the IRET then faults (6.7.1;
     * 28.1: cleared before a VM exit of a fault in the IRET commences). */
    uint32_t pin = (uint32_t)VF(c, PIN_CONTROLS);
    bool affects = (pin & PIN_VIRTUAL_NMI) || !(pin & PIN_NMI_EXITING);
    c->vmx.iret_unblocked = affects && c->nmi_blocked;
    if (affects)
        c->nmi_blocked = false;
}

void vmx_iret_done(struct cpu *c)
{
    c->vmx.iret_unblocked = false;
}

void vmx_db_trap(struct cpu *c)
{
    /* 6.9: INIT and (29.1.2) trap-like TPR-below-threshold exits have priority over traps on
     * the previous instruction; 25.5.2: so have MTF exits (the #DB trap here is single-step or
     * a pending one, never a T-bit task-switch trap or INT1). The trap stays pending: saved in
     * the pending-debug-exceptions field (28.3.4). */
    uint32_t reason;
    if (c->tlb->vapic_trap && mmu_vapic_trap_due(c)) {
        reason = VMX_EXIT_TPR_BELOW_THRESHOLD;
    } else if (c->vmx.init_pending) {
        c->vmx.init_pending = false;
        reason = VMX_EXIT_INIT;
    } else if (c->vmx.mtf_pending) {
        c->vmx.mtf_pending = false;
        reason = VMX_EXIT_MONITOR_TRAP_FLAG;
    } else {
        return;
    }
    c->vmx.pending_dbg = VMX_DB_BITS(c->vmx.db_cause);
    c->vmx.db_cause = 0;
    struct vmx_exit_req r = { .reason = reason };
    vmx_exit_raise(c, &r);
}

/* 25.2: does exception `vector` (with error code `err` for #PF) exit? */
static bool exception_exits(const struct cpu *c, unsigned vector, uint32_t err)
{
    uint32_t bitmap = (uint32_t)VF(c, EXCEPTION_BITMAP);
    bool bit = vector < 32 && ((bitmap >> vector) & 1);
    if (vector != VEC_PF)
        return bit;
    /* #PF: the bit says which way a mask/match hit goes (24.6.3) */
    bool match = (err & (uint32_t)VF(c, PF_ERROR_MASK)) == (uint32_t)VF(c, PF_ERROR_MATCH);
    return match ? bit : !bit;
}

void vmx_event_deliver(struct cpu *c, unsigned vector, int kind, bool has_err, uint32_t err,
                       uint32_t insn_len)
{
    uint32_t type;
    switch (kind) {
    case INTR_EXTERNAL: type = VMX_INTR_EXTERNAL; break;
    case INTR_NMI: type = VMX_INTR_NMI; break;
    case INTR_SOFTWARE: type = VMX_INTR_SW_INT; break;
    case INTR_SOFT_EXCEPTION: type = VMX_INTR_SW_EXCEPTION; break;
    case INTR_ICEBP: type = VMX_INTR_PRIV_SW_EXCEPTION; break;
    default: type = VMX_INTR_HW_EXCEPTION; break;
    }
    if (type == VMX_INTR_HW_EXCEPTION || type == VMX_INTR_SW_INT)
        insn_len = type == VMX_INTR_SW_INT ? insn_len : 0;
    uint32_t info = VMX_INTR_VALID | type << 8 | (vector & 0xffu) |
                    (has_err ? VMX_INTR_HAS_ERROR : 0);
    bool exc = type == VMX_INTR_HW_EXCEPTION || type == VMX_INTR_SW_EXCEPTION ||
               type == VMX_INTR_PRIV_SW_EXCEPTION;
    bool injected = c->vmx.injecting;   /* only the injected event itself is exempt */
    c->vmx.injecting = false;
    /* the first event after an IRET that removed NMI blocking is its fault (if any) */
    bool iret_unblock = c->vmx.iret_unblocked;
    c->vmx.iret_unblocked = false;
    uint32_t db_bits = VMX_DB_BITS(c->vmx.db_cause);
    c->vmx.db_cause = 0;
    if (exc && !injected && exception_exits(c, vector, err)) {
        /* 28.2.1 exit qualification: #PF the linear address, #DB the debug-exception bits (a
         * #DB that exits leaves DR6 alone: single-step BS, or the pending bits VM entry loaded) */
        uint64_t qual = vector == VEC_PF ? c->cr2
                      : vector == VEC_DB && type == VMX_INTR_HW_EXCEPTION ? db_bits : 0;
        /* 28.2.2: "NMI unblocking due to IRET" for a fault in an IRET that unblocked NMIs (not
         * for #DF; undefined, 0 here, with IDT-vectoring information) */
        if (iret_unblock && vector != VEC_DF && !(c->vmx.vect_info & VMX_INTR_VALID))
            info |= VMX_INTR_NMI_UNBLOCK;
        /* 27.1: a #PF that exits does not write CR2 (the MMU's early write is undone) */
        if (vector == VEC_PF && c->vmx.pf_cr2_saved)
            c->cr2 = c->vmx.pf_cr2;
        c->vmx.pf_cr2_saved = false;
        struct vmx_exit_req r = { .reason = VMX_EXIT_EXCEPTION_NMI, .qual = qual,
                                  .intr_info = info, .intr_error = has_err ? err : 0,
                                  .insn_len = type == VMX_INTR_HW_EXCEPTION ? 0 : insn_len };
        vmx_exit_raise(c, &r);
    }
    if (vector == VEC_PF && exc)
        c->vmx.pf_cr2_saved = false;    /* delivered: CR2 keeps the fault address */
    c->vmx.vect_info = info;
    c->vmx.vect_error = has_err ? err : 0;
    c->vmx.vect_len = insn_len;
}

_Noreturn void vmx_triple_fault_exit(struct cpu *c)
{
    c->vmx.vect_info = 0;       /* IDT-vectoring information is not valid for reason 2 */
    struct vmx_exit_req r = { .reason = VMX_EXIT_TRIPLE_FAULT };
    vmx_exit_raise(c, &r);
}

/* ------------------------------------------------------------------ the preemption timer */

uint32_t vmx_preempt_value(const struct cpu *c)
{
    if (!c->vmx.preempt_armed)
        return (uint32_t)VF(c, PREEMPTION_TIMER);
    unsigned x = (unsigned)(c->model->vmx.misc & 0x1f);
    uint64_t now = cpu_cycles_now(c);
    if (now >= c->vmx.preempt_deadline)
        return 0;
    return (uint32_t)((c->vmx.preempt_deadline >> x) - (now >> x));
}

uint64_t vmx_wake_cycle(const struct cpu *c)
{
    return c->vmx.nonroot && c->vmx.preempt_armed ? c->vmx.preempt_deadline : UINT64_MAX;
}

bool vmx_halt_event_now(const struct cpu *c)
{
    uint32_t pin = (uint32_t)VF(c, PIN_CONTROLS), proc = (uint32_t)VF(c, PROC_CONTROLS);
    bool wait_sipi = c->wait_sipi, shutdown = c->vmx.activity == 2;
    if (c->vmx.inject_pending || c->vmx.sipi_pending)
        return true;
    if (wait_sipi)                      /* 25.2: only a SIPI ends wait-for-SIPI (INIT blocked) */
        return false;
    if (c->vmx.init_pending || c->vmx.mtf_pending ||
        (c->vmx.pending_dbg && c->intr_shadow != 2) ||
        (c->vmx.preempt_armed && c->ctr.cycles >= c->vmx.preempt_deadline))
        return true;
    if (c->intr_shadow)
        return false;
    if (c->nmi_pending && (pin & PIN_NMI_EXITING) && !nmi_blocked_phys(c))
        return true;
    if ((proc & PROC_NMI_WINDOW) && !c->nmi_blocked)
        return true;
    if (c->nmi_pending && !(pin & PIN_NMI_EXITING) && !c->nmi_blocked)
        return true;
    if (shutdown)                       /* 27.7.2: no interrupt ends shutdown */
        return false;
    bool irq = irq_pending(c);
    if ((pin & PIN_EXT_INTR) && irq)
        return true;
    if ((proc & PROC_INTR_WINDOW) && (c->rflags & RF_IF))
        return true;
    return !(pin & PIN_EXT_INTR) && (c->rflags & RF_IF) && irq;
}

bool vmx_halt_wakeable(const struct cpu *c)
{
    uint32_t pin = (uint32_t)VF(c, PIN_CONTROLS);
    if (c->wait_sipi)
        return false;                   /* only a SIPI (from another processor) */
    if (c->vmx.preempt_armed || c->vmx.init_pending || (pin & PIN_NMI_EXITING) || c->nmi_pending)
        return true;
    if (c->vmx.activity == 2)
        return false;                   /* 27.7.2: no interrupt ends shutdown */
    return (pin & PIN_EXT_INTR) || (c->rflags & RF_IF);
}
