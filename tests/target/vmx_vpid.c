/* vmx_vpid.c — VPIDs and the TLB flushes software can rely on: INVVPID individual-address,
 * single-context, all-context and single-context-retaining-globals each make a changed guest
 * page-table entry visible; without VPIDs every VM entry/exit flushes (so a change is seen
 * without INVVPID); a guest MOV to CR3 and INVLPG flush the guest's own mappings; INVVPID
 * operand errors.
 *
 * Expected values (SDM Vol. 3, edition with VMX address translation in chapter 28): 28.1
 * (VPIDs; with "enable VPID" = 0 VM entries and VM exits invalidate the mappings of VPID 0000H);
 * 28.3.3.3 and 30.3 INVVPID (types 0-3, supported per IA32_VMX_EPT_VPID_CAP bits 40-43; a VPID of
 * 0, a non-canonical address for type 0, or descriptor bits 63:16 set: VMfailValid error 28);
 * 4.10.4 (MOV to CR3 and INVLPG invalidate the current VPID's mappings). Only the flushes the SDM
 * guarantees are checked: whether a stale translation survives without one is left open by the
 * SDM ("may"), so no check depends on it.
 */
#include "lib/pt64.h"
#include "lib/vmx_lib.h"

extern char g_rd[], g_cr3[], g_invlpg[];
__asm__(".text\n"
        "g_rd:\n\tmov (%rbx), %rax\n\tvmcall\n"
        "g_cr3:\n\tmov %cr3, %rcx\n\tmov %rcx, %cr3\n\tmov (%rbx), %rax\n\tvmcall\n"
        "g_invlpg:\n\tinvlpg (%rbx)\n\tmov (%rbx), %rax\n\tvmcall\n");

#define LIN  0x40000000ull              /* the guest's linear address under test */
#define PA_A 0x2800000ull
#define PA_B 0x2801000ull

static void remap(uint64_t pa) { *pt_entry(LIN, 1) = pa | PT_P | PT_W; }   /* no INVLPG */

static uint64_t guest_read(const char *name, char *code)
{
    vmwrite(F_G_RIP, va_pa(code));
    vmwrite(F_G_RSP, va_pa(VMX_GUEST_STACK_TOP) - 64);
    memset(&vmx_gregs, 0, sizeof vmx_gregs);
    vmx_gregs.rbx = LIN;
    vmx_expect_exit(name, vmx_run(), EXIT_VMCALL, VMX_ANY);
    return vmx_gregs.rax;
}

int main(void)
{
    t_begin("vmx_vpid");
    pt_init();
    pt_map4k(LIN, PA_A, PT_P | PT_W);
    *(volatile uint64_t *)phys_ptr(PA_A) = 0xaaaa;
    *(volatile uint64_t *)phys_ptr(PA_B) = 0xbbbb;
    if (vmx_enable() != VMX_OK || vmcs_init_default((void (*)(void))g_rd, VMX_GUEST_STACK_TOP))
        return t_check(0, "VMXON and the default VMCS", "failed"), t_finish();
    uint64_t cap = rdmsr(MSR_VMX_EPT_VPID_CAP);

    /* without VPIDs: entries and exits flush, so a remapping is seen on the next entry */
    t_eq("no VPID: guest reads A", guest_read("no VPID: guest run", g_rd), 0xaaaa);
    remap(PA_B);
    t_eq("no VPID: after remapping to B (no INVLPG, no INVVPID) the guest reads B",
         guest_read("no VPID: guest run", g_rd), 0xbbbb);
    remap(PA_A);
    invlpg(phys_ptr(LIN));

    if (!vmx_ctl_can(F_PROC2, PROC2_VPID) || !((cap >> 32) & 1)) {
        tprintf("# VPID or INVVPID not offered\n");
        return t_finish();
    }
    vmx_ctl_set(F_PROC2, PROC2_VPID);
    vmwrite(F_VPID, 1);
    struct inv_desc d;
    t_eq("VPID 1: guest reads A", guest_read("VPID 1: guest run", g_rd), 0xaaaa);

    static const struct { unsigned type, capbit; const char *name; uint64_t to; } kinds[] = {
        { 0, 40, "INVVPID individual-address", PA_B },
        { 1, 41, "INVVPID single-context", PA_A },
        { 2, 42, "INVVPID all-context", PA_B },
        { 3, 43, "INVVPID single-context-retaining-globals (non-global entry)", PA_A },
    };
    uint64_t cur = PA_A;
    for (unsigned k = 0; k < 4; k++) {
        if (!((cap >> kinds[k].capbit) & 1)) {
            tprintf("# %s not offered\n", kinds[k].name);
            continue;
        }
        remap(kinds[k].to);
        d.lo = 1;
        d.hi = LIN;
        t_eq(kinds[k].name, (uint64_t)invvpid_r(kinds[k].type, &d), VMX_OK);
        uint64_t want = kinds[k].to == PA_A ? 0xaaaa : 0xbbbb;
        t_eq("... the guest then reads the new mapping", guest_read(kinds[k].name, g_rd), want);
        cur = kinds[k].to;
    }

    /* the guest's own flushes */
    remap(cur == PA_A ? PA_B : PA_A);
    t_eq("guest MOV to CR3 flushes its VPID's mappings",
         guest_read("guest MOV CR3 run", g_cr3), cur == PA_A ? 0xbbbb : 0xaaaa);
    cur = cur == PA_A ? PA_B : PA_A;
    remap(cur == PA_A ? PA_B : PA_A);
    t_eq("guest INVLPG flushes the address in its VPID", guest_read("guest INVLPG run", g_invlpg),
         cur == PA_A ? 0xbbbb : 0xaaaa);

    /* operand errors (30.3 INVVPID) */
    d.lo = 1;
    d.hi = 0x0000800000000000ull;
    if ((cap >> 40) & 1)
        vmx_expect_error("INVVPID individual-address, non-canonical address: error 28",
                         invvpid_r(0, &d), 28);
    d.lo = 0;
    d.hi = LIN;
    if ((cap >> 41) & 1)
        vmx_expect_error("INVVPID single-context with VPID 0: error 28", invvpid_r(1, &d), 28);
    d.lo = 1 | (1ull << 16);
    if ((cap >> 42) & 1)
        vmx_expect_error("INVVPID with descriptor bits 63:16 set: error 28", invvpid_r(2, &d),
                         28);
    return t_finish();
}
