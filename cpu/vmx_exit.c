/* vmx_exit.c — VM exits (SDM Vol. 3 chapter 28): recording the exit information (28.2), saving
 * guest state (28.3), the VM-exit MSR-store list (28.4), loading host state (28.5), the VM-exit
 * MSR-load list (28.6) and VMX aborts (28.7); also the VM-entry failure that loads host state
 * (27.8) and the per-exit-reason counters and cycle costs.
 *
 * Invariants:
 *  - vmx_vmexit runs only in VMX non-root operation (or for a VM-entry failure, after guest state
 *    began to load) and always leaves the processor in VMX root operation with the host state of
 *    the current VMCS, or stopped by a VMX abort (STOP_TRIPLE_FAULT with a report: the processor
 *    is in the shutdown state, 28.7).
 *  - Fields the exit does not define are written as 0 (the SDM leaves them undefined), so traces
 *    are deterministic; the exit fields of a VM-entry failure are only reason and qualification.
 *  - After an exit nothing of the guest's event delivery is pending (delivering = -1, no
 *    vectoring information, no halt, no interrupt shadow).
 */
#include <stdio.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/model.h"
#include "cpu/vmx_intercept.h"
#include "mmu/mmu.h"
#include "mmu/tlb.h"
#include "sim/bus.h"
#include "traces/tracer.h"

#define VF(c, name) ((c)->vmx.vmcs[VMCS_##name])

/* VM-exit controls (SDM 24.7.1, Table 24-13). */
#define EXIT_SAVE_DEBUG     (1u << 2)
#define EXIT_HOST_64        (1u << 9)
#define EXIT_ACK_INTR       (1u << 15)
#define EXIT_SAVE_PREEMPT   (1u << 22)
/* VM-entry control 9 "IA-32e mode guest" (24.8.1). */
#define ENTRY_IA32E         (1u << 9)
/* Pin-based controls (24.6.1). */
#define PIN_VIRTUAL_NMI     (1u << 5)

/* VMX-abort indicators (28.7). */
enum { ABORT_SAVE_MSR = 1, ABORT_HOST_PDPTE = 2, ABORT_LOAD_MSR = 4 };

/* MSR indices the MSR lists refuse (27.4, 28.4, 28.6): loads refuse FS/GS base and
 * SMM_MONITOR_CTL, stores refuse SMBASE; both refuse the x2APIC range 800H-8FFH. */
#define MSR_SMM_MONITOR_CTL 0x9bu
#define MSR_SMBASE          0x9eu
#define MSR_FS_BASE         0xc0000100u
#define MSR_GS_BASE         0xc0000101u
#define MSR_IA32_TSC        0x10u

_Noreturn void vmx_exit_raise(struct cpu *c, const struct vmx_exit_req *r)
{
    c->vmx.exit_req = *r;
    c->fault_vector = FAULT_VMEXIT;
    longjmp(c->fault_jmp, 1);
}

_Noreturn void vmx_exit_insn(struct cpu *c, const struct insn *i, uint32_t reason, uint64_t qual,
                             uint32_t insn_info)
{
    struct vmx_exit_req r = { .reason = reason, .qual = qual, .insn_len = i->len,
                              .insn_info = insn_info };
    vmx_exit_raise(c, &r);
}

/* ------------------------------------------------------------------ MSR lists (28.4, 28.6) */

/* The MSR lists access MSRs "as if by WRMSR/RDMSR at CPL 0" (27.4, 28.4, 28.6): the non-faulting
 * MSR API of cpu/sys_msr.c, with no MSR-bitmap exits. IA32_TSC reads the processor's TSC
 * without the guest's TSC offset (the list is processed by the VM exit, not by guest software). */
bool vmx_list_wrmsr(struct cpu *c, uint32_t msr, uint64_t v)
{
    return cpu_msr_write(c, msr, v);
}

bool vmx_list_rdmsr(struct cpu *c, uint32_t msr, uint64_t *v)
{
    if (!cpu_msr_read(c, msr, v))
        return false;
    if (msr == MSR_IA32_TSC)
        *v -= vmx_tsc_offset(c);
    return true;
}

