/* exit_ept.c — EPT violations (SDM Vol. 3 29.3.3.2, exit qualification table 27-7) and the
 * root partition's virtual xAPIC (SDM Vol. 3 chapter 11: the registers a root kernel needs:
 * ID, version, TPR, EOI, LDR, DFR, SVR, ICR; docs/HYPERVISOR.md "Running VPs").
 *
 * The root's local-APIC page is absent from its EPT, so every access exits here; the faulting
 * instruction is decoded (MOV r32,m32 8B; MOV m32,r32 89; MOV m32,imm32 C7 /0; MOV EAX,moffs
 * A1; MOV moffs,EAX A3 — with operand/address-size, segment, LOCK/REP prefixes and REX) to get
 * the register and the length, then emulated. Any other unmapped GPA of the root (the
 * hypervisor's memory, a deposited page) gives the root #GP(0); a child's EPT violation is an
 * intercept message to the root (HVMSG_UNMAPPED_GPA, or HVMSG_GPA_INTERCEPT for a page mapped
 * without the access's permission), the VP INTERCEPT_SUSPENDED.
 *
 * Invariants: TPR is vp->ctx.cr8 (<< 4), shared with MOV CR8; EOI is a no-op (the hypervisor
 * EOIs the physical APIC when the interrupt arrives); the ICR delivers fixed interrupts to the
 * root's own VPs only, through vp_raise_irq; nothing here touches the physical APIC.
 */
#include "hv/vmx/vmx.h"
#include "krt/krt.h"

uint64_t vmx_root_apic_gpa = 0xFEE00000ull;

struct vapic { bool init; uint32_t ldr, dfr, svr, icr_hi, esr; };
static struct vapic vapic[HV_MAX_VPS];

struct hv_vp *vmx_root_vp_of_lp(uint32_t lp);
unsigned vmx_insn_bytes(struct hv_vp *vp, uint8_t buf[16]);   /* exit.c */

static struct hv_vp *root_vp_by_apic_id(uint32_t apic_id)
{
    for (uint32_t k = 0; k < hv_nlps; k++)
        if (hv_lps[k].apic_id == apic_id)
            return vmx_root_vp_of_lp(k);
    return NULL;
}

static void icr_write(struct hv_vp *vp, struct vapic *a, uint32_t lo)
{
    uint32_t mode = (lo >> 8) & 7, shorthand = (lo >> 18) & 3;
    uint8_t vec = (uint8_t)lo;
    if (mode != 0) {   /* INIT / SIPI / NMI / SMI...: the root starts VPs by hypercall */
        if (mode != 5 && mode != 6)
            hv_log("vmx: root VP %u: ICR delivery mode %u ignored\n", vp->index, mode);
        return;
    }
    if (vec < 16)
        return;   /* 11.5.3: illegal vector, the send fails (ESR not modelled) */
    struct hv_partition *p = vp->part;
    switch (shorthand) {
    case 1:   /* self */
        vp_raise_irq(vp, vec);
        break;
    case 2:   /* all including self */
    case 3:   /* all excluding self */
        for (uint32_t i = 0; i < HV_MAX_VPS; i++)
            if (p->vp[i] && (shorthand == 2 || p->vp[i] != vp))
                vp_raise_irq(p->vp[i], vec);
        break;
    default:
        if (lo & (1u << 11)) {   /* logical destination: flat model over the LDRs */
            uint8_t dest = a->icr_hi >> 24;
            for (uint32_t i = 0; i < HV_MAX_VPS; i++)
                if (p->vp[i] && (vapic[i].ldr >> 24) & dest)
                    vp_raise_irq(p->vp[i], vec);
        } else {
            struct hv_vp *t = root_vp_by_apic_id(a->icr_hi >> 24);
            if (t)
                vp_raise_irq(t, vec);
        }
        break;
    }
}

static uint32_t apic_read(struct hv_vp *vp, struct vapic *a, uint32_t off)
{
    switch (off) {
    case 0x20: return hv_lps[vp->lp].apic_id << 24;   /* ID: the physical one (the MADT's) */
    case 0x30: return 0x00050014;                      /* version 14H, 6 LVT entries */
    case 0x80: return (uint32_t)(vp->ctx.cr8 & 0xF) << 4;
    case 0xA0: return (uint32_t)(vp->ctx.cr8 & 0xF) << 4;   /* PPR >= TPR */
    case 0xD0: return a->ldr;
    case 0xE0: return a->dfr;
    case 0xF0: return a->svr;
    case 0x280: return a->esr;
    case 0x300: return 0;                              /* delivery status idle */
    case 0x310: return a->icr_hi;
    default:
        if (off >= 0x320 && off <= 0x370)
            return 1u << 16;                           /* LVT entries: masked */
        return 0;
    }
}

