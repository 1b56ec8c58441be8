/* model.h — a CPU model: what CPUID reports, the TLB geometry, and the cycle-model constants.
 *
 * One text file per model under cpu/models/ (format in docs/CYCLE-MODEL.md); the built-in default
 * is cpu/models/default.model compiled in, so hvsim runs without any file.
 *
 * Invariants: a loaded model is immutable and shared by every LP of a machine; every constant
 * comes from the file (or the built-in text), never from the host.
 */
#ifndef HVSIM_MODEL_H
#define HVSIM_MODEL_H

#include <stdint.h>
#include "cpu/insn.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MODEL_MAX_CPUID 64

struct cpuid_entry {
    uint32_t leaf, subleaf;
    uint32_t eax, ebx, ecx, edx;
    uint8_t has_subleaf;   /* 0: subleaf ignored */
};

struct tlb_geometry { uint32_t entries, ways; };

/* VMX capabilities (docs/VMX.md, SDM Vol. 3 Appendix A): the values of the capability MSRs that
 * the model chooses (keys vmx.*; all 0 for a model without VMX). The rest (CR0/CR4 FIXED,
 * VMCS_ENUM) follows from these and the CPUID table (cpu/vmx_caps.c). */
struct cpu_model_vmx {
    uint64_t basic;                                         /* IA32_VMX_BASIC */
    uint64_t pinbased, procbased, procbased2, exit, entry;  /* allowed-0 (31:0) / allowed-1 (63:32) */
    uint64_t true_pinbased, true_procbased, true_exit, true_entry;
    uint64_t misc, ept_vpid_cap, vmfunc;
};

struct cpu_model {
    char name[64];
    struct cpuid_entry cpuid[MODEL_MAX_CPUID];
    int n_cpuid;
    /* lookup index built by model_parse: the first entry of basic leaf k / extended leaf
     * 0x80000000 + k (k < 32), -1 for none; used while n_cpuid == n_indexed (a table changed by
     * adding entries afterwards is searched linearly) */
    int8_t cpuid_first[2][32];
    int n_indexed;
    uint32_t max_phys_bits;        /* MAXPHYADDR */
    uint32_t max_lin_bits;         /* 48 */
    uint64_t tsc_hz;               /* nominal frequency: cycles per simulated second */
    uint64_t apic_timer_hz;        /* local APIC timer input clock (apic/lapic_timer.c) */
    uint32_t mxcsr_mask;           /* MXCSR bits FXRSTOR accepts, stored in the FXSAVE image */

    /* TLB geometry */
    struct tlb_geometry itlb, dtlb, stlb;

    /* cycle costs */
    uint32_t class_cost[CLS_COUNT + 1];    /* per instruction class; [CLS_ANNOT] is always 0 */
    uint32_t mem_access;               /* extra cost of a data access (L1 hit latency) */
    uint32_t tlb_l1_miss_stlb_hit;     /* L1 miss that hits the STLB */
    uint32_t walk_ref;                 /* one paging-structure memory reference */
    uint32_t exception;                /* delivery of an exception/interrupt through the IDT */
    uint32_t string_elem;              /* per element of a REP string instruction */
    uint32_t div_extra[4];             /* additional DIV cost by size 1,2,4,8 */
    uint32_t vm_entry;                 /* a VM entry (VMLAUNCH/VMRESUME that enters), beyond the
                                        * instruction's class cost; optional key, 0 if absent */
    uint32_t vm_exit;                  /* a VM exit (guest-state save, host-state load) */
    uint32_t ept_walk_ref;             /* one EPT paging-structure read of a 2-D walk (mmu/ept_walk.c);
                                        * optional key, 0 if absent */

    struct cpu_model_vmx vmx;          /* VMX capability MSRs (used when CPUID.1:ECX.VMX = 1) */
};

/* Parse a model file. Returns 0, or -1 with a message naming file:line and the problem in err. */
int model_load(struct cpu_model *m, const char *path, char *err, unsigned errlen);
/* Parse model text (used for the built-in default and by tests). `name` is used in errors. */
int model_parse(struct cpu_model *m, const char *text, const char *name, char *err, unsigned errlen);
/* The built-in default model. */
const struct cpu_model *model_default(void);
/* CPUID lookup following SDM rules for out-of-range leaves (returns the highest basic leaf's
 * data for leaf > max basic leaf, as Intel processors do). */
void model_cpuid(const struct cpu_model *m, uint32_t leaf, uint32_t subleaf,
                 uint32_t out[4]);

#ifdef __cplusplus
}
#endif
#endif
