/* sys_mode.c — the operating mode and its controls: cpu_update_mode() (mode, code/stack size,
 * CPL), checked writes of CR0/CR3/CR4/CR8 and EFER with IA-32e activation (SDM Vol. 3 2.5,
 * 10.8.5), and CPU-feature queries against the model (CPUID as software sees it).
 *
 * Invariants:
 *  - mode, code_size, stack_size and cpl are functions of CR0.PE, RFLAGS.VM, EFER.LMA and the
 *    CS/SS caches; only cpu_update_mode() computes them.
 *  - EFER.LMA changes only here, when CR0.PG changes with EFER.LME = 1.
 *  - A write that fails a check raises #GP(0) before anything is committed.
 */
#include "apic/lapic.h"
#include "cpu/sys_ctl.h"

#include "cpu/sys_seg.h"
#include "mmu/mmu.h"

/* SDM Vol. 3 2.2 (modes), 3.4.5 (D/B and L), 5.5 (CPL). CPL is CS.RPL in protected modes; it is
 * 0 in real mode and stays 0 across the switch to protected mode until CS is reloaded (the
 * hardware CPL does not come from the real-mode selector); virtual-8086 code runs at CPL 3. */
void cpu_update_mode(struct cpu *c)
{
    const struct segment *cs = &c->seg[SEG_CS];
    uint8_t prev = c->mode;
    if (!(c->cr0 & CR0_PE)) {
        c->mode = MODE_REAL;
        c->cpl = 0;
        c->code_size = (cs->ar & AR_DB) ? 4 : 2;
    } else if (c->rflags & RF_VM && !(c->msr.efer & EFER_LMA)) {
        c->mode = MODE_VM86;
        c->cpl = 3;
        c->code_size = 2;
    } else {
        if ((c->msr.efer & EFER_LMA) && (cs->ar & AR_L)) {
            c->mode = MODE_LONG64;
            c->code_size = 8;
        } else {
            c->mode = (c->msr.efer & EFER_LMA) ? MODE_COMPAT : MODE_PROT;
            c->code_size = (cs->ar & AR_DB) ? 4 : 2;
        }
        c->cpl = prev == MODE_REAL ? 0 : (cs->sel & 3);
    }
    if (c->mode == MODE_LONG64)
        c->stack_size = 8;
    else
        c->stack_size = (c->seg[SEG_SS].ar & AR_DB) ? 4 : 2;
}

/* ------------------------------------------------------------------ CPUID and features */

void sys_cpuid(const struct cpu *c, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    /* IA32_MISC_ENABLE[22] limits the maximum basic leaf reported by leaf 0 to 2 (SDM Vol. 4). */
    if ((c->msr.misc_enable & (1ull << 22)) && leaf > 2 && leaf < 0x80000000u)
        leaf = 2;
    model_cpuid(c->model, leaf, sub, out);
    switch (leaf) {
    case 0:
        if ((c->msr.misc_enable & (1ull << 22)) && out[0] > 2)
            out[0] = 2;
        break;
    case 1:
        /* EBX[31:24] initial APIC id; ECX[27] OSXSAVE mirrors CR4.OSXSAVE (SDM Vol. 2 CPUID) */
        out[1] = (out[1] & 0x00ffffffu) | (uint32_t)(c->id & 0xff) << 24;
        out[2] = (out[2] & ~(1u << 27)) | ((c->cr4 & CR4_OSXSAVE) ? (1u << 27) : 0);
        break;
    case 0x80000001u:
        /* IA32_MISC_ENABLE[34] XD Bit Disable hides NX (SDM Vol. 4 Table 2-2) */
        if (c->msr.misc_enable & (1ull << 34))
            out[3] &= ~(1u << 20);
        break;
    default:
        break;
    }
    lapic_cpuid(c, leaf, sub, out);     /* per-processor APIC fields (apic/lapic_regs.c) */
}

bool sys_has(const struct cpu *c, struct cpuid_feature f)
{
    uint32_t r[4];
    sys_cpuid(c, f.leaf, f.sub, r);
    return (r[f.reg] >> f.bit) & 1;
}

/* ------------------------------------------------------------------ control registers */

#define CR0_WRITABLE (CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_NE | CR0_WP | CR0_AM | CR0_NW | \
                      CR0_CD | CR0_PG)

