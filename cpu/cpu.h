/* cpu.h — architectural state of one simulated x86-64 logical processor, and the CPU API.
 *
 * Invariants:
 *  - Everything the guest can observe lives in struct cpu; nothing is derived from the host.
 *  - Arithmetic flags (CF PF AF ZF SF OF) in `rflags` are valid only when lf.op == LF_NONE;
 *    otherwise they are a function of `lf` (lazy flags, see flags.h). All other RFLAGS bits are
 *    always exact in `rflags`.
 *  - Segment registers hold the selector and the cached descriptor (base, limit, access rights in
 *    the VMCS access-rights format, SDM Vol. 3 24.4.1), so VMX can save and load them directly.
 *  - `mode` and `code_size` are recomputed by cpu_update_mode() after every write to CR0, EFER, or
 *    CS; nothing else changes them.
 *  - Exceptions are raised with cpu_fault() (never returns: longjmp to the run loop). A handler
 *    must perform every access that can fault before it commits any architectural state.
 */
#ifndef HVSIM_CPU_H
#define HVSIM_CPU_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/insn.h"
#include "cpu/vmx.h"

#ifdef __cplusplus
extern "C" {
#endif

struct bus;
struct dcache;
struct cpu_model;
struct insn;
struct lapic;
struct tracer;

/* General-purpose registers, in ModRM/REX encoding order (SDM Vol. 2 2.1.5). */
enum gpr { R_RAX, R_RCX, R_RDX, R_RBX, R_RSP, R_RBP, R_RSI, R_RDI,
           R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15, R_NGPR };

/* Segment registers, in the Sreg encoding order (SDM Vol. 2 3.1.1.3). */
enum seg { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_NSEG,
           SEG_LDTR = 6, SEG_TR = 7, SEG_NONE = 0xff };

/* RFLAGS bits (SDM Vol. 1 3.4.3). */
#define RF_CF   (1u << 0)
#define RF_FIXED1 (1u << 1)
#define RF_PF   (1u << 2)
#define RF_AF   (1u << 4)
#define RF_ZF   (1u << 6)
#define RF_SF   (1u << 7)
#define RF_TF   (1u << 8)
#define RF_IF   (1u << 9)
#define RF_DF   (1u << 10)
#define RF_OF   (1u << 11)
#define RF_IOPL (3u << 12)
#define RF_NT   (1u << 14)
#define RF_RF   (1u << 16)
#define RF_VM   (1u << 17)
#define RF_AC   (1u << 18)
#define RF_VIF  (1u << 19)
#define RF_VIP  (1u << 20)
#define RF_ID   (1u << 21)
#define RF_ARITH (RF_CF | RF_PF | RF_AF | RF_ZF | RF_SF | RF_OF)

/* Control-register bits (SDM Vol. 3 2.5). */
#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_AM (1ull << 18)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_PG (1ull << 31)

#define CR4_VME (1ull << 0)
#define CR4_PVI (1ull << 1)
#define CR4_TSD (1ull << 2)
#define CR4_DE  (1ull << 3)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_MCE (1ull << 6)
#define CR4_PGE (1ull << 7)
#define CR4_PCE (1ull << 8)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_UMIP (1ull << 11)
#define CR4_LA57 (1ull << 12)
#define CR4_VMXE (1ull << 13)
#define CR4_SMXE (1ull << 14)
#define CR4_FSGSBASE (1ull << 16)
#define CR4_PCIDE (1ull << 17)
#define CR4_OSXSAVE (1ull << 18)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
#define CR4_PKE  (1ull << 22)

#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

/* Exception vectors (SDM Vol. 3 6.3.1). */
enum vector {
    VEC_DE = 0, VEC_DB = 1, VEC_NMI = 2, VEC_BP = 3, VEC_OF = 4, VEC_BR = 5, VEC_UD = 6,
    VEC_NM = 7, VEC_DF = 8, VEC_TS = 10, VEC_NP = 11, VEC_SS = 12, VEC_GP = 13, VEC_PF = 14,
    VEC_MF = 16, VEC_AC = 17, VEC_MC = 18, VEC_XM = 19, VEC_VE = 20, VEC_CP = 21
};

/* Processor operating modes (SDM Vol. 3 2.2). */
enum cpu_mode { MODE_REAL, MODE_PROT, MODE_VM86, MODE_COMPAT, MODE_LONG64 };

/* Why cpu_run() returned. */
enum cpu_stop {
    STOP_NONE = 0,      /* still runnable: quantum or instruction budget used up */
    STOP_HLT,           /* halted; wakes on an interrupt (the machine decides) */
    STOP_TRIPLE_FAULT,  /* shutdown: the machine stops and reports the state */
    STOP_REQUEST,       /* a device or the host asked the CPU to stop (e.g. debug-exit port) */
    STOP_SHUTDOWN_UNSUPPORTED, /* the guest used something hvsim does not implement; see stop_msg */
};

/* A segment register: selector and cached descriptor. `ar` is the VMCS access-rights format:
 * 3:0 type, 4 S, 6:5 DPL, 7 P, 12 AVL, 13 L, 14 D/B, 15 G, 16 unusable. Limit is byte-granular
 * (already scaled by G). */
struct segment {
    uint16_t sel;
    uint32_t ar;
    uint32_t limit;
    uint64_t base;
};
#define AR_TYPE(ar) ((ar) & 0xf)
#define AR_S    (1u << 4)
#define AR_DPL(ar) (((ar) >> 5) & 3)
#define AR_P    (1u << 7)
#define AR_AVL  (1u << 12)
#define AR_L    (1u << 13)
#define AR_DB   (1u << 14)
#define AR_G    (1u << 15)
#define AR_UNUSABLE (1u << 16)

struct dtr { uint64_t base; uint32_t limit; };

/* Lazy arithmetic flags: the last flag-setting operation, evaluated on demand (flags.c). */
enum lf_op {
    LF_NONE = 0, LF_ADD, LF_ADC, LF_SUB, LF_SBB, LF_LOGIC, LF_INC, LF_DEC, LF_NEG,
    LF_SHL, LF_SHR, LF_SAR,
};
struct lazy_flags {
    uint64_t res, src1, src2;   /* result and operands, truncated to `size` bytes */
    uint8_t op;                 /* enum lf_op */
    uint8_t size;               /* 1, 2, 4, 8 */
    uint8_t cf_in;              /* CF before INC/DEC (they preserve CF), carry-in for ADC/SBB */
};

/* Per-LP counters used by the cycle model and the run summary. */
struct cpu_counters {
    uint64_t insns;
    uint64_t cycles;
    uint64_t itlb_hits, itlb_misses, dtlb_hits, dtlb_misses, stlb_hits, stlb_misses;
    uint64_t walks, walk_refs;
    uint64_t ept_walks, ept_refs;  /* EPT walks and their paging-structure reads (mmu/ept_walk.c) */
    uint64_t exceptions, interrupts;
    uint64_t dcache_misses;     /* decode-cache misses (host statistic, not charged) */
    uint64_t halt_cycles;       /* cycles spent halted (idle skip by the scheduler, sim/sched.c) */
};

#define CPU_NMSR_MTRR_VAR 8

/* Model-specific registers the CPU keeps (SDM Vol. 4). */
struct cpu_msrs {
    uint64_t efer, star, lstar, cstar, fmask, kernel_gs_base, tsc_aux, pat, apic_base;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t misc_enable, feature_control, tsc_adjust;
    uint64_t mtrr_def_type, mtrr_fix[11], mtrr_var_base[CPU_NMSR_MTRR_VAR],
             mtrr_var_mask[CPU_NMSR_MTRR_VAR];
    uint64_t xcr0;
};

/* An external-interrupt source (8259 pair or local APIC, later): the CPU asks at instruction
 * boundaries. `pending` returns true if a maskable interrupt is pending; `ack` returns its
 * vector and acknowledges it (INTA cycle). */
struct irq_source {
    bool (*pending)(void *opaque);
    uint8_t (*ack)(void *opaque);
    void *opaque;
};

struct cpu {
    /* --- hot state: the run loop and handlers touch these on every instruction --- */
    uint64_t gpr[R_NGPR];
    uint64_t rip;
    uint64_t rflags;            /* see invariant on lazy flags */
    uint64_t insn_start;        /* RIP of the instruction being executed (for faults) */
    struct lazy_flags lf;
    struct segment seg[SEG_NSEG];
    uint8_t cpl;                /* current privilege level */
    uint8_t mode;               /* enum cpu_mode */
    uint8_t code_size;          /* 2, 4, 8: default operand/address size of the code segment */
    uint8_t stack_size;         /* 2, 4, 8: SS.B / 64-bit mode stack width */
    bool block_end;             /* a handler asks the run loop to leave the current block */
    bool halted;
    uint8_t intr_shadow;        /* 1 after STI, 2 after MOV SS/POP SS: blocks interrupts for one insn */
    uint8_t stop;               /* enum cpu_stop, set to leave cpu_run() */

    struct cpu_counters ctr;
    /* cpu_run also returns (stop STOP_NONE) at the first block boundary where ctr.cycles >=
     * cycle_limit: the scheduler's round end, lowered when a device event falls due earlier
     * (sim/sched.c). UINT64_MAX (the default) means no limit. */
    uint64_t cycle_limit;
    /* run-loop position: the block being executed and its current instruction, so a fault can
     * retire exactly the instructions before the faulting one (exec.c) */
    const struct insn *blk_first, *blk_cur;

    /* --- system state --- */
    uint64_t cr0, cr2, cr3, cr4, cr8;
    uint64_t dr[8];
    struct dtr gdtr, idtr;
    struct segment ldtr, tr;
    struct cpu_msrs msr;
    uint64_t tsc_offset;        /* TSC = cycles + tsc_offset (virtual time only) */
    bool nmi_pending, nmi_blocked;

    /* exception delivery bookkeeping (SDM Vol. 3 6.15, Table 6-5) */
    int8_t delivering;          /* vector being delivered, or -1 */
    uint8_t fault_vector;
    bool fault_has_error;
    uint32_t fault_error;

    /* --- plumbing --- */
    int id;                     /* logical-processor index (APIC id for now) */
    struct bus *bus;
    struct dcache *dcache;      /* decode cache (shared by all LPs of a machine) */
    const struct cpu_model *model;
    struct tlb *tlb;            /* mmu/tlb.h */
    struct irq_source irq;
    struct lapic *apic;         /* the local APIC (apic/lapic.h), or NULL: no APIC attached */
    struct tracer *trace;       /* the run's trace recorder (traces/tracer.h), or NULL */
    bool wait_sipi;             /* INIT state, waiting for a start-up IPI (also `halted`, IF = 0;
                                 * see cpu/sys_initsipi.c) */
    jmp_buf fault_jmp;          /* cpu_fault() lands here */
    char stop_msg[256];         /* human-readable reason for STOP_TRIPLE_FAULT / unsupported */

    /* --- VMX (cpu/vmx.h): VMX operation, current VMCS and its cached copy --- */
    struct vmx_state vmx;
};

/* Lifecycle. cpu_init zeroes the state and applies the power-on values of SDM Vol. 3 10.1.1
 * (Table 10-1): real mode, CS.sel=0xF000 base=0xFFFF0000, RIP=0xFFF0, RDX=model signature. */
int  cpu_init(struct cpu *c, int id, struct bus *bus, struct dcache *dc, const struct cpu_model *m);
void cpu_destroy(struct cpu *c);
void cpu_power_up_reset(struct cpu *c);

/* INIT and start-up IPI (cpu/sys_initsipi.c, SDM Vol. 3 9.1 Table 9-1 "INIT" column, 8.4.4):
 * cpu_init_signal resets the processor to the INIT state; an application processor (IA32_APIC_BASE
 * BSP = 0) then waits for a SIPI (halted, nothing retires, interrupts ignored), the BSP restarts at
 * the reset vector. cpu_sipi starts a waiting processor in real mode at vector << 12 (CS.sel =
 * vector << 8, IP = 0); a SIPI to a processor not waiting is ignored (returns false). */
void cpu_init_signal(struct cpu *c);
bool cpu_sipi(struct cpu *c, uint8_t vector);

/* The processor's cycle count at this moment, including the instructions of the current block
 * that already executed (exec.c charges a block's cycles when it retires): the local time that a
 * device access in the middle of a block sees. */
static inline uint64_t cpu_cycles_now(const struct cpu *c)
{
    uint64_t cy = c->ctr.cycles;
    if (c->blk_first && c->blk_cur > c->blk_first)
        cy += c->blk_cur[-1].cum_cost;
    return cy;
}

/* Non-faulting MSR access (cpu/sys_msr.c): the MSR as RDMSR would read it / the write WRMSR
 * would make, at CPL 0 and with no VMX intercept; false (and nothing changed) where RDMSR/WRMSR
 * would raise #GP(0). Used by the RDMSR/WRMSR handlers and the VMX MSR lists. */
bool cpu_msr_read(struct cpu *c, uint32_t msr, uint64_t *v);
bool cpu_msr_write(struct cpu *c, uint32_t msr, uint64_t v);

/* Run up to `max_insns` instructions (or until a stop). Returns the number of instructions
 * retired. c->stop says why it stopped early. */
uint64_t cpu_run(struct cpu *c, uint64_t max_insns);

/* Raise an exception from inside instruction execution. Never returns. */
__attribute__((noreturn)) void cpu_fault(struct cpu *c, int vector, uint32_t error_code);
__attribute__((noreturn)) void cpu_fault_noerr(struct cpu *c, int vector);
/* Abandon the current instruction without retiring it and stop the CPU with `why` (the caller
 * has written c->stop_msg). RIP stays at the instruction. Never returns. */
#define FAULT_ABORT 0xff
#define FAULT_VMEXIT 0xfe   /* vmx_exit_raise: perform the VM exit in c->vmx.exit_req (vmx_exit.h) */
__attribute__((noreturn)) void cpu_abort(struct cpu *c, enum cpu_stop why);

/* Recompute mode, code_size, stack_size, cpl after CR0/EFER/CS/SS changes. */
void cpu_update_mode(struct cpu *c);

/* RFLAGS with lazy flags materialized; cpu_set_rflags writes all bits (caller checks privilege). */
uint64_t cpu_get_rflags(struct cpu *c);
void cpu_set_rflags(struct cpu *c, uint64_t v);

/* Put the CPU in a flat mode with a given setup, for tests and the ELF64 loader. */
/* Selectors match cpu_setup_gdt's table: CS 0x08 (64-bit) or 0x28 (32-bit), data 0x10, TR 0x18. */
void cpu_setup_flat64(struct cpu *c, uint64_t cr3);   /* long mode, paging with cr3 */
void cpu_setup_flat32(struct cpu *c);                 /* protected mode, no paging, flat 4G */
/* Write a flat GDT at gdt_pa (null, 0x08 code64, 0x10 data, 0x18 64-bit TSS at gdt_pa+0x100,
 * 0x28 code32) and point GDTR and TR at it. Needs 0x168 bytes of RAM. 0, or -1 if not RAM. */
int cpu_setup_gdt(struct cpu *c, uint64_t gdt_pa);

/* Format the register state for reports (triple fault, tests). Returns bytes written. */
int cpu_dump(const struct cpu *c, char *buf, size_t len);

static inline uint8_t *cpu_reg8h(struct cpu *c, int r) { return (uint8_t *)&c->gpr[r & 3] + 1; }

#ifdef __cplusplus
}
#endif
#endif
