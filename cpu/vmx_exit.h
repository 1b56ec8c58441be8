/* vmx_exit.h — VM exits: the basic exit reasons (SDM Vol. 3 Appendix C), the interruption-
 * information format (24.8.3, 24.9.2), and the one way any part of the simulator causes a VM exit.
 *
 * How an exit happens (the contract every part of hvsim follows):
 *  - Inside an instruction handler, an MMU access or event delivery (anything that may also call
 *    cpu_fault), call vmx_exit_raise(c, &req) or vmx_exit_insn(...). Like cpu_fault it never
 *    returns: it records the request in c->vmx.exit_req and longjmps to cpu_run, which abandons
 *    the instruction (not retired, RIP = c->insn_start, no architectural state of the instruction
 *    committed), and performs the VM exit (vmx_vmexit): guest state saved, exit information
 *    written, host state loaded; execution then continues in VMX root operation.
 *  - At an instruction boundary (run loop: interrupt/NMI windows, external interrupts, NMIs,
 *    preemption timer, INIT/SIPI), call vmx_vmexit(c, &req) directly; it returns normally.
 *  - For an instruction-caused exit, the VM-exit instruction length is the length of the
 *    instruction at c->insn_start (vmx_exit_insn fills it from the struct insn).
 * Invariants: called only in VMX non-root operation (c->vmx.nonroot); one exit at a time.
 */
#ifndef HVSIM_VMX_EXIT_H
#define HVSIM_VMX_EXIT_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct cpu;
struct insn;

/* Basic exit reasons (SDM Vol. 3 Appendix C, Table C-1). */
enum vmx_exit_reason {
    VMX_EXIT_EXCEPTION_NMI = 0, VMX_EXIT_EXTERNAL_INTERRUPT = 1, VMX_EXIT_TRIPLE_FAULT = 2,
    VMX_EXIT_INIT = 3, VMX_EXIT_SIPI = 4, VMX_EXIT_IO_SMI = 5, VMX_EXIT_OTHER_SMI = 6,
    VMX_EXIT_INTERRUPT_WINDOW = 7, VMX_EXIT_NMI_WINDOW = 8, VMX_EXIT_TASK_SWITCH = 9,
    VMX_EXIT_CPUID = 10, VMX_EXIT_GETSEC = 11, VMX_EXIT_HLT = 12, VMX_EXIT_INVD = 13,
    VMX_EXIT_INVLPG = 14, VMX_EXIT_RDPMC = 15, VMX_EXIT_RDTSC = 16, VMX_EXIT_RSM = 17,
    VMX_EXIT_VMCALL = 18, VMX_EXIT_VMCLEAR = 19, VMX_EXIT_VMLAUNCH = 20, VMX_EXIT_VMPTRLD = 21,
    VMX_EXIT_VMPTRST = 22, VMX_EXIT_VMREAD = 23, VMX_EXIT_VMRESUME = 24, VMX_EXIT_VMWRITE = 25,
    VMX_EXIT_VMXOFF = 26, VMX_EXIT_VMXON = 27, VMX_EXIT_CR_ACCESS = 28, VMX_EXIT_DR_ACCESS = 29,
    VMX_EXIT_IO_INSTRUCTION = 30, VMX_EXIT_RDMSR = 31, VMX_EXIT_WRMSR = 32,
    VMX_EXIT_INVALID_GUEST_STATE = 33, VMX_EXIT_MSR_LOADING = 34, VMX_EXIT_MWAIT = 36,
    VMX_EXIT_MONITOR_TRAP_FLAG = 37, VMX_EXIT_MONITOR = 39, VMX_EXIT_PAUSE = 40,
    VMX_EXIT_MCE_DURING_ENTRY = 41, VMX_EXIT_TPR_BELOW_THRESHOLD = 43, VMX_EXIT_APIC_ACCESS = 44,
    VMX_EXIT_VIRTUALIZED_EOI = 45, VMX_EXIT_GDTR_IDTR = 46, VMX_EXIT_LDTR_TR = 47,
    VMX_EXIT_EPT_VIOLATION = 48, VMX_EXIT_EPT_MISCONFIG = 49, VMX_EXIT_INVEPT = 50,
    VMX_EXIT_RDTSCP = 51, VMX_EXIT_PREEMPTION_TIMER = 52, VMX_EXIT_INVVPID = 53,
    VMX_EXIT_WBINVD = 54, VMX_EXIT_XSETBV = 55, VMX_EXIT_APIC_WRITE = 56, VMX_EXIT_RDRAND = 57,
    VMX_EXIT_INVPCID = 58, VMX_EXIT_VMFUNC = 59, VMX_EXIT_ENCLS = 60, VMX_EXIT_RDSEED = 61,
    VMX_EXIT_PML_FULL = 62, VMX_EXIT_XSAVES = 63, VMX_EXIT_XRSTORS = 64,
    VMX_EXIT_NREASONS = 65
};
#define VMX_EXIT_REASON_ENTRY_FAIL (1u << 31)   /* exit-reason bit 31: VM-entry failure */

/* Interruption-information format (VM-entry 24.8.3, VM-exit 24.9.2, IDT-vectoring 24.9.3). */
#define VMX_INTR_VECTOR(x)   ((x) & 0xffu)
#define VMX_INTR_TYPE(x)     (((x) >> 8) & 7u)
#define VMX_INTR_HAS_ERROR   (1u << 11)
#define VMX_INTR_NMI_UNBLOCK (1u << 12)     /* exit info: NMI unblocking due to IRET */
#define VMX_INTR_VALID       (1u << 31)
enum vmx_intr_type {
    VMX_INTR_EXTERNAL = 0, VMX_INTR_NMI = 2, VMX_INTR_HW_EXCEPTION = 3, VMX_INTR_SW_INT = 4,
    VMX_INTR_PRIV_SW_EXCEPTION = 5, VMX_INTR_SW_EXCEPTION = 6, VMX_INTR_OTHER = 7
};

/* Everything an exit reports besides the saved guest state. Fields the reason does not define
 * are left 0 (the SDM leaves them undefined; hvsim writes 0 so that traces are deterministic). */
struct vmx_exit_req {
    uint32_t reason;        /* basic exit reason, possibly | VMX_EXIT_REASON_ENTRY_FAIL */
    uint64_t qual;          /* exit qualification (24.9.1, 28.2.1) */
    uint64_t gla;           /* guest-linear address field, when the reason defines it */
    uint64_t gpa;           /* guest-physical address field (EPT violation/misconfig) */
    uint32_t intr_info;     /* VM-exit interruption information (exceptions, NMIs, ext. intr.) */
    uint32_t intr_error;    /* VM-exit interruption error code */
    uint32_t insn_len;      /* VM-exit instruction length (instruction-caused exits) */
    uint32_t insn_info;     /* VM-exit instruction information (24.9.4) */
};

/* Cause a VM exit from inside an instruction, an access or an event delivery: never returns
 * (see the contract above). */
__attribute__((noreturn)) void vmx_exit_raise(struct cpu *c, const struct vmx_exit_req *r);
/* The instruction-caused form: length from i->len, the other fields as given. */
__attribute__((noreturn)) void vmx_exit_insn(struct cpu *c, const struct insn *i, uint32_t reason,
                                             uint64_t qual, uint32_t insn_info);
/* Perform a VM exit now, at an instruction boundary (SDM 28.1-28.6). Returns in VMX root
 * operation with the host state loaded (or with the machine stopped by a VMX abort, 28.7). */
void vmx_vmexit(struct cpu *c, const struct vmx_exit_req *r);

#ifdef __cplusplus
}
#endif
#endif