/* Process a MSR-load list of `count` 16-byte entries at `pa` (27.4 for VM entry, 28.6 for VM
 * exit): 0, or the 1-based index of the entry that failed. */
static uint32_t load_msr_list(struct cpu *c, uint64_t pa, uint32_t count)
{
    for (uint32_t k = 0; k < count; k++) {
        uint64_t e = pa + 16ull * k;
        uint64_t lo = bus_read(c->bus, e, 8), val = bus_read(c->bus, e + 8, 8);
        uint32_t msr = (uint32_t)lo;
        /* refused: FS/GS base, the x2APIC range, IA32_SMM_MONITOR_CTL (writable only in SMM,
         * and hvsim is never in SMM), bits 63:32 set, or a value WRMSR would #GP on */
        if ((lo >> 32) || msr == MSR_FS_BASE || msr == MSR_GS_BASE || (msr >> 8) == 0x8 ||
            msr == MSR_SMM_MONITOR_CTL || !vmx_list_wrmsr(c, msr, val))
            return k + 1;
    }
    return 0;
}

uint32_t vmx_entry_load_msrs(struct cpu *c)
{
    return load_msr_list(c, VF(c, ENTRY_MSR_LOAD_ADDR), (uint32_t)VF(c, ENTRY_MSR_LOAD_COUNT));
}

/* 28.4: store the listed MSRs; false on a failure (a VMX abort follows). */
static bool store_msr_list(struct cpu *c)
{
    uint64_t pa = VF(c, EXIT_MSR_STORE_ADDR);
    uint32_t n = (uint32_t)VF(c, EXIT_MSR_STORE_COUNT);
    for (uint32_t k = 0; k < n; k++) {
        uint64_t e = pa + 16ull * k, v;
        uint64_t lo = bus_read(c->bus, e, 8);
        uint32_t msr = (uint32_t)lo;
        if ((lo >> 32) || (msr >> 8) == 0x8 || msr == MSR_SMBASE || !vmx_list_rdmsr(c, msr, &v))
            return false;
        bus_write(c->bus, e + 8, v, 8);
    }
    return true;
}

/* ------------------------------------------------------------------ VMX abort (28.7) */

static void vmx_abort(struct cpu *c, uint32_t indicator)
{
    if (c->vmx.vmcs_ptr != VMX_NO_VMCS)
        bus_write(c->bus, c->vmx.vmcs_ptr + VMX_VMCS_OFF_ABORT, indicator, 4);
    static const char *const why[] = {
        [ABORT_SAVE_MSR] = "saving a guest MSR (VM-exit MSR-store list)",
        [ABORT_HOST_PDPTE] = "loading the host PDPTEs",
        [ABORT_LOAD_MSR] = "loading a host MSR (VM-exit MSR-load list)",
    };
    snprintf(c->stop_msg, sizeof c->stop_msg,
             "VMX abort (indicator %u: failure %s) on VM exit with reason %u; VMCS at %#llx",
             indicator, why[indicator], (unsigned)VF(c, EXIT_REASON),
             (unsigned long long)c->vmx.vmcs_ptr);
    c->stop = STOP_TRIPLE_FAULT;
    c->halted = false;
    c->block_end = true;
}

/* ------------------------------------------------------------------ saving guest state (28.3) */

/* struct cpu keeps ES..GS, LDTR, TR in VMCS order: field index k + s for each of the 8. */
static struct segment *seg_of(struct cpu *c, int s)
{
    return s < SEG_NSEG ? &c->seg[s] : s == SEG_LDTR ? &c->ldtr : &c->tr;
}

/* 28.3.3: the RFLAGS.RF saved. Instruction-caused exits save 0; an exception exit for a fault
 * saves 1 as the pushed image would have it (vmx.exit_rf); EPT violations and misconfigurations
 * and APIC accesses save what a fault there would push (1 during an instruction; during the
 * delivery of an event, that event's image: 1 for a fault-class hardware exception); every other
 * exit (triple fault, events at an instruction boundary, trap-like exits) the RF the processor
 * has. */
