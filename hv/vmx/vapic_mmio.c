/* vapic_mmio.c — the xAPIC page of every VP (SDM Vol. 3 11.4.1: the registers at
 * IA32_APIC_BASE, 16-byte aligned 32-bit registers, table 11-1; docs/HYPERVISOR.md "Virtual
 * local APIC"). The page is in no EPT (the root's APIC page is left out of its identity map; a
 * child's page FEE00000H is not RAM the root gives it), so each access is an EPT violation (SDM
 * Vol. 3 29.3.3.2) that hv/vmx/exit_ept.c sends here, for a child before any intercept message
 * (the page is the VP's APIC, not the root's to emulate): the faulting instruction is decoded
 * by krt_mov_decode (krt/x86_mov.h: the memory forms of MOV with every prefix, REX, 16/32/64-bit
 * code and addressing) to find the register or immediate and the length; a 32-bit access
 * (8B, 89, C7 /0, A1, A3 with a 32-bit operand) goes to the VP's virtual APIC
 * (hv/vapic/vapic.c vapic_read/write).
 *
 * Invariants: runs on the VP's LP with its VMCS current; the guest's RIP advances past the
 * instruction after the access; an instruction that is not a 32-bit MOV of memory (another
 * instruction, another operand size) is #GP(0) with a log line, never a crash. Nothing here
 * touches a physical APIC.
 */
#include "hv/vapic/vapic.h"
#include "hv/vmx/vmx.h"
#include "krt/krt.h"

/* Decode the MOV at the guest's RIP (krt/x86_mov.h) in the mode of its code segment (SDM Vol. 3
 * 3.4.5: CS.L in IA-32e mode, else CS.D); 0, or -1 if it is not a 32-bit access of a form
 * krt_mov_decode knows (11.4.1: the APIC's registers are 32-bit). */
static int decode_mov(struct hv_vp *vp, struct krt_mov *m)
{
    uint8_t b[15];
    uint64_t rip = vmx_read(VMCS_G_RIP), csbase = vmx_read(VMCS_G_CS_BASE);
    uint64_t ar = vmx_read(VMCS_G_CS_AR);
    bool lm = (vmx_read(VMCS_G_EFER) & EFER_LMA) && (ar & (1u << 13));
    enum krt_mov_mode mode = lm ? KRT_MOV_MODE64
                             : (ar & (1u << 14)) ? KRT_MOV_MODE32 : KRT_MOV_MODE16;
    uint64_t lin = lm ? rip : (uint32_t)(csbase + rip);
    /* read what we can up to 15 bytes (the instruction may end before a page boundary) */
    unsigned have = 0;
    while (have < 15 && vmx_guest_read(vp, lin + have, &b[have], 1) == 0)
        have++;
    if (krt_mov_decode(b, have, mode, m) != KRT_MOV_OK || m->size != 4)
        return -1;
    return 0;
}

/* An access of vp to its APIC page at `gpa` (root or child); 0 (keep running the VP). */
int vmx_vapic_mmio(struct hv_vp *vp, uint64_t gpa)
{
    struct krt_mov m;
    if (decode_mov(vp, &m) != 0) {
        hv_log("vmx: partition %lu VP %u: APIC access at RIP %#lx not emulated: #GP\n",
               (unsigned long)vp->part->id, vp->index, (unsigned long)vmx_read(VMCS_G_RIP));
        vmx_inject_exception(VEC_GP, true, 0);
        return 0;
    }
    uint32_t off = (uint32_t)(gpa & 0xFFF) & ~0xFu;
    if (m.store) {
        uint32_t v = m.reg < 0 ? (uint32_t)m.imm
                               : (uint32_t)(m.reg == 4 ? vmx_read(VMCS_G_RSP) : vp->ctx.gpr[m.reg]);
        vapic_write(vp, off, v);
    } else {
        uint32_t v = vapic_read(vp, off);
        if (m.reg == 4)
            vmx_write(VMCS_G_RSP, v);
        else
            vp->ctx.gpr[m.reg] = v;   /* a 32-bit load zero-extends (Vol. 1 3.4.1.1) */
    }
    vmx_write(VMCS_G_RIP, vmx_read(VMCS_G_RIP) + m.len);
    return 0;
}
