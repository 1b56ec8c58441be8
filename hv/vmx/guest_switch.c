/* guest_switch.c — the guest state a VM entry and exit leave in the logical processor's
 * registers: XCR0, the x87/SSE/AVX state (XSAVE area) and the MSRs of SYSCALL, SWAPGS and
 * RDTSCP (IA32_STAR, LSTAR, CSTAR, FMASK, KERNEL_GS_BASE, TSC_AUX). docs/HYPERVISOR.md
 * "Guest state on a shared LP".
 *
 * The VMCS switches what SDM Vol. 3 27.3 / 26.3.2 list (CR0/3/4, segments, RSP/RIP/RFLAGS,
 * SYSENTER, EFER and PAT with the load/save controls, DR7, FS/GS base); nothing else. Several VPs
 * — the root's and children's — share an LP, so before the LP enters a VP other than the last
 * one it entered, this file saves that VP's values into its hv_vp_arch and loads the new one's
 * (the way an OS switches FPU state between threads; SDM Vol. 1 13.7-13.8 XSAVE/XRSTOR, Vol. 2
 * SYSCALL/SWAPGS/RDTSCP). A partition thus never sees another's registers, and a child's LSTAR
 * or XCR0 is its own.
 *
 * Invariants:
 *  - lp->guest is the VP whose values are in the LP's registers, or NULL (unknown: the next
 *    switch loads every register in full, so nothing of a dropped VP reaches the next one).
 *  - The hypervisor itself never uses x87/SSE (compiled with -mgeneral-regs-only), SYSCALL or
 *    SWAPGS, so these registers can stay the guest's while the LP runs host code.
 *  - Each VP's area is a page of its partition's pool (64-byte aligned): FXSAVE's 512 bytes, or
 *    the XSAVE area of the XCR0 components offered (those that end within 4096 bytes).
 *  - XRSTOR never faults: the area's XSTATE_BV is masked with the VP's XCR0 before it (a VP that
 *    cleared an XCR0 bit left that bit set in its saved XSTATE_BV).
 *  - A new VP starts in the initial configuration: XCR0 = 1, XSTATE_BV = 0 (XRSTOR initialises
 *    every component), MXCSR = 1F80H, FCW = 037FH, the MSRs 0.
 */
#include "hv/vmx/vmx.h"
#include "krt/krt.h"

#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXSAVE (1ull << 18)

static void save(struct hv_vp *vp);
static bool use_xsave;          /* CPUID.1:ECX[26]: XSAVE/XRSTOR, XCR0 */
static bool use_fxsr;           /* CPUID.1:EDX[24]: FXSAVE/FXRSTOR (without XSAVE) */
static uint64_t xcr0_supported; /* CPUID.(0DH,0):EDX:EAX */

void vmx_guest_lp_init(void)
{
    uint32_t r[4];
    cpuid(1, 0, r);
    use_xsave = (r[2] >> 26) & 1;
    use_fxsr = (r[3] >> 24) & 1;
    uint64_t cr4 = read_cr4();
    /* SDM Vol. 3 2.5: OSFXSR makes FXSAVE/FXRSTOR cover the XMM registers; OSXSAVE enables
     * XSETBV/XSAVE in the host */
    if (use_fxsr)
        cr4 |= CR4_OSFXSR;
    if (use_xsave) {
        cr4 |= CR4_OSXSAVE;
        cpuid(0xD, 0, r);
        xcr0_supported = ((uint64_t)r[3] << 32) | r[0];
        /* Vol. 1 13.4.3: component i >= 2 lies at CPUID.(0DH,i):EBX, EAX bytes long; one whose
         * end is beyond the area's page is not offered (XSETBV with it is #GP) */
        for (unsigned i = 2; i < 64; i++) {
            if (!((xcr0_supported >> i) & 1))
                continue;
            cpuid(0xD, i, r);
            if ((uint64_t)r[1] + r[0] > 4096)
                xcr0_supported &= ~(1ull << i);
        }
    }
    write_cr4(cr4);
    if (use_xsave)   /* the LP's XCR0 until its first guest: the reset value */
        __asm__ volatile("xsetbv" : : "c"(0), "a"(1u), "d"(0u));
}

