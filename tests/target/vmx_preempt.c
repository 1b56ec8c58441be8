/* vmx_preempt.c — the VMX-preemption timer: its rate, an exit before the first instruction for
 * the value 0, the exit time of a non-zero value measured with the TSC, the value saved on exit
 * (or kept without "save VMX-preemption timer value"), and the timer counting in the HLT state.
 *
 * Expected values (SDM Vol. 3): 25.5.1 (the timer counts down by 1 each time bit X of the TSC
 * changes, X = IA32_VMX_MISC[4:0] (A.6); when it reaches 0 a VM exit with reason 52 occurs; it
 * counts in the C-states/HLT; a VM exit with "save VMX-preemption timer value" stores the
 * remaining value, otherwise the field is not changed); 26.7.4 (value 0 at VM entry: the exit
 * happens before any guest instruction); 27.3.4 (activity state HLT saved, RIP after the HLT).
 * Time bounds, with host RDTSCs around vmx_run(): the timer cannot expire earlier than
 * (N - 1) * 2^X cycles after the entry, and the entry and exit transitions together cost at
 * most one VMCALL round trip RT (measured the same way first); so
 * (N - 1) * 2^X <= elapsed <= N * 2^X + RT.
 */
#include "lib/vmx_lib.h"

extern char g_spin[], g_spin_loop[], g_call[], g_hlt[], g_hlt_after[];
__asm__(".text\n"
        "g_spin:\n\tnop\n"
        "g_spin_loop:\n\tjmp g_spin_loop\n"
        "g_call:\n\tvmcall\n\tjmp g_call\n"
        "g_hlt:\n\thlt\ng_hlt_after:\n\tvmcall\n");

static void setup(void *rip, uint32_t value, int save)
{
    vmwrite(F_PIN, vmx_ctl_adjust(F_PIN, PIN_PREEMPT));
    vmwrite(F_EXIT_CTLS, vmx_ctl_adjust(F_EXIT_CTLS, EXIT_HOST_64 |
                                                     (save ? EXIT_SAVE_PREEMPT : 0)));
    vmwrite(F_PREEMPT_TIMER, value);
    vmwrite(F_G_RIP, va_pa(rip));
    vmwrite(F_G_ACTIVITY, 0);
    vmwrite(F_G_RSP, va_pa(VMX_GUEST_STACK_TOP) - 64);
    memset(&vmx_gregs, 0, sizeof vmx_gregs);
}

int main(void)
{
    t_begin("vmx_preempt");
    if (vmx_enable() != VMX_OK || vmcs_init_default((void (*)(void))g_call, VMX_GUEST_STACK_TOP))
        return t_check(0, "VMXON and the default VMCS", "failed"), t_finish();
    if (!vmx_ctl_can(F_PIN, PIN_PREEMPT)) {
        tprintf("# the VMX-preemption timer is not offered: nothing to test\n");
        return t_finish();
    }
    unsigned x = (unsigned)(rdmsr(MSR_VMX_MISC) & 0x1f);
    tprintf("# IA32_VMX_MISC[4:0] = %u: one tick every %llu TSC cycles\n", x,
            (unsigned long long)(1ull << x));

    /* the VMCALL round trip, the slack of the bounds below */
    vmx_expect_exit("warm-up VMCALL", vmx_run(), EXIT_VMCALL, VMX_ANY);
    uint64_t rt = ~0ull;
    for (int k = 0; k < 8; k++) {
        uint64_t t0 = rdtsc64();
        vmx_run();
        uint64_t d = rdtsc64() - t0;
        if (d < rt)
            rt = d;
    }
    tprintf("# VMCALL round trip: %llu TSC cycles\n", (unsigned long long)rt);

    setup(g_spin, 0, 0);
    uint64_t run = vmx_run();
    vmx_expect_exit("timer value 0: exit 52", run, EXIT_PREEMPT, 0);
    t_eq("... before the first guest instruction", vmread(F_G_RIP), va_pa(g_spin));

    static const uint32_t values[] = { 1, 10, 1000, 20000 };
    for (unsigned k = 0; k < sizeof values / sizeof values[0]; k++) {
        uint32_t n = values[k];
        setup(g_spin, n, 0);
        uint64_t t0 = rdtsc64();
        run = vmx_run();
        uint64_t el = rdtsc64() - t0, tick = 1ull << x;
        if (!vmx_expect_exit("timer value N: exit 52 while the guest spins", run, EXIT_PREEMPT,
                             0))
            continue;
        uint64_t lo = (uint64_t)(n - 1) * tick, hi = (uint64_t)n * tick + rt;
        t_check(el >= lo && el <= hi, "exit time within [(N-1)*2^X, N*2^X + RT]",
                "N %u: %llu TSC cycles around vmx_run, want %llu..%llu", n,
                (unsigned long long)el, (unsigned long long)lo, (unsigned long long)hi);
        if (n * tick > 4 * rt)
            t_eq("... guest RIP in the spin loop", vmread(F_G_RIP), va_pa(g_spin_loop));
        t_eq("... without save, the field keeps N", vmread(F_PREEMPT_TIMER), n);
    }

    /* save on exit: the remaining value after a VMCALL right at the start */
    uint32_t n = 1000000;
    setup(g_call, n, 1);
    run = vmx_run();
    vmx_expect_exit("VMCALL exit with the timer running", run, EXIT_VMCALL, VMX_ANY);
    uint64_t v = vmread(F_PREEMPT_TIMER);
    t_check(v <= n && v + (rt >> x) + 2 >= n, "save VMX-preemption timer value: N minus the "
            "ticks of one round trip", "saved %llu, N %u, round trip %llu cycles",
            (unsigned long long)v, n, (unsigned long long)rt);
    /* the saved value keeps counting down across entries to the exit */
    vmwrite(F_G_RIP, va_pa(g_spin));
    vmwrite(F_PREEMPT_TIMER, 50);
    run = vmx_run();
    vmx_expect_exit("resumed with the saved value 50: exit 52", run, EXIT_PREEMPT, 0);
    t_eq("... the saved value at that exit is 0", vmread(F_PREEMPT_TIMER), 0);

    /* the timer counts in the HLT state */
    setup(g_hlt, 100, 0);
    run = vmx_run();
    vmx_expect_exit("HLT in the guest (no HLT exiting), timer 100: exit 52", run, EXIT_PREEMPT,
                    0);
    t_eq("... activity state HLT saved", vmread(F_G_ACTIVITY), 1);
    t_eq("... guest RIP after the HLT", vmread(F_G_RIP), va_pa(g_hlt_after));
    return t_finish();
}