static bool instruction_exit(uint32_t basic)
{
    switch (basic) {
    case VMX_EXIT_CPUID: case VMX_EXIT_GETSEC: case VMX_EXIT_HLT: case VMX_EXIT_INVD:
    case VMX_EXIT_INVLPG: case VMX_EXIT_RDPMC: case VMX_EXIT_RDTSC: case VMX_EXIT_RSM:
    case VMX_EXIT_VMCALL: case VMX_EXIT_VMCLEAR: case VMX_EXIT_VMLAUNCH: case VMX_EXIT_VMPTRLD:
    case VMX_EXIT_VMPTRST: case VMX_EXIT_VMREAD: case VMX_EXIT_VMRESUME: case VMX_EXIT_VMWRITE:
    case VMX_EXIT_VMXOFF: case VMX_EXIT_VMXON: case VMX_EXIT_CR_ACCESS: case VMX_EXIT_DR_ACCESS:
    case VMX_EXIT_IO_INSTRUCTION: case VMX_EXIT_RDMSR: case VMX_EXIT_WRMSR: case VMX_EXIT_MWAIT:
    case VMX_EXIT_MONITOR: case VMX_EXIT_PAUSE: case VMX_EXIT_GDTR_IDTR: case VMX_EXIT_LDTR_TR:
    case VMX_EXIT_INVEPT: case VMX_EXIT_RDTSCP: case VMX_EXIT_INVVPID: case VMX_EXIT_WBINVD:
    case VMX_EXIT_XSETBV: case VMX_EXIT_RDRAND: case VMX_EXIT_INVPCID: case VMX_EXIT_VMFUNC:
    case VMX_EXIT_ENCLS: case VMX_EXIT_RDSEED: case VMX_EXIT_XSAVES: case VMX_EXIT_XRSTORS:
        return true;
    default:
        return false;
    }
}

static bool saved_rf(struct cpu *c, uint32_t basic)
{
    if (instruction_exit(basic))
        return false;
    if (basic == VMX_EXIT_EXCEPTION_NMI && c->vmx.exit_rf)
        return true;
    if (basic == VMX_EXIT_EPT_VIOLATION || basic == VMX_EXIT_EPT_MISCONFIG ||
        basic == VMX_EXIT_APIC_ACCESS) {
        uint32_t vi = c->vmx.vect_info;
        if (!(vi & VMX_INTR_VALID))
            return true;                /* an access of the instruction: a fault there */
        if (VMX_INTR_TYPE(vi) == VMX_INTR_HW_EXCEPTION && VMX_INTR_VECTOR(vi) != VEC_DB &&
            VMX_INTR_VECTOR(vi) != VEC_DF)
            return true;                /* delivering a fault: its image has RF = 1 */
    }
    return cpu_get_rflags(c) & RF_RF;
}

/* 28.3.4: the pending debug exceptions saved. They are kept only by exits that have priority
 * over a debug trap of the previous instruction (INIT, TPR below threshold, MTF; 6.9) and by
 * exits other than #DB while MOV SS blocks debug exceptions; every other exit saves 0 (a trap
 * still pending would be delivered before it). hvsim has no data or I/O breakpoints: only BS
 * (and what VM entry loaded) can be pending. */
static uint32_t saved_pending_dbg(const struct cpu *c, uint32_t basic, bool db_exit,
                                  uint8_t shadow)
{
    if (basic == VMX_EXIT_INIT || basic == VMX_EXIT_TPR_BELOW_THRESHOLD ||
        basic == VMX_EXIT_MONITOR_TRAP_FLAG)
        return c->vmx.pending_dbg;
    if (shadow == 2 && !db_exit)
        return c->vmx.pending_dbg;
    return 0;
}

