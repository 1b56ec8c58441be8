/* vmx.h — VMX (Intel VT-x) on the simulated processor: the per-processor VMX state embedded in
 * struct cpu, the capability MSRs, the VMCS cache and its memory format, and the VMX instruction
 * conventions (SDM Vol. 3 chapters 23, 24, 30 and Appendices A and B). docs/VMX.md describes the
 * whole.
 *
 * Invariants:
 *  - Outside VMX operation (`on` false) nothing else in struct vmx_state is meaningful; a zeroed
 *    state is "not in VMX operation" (cpu_init zeroes struct cpu).
 *  - In VMX operation the current-VMCS pointer is VMX_NO_VMCS or a 4 KiB-aligned address below
 *    MAXPHYADDR that passed VMPTRLD's checks; when it is not VMX_NO_VMCS, `vmcs` holds that
 *    VMCS's fields (the processor's cached copy, SDM 24.11.1) and `launched` its launch state.
 *    The region in memory is stale until VMCLEAR, VMXOFF or a VMPTRLD of another VMCS writes
 *    the cache back (vmx_vmcs_flush).
 *  - Every field value in `vmcs` is already truncated to the field's width.
 *  - This header includes no other hvsim header but vmx_fields.h and vmx_exit.h: cpu.h includes it.
 */
#ifndef HVSIM_VMX_H
#define HVSIM_VMX_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/vmx_exit.h"
#include "cpu/vmx_fields.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cpu;
struct cpu_model;
struct insn;

#define VMX_NO_VMCS UINT64_MAX
/* vmx_state.db_cause: the DR6 bits (17.2.3) of a #DB trap; VMX_DB_BITS gives BS for 0. */
#define VMX_DB_CAUSE_SET (1u << 31)
#define VMX_DB_BITS(cause) (((cause) & VMX_DB_CAUSE_SET) ? (cause) & 0x400fu : 0x4000u)          /* current-VMCS pointer "invalid" (SDM 30.3 VMXON) */

/* PAUSE-loop exiting (SDM Vol. 3 25.1.3): the processor's record of PAUSEs at CPL 0, in TSC
 * ticks (vmx_ple_pause in vmx_intercept.c). */
struct vmx_ple_state {
    uint64_t last;      /* TSC of the last PAUSE at CPL 0 */
    uint64_t first;     /* TSC of the PAUSE that was the first of the current loop */
    bool valid;         /* false after VM entry: the next PAUSE at CPL 0 starts a loop */
};

struct vmx_state {
    bool on;                /* in VMX operation: between a successful VMXON and VMXOFF */
    bool nonroot;           /* VMX non-root operation (set by VM entry: a later part) */
    bool launched;          /* launch state of the current VMCS (false: "clear") */
    bool init_pending;      /* an INIT arrived while blocked (VMX root operation, SDM 23.8):
                             * delivered when VMXOFF unblocks it */
    uint64_t vmxon_ptr;     /* physical address of the VMXON region */
    uint64_t vmcs_ptr;      /* current-VMCS pointer, or VMX_NO_VMCS */
    uint64_t vmcs[VMX_NFIELDS];     /* cached copy of the current VMCS, indexed by enum vmcs_field */
    struct vmx_exit_req exit_req;   /* the exit requested by vmx_exit_raise (vmx_exit.h) */
    struct vmx_ple_state ple;       /* PAUSE-loop exiting record, invalidated by VM entry */