/* SDM Vol. 2 XSETBV: bit 0 set, only supported bits, AVX (2) needs SSE (1), the AVX-512 bits
 * 7:5 all or none and only with AVX, the MPX bits 4:3 together. */
bool vmx_xsetbv_ok(uint64_t v)
{
    if (!use_xsave || !(v & 1) || (v & ~xcr0_supported))
        return false;
    if ((v & 4) && !(v & 2))
        return false;
    if ((v & 0xE0) && ((v & 0xE0) != 0xE0 || !(v & 4)))
        return false;
    if (((v >> 3) & 3) == 1 || ((v >> 3) & 3) == 2)
        return false;
    return true;
}

bool hv_xcr0_valid(uint64_t xcr0)
{
    return vmx_xsetbv_ok(xcr0);
}

/* vp stops running for the root (intercept-suspended, stopped) on this LP: its registers go to
 * vp->arch now, so Get/SetVpRegisters see and change the real values, and the next entry
 * loads them whole. */
void vmx_guest_flush(struct hv_lp *lp, struct hv_vp *vp)
{
    if (lp->guest != vp)
        return;
    save(vp);
    lp->guest = NULL;
}

void vmx_guest_init(struct hv_vp *vp)
{
    struct hv_vp_arch *a = &vp->arch;
    uint8_t *area = hv_hpa_ptr(a->xsave_area);   /* zeroed by the pool: XSTATE_BV = 0 */
    area[0] = 0x7F;                              /* FCW 037FH (SDM Vol. 1 8.1.5, FNINIT) */
    area[1] = 0x03;
    area[24] = 0x80;                             /* MXCSR 1F80H (Vol. 1 10.2.3.1) */
    area[25] = 0x1F;
    a->xcr0 = 1;
    a->star = a->lstar = a->cstar = a->sfmask = a->kernel_gs_base = a->tsc_aux = 0;
}

static bool have_tsc_aux(void)
{
    return (vmx_caps.proc2 & PROC2_RDTSCP) != 0;
}

static void save(struct hv_vp *vp)
{
    struct hv_vp_arch *a = &vp->arch;
    void *area = hv_hpa_ptr(a->xsave_area);
    if (use_xsave)   /* RFBM = XCR0 (= this VP's) AND all ones */
        __asm__ volatile("xsave64 (%0)" : : "r"(area), "a"(~0u), "d"(~0u) : "memory");
    else if (use_fxsr)
        __asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory");
    a->star = rdmsr(MSR_IA32_STAR);
    a->lstar = rdmsr(MSR_IA32_LSTAR);
    a->cstar = rdmsr(MSR_IA32_CSTAR);
    a->sfmask = rdmsr(MSR_IA32_FMASK);
    a->kernel_gs_base = rdmsr(MSR_IA32_KERNEL_GS_BASE);
    if (have_tsc_aux())
        a->tsc_aux = rdmsr(MSR_IA32_TSC_AUX);
}

static void load(struct hv_vp *vp)
{
    struct hv_vp_arch *a = &vp->arch;
    void *area = hv_hpa_ptr(a->xsave_area);
    if (use_xsave) {
        __asm__ volatile("xsetbv" : : "c"(0), "a"((uint32_t)a->xcr0),
                         "d"((uint32_t)(a->xcr0 >> 32)));
        /* every component of the new XCR0: loaded, or initialised where XSTATE_BV is 0 */
        *(volatile uint64_t *)((uint8_t *)area + 512) &= a->xcr0;
        __asm__ volatile("xrstor64 (%0)" : : "r"(area), "a"(~0u), "d"(~0u) : "memory");
    } else if (use_fxsr) {
        __asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
    }
    wrmsr(MSR_IA32_STAR, a->star);
    wrmsr(MSR_IA32_LSTAR, a->lstar);
    wrmsr(MSR_IA32_CSTAR, a->cstar);
    wrmsr(MSR_IA32_FMASK, a->sfmask);
    wrmsr(MSR_IA32_KERNEL_GS_BASE, a->kernel_gs_base);
    if (have_tsc_aux())
        wrmsr(MSR_IA32_TSC_AUX, a->tsc_aux);
}

void vmx_guest_switch(struct hv_lp *lp, struct hv_vp *vp)
{
    if (lp->guest == vp)
        return;
    if (lp->guest)
        save(lp->guest);
    load(vp);
    lp->guest = vp;
}
