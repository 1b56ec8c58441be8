/* sys_msr.c — model-specific registers and the time-stamp counter: RDMSR, WRMSR (SDM Vol. 4
 * chapter 2 for the registers), RDTSC, RDTSCP, RDPID (SDM Vol. 2 pages).
 *
 * Invariants:
 *  - An MSR not in the table raises #GP(0) on RDMSR and WRMSR; a write that sets a reserved bit,
 *    writes a read-only MSR, or puts a non-canonical address in an address MSR raises #GP(0)
 *    with nothing changed.
 *  - cpu_msr_read / cpu_msr_write (declared in cpu/vmx.h) are the same accesses without the
 *    fault: they return false where RDMSR/WRMSR would raise #GP(0), and never longjmp. The
 *    instruction handlers and the VMX MSR-load/-store lists (SDM Vol. 3 27.4, 28.4, 28.6) use
 *    them.
 *  - The TSC is virtual: c->ctr.cycles + c->tsc_offset. Writing IA32_TSC or IA32_TSC_ADJUST
 *    moves the offset; nothing reads host time.
 */
#include "apic/lapic.h"
#include "cpu/ops.h"
#include "cpu/sys_ctl.h"
#include "cpu/sys_ops.h"
#include "cpu/vmx_intercept.h"
#include "mmu/mmu.h"

enum {
    MSR_TSC = 0x10, MSR_PLATFORM_ID = 0x17, MSR_APIC_BASE = 0x1b, MSR_FEATURE_CONTROL = 0x3a,
    MSR_TSC_ADJUST = 0x3b, MSR_PLATFORM_INFO = 0xce, MSR_MTRRCAP = 0xfe,
    MSR_SYSENTER_CS = 0x174, MSR_SYSENTER_ESP = 0x175, MSR_SYSENTER_EIP = 0x176,
    MSR_MISC_ENABLE = 0x1a0, MSR_MTRR_PHYSBASE0 = 0x200, MSR_MTRR_FIX64K = 0x250,
    MSR_MTRR_FIX16K_80000 = 0x258, MSR_MTRR_FIX16K_A0000 = 0x259, MSR_MTRR_FIX4K_C0000 = 0x268,
    MSR_PAT = 0x277, MSR_MTRR_DEF_TYPE = 0x2ff,
    MSR_EFER = 0xc0000080u, MSR_STAR = 0xc0000081u, MSR_LSTAR = 0xc0000082u,
    MSR_CSTAR = 0xc0000083u, MSR_FMASK = 0xc0000084u, MSR_FS_BASE = 0xc0000100u,
    MSR_GS_BASE = 0xc0000101u, MSR_KERNEL_GS_BASE = 0xc0000102u, MSR_TSC_AUX = 0xc0000103u,
};

/* The local APIC's MSRs (apic/lapic_regs.c): x2APIC registers 0x800-0x8FF (SDM Vol. 3 10.12.1)
 * and IA32_TSC_DEADLINE (10.5.4.1, present when CPUID.1:ECX[24] says so). #GP without an APIC. */
#define F_TSC_DEADLINE FEAT(1, 0, CPUID_ECX, 24)
static bool apic_msr(uint32_t msr)
{
    return (msr >= 0x800 && msr <= 0x8ff) || msr == MSR_IA32_TSC_DEADLINE;
}
static bool apic_msr_present(const struct cpu *c, uint32_t msr)
{
    return c->apic && (msr != MSR_IA32_TSC_DEADLINE || sys_has(c, F_TSC_DEADLINE));
}

/* IA32_MISC_ENABLE (SDM Vol. 4 Table 2-2): writable bits and bits that read as 1. */
#define MISC_WRITABLE ((1ull << 0) | (1ull << 3) | (1ull << 16) | (1ull << 18) | (1ull << 22) | \
                       (1ull << 23) | (1ull << 34))
#define MISC_READ_ONE ((1ull << 11) | (1ull << 12))   /* BTS and PEBS unavailable */

