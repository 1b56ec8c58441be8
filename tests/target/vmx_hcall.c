/* vmx_hcall.c — a tiny TLFS hypervisor: its 64-bit guest issues Hyper-V hypercalls with VMCALL
 * and the VMCALL handler answers them per the TLFS ABI, so that a trace of this kernel holds
 * known `hypercall` events (docs/TRACE-FORMAT.md "Hypercalls"; checked by
 * tests/build/check-hcall-trace.sh against the HC_* values below, written there by hand).
 *
 * ABI (../shared/design/HYPERV-REFERENCE.md "Hypercalls", TLFS "Hypercall Interface"): input
 * value in RCX (call code 15:0, fast 16, rep count 43:32, rep start index 59:48); memory form: RDX
 * = input GPA, R8 = output GPA; fast form: RDX and R8 carry the input; result value in RAX
 * (status 15:0, reps completed 43:32). A rep call the hypervisor stops early returns with RIP at
 * the VMCALL and the rep start index of RCX advanced; the guest issues it again.
 *
 * The calls, in order:
 *  1. GetPartitionId (0x0046), memory form: the handler writes HC_PARTITION_ID to the output
 *     GPA; result SUCCESS (0).
 *  2. SignalEvent (0x005D), fast: RDX = connection id | flag number << 32; result SUCCESS.
 *  3. FlushVirtualAddressList (0x0003), rep count 4 from 0: the handler does 2 reps and returns
 *     by continuation (RIP unchanged, rep start 2), then the re-issued call completes: result
 *     SUCCESS with 4 reps completed.
 *  4. Code 0x0007 (reserved in the TLFS): result HV_STATUS_INVALID_HYPERCALL_CODE (2).
 * The guest stores each result value (and the input value after the rep call) and the output
 * page; main() checks what the guest saw. The VMCS is annotated partition 1, VP 0.
 * SDM Vol. 3: VMCALL exits unconditionally in VMX non-root operation (26.1.2), reason 18
 * (Appendix C), with the guest RIP of the VMCALL (28.2/28.3) and length 3 (0F 01 C1).
 */
#include "lib/annot.h"
#include "lib/vmx_lib.h"

/* input values (plain numbers: they are also used in the guest's assembly) */
#define HC_SLOW_IN   0x0046                 /* GetPartitionId */
#define HC_FAST_IN   0x1005d                /* SignalEvent | fast */
#define HC_FAST_RDX  0x300000005            /* connection id 5, flag number 3 */
#define HC_REP_IN    0x400000003            /* FlushVirtualAddressList, rep count 4, start 0 */
#define HC_BAD_IN    0x0007                 /* reserved code */
#define HC_PARTITION_ID 0x1234567890ull
#define HC_REP_FIRST 2                      /* reps done before the continuation */
#define HV_STATUS_SUCCESS 0
#define HV_STATUS_INVALID_HYPERCALL_CODE 2
#define S_(x) #x
#define S(x) S_(x)

/* the guest's input and output pages (memory form: 8-byte aligned, not crossing a page) and the
 * rep call's list of GVAs */
uint64_t hc_in_page[512] __attribute__((aligned(4096), used));
uint64_t hc_out_page[512] __attribute__((aligned(4096), used));
uint64_t hc_list[4] __attribute__((aligned(64), used)) = { 0x1000, 0x2000, 0x3000, 0x4000 };
/* what the guest saw: results of calls 1..4, RCX after call 3, the output page's first qword */
uint64_t g_hc_res[6] __attribute__((used));

extern char g_hc[], g_hc_slow[], g_hc_fast[], g_hc_rep[], g_hc_bad[];
__asm__(".text\n"
        "g_hc:\n"
        "  mov $" S(HC_SLOW_IN) ", %rcx\n"
        "  lea hc_in_page(%rip), %rdx\n"
        "  lea hc_out_page(%rip), %r8\n"
        "  xor %eax, %eax\n"
        "g_hc_slow:\n"
        "  vmcall\n"
        "  mov %rax, g_hc_res(%rip)\n"
        "  mov $" S(HC_FAST_IN) ", %rcx\n"
        "  movabs $" S(HC_FAST_RDX) ", %rdx\n"
        "  xor %r8d, %r8d\n"
        "  xor %eax, %eax\n"
        "g_hc_fast:\n"
        "  vmcall\n"
        "  mov %rax, g_hc_res+8(%rip)\n"
        "  movabs $" S(HC_REP_IN) ", %rcx\n"
        "  lea hc_list(%rip), %rdx\n"
        "  xor %r8d, %r8d\n"
        "  xor %eax, %eax\n"
        "g_hc_rep:\n"
        "  vmcall\n"                          /* continued once, then completed */
        "  mov %rax, g_hc_res+16(%rip)\n"
        "  mov %rcx, g_hc_res+32(%rip)\n"
        "  mov $" S(HC_BAD_IN) ", %rcx\n"
        "  xor %eax, %eax\n"
        "g_hc_bad:\n"
        "  vmcall\n"
        "  mov %rax, g_hc_res+24(%rip)\n"
        "  mov hc_out_page(%rip), %rax\n"
        "  mov %rax, g_hc_res+40(%rip)\n"
        "  ret\n");                           /* -> the VMX_GUEST_DONE stub */

