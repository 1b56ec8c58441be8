/* vmx_entry.c — VM entry after its checks (SDM Vol. 3 27.3.2-27.7): loading guest state (control
 * and debug registers, MSRs, segment and descriptor-table registers, RIP/RSP/RFLAGS, PDPTEs),
 * then the guest's non-register state (activity, interruptibility), the VMX-preemption timer, and
 * event injection (27.5), which happens at the first instruction boundary in the guest
 * (vmx_event.c: vmx_event_boundary calls vmx_entry_inject).
 *
 * Invariants:
 *  - vmx_check_guest_state passed before vmx_entry_load_guest runs, so every value loaded is one
 *    the processor can hold; the only failure left is the PDPTE load (27.8 qualification 2).
 *  - After vmx_entry_finish the processor is in VMX non-root operation (c->vmx.nonroot), the MMU
 *    has switched context (mmu_vmx_switch) and mode/CPL are those of the guest.
 */
#include "cpu/cpu.h"
#include "cpu/exception.h"
#include "cpu/model.h"
#include "mmu/mmu.h"
#include "mmu/tlb.h"

#define VF(c, name) ((c)->vmx.vmcs[VMCS_##name])

/* VM-entry controls (24.8.1). */
#define ENTRY_LOAD_DEBUG    (1u << 2)
#define ENTRY_IA32E         (1u << 9)
/* Pin-based controls (24.6.1). */
#define PIN_VIRTUAL_NMI     (1u << 5)

/* CR0 bits VM entry never modifies (27.3.2.1): ET, reserved 15:6, 17, 28:19 (and 63:32), NW, CD. */
#define CR0_ENTRY_KEEP (CR0_ET | CR0_NW | CR0_CD | 0xffffffff00000000ull | 0x1ff80000ull | \
                        (1ull << 17) | 0xffc0ull)

static struct segment *seg_of(struct cpu *c, int s)
{
    return s < SEG_NSEG ? &c->seg[s] : s == SEG_LDTR ? &c->ldtr : &c->tr;
}

static bool ept_on(const struct cpu *c)
{
    return (VF(c, PROC_CONTROLS) & VMX_PROC_SECONDARY) && (VF(c, PROC_CONTROLS2) & VMX_PROC2_EPT);
}

int vmx_entry_load_guest(struct cpu *c)
{
    const uint64_t *v = c->vmx.vmcs;
    uint32_t en = (uint32_t)v[VMCS_ENTRY_CONTROLS];

    /* 27.3.2.1 control registers, debug registers, MSRs */
    c->cr0 = (c->cr0 & CR0_ENTRY_KEEP) | (v[VMCS_GUEST_CR0] & ~CR0_ENTRY_KEEP);
    c->cr3 = v[VMCS_GUEST_CR3];
    c->cr4 = v[VMCS_GUEST_CR4];
    if (en & ENTRY_LOAD_DEBUG)
        /* bits 12, 15:14 always 0, bit 10 always 1; IA32_DEBUGCTL: not modelled */
        c->dr[7] = (v[VMCS_GUEST_DR7] & ~0xd000ull) | 0x400;
    c->msr.sysenter_cs = (uint32_t)v[VMCS_GUEST_SYSENTER_CS];
    c->msr.sysenter_esp = v[VMCS_GUEST_SYSENTER_ESP];
    c->msr.sysenter_eip = v[VMCS_GUEST_SYSENTER_EIP];
    if (en & VMX_ENTRY_LOAD_PAT)
        c->msr.pat = v[VMCS_GUEST_PAT];
    if (en & VMX_ENTRY_LOAD_EFER) {
        c->msr.efer = v[VMCS_GUEST_EFER];
    } else {
        /* LMA = "IA-32e mode guest"; LME too when CR0.PG = 1 */
        bool ia32e = en & ENTRY_IA32E;
        c->msr.efer = (c->msr.efer & ~EFER_LMA) | (ia32e ? EFER_LMA : 0);
        if (c->cr0 & CR0_PG)
            c->msr.efer = (c->msr.efer & ~EFER_LME) | (ia32e ? EFER_LME : 0);
    }

    /* 27.3.2.2 segment registers and descriptor-table registers */
    for (int s = 0; s < 8; s++) {
        struct segment *g = seg_of(c, s);
        g->sel = (uint16_t)v[VMCS_GUEST_ES_SEL + s];
        g->base = v[VMCS_GUEST_ES_BASE + s];
        g->limit = (uint32_t)v[VMCS_GUEST_ES_LIMIT + s];
        g->ar = (uint32_t)v[VMCS_GUEST_ES_AR + s] & 0x1f0ffu;
    }
    c->gdtr = (struct dtr){ v[VMCS_GUEST_GDTR_BASE], (uint32_t)v[VMCS_GUEST_GDTR_LIMIT] };
    c->idtr = (struct dtr){ v[VMCS_GUEST_IDTR_BASE], (uint32_t)v[VMCS_GUEST_IDTR_LIMIT] };

    /* 27.3.2.3 RIP, RSP, RFLAGS */
    c->gpr[R_RSP] = v[VMCS_GUEST_RSP];
    c->rip = v[VMCS_GUEST_RIP];
    cpu_set_rflags(c, v[VMCS_GUEST_RFLAGS]);

    c->vmx.nonroot = true;
    cpu_update_mode(c);
    /* the CPL is SS.DPL (27.3.1.2 makes CS.DPL/SS.DPL consistent); 0 in real mode, 3 in
     * virtual-8086 mode */
    if (c->mode != MODE_REAL && c->mode != MODE_VM86)
        c->cpl = (uint8_t)AR_DPL(c->seg[SEG_SS].ar);
    mmu_vmx_switch(c);

    /* 27.3.2.4 PDPTEs: with PAE paging, from the VMCS fields with EPT, else from guest CR3 */
    if (mmu_pae_paging(c->cr0, c->cr4, c->msr.efer)) {
        if (ept_on(c)) {
            for (int k = 0; k < 4; k++)
                c->tlb->pdpte[k] = v[VMCS_GUEST_PDPTE0 + k];
        } else if (mmu_load_pdptes(c) < 0) {
            vmx_entry_fail(c, VMX_EXIT_INVALID_GUEST_STATE, 2);
            return -1;
        }
    }
    return 0;
}

