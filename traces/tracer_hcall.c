/* tracer_hcall.c — hypercall events, decoded by the simulator from the architectural state at
 * VM exits and entries, for any hypervisor that follows the Hyper-V TLFS hypercall ABI
 * (../shared/design/HYPERV-REFERENCE.md "Hypercalls"; docs/TRACE-FORMAT.md "Hypercalls").
 *
 * The call: a VM exit with basic reason 18 (VMCALL, SDM Vol. 3 Appendix C; 26.1.2 VMCALL exits
 * unconditionally in VMX non-root operation). A VM exit loads RSP and RIP from the host-state
 * area but no other general-purpose register (SDM 28.5.1), so at the exit the GPRs still hold
 * the guest's values: the TLFS input value is RCX for a caller in 64-bit mode (the "IA-32e mode
 * guest" entry control, which the exit sets from IA32_EFER.LMA (28.3), and guest CS.L) and
 * EDX:EAX otherwise. Input value: call code 15:0, fast 16, variable header size 26:17, nested 31,
 * rep count 43:32, rep start index 59:48.
 *
 * The return: the next VM entry to the same VMCS, on whichever processor (a hypervisor may run
 * other VPs on the processor before it resumes the caller: the root's VP that handles a message
 * the call posted, say). A VM entry loads no GPR
 * other than RSP/RIP either (27.3.2), so what the hypervisor left in RAX (64-bit) or EDX:EAX
 * (32-bit) is the result value: status 15:0, reps completed 43:32. The event is written at the
 * entry, latency_cycles = entry cycles - exit cycles (the root's whole handling time including
 * the exit and entry costs).
 *
 * Rep continuation (TLFS "Rep Hypercall Restarting"): the hypervisor returns with the guest RIP
 * still at the VMCALL and the rep start index of the input value advanced; the guest then issues
 * the call again. An entry whose guest RIP equals the VMCALL's RIP is such a return: the event
 * has completed = 0, status 0 (no result value is returned), reps_done = the new rep start index
 * (the reps completed so far, counted from the call's first element). The re-issued VMCALL is a
 * new call (its own event, rep_start = that index).
 *
 * Dropped calls: an entry to the VMCS that keeps the RIP at the VMCALL and injects an event
 * (SDM 27.6: the hypervisor refusing the call with #UD or #GP, TLFS "Hypercall Restrictions"),
 * or a VMLAUNCH of it (which needs a VMCLEAR since the call: only VMCLEAR makes a launched VMCS
 * clear, SDM 25.11.3/31.3), forgets the pending call without an event. A VMCS has at most one
 * pending call (a new VMCALL exit replaces it).
 *
 * Invariants: runs only while a trace is recorded (c->trace != NULL), and decodes only when the
 * hcall category is on; reads machine state, never writes it.
 */
#include "traces/tracer.h"

#include <stdlib.h>

#include "cpu/cpu.h"
#include "cpu/vmx_exit.h"

#define HC_ENTRY_IA32E (1u << 9)    /* VM-entry control "IA-32e mode guest" (SDM 24.8.1) */

/* The caller's mode from the guest-state area: 64-bit mode = IA-32e mode guest and CS.L
 * (SDM 3.4.5: L = 1 is 64-bit mode only when IA32_EFER.LMA = 1). */
static int hc_long_mode(const struct cpu *c)
{
    return (c->vmx.vmcs[VMCS_ENTRY_CONTROLS] & HC_ENTRY_IA32E) &&
           (c->vmx.vmcs[VMCS_GUEST_CS_AR] & AR_L);
}

/* RCX in 64-bit mode, else EDX:EAX (TLFS "Hypercall Inputs"; the same registers carry the
 * result value in RAX / EDX:EAX, and the 32-bit caller's input value is EDX:EAX too). */
static uint64_t hc_reg(const struct cpu *c, int is_long, int gpr64)
{
    if (is_long)
        return c->gpr[gpr64];
    return ((uint64_t)(uint32_t)c->gpr[R_RDX] << 32) | (uint32_t)c->gpr[R_RAX];
}

/* The pending call of `vmcs`, or NULL. */
static struct tracer_hcall *hc_find(struct tracer *t, uint64_t vmcs)
{
    for (unsigned k = 0; k < t->nhc; k++)
        if (t->hc[k].vmcs == vmcs)
            return &t->hc[k];
    return NULL;
}

static void hc_forget(struct tracer *t, struct tracer_hcall *h)
{
    *h = t->hc[--t->nhc];
}

void tracer_hcall_exit(struct tracer *t, const struct cpu *c)
{
    if (!tracer_wants(t, TRACE_CAT_HCALL))
        return;
    if (c->vmx.vmcs[VMCS_EXIT_REASON] != VMX_EXIT_VMCALL)
        return;                     /* other exits leave a pending call alone */
    struct tracer_hcall *h = hc_find(t, c->vmx.vmcs_ptr);
    if (!h) {
        if (t->nhc == t->caphc) {
            unsigned ncap = t->caphc ? 2 * t->caphc : 16;
            struct tracer_hcall *n = realloc(t->hc, ncap * sizeof *n);
            if (!n)
                return;             /* this call gets no event */
            t->hc = n;
            t->caphc = ncap;
        }
        h = &t->hc[t->nhc++];
    }
    h->vmcs = c->vmx.vmcs_ptr;
    h->is_long = (uint8_t)hc_long_mode(c);
    h->input = hc_reg(c, h->is_long, R_RCX);
    h->rip = c->vmx.vmcs[VMCS_GUEST_RIP];
    h->cycles = cpu_cycles_now(c);
}

void tracer_hcall_entry(struct tracer *t, const struct cpu *c, int launch)
{
    if (!t || !t->nhc)
        return;
    struct tracer_hcall *h = hc_find(t, c->vmx.vmcs_ptr);
    if (!h)
        return;
    struct tracer_hcall call = *h;
    hc_forget(t, h);
    if (launch || !tracer_wants(t, TRACE_CAT_HCALL))
        return;                     /* this VMCS was cleared since the call: dropped */
    uint64_t in = call.input, done, status;
    int completed = c->vmx.vmcs[VMCS_GUEST_RIP] != call.rip;
    if (!completed && (c->vmx.vmcs[VMCS_ENTRY_INTR_INFO] & VMX_INTR_VALID))
        return;                     /* RIP kept to deliver an event (#UD, #GP): no return */
    if (completed) {
        uint64_t res = hc_reg(c, call.is_long, R_RAX);
        status = tracer_hc_status(res);
        done = tracer_hc_reps_done(res);
    } else {                        /* continuation: the updated input value */
        status = 0;
        done = tracer_hc_rep_start(hc_reg(c, call.is_long, R_RCX));
    }
    uint64_t now = cpu_cycles_now(c);
    uint64_t v[8] = { tracer_hc_code(in), tracer_hc_fast(in), tracer_hc_rep_count(in),
                      tracer_hc_rep_start(in), status, done, now - call.cycles,
                      (uint64_t)completed };
    tracer_cpu(t, c, TEV_HYPERCALL, v);
}