static void save_guest(struct cpu *c, uint32_t basic, bool db_exit)
{
    uint64_t *v = c->vmx.vmcs;
    uint32_t ex = (uint32_t)v[VMCS_EXIT_CONTROLS];
    v[VMCS_GUEST_CR0] = c->cr0;
    v[VMCS_GUEST_CR3] = c->cr3;
    v[VMCS_GUEST_CR4] = c->cr4;
    if (ex & EXIT_SAVE_DEBUG) {
        v[VMCS_GUEST_DR7] = c->dr[7];
        v[VMCS_GUEST_DEBUGCTL] = 0;     /* IA32_DEBUGCTL is not modelled: reads as 0 */
    }
    v[VMCS_GUEST_RSP] = c->gpr[R_RSP];
    v[VMCS_GUEST_RIP] = c->rip;
    v[VMCS_GUEST_RFLAGS] = (cpu_get_rflags(c) & ~(uint64_t)RF_RF) | (saved_rf(c, basic) ? RF_RF : 0);
    for (int s = 0; s < 8; s++) {
        const struct segment *g = seg_of(c, s);
        v[VMCS_GUEST_ES_SEL + s] = g->sel;
        v[VMCS_GUEST_ES_BASE + s] = g->base;
        v[VMCS_GUEST_ES_LIMIT + s] = g->limit;
        v[VMCS_GUEST_ES_AR + s] = g->ar & 0x1f0ffu;    /* 11:8 and 31:17 reserved (24.4.1) */
    }
    v[VMCS_GUEST_GDTR_BASE] = c->gdtr.base;
    v[VMCS_GUEST_GDTR_LIMIT] = c->gdtr.limit;
    v[VMCS_GUEST_IDTR_BASE] = c->idtr.base;
    v[VMCS_GUEST_IDTR_LIMIT] = c->idtr.limit;
    v[VMCS_GUEST_SYSENTER_CS] = (uint32_t)c->msr.sysenter_cs;
    v[VMCS_GUEST_SYSENTER_ESP] = c->msr.sysenter_esp;
    v[VMCS_GUEST_SYSENTER_EIP] = c->msr.sysenter_eip;
    if (ex & VMX_EXIT_SAVE_PAT)
        v[VMCS_GUEST_PAT] = c->msr.pat;
    if (ex & VMX_EXIT_SAVE_EFER)
        v[VMCS_GUEST_EFER] = c->msr.efer;
    /* 28.3 (IA32_VMX_MISC[5]): the "IA-32e mode guest" entry control receives EFER.LMA */
    v[VMCS_ENTRY_CONTROLS] = (v[VMCS_ENTRY_CONTROLS] & ~(uint64_t)ENTRY_IA32E) |
                             ((c->msr.efer & EFER_LMA) ? ENTRY_IA32E : 0);
    /* 28.3.4 non-register state: activity, interruptibility, pending debug exceptions */
    v[VMCS_GUEST_ACTIVITY_STATE] = !c->halted ? 0 : c->wait_sipi ? 3
                                   : c->vmx.activity == 2 ? 2 : 1;
    uint32_t intr = 0;
    uint8_t shadow = c->intr_shadow ? c->intr_shadow : c->vmx.shadow_insn;
    if (shadow == 1)
        intr |= 1u << 0;                /* blocking by STI */
    else if (shadow == 2)
        intr |= 1u << 1;                /* blocking by MOV SS */
    if (c->nmi_blocked)
        intr |= 1u << 3;                /* blocking by NMI (virtual-NMI blocking with vNMIs) */
    v[VMCS_GUEST_INTERRUPTIBILITY] = intr;
    v[VMCS_GUEST_PENDING_DBG] = saved_pending_dbg(c, basic, db_exit, shadow);
    if ((ex & EXIT_SAVE_PREEMPT) && (v[VMCS_PIN_CONTROLS] & VMX_PIN_PREEMPT_TIMER))
        v[VMCS_PREEMPTION_TIMER] = vmx_preempt_value(c);
    /* 28.3.1: with EPT and PAE paging the PDPTEs are saved */
    if ((v[VMCS_PROC_CONTROLS] & VMX_PROC_SECONDARY) && (v[VMCS_PROC_CONTROLS2] & VMX_PROC2_EPT) &&
        mmu_pae_paging(c->cr0, c->cr4, c->msr.efer))
        for (int k = 0; k < 4; k++)
            v[VMCS_GUEST_PDPTE0 + k] = c->tlb->pdpte[k];
}

