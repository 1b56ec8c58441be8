/* vmx.h — hv/vmx internals: VMCS field encodings (SDM Vol. 3 Appendix B), control bits
 * (24.6-24.8), basic exit reasons (Appendix C), the VMX instructions as inline functions
 * (chapter 30), the capabilities found at VMXON (hv/vmx/vmx_lp.c) and the functions the files
 * of hv/vmx share.
 *
 * Invariants: vmx_read/vmx_write act on the VMCS current on this LP and panic on VMfail (a
 * hypervisor bug, never a guest's doing); the controls in `vmx_caps` were checked against the
 * TRUE capability MSRs on every LP (all LPs must report the same set).
 */
#ifndef HV_VMX_VMX_H
#define HV_VMX_VMX_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/arch/lp.h"
#include "hv/hv_svc.h"
#include "hv/part/part.h"

/* ---- MSRs (SDM Vol. 4 table 2-2; Vol. 3 Appendix A) ---- */
#define MSR_IA32_FEATURE_CONTROL 0x3Au
#define MSR_IA32_APIC_BASE 0x1Bu
#define MSR_IA32_VMX_BASIC 0x480u
#define MSR_IA32_VMX_PINBASED 0x481u
#define MSR_IA32_VMX_PROCBASED 0x482u
#define MSR_IA32_VMX_EXIT 0x483u
#define MSR_IA32_VMX_ENTRY 0x484u
#define MSR_IA32_VMX_MISC 0x485u
#define MSR_IA32_VMX_CR0_FIXED0 0x486u
#define MSR_IA32_VMX_CR0_FIXED1 0x487u
#define MSR_IA32_VMX_CR4_FIXED0 0x488u
#define MSR_IA32_VMX_CR4_FIXED1 0x489u
#define MSR_IA32_VMX_PROCBASED2 0x48Bu
#define MSR_IA32_VMX_EPT_VPID_CAP 0x48Cu
#define MSR_IA32_VMX_TRUE_PINBASED 0x48Du
#define MSR_IA32_VMX_TRUE_PROCBASED 0x48Eu
#define MSR_IA32_VMX_TRUE_EXIT 0x48Fu
#define MSR_IA32_VMX_TRUE_ENTRY 0x490u
#define MSR_IA32_VMX_VMFUNC 0x491u
#define MSR_IA32_PAT 0x277u
#define MSR_IA32_EFER 0xC0000080u
#define MSR_IA32_FS_BASE 0xC0000100u
#define MSR_IA32_GS_BASE 0xC0000101u
#define MSR_IA32_SYSENTER_CS 0x174u
#define MSR_IA32_SYSENTER_ESP 0x175u
#define MSR_IA32_SYSENTER_EIP 0x176u
#define MSR_IA32_STAR 0xC0000081u
#define MSR_IA32_LSTAR 0xC0000082u
#define MSR_IA32_CSTAR 0xC0000083u
#define MSR_IA32_FMASK 0xC0000084u
#define MSR_IA32_KERNEL_GS_BASE 0xC0000102u
#define MSR_IA32_TSC_AUX 0xC0000103u

#define CR0_PE (1ull << 0)
#define CR0_NE (1ull << 5)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define CR4_VMXE (1ull << 13)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define RFLAGS_IF (1ull << 9)

