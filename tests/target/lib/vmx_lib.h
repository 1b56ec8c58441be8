/* vmx_lib.h — the VMX test-kernel framework: a 64-bit Multiboot kernel that is its own hypervisor.
 *
 * A kernel is lib/vmx_entry.S (Multiboot header, switch to IA-32e mode) + lib/vmx_rt.c (COM1
 * console, GDT/TSS/IDT through lib/trap64.c, main(), exit port) + this library + NAME.c. The host
 * runs in 64-bit mode at CPL 0 with the identity map of the first 4 GiB; a guest is a function of
 * the same image that runs in VMX non-root operation in the same flat 64-bit world (same CR3, GDT,
 * TSS), on its own stack and with its own IDT (vmx_gidt: every vector records itself in vmx_gtrap
 * and executes VMCALL with RAX = VMX_GTRAP_MAGIC, then IRETQ when resumed).
 *
 * Everything here is read from the Intel SDM Vol. 3 (chapters 23-30, Appendices A-C), never from
 * hvsim's headers: the encodings below are our own transcription of Appendix B, the exit reasons
 * of Appendix C. Invariants: vmx_run() enters with VMLAUNCH while the current VMCS is clear and
 * with VMRESUME after it was launched (tracked in vmx_launched: set only by a VM exit that is not
 * a VM-entry failure, SDM 26.7/26.8); the guest's general-purpose registers (all but RSP) live in
 * vmx_gregs across entries and exits.
 */
#ifndef TARGET_VMX_LIB_H
#define TARGET_VMX_LIB_H

#include <stdint.h>

#include "rt.h"
#include "test.h"
#include "x86.h"

/* ---- capability MSRs (Appendix A) and related architectural MSRs --------------------------- */
#define MSR_FEATURE_CONTROL     0x3au
#define MSR_VMX_BASIC           0x480u
#define MSR_VMX_PINBASED        0x481u
#define MSR_VMX_PROCBASED       0x482u
#define MSR_VMX_EXIT            0x483u
#define MSR_VMX_ENTRY           0x484u
#define MSR_VMX_MISC            0x485u
#define MSR_VMX_CR0_FIXED0      0x486u
#define MSR_VMX_CR0_FIXED1      0x487u
#define MSR_VMX_CR4_FIXED0      0x488u
#define MSR_VMX_CR4_FIXED1      0x489u
#define MSR_VMX_VMCS_ENUM       0x48au
#define MSR_VMX_PROCBASED2      0x48bu
#define MSR_VMX_EPT_VPID_CAP    0x48cu
#define MSR_VMX_TRUE_PINBASED   0x48du
#define MSR_VMX_TRUE_PROCBASED  0x48eu
#define MSR_VMX_TRUE_EXIT       0x48fu
#define MSR_VMX_TRUE_ENTRY      0x490u
#define MSR_VMX_VMFUNC          0x491u
#define X86_CR0_NE (1ul << 5)
#define X86_CR4_VMXE (1ul << 13)