/* PAE paging in use after the write: the four PDPTEs are loaded and checked (SDM Vol. 3 4.4.1). */
static void check_pdptes(struct cpu *c, uint64_t cr0, uint64_t cr4, uint64_t cr3, bool always)
{
    if (!mmu_pae_paging(cr0, cr4, c->msr.efer))
        return;
    if ((always || mmu_pdptes_reload_needed(c->cr0, c->cr4, cr0, cr4, c->msr.efer)) &&
        mmu_load_pdptes_at(c, cr3) < 0)
        cpu_fault(c, VEC_GP, 0);
}

/* MOV to CR0 (SDM Vol. 2 MOV CR; Vol. 3 2.5 and 10.8.5 for IA-32e activation). Reserved bits
 * 31:0 are ignored, bits 63:32 raise #GP(0); ET is hardwired to 1. */
void sys_write_cr0(struct cpu *c, uint64_t v)
{
    uint64_t old = c->cr0, efer = c->msr.efer;
    if (v >> 32)
        cpu_fault(c, VEC_GP, 0);
    v = (v & CR0_WRITABLE) | CR0_ET;
    if ((v & CR0_PG) && !(v & CR0_PE))
        cpu_fault(c, VEC_GP, 0);
    if ((v & CR0_NW) && !(v & CR0_CD))
        cpu_fault(c, VEC_GP, 0);
    if ((v & CR0_PG) && !(old & CR0_PG) && (efer & EFER_LME)) {
        /* activating IA-32e mode needs PAE and a CS with L = 0 */
        if (!(c->cr4 & CR4_PAE) || (c->seg[SEG_CS].ar & AR_L))
            cpu_fault(c, VEC_GP, 0);
        efer |= EFER_LMA;
    }
    if (!(v & CR0_PG) && (old & CR0_PG)) {
        /* deactivating paging: not from 64-bit mode, not with PCIDs enabled */
        if (c->mode == MODE_LONG64 || (c->cr4 & CR4_PCIDE))
            cpu_fault(c, VEC_GP, 0);
        efer &= ~EFER_LMA;
    }
    if (c->vmx.on)              /* CR0 fixed bits in VMX operation (SDM Vol. 3 23.8) */
        vmx_check_cr_write(c, v, c->cr4);
    if (!(efer & EFER_LMA))
        check_pdptes(c, v, c->cr4, c->cr3, false);
    uint64_t old_efer = c->msr.efer;
    c->cr0 = v;
    c->msr.efer = efer;
    mmu_cr_write(c, old, c->cr3, c->cr4, old_efer);
    cpu_update_mode(c);
    c->block_end = true;
}

uint64_t sys_cr4_valid(const struct cpu *c)
{
    static const struct { uint64_t bit; struct cpuid_feature f; } tab[] = {
        { CR4_VME, F_VME }, { CR4_PVI, F_VME }, { CR4_DE, F_DE }, { CR4_PSE, F_PSE },
        { CR4_PAE, F_PAE }, { CR4_MCE, F_MCE }, { CR4_PGE, F_PGE }, { CR4_OSFXSR, F_FXSR },
        { CR4_OSXMMEXCPT, F_FXSR }, { CR4_UMIP, F_UMIP }, { CR4_LA57, F_LA57 },
        { CR4_VMXE, F_VMX }, { CR4_SMXE, F_SMX }, { CR4_FSGSBASE, F_FSGSBASE },
        { CR4_PCIDE, F_PCID }, { CR4_OSXSAVE, F_XSAVE }, { CR4_SMEP, F_SMEP },
        { CR4_SMAP, F_SMAP }, { CR4_PKE, F_PKU },
    };
    uint64_t m = CR4_TSD | CR4_PCE;   /* architectural on every processor with CR4 */
    /* each (leaf, subleaf) is read once: the table names only a few (VM entry checks call this
     * on every entry) */
    struct { uint32_t leaf, sub, r[4]; } seen[4];
    unsigned nseen = 0;
    for (unsigned k = 0; k < sizeof tab / sizeof tab[0]; k++) {
        const struct cpuid_feature f = tab[k].f;
        unsigned j = 0;
        while (j < nseen && (seen[j].leaf != f.leaf || seen[j].sub != f.sub))
            j++;
        if (j == nseen) {
            if (nseen == sizeof seen / sizeof seen[0]) {     /* not expected: read it directly */
                if (sys_has(c, f))
                    m |= tab[k].bit;
                continue;
            }
            seen[j].leaf = f.leaf;
            seen[j].sub = f.sub;
            sys_cpuid(c, f.leaf, f.sub, seen[j].r);
            nseen++;
        }
        if ((seen[j].r[f.reg] >> f.bit) & 1)
            m |= tab[k].bit;
    }
    return m;
}

