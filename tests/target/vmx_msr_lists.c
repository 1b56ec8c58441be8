/* vmx_msr_lists.c — the MSR lists and the PAT/EFER controls on their success paths: the VM-entry
 * MSR-load list (values seen by the guest's RDMSR, entries processed in order, the host not
 * restored unless an exit list says so), the VM-exit MSR-store list (the guest's values written
 * to the area, before the exit MSR-load list runs), the VM-exit MSR-load list (values seen by
 * the host after the exit), and "load IA32_PAT"/"load IA32_EFER" on entry, "save IA32_PAT"/
 * "save IA32_EFER" and "load IA32_PAT"/"load IA32_EFER" on exit (and the guest fields left alone
 * without the save controls).
 *
 * The guest reads and writes the MSRs itself with RDMSR/WRMSR, which do not exit because an
 * all-zero MSR bitmap is in use (25.1.3). MSRs used: IA32_STAR C0000081H, IA32_LSTAR C0000082H,
 * IA32_KERNEL_GS_BASE C0000102H (no VMCS field holds them), IA32_PAT 277H, IA32_EFER C0000080H
 * (only its SCE bit 0 is changed: harmless to both worlds).
 *
 * Expected values (SDM Vol. 3): 24.7.2 / 24.8.2 (list entry format: bits 31:0 MSR index, 63:32
 * reserved, 127:64 data; 16-byte aligned areas); 26.4 (the VM-entry MSR-load list is processed
 * in order after the guest state is loaded: the later entry for the same MSR wins); 26.3.2.1
 * (load IA32_PAT / IA32_EFER from the guest fields); 27.3.1 (save IA32_PAT / IA32_EFER into the
 * guest fields only if the controls are 1); 27.4 (the VM-exit MSR-store list writes each MSR's
 * value into bytes 15:8 of its entry), 27.5.1 (load IA32_PAT / IA32_EFER from the host fields),
 * 27.6 (the VM-exit MSR-load list, processed after the store list and the host state).
 */
#include "lib/vmx_lib.h"

#define MSR_STAR  0xc0000081u
#define MSR_LSTAR 0xc0000082u
#define MSR_KGS   0xc0000102u
#define MSR_PAT   0x277u
#define MSR_EFER  0xc0000080u

extern char g_rdwr[];
/* r8 <- RDMSR(ESI), r9 <- RDMSR(R12D), WRMSR(EDI) <- RBX, VMCALL */
__asm__(".text\n"
        "g_rdwr:\n"
        "\tmov %esi, %ecx\n\trdmsr\n\tshl $32, %rdx\n\tor %rax, %rdx\n\tmov %rdx, %r8\n"
        "\tmov %r12d, %ecx\n\trdmsr\n\tshl $32, %rdx\n\tor %rax, %rdx\n\tmov %rdx, %r9\n"
        "\tmov %edi, %ecx\n\tmov %rbx, %rax\n\tmov %rbx, %rdx\n\tshr $32, %rdx\n\twrmsr\n"
        "\tvmcall\n");

struct msr_entry { uint32_t index, reserved; uint64_t value; };
static struct msr_entry entry_list[4] __attribute__((aligned(16)));
static struct msr_entry store_list[4] __attribute__((aligned(16)));
static struct msr_entry load_list[4] __attribute__((aligned(16)));
static uint8_t msr_bitmap[4096] __attribute__((aligned(4096)));

static void guest(uint32_t rd1, uint32_t rd2, uint32_t wr, uint64_t val)
{
    vmx_guest_restart((void (*)(void))g_rdwr, VMX_GUEST_STACK_TOP);
    vmx_gregs.rsi = rd1;
    vmx_gregs.r12 = rd2;
    vmx_gregs.rdi = wr;
    vmx_gregs.rbx = val;
}

static void lists(unsigned n_entry, unsigned n_store, unsigned n_load)
{
    vmwrite(F_ENTRY_MSR_LOAD_ADDR, va_pa(entry_list));
    vmwrite(F_ENTRY_MSR_LOAD_COUNT, n_entry);
    vmwrite(F_EXIT_MSR_STORE_ADDR, va_pa(store_list));
    vmwrite(F_EXIT_MSR_STORE_COUNT, n_store);
    vmwrite(F_EXIT_MSR_LOAD_ADDR, va_pa(load_list));
    vmwrite(F_EXIT_MSR_LOAD_COUNT, n_load);
}

static void set(struct msr_entry *e, uint32_t index, uint64_t value)
{
    e->index = index;
    e->reserved = 0;
    e->value = value;
}