/* ---- VMCS field encodings (Appendix B) ----------------------------------------------------- */
enum vmcs_enc {
    F_VPID = 0x0000, F_POSTED_NV = 0x0002, F_EPTP_INDEX = 0x0004,
    F_G_ES_SEL = 0x0800, F_G_CS_SEL = 0x0802, F_G_SS_SEL = 0x0804, F_G_DS_SEL = 0x0806,
    F_G_FS_SEL = 0x0808, F_G_GS_SEL = 0x080a, F_G_LDTR_SEL = 0x080c, F_G_TR_SEL = 0x080e,
    F_G_INTR_STATUS = 0x0810, F_G_PML_INDEX = 0x0812,
    F_H_ES_SEL = 0x0c00, F_H_CS_SEL = 0x0c02, F_H_SS_SEL = 0x0c04, F_H_DS_SEL = 0x0c06,
    F_H_FS_SEL = 0x0c08, F_H_GS_SEL = 0x0c0a, F_H_TR_SEL = 0x0c0c,
    F_IO_BITMAP_A = 0x2000, F_IO_BITMAP_B = 0x2002, F_MSR_BITMAP = 0x2004,
    F_EXIT_MSR_STORE_ADDR = 0x2006, F_EXIT_MSR_LOAD_ADDR = 0x2008, F_ENTRY_MSR_LOAD_ADDR = 0x200a,
    F_EXEC_VMCS_PTR = 0x200c, F_PML_ADDR = 0x200e, F_TSC_OFFSET = 0x2010,
    F_VIRT_APIC_ADDR = 0x2012, F_APIC_ACCESS_ADDR = 0x2014, F_POSTED_DESC = 0x2016,
    F_VMFUNC_CTRL = 0x2018, F_EPTP = 0x201a, F_EOI_EXIT0 = 0x201c, F_EOI_EXIT1 = 0x201e,
    F_EOI_EXIT2 = 0x2020, F_EOI_EXIT3 = 0x2022, F_EPTP_LIST = 0x2024, F_VMREAD_BITMAP = 0x2026,
    F_VMWRITE_BITMAP = 0x2028, F_VE_INFO = 0x202a, F_XSS_EXIT_BITMAP = 0x202c,
    F_ENCLS_EXIT_BITMAP = 0x202e, F_TSC_MULTIPLIER = 0x2032,
    F_GUEST_PHYS = 0x2400,
    F_LINK_PTR = 0x2800, F_G_DEBUGCTL = 0x2802, F_G_PAT = 0x2804, F_G_EFER = 0x2806,
    F_G_PERF_GLOBAL = 0x2808, F_G_PDPTE0 = 0x280a, F_G_PDPTE1 = 0x280c, F_G_PDPTE2 = 0x280e,
    F_G_PDPTE3 = 0x2810, F_G_BNDCFGS = 0x2812,
    F_H_PAT = 0x2c00, F_H_EFER = 0x2c02, F_H_PERF_GLOBAL = 0x2c04,
    F_PIN = 0x4000, F_PROC = 0x4002, F_EXC_BITMAP = 0x4004, F_PF_MASK = 0x4006,
    F_PF_MATCH = 0x4008, F_CR3_TARGET_COUNT = 0x400a, F_EXIT_CTLS = 0x400c,
    F_EXIT_MSR_STORE_COUNT = 0x400e, F_EXIT_MSR_LOAD_COUNT = 0x4010, F_ENTRY_CTLS = 0x4012,
    F_ENTRY_MSR_LOAD_COUNT = 0x4014, F_ENTRY_INTR_INFO = 0x4016, F_ENTRY_EXC_ERROR = 0x4018,
    F_ENTRY_INSN_LEN = 0x401a, F_TPR_THRESHOLD = 0x401c, F_PROC2 = 0x401e, F_PLE_GAP = 0x4020,
    F_PLE_WINDOW = 0x4022,
    F_INSN_ERROR = 0x4400, F_EXIT_REASON = 0x4402, F_EXIT_INTR_INFO = 0x4404,
    F_EXIT_INTR_ERROR = 0x4406, F_IDT_VEC_INFO = 0x4408, F_IDT_VEC_ERROR = 0x440a,
    F_EXIT_INSN_LEN = 0x440c, F_EXIT_INSN_INFO = 0x440e,
    F_G_ES_LIMIT = 0x4800, F_G_CS_LIMIT = 0x4802, F_G_SS_LIMIT = 0x4804, F_G_DS_LIMIT = 0x4806,
    F_G_FS_LIMIT = 0x4808, F_G_GS_LIMIT = 0x480a, F_G_LDTR_LIMIT = 0x480c, F_G_TR_LIMIT = 0x480e,
    F_G_GDTR_LIMIT = 0x4810, F_G_IDTR_LIMIT = 0x4812,
    F_G_ES_AR = 0x4814, F_G_CS_AR = 0x4816, F_G_SS_AR = 0x4818, F_G_DS_AR = 0x481a,
    F_G_FS_AR = 0x481c, F_G_GS_AR = 0x481e, F_G_LDTR_AR = 0x4820, F_G_TR_AR = 0x4822,
    F_G_INTERRUPTIBILITY = 0x4824, F_G_ACTIVITY = 0x4826, F_G_SMBASE = 0x4828,
    F_G_SYSENTER_CS = 0x482a, F_PREEMPT_TIMER = 0x482e,
    F_H_SYSENTER_CS = 0x4c00,
    F_CR0_MASK = 0x6000, F_CR4_MASK = 0x6002, F_CR0_SHADOW = 0x6004, F_CR4_SHADOW = 0x6006,
    F_CR3_TARGET0 = 0x6008, F_CR3_TARGET1 = 0x600a, F_CR3_TARGET2 = 0x600c, F_CR3_TARGET3 = 0x600e,
    F_EXIT_QUAL = 0x6400, F_IO_RCX = 0x6402, F_IO_RSI = 0x6404, F_IO_RDI = 0x6406,
    F_IO_RIP = 0x6408, F_GUEST_LINEAR = 0x640a,
    F_G_CR0 = 0x6800, F_G_CR3 = 0x6802, F_G_CR4 = 0x6804, F_G_ES_BASE = 0x6806,
    F_G_CS_BASE = 0x6808, F_G_SS_BASE = 0x680a, F_G_DS_BASE = 0x680c, F_G_FS_BASE = 0x680e,
    F_G_GS_BASE = 0x6810, F_G_LDTR_BASE = 0x6812, F_G_TR_BASE = 0x6814, F_G_GDTR_BASE = 0x6816,
    F_G_IDTR_BASE = 0x6818, F_G_DR7 = 0x681a, F_G_RSP = 0x681c, F_G_RIP = 0x681e,
    F_G_RFLAGS = 0x6820, F_G_PENDING_DBG = 0x6822, F_G_SYSENTER_ESP = 0x6824,
    F_G_SYSENTER_EIP = 0x6826,
    F_H_CR0 = 0x6c00, F_H_CR3 = 0x6c02, F_H_CR4 = 0x6c04, F_H_FS_BASE = 0x6c06,
    F_H_GS_BASE = 0x6c08, F_H_TR_BASE = 0x6c0a, F_H_GDTR_BASE = 0x6c0c, F_H_IDTR_BASE = 0x6c0e,
    F_H_SYSENTER_ESP = 0x6c10, F_H_SYSENTER_EIP = 0x6c12, F_H_RSP = 0x6c14, F_H_RIP = 0x6c16,
};

