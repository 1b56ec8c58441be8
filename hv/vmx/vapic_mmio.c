/* vapic_mmio.c — the xAPIC page of every VP (SDM Vol. 3 11.4.1: the registers at
 * IA32_APIC_BASE, 16-byte aligned 32-bit registers, table 11-1; docs/HYPERVISOR.md "Virtual
 * local APIC"). The page is in no EPT (the root's APIC page is left out of its identity map; a
 * child's page FEE00000H is not RAM the root gives it), so each access is an EPT violation (SDM
 * Vol. 3 29.3.3.2) that hv/vmx/exit_ept.c sends here, for a child before any intercept message
 * (the page is the VP's APIC, not the root's to emulate): the faulting instruction is decoded —
 * MOV r32,m32 8B; MOV m32,r32 89; MOV m32,imm32 C7 /0; MOV EAX,moffs A1; MOV moffs,EAX A3, with
 * operand/address-size, segment, LOCK/REP prefixes and REX — to find the register and the
 * length, and the access goes to the VP's virtual APIC (hv/vapic/vapic.c vapic_read/write).
 *
 * Invariants: runs on the VP's LP with its VMCS current; the guest's RIP advances past the
 * instruction after the access; an instruction that is not one of these forms (or uses 16-bit
 * addressing) is #GP(0) with a log line, never a crash. Nothing here touches a physical APIC.
 */
#include "hv/vapic/vapic.h"
#include "hv/vmx/vmx.h"
#include "krt/krt.h"

/* The MOV at the guest's RIP: its length, the GPR (-1: the immediate) and whether it stores. */
struct vapic_mov { unsigned len; int reg; bool store; uint32_t imm; };

/* Decode it (SDM Vol. 2 chapter 2: prefixes, REX, ModR/M, SIB, displacement); 0, or -1 if it
 * is not a form emulated here. */
static int decode_mov(struct hv_vp *vp, struct vapic_mov *m)
{
    uint8_t b[15];
    uint64_t rip = vmx_read(VMCS_G_RIP), csbase = vmx_read(VMCS_G_CS_BASE);
    bool lm = (vmx_read(VMCS_G_EFER) & EFER_LMA) && (vmx_read(VMCS_G_CS_AR) & (1u << 13));
    bool d32 = lm || (vmx_read(VMCS_G_CS_AR) & (1u << 14));
    uint64_t lin = lm ? rip : (uint32_t)(csbase + rip);
    /* read what we can up to 15 bytes (the instruction may end before a page boundary) */
    unsigned have = 0;
    while (have < 15 && vmx_guest_read(vp, lin + have, &b[have], 1) == 0)
        have++;
    unsigned i = 0, rex = 0;
    bool asz = false;
    while (i < have) {
        uint8_t p = b[i];
        if (p == 0x67) asz = true;
        else if (p == 0x66 || p == 0xF0 || p == 0xF2 || p == 0xF3 || p == 0x26 || p == 0x2E ||
                 p == 0x36 || p == 0x3E || p == 0x64 || p == 0x65) { /* no effect here */ }
        else break;
        i++;
    }
    if (lm && i < have && (b[i] & 0xF0) == 0x40)
        rex = b[i++];
    if (i >= have)
        return -1;
    uint8_t op = b[i++];
    unsigned addr32 = lm ? (asz ? 4 : 8) : ((d32 ^ asz) ? 4 : 2);
    if (op == 0xA1 || op == 0xA3) {
        m->reg = 0;
        m->store = op == 0xA3;
        m->len = i + addr32;
        return m->len <= have ? 0 : -1;
    }
    if (op != 0x89 && op != 0x8B && op != 0xC7)
        return -1;
    if (i >= have || addr32 == 2)
        return -1;   /* 16-bit addressing is not emulated */
    uint8_t modrm = b[i++];
    unsigned mod = modrm >> 6, reg = (modrm >> 3) & 7, rm = modrm & 7;
    if (mod == 3)
        return -1;
    if (rm == 4) {
        if (i >= have)
            return -1;
        uint8_t sib = b[i++];
        if (mod == 0 && (sib & 7) == 5)
            i += 4;
    } else if (mod == 0 && rm == 5) {
        i += 4;
    }
    i += mod == 1 ? 1 : mod == 2 ? 4 : 0;
    m->reg = (int)(reg | ((rex & 4) ? 8 : 0));
    m->store = op != 0x8B;
    if (op == 0xC7) {
        if (reg != 0 || i + 4 > have)
            return -1;
        m->imm = (uint32_t)b[i] | (uint32_t)b[i + 1] << 8 | (uint32_t)b[i + 2] << 16 |
                 (uint32_t)b[i + 3] << 24;
        m->reg = -1;
        i += 4;
    }
    m->len = i;
    return i <= have ? 0 : -1;
}

/* An access of vp to its APIC page at `gpa` (root or child); 0 (keep running the VP). */
int vmx_vapic_mmio(struct hv_vp *vp, uint64_t gpa)
{
    struct vapic_mov m;
    if (decode_mov(vp, &m) != 0) {
        hv_log("vmx: partition %lu VP %u: APIC access at RIP %#lx not emulated: #GP\n",
               (unsigned long)vp->part->id, vp->index, (unsigned long)vmx_read(VMCS_G_RIP));
        vmx_inject_exception(VEC_GP, true, 0);
        return 0;
    }
    uint32_t off = (uint32_t)(gpa & 0xFFF) & ~0xFu;
    if (m.store) {
        uint32_t v = m.reg < 0 ? m.imm : (uint32_t)(m.reg == 4 ? vmx_read(VMCS_G_RSP)
                                                               : vp->ctx.gpr[m.reg]);
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