/* ---- VMCS field encodings (Appendix B) ---- */
enum vmcs_field {
    VMCS_VPID = 0x0000,
    VMCS_G_ES_SEL = 0x0800, VMCS_G_CS_SEL = 0x0802, VMCS_G_SS_SEL = 0x0804,
    VMCS_G_DS_SEL = 0x0806, VMCS_G_FS_SEL = 0x0808, VMCS_G_GS_SEL = 0x080A,
    VMCS_G_LDTR_SEL = 0x080C, VMCS_G_TR_SEL = 0x080E,
    VMCS_H_ES_SEL = 0x0C00, VMCS_H_CS_SEL = 0x0C02, VMCS_H_SS_SEL = 0x0C04,
    VMCS_H_DS_SEL = 0x0C06, VMCS_H_FS_SEL = 0x0C08, VMCS_H_GS_SEL = 0x0C0A,
    VMCS_H_TR_SEL = 0x0C0C,
    VMCS_IO_BITMAP_A = 0x2000, VMCS_IO_BITMAP_B = 0x2002, VMCS_MSR_BITMAP = 0x2004,
    VMCS_EXIT_MSR_STORE_ADDR = 0x2006, VMCS_EXIT_MSR_LOAD_ADDR = 0x2008,
    VMCS_ENTRY_MSR_LOAD_ADDR = 0x200A, VMCS_TSC_OFFSET = 0x2010, VMCS_EPTP = 0x201A,
    VMCS_GUEST_PHYS = 0x2400,
    VMCS_LINK_PTR = 0x2800, VMCS_G_DEBUGCTL = 0x2802, VMCS_G_PAT = 0x2804, VMCS_G_EFER = 0x2806,
    VMCS_H_PAT = 0x2C00, VMCS_H_EFER = 0x2C02,
    VMCS_PIN = 0x4000, VMCS_PROC = 0x4002, VMCS_EXC_BITMAP = 0x4004,
    VMCS_PF_MASK = 0x4006, VMCS_PF_MATCH = 0x4008, VMCS_CR3_TARGET_COUNT = 0x400A,
    VMCS_EXIT_CTLS = 0x400C, VMCS_EXIT_MSR_STORE_COUNT = 0x400E,
    VMCS_EXIT_MSR_LOAD_COUNT = 0x4010, VMCS_ENTRY_CTLS = 0x4012,
    VMCS_ENTRY_MSR_LOAD_COUNT = 0x4014, VMCS_ENTRY_INTR_INFO = 0x4016,
    VMCS_ENTRY_EXC_ERROR = 0x4018, VMCS_ENTRY_INSN_LEN = 0x401A, VMCS_PROC2 = 0x401E,
    VMCS_INSN_ERROR = 0x4400, VMCS_EXIT_REASON = 0x4402, VMCS_EXIT_INTR_INFO = 0x4404,
    VMCS_EXIT_INTR_ERROR = 0x4406, VMCS_IDT_VEC_INFO = 0x4408, VMCS_IDT_VEC_ERROR = 0x440A,
    VMCS_EXIT_INSN_LEN = 0x440C, VMCS_EXIT_INSN_INFO = 0x440E,
    VMCS_G_ES_LIMIT = 0x4800, VMCS_G_CS_LIMIT = 0x4802, VMCS_G_SS_LIMIT = 0x4804,
    VMCS_G_DS_LIMIT = 0x4806, VMCS_G_FS_LIMIT = 0x4808, VMCS_G_GS_LIMIT = 0x480A,
    VMCS_G_LDTR_LIMIT = 0x480C, VMCS_G_TR_LIMIT = 0x480E, VMCS_G_GDTR_LIMIT = 0x4810,
    VMCS_G_IDTR_LIMIT = 0x4812,
    VMCS_G_ES_AR = 0x4814, VMCS_G_CS_AR = 0x4816, VMCS_G_SS_AR = 0x4818, VMCS_G_DS_AR = 0x481A,
    VMCS_G_FS_AR = 0x481C, VMCS_G_GS_AR = 0x481E, VMCS_G_LDTR_AR = 0x4820,
    VMCS_G_TR_AR = 0x4822, VMCS_G_INTERRUPTIBILITY = 0x4824, VMCS_G_ACTIVITY = 0x4826,
    VMCS_G_SYSENTER_CS = 0x482A, VMCS_PREEMPT_TIMER = 0x482E,
    VMCS_H_SYSENTER_CS = 0x4C00,
    VMCS_CR0_MASK = 0x6000, VMCS_CR4_MASK = 0x6002, VMCS_CR0_SHADOW = 0x6004,
    VMCS_CR4_SHADOW = 0x6006,
    VMCS_EXIT_QUAL = 0x6400, VMCS_GUEST_LINEAR = 0x640A,
    VMCS_G_CR0 = 0x6800, VMCS_G_CR3 = 0x6802, VMCS_G_CR4 = 0x6804,
    VMCS_G_ES_BASE = 0x6806, VMCS_G_CS_BASE = 0x6808, VMCS_G_SS_BASE = 0x680A,
    VMCS_G_DS_BASE = 0x680C, VMCS_G_FS_BASE = 0x680E, VMCS_G_GS_BASE = 0x6810,
    VMCS_G_LDTR_BASE = 0x6812, VMCS_G_TR_BASE = 0x6814, VMCS_G_GDTR_BASE = 0x6816,
    VMCS_G_IDTR_BASE = 0x6818, VMCS_G_DR7 = 0x681A, VMCS_G_RSP = 0x681C, VMCS_G_RIP = 0x681E,
    VMCS_G_RFLAGS = 0x6820, VMCS_G_PENDING_DBG = 0x6822, VMCS_G_SYSENTER_ESP = 0x6824,
    VMCS_G_SYSENTER_EIP = 0x6826,
    VMCS_H_CR0 = 0x6C00, VMCS_H_CR3 = 0x6C02, VMCS_H_CR4 = 0x6C04, VMCS_H_FS_BASE = 0x6C06,
    VMCS_H_GS_BASE = 0x6C08, VMCS_H_TR_BASE = 0x6C0A, VMCS_H_GDTR_BASE = 0x6C0C,
    VMCS_H_IDTR_BASE = 0x6C0E, VMCS_H_SYSENTER_ESP = 0x6C10, VMCS_H_SYSENTER_EIP = 0x6C12,
    VMCS_H_RSP = 0x6C14, VMCS_H_RIP = 0x6C16,
};

