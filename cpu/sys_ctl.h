/* sys_ctl.h — control registers, EFER and CPU features: the checked writes shared by MOV CR,
 * LMSW, CLTS, WRMSR and the mode logic (sys_mode.c), and feature queries against the CPU model.
 *
 * Invariants: a sys_write_* function either raises #GP(0) with nothing changed or commits the
 * value, informs the MMU of what changed (mmu_cr_write / mmu_cr3_write) and recomputes the mode.
 */
#ifndef HVSIM_SYS_CTL_H
#define HVSIM_SYS_CTL_H

#include "cpu/sys_util.h"

#ifdef __cplusplus
extern "C" {
#endif

/* CPUID feature bits the system side depends on: (leaf, subleaf, register, bit). */
enum cpuid_reg { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };
struct cpuid_feature { uint32_t leaf, sub; uint8_t reg, bit; };
#define FEAT(leaf, sub, reg, bit) ((struct cpuid_feature){ (leaf), (sub), (reg), (bit) })
#define F_VME      FEAT(1, 0, CPUID_EDX, 1)
#define F_DE       FEAT(1, 0, CPUID_EDX, 2)
#define F_PSE      FEAT(1, 0, CPUID_EDX, 3)
#define F_TSC      FEAT(1, 0, CPUID_EDX, 4)
#define F_PAE      FEAT(1, 0, CPUID_EDX, 6)
#define F_MCE      FEAT(1, 0, CPUID_EDX, 7)
#define F_SEP      FEAT(1, 0, CPUID_EDX, 11)
#define F_MTRR     FEAT(1, 0, CPUID_EDX, 12)
#define F_PGE      FEAT(1, 0, CPUID_EDX, 13)
#define F_PAT      FEAT(1, 0, CPUID_EDX, 16)
#define F_CLFSH    FEAT(1, 0, CPUID_EDX, 19)
#define F_FXSR     FEAT(1, 0, CPUID_EDX, 24)
#define F_SSE      FEAT(1, 0, CPUID_EDX, 25)
#define F_VMX      FEAT(1, 0, CPUID_ECX, 5)
#define F_SMX      FEAT(1, 0, CPUID_ECX, 6)
#define F_PCID     FEAT(1, 0, CPUID_ECX, 17)
#define F_X2APIC   FEAT(1, 0, CPUID_ECX, 21)
#define F_XSAVE    FEAT(1, 0, CPUID_ECX, 26)
#define F_FSGSBASE FEAT(7, 0, CPUID_EBX, 0)
#define F_TSC_ADJ  FEAT(7, 0, CPUID_EBX, 1)
#define F_SMEP     FEAT(7, 0, CPUID_EBX, 7)
#define F_INVPCID  FEAT(7, 0, CPUID_EBX, 10)
#define F_SMAP     FEAT(7, 0, CPUID_EBX, 20)
#define F_CLFLUSHOPT FEAT(7, 0, CPUID_EBX, 23)
#define F_UMIP     FEAT(7, 0, CPUID_ECX, 2)
#define F_PKU      FEAT(7, 0, CPUID_ECX, 3)
#define F_LA57     FEAT(7, 0, CPUID_ECX, 16)
#define F_RDPID    FEAT(7, 0, CPUID_ECX, 22)
#define F_LAHF     FEAT(0x80000001u, 0, CPUID_ECX, 0)
#define F_SYSCALL  FEAT(0x80000001u, 0, CPUID_EDX, 11)
#define F_NX       FEAT(0x80000001u, 0, CPUID_EDX, 20)
#define F_RDTSCP   FEAT(0x80000001u, 0, CPUID_EDX, 27)
#define F_LM       FEAT(0x80000001u, 0, CPUID_EDX, 29)

/* True if the CPU model reports the feature (as CPUID would, including MISC_ENABLE.XD_DISABLE). */
bool sys_has(const struct cpu *c, struct cpuid_feature f);

/* CPUID as the instruction returns it: the model's table plus the per-LP and state-dependent
 * fields (initial APIC id, OSXSAVE, MISC_ENABLE limits). */
void sys_cpuid(const struct cpu *c, uint32_t leaf, uint32_t sub, uint32_t out[4]);

/* Checked writes (SDM Vol. 2 MOV CR, Vol. 3 2.5, 10.8.5; WRMSR to EFER). */
void sys_write_cr0(struct cpu *c, uint64_t v);
void sys_write_cr3(struct cpu *c, uint64_t v);
void sys_write_cr4(struct cpu *c, uint64_t v);
void sys_write_cr8(struct cpu *c, uint64_t v);
/* A value WRMSR to IA32_EFER accepts (reserved bits, LME under paging); no side effect. */
bool sys_efer_ok(const struct cpu *c, uint64_t v);
void sys_write_efer(struct cpu *c, uint64_t v);
/* CR4 bits this model lets software set. */
uint64_t sys_cr4_valid(const struct cpu *c);

#ifdef __cplusplus
}
#endif
#endif