/* ---- control bits (SDM 24.6-24.8) ----------------------------------------------------------- */
#define PIN_EXT_INTR        (1u << 0)
#define PIN_NMI             (1u << 3)
#define PIN_VIRT_NMI        (1u << 5)
#define PIN_PREEMPT         (1u << 6)
#define PROC_INTR_WINDOW    (1u << 2)
#define PROC_TSC_OFFSET     (1u << 3)
#define PROC_HLT            (1u << 7)
#define PROC_INVLPG         (1u << 9)
#define PROC_MWAIT          (1u << 10)
#define PROC_RDPMC          (1u << 11)
#define PROC_RDTSC          (1u << 12)
#define PROC_CR3_LOAD       (1u << 15)
#define PROC_CR3_STORE      (1u << 16)
#define PROC_CR8_LOAD       (1u << 19)
#define PROC_CR8_STORE      (1u << 20)
#define PROC_TPR_SHADOW     (1u << 21)
#define PROC_NMI_WINDOW     (1u << 22)
#define PROC_MOV_DR         (1u << 23)
#define PROC_UNCOND_IO      (1u << 24)
#define PROC_IO_BITMAPS     (1u << 25)
#define PROC_MTF            (1u << 27)
#define PROC_MSR_BITMAPS    (1u << 28)
#define PROC_MONITOR        (1u << 29)
#define PROC_PAUSE          (1u << 30)
#define PROC_SECONDARY      (1u << 31)
#define PROC2_APIC_ACCESS   (1u << 0)
#define PROC2_EPT           (1u << 1)
#define PROC2_DESC_TABLE    (1u << 2)
#define PROC2_RDTSCP        (1u << 3)
#define PROC2_VPID          (1u << 5)
#define PROC2_WBINVD        (1u << 6)
#define PROC2_UNRESTRICTED  (1u << 7)
#define PROC2_PLE           (1u << 10)
#define PROC2_INVPCID       (1u << 12)
#define PROC2_VMFUNC        (1u << 13)
#define EXIT_HOST_64        (1u << 9)
#define EXIT_ACK_INTR       (1u << 15)
#define EXIT_SAVE_PAT       (1u << 18)
#define EXIT_LOAD_PAT       (1u << 19)
#define EXIT_SAVE_EFER      (1u << 20)
#define EXIT_LOAD_EFER      (1u << 21)
#define EXIT_SAVE_PREEMPT   (1u << 22)
#define ENTRY_IA32E         (1u << 9)
#define ENTRY_LOAD_PAT      (1u << 14)
#define ENTRY_LOAD_EFER     (1u << 15)

