/* vmx_intercept.h — instruction intercepts in VMX non-root operation: the VM-execution control
 * bits that make instructions exit (SDM Vol. 3 24.6.2), the VM-exit instruction-information
 * field (24.9.4), the exit qualifications of the instruction-caused exits (27.2.1), and the hooks
 * the instruction handlers call (25.1 "Instructions that cause VM exits", 25.3 "Changes to
 * instruction behavior in VMX non-root operation", 29.3 "Virtualizing CR8-based TPR accesses").
 *
 * How a handler uses it: after the checks that the SDM gives priority over VM exits (25.1.1:
 * #UD, privilege-level #GP, the I/O-permission #GP of the TSS; and the faults of fetching an
 * operand whose value decides the exit), and before anything else, a handler calls its hook
 * behind one flag test: `if (c->vmx.nonroot) vmx_icpt_xxx(c, i, ...)`. The hook either causes
 * the VM exit (vmx_exit_insn / vmx_exit_raise: it never returns, the instruction is abandoned)
 * or returns, and the instruction executes, with the changed behaviour the hook reports where
 * 25.3 gives one (CR read shadows, TSC offset, TPR shadow).
 *
 * Invariants:
 *  - Every function here reads only the current VMCS (c->vmx.vmcs) and memory the VMCS points at
 *    (bitmaps, virtual-APIC page: physical addresses, read through the bus); none has a side
 *    effect except the VM exit itself and the documented virtual-APIC writes.
 *  - The secondary controls count only when "activate secondary controls" is 1 (24.6.2).
 *  - Fields the SDM leaves undefined in the instruction-information field are 0.
 */
#ifndef HVSIM_VMX_INTERCEPT_H
#define HVSIM_VMX_INTERCEPT_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/vmx.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cpu;
struct insn;

/* ------------------------------------------------ controls (SDM 24.6.2, Tables 24-6 and 24-7)
 * Primary processor-based VM-execution controls that make instructions exit or change them. */
#define VMX_PROC_USE_TSC_OFFSETTING (1u << 3)
#define VMX_PROC_HLT_EXITING        (1u << 7)
#define VMX_PROC_INVLPG_EXITING     (1u << 9)
#define VMX_PROC_MWAIT_EXITING      (1u << 10)
#define VMX_PROC_RDPMC_EXITING      (1u << 11)
#define VMX_PROC_RDTSC_EXITING      (1u << 12)
#define VMX_PROC_CR3_LOAD_EXITING   (1u << 15)
#define VMX_PROC_CR3_STORE_EXITING  (1u << 16)
#define VMX_PROC_CR8_LOAD_EXITING   (1u << 19)
#define VMX_PROC_CR8_STORE_EXITING  (1u << 20)
/* bit 21 "use TPR shadow" is VMX_PROC_TPR_SHADOW (vmx.h) */
#define VMX_PROC_MOV_DR_EXITING     (1u << 23)
#define VMX_PROC_UNCOND_IO_EXITING  (1u << 24)
#define VMX_PROC_USE_IO_BITMAPS     (1u << 25)
#define VMX_PROC_USE_MSR_BITMAPS    (1u << 28)
#define VMX_PROC_MONITOR_EXITING    (1u << 29)
#define VMX_PROC_PAUSE_EXITING      (1u << 30)
/* Secondary processor-based controls. */
#define VMX_PROC2_DESC_TABLE_EXITING (1u << 2)
#define VMX_PROC2_ENABLE_RDTSCP      (1u << 3)
#define VMX_PROC2_WBINVD_EXITING     (1u << 6)
/* bit 10 "PAUSE-loop exiting" is VMX_PROC2_PLE (vmx.h) */
#define VMX_PROC2_ENABLE_INVPCID     (1u << 12)

/* The primary controls, and the secondary controls as they act (0 unless activated). */
uint32_t vmx_proc_ctls(const struct cpu *c);
uint32_t vmx_proc2_ctls(const struct cpu *c);

/* ------------------------------------------------ instruction information (24.9.4)
 * Bits of the VM-exit instruction-information field (Tables 24-13 to 24-19). */