    /* --- VM entry / VM exit / events in non-root operation (vmx_entry.c, vmx_exit.c,
     * vmx_event.c). Meaningful only while `nonroot` (vectoring: only while an event is being
     * delivered in non-root operation). --- */
    uint32_t vect_info;     /* IDT-vectoring information of the event being delivered (24.9.3),
                             * 0 when none: an exit during its delivery reports it */
    uint32_t vect_error;    /* its error code */
    uint32_t vect_len;      /* its instruction length (software interrupts/exceptions) */
    bool root_nmi_blocked;  /* with "virtual NMIs": the processor's own NMI blocking, kept
                             * here while c->nmi_blocked is the guest's virtual-NMI blocking */
    bool exit_rf;           /* an exception exit for a fault: RFLAGS.RF saved as 1 (28.3.3) */
    bool pf_cr2_saved;      /* the MMU kept CR2 from before a non-root #PF in pf_cr2 (it writes
                             * CR2 before raising #PF): a #PF VM exit restores it (27.1) */
    uint64_t pf_cr2;
    bool mtf_pending;       /* monitor trap flag: exit at the next instruction boundary (25.5.2) */
    bool iret_unblocked;    /* the IRET being executed removed (virtual-)NMI blocking (25.3): a
                             * fault-like exit before it completes sets "NMI unblocking due to
                             * IRET" (28.2.2, 28.2.1 EPT violations); cleared when it completes
                             * or when the first event after it is delivered */
    uint32_t pending_dbg;   /* pending debug exceptions in the format of the guest field (24.4.2:
                             * B3-B0, bit 12 enabled breakpoint, BS bit 14): a single-step trap
                             * an exit overtook (6.9, 25.5.2), or the field loaded by VM entry
                             * and not yet delivered (27.7.3) */
    uint32_t db_cause;      /* the #DB trap being delivered: VMX_DB_CAUSE_SET | its DR6-format
                             * bits (B3-B0, BS), or 0 for a single-step trap (BS) */
    bool monitor_armed;     /* address-range monitoring armed by MONITOR (SDM Vol. 2 MONITOR,
                             * Vol. 3 9.10.4): MWAIT consumes it, VM entries and exits clear it
                             * (27.3.3, 28.5.6); the MWAIT exit qualification bit 0 (28.2.1) */
    uint64_t monitor_lin;   /* the linear address MONITOR armed */
    bool inject_pending;    /* VM entry injects an event at the first boundary (27.5) */
    bool injecting;         /* delivering an injected event: no exception-bitmap exits (27.5.1) */
    bool sipi_pending;      /* a SIPI arrived in wait-for-SIPI activity: exit 4 (25.2) */
    uint8_t sipi_vector;
    uint8_t activity;       /* guest activity state in non-root operation (24.4.2): 0 active,
                             * 1 HLT, 2 shutdown, 3 wait-for-SIPI (c->halted while not 0) */
    uint8_t shadow_insn;    /* interrupt shadow (1 STI, 2 MOV SS) covering the instruction being
                             * executed (exec.c clears c->intr_shadow before it runs) */
    bool preempt_armed;     /* VMX-preemption timer counting (25.5.1) */
    uint64_t preempt_deadline;      /* c->ctr.cycles at which the timer reaches 0 */
    uint64_t saved_cycle_limit;     /* c->cycle_limit while vmx_run_switch holds it at 0 */
    uint64_t exit_cycle;    /* c->ctr.cycles at the last VM exit (root time per exit reason) */
    int last_exit;          /* 1 + basic reason of the last VM exit not yet followed by an
                             * entry, 0 if none */
    struct vmx_counters {
        uint64_t entries, entry_fails;      /* VM entries (VMLAUNCH/VMRESUME that entered) and
                                             * VM-entry failures (VMfail or exit bit 31) */
        uint64_t exits[VMX_EXIT_NREASONS];  /* VM exits by basic reason */
        uint64_t cycles[VMX_EXIT_NREASONS]; /* cycles from the exit to the next VM entry (the
                                             * exit and entry costs and the host's handling) */
    } ctr;
};

/* ---------------------------------------------------------------- VMCS memory format (ours)
 * SDM 24.2: bytes 0-3 revision identifier (bit 31 shadow-VMCS indicator), bytes 4-7 VMX-abort
 * indicator, then implementation-specific data. hvsim's data (docs/VMX.md):
 *   8-11  launch state: 0 clear, 1 launched
 *   12-15 VMX_VMCS_FORMAT: the number of fields of the table this image was written with
 *   16-   the fields as 64-bit little-endian values, in the order of VMX_FIELDS (vmx_fields.h) */