/* ---- exit reasons (Appendix C) ------------------------------------------------------------- */
enum {
    EXIT_EXCEPTION = 0, EXIT_EXT_INTR = 1, EXIT_TRIPLE_FAULT = 2, EXIT_INIT = 3, EXIT_SIPI = 4,
    EXIT_INTR_WINDOW = 7, EXIT_NMI_WINDOW = 8, EXIT_TASK_SWITCH = 9, EXIT_CPUID = 10,
    EXIT_HLT = 12, EXIT_INVD = 13, EXIT_INVLPG = 14, EXIT_RDPMC = 15, EXIT_RDTSC = 16,
    EXIT_VMCALL = 18, EXIT_VMCLEAR = 19, EXIT_VMLAUNCH = 20, EXIT_VMPTRLD = 21, EXIT_VMPTRST = 22,
    EXIT_VMREAD = 23, EXIT_VMRESUME = 24, EXIT_VMWRITE = 25, EXIT_VMXOFF = 26, EXIT_VMXON = 27,
    EXIT_CR = 28, EXIT_DR = 29, EXIT_IO = 30, EXIT_RDMSR = 31, EXIT_WRMSR = 32,
    EXIT_BAD_GUEST = 33, EXIT_MSR_LOAD = 34, EXIT_MWAIT = 36, EXIT_MTF = 37, EXIT_MONITOR = 39,
    EXIT_PAUSE = 40, EXIT_TPR_BELOW = 43, EXIT_APIC_ACCESS = 44, EXIT_GDTR_IDTR = 46,
    EXIT_LDTR_TR = 47, EXIT_EPT_VIOLATION = 48, EXIT_EPT_MISCONFIG = 49, EXIT_INVEPT = 50,
    EXIT_RDTSCP = 51, EXIT_PREEMPT = 52, EXIT_INVVPID = 53, EXIT_WBINVD = 54, EXIT_XSETBV = 55,
    EXIT_INVPCID = 58, EXIT_VMFUNC = 59,
};
#define EXIT_ENTRY_FAIL (1u << 31)

/* interruption information (24.8.3, 24.9.2) */
#define INTR_VALID      (1u << 31)
#define INTR_HAS_ERROR  (1u << 11)
#define INTR_TYPE(t)    ((uint32_t)(t) << 8)
enum { IT_EXT = 0, IT_NMI = 2, IT_HW_EXC = 3, IT_SW_INT = 4, IT_PRIV_SW_EXC = 5, IT_SW_EXC = 6,
       IT_OTHER = 7 };

/* ---- instruction outcomes (30.2) ----------------------------------------------------------- */
enum { VMX_OK = 0, VMX_FAIL_INVALID = 1, VMX_FAIL_VALID = 2 };
static inline int vmx_result(uint64_t rflags)
{
    return (rflags & 1) ? VMX_FAIL_INVALID : (rflags & 0x40) ? VMX_FAIL_VALID : VMX_OK;
}
static inline int vmxon_r(uint64_t pa)
{
    uint64_t fl;
    __asm__ volatile("vmxon %1; pushfq; popq %0" : "=r"(fl) : "m"(pa) : "cc", "memory");
    return vmx_result(fl);
}
static inline int vmxoff_r(void)
{
    uint64_t fl;
    __asm__ volatile("vmxoff; pushfq; popq %0" : "=r"(fl) :: "cc", "memory");
    return vmx_result(fl);
}
static inline int vmclear_r(uint64_t pa)
{
    uint64_t fl;
    __asm__ volatile("vmclear %1; pushfq; popq %0" : "=r"(fl) : "m"(pa) : "cc", "memory");
    return vmx_result(fl);
}
static inline int vmptrld_r(uint64_t pa)
{
    uint64_t fl;
    __asm__ volatile("vmptrld %1; pushfq; popq %0" : "=r"(fl) : "m"(pa) : "cc", "memory");
    return vmx_result(fl);
}
static inline int vmptrst_r(uint64_t *pa)
{
    uint64_t fl;
    __asm__ volatile("vmptrst %1; pushfq; popq %0" : "=r"(fl), "=m"(*pa) :: "cc", "memory");
    return vmx_result(fl);
}
static inline int vmread_r(uint64_t enc, uint64_t *v)
{
    uint64_t fl, val = 0;
    __asm__ volatile("vmread %2, %1; pushfq; popq %0" : "=r"(fl), "+r"(val) : "r"(enc)
                     : "cc", "memory");
    *v = val;
    return vmx_result(fl);
}
static inline int vmwrite_r(uint64_t enc, uint64_t v)
{
    uint64_t fl;
    __asm__ volatile("vmwrite %2, %1; pushfq; popq %0" : "=r"(fl) : "r"(enc), "rm"(v)
                     : "cc", "memory");
    return vmx_result(fl);
}
struct inv_desc { uint64_t lo, hi; };
static inline int invept_r(uint64_t type, const struct inv_desc *d)
{
    uint64_t fl;
    __asm__ volatile("invept %2, %1; pushfq; popq %0" : "=r"(fl) : "r"(type), "m"(*d)
                     : "cc", "memory");
    return vmx_result(fl);
}
static inline int invvpid_r(uint64_t type, const struct inv_desc *d)
{
    uint64_t fl;
    __asm__ volatile("invvpid %2, %1; pushfq; popq %0" : "=r"(fl) : "r"(type), "m"(*d)
                     : "cc", "memory");
    return vmx_result(fl);
}