/* ---- controls (24.6.1, 24.6.2, 24.7.1, 24.8.1) ---- */
#define PIN_EXT_INTR (1u << 0)
#define PIN_NMI (1u << 3)
#define PIN_PREEMPT (1u << 6)
#define PROC_INTR_WINDOW (1u << 2)
#define PROC_HLT (1u << 7)
#define PROC_CR8_LOAD (1u << 19)
#define PROC_CR8_STORE (1u << 20)
#define PROC_IO_BITMAPS (1u << 25)
#define PROC_MSR_BITMAPS (1u << 28)
#define PROC_SECONDARY (1u << 31)
#define PROC2_EPT (1u << 1)
#define PROC2_RDTSCP (1u << 3)
#define PROC2_VPID (1u << 5)
#define PROC2_UNRESTRICTED (1u << 7)
#define PROC2_INVPCID (1u << 12)
#define PROC2_XSAVES (1u << 20)
#define EXIT_HOST_64 (1u << 9)
#define EXIT_ACK_INTR (1u << 15)
#define EXIT_SAVE_PAT (1u << 18)
#define EXIT_LOAD_PAT (1u << 19)
#define EXIT_SAVE_EFER (1u << 20)
#define EXIT_LOAD_EFER (1u << 21)
#define EXIT_SAVE_PREEMPT (1u << 22)
#define ENTRY_IA32E (1u << 9)
#define ENTRY_LOAD_PAT (1u << 14)
#define ENTRY_LOAD_EFER (1u << 15)

/* ---- basic exit reasons (Appendix C) ---- */
enum {
    EXIT_EXCEPTION = 0, EXIT_EXT_INTR = 1, EXIT_TRIPLE_FAULT = 2, EXIT_INIT = 3, EXIT_SIPI = 4,
    EXIT_INTR_WINDOW = 7, EXIT_CPUID = 10, EXIT_HLT = 12, EXIT_VMCALL = 18, EXIT_CR = 28,
    EXIT_IO = 30, EXIT_RDMSR = 31, EXIT_WRMSR = 32, EXIT_BAD_GUEST = 33, EXIT_EPT_VIOLATION = 48,
    EXIT_EPT_MISCONFIG = 49, EXIT_PREEMPT = 52, EXIT_XSETBV = 55,
    EXIT_REASON_MAX = 70,
};
#define EXIT_ENTRY_FAIL (1u << 31)

/* interruption information (24.8.3, 24.9.2) */
#define INTR_VALID (1u << 31)
#define INTR_ERROR (1u << 11)
#define INTR_TYPE_EXT 0u
#define INTR_TYPE_HW_EXC (3u << 8)
#define VEC_UD 6
#define VEC_GP 13

/* interruptibility state (24.4.2) */
#define INTERRUPTIBILITY_STI (1u << 0)
#define INTERRUPTIBILITY_MOV_SS (1u << 1)

/* ---- the VMX instructions (chapter 30); VMfail is a hypervisor bug: panic ---- */
static inline int vmx_ok(uint64_t rflags) { return (rflags & 0x41) == 0; }   /* CF, ZF clear */

static inline int vmxon(uint64_t pa)
{
    uint64_t fl;
    __asm__ volatile("vmxon %1; pushfq; popq %0" : "=r"(fl) : "m"(pa) : "cc", "memory");
    return vmx_ok(fl) ? 0 : -1;
}
static inline int vmclear(uint64_t pa)
{
    uint64_t fl;
    __asm__ volatile("vmclear %1; pushfq; popq %0" : "=r"(fl) : "m"(pa) : "cc", "memory");
    return vmx_ok(fl) ? 0 : -1;
}
static inline int vmptrld(uint64_t pa)
{
    uint64_t fl;
    __asm__ volatile("vmptrld %1; pushfq; popq %0" : "=r"(fl) : "m"(pa) : "cc", "memory");
    return vmx_ok(fl) ? 0 : -1;
}
uint64_t vmx_read(uint32_t field);             /* panics on VMfail */
void vmx_write(uint32_t field, uint64_t v);    /* panics on VMfail */
/* INVEPT type 1 (single context) / 2 (all contexts) (30.3 INVEPT). */
void vmx_invept(uint64_t type, uint64_t eptp);