#define VMX_II_SCALE(s)        ((uint32_t)(s) & 3u)           /* 1:0 index scaling (log2) */
#define VMX_II_REG1(r)         (((uint32_t)(r) & 15u) << 3)   /* 6:3 Reg1 (register operand) */
#define VMX_II_ASIZE(a)        (((uint32_t)(a) & 7u) << 7)    /* 9:7 0 = 16, 1 = 32, 2 = 64 bit */
#define VMX_II_REGFORM         (1u << 10)                     /* 10 register (1) / memory (0) */
#define VMX_II_OSIZE32         (1u << 11)                     /* 11 LGDT..SIDT operand size 32 */
#define VMX_II_SEG(s)          (((uint32_t)(s) & 7u) << 15)   /* 17:15 segment register */
#define VMX_II_INDEX(r)        (((uint32_t)(r) & 15u) << 18)  /* 21:18 index register */
#define VMX_II_INDEX_INVALID   (1u << 22)
#define VMX_II_BASE(r)         (((uint32_t)(r) & 15u) << 23)  /* 26:23 base register */
#define VMX_II_BASE_INVALID    (1u << 27)
#define VMX_II_IDENT(n)        (((uint32_t)(n) & 3u) << 28)   /* 29:28 descriptor-table insn */
#define VMX_II_REG2(r)         (((uint32_t)(r) & 15u) << 28)  /* 31:28 Reg2 */
#define VMX_II_NO_REG2         (-1)

/* The instruction-information field of an instruction with a ModRM operand (Tables 24-14 to
 * 24-19): for a memory operand the scaling, address size, segment, index and base (with their
 * invalid bits); for a register operand Reg1 and bit 10. reg2 (0-15, the instruction's other
 * register operand) goes to bits 31:28, VMX_II_NO_REG2 for none. The caller adds the
 * instruction-specific bits (identity 29:28, operand size 11). */
uint32_t vmx_insn_info(const struct cpu *c, const struct insn *i, int reg2);
/* The exit qualification of those exits (27.2.1): the displacement of the memory operand
 * sign-extended to 64 bits; for RIP-relative addressing the displacement plus the RIP of the
 * next instruction; 0 for a register operand. Must be called while the handler runs
 * (c->rip is the next RIP). */
uint64_t vmx_insn_disp(const struct cpu *c, const struct insn *i);
/* The descriptor-table form: Table 24-15 (LGDT, LIDT, SGDT, SIDT: identity 29:28, operand size
 * bit 11 outside 64-bit mode) or Table 24-16 (LLDT, LTR, SLDT, STR: identity 29:28). */
uint32_t vmx_insn_info_desc(const struct cpu *c, const struct insn *i);
/* The INS/OUTS form (Table 24-13): address size 9:7 and, for OUTS, the segment 17:15. */
uint32_t vmx_insn_info_io(const struct insn *i, bool outs);

/* ------------------------------------------------ exit qualifications (27.2.1)
 * Control-register accesses (Table 27-3). */
enum vmx_cr_access { VMX_CR_MOV_TO = 0, VMX_CR_MOV_FROM = 1, VMX_CR_CLTS = 2, VMX_CR_LMSW = 3 };
static inline uint64_t vmx_qual_cr(unsigned cr, enum vmx_cr_access type, unsigned gpr,
                                   bool lmsw_mem, uint16_t lmsw_src)
{
    return (uint64_t)(cr & 15u) | (uint64_t)type << 4 | (uint64_t)(lmsw_mem ? 1u : 0u) << 6 |
           (uint64_t)(gpr & 15u) << 8 | (uint64_t)lmsw_src << 16;
}
/* MOV DR (Table 27-4): DR number 2:0, direction 4 (1 = MOV from DR), register 11:8. */
static inline uint64_t vmx_qual_dr(unsigned dr, bool from, unsigned gpr)
{
    return (uint64_t)(dr & 7u) | (uint64_t)(from ? 1u : 0u) << 4 | (uint64_t)(gpr & 15u) << 8;
}
/* I/O instructions (Table 27-5): size - 1 in 2:0, direction 3 (1 = IN), string 4, REP 5,
 * operand encoding 6 (1 = immediate), port 31:16. */
static inline uint64_t vmx_qual_io(uint16_t port, unsigned size, bool in, bool string, bool rep,
                                   bool imm)
{
    return (uint64_t)(size - 1) | (uint64_t)(in ? 1u : 0u) << 3 | (uint64_t)(string ? 1u : 0u) << 4 |
           (uint64_t)(rep ? 1u : 0u) << 5 | (uint64_t)(imm ? 1u : 0u) << 6 | (uint64_t)port << 16;
}