/* VMREAD/VMWRITE that must succeed: a failure prints a FAIL line naming the field. */
uint64_t vmread(uint64_t enc);
void vmwrite(uint64_t enc, uint64_t v);

/* ---- enabling and capabilities ------------------------------------------------------------- */
extern uint64_t vmx_basic_msr;                  /* IA32_VMX_BASIC, read by vmx_enable */
/* CPUID.1:ECX.VMX, IA32_FEATURE_CONTROL (lock + enable outside SMX), CR0/CR4 fixed bits,
 * CR4.VMXE, VMXON of the framework's VMXON region (SDM 23.7). Returns the VMX_OK/... outcome of
 * VMXON, or -1 if a precondition failed (a FAIL line says which). */
int vmx_enable(void);
uint64_t vmxon_region_pa(void);
/* Controls per the SDM A.3-A.5 algorithm: the TRUE MSR if IA32_VMX_BASIC[55], bits that must be
 * 1 forced to 1, bits that must be 0 dropped. ctl: F_PIN, F_PROC, F_PROC2, F_EXIT_CTLS,
 * F_ENTRY_CTLS. vmx_ctl_can(ctl, bits): every bit may be 1. */
uint32_t vmx_ctl_adjust(uint32_t ctl, uint32_t want);
int vmx_ctl_can(uint32_t ctl, uint32_t bits);
/* Set the given bits in a control field (after vmx_ctl_can; adds PROC_SECONDARY for F_PROC2). */
void vmx_ctl_set(uint32_t ctl, uint32_t bits);
void vmx_ctl_clear(uint32_t ctl, uint32_t bits);

/* ---- the VMCS and the guest --------------------------------------------------------------- */
struct vmx_gregs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15;
};
extern struct vmx_gregs vmx_gregs;
extern int vmx_launched;
extern uint64_t vmx_exit_rflags;                /* host RFLAGS right after the last VM exit */
extern uint8_t vmx_vmcs[4096];                  /* the framework's VMCS region */

/* VMCLEAR + VMPTRLD vmcs (revision written first), then the default VMCS: host state = this
 * kernel (CR0/3/4, selectors 08H/10H/28H, TR/GDTR/IDTR bases), guest state = the same flat 64-bit
 * world entered at guest_fn with RSP = stack_top - 8 ([RSP] = the return stub, which executes
 * VMCALL with RAX = VMX_GUEST_DONE), guest IDTR = vmx_gidt; controls = the adjusted minimum plus
 * "host address-space size" and "IA-32e mode guest". Returns 0 or -1 (FAIL printed). */
#define VMX_GUEST_DONE  0x600dull
#define VMX_GTRAP_MAGIC 0x7a7ull
int vmcs_init_default(void (*guest_fn)(void), void *stack_top);
int vmcs_init_at(uint8_t *region, void (*guest_fn)(void), void *stack_top);
/* Restart the guest at fn on a fresh stack (same VMCS, same controls). */
void vmx_guest_restart(void (*fn)(void), void *stack_top);
extern uint8_t vmx_guest_stack[16384];
#define VMX_GUEST_STACK_TOP ((void *)(vmx_guest_stack + sizeof vmx_guest_stack))

/* VM entry: VMLAUNCH or VMRESUME. Returns the exit reason field of the VM exit (bit 31 set for a
 * VM-entry failure), or VMX_RUN_FAIL_INVALID / VMX_RUN_FAIL_VALID if the instruction failed
 * (then the VM-instruction error is in F_INSN_ERROR). */
