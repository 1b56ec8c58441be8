/* vmx_insn_errors.c — the outcomes of the VMX instructions in VMX root operation: #UD, #GP,
 * VMfailInvalid and VMfailValid with each VM-instruction error number.
 *
 * Expected values: SDM Vol. 3 30.2 (conventions: VMfailInvalid sets CF, VMfailValid sets ZF and
 * writes the error field of the current VMCS; without a current VMCS a failure is
 * VMfailInvalid), 30.3 (each instruction's operation and exceptions), 30.4 (Table 30-1: error
 * numbers), 23.7 (IA32_FEATURE_CONTROL), 23.8 (CR0/CR4 fixed bits). Physical-address width from
 * CPUID.80000008H:EAX[7:0].
 */
#include "lib/pt64.h"
#include "lib/trap64.h"
#include "lib/vmx_lib.h"

static uint8_t region_a[4096] __attribute__((aligned(4096)));
static uint8_t region_b[4096] __attribute__((aligned(4096)));
static uint64_t op_pa;

static void do_vmxon(void *a) { (void)a; vmxon_r(op_pa); }
static void do_vmxoff(void *a) { (void)a; vmxoff_r(); }
static void do_vmptrst(void *a) { (void)a; uint64_t p; vmptrst_r(&p); }
static void do_vmread(void *a) { (void)a; uint64_t v; vmread_r(F_G_RIP, &v); }
static void do_vmlaunch(void *a) { (void)a; __asm__ volatile("vmlaunch" ::: "cc", "memory"); }
static void do_lock_vmptrst(void *a)
{
    (void)a;
    uint64_t p;
    __asm__ volatile(".byte 0xf0\n\tvmptrst %0" : "=m"(p) :: "cc", "memory");
}

__attribute__((section(".user.text"), used)) static void user_vmread(void)
{
    uint64_t v = 0;
    __asm__ volatile("vmread %1, %0" : "+r"(v) : "r"((uint64_t)F_G_RIP) : "cc");
    __asm__ volatile("int $0x30");
}

static void write_rev(uint8_t *r, uint32_t rev) { memset(r, 0, 4096); *(uint32_t *)r = rev; }

