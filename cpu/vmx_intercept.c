/* vmx_intercept.c — the common part of the instruction intercepts of VMX non-root operation: the
 * VM-exit instruction-information field and displacement qualification (SDM Vol. 3 24.9.4,
 * 27.2.1), the controls as they act, and the intercepts that depend only on one control (CPUID,
 * GETSEC-free unconditional exits, HLT, INVD, INVLPG, INVPCID, RDPMC, RDTSC/RDTSCP and TSC
 * offsetting, WBINVD, XSETBV, MONITOR, MWAIT, PAUSE and PAUSE-loop exiting, the descriptor-table
 * instructions and the VMX instructions). CR/DR accesses and the TPR shadow are in
 * vmx_icpt_cr.c, I/O and MSR bitmaps in vmx_icpt_io.c.
 *
 * Invariants: see vmx_intercept.h. Every hook is called only in VMX non-root operation, after
 * the faults that take priority over the exit (25.1.1), and either exits (never returns) or
 * returns with nothing changed.
 */
#include "cpu/vmx_intercept.h"

#include "cpu/cpu.h"
#include "cpu/mem.h"
#include "cpu/ops.h"

/* ------------------------------------------------------------------ controls (24.6.2) */

uint32_t vmx_proc_ctls(const struct cpu *c)
{
    return (uint32_t)c->vmx.vmcs[VMCS_PROC_CONTROLS];
}

uint32_t vmx_proc2_ctls(const struct cpu *c)
{
    if (!(vmx_proc_ctls(c) & VMX_PROC_SECONDARY))
        return 0;
    return (uint32_t)c->vmx.vmcs[VMCS_PROC_CONTROLS2];
}

/* ------------------------------------------------------------------ instruction information */

/* Address-size encoding of bits 9:7 (Tables 24-13 to 24-19): 0 16-bit, 1 32-bit, 2 64-bit. */
static uint32_t asize_code(unsigned asz) { return asz == 8 ? 2 : asz == 4 ? 1 : 0; }

static int mem_operand(const struct insn *i)
{
    for (int k = 0; k < i->nops && k < 3; k++)
        if (i->op[k].kind == OPK_MEM)
            return k;
    return -1;
}

/* The register in the ModRM r/m position of a register-form instruction: the register operand
 * that is not Reg2 (if both name the same register, either). */
static unsigned rm_register(const struct insn *i, int reg2)
{
    int found = -1;
    for (int k = 0; k < i->nops && k < 3; k++) {
        if (i->op[k].kind != OPK_REG)
            continue;
        if (reg2 < 0 || i->op[k].reg != (unsigned)reg2)
            return i->op[k].reg;
        found = i->op[k].reg;
    }
    return found < 0 ? 0 : (unsigned)found;
}

uint32_t vmx_insn_info(const struct cpu *c, const struct insn *i, int reg2)
{
    (void)c;
    uint32_t v = reg2 >= 0 ? VMX_II_REG2(reg2) : 0;
    if (mem_operand(i) < 0)
        return v | VMX_II_REGFORM | VMX_II_REG1(rm_register(i, reg2));
    v |= VMX_II_ASIZE(asize_code(i->asz)) | VMX_II_SEG(i->seg);
    if (i->index != MEM_NOREG)
        v |= VMX_II_SCALE(i->scale) | VMX_II_INDEX(i->index);
    else
        v |= VMX_II_INDEX_INVALID;
    if (i->base != MEM_NOREG && i->base != MEM_RIP)
        v |= VMX_II_BASE(i->base);
    else
        v |= VMX_II_BASE_INVALID;   /* no base, or RIP-relative (the RIP is in the qualification) */
    return v;
}

uint64_t vmx_insn_disp(const struct cpu *c, const struct insn *i)
{
    if (mem_operand(i) < 0)
        return 0;
    uint64_t d = (uint64_t)i->disp;             /* already sign-extended to 64 bits */
    return i->base == MEM_RIP ? d + c->rip : d;
}

uint32_t vmx_insn_info_io(const struct insn *i, bool outs)
{
    /* Table 24-13: the segment is undefined for INS (ES is implied): 0 there */
    return VMX_II_ASIZE(asize_code(i->asz)) | (outs ? VMX_II_SEG(i->seg) : 0);
}

/* ------------------------------------------------------------------ simple intercepts */