/* ---- capabilities and the controls every VMCS uses (vmx_lp.c) ---- */
struct vmx_caps {
    uint32_t revision;          /* IA32_VMX_BASIC 30:0 */
    uint32_t pin, proc, proc2, exit, entry;   /* the controls we set, after allowed-0/1 */
    uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
    uint32_t preempt_shift;     /* IA32_VMX_MISC 4:0 */
    uint64_t ept_vpid_cap;
    bool invept_single;
    uint64_t slice_ticks;       /* preemption-timer value of one child slice */
};
extern struct vmx_caps vmx_caps;
/* Adjust desired control bits to the allowed-0 (must be 1) / allowed-1 (may be 1) settings of a
 * capability MSR (SDM A.3-A.5). */
static inline uint32_t vmx_adjust(uint64_t cap, uint32_t want)
{
    return (want | (uint32_t)cap) & (uint32_t)(cap >> 32);
}

/* ---- shared functions of hv/vmx ---- */
/* The guest GPRs live in vp->ctx.gpr (TLFS order, which is the x86 register number order);
 * RSP there is stale while the VP runs (the VMCS has it). run.S: */
/* 0 after a VM exit, else 1 VMfailInvalid / 2 VMfailValid */
int vmx_enter(uint64_t *gpr, int launched);
void vmcs_setup(struct hv_vp *vp);           /* on vp->lp, VMCS current: every field */
uint64_t vmx_cr0_mask(void);                /* host-owned CR0/CR4 bits */
uint64_t vmx_cr4_mask(void);
void vp_ctx_save(struct hv_vp *vp);          /* VMCS -> vp->ctx */
void vp_ctx_load(struct hv_vp *vp);          /* vp->ctx -> VMCS */
void vmx_inject_exception(uint8_t vector, bool has_error, uint32_t error);
void vmx_advance_rip(void);
void vmx_stop_partition(struct hv_vp *vp, const char *why);
/* vp (running on this LP, VMCS current) leaves the runnable state: ctx saved, then the state. */
void vmx_vp_stop(struct hv_vp *vp, enum hv_vp_state state);
int vmx_handle_exit(struct hv_vp *vp, uint32_t reason);  /* 0: keep running this VP */
struct hv_vp *vmx_root_vp_of_lp(uint32_t lp);
/* A VP of this LP gets/loses a place on its LP's run list (vp.c). */
void vmx_run_list_add(struct hv_vp *vp);
/* Guest memory access through the VP's paging and EPT (guest_mem.c): 0, or -1 (not mapped). */
int vmx_guest_read(struct hv_vp *vp, uint64_t linear, void *buf, unsigned len);
/* A VP's access to its virtual APIC's page (vapic_mmio.c): the MOV decoded and emulated. */
int vmx_vapic_mmio(struct hv_vp *vp, uint64_t gpa);
extern uint64_t vmx_root_apic_gpa;
/* The guest state an LP's registers hold outside the VMCS (guest_switch.c): XCR0, the x87/SSE
 * (XSAVE) state and the SYSCALL/SWAPGS/RDTSCP MSRs. vmx_guest_lp_init on each LP after VMXON
 * (host CR4.OSFXSR/OSXSAVE); vmx_guest_init for a new VP (its area: the initial state);
 * vmx_guest_switch before entering `vp` on this LP; vmx_xsetbv_ok: an XCR0 value XSETBV takes. */
void vmx_guest_lp_init(void);
void vmx_guest_init(struct hv_vp *vp);
void vmx_guest_switch(struct hv_lp *lp, struct hv_vp *vp);
void vmx_guest_flush(struct hv_lp *lp, struct hv_vp *vp);   /* vp stops for the root */
bool vmx_xsetbv_ok(uint64_t xcr0);
/* hv/mm/ept.c, core only: a 2 MiB leaf (gpa, hpa 2 MiB aligned); serve other LPs' flushes. */
int ept_map_2m(struct hv_ept *e, uint64_t gpa, uint64_t hpa, unsigned perms, unsigned type);
void ept_flush_service(void);
/* hv/vmx/tlb.c: serve another LP's vp_flush_tlb request (INVVPID); called where
 * ept_flush_service is. */
void vmx_tlb_flush_service(void);
/* Host-mode interrupt (hv/arch's IDT, vectors 32-255 while an LP idles with STI; HLT): EOI and
 * forward a device vector to the root VP of this LP. */
void hv_vmx_host_irq(uint8_t vector);

#endif