/* ------------------------------------------------------------------ loading host state (28.5) */

/* CR0 bits a VM exit does not modify (28.5.1): ET, NW, CD, 63:32, 28:19, 17, 15:6. */
#define CR0_HOST_KEEP (CR0_ET | CR0_NW | CR0_CD | 0xffffffff00000000ull | 0x1ff80000ull | \
                       (1ull << 17) | 0xffc0ull)

static void host_seg(struct segment *s, uint16_t sel, uint64_t base, uint32_t ar)
{
    s->sel = sel;
    s->base = base;
    s->limit = 0xffffffffu;
    s->ar = ar;
}

/* 28.5.1-28.5.2 and the MSRs; false on a VMX abort. */
static bool load_host(struct cpu *c)
{
    uint64_t *v = c->vmx.vmcs;
    uint32_t ex = (uint32_t)v[VMCS_EXIT_CONTROLS];
    bool host64 = ex & EXIT_HOST_64;

    c->cr0 = (c->cr0 & CR0_HOST_KEEP) | (v[VMCS_HOST_CR0] & ~CR0_HOST_KEEP);
    c->cr3 = v[VMCS_HOST_CR3];
    uint64_t cr4 = v[VMCS_HOST_CR4];
    if (host64)
        cr4 |= CR4_PAE;
    else
        cr4 &= ~CR4_PCIDE;
    c->cr4 = cr4;
    c->dr[7] = 0x400;                   /* IA32_DEBUGCTL is cleared too (not modelled) */
    c->msr.sysenter_cs = (uint32_t)v[VMCS_HOST_SYSENTER_CS];
    c->msr.sysenter_esp = v[VMCS_HOST_SYSENTER_ESP];
    c->msr.sysenter_eip = v[VMCS_HOST_SYSENTER_EIP];
    if (ex & VMX_EXIT_LOAD_PAT)
        c->msr.pat = v[VMCS_HOST_PAT];
    if (ex & VMX_EXIT_LOAD_EFER)
        c->msr.efer = v[VMCS_HOST_EFER];
    else if (host64)
        c->msr.efer |= EFER_LMA | EFER_LME;
    else
        c->msr.efer &= ~(EFER_LMA | EFER_LME);

    /* 28.5.2: CS type 11, S, P, G, L = host address-space size, D = !L; data segments type 3,
     * D/B and G, or unusable with a null selector (SS included); TR type 11 limit 67H */
    host_seg(&c->seg[SEG_CS], (uint16_t)v[VMCS_HOST_CS_SEL], 0,
             host64 ? 0xa09bu : 0xc09bu);
    static const int data_segs[] = { SEG_ES, SEG_SS, SEG_DS, SEG_FS, SEG_GS };
    for (unsigned k = 0; k < sizeof data_segs / sizeof data_segs[0]; k++) {
        int s = data_segs[k];
        uint16_t sel = (uint16_t)v[VMCS_HOST_ES_SEL + s];
        host_seg(&c->seg[s], sel, 0, (sel & 0xfffc) ? 0xc093u : AR_UNUSABLE | 0xc093u);
    }
    c->seg[SEG_FS].base = v[VMCS_HOST_FS_BASE];
    c->seg[SEG_GS].base = v[VMCS_HOST_GS_BASE];
    c->tr = (struct segment){ .sel = (uint16_t)v[VMCS_HOST_TR_SEL], .ar = 0x8b, .limit = 0x67,
                              .base = v[VMCS_HOST_TR_BASE] };
    c->ldtr = (struct segment){ .sel = 0, .ar = AR_UNUSABLE, .limit = 0, .base = 0 };
    c->gdtr = (struct dtr){ v[VMCS_HOST_GDTR_BASE], 0xffff };
    c->idtr = (struct dtr){ v[VMCS_HOST_IDTR_BASE], 0xffff };
    c->gpr[R_RSP] = v[VMCS_HOST_RSP];
    c->rip = v[VMCS_HOST_RIP];
    cpu_set_rflags(c, RF_FIXED1);

    c->vmx.nonroot = false;
    cpu_update_mode(c);
    c->cpl = 0;
    mmu_vmx_switch(c);
    /* 28.5.4 host PDPTEs: a 32-bit host with PAE paging loads them from CR3 */
    if (mmu_pae_paging(c->cr0, c->cr4, c->msr.efer) && mmu_load_pdptes(c) < 0) {
        vmx_abort(c, ABORT_HOST_PDPTE);
        return false;
    }
    return true;
}