/* Cycles so far: retired blocks plus the instructions of the current block before this one
 * (the run loop retires a block's cycles at its end, see exec.c). */
static uint64_t cycles_now(const struct cpu *c)
{
    uint64_t cy = c->ctr.cycles;
    if (c->blk_first && c->blk_cur > c->blk_first)
        cy += c->blk_cur[-1].cum_cost;
    return cy;
}

static uint64_t tsc_now(const struct cpu *c) { return cycles_now(c) + c->tsc_offset; }

/* Memory types valid in PAT entries and MTRRs (SDM Vol. 3 11.12.2, 11.11.2.2). */
static bool valid_pat_type(unsigned t) { return t <= 7 && t != 2 && t != 3; }
static bool valid_mtrr_type(unsigned t) { return t <= 6 && t != 2 && t != 3; }

static bool all_bytes_valid(uint64_t v, bool (*ok)(unsigned))
{
    for (int k = 0; k < 8; k++)
        if (!ok((unsigned)(v >> (8 * k)) & 0xff))
            return false;
    return true;
}

static uint64_t phys_mask(const struct cpu *c)
{
    return (1ull << c->model->max_phys_bits) - 1;
}

/* Fixed-range MTRR index for msr, or -1 (SDM Vol. 3 Table 11-9). */
static int mtrr_fix_index(uint32_t msr)
{
    if (msr == MSR_MTRR_FIX64K)
        return 0;
    if (msr == MSR_MTRR_FIX16K_80000 || msr == MSR_MTRR_FIX16K_A0000)
        return 1 + (int)(msr - MSR_MTRR_FIX16K_80000);
    if (msr >= MSR_MTRR_FIX4K_C0000 && msr <= MSR_MTRR_FIX4K_C0000 + 7)
        return 3 + (int)(msr - MSR_MTRR_FIX4K_C0000);
    return -1;
}

/* Value of an MSR; false if the MSR does not exist on this model. */
static bool msr_read(struct cpu *c, uint32_t msr, uint64_t *v)
{
    const struct cpu_msrs *m = &c->msr;
    int fix = mtrr_fix_index(msr);
    if (fix >= 0 && sys_has(c, F_MTRR)) {
        *v = m->mtrr_fix[fix];
        return true;
    }
    if (msr >= MSR_MTRR_PHYSBASE0 && msr < MSR_MTRR_PHYSBASE0 + 2 * CPU_NMSR_MTRR_VAR &&
        sys_has(c, F_MTRR)) {
        unsigned n = (msr - MSR_MTRR_PHYSBASE0) / 2;
        *v = (msr & 1) ? m->mtrr_var_mask[n] : m->mtrr_var_base[n];
        return true;
    }
    if (apic_msr(msr))
        return apic_msr_present(c, msr) && lapic_msr_read(c->apic, msr, v);
    if (vmx_msr(msr))           /* VMX capability MSRs 0x480-0x491, read-only (cpu/vmx_caps.c) */
        return vmx_msr_read(c, msr, v);
    switch (msr) {
    case MSR_TSC: *v = tsc_now(c) + vmx_tsc_offset(c); return true;   /* SDM Vol. 3 25.3 */
    case MSR_PLATFORM_ID: *v = 0; return true;
    case MSR_APIC_BASE: *v = m->apic_base; return true;
    case MSR_FEATURE_CONTROL: *v = m->feature_control; return true;
    case MSR_TSC_ADJUST:
        if (!sys_has(c, F_TSC_ADJ))
            return false;
        *v = m->tsc_adjust;
        return true;
    case MSR_PLATFORM_INFO:
        /* maximum non-turbo ratio (bits 15:8) of the 100 MHz bus clock */
        *v = (c->model->tsc_hz / 100000000u & 0xff) << 8;
        return true;
    case MSR_MTRRCAP:
        if (!sys_has(c, F_MTRR))
            return false;
        *v = CPU_NMSR_MTRR_VAR | (1u << 8) | (1u << 10);   /* VCNT, FIX, WC (SDM 11.11.1) */
        return true;
    case MSR_SYSENTER_CS: *v = m->sysenter_cs; return sys_has(c, F_SEP);
    case MSR_SYSENTER_ESP: *v = m->sysenter_esp; return sys_has(c, F_SEP);
    case MSR_SYSENTER_EIP: *v = m->sysenter_eip; return sys_has(c, F_SEP);
    case MSR_MISC_ENABLE: *v = m->misc_enable | MISC_READ_ONE; return true;
    case MSR_PAT: *v = m->pat; return sys_has(c, F_PAT);
    case MSR_MTRR_DEF_TYPE: *v = m->mtrr_def_type; return sys_has(c, F_MTRR);
    case MSR_EFER: *v = m->efer; return true;
    case MSR_STAR: *v = m->star; return true;
    case MSR_LSTAR: *v = m->lstar; return true;
    case MSR_CSTAR: *v = m->cstar; return true;
    case MSR_FMASK: *v = m->fmask; return true;
    case MSR_FS_BASE: *v = c->seg[SEG_FS].base; return true;
    case MSR_GS_BASE: *v = c->seg[SEG_GS].base; return true;
    case MSR_KERNEL_GS_BASE: *v = m->kernel_gs_base; return true;
    case MSR_TSC_AUX: *v = m->tsc_aux; return sys_has(c, F_RDTSCP) || sys_has(c, F_RDPID);
    default: return false;
    }
}

