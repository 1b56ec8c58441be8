/* guest_mem.c — reading a VP's memory by guest-linear address: the guest's own paging (SDM
 * Vol. 3 4.3 32-bit, 4.4 PAE, 4.5 4-level) then the partition's EPT (29.3), for the emulation
 * of the instruction that caused an exit (exit_ept.c).
 *
 * Invariants: only the VP's own EPT is used, so the hypervisor reads nothing the partition may
 * not read; a page not present at either level gives -1 (the caller injects or stops); only
 * present bits are checked (the guest just executed the instruction read here).
 */
#include "hv/vmx/vmx.h"
#include "krt/krt.h"

static int gpa_read(struct hv_vp *vp, uint64_t gpa, void *buf, unsigned len)
{
    uint64_t hpa;
    unsigned perms;
    if (ept_lookup(&vp->part->ept, gpa, &hpa, &perms) != 0 || !(perms & EPT_R))
        return -1;
    memcpy(buf, hv_hpa_ptr(hpa), len);
    return 0;
}

/* linear -> guest-physical with the VMCS's current paging state */
static int translate(struct hv_vp *vp, uint64_t lin, uint64_t *gpa)
{
    uint64_t cr0 = vmx_read(VMCS_G_CR0), cr3 = vmx_read(VMCS_G_CR3);
    uint64_t cr4 = vmx_read(VMCS_G_CR4), efer = vmx_read(VMCS_G_EFER);
    if (!(cr0 & CR0_PG)) {
        *gpa = lin & 0xFFFFFFFFull;
        return 0;
    }
    if (!(cr4 & CR4_PAE)) {   /* 4.3: 32-bit paging */
        uint32_t pde, pte;
        if (gpa_read(vp, (cr3 & ~0xFFFull) + ((lin >> 22) & 0x3FF) * 4, &pde, 4) || !(pde & 1))
            return -1;
        if ((pde & 0x80) && (cr4 & (1u << 4))) {   /* PSE: 4 MiB page */
            *gpa = (pde & 0xFFC00000u) | (lin & 0x3FFFFF);
            return 0;
        }
        if (gpa_read(vp, (pde & ~0xFFFu) + ((lin >> 12) & 0x3FF) * 4, &pte, 4) || !(pte & 1))
            return -1;
        *gpa = (pte & ~0xFFFu) | (lin & 0xFFF);
        return 0;
    }
    const uint64_t addr = 0x000FFFFFFFFFF000ull;
    uint64_t e;
    int level;
    uint64_t table;
    if (efer & EFER_LMA) {   /* 4.5: 4-level */
        level = 3;
        table = cr3 & addr;
    } else {                 /* 4.4: PAE, the PDPTE from CR3 bits 31:5 */
        if (gpa_read(vp, (cr3 & 0xFFFFFFE0ull) + ((lin >> 30) & 3) * 8, &e, 8) || !(e & 1))
            return -1;
        level = 1;
        table = e & addr;
    }
    for (; level >= 0; level--) {
        if (gpa_read(vp, table + ((lin >> (12 + 9 * level)) & 511) * 8, &e, 8) || !(e & 1))
            return -1;
        if (level > 0 && level < 3 && (e & 0x80)) {
            uint64_t mask = (1ull << (12 + 9 * level)) - 1;
            *gpa = (e & addr & ~mask) | (lin & mask);
            return 0;
        }
        table = e & addr;
    }
    *gpa = table | (lin & 0xFFF);
    return 0;
}

int vmx_guest_read(struct hv_vp *vp, uint64_t linear, void *buf, unsigned len)
{
    uint8_t *b = buf;
    for (unsigned i = 0; i < len; i++) {
        uint64_t gpa;
        if (translate(vp, linear + i, &gpa) != 0 || gpa_read(vp, gpa, &b[i], 1) != 0)
            return -1;
    }
    return 0;
}
