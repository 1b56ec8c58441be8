/* vmx_exits_cr.c — control-register and debug-register accesses in VMX non-root operation:
 * CR0/CR4 guest/host masks and read shadows, CLTS, LMSW (register and memory), CR3-load and
 * CR3-store exiting with CR3-target values, CR8-load/store exiting, the TPR shadow with
 * TPR-below-threshold exits, MOV-DR exiting.
 *
 * Expected values (SDM Vol. 3): 25.3 (MOV from CR0/CR4 returns the shadow for bits set in the
 * mask; MOV to CR0/CR4 exits iff a masked bit differs from the shadow; CLTS exits iff CR0.TS is
 * masked and the shadow's TS is 1; LMSW exits iff a masked bit of PE/MP/EM/TS would change the
 * shadow's value, PE never cleared; MOV to CR3 does not exit if the value equals one of the
 * first CR3-target-count CR3-target values; MOV from CR8 with the TPR shadow reads VTPR[7:4]);
 * 29.1.2 (TPR-below-threshold: trap-like exit after a MOV to CR8 that makes VTPR[7:4] fall below
 * the TPR threshold); 27.2.1 Table 27-3 (CR-access qualification: 3:0 CR number, 5:4 access type
 * 0 MOV to, 1 MOV from, 2 CLTS, 3 LMSW, 6 LMSW operand type, 11:8 GPR for MOV CR, 31:16 LMSW
 * source data) and Table 27-4 (MOV DR: 2:0 DR number, 4 direction 0 = to DR, 11:8 GPR); the
 * guest-linear address field for LMSW with a memory operand (27.2.1).
 */
#include "lib/vmx_lib.h"

#define GSTEP(n, insn) "gs_" #n ":\n\t" insn "\n" "ge_" #n ":\n\tvmcall\n"
#define DECL(n) extern char gs_##n[], ge_##n[]
#define AT(n) gs_##n, ge_##n
__asm__(".text\n"
        GSTEP(cr0_exit, "mov %rax, %cr0")
        GSTEP(cr0_exit_rbx, "mov %rbx, %cr0")
        GSTEP(cr0_none, "mov %rax, %cr0")
        GSTEP(cr0_read, "mov %cr0, %rax")
        GSTEP(clts_exit, "clts")
        GSTEP(clts_none, "clts")
        GSTEP(lmsw_reg, "lmsw %cx")
        GSTEP(lmsw_mem, "lmsw (%rdx)")
        GSTEP(cr4_read, "mov %cr4, %rax")
        GSTEP(cr4_exit, "mov %rax, %cr4")
        GSTEP(cr3_load, "mov %rax, %cr3")
        GSTEP(cr3_target, "mov %rax, %cr3")
        GSTEP(cr3_store, "mov %cr3, %rbx")
        GSTEP(cr8_load, "mov %rax, %cr8")
        GSTEP(cr8_store, "mov %cr8, %rcx")
        GSTEP(cr8_read_vtpr, "mov %cr8, %rax")
        GSTEP(cr8_write_vtpr, "mov %rax, %cr8")
        GSTEP(cr8_below, "mov %rax, %cr8")
        GSTEP(dr7_write, "mov %rax, %dr7")
        GSTEP(dr0_read, "mov %dr0, %rbx")
        GSTEP(dr0_none, "mov %dr0, %rbx"));
DECL(cr0_exit); DECL(cr0_exit_rbx); DECL(cr0_none); DECL(cr0_read); DECL(clts_exit);
DECL(clts_none); DECL(lmsw_reg); DECL(lmsw_mem); DECL(cr4_read); DECL(cr4_exit); DECL(cr3_load);
DECL(cr3_target); DECL(cr3_store); DECL(cr8_load); DECL(cr8_store); DECL(cr8_read_vtpr);
DECL(cr8_write_vtpr); DECL(cr8_below); DECL(dr7_write); DECL(dr0_read); DECL(dr0_none);

static uint32_t proc_base;
static uint64_t cr0, cr4;
static uint16_t lmsw_word __attribute__((aligned(8)));
static uint8_t vapic[4096] __attribute__((aligned(4096)));