#define VMX_RUN_FAIL_INVALID (1ull << 32)
#define VMX_RUN_FAIL_VALID   (2ull << 32)
uint64_t vmx_run(void);
uint64_t vmx_run_asm(int resume);               /* vmx_run.S */
/* GUEST_RIP += VM-exit instruction length (SDM 27.2.5: the length of the exiting instruction). */
void vmx_skip_insn(void);
/* Human-readable name of a basic exit reason. */
const char *vmx_exit_name(uint32_t reason);

/* Checks that print PASS/FAIL: the result of vmx_run is exit `reason` (and, unless qual is
 * VMX_ANY, exit qualification `qual`). */
#define VMX_ANY (~0ull)
int vmx_expect_exit(const char *name, uint64_t run, uint32_t reason, uint64_t qual);
/* The last VMX instruction failed with VMfailValid and error `err`. */
int vmx_expect_error(const char *name, int outcome, uint32_t err);

/* ---- the guest IDT ------------------------------------------------------------------------- */
struct vmx_gtrap {
    uint64_t vector, error, rip, cs, rflags, rsp, count;
};
extern struct vmx_gtrap vmx_gtrap;              /* what the guest's last interrupt pushed */
extern uint64_t vmx_gidt[512];
void vmx_gidt_init(void);

/* ---- misc ---------------------------------------------------------------------------------- */
static inline uint64_t rdtsc64(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}
static inline uint64_t va_pa(const volatile void *p) { return (uint64_t)(uintptr_t)p; }   /* identity */
void com1_init(void);
void com1_putc(char c);

#endif

/* ---- step tables (vmx_steps.c) ------------------------------------------------------------
 * A step runs the guest at `start` (a label in the kernel's guest asm) with a fresh guest stack;
 * the instruction under test is [start, end) and `end` is a VMCALL. The step expects exit
 * `reason` with guest RIP = start, VM-exit instruction length end - start (if check_len) and
 * qualification `qual` (unless VMX_ANY); with reason EXIT_NONE the instruction must not exit,
 * so the VMCALL at `end` is the exit; with EXIT_GUEST the event must reach the guest IDT, whose
 * stub reports it by VMCALL with RAX = VMX_GTRAP_MAGIC (vmx_gtrap holds what it saw). A step whose capability (ctl, bits: vmx_ctl_can) is
 * missing is skipped with a comment line. setup() runs before the entry, check() after it. */
#define EXIT_NONE 0xffffu
#define EXIT_GUEST 0xfffeu  /* no exit: the event is delivered through the guest IDT (VMCALL 7A7H) */
struct vmx_step {
    const char *name;
    const char *start, *end;
    uint32_t reason;
    uint64_t qual;
    int check_len;
    uint32_t ctl, bits;
    void (*setup)(void);
    void (*check)(void);
};
void vmx_run_steps(const struct vmx_step *s, unsigned n);

/* ---- EPT (vmx_ept.c; SDM Vol. 3 28.2 in the edition with VM exits in chapter 27) -------------
 * ept_init() builds an identity map of guest-physical [0, 4 GiB) with 2 MiB pages, read/write/
 * execute, memory type WB, from a static pool; ept_entry() returns the entry for gpa at `level`
 * (1 = PTE ... 4 = PML4E), splitting a large page into 512 smaller ones with the same mapping
 * and permissions; the caller owns the flush (INVEPT). */
#define EPT_R   (1ull << 0)
#define EPT_W   (1ull << 1)
#define EPT_X   (1ull << 2)
#define EPT_RWX 7ull
#define EPT_WB  (6ull << 3)
#define EPT_PS  (1ull << 7)
#define EPT_A   (1ull << 8)
#define EPT_D   (1ull << 9)
#define EPT_ADDR 0x000ffffffffff000ull
void ept_init(void);
uint64_t ept_eptp(void);                        /* WB, 4-level walk, no A/D */
uint64_t *ept_entry(uint64_t gpa, int level);
void ept_map4k(uint64_t gpa, uint64_t hpa, uint64_t flags);   /* flags: EPT_R.. | EPT_WB */
void *ept_alloc_table(void);                    /* a zeroed page from the pool */
int invept_all(void);                           /* INVEPT all-context (or single, per caps) */