static void msr_lists(void)
{
    const uint64_t h_star = 0x0023001000000000ull, h_lstar = 0xffffffff81000000ull,
                   h_kgs = 0x1000;
    wrmsr(MSR_STAR, h_star);
    wrmsr(MSR_LSTAR, h_lstar);
    wrmsr(MSR_KGS, h_kgs);
    const uint64_t e_star = 0x001b000800000000ull, e_lstar1 = 0x0000000012345000ull,
                   e_lstar2 = 0x00007fff00001000ull, g_kgs = 0x00001234abcd0000ull,
                   x_lstar = 0xffffffff82000000ull, x_kgs = 0x2000;
    set(&entry_list[0], MSR_STAR, e_star);
    set(&entry_list[1], MSR_LSTAR, e_lstar1);
    set(&entry_list[2], MSR_LSTAR, e_lstar2);
    set(&store_list[0], MSR_KGS, 0x5555);
    set(&store_list[1], MSR_LSTAR, 0x5555);
    set(&store_list[2], MSR_STAR, 0x5555);
    set(&load_list[0], MSR_LSTAR, x_lstar);
    set(&load_list[1], MSR_KGS, x_kgs);
    lists(3, 3, 2);
    guest(MSR_STAR, MSR_LSTAR, MSR_KGS, g_kgs);
    uint64_t run = vmx_run();
    if (!vmx_expect_exit("MSR lists: entry load 3, exit store 3, exit load 2: the guest runs to "
                         "its VMCALL", run, EXIT_VMCALL, VMX_ANY))
        return;
    t_eq("entry MSR-load list: the guest reads IA32_STAR = the list's value (26.4)",
         vmx_gregs.r8, e_star);
    t_eq("entry MSR-load list: IA32_LSTAR listed twice: the later entry wins (in order)",
         vmx_gregs.r9, e_lstar2);
    t_eq("exit MSR-store list: IA32_KERNEL_GS_BASE = the guest's WRMSR value (27.4)",
         store_list[0].value, g_kgs);
    t_eq("exit MSR-store list: IA32_LSTAR = the guest's value, stored before the exit "
         "MSR-load list ran (27.4 before 27.6)", store_list[1].value, e_lstar2);
    t_eq("exit MSR-store list: IA32_STAR = the entry list's value", store_list[2].value, e_star);
    t_eq("exit MSR-store list: index and reserved bits of the entry untouched",
         (uint64_t)store_list[0].index | (uint64_t)store_list[0].reserved << 32, MSR_KGS);
    t_eq("exit MSR-load list: the host reads IA32_LSTAR = the list's value (27.6)",
         rdmsr(MSR_LSTAR), x_lstar);
    t_eq("exit MSR-load list: the host reads IA32_KERNEL_GS_BASE = the list's value",
         rdmsr(MSR_KGS), x_kgs);
    t_eq("IA32_STAR not in the exit MSR-load list: keeps the guest's value after the exit",
         rdmsr(MSR_STAR), e_star);

    /* counts of 0: nothing loaded or stored */
    wrmsr(MSR_LSTAR, h_lstar);
    set(&store_list[0], MSR_KGS, 0x5555);
    lists(0, 0, 0);
    guest(MSR_LSTAR, MSR_LSTAR, MSR_KGS, 0x3000);
    run = vmx_run();
    if (vmx_expect_exit("all counts 0: the guest runs to its VMCALL", run, EXIT_VMCALL,
                        VMX_ANY)) {
        t_eq("... the guest reads the host's IA32_LSTAR", vmx_gregs.r9, h_lstar);
        t_eq("... the store area is not written", store_list[0].value, 0x5555);
        t_eq("... the host sees the guest's IA32_KERNEL_GS_BASE", rdmsr(MSR_KGS), 0x3000);
    }
    wrmsr(MSR_STAR, 0);
    wrmsr(MSR_LSTAR, 0);
    wrmsr(MSR_KGS, 0);
}

static int pat_ok(uint64_t pat)
{
    for (int k = 0; k < 8; k++) {
        unsigned t = (pat >> (8 * k)) & 0xff;
        if (t == 2 || t == 3 || t > 7)
            return 0;
    }
    return 1;
}