/* The instruction-caused exit with a qualification and instruction information. */
static _Noreturn void icpt_exit(struct cpu *c, const struct insn *i, enum vmx_exit_reason r,
                                uint64_t qual, uint32_t info)
{
    vmx_exit_insn(c, i, (uint32_t)r, qual, info);
}

/* 25.1.2 (unconditional: CPUID, INVD, XSETBV) and 25.1.3 (one control each). */
void vmx_icpt_simple(struct cpu *c, const struct insn *i, enum vmx_exit_reason reason)
{
    uint32_t p = vmx_proc_ctls(c);
    bool exit;
    switch (reason) {
    case VMX_EXIT_CPUID: case VMX_EXIT_INVD: case VMX_EXIT_XSETBV:
        exit = true;
        break;
    case VMX_EXIT_HLT:     exit = p & VMX_PROC_HLT_EXITING; break;
    case VMX_EXIT_RDPMC:   exit = p & VMX_PROC_RDPMC_EXITING; break;
    case VMX_EXIT_MONITOR: exit = p & VMX_PROC_MONITOR_EXITING; break;
    case VMX_EXIT_MWAIT:   exit = p & VMX_PROC_MWAIT_EXITING; break;
    case VMX_EXIT_WBINVD:  exit = vmx_proc2_ctls(c) & VMX_PROC2_WBINVD_EXITING; break;
    default:               exit = false; break;
    }
    /* 28.2.1 (Table 28-1): the MWAIT qualification's bit 0 is 1 if the monitor was armed */
    if (exit)
        icpt_exit(c, i, reason, reason == VMX_EXIT_MWAIT && c->vmx.monitor_armed, 0);
}

void vmx_icpt_rdtscp_ud(struct cpu *c)
{
    /* 25.3: RDTSCP is #UD in non-root operation unless "enable RDTSCP" */
    if (!(vmx_proc2_ctls(c) & VMX_PROC2_ENABLE_RDTSCP))
        cpu_fault_noerr(c, VEC_UD);
}

void vmx_icpt_rdtsc(struct cpu *c, const struct insn *i, bool rdtscp)
{
    if (vmx_proc_ctls(c) & VMX_PROC_RDTSC_EXITING)
        icpt_exit(c, i, rdtscp ? VMX_EXIT_RDTSCP : VMX_EXIT_RDTSC, 0, 0);
}

uint64_t vmx_tsc_offset(const struct cpu *c)
{
    if (!c->vmx.nonroot || !(vmx_proc_ctls(c) & VMX_PROC_USE_TSC_OFFSETTING))
        return 0;
    return c->vmx.vmcs[VMCS_TSC_OFFSET];
}

/* INVLPG (25.1.3; qualification 27.2.1: the linear-address operand, 63:32 clear outside 64-bit
 * mode). */
void vmx_icpt_invlpg(struct cpu *c, const struct insn *i, uint64_t lin)
{
    if (vmx_proc_ctls(c) & VMX_PROC_INVLPG_EXITING)
        icpt_exit(c, i, VMX_EXIT_INVLPG, c->mode == MODE_LONG64 ? lin : (uint32_t)lin, 0);
}

/* INVPCID (25.3: #UD unless "enable INVPCID"; 25.1.3: exits with "INVLPG exiting" when enabled).
 * Instruction information as Table 24-14 with Reg2 = the type register. */
void vmx_icpt_invpcid_ud(struct cpu *c)
{
    if (!(vmx_proc2_ctls(c) & VMX_PROC2_ENABLE_INVPCID))
        cpu_fault_noerr(c, VEC_UD);
}

void vmx_icpt_invpcid(struct cpu *c, const struct insn *i)
{
    if (vmx_proc_ctls(c) & VMX_PROC_INVLPG_EXITING)
        icpt_exit(c, i, VMX_EXIT_INVPCID, vmx_insn_disp(c, i),
                  vmx_insn_info(c, i, i->op[0].reg));
}

/* ------------------------------------------------------------------ PAUSE (25.1.3) */

bool vmx_ple_pause(struct vmx_ple_state *s, uint64_t now, uint32_t gap, uint32_t window)
{
    /* a PAUSE more than PLE_Gap after the previous one (or the first after VM entry) is the
     * first of a new loop; otherwise exit once the loop has lasted more than PLE_Window */
    bool exit = false;
    if (!s->valid || now - s->last > gap)
        s->first = now;
    else if (now - s->first > window)
        exit = true;
    s->last = now;
    s->valid = true;
    return exit;
}