static void apic_write(struct hv_vp *vp, struct vapic *a, uint32_t off, uint32_t v)
{
    switch (off) {
    case 0x80: vp->ctx.cr8 = (v >> 4) & 0xF; break;
    case 0xB0: break;                                  /* EOI: done physically */
    case 0xD0: a->ldr = v & 0xFF000000u; break;
    case 0xE0: a->dfr = v | 0x0FFFFFFFu; break;
    case 0xF0: a->svr = v & 0x13FF; break;
    case 0x280: a->esr = 0; break;
    case 0x300: icr_write(vp, a, v); break;
    case 0x310: a->icr_hi = v & 0xFF000000u; break;
    default: break;                                    /* timer, LVTs: not virtualised yet */
    }
}

/* Decode the MOV at the guest's RIP: its length, the GPR (or -1 for an immediate / EAX form)
 * and whether it writes memory. 0, or -1 if it is not one we emulate. */
struct mov_insn { unsigned len; int reg; bool store; uint32_t imm; };

static int decode_mov(struct hv_vp *vp, struct mov_insn *m)
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

int vmx_root_apic_access(struct hv_vp *vp, uint64_t gpa, uint64_t qual)
{
    (void)qual;
    struct vapic *a = &vapic[vp->index];
    if (!a->init) {   /* 11.4.7.1: the values after power-up/reset */
        a->init = true;
        a->dfr = 0xFFFFFFFFu;
        a->svr = 0xFF;
    }
    struct mov_insn m;
    if (decode_mov(vp, &m) != 0) {
        hv_log("vmx: root VP %u: APIC access at RIP %#lx not emulated\n", vp->index,
               (unsigned long)vmx_read(VMCS_G_RIP));
        vmx_inject_exception(VEC_GP, true, 0);
        return 0;
    }
    uint32_t off = (uint32_t)(gpa & 0xFFF) & ~0xFu;
    if (m.store) {
        uint32_t v = m.reg < 0 ? m.imm : (uint32_t)(m.reg == 4 ? vmx_read(VMCS_G_RSP)
                                                               : vp->ctx.gpr[m.reg]);
        apic_write(vp, a, off, v);
    } else {
        uint32_t v = apic_read(vp, a, off);
        if (m.reg == 4)
            vmx_write(VMCS_G_RSP, v);
        else
            vp->ctx.gpr[m.reg] = v;   /* a 32-bit load zero-extends (3.4.1.1) */
    }
    vmx_write(VMCS_G_RIP, vmx_read(VMCS_G_RIP) + m.len);
    return 0;
}

int vmx_exit_ept_violation(struct hv_vp *vp)
{
    uint64_t gpa = vmx_read(VMCS_GUEST_PHYS), q = vmx_read(VMCS_EXIT_QUAL);
    if (vp->part->id != HV_PARTITION_ROOT_ID) {
        /* 27.2.1 table 27-7: 0 read, 1 write, 2 fetch; 7 linear address valid. The VP waits
         * for the root (hv/synic/intercept.c): unmapped GPA, or a mapping without the right */
        struct hv_intercept ii = {
            .type = ept_lookup(&vp->part->ept, gpa, NULL, NULL) == 0 ? HVMSG_GPA_INTERCEPT
                                                                     : HVMSG_UNMAPPED_GPA,
            .access = (q & 4) ? HV_INTERCEPT_ACCESS_EXECUTE
                      : (q & 2) ? HV_INTERCEPT_ACCESS_WRITE : HV_INTERCEPT_ACCESS_READ,
            .gpa = gpa,
            .gva_valid = (q & (1u << 7)) != 0,
            .gva = (q & (1u << 7)) ? vmx_read(VMCS_GUEST_LINEAR) : 0,
        };
        ii.insn_byte_count = (uint8_t)vmx_insn_bytes(vp, ii.insn_bytes);
        vmx_vp_stop(vp, HV_VP_INTERCEPT_SUSPENDED);
        synic_intercept(vp, &ii);
        return 1;
    }
    if ((gpa & ~0xFFFull) == vmx_root_apic_gpa)
        return vmx_root_apic_access(vp, gpa, q);
    hv_log("vmx: root VP %u: access to GPA %#lx (not the root's, qualification %#lx) at RIP "
           "%#lx: #GP\n", vp->index, (unsigned long)gpa, (unsigned long)q,
           (unsigned long)vmx_read(VMCS_G_RIP));
    vmx_inject_exception(VEC_GP, true, 0);
    return 0;
}