#define VMX_VMCS_OFF_REVISION 0
#define VMX_VMCS_OFF_ABORT    4
#define VMX_VMCS_OFF_LAUNCH   8
#define VMX_VMCS_OFF_FORMAT   12
#define VMX_VMCS_OFF_FIELDS   16
#define VMX_VMCS_FORMAT       ((uint32_t)VMX_NFIELDS)
#define VMX_VMCS_IMAGE_SIZE   (VMX_VMCS_OFF_FIELDS + 8 * VMX_NFIELDS)

/* ---------------------------------------------------------------- capability MSRs (Appendix A) */
enum {
    MSR_VMX_BASIC = 0x480, MSR_VMX_PINBASED_CTLS = 0x481, MSR_VMX_PROCBASED_CTLS = 0x482,
    MSR_VMX_EXIT_CTLS = 0x483, MSR_VMX_ENTRY_CTLS = 0x484, MSR_VMX_MISC = 0x485,
    MSR_VMX_CR0_FIXED0 = 0x486, MSR_VMX_CR0_FIXED1 = 0x487, MSR_VMX_CR4_FIXED0 = 0x488,
    MSR_VMX_CR4_FIXED1 = 0x489, MSR_VMX_VMCS_ENUM = 0x48a, MSR_VMX_PROCBASED_CTLS2 = 0x48b,
    MSR_VMX_EPT_VPID_CAP = 0x48c, MSR_VMX_TRUE_PINBASED_CTLS = 0x48d,
    MSR_VMX_TRUE_PROCBASED_CTLS = 0x48e, MSR_VMX_TRUE_EXIT_CTLS = 0x48f,
    MSR_VMX_TRUE_ENTRY_CTLS = 0x490, MSR_VMX_VMFUNC = 0x491,
};
#define VMX_MSR_FIRST MSR_VMX_BASIC
#define VMX_MSR_LAST  MSR_VMX_VMFUNC

/* IA32_VMX_BASIC (A.1) */
#define VMX_BASIC_REVISION(b)  ((uint32_t)(b) & 0x7fffffffu)
#define VMX_BASIC_SIZE(b)      ((uint32_t)((b) >> 32) & 0x1fffu)
#define VMX_BASIC_32BIT_PA     (1ull << 48)
#define VMX_BASIC_DUAL_MONITOR (1ull << 49)
#define VMX_BASIC_MEMTYPE(b)   ((unsigned)((b) >> 50) & 0xfu)
#define VMX_BASIC_INOUT        (1ull << 54)
#define VMX_BASIC_TRUE_CTLS    (1ull << 55)

/* Control bits the capability code and the field gates look at (SDM 24.6, 24.7, 24.8). */
#define VMX_PIN_PREEMPT_TIMER   (1u << 6)
#define VMX_PIN_POSTED_INTR     (1u << 7)
#define VMX_PROC_TPR_SHADOW     (1u << 21)
#define VMX_PROC_MTF            (1u << 27)
#define VMX_PROC_SECONDARY      (1u << 31)
#define VMX_PROC2_APIC_ACCESS   (1u << 0)
#define VMX_PROC2_EPT           (1u << 1)
#define VMX_PROC2_VPID          (1u << 5)
#define VMX_PROC2_VID           (1u << 9)
#define VMX_PROC2_PLE           (1u << 10)
#define VMX_PROC2_VMFUNC        (1u << 13)
#define VMX_PROC2_SHADOW_VMCS   (1u << 14)
#define VMX_PROC2_ENCLS         (1u << 15)
#define VMX_PROC2_PML           (1u << 17)
#define VMX_PROC2_EPT_VE        (1u << 18)
#define VMX_PROC2_XSAVES        (1u << 20)
#define VMX_PROC2_TSC_SCALING   (1u << 25)
#define VMX_EXIT_LOAD_PERF      (1u << 12)
#define VMX_EXIT_SAVE_PAT       (1u << 18)
#define VMX_EXIT_LOAD_PAT       (1u << 19)
#define VMX_EXIT_SAVE_EFER      (1u << 20)
#define VMX_EXIT_LOAD_EFER      (1u << 21)
#define VMX_EXIT_CLEAR_BNDCFGS  (1u << 23)
#define VMX_ENTRY_LOAD_PERF     (1u << 13)
#define VMX_ENTRY_LOAD_PAT      (1u << 14)
#define VMX_ENTRY_LOAD_EFER     (1u << 15)
#define VMX_ENTRY_LOAD_BNDCFGS  (1u << 16)