static _Noreturn void gp0(struct cpu *c) { cpu_fault(c, VEC_GP, 0); }


/* Store v in *dst if it is canonical; false (nothing stored) otherwise. */
static bool set_canonical(const struct cpu *c, uint64_t *dst, uint64_t v)
{
    if (!sys_canonical(c, v))
        return false;
    *dst = v;
    return true;
}

/* Write an MSR with its checks; false (nothing changed) where WRMSR raises #GP(0): unknown
 * MSRs, read-only MSRs, reserved bits, non-canonical addresses. */
static bool msr_write(struct cpu *c, uint32_t msr, uint64_t v)
{
    struct cpu_msrs *m = &c->msr;
    uint64_t dummy;
    if (apic_msr(msr)) {        /* checked and applied by the APIC (write-only ones included) */
        if (!apic_msr_present(c, msr) || !lapic_msr_write(c->apic, msr, v))
            return false;
        return true;
    }
    if (!msr_read(c, msr, &dummy))
        return false;
    int fix = mtrr_fix_index(msr);
    if (fix >= 0) {
        if (!all_bytes_valid(v, valid_mtrr_type))
            return false;
        m->mtrr_fix[fix] = v;
        return true;
    }
    if (msr >= MSR_MTRR_PHYSBASE0 && msr < MSR_MTRR_PHYSBASE0 + 2 * CPU_NMSR_MTRR_VAR) {
        unsigned n = (msr - MSR_MTRR_PHYSBASE0) / 2;
        if (msr & 1) {          /* PHYSMASK: bit 11 valid, 12..MAXPHYADDR-1 mask */
            if (v & ~(phys_mask(c) & ~0x7ffull))
                return false;
            m->mtrr_var_mask[n] = v;
        } else {                /* PHYSBASE: type 7:0, 12..MAXPHYADDR-1 base */
            if ((v & ~(phys_mask(c) & ~0xf00ull)) || !valid_mtrr_type(v & 0xff))
                return false;
            m->mtrr_var_base[n] = v;
        }
        return true;
    }
    switch (msr) {
    case MSR_TSC: {
        /* SDM Vol. 3 17.17.3: a TSC write also moves IA32_TSC_ADJUST by the same amount */
        uint64_t old = tsc_now(c);
        c->tsc_offset = v - cycles_now(c);
        m->tsc_adjust += v - old;
        return true;
    }
    case MSR_TSC_ADJUST:
        c->tsc_offset += v - m->tsc_adjust;
        m->tsc_adjust = v;
        return true;
    case MSR_APIC_BASE: {
        /* BSP (bit 8) is read-only; EN (11); base 12..MAXPHYADDR-1; x2APIC (10) only if CPUID
         * reports it */
        uint64_t ok = (1ull << 8) | (1ull << 11) | (phys_mask(c) & ~0xfffull);
        if (sys_has(c, F_X2APIC))
            ok |= 1ull << 10;
        if (v & ~ok)
            return false;
        v = (v & ~(1ull << 8)) | (m->apic_base & (1ull << 8));
        /* with a local APIC: mode transitions and relocation (SDM Vol. 3 10.12.5) */
        if (c->apic && !lapic_write_apic_base(c->apic, v))
            return false;
        m->apic_base = v;
        return true;
    }
    case MSR_FEATURE_CONTROL: {
        /* lock (0), VMX inside/outside SMX (1, 2) when VMX is reported, bit 1 only with SMX
         * (SDM Vol. 3 23.7); locked: read-only */
        uint64_t ok = 1;
        if (sys_has(c, F_VMX))
            ok |= sys_has(c, F_SMX) ? 6 : 4;
        if ((m->feature_control & 1) || (v & ~ok))
            return false;
        m->feature_control = v;
        return true;
    }
    case MSR_PLATFORM_ID:
    case MSR_PLATFORM_INFO:
    case MSR_MTRRCAP:
        return false;
    case MSR_SYSENTER_CS:
        if (v >> 32)
            return false;
        m->sysenter_cs = v;
        return true;
    case MSR_SYSENTER_ESP: return set_canonical(c, &m->sysenter_esp, v);
    case MSR_SYSENTER_EIP: return set_canonical(c, &m->sysenter_eip, v);
    case MSR_MISC_ENABLE:
        if (v & ~(MISC_WRITABLE | MISC_READ_ONE | (1ull << 7)))
            return false;
        m->misc_enable = v & MISC_WRITABLE;
        return true;
    case MSR_PAT:
        if (!all_bytes_valid(v, valid_pat_type))
            return false;
        m->pat = v;
        mmu_flush_all(c, true);     /* cached memory types change (SDM Vol. 3 11.12.4) */
        return true;
    case MSR_MTRR_DEF_TYPE:
        if ((v & ~0xcffull) || !valid_mtrr_type(v & 0xff))
            return false;
        m->mtrr_def_type = v;
        return true;
    case MSR_EFER:
        if (!sys_efer_ok(c, v))
            return false;
        sys_write_efer(c, v);
        return true;
    case MSR_STAR: m->star = v; return true;
    case MSR_LSTAR: return set_canonical(c, &m->lstar, v);
    case MSR_CSTAR: return set_canonical(c, &m->cstar, v);
    case MSR_FMASK:
        if (v >> 32)
            return false;
        m->fmask = v;
        return true;
    case MSR_FS_BASE: return set_canonical(c, &c->seg[SEG_FS].base, v);
    case MSR_GS_BASE: return set_canonical(c, &c->seg[SEG_GS].base, v);
    case MSR_KERNEL_GS_BASE: return set_canonical(c, &m->kernel_gs_base, v);
    case MSR_TSC_AUX:
        if (v >> 32)
            return false;
        m->tsc_aux = v;
        return true;
    default:
        return false;
    }
}