void vmx_icpt_pause(struct cpu *c, const struct insn *i, struct vmx_ple_state *s)
{
    if (vmx_proc_ctls(c) & VMX_PROC_PAUSE_EXITING)
        icpt_exit(c, i, VMX_EXIT_PAUSE, 0, 0);
    /* PAUSE-loop exiting acts only at CPL 0 and only when "PAUSE exiting" is 0; time is the TSC
     * (virtual cycles; the TSC offset cancels out of the differences) */
    if (s && c->cpl == 0 && (vmx_proc2_ctls(c) & VMX_PROC2_PLE) &&
        vmx_ple_pause(s, cpu_cycles_now(c), (uint32_t)c->vmx.vmcs[VMCS_PLE_GAP],
                      (uint32_t)c->vmx.vmcs[VMCS_PLE_WINDOW]))
        icpt_exit(c, i, VMX_EXIT_PAUSE, 0, 0);
}

/* ------------------------------------------------------------------ descriptor tables */

/* LGDT, LIDT, SGDT, SIDT (exit 46, Table 24-15) and LLDT, LTR, SLDT, STR (exit 47, Table 24-16)
 * with "descriptor-table exiting" (25.1.3). Qualification: the displacement (27.2.1). */
static bool desc_gdt_idt(const struct insn *i)
{
    return i->id == X86_INS_SGDT || i->id == X86_INS_SIDT || i->id == X86_INS_LGDT ||
           i->id == X86_INS_LIDT;
}

uint32_t vmx_insn_info_desc(const struct cpu *c, const struct insn *i)
{
    unsigned ident;
    bool gdt_idt = true;
    switch (i->id) {
    case X86_INS_SGDT: ident = 0; break;
    case X86_INS_SIDT: ident = 1; break;
    case X86_INS_LGDT: ident = 2; break;
    case X86_INS_LIDT: ident = 3; break;
    case X86_INS_SLDT: ident = 0; gdt_idt = false; break;
    case X86_INS_STR:  ident = 1; gdt_idt = false; break;
    case X86_INS_LLDT: ident = 2; gdt_idt = false; break;
    default:           ident = 3; gdt_idt = false; break;   /* LTR */
    }
    uint32_t info = vmx_insn_info(c, i, VMX_II_NO_REG2) | VMX_II_IDENT(ident);
    /* bit 11, operand size (Table 24-15): 32-bit code without 66H or 16-bit code with it;
     * undefined (0) in 64-bit mode */
    if (gdt_idt && c->mode != MODE_LONG64 && (c->code_size == 4) != !!(i->pfx & PFX_OPSIZE))
        info |= VMX_II_OSIZE32;
    return info;
}

void vmx_icpt_desc(struct cpu *c, const struct insn *i)
{
    if (vmx_proc2_ctls(c) & VMX_PROC2_DESC_TABLE_EXITING)
        icpt_exit(c, i, desc_gdt_idt(i) ? VMX_EXIT_GDTR_IDTR : VMX_EXIT_LDTR_TR,
                  vmx_insn_disp(c, i), vmx_insn_info_desc(c, i));
}

/* ------------------------------------------------------------------ VMX instructions */

/* 25.1.2: VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE, VMXOFF, VMXON exit unconditionally in
 * non-root operation (VMREAD/VMWRITE would consult the VMCS-shadowing bitmaps, not offered).
 * Instruction information: Table 24-18 (VMCLEAR, VMPTRLD, VMPTRST, VMXON), Table 24-19 (VMREAD:
 * Reg2 = the field-encoding source; VMWRITE: Reg2 = the field-encoding register); VMXOFF has none. */
void vmx_icpt_vmx_insn(struct cpu *c, const struct insn *i, enum vmx_exit_reason reason)
{
    uint32_t info = 0;
    uint64_t qual = 0;
    switch (reason) {
    case VMX_EXIT_VMCLEAR: case VMX_EXIT_VMPTRLD: case VMX_EXIT_VMPTRST: case VMX_EXIT_VMXON:
        info = vmx_insn_info(c, i, VMX_II_NO_REG2);
        qual = vmx_insn_disp(c, i);
        break;
    case VMX_EXIT_VMREAD:
        info = vmx_insn_info(c, i, i->op[1].reg);
        qual = vmx_insn_disp(c, i);
        break;
    case VMX_EXIT_VMWRITE:
        info = vmx_insn_info(c, i, i->op[0].reg);
        qual = vmx_insn_disp(c, i);
        break;
    default:
        break;
    }
    icpt_exit(c, i, reason, qual, info);
}