static void base(void)
{
    vmwrite(F_PROC, proc_base);
    vmwrite(F_CR0_MASK, 0);
    vmwrite(F_CR4_MASK, 0);
    vmwrite(F_CR0_SHADOW, cr0);
    vmwrite(F_CR4_SHADOW, cr4);
    vmwrite(F_G_CR0, cr0);
    vmwrite(F_CR3_TARGET_COUNT, 0);
    memset(&vmx_gregs, 0, sizeof vmx_gregs);
}
static void ts_masked_shadow0(void)
{
    base();
    vmwrite(F_CR0_MASK, X86_CR0_TS);
    vmx_gregs.rax = cr0 | X86_CR0_TS;
    vmx_gregs.rbx = cr0 | X86_CR0_TS;
}
static void ts_masked_same(void)
{
    base();
    vmwrite(F_CR0_MASK, X86_CR0_TS);
    vmx_gregs.rax = cr0;
}
static void ts_masked_shadow1(void)
{
    base();
    vmwrite(F_CR0_MASK, X86_CR0_TS);
    vmwrite(F_CR0_SHADOW, cr0 | X86_CR0_TS);
}
static void check_cr0_read(void)
{
    t_eq("MOV from CR0: TS from the shadow, the other bits from CR0", vmx_gregs.rax,
         cr0 | X86_CR0_TS);
}
static void lmsw_setup(void)
{
    base();
    vmwrite(F_CR0_MASK, X86_CR0_MP);        /* shadow MP = 0, LMSW sets MP */
    vmx_gregs.rcx = (cr0 & 0xfff0) | 0x3;   /* PE | MP */
    lmsw_word = (uint16_t)vmx_gregs.rcx;
    vmx_gregs.rdx = va_pa(&lmsw_word);
}
static void check_lmsw_gla(void)
{
    t_eq("LMSW memory operand: guest-linear address field", vmread(F_GUEST_LINEAR),
         va_pa(&lmsw_word));
}
static void cr4_masked(void)
{
    base();
    vmwrite(F_CR4_MASK, X86_CR4_VMXE);
    vmwrite(F_CR4_SHADOW, cr4 & ~X86_CR4_VMXE);
    vmx_gregs.rax = cr4;
}
static void check_cr4_read(void)
{
    t_eq("MOV from CR4: VMXE from the shadow (0)", vmx_gregs.rax, cr4 & ~X86_CR4_VMXE);
}
static void cr3_exiting(void)
{
    base();
    vmwrite(F_PROC, proc_base | PROC_CR3_LOAD | PROC_CR3_STORE);
    vmx_gregs.rax = read_cr3();
}
static void cr3_with_target(void)
{
    cr3_exiting();
    vmwrite(F_CR3_TARGET0, 0x1000);
    vmwrite(F_CR3_TARGET1, read_cr3());
    vmwrite(F_CR3_TARGET_COUNT, 2);
}
static void cr8_exiting(void)
{
    base();
    vmwrite(F_PROC, proc_base | PROC_CR8_LOAD | PROC_CR8_STORE);
    vmx_gregs.rax = 0;
}
static void tpr_shadow(void)
{
    base();
    vmwrite(F_PROC, proc_base | PROC_TPR_SHADOW);
    vmwrite(F_VIRT_APIC_ADDR, va_pa(vapic));
    vmwrite(F_TPR_THRESHOLD, 5);
    vapic[0x80] = 0x70;                     /* VTPR: class 7 */
    vmx_gregs.rax = 9;
}
static void check_vtpr_read(void)
{
    t_eq("MOV from CR8 with the TPR shadow reads VTPR[7:4]", vmx_gregs.rax, 7);
}
static void check_vtpr_write(void)
{
    t_eq("MOV to CR8 with the TPR shadow writes VTPR = value << 4", vapic[0x80], 0x90);
}
static void dr_exiting(void)
{
    base();
    vmwrite(F_PROC, proc_base | PROC_MOV_DR);
    vmx_gregs.rax = 0x400;
}
static void dr_none(void)
{
    base();
    vmx_gregs.rbx = 0x1234;
}

