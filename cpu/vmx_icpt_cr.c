/* vmx_icpt_cr.c — control- and debug-register accesses in VMX non-root operation: MOV to/from
 * CR0/CR3/CR4/CR8, CLTS, LMSW, SMSW and MOV DR (SDM Vol. 3 25.1.3 "Instructions that cause VM
 * exits conditionally", 25.3 "Changes to instruction behavior"), the CR0/CR4 guest/host masks
 * and read shadows (24.6.6), the CR3-target list (24.6.7), and the TPR shadow for CR8 (29.1.2
 * "TPR virtualization", 29.3 "Virtualizing CR8-based TPR accesses"). Exit qualifications of
 * Tables 27-3 and 27-4.
 *
 * Invariants:
 *  - A bit set in a guest/host mask is owned by the host: the guest reads the read-shadow bit,
 *    a write that would change it relative to the shadow exits, and a write that does not exit
 *    leaves the real bit as it was.
 *  - With "use TPR shadow" and no CR8 exiting, CR8 accesses touch only VTPR (offset 80H of the
 *    virtual-APIC page), never the local APIC; the write clears VTPR bits 3:0 and 31:8.
 *  - The TPR-below-threshold exit after a MOV to CR8 is trap-like: the instruction has completed
 *    (RIP is the next instruction) and the exit reports instruction length 0.
 */
#include "cpu/vmx_intercept.h"

#include "cpu/cpu.h"
#include "cpu/mem.h"
#include "sim/bus.h"

#define CR0_LMSW_BITS 0xfull    /* LMSW loads CR0[3:0] (PE, MP, EM, TS) */

static uint64_t vmcs(const struct cpu *c, enum vmcs_field f) { return c->vmx.vmcs[f]; }

static _Noreturn void cr_exit(struct cpu *c, const struct insn *i, uint64_t qual)
{
    vmx_exit_insn(c, i, VMX_EXIT_CR_ACCESS, qual, 0);
}

/* ------------------------------------------------------------------ predicates */

bool vmx_cr3_load_exits(const struct cpu *c, uint64_t value)
{
    if (!(vmx_proc_ctls(c) & VMX_PROC_CR3_LOAD_EXITING))
        return false;
    /* a count above 4 fails VM entry (26.2.1.1), so at most the four fields hvsim has count */
    uint64_t n = vmcs(c, VMCS_CR3_TARGET_COUNT);
    for (uint64_t k = 0; k < n && k < 4; k++)
        if (vmcs(c, (enum vmcs_field)(VMCS_CR3_TARGET0 + k)) == value)
            return false;
    return true;
}

bool vmx_lmsw_exits(uint64_t mask, uint64_t shadow, uint16_t src)
{
    /* PE (bit 0): LMSW can set it but never clear it, so only setting an owned PE whose shadow
     * is 0 exits; MP, EM, TS (3:1): any owned bit whose new value differs from the shadow */
    if ((mask & src & ~shadow) & CR0_PE)
        return true;
    return ((src ^ shadow) & mask & 0xe) != 0;
}

/* ------------------------------------------------------------------ TPR shadow */

static uint64_t vapic(const struct cpu *c) { return vmcs(c, VMCS_VIRTUAL_APIC_ADDR); }

uint32_t vmx_vtpr(const struct cpu *c)
{
    return (uint32_t)bus_read(c->bus, vapic(c) + VMX_VAPIC_VTPR, 4);
}

bool vmx_tpr_below_threshold(const struct cpu *c)
{
    if (!(vmx_proc_ctls(c) & VMX_PROC_TPR_SHADOW) || (vmx_proc2_ctls(c) & VMX_PROC2_VID))
        return false;
    return ((vmx_vtpr(c) >> 4) & 0xf) < (vmcs(c, VMCS_TPR_THRESHOLD) & 0xf);
}

void vmx_icpt_tpr_after_write(struct cpu *c)
{
    /* 29.1.2: with "virtual-interrupt delivery" 0, a VTPR write is followed by the TPR-threshold
     * check; the exit is trap-like (the instruction completed, RIP is the next one) */
    if (!vmx_tpr_below_threshold(c))
        return;
    struct vmx_exit_req r = { .reason = VMX_EXIT_TPR_BELOW_THRESHOLD };
    c->insn_start = c->rip;
    c->block_end = true;
    vmx_vmexit(c, &r);
}

/* ------------------------------------------------------------------ MOV to / from CR */