/* Default1 classes: bits reserved to 1 in the non-TRUE control MSRs (SDM A.2-A.5). */
#define VMX_PIN_DEFAULT1   0x00000016u
#define VMX_PROC_DEFAULT1  0x0401e172u
#define VMX_EXIT_DEFAULT1  0x00036dffu
#define VMX_ENTRY_DEFAULT1 0x000011ffu

/* IA32_VMX_MISC (A.6) */
#define VMX_MISC_CR3_TARGETS(m) ((unsigned)((m) >> 16) & 0x1ffu)
#define VMX_MISC_VMWRITE_ALL    (1ull << 29)

/* CR0/CR4 bits fixed to 1 in VMX operation (A.7, A.8): PE, NE, PG and VMXE. */
#define VMX_CR0_FIXED0 0x80000021ull
#define VMX_CR4_FIXED0 0x00002000ull

/* The capability MSR `msr` (0x480-0x491) as RDMSR returns it; false if this model does not have
 * it (RDMSR/WRMSR then #GP). All of them are read-only. */
bool vmx_msr_read(const struct cpu *c, uint32_t msr, uint64_t *v);
bool vmx_msr(uint32_t msr);     /* msr is in 0x480-0x491 */

/* CR0 and CR4 values allowed in VMX operation (FIXED0 bits set, no bit outside FIXED1). */
bool vmx_cr_fixed_ok(const struct cpu *c, uint64_t cr0, uint64_t cr4);
/* MOV to CR0/CR4, LMSW and CLTS in VMX operation: #GP(0) unless vmx_cr_fixed_ok (SDM 23.8). */
void vmx_check_cr_write(struct cpu *c, uint64_t cr0, uint64_t cr4);

/* Check the vmx.* keys of a model (SDM Appendix A rules and hvsim's supported set); 0 or -1 with
 * a message. Called by the model parser for a model whose CPUID.1:ECX reports VMX. */
int vmx_caps_check(const struct cpu_model *m, char *err, unsigned errlen);

/* Field table queries (vmx_vmcs.c). vmx_field_index: the field of an encoding (full or high
 * access), or -1 if hvsim has no such field. vmx_field_exists: the field exists on this model. */
int  vmx_field_index(uint64_t encoding);
uint32_t vmx_field_encoding(int index);
bool vmx_field_exists(const struct cpu_model *m, int index);
/* IA32_VMX_VMCS_ENUM: highest index of any field that exists on the model, in bits 9:1. */
uint64_t vmx_vmcs_enum(const struct cpu_model *m);

/* VMCS cache (vmx_vmcs.c). Read/write a field of the current VMCS with the SDM 24.11.2 width
 * rules, by encoding (high access included); the caller checked vmx_field_index >= 0. */
uint64_t vmx_vmcs_read(const struct cpu *c, uint32_t encoding);
void vmx_vmcs_write(struct cpu *c, uint32_t encoding, uint64_t value);
/* Load the VMCS at pa into the cache (fields and launch state). */
void vmx_vmcs_load(struct cpu *c, uint64_t pa);
/* Write the cached VMCS back to its region (launch state included); no-op without one. */
void vmx_vmcs_flush(struct cpu *c);

/* Leave VMX operation without an instruction (RESET: cpu_power_up_reset should call this). */
void vmx_reset(struct cpu *c);
/* INIT is blocked in VMX root operation (SDM 23.8): true if an INIT must be held pending in
 * vmx.init_pending instead of being taken (cpu_init_signal's caller/entry checks this). */
bool vmx_init_blocked(const struct cpu *c);