bool cpu_msr_read(struct cpu *c, uint32_t msr, uint64_t *v)
{
    *v = 0;
    return msr_read(c, msr, v);
}

bool cpu_msr_write(struct cpu *c, uint32_t msr, uint64_t v)
{
    return msr_write(c, msr, v);
}

static void op_rdmsr(struct cpu *c, const struct insn *i)
{
    sys_need_cpl0(c);
    if (c->vmx.nonroot)         /* MSR bitmaps (SDM Vol. 3 25.1.3) */
        vmx_icpt_msr(c, i, false);
    uint64_t v;
    if (!cpu_msr_read(c, (uint32_t)c->gpr[R_RCX], &v))
        gp0(c);
    c->gpr[R_RAX] = (uint32_t)v;
    c->gpr[R_RDX] = v >> 32;
}

static void op_wrmsr(struct cpu *c, const struct insn *i)
{
    sys_need_cpl0(c);
    if (c->vmx.nonroot)         /* MSR bitmaps (SDM Vol. 3 25.1.3) */
        vmx_icpt_msr(c, i, true);
    uint64_t v = (uint32_t)c->gpr[R_RAX] | c->gpr[R_RDX] << 32;
    if (!cpu_msr_write(c, (uint32_t)c->gpr[R_RCX], v))
        gp0(c);
    c->block_end = true;
}