int main(void)
{
    t_begin("vmx_insn_errors");
    pt_init();          /* .user mapped U=1 for the CPL-3 check */
    uint64_t basic = rdmsr(MSR_VMX_BASIC);
    uint32_t rev = (uint32_t)basic & 0x7fffffffu;
    uint32_t r4[4];
    cpuid(0x80000008u, 0, r4);
    unsigned maxphy = r4[0] & 0xff;
    write_rev(region_a, rev);
    write_rev(region_b, rev);

    /* outside VMX operation */
    op_pa = va_pa(region_a);
    t_eq("VMXON with CR4.VMXE = 0: #UD", (uint64_t)trap_catch(do_vmxon, 0), 6);
    write_cr4(read_cr4() | X86_CR4_VMXE);
    t_eq("VMXOFF outside VMX operation: #UD", (uint64_t)trap_catch(do_vmxoff, 0), 6);
    t_eq("VMPTRST outside VMX operation: #UD", (uint64_t)trap_catch(do_vmptrst, 0), 6);
    t_eq("VMREAD outside VMX operation: #UD", (uint64_t)trap_catch(do_vmread, 0), 6);
    t_eq("VMLAUNCH outside VMX operation: #UD", (uint64_t)trap_catch(do_vmlaunch, 0), 6);
    uint64_t fc = rdmsr(MSR_FEATURE_CONTROL);
    if (!(fc & 1)) {
        t_eq("VMXON with IA32_FEATURE_CONTROL unlocked: #GP", (uint64_t)trap_catch(do_vmxon, 0),
             13);
        wrmsr(MSR_FEATURE_CONTROL, 5);
    }
    write_cr0(read_cr0() & ~X86_CR0_NE);
    t_eq("VMXON with CR0.NE = 0 (CR0_FIXED0): #GP", (uint64_t)trap_catch(do_vmxon, 0), 13);
    write_cr0(read_cr0() | X86_CR0_NE);
    t_eq("VMXON, pointer not 4 KiB aligned: VMfailInvalid",
         (uint64_t)vmxon_r(va_pa(region_a) + 8), VMX_FAIL_INVALID);
    t_eq("VMXON, pointer beyond the physical-address width: VMfailInvalid",
         (uint64_t)vmxon_r(1ull << maxphy), VMX_FAIL_INVALID);
    write_rev(region_a, rev ^ 1);
    t_eq("VMXON, wrong revision identifier: VMfailInvalid", (uint64_t)vmxon_r(va_pa(region_a)),
         VMX_FAIL_INVALID);
    write_rev(region_a, rev);
    if (!t_eq("VMXON succeeds", (uint64_t)vmxon_r(va_pa(region_a)), VMX_OK))
        return t_finish();

    /* in VMX root operation, no current VMCS */
    uint64_t v;
    t_eq("VMXON in VMX root operation, no current VMCS: VMfailInvalid",
         (uint64_t)vmxon_r(va_pa(region_a)), VMX_FAIL_INVALID);
    t_eq("VMREAD without a current VMCS: VMfailInvalid", (uint64_t)vmread_r(F_G_RIP, &v),
         VMX_FAIL_INVALID);
    t_eq("VMWRITE without a current VMCS: VMfailInvalid", (uint64_t)vmwrite_r(F_G_RIP, 0),
         VMX_FAIL_INVALID);
    uint64_t p = 0;
    t_eq("VMPTRST without a current VMCS succeeds", (uint64_t)vmptrst_r(&p), VMX_OK);
    t_eq("VMPTRST without a current VMCS stores FFFFFFFF_FFFFFFFFH", p, ~0ull);
    t_eq("VMCLEAR, unaligned, no current VMCS: VMfailInvalid",
         (uint64_t)vmclear_r(va_pa(region_b) + 0x10), VMX_FAIL_INVALID);
    uint64_t fl;
    __asm__ volatile("vmlaunch; pushfq; popq %0" : "=r"(fl) :: "cc", "memory");
    t_eq("VMLAUNCH without a current VMCS: VMfailInvalid", (uint64_t)vmx_result(fl),
         VMX_FAIL_INVALID);
    t_eq("LOCK VMPTRST: #UD", (uint64_t)trap_catch(do_lock_vmptrst, 0), 6);
    t_eq("CPL 3 VMREAD in VMX root operation: #GP",
         (uint64_t)trap_catch_user(user_vmread, 2), 13);

    /* with a current VMCS: VMfailValid and the error numbers of Table 30-1 */
    t_eq("VMCLEAR of region B", (uint64_t)vmclear_r(va_pa(region_b)), VMX_OK);
    t_eq("VMPTRLD of region B", (uint64_t)vmptrld_r(va_pa(region_b)), VMX_OK);
    vmx_expect_error("VMCLEAR, address not 4 KiB aligned: error 2",
                     vmclear_r(va_pa(region_a) + 0x800), 2);
    vmx_expect_error("VMCLEAR, address beyond the physical-address width: error 2",
                     vmclear_r(1ull << maxphy), 2);
    vmx_expect_error("VMCLEAR of the VMXON pointer: error 3", vmclear_r(va_pa(region_a)), 3);
    vmx_expect_error("VMPTRLD, address not 4 KiB aligned: error 9",
                     vmptrld_r(va_pa(region_b) + 0x100), 9);
    vmx_expect_error("VMPTRLD, address beyond the physical-address width: error 9",
                     vmptrld_r(1ull << maxphy), 9);
    vmx_expect_error("VMPTRLD of the VMXON pointer: error 10", vmptrld_r(va_pa(region_a)), 10);
    static uint8_t region_c[4096] __attribute__((aligned(4096)));
    write_rev(region_c, rev + 1);
    vmx_expect_error("VMPTRLD, wrong revision identifier: error 11",
                     vmptrld_r(va_pa(region_c)), 11);
    t_eq("the failed VMPTRLDs left region B current", (uint64_t)vmptrst_r(&p), VMX_OK);
    t_eq("... VMPTRST = region B", p, va_pa(region_b));
    vmx_expect_error("VMXON in VMX root operation with a current VMCS: error 15",
                     vmxon_r(va_pa(region_a)), 15);
    vmx_expect_error("VMREAD of an unsupported field: error 12", vmread_r(0x7fff, &v), 12);
    if (!((rdmsr(MSR_VMX_MISC) >> 29) & 1))
        vmx_expect_error("VMWRITE to a read-only field: error 13",
                         vmwrite_r(F_EXIT_QUAL, 0), 13);
    t_eq("VMRESUME of a clear VMCS: VMfailValid", vmx_run_asm(1), VMX_RUN_FAIL_VALID);
    t_eq("... error 5", vmread(F_INSN_ERROR), 5);

    /* VMXOFF: leaves VMX operation; VMXON again works */
    t_eq("VMXOFF with a current VMCS succeeds", (uint64_t)vmxoff_r(), VMX_OK);
    t_eq("VMPTRST after VMXOFF: #UD", (uint64_t)trap_catch(do_vmptrst, 0), 6);
    t_eq("VMXON again", (uint64_t)vmxon_r(va_pa(region_a)), VMX_OK);
    t_eq("VMPTRST after VMXON: no current VMCS", (uint64_t)vmptrst_r(&p), VMX_OK);
    t_eq("... FFFFFFFF_FFFFFFFFH", p, ~0ull);
    vmptrld_r(va_pa(region_b));

    /* VMCALL in VMX root operation (30.3 VMCALL: dual-monitor treatment not active): error 1 */
    __asm__ volatile("vmcall; pushfq; popq %0" : "=r"(fl) :: "cc", "memory");
    vmx_expect_error("VMCALL in VMX root operation: error 1", vmx_result(fl), 1);

    /* INVEPT/INVVPID with an unsupported type: error 28 (30.3) */
    uint64_t ept = rdmsr(MSR_VMX_EPT_VPID_CAP);
    struct inv_desc d = { 0, 0 };
    if ((ept >> 20) & 1) {
        vmx_expect_error("INVEPT type 0 (not defined): error 28", invept_r(0, &d), 28);
        vmx_expect_error("INVEPT type 3 (not defined): error 28", invept_r(3, &d), 28);
    }
    if ((ept >> 32) & 1) {
        vmx_expect_error("INVVPID type 4 (not defined): error 28", invvpid_r(4, &d), 28);
        d.lo = 0;       /* VPID 0 */
        vmx_expect_error("INVVPID single-context with VPID 0: error 28", invvpid_r(1, &d), 28);
    }
    return t_finish();
}