/* Shared by the VMX instruction files (vmx_insn.c, vmx_launch.c, vmx_inv.c): the #UD rows of
 * every VMX instruction but VMXON (not in VMX operation, CR0.PE = 0, RFLAGS.VM = 1, compatibility
 * mode), and the decode-time selector that makes LOCK #UD. */
void vmx_need_mode(struct cpu *c);
int  vmx_sel(struct insn *i);

/* VM-instruction error numbers (SDM Vol. 3 30.4, Table 30-1). */
enum vmx_insn_error {
    VMXERR_VMCALL_IN_ROOT = 1, VMXERR_VMCLEAR_BAD_ADDR = 2, VMXERR_VMCLEAR_VMXON_PTR = 3,
    VMXERR_VMLAUNCH_NOT_CLEAR = 4, VMXERR_VMRESUME_NOT_LAUNCHED = 5,
    VMXERR_VMRESUME_AFTER_VMXOFF = 6, VMXERR_ENTRY_BAD_CONTROLS = 7,
    VMXERR_ENTRY_BAD_HOST_STATE = 8, VMXERR_VMPTRLD_BAD_ADDR = 9, VMXERR_VMPTRLD_VMXON_PTR = 10,
    VMXERR_VMPTRLD_BAD_REVISION = 11, VMXERR_UNSUPPORTED_FIELD = 12, VMXERR_VMWRITE_READONLY = 13,
    VMXERR_VMXON_IN_ROOT = 15, VMXERR_ENTRY_BAD_EXEC_VMCS = 16,
    VMXERR_ENTRY_EXEC_VMCS_NOT_LAUNCHED = 17, VMXERR_ENTRY_EXEC_VMCS_NOT_VMXON = 18,
    VMXERR_VMCALL_NOT_CLEAR = 19, VMXERR_VMCALL_BAD_EXIT_CONTROLS = 20,
    VMXERR_VMCALL_BAD_MSEG_REVISION = 22, VMXERR_VMXOFF_DUAL_MONITOR = 23,
    VMXERR_VMCALL_BAD_SMM_FEATURES = 24, VMXERR_ENTRY_BAD_EXEC_CONTROLS_EXEC_VMCS = 25,
    VMXERR_ENTRY_MOV_SS = 26, VMXERR_BAD_INVEPT_INVVPID_OPERAND = 28,
};

/* The VMX instruction conventions (SDM Vol. 3 30.2): RFLAGS arithmetic flags, and VMfailValid
 * writes the error number to the VM-instruction error field of the current VMCS. */
void vmx_succeed(struct cpu *c);
void vmx_fail_invalid(struct cpu *c);
void vmx_fail_valid(struct cpu *c, enum vmx_insn_error err);
void vmx_fail(struct cpu *c, enum vmx_insn_error err);   /* Valid if there is a current VMCS */

/* ---------------------------------------------------------------- VM entry and VM exit
 * (SDM Vol. 3 chapters 25-28; docs/VMX.md "VM entry", "VM exit", "Events in VMX non-root
 * operation"). */

/* VM-entry checks (vmx_entry_check.c), pure functions of the current VMCS and the CPU model (and
 * the host's own CR/EFER where 27.2 says so). vmx_check_controls: 0 or VMXERR_ENTRY_BAD_CONTROLS
 * (27.2.1); vmx_check_host_state: 0 or VMXERR_ENTRY_BAD_HOST_STATE (27.2.2-27.2.4);
 * vmx_check_guest_state: true if 27.3.1 passes, else false with the exit qualification of 27.8
 * (0; 2 PDPTEs, checked at load time; 3 NMI injection while blocked by STI; 4 VMCS link pointer). */
enum vmx_insn_error vmx_check_controls(const struct cpu *c);
enum vmx_insn_error vmx_check_host_state(const struct cpu *c);
bool vmx_check_guest_state(const struct cpu *c, uint32_t *qual);


/* VM entry after the checks (vmx_entry.c, 27.3.2-27.7): load guest state; 0, or -1 with a
 * VM-entry failure already performed (reason 33 qual 2 PDPTEs). */