/* ------------------------------------------------------------------ the exit */

/* State common to every return to root: no guest event in progress, the processor active. */
static void leave_guest(struct cpu *c)
{
    c->delivering = -1;
    c->vmx.vect_info = c->vmx.vect_error = c->vmx.vect_len = 0;
    c->vmx.mtf_pending = false;
    c->vmx.preempt_armed = false;
    c->vmx.inject_pending = c->vmx.injecting = c->vmx.exit_rf = false;
    c->vmx.activity = 0;
    c->vmx.shadow_insn = 0;
    c->vmx.iret_unblocked = false;
    c->vmx.pending_dbg = c->vmx.db_cause = 0;
    c->vmx.monitor_armed = false;       /* 28.5.6: VM exits clear address-range monitoring */
    c->halted = false;
    c->wait_sipi = false;
    c->intr_shadow = 0;
    c->block_end = true;
    if (c->vmx.vmcs[VMCS_PIN_CONTROLS] & PIN_VIRTUAL_NMI)
        c->nmi_blocked = c->vmx.root_nmi_blocked;
}

/* Host state, then the VM-exit MSR-load list (28.5, 28.6), then the exit cost. */
static void finish_exit(struct cpu *c, uint32_t basic)
{
    if (!load_host(c))
        return;
    uint32_t bad = load_msr_list(c, VF(c, EXIT_MSR_LOAD_ADDR),
                                 (uint32_t)VF(c, EXIT_MSR_LOAD_COUNT));
    if (bad) {
        vmx_abort(c, ABORT_LOAD_MSR);
        return;
    }
    c->vmx.ctr.exits[basic < VMX_EXIT_NREASONS ? basic : 0]++;
    c->vmx.exit_cycle = cpu_cycles_now(c);
    c->vmx.last_exit = 1 + (int)(basic < VMX_EXIT_NREASONS ? basic : 0);
    if (c->trace)                   /* the trace's vm_exit, at the exit's time (traces/) */
        tracer_vm_exit(c->trace, c);
    c->ctr.cycles += c->model->vm_exit;
}