/* what the handler saw */
static uint64_t seen_fast_rdx, seen_rep_rdx, seen_reps[4];
static unsigned n_calls, n_reps, n_continued;

/* One VMCALL exit of the guest: answer the hypercall in RCX (TLFS), or 1 at the done stub. */
static int handle(void)
{
    if (vmx_gregs.rax == VMX_GUEST_DONE)
        return 1;
    uint64_t in = vmx_gregs.rcx;
    uint64_t code = in & 0xffff, fast = (in >> 16) & 1;
    uint64_t count = (in >> 32) & 0xfff, start = (in >> 48) & 0xfff;
    uint64_t result;
    n_calls++;
    switch (code) {
    case 0x0046:                                    /* GetPartitionId: u64 output */
        *(volatile uint64_t *)(uintptr_t)vmx_gregs.r8 = HC_PARTITION_ID;
        result = HV_STATUS_SUCCESS;
        break;
    case 0x005d:                                    /* SignalEvent, fast */
        seen_fast_rdx = fast ? vmx_gregs.rdx : 0;
        result = HV_STATUS_SUCCESS;
        break;
    case 0x0003: {                                  /* FlushVirtualAddressList, rep */
        seen_rep_rdx = vmx_gregs.rdx;
        const uint64_t *gva = (const uint64_t *)(uintptr_t)vmx_gregs.rdx;
        uint64_t stop = start == 0 ? HC_REP_FIRST : count;
        for (uint64_t k = start; k < stop && k < 4; k++)
            seen_reps[n_reps++ & 3] = gva[k];
        if (stop < count) {                         /* continuation: RIP stays at the VMCALL */
            vmx_gregs.rcx = (in & ~(0xfffull << 48)) | (stop << 48);
            n_continued++;
            return 0;
        }
        result = HV_STATUS_SUCCESS | (count << 32);
        break;
    }
    default:
        result = HV_STATUS_INVALID_HYPERCALL_CODE;
        break;
    }
    vmx_gregs.rax = result;
    vmx_skip_insn();
    return 0;
}

int main(void)
{
    t_begin("vmx_hcall");
    if (!t_eq("VMXON succeeds", (uint64_t)vmx_enable(), VMX_OK))
        return t_finish();
    if (vmcs_init_default((void (*)(void))g_hc, VMX_GUEST_STACK_TOP))
        return t_finish();
    hvsim_annotate(HVSIM_ANNOT_VMCS_IDENTITY, va_pa(vmx_vmcs), 1, 0, 0);
    int done = 0;
    uint64_t rep_rips = 0;
    for (unsigned n = 0; n < 16 && !done; n++) {
        uint64_t run = vmx_run();
        if (!vmx_expect_exit("guest exit is a VMCALL", run, EXIT_VMCALL, VMX_ANY))
            break;
        if (vmread(F_G_RIP) == va_pa(g_hc_rep))
            rep_rips++;
        done = handle();
    }
    t_check(done, "the guest ran to its end", "after %u calls", n_calls);
    t_eq("5 hypercall exits (the rep call twice)", n_calls, 5);
    t_eq("the rep call exited twice at its VMCALL (continuation keeps RIP)", rep_rips, 2);
    t_eq("one continuation", n_continued, 1);
    t_eq("GetPartitionId: guest RAX = HV_STATUS_SUCCESS", g_hc_res[0], HV_STATUS_SUCCESS);
    t_eq("GetPartitionId: output page holds the partition id", g_hc_res[5], HC_PARTITION_ID);
    t_eq("SignalEvent fast: guest RAX = HV_STATUS_SUCCESS", g_hc_res[1], HV_STATUS_SUCCESS);
    t_eq("SignalEvent fast: RDX reached the handler", seen_fast_rdx, HC_FAST_RDX);
    t_eq("FlushVirtualAddressList: RAX = SUCCESS, 4 reps completed", g_hc_res[2], 4ull << 32);
    t_eq("FlushVirtualAddressList: RCX after the call has rep start 2", g_hc_res[4],
         HC_REP_IN | (2ull << 48));
    t_eq("FlushVirtualAddressList: input GPA in RDX", seen_rep_rdx, va_pa(hc_list));
    t_eq("FlushVirtualAddressList: 4 reps handled", n_reps, 4);
    t_eq("FlushVirtualAddressList: last GVA", seen_reps[3], 0x4000);
    t_eq("reserved code 7: RAX = HV_STATUS_INVALID_HYPERCALL_CODE", g_hc_res[3],
         HV_STATUS_INVALID_HYPERCALL_CODE);
    (void)g_hc_slow;
    (void)g_hc_fast;
    (void)g_hc_bad;
    return t_finish();
}