int  vmx_entry_load_guest(struct cpu *c);
/* MSR-load list of VM entry (27.4): 0, or the 1-based index of the failing entry. */
uint32_t vmx_entry_load_msrs(struct cpu *c);
/* Event injection, activity and interruptibility state, timers: the last step of VM entry. */
void vmx_entry_finish(struct cpu *c);
/* Deliver the event of the VM-entry interruption-information field (27.5), at the guest's first
 * instruction boundary (vmx_event_boundary). */
void vmx_entry_inject(struct cpu *c);
/* MSR access for the MSR lists as WRMSR/RDMSR at CPL 0 would do it: false where they would #GP. */
bool vmx_list_wrmsr(struct cpu *c, uint32_t msr, uint64_t v);
bool vmx_list_rdmsr(struct cpu *c, uint32_t msr, uint64_t *v);

/* A VM entry or VM exit happened inside a block: the run loop (cpu/exec.c, which runs root and
 * non-root operation in separate loop instances) must leave the block loop at its end. */
void vmx_run_switch(struct cpu *c);

/* The name of a basic exit reason (Appendix C), for reports; "reserved" for unused numbers. */
const char *vmx_exit_reason_name(unsigned reason);

/* A VM-entry failure after the guest-state checks (27.8): exit reason `reason` | bit 31 with
 * `qual`, host state loaded as a VM exit does (vmx_exit.c). */
void vmx_entry_fail(struct cpu *c, uint32_t reason, uint64_t qual);

/* Events in VMX non-root operation (vmx_event.c, 25.2-25.5, 26.x). vmx_event_boundary is called
 * by the run loop at an instruction boundary in non-root operation (before ordinary event
 * acceptance): it performs any exit due now (MTF, preemption timer, NMI/interrupt windows,
 * external interrupts, NMIs, INIT/SIPI) or the VM-entry injection, and returns 1 if one
 * happened, -1 if the guest is in an activity state no ordinary event leaves (wait-for-SIPI,
 * shutdown: the run loop stops as halted), 0 otherwise. */
int vmx_event_boundary(struct cpu *c);
/* Exception or interrupt about to be delivered in non-root operation (exception.c): exits if the
 * exception bitmap (with the #PF error-code mask/match) or NMI exiting says so, else records the
 * IDT-vectoring information for an exit during its delivery. kind: enum intr_kind or -1 for a
 * processor-detected exception. */
void vmx_event_deliver(struct cpu *c, unsigned vector, int kind, bool has_err, uint32_t err,
                       uint32_t insn_len);
/* IRET in non-root operation, before anything else of it (sys_far.c): removes NMI blocking
 * (virtual-NMI blocking with "virtual NMIs"; nothing with "NMI exiting" and no virtual NMIs,
 * 25.3) and records it for "NMI unblocking due to IRET" (28.2.2). vmx_iret_done: it completed. */
void vmx_iret_begin(struct cpu *c);
void vmx_iret_done(struct cpu *c);
/* A debug trap (#DB with DR6-format bits c->vmx.db_cause, 0 = BS) about to be delivered in
 * non-root operation (exception.c): exits that have priority over traps on the previous
 * instruction (TPR below threshold, INIT, pending MTF: 6.9, 25.5.2, 29.1.2) happen instead and
 * save the trap as a pending debug exception (28.3.4); returns normally otherwise. */
void vmx_db_trap(struct cpu *c);
/* Triple fault in non-root operation: exit reason 2 (25.2). */
__attribute__((noreturn)) void vmx_triple_fault_exit(struct cpu *c);
/* The value of the VMX-preemption timer now (25.5.1). */
uint32_t vmx_preempt_value(const struct cpu *c);
/* For the scheduler (sim/sched.c), about a halted processor in non-root operation: the cycle
 * count at which it must run again (preemption timer), or UINT64_MAX; whether an event it has
 * now would make it run (an exit or a delivery); whether any interrupt could ever wake it. */
uint64_t vmx_wake_cycle(const struct cpu *c);
bool vmx_halt_event_now(const struct cpu *c);
bool vmx_halt_wakeable(const struct cpu *c);

#ifdef __cplusplus
}
#endif
#endif