/* ------------------------------------------------ pure predicates */

/* I/O bitmaps (25.1.3): true if an access of `size` bytes at `port` exits. Bitmap A covers ports
 * 0000H-7FFFH, B 8000H-FFFFH, one bit per port; any set bit of port..port+size-1 exits, and so
 * does an access that wraps past FFFFH. */
bool vmx_io_bitmap_exit(const struct cpu *c, uint16_t port, unsigned size);
/* The I/O decision of 25.1.3: "use I/O bitmaps" decides if 1, else "unconditional I/O exiting". */
bool vmx_io_exits(const struct cpu *c, uint16_t port, unsigned size);
/* RDMSR/WRMSR (25.1.3, 24.6.9): true if the access exits. Without "use MSR bitmaps" always;
 * with them, ECX outside 0-1FFFH and C0000000H-C0001FFFH always, else the bit of the read-low
 * (offset 0), read-high (1024), write-low (2048) or write-high (3072) bitmap. */
bool vmx_msr_exits(const struct cpu *c, uint32_t msr, bool write);
/* MOV to CR0/CR4 (25.1.3): true if some bit owned by the host (mask 1) would get a value
 * different from the read shadow. */
static inline bool vmx_cr_write_exits(uint64_t mask, uint64_t shadow, uint64_t value)
{
    return ((value ^ shadow) & mask) != 0;
}
/* What the guest reads from CR0/CR4 (25.3): shadow bits where the mask is 1. */
static inline uint64_t vmx_cr_read_value(uint64_t mask, uint64_t shadow, uint64_t real)
{
    return (real & ~mask) | (shadow & mask);
}
/* MOV to CR3 (25.1.3): with "CR3-load exiting", true unless the value equals one of the first
 * CR3-target-count CR3-target values (count 0: every MOV to CR3 exits). */
bool vmx_cr3_load_exits(const struct cpu *c, uint64_t value);
/* LMSW (25.1.3): true if it exits with source `src` (only bits 3:0 count; PE is never cleared). */
bool vmx_lmsw_exits(uint64_t mask, uint64_t shadow, uint16_t src);

/* PAUSE-loop exiting (25.1.3): struct vmx_ple_state (cpu/vmx.h) is the processor's record. */
/* One PAUSE at CPL 0 at time `now`: updates the record and returns true if it exits (time since
 * the first PAUSE of the loop exceeds PLE_Window; a gap over PLE_Gap starts a new loop). */
bool vmx_ple_pause(struct vmx_ple_state *s, uint64_t now, uint32_t gap, uint32_t window);

/* ------------------------------------------------ TPR shadow (29.1.2, 29.3) */

/* VTPR: the 32-bit word at offset 80H of the virtual-APIC page. */
#define VMX_VAPIC_VTPR 0x80u
uint32_t vmx_vtpr(const struct cpu *c);
/* True if "use TPR shadow" is 1, "virtual-interrupt delivery" 0 and VTPR[7:4] < TPR threshold
 * [3:0]: the condition of a TPR-below-threshold VM exit (reason 43). g1's VM entry checks it
 * after entry (26.7.7); MOV to CR8 checks it after the write (trap-like exit, 29.1.2). */
bool vmx_tpr_below_threshold(const struct cpu *c);

/* ------------------------------------------------ hooks: call only when c->vmx.nonroot
 * Each returns normally when the instruction is not intercepted. */

/* Instructions with no conditions but their controls: CPUID (10), INVD (13), XSETBV (55) always;
 * HLT (12), RDPMC (15), WBINVD (54), MONITOR (39), MWAIT (36; qualification bit 0 "monitor
 * armed" is 0: no monitor is tracked). Qualification 0, no instruction information. */
void vmx_icpt_simple(struct cpu *c, const struct insn *i, enum vmx_exit_reason reason);
/* RDTSCP: #UD without "enable RDTSCP" (25.3; before the CR4.TSD check). Then RDTSC (16) /
 * RDTSCP (51) exit with "RDTSC exiting" (after the CR4.TSD #GP, 25.1.1). */
