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
 *  - This header includes no other hvsim header but vmx_fields.h: cpu.h includes it.
 */
#ifndef HVSIM_VMX_H
#define HVSIM_VMX_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/vmx_fields.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cpu;
struct cpu_model;

#define VMX_NO_VMCS UINT64_MAX          /* current-VMCS pointer "invalid" (SDM 30.3 VMXON) */

struct vmx_state {
    bool on;                /* in VMX operation: between a successful VMXON and VMXOFF */
    bool nonroot;           /* VMX non-root operation (set by VM entry: a later part) */
    bool launched;          /* launch state of the current VMCS (false: "clear") */
    bool init_pending;      /* an INIT arrived while blocked (VMX root operation, SDM 23.8):
                             * delivered when VMXOFF unblocks it */
    uint64_t vmxon_ptr;     /* physical address of the VMXON region */
    uint64_t vmcs_ptr;      /* current-VMCS pointer, or VMX_NO_VMCS */
    uint64_t vmcs[VMX_NFIELDS];     /* cached copy of the current VMCS, indexed by enum vmcs_field */
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

#ifdef __cplusplus
}
#endif
#endif