/* MOV to CR4 (SDM Vol. 2 MOV CR; Vol. 3 2.5, 4.10.1 for PCIDE). */
void sys_write_cr4(struct cpu *c, uint64_t v)
{
    uint64_t old = c->cr4;
    if (v & ~sys_cr4_valid(c))
        cpu_fault(c, VEC_GP, 0);
    if ((c->msr.efer & EFER_LMA) && !(v & CR4_PAE))
        cpu_fault(c, VEC_GP, 0);
    if ((v & CR4_PCIDE) && !(old & CR4_PCIDE) &&
        ((c->cr3 & 0xfff) || !(c->msr.efer & EFER_LMA)))
        cpu_fault(c, VEC_GP, 0);
    if ((v ^ old) & CR4_LA57 && (c->msr.efer & EFER_LMA))
        cpu_fault(c, VEC_GP, 0);
    if (c->vmx.on)              /* CR4 fixed bits in VMX operation (SDM Vol. 3 23.8) */
        vmx_check_cr_write(c, c->cr0, v);
    check_pdptes(c, c->cr0, v, c->cr3, false);
    c->cr4 = v;
    mmu_cr_write(c, c->cr0, c->cr3, old, c->msr.efer);
    c->block_end = true;
}

/* MOV to CR3 (SDM Vol. 2 MOV CR; Vol. 3 4.10.4.1). In IA-32e mode bits 63:MAXPHYADDR are
 * reserved except bit 63 with CR4.PCIDE = 1, which suppresses the flush and is not stored. */
void sys_write_cr3(struct cpu *c, uint64_t v)
{
    uint64_t old = c->cr3;
    bool noflush = false;
    if (c->msr.efer & EFER_LMA) {
        if (c->cr4 & CR4_PCIDE) {
            noflush = v >> 63;
            v &= ~(1ull << 63);
        }
        if (v >> c->model->max_phys_bits)
            cpu_fault(c, VEC_GP, 0);
    } else {
        v = (uint32_t)v;
    }
    if (mmu_pae_paging(c->cr0, c->cr4, c->msr.efer) && mmu_load_pdptes_at(c, v) < 0)
        cpu_fault(c, VEC_GP, 0);
    c->cr3 = v;
    mmu_cr3_write(c, old, noflush);
    c->block_end = true;
}

/* MOV to CR8: the task-priority register, bits 3:0 (SDM Vol. 3 10.8.6.1); bits 63:4 reserved. */
void sys_write_cr8(struct cpu *c, uint64_t v)
{
    if (v & ~0xfull)
        cpu_fault(c, VEC_GP, 0);
    c->cr8 = v;
    if (c->apic)
        lapic_write_cr8(c->apic, v);    /* CR8 is TPR[7:4] (SDM Vol. 3 10.8.6.1) */
    c->block_end = true;    /* a lower TPR may unmask a pending interrupt */
}

/* The value v is one WRMSR to IA32_EFER accepts (SDM Vol. 4 Table 2-2; Vol. 3 10.8.5): no bit
 * beyond SCE/LME/NXE of the model (LMA is read-only, its written value ignored), and LME not
 * changed while paging is enabled. */
bool sys_efer_ok(const struct cpu *c, uint64_t v)
{
    uint64_t ok = EFER_LMA;
    if (sys_has(c, F_SYSCALL))
        ok |= EFER_SCE;
    if (sys_has(c, F_LM))
        ok |= EFER_LME;
    if (sys_has(c, F_NX))
        ok |= EFER_NXE;
    return !(v & ~ok) && !((c->cr0 & CR0_PG) && ((v ^ c->msr.efer) & EFER_LME));
}

/* WRMSR to IA32_EFER: #GP(0) unless sys_efer_ok. */
void sys_write_efer(struct cpu *c, uint64_t v)
{
    uint64_t old = c->msr.efer;
    if (!sys_efer_ok(c, v))
        cpu_fault(c, VEC_GP, 0);
    v = (v & ~EFER_LMA) | (old & EFER_LMA);
    c->msr.efer = v;
    mmu_cr_write(c, c->cr0, c->cr3, c->cr4, old);
    cpu_update_mode(c);
    c->block_end = true;
}