static void pat_controls(void)
{
    if (!vmx_ctl_can(F_ENTRY_CTLS, ENTRY_LOAD_PAT) ||
        !vmx_ctl_can(F_EXIT_CTLS, EXIT_SAVE_PAT | EXIT_LOAD_PAT)) {
        tprintf("# PAT load/save controls not offered: skipped\n");
        return;
    }
    const uint64_t host_pat = rdmsr(MSR_PAT);
    const uint64_t g_pat = 0x0007010600070106ull, g_pat2 = 0x0006040500060405ull,
                   h_pat = 0x0007040600070405ull;
    if (!t_check(pat_ok(g_pat) && pat_ok(g_pat2) && pat_ok(h_pat), "test PAT values valid",
                 "%s", "a memory type 2, 3 or > 7"))
        return;
    uint64_t ex = vmread(F_EXIT_CTLS), en = vmread(F_ENTRY_CTLS);
    vmwrite(F_ENTRY_CTLS, en | ENTRY_LOAD_PAT);
    vmwrite(F_EXIT_CTLS, ex | EXIT_SAVE_PAT | EXIT_LOAD_PAT);
    vmwrite(F_G_PAT, g_pat);
    vmwrite(F_H_PAT, h_pat);
    guest(MSR_PAT, MSR_PAT, MSR_PAT, g_pat2);
    uint64_t run = vmx_run();
    if (vmx_expect_exit("load/save/load IA32_PAT: the guest runs to its VMCALL", run,
                        EXIT_VMCALL, VMX_ANY)) {
        t_eq("load IA32_PAT on entry: the guest reads the guest PAT field (26.3.2.1)",
             vmx_gregs.r8, g_pat);
        t_eq("save IA32_PAT on exit: the guest PAT field = the guest's WRMSR value (27.3.1)",
             vmread(F_G_PAT), g_pat2);
        t_eq("load IA32_PAT on exit: the host reads the host PAT field (27.5.1)",
             rdmsr(MSR_PAT), h_pat);
    }
    /* without "save IA32_PAT" the field keeps its value */
    vmwrite(F_EXIT_CTLS, ex | EXIT_LOAD_PAT);
    vmwrite(F_G_PAT, g_pat);
    guest(MSR_PAT, MSR_PAT, MSR_PAT, g_pat2);
    run = vmx_run();
    if (vmx_expect_exit("load IA32_PAT without save: VMCALL", run, EXIT_VMCALL, VMX_ANY))
        t_eq("... the guest PAT field is not written (27.3.1)", vmread(F_G_PAT), g_pat);
    /* without "load IA32_PAT" on exit the host keeps the guest's PAT */
    vmwrite(F_EXIT_CTLS, ex);
    vmwrite(F_ENTRY_CTLS, en);
    wrmsr(MSR_PAT, host_pat);
    guest(MSR_PAT, MSR_PAT, MSR_PAT, g_pat2);
    run = vmx_run();
    if (vmx_expect_exit("no PAT controls: VMCALL", run, EXIT_VMCALL, VMX_ANY)) {
        t_eq("... the guest reads the host's PAT", vmx_gregs.r8, host_pat);
        t_eq("... the host sees the guest's PAT after the exit", rdmsr(MSR_PAT), g_pat2);
    }
    wrmsr(MSR_PAT, host_pat);
}

static void efer_controls(void)
{
    if (!vmx_ctl_can(F_ENTRY_CTLS, ENTRY_LOAD_EFER) ||
        !vmx_ctl_can(F_EXIT_CTLS, EXIT_SAVE_EFER | EXIT_LOAD_EFER)) {
        tprintf("# EFER load/save controls not offered: skipped\n");
        return;
    }
    const uint64_t host_efer = rdmsr(MSR_EFER);
    const uint64_t g_efer = host_efer ^ 1, g_efer2 = host_efer, h_efer = host_efer ^ 1;
    uint64_t ex = vmread(F_EXIT_CTLS), en = vmread(F_ENTRY_CTLS);
    vmwrite(F_ENTRY_CTLS, en | ENTRY_LOAD_EFER);
    vmwrite(F_EXIT_CTLS, ex | EXIT_SAVE_EFER | EXIT_LOAD_EFER);
    vmwrite(F_G_EFER, g_efer);
    vmwrite(F_H_EFER, h_efer);
    guest(MSR_EFER, MSR_EFER, MSR_EFER, g_efer2);
    uint64_t run = vmx_run();
    if (vmx_expect_exit("load/save/load IA32_EFER (SCE toggled): VMCALL", run, EXIT_VMCALL,
                        VMX_ANY)) {
        t_eq("load IA32_EFER on entry: the guest reads the guest EFER field (26.3.2.1)",
             vmx_gregs.r8, g_efer);
        t_eq("save IA32_EFER on exit: the guest EFER field = the guest's WRMSR value",
             vmread(F_G_EFER), g_efer2);
        t_eq("load IA32_EFER on exit: the host reads the host EFER field (27.5.1)",
             rdmsr(MSR_EFER), h_efer);
    }
    vmwrite(F_EXIT_CTLS, ex | EXIT_LOAD_EFER);
    vmwrite(F_G_EFER, g_efer);
    guest(MSR_EFER, MSR_EFER, MSR_EFER, g_efer2);
    run = vmx_run();
    if (vmx_expect_exit("load IA32_EFER without save: VMCALL", run, EXIT_VMCALL, VMX_ANY))
        t_eq("... the guest EFER field is not written (27.3.1)", vmread(F_G_EFER), g_efer);
    vmwrite(F_EXIT_CTLS, ex);
    vmwrite(F_ENTRY_CTLS, en);
    wrmsr(MSR_EFER, host_efer);
}

int main(void)
{
    t_begin("vmx_msr_lists");
    if (vmx_enable() != VMX_OK || vmcs_init_default((void (*)(void))g_rdwr, VMX_GUEST_STACK_TOP))
        return t_check(0, "VMXON and the default VMCS", "failed"), t_finish();
    if (!vmx_ctl_can(F_PROC, PROC_MSR_BITMAPS)) {
        tprintf("# MSR bitmaps not offered: the guest's RDMSR would exit; nothing to test\n");
        return t_finish();
    }
    memset(msr_bitmap, 0, sizeof msr_bitmap);
    vmwrite(F_MSR_BITMAP, va_pa(msr_bitmap));
    vmx_ctl_set(F_PROC, PROC_MSR_BITMAPS);
    msr_lists();
    pat_controls();
    efer_controls();
    return t_finish();
}