/* 27.7.3: the debug exceptions pending after VM entry, from the pending-debug-exceptions field.
 * None if the entry is vectoring with an external interrupt, NMI, hardware exception or
 * privileged software exception; none for a software interrupt/exception without MOV SS blocking
 * (with it the SDM lets them be lost: hvsim loses them too); none in shutdown and wait-for-SIPI
 * activity. Otherwise they are valid if BS (bit 14) or the enabled-breakpoint bit (12) is set,
 * and vmx_event_boundary delivers them as a #DB trap (MOV SS blocking holds them for one
 * instruction). */
static uint32_t entry_pending_dbg(const struct cpu *c)
{
    const uint64_t *v = c->vmx.vmcs;
    uint32_t pd = (uint32_t)v[VMCS_GUEST_PENDING_DBG];
    uint32_t info = (uint32_t)v[VMCS_ENTRY_INTR_INFO];
    uint32_t act = (uint32_t)v[VMCS_GUEST_ACTIVITY_STATE];
    if ((info & VMX_INTR_VALID) && VMX_INTR_TYPE(info) != VMX_INTR_OTHER)
        return 0;
    if (act == 2 || act == 3)
        return 0;
    if (!(pd & ((1u << 12) | (1u << 14))))
        return 0;
    return pd & 0x500fu;                /* B3-B0, enabled breakpoint, BS (no RTM in hvsim) */
}