void vmx_vmexit(struct cpu *c, const struct vmx_exit_req *r)
{
    uint64_t *v = c->vmx.vmcs;
    uint32_t basic = r->reason & 0xffffu;

    /* 28.2: exit information */
    v[VMCS_EXIT_REASON] = r->reason;
    v[VMCS_EXIT_QUALIFICATION] = r->qual;
    /* 28.2.1: an EPT violation by an access of an IRET that removed (virtual-)NMI blocking sets
     * "NMI unblocking due to IRET" (bit 12); undefined (0 here) with IDT-vectoring information
     * and with NMI exiting but no virtual NMIs (then IRET removes nothing: the flag is false) */
    if (basic == VMX_EXIT_EPT_VIOLATION && c->vmx.iret_unblocked &&
        !(c->vmx.vect_info & VMX_INTR_VALID))
        v[VMCS_EXIT_QUALIFICATION] |= 1u << 12;
    v[VMCS_GUEST_LINEAR_ADDR] = r->gla;
    v[VMCS_GUEST_PHYSICAL_ADDR] = r->gpa;
    v[VMCS_EXIT_INTR_INFO] = r->intr_info;
    v[VMCS_EXIT_INTR_ERROR] = (r->intr_info & VMX_INTR_HAS_ERROR) ? r->intr_error : 0;
    uint32_t vi = c->vmx.vect_info;
    v[VMCS_IDT_VECTORING_INFO] = vi;
    v[VMCS_IDT_VECTORING_ERROR] = (vi & VMX_INTR_HAS_ERROR) ? c->vmx.vect_error : 0;
    uint32_t len = r->insn_len;
    if (!len && (vi & VMX_INTR_VALID) && VMX_INTR_TYPE(vi) >= VMX_INTR_SW_INT &&
        VMX_INTR_TYPE(vi) <= VMX_INTR_SW_EXCEPTION)
        len = c->vmx.vect_len;      /* 27.2.4: exit during delivery of a software event */
    v[VMCS_EXIT_INSN_LEN] = len;
    v[VMCS_EXIT_INSN_INFO] = r->insn_info;
    /* 28.2: VM exits clear the valid bit of the VM-entry interruption-information field */
    v[VMCS_ENTRY_INTR_INFO] &= ~(uint64_t)VMX_INTR_VALID;

    /* 28.3, 28.4 */
    bool db_exit = basic == VMX_EXIT_EXCEPTION_NMI && (r->intr_info & VMX_INTR_VALID) &&
                   VMX_INTR_VECTOR(r->intr_info) == VEC_DB &&
                   VMX_INTR_TYPE(r->intr_info) != VMX_INTR_NMI;
    save_guest(c, basic, db_exit);
    bool nmi_exit = basic == VMX_EXIT_EXCEPTION_NMI &&
                    (r->intr_info & VMX_INTR_VALID) && VMX_INTR_TYPE(r->intr_info) == VMX_INTR_NMI;
    leave_guest(c);
    if (nmi_exit)
        c->nmi_blocked = true;      /* an NMI exit leaves NMIs blocked in the host */
    if (!store_msr_list(c)) {
        vmx_abort(c, ABORT_SAVE_MSR);
        return;
    }
    finish_exit(c, basic);
}

void vmx_entry_fail(struct cpu *c, uint32_t reason, uint64_t qual)
{
    /* 27.8: only the exit reason and qualification are written; no guest state is saved */
    c->vmx.vmcs[VMCS_EXIT_REASON] = reason | VMX_EXIT_REASON_ENTRY_FAIL;
    c->vmx.vmcs[VMCS_EXIT_QUALIFICATION] = qual;
    c->vmx.ctr.entry_fails++;
    leave_guest(c);
    finish_exit(c, reason & 0xffffu);
}

/* ------------------------------------------------------------------ names (Appendix C) */

const char *vmx_exit_reason_name(unsigned reason)
{
    static const char *const names[VMX_EXIT_NREASONS] = {
        "exception or NMI", "external interrupt", "triple fault", "INIT", "SIPI", "I/O SMI",
        "other SMI", "interrupt window", "NMI window", "task switch", "CPUID", "GETSEC", "HLT",
        "INVD", "INVLPG", "RDPMC", "RDTSC", "RSM", "VMCALL", "VMCLEAR", "VMLAUNCH", "VMPTRLD",
        "VMPTRST", "VMREAD", "VMRESUME", "VMWRITE", "VMXOFF", "VMXON", "CR access",
        "DR access", "I/O instruction", "RDMSR", "WRMSR", "invalid guest state",
        "MSR loading", NULL, "MWAIT", "monitor trap flag", NULL, "MONITOR", "PAUSE",
        "machine check in entry", NULL, "TPR below threshold", "APIC access",
        "virtualized EOI", "GDTR/IDTR access", "LDTR/TR access", "EPT violation",
        "EPT misconfiguration", "INVEPT", "RDTSCP", "preemption timer", "INVVPID", "WBINVD",
        "XSETBV", "APIC write", "RDRAND", "INVPCID", "VMFUNC", "ENCLS", "RDSEED", "PML full",
        "XSAVES", "XRSTORS",
    };
    return reason < VMX_EXIT_NREASONS && names[reason] ? names[reason] : "reserved";
}