void vmx_icpt_rdtscp_ud(struct cpu *c);
void vmx_icpt_rdtsc(struct cpu *c, const struct insn *i, bool rdtscp);
/* The TSC offset the guest sees (25.3): the TSC-offset field with "use TSC offsetting", else 0.
 * Applies to RDTSC, RDTSCP and RDMSR of IA32_TIME_STAMP_COUNTER. */
uint64_t vmx_tsc_offset(const struct cpu *c);
/* INVLPG (14): qualification = the linear address (bits 63:32 clear outside 64-bit mode). */
void vmx_icpt_invlpg(struct cpu *c, const struct insn *i, uint64_t lin);
/* INVPCID: #UD without "enable INVPCID"; exit 58 with "INVLPG exiting" (instruction info with
 * Reg2 = the type register). Called before the CPL check (the #UD takes priority). */
void vmx_icpt_invpcid_ud(struct cpu *c);
void vmx_icpt_invpcid(struct cpu *c, const struct insn *i);
/* PAUSE (40): "PAUSE exiting", or PAUSE-loop exiting at CPL 0 with the processor's record `s`
 * (NULL: no PAUSE-loop exiting; the record needs a home in struct vmx_state, reset at VM entry). */
void vmx_icpt_pause(struct cpu *c, const struct insn *i, struct vmx_ple_state *s);
/* LGDT/LIDT/SGDT/SIDT (46) and LLDT/LTR/SLDT/STR (47) with "descriptor-table exiting". */
void vmx_icpt_desc(struct cpu *c, const struct insn *i);
/* The VMX instructions (VMCLEAR 19, VMPTRLD 21, VMPTRST 22, VMREAD 23, VMWRITE 25, VMXOFF 26,
 * VMXON 27): always exit in non-root operation (no VMCS shadowing), after the #UD checks. */
void vmx_icpt_vmx_insn(struct cpu *c, const struct insn *i, enum vmx_exit_reason reason);
/* IN/OUT (30): `imm` if the port came from an immediate. INS/OUTS: also the guest-linear
 * address of the (next) element and, with IA32_VMX_BASIC[54], the instruction information. */
void vmx_icpt_io(struct cpu *c, const struct insn *i, uint16_t port, unsigned size, bool in,
                 bool imm);
void vmx_icpt_string_io(struct cpu *c, const struct insn *i, uint16_t port, unsigned size,
                        bool in, bool rep);
/* RDMSR (31) / WRMSR (32). */
void vmx_icpt_msr(struct cpu *c, const struct insn *i, bool write);

/* MOV to CR0/3/4/8 (28): exits or returns the value to write: for CR0/CR4 the owned bits keep
 * their current value (25.3). For CR8 with "use TPR shadow" (and no exit) the hook performs the
 * write to VTPR itself and returns true ("done"); then the caller must not write CR8. */
bool vmx_icpt_mov_to_cr(struct cpu *c, const struct insn *i, unsigned cr, uint64_t *value);
/* After a MOV to CR8 that wrote VTPR: the trap-like TPR-below-threshold exit (29.1.2), if due. */
void vmx_icpt_tpr_after_write(struct cpu *c);
/* MOV from CR3/CR8 (28): exits, or adjusts *value (CR0/CR4 read shadows, CR8 from VTPR). */
void vmx_icpt_mov_from_cr(struct cpu *c, const struct insn *i, unsigned cr, uint64_t *value);
/* CLTS: exits if TS is owned and set in the shadow; returns false if CR0.TS must not change
 * (owned, shadow clear), true if CLTS executes normally. */
bool vmx_icpt_clts(struct cpu *c, const struct insn *i);
/* LMSW with source `src` (already read): exits (with the guest-linear address of a memory
 * operand), or returns `value`, the CR0 LMSW would write, with the owned bits of 3:0 unchanged. */
uint64_t vmx_icpt_lmsw(struct cpu *c, const struct insn *i, uint16_t src, uint64_t value);
/* SMSW / MOV from CR0 / CR4: the value as the guest sees it (no exit). */
uint64_t vmx_icpt_cr0_read(const struct cpu *c, uint64_t real);
uint64_t vmx_icpt_cr4_read(const struct cpu *c, uint64_t real);
/* MOV DR (29) with "MOV-DR exiting": before the CPL and DR4/DR5 checks (25.1.3). */
void vmx_icpt_mov_dr(struct cpu *c, const struct insn *i, unsigned dr, bool from, unsigned gpr);


#ifdef __cplusplus
}
#endif
#endif