void vmx_entry_finish(struct cpu *c)
{
    const uint64_t *v = c->vmx.vmcs;
    uint32_t pin = (uint32_t)v[VMCS_PIN_CONTROLS];

    /* 27.3.2.5 non-register state: interruptibility and activity (24.4.2) */
    uint32_t intr = (uint32_t)v[VMCS_GUEST_INTERRUPTIBILITY];
    c->intr_shadow = (intr & 1) ? 1 : (intr & 2) ? 2 : 0;
    c->nmi_blocked = intr & 8;          /* virtual-NMI blocking with "virtual NMIs" */
    c->vmx.shadow_insn = 0;
    c->delivering = -1;
    c->vmx.vect_info = c->vmx.vect_error = c->vmx.vect_len = 0;
    uint32_t act = (uint32_t)v[VMCS_GUEST_ACTIVITY_STATE];
    c->vmx.activity = (uint8_t)act;
    c->halted = act != 0;
    c->wait_sipi = act == 3;
    c->vmx.sipi_pending = false;
    c->vmx.init_pending = false;
    c->vmx.iret_unblocked = false;
    c->vmx.db_cause = 0;
    c->vmx.pending_dbg = entry_pending_dbg(c);
    c->vmx.monitor_armed = false;       /* 27.3.3: VM entries clear address-range monitoring */

    /* 27.7.4 VMX-preemption timer: counts down by 1 every 2^X TSC cycles (IA32_VMX_MISC[4:0]);
     * a value of 0 exits before the first guest instruction */
    c->vmx.preempt_armed = pin & VMX_PIN_PREEMPT_TIMER;
    if (c->vmx.preempt_armed) {
        unsigned x = (unsigned)(c->model->vmx.misc & 0x1f);
        /* from the end of the VMLAUNCH/VMRESUME, whose own cost retires with its block */
        uint64_t now = c->ctr.cycles + (c->blk_first ? c->blk_cur->cum_cost : 0);
        uint64_t t = v[VMCS_PREEMPTION_TIMER];
        c->vmx.preempt_deadline = t ? ((now >> x) + t) << x : now;
    }
    /* 27.5: event injection and the TPR-threshold check at the first boundary */
    c->vmx.inject_pending = true;
    c->vmx.ple.valid = false;       /* 25.1.3: the first PAUSE after VM entry starts a loop */
    c->vmx.mtf_pending = false;

    c->vmx.ctr.entries++;
    if (c->vmx.last_exit > 0)
        c->vmx.ctr.cycles[c->vmx.last_exit - 1] += cpu_cycles_now(c) - c->vmx.exit_cycle;
    c->vmx.last_exit = 0;
    (void)pin;
}

/* 27.5: deliver the event of the VM-entry interruption-information field as if it occurred at
 * the guest's first instruction boundary (no exception-bitmap exits for it, 27.5.1). Software
 * events push RIP + VM-entry instruction length. Called at that boundary by vmx_event_boundary. */
void vmx_entry_inject(struct cpu *c)
{
    uint32_t info = (uint32_t)VF(c, ENTRY_INTR_INFO);
    if (!(info & VMX_INTR_VALID))
        return;
    /* 25.5.2, 27.7.2: with the monitor trap flag an MTF exit is pending right after the delivery; type 7
     * ("other event", vector 0) injects nothing but that pending MTF exit */
    bool mtf = VF(c, PROC_CONTROLS) & VMX_PROC_MTF;
    unsigned vec = VMX_INTR_VECTOR(info), type = VMX_INTR_TYPE(info);
    uint32_t len = (uint32_t)VF(c, ENTRY_INSN_LEN);
    bool has_err = info & VMX_INTR_HAS_ERROR;
    uint32_t err = (uint32_t)VF(c, ENTRY_EXCEPTION_ERROR);
    if (type == VMX_INTR_OTHER) {
        c->vmx.mtf_pending = true;
        return;
    }
    c->halted = false;
    c->wait_sipi = false;
    c->vmx.activity = 0;
    c->vmx.injecting = true;
    c->insn_start = c->rip;
    switch (type) {
    case VMX_INTR_EXTERNAL:
        cpu_deliver_interrupt(c, (uint8_t)vec, INTR_EXTERNAL);
        break;
    case VMX_INTR_NMI:
        cpu_deliver_interrupt(c, VEC_NMI, INTR_NMI);
        break;
    case VMX_INTR_HW_EXCEPTION:
        cpu_deliver_exception(c, (int)vec, has_err, err, true);
        break;
    default: {          /* software interrupt, privileged / software exception */
        uint64_t mask = c->code_size == 8 ? ~0ull : c->code_size == 4 ? 0xffffffffull : 0xffffull;
        c->rip = (c->rip + len) & mask;
        int kind = type == VMX_INTR_SW_INT ? INTR_SOFTWARE
                 : type == VMX_INTR_PRIV_SW_EXCEPTION ? INTR_ICEBP : INTR_SOFT_EXCEPTION;
        cpu_deliver_interrupt(c, (uint8_t)vec, kind);
        break;
    }
    }
    c->vmx.injecting = false;
    if (mtf && c->vmx.nonroot)
        c->vmx.mtf_pending = true;
}