bool vmx_icpt_mov_to_cr(struct cpu *c, const struct insn *i, unsigned cr, uint64_t *value)
{
    uint32_t p = vmx_proc_ctls(c);
    uint64_t qual = vmx_qual_cr(cr, VMX_CR_MOV_TO, i->op[1].reg, false, 0);
    uint64_t mask, shadow;
    switch (cr) {
    case 0: case 4:
        mask = vmcs(c, cr ? VMCS_CR4_GUEST_HOST_MASK : VMCS_CR0_GUEST_HOST_MASK);
        shadow = vmcs(c, cr ? VMCS_CR4_READ_SHADOW : VMCS_CR0_READ_SHADOW);
        if (vmx_cr_write_exits(mask, shadow, *value))
            cr_exit(c, i, qual);
        *value = (*value & ~mask) | ((cr ? c->cr4 : c->cr0) & mask);
        return false;
    case 3:
        if (vmx_cr3_load_exits(c, *value))
            cr_exit(c, i, qual);
        return false;
    case 8:
        if (p & VMX_PROC_CR8_LOAD_EXITING)
            cr_exit(c, i, qual);
        if (!(p & VMX_PROC_TPR_SHADOW))
            return false;
        if (*value & ~0xfull)               /* the reserved bits of CR8 (SDM Vol. 2 MOV CR) */
            cpu_fault(c, VEC_GP, 0);
        bus_write(c->bus, vapic(c) + VMX_VAPIC_VTPR, (uint32_t)(*value & 0xf) << 4, 4);
        c->block_end = true;
        vmx_icpt_tpr_after_write(c);
        return true;
    default:
        return false;
    }
}

void vmx_icpt_mov_from_cr(struct cpu *c, const struct insn *i, unsigned cr, uint64_t *value)
{
    uint32_t p = vmx_proc_ctls(c);
    uint64_t qual = vmx_qual_cr(cr, VMX_CR_MOV_FROM, i->op[0].reg, false, 0);
    switch (cr) {
    case 0: *value = vmx_icpt_cr0_read(c, *value); break;
    case 4: *value = vmx_icpt_cr4_read(c, *value); break;
    case 3:
        if (p & VMX_PROC_CR3_STORE_EXITING)
            cr_exit(c, i, qual);
        break;
    case 8:
        if (p & VMX_PROC_CR8_STORE_EXITING)
            cr_exit(c, i, qual);
        if (p & VMX_PROC_TPR_SHADOW)        /* 29.3: bits 3:0 = VTPR[7:4], 63:4 = 0 */
            *value = (vmx_vtpr(c) >> 4) & 0xf;
        break;
    default:
        break;
    }
}

uint64_t vmx_icpt_cr0_read(const struct cpu *c, uint64_t real)
{
    return vmx_cr_read_value(vmcs(c, VMCS_CR0_GUEST_HOST_MASK), vmcs(c, VMCS_CR0_READ_SHADOW),
                             real);
}

uint64_t vmx_icpt_cr4_read(const struct cpu *c, uint64_t real)
{
    return vmx_cr_read_value(vmcs(c, VMCS_CR4_GUEST_HOST_MASK), vmcs(c, VMCS_CR4_READ_SHADOW),
                             real);
}

/* ------------------------------------------------------------------ CLTS, LMSW */

bool vmx_icpt_clts(struct cpu *c, const struct insn *i)
{
    uint64_t mask = vmcs(c, VMCS_CR0_GUEST_HOST_MASK), shadow = vmcs(c, VMCS_CR0_READ_SHADOW);
    if (mask & shadow & CR0_TS)
        cr_exit(c, i, vmx_qual_cr(0, VMX_CR_CLTS, 0, false, 0));
    return !(mask & CR0_TS);    /* 25.3: an owned TS (shadow 0) is left unchanged */
}

/* Linear address of the memory operand, already checked by the operand read (27.2.1: bits
 * 63:32 clear outside 64-bit mode). */
static uint64_t operand_lin(const struct cpu *c, const struct insn *i)
{
    uint64_t ea = insn_ea(c, i);
    if (c->mode == MODE_LONG64)
        return i->seg >= SEG_FS ? c->seg[i->seg].base + ea : ea;
    return (uint32_t)(c->seg[i->seg].base + ea);
}

uint64_t vmx_icpt_lmsw(struct cpu *c, const struct insn *i, uint16_t src, uint64_t value)
{
    uint64_t mask = vmcs(c, VMCS_CR0_GUEST_HOST_MASK), shadow = vmcs(c, VMCS_CR0_READ_SHADOW);
    if (vmx_lmsw_exits(mask, shadow, src)) {
        bool mem = i->op[0].kind == OPK_MEM;
        uint64_t lin = mem ? operand_lin(c, i) : 0;
        struct vmx_exit_req r = {
            .reason = VMX_EXIT_CR_ACCESS,
            .qual = vmx_qual_cr(0, VMX_CR_LMSW, 0, mem, src),
            .gla = lin,
            .insn_len = i->len,
        };
        vmx_exit_raise(c, &r);
    }
    return (value & ~(mask & CR0_LMSW_BITS)) | (c->cr0 & mask & CR0_LMSW_BITS);
}

/* ------------------------------------------------------------------ MOV DR */

void vmx_icpt_mov_dr(struct cpu *c, const struct insn *i, unsigned dr, bool from, unsigned gpr)
{
    if (vmx_proc_ctls(c) & VMX_PROC_MOV_DR_EXITING)
        vmx_exit_insn(c, i, VMX_EXIT_DR_ACCESS, vmx_qual_dr(dr, from, gpr), 0);
}