static const struct vmx_step steps[] = {
    { "MOV to CR0 changing a masked bit (TS): exit 28, qualification 0 (CR0, MOV to, RAX)",
      AT(cr0_exit), EXIT_CR, 0x000, 1, 0, 0, ts_masked_shadow0, 0 },
    { "MOV to CR0 from RBX: qualification GPR field 3", AT(cr0_exit_rbx), EXIT_CR, 0x300, 1, 0,
      0, ts_masked_shadow0, 0 },
    { "MOV to CR0 keeping the masked bits equal to the shadow: no exit", AT(cr0_none),
      EXIT_NONE, 0, 0, 0, 0, ts_masked_same, 0 },
    { "MOV from CR0 never exits", AT(cr0_read), EXIT_NONE, 0, 0, 0, 0, ts_masked_shadow1,
      check_cr0_read },
    { "CLTS with TS masked and shadow TS = 1: exit, access type 2", AT(clts_exit), EXIT_CR,
      0x20, 1, 0, 0, ts_masked_shadow1, 0 },
    { "CLTS with TS masked and shadow TS = 0: no exit", AT(clts_none), EXIT_NONE, 0, 0, 0, 0,
      ts_masked_same, 0 },
    { "LMSW (register) setting masked MP: exit, type 3, source data in 31:16", AT(lmsw_reg),
      EXIT_CR, 0, 1, 0, 0, lmsw_setup, 0 },
    { "LMSW (memory): exit, operand type bit 6", AT(lmsw_mem), EXIT_CR, 0, 1, 0, 0, lmsw_setup,
      check_lmsw_gla },
    { "MOV from CR4: no exit", AT(cr4_read), EXIT_NONE, 0, 0, 0, 0, cr4_masked,
      check_cr4_read },
    { "MOV to CR4 with VMXE masked, shadow 0, value 1: exit, qualification 4", AT(cr4_exit),
      EXIT_CR, 4, 1, 0, 0, cr4_masked, 0 },
    { "CR3-load exiting: MOV to CR3 exits, qualification 3", AT(cr3_load), EXIT_CR, 3, 1,
      F_PROC, PROC_CR3_LOAD, cr3_exiting, 0 },
    { "CR3-load exiting: a value equal to CR3-target 1 (count 2) does not exit", AT(cr3_target),
      EXIT_NONE, 0, 0, F_PROC, PROC_CR3_LOAD, cr3_with_target, 0 },
    { "CR3-store exiting: MOV from CR3 to RBX exits, qualification 313H", AT(cr3_store),
      EXIT_CR, 0x313, 1, F_PROC, PROC_CR3_STORE, cr3_exiting, 0 },
    { "CR8-load exiting: qualification 8", AT(cr8_load), EXIT_CR, 8, 1, F_PROC, PROC_CR8_LOAD,
      cr8_exiting, 0 },
    { "CR8-store exiting: MOV from CR8 to RCX, qualification 118H", AT(cr8_store), EXIT_CR,
      0x118, 1, F_PROC, PROC_CR8_STORE, cr8_exiting, 0 },
    { "TPR shadow: MOV from CR8 does not exit", AT(cr8_read_vtpr), EXIT_NONE, 0, 0, F_PROC,
      PROC_TPR_SHADOW, tpr_shadow, check_vtpr_read },
    { "TPR shadow: MOV to CR8 at or above the threshold does not exit", AT(cr8_write_vtpr),
      EXIT_NONE, 0, 0, F_PROC, PROC_TPR_SHADOW, tpr_shadow, check_vtpr_write },
    { "MOV-DR exiting: MOV to DR7 from RAX, qualification 7", AT(dr7_write), EXIT_DR, 7, 1,
      F_PROC, PROC_MOV_DR, dr_exiting, 0 },
    { "MOV-DR exiting: MOV from DR0 to RBX, qualification 310H", AT(dr0_read), EXIT_DR, 0x310, 1,
      F_PROC, PROC_MOV_DR, dr_exiting, 0 },
    { "MOV from DR0 without MOV-DR exiting: no exit", AT(dr0_none), EXIT_NONE, 0, 0, 0, 0,
      dr_none, 0 },
};

int main(void)
{
    t_begin("vmx_exits_cr");
    if (vmx_enable() != VMX_OK || vmcs_init_default((void (*)(void))gs_cr0_exit,
                                                    VMX_GUEST_STACK_TOP))
        return t_check(0, "VMXON and the default VMCS", "failed"), t_finish();
    cr0 = read_cr0() & ~X86_CR0_TS & ~X86_CR0_MP;
    write_cr0(cr0);
    cr4 = read_cr4();
    vmwrite(F_H_CR0, cr0);
    proc_base = vmx_ctl_adjust(F_PROC, 0);
    /* the LMSW qualifications depend on CR0's low word: filled in here */
    struct vmx_step s[sizeof steps / sizeof steps[0]];
    memcpy(s, steps, sizeof steps);
    uint64_t lw = (cr0 & 0xfff0) | 0x3;
    s[6].qual = (lw << 16) | 0x30;
    s[7].qual = (lw << 16) | 0x70;
    vmx_run_steps(s, sizeof s / sizeof s[0]);

    /* TPR below threshold: trap-like, after the MOV to CR8 (29.1.2) */
    if (vmx_ctl_can(F_PROC, PROC_TPR_SHADOW)) {
        tpr_shadow();
        vmx_gregs.rax = 3;                  /* 3 < threshold 5 */
        vmwrite(F_G_RIP, va_pa(gs_cr8_below));
        uint64_t run = vmx_run();
        vmx_expect_exit("MOV to CR8 below the TPR threshold: exit 43", run, EXIT_TPR_BELOW, 0);
        t_eq("TPR below threshold is trap-like: guest RIP after the MOV", vmread(F_G_RIP),
             va_pa(ge_cr8_below));
        t_eq("... VTPR written before the exit", vapic[0x80], 0x30);
    }
    return t_finish();
}