/* RDTSC: #GP(0) at CPL > 0 when CR4.TSD = 1 (SDM Vol. 2 RDTSC). */
static void op_rdtsc(struct cpu *c, const struct insn *i)
{
    if ((c->cr4 & CR4_TSD) && c->cpl > 0)
        gp0(c);
    if (c->vmx.nonroot)         /* "RDTSC exiting" (25.1.3), TSC offsetting (25.3) */
        vmx_icpt_rdtsc(c, i, i->id == X86_INS_RDTSCP);
    uint64_t t = tsc_now(c) + vmx_tsc_offset(c);
    c->gpr[R_RAX] = (uint32_t)t;
    c->gpr[R_RDX] = t >> 32;
}

static void op_rdtscp(struct cpu *c, const struct insn *i)
{
    if (!sys_has(c, F_RDTSCP))
        cpu_fault_noerr(c, VEC_UD);
    if (c->vmx.nonroot)         /* "enable RDTSCP" (SDM Vol. 3 25.3) */
        vmx_icpt_rdtscp_ud(c);
    op_rdtsc(c, i);
    c->gpr[R_RCX] = (uint32_t)c->msr.tsc_aux;
}

/* F3 0F C7 /7 with a register operand is RDPID; without F3 it is RDSEED, which this model does
 * not report (#UD). Capstone 4.0.2 decodes both as RDSEED and drops the F3 prefix, so the
 * prefix bytes are read back from the instruction. */
static bool has_f3_prefix(struct cpu *c, const struct insn *i)
{
    if (i->pfx & PFX_REP)
        return true;
    for (unsigned k = 0; k + 1 < i->len; k++) {
        unsigned b = (unsigned)sys_insn_bytes(c, k, 1);
        if (b == 0xf3)
            return true;
        bool legacy = b == 0x66 || b == 0x67 || b == 0xf2 || b == 0xf0 || b == 0x2e ||
                      b == 0x36 || b == 0x3e || b == 0x26 || b == 0x64 || b == 0x65;
        bool rex = c->mode == MODE_LONG64 && (b & 0xf0) == 0x40;
        if (!legacy && !rex)
            break;
    }
    return false;
}

static void op_rdseed_rdpid(struct cpu *c, const struct insn *i)
{
    if (i->op[0].kind != OPK_REG || ((i->modrm >> 3) & 7) != 7 || !has_f3_prefix(c, i) ||
        !sys_has(c, F_RDPID))
        cpu_fault_noerr(c, VEC_UD);
    /* RDPID r32/r64: IA32_TSC_AUX; 64-bit register in 64-bit mode (SDM Vol. 2 RDPID) */
    reg_write(c, i->op[0].reg, c->msr.tsc_aux, c->mode == MODE_LONG64 ? 8 : 4);
}

static int sel_nolock(struct insn *i)
{
    return (i->pfx & PFX_LOCK) ? -1 : 0;
}

void sys_msr_register(void)
{
    op_reg(X86_INS_RDMSR, op_rdmsr, sel_nolock, CLS_SERIAL);
    op_reg(X86_INS_WRMSR, op_wrmsr, sel_nolock, CLS_SERIAL);
    op_reg(X86_INS_RDTSC, op_rdtsc, sel_nolock, CLS_SYSTEM);
    op_reg(X86_INS_RDTSCP, op_rdtscp, sel_nolock, CLS_SYSTEM);
    op_reg(X86_INS_RDSEED, op_rdseed_rdpid, sel_nolock, CLS_SYSTEM);
}
