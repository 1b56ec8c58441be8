/* vmx_preempt_exact.c — the VMX-preemption timer at instruction granularity: the guest samples
 * the TSC with RDTSC and then runs a straight line of 4096 INC RCX; the timer exit must come at
 * the first instruction boundary at or after the timer reached 0, so RCX (the INCs retired) is
 * the count that a cycle-exact computation from the guest's TSC sample predicts.
 *
 * What the target can know: the guest's RDTSC sample t_s (EDX:EAX survive the INCs), the INCs
 * retired k (RCX; RIP must be start + 3k), the cost of one INC c (calibrated without the timer:
 * (d(4096) - d(1024)) / 3072 with d = the TSC between two RDTSCs around the INC lines) and the
 * fixed cost c0 of the RDTSC and two MOVs around the lines (d(1024) - 1024c). Unknown but the
 * same in every run of the same path (the model's costs are per instruction class): delta, the
 * TSC from the completion of VM entry E to the sample (E = t_s - delta), and p in [0, c0], the
 * TSC from the sample to the start of the first INC, so boundary j is at B(j) = t_s + p + j*c.
 * The timer reaches 0 at T = (floor(E / 2^X) + N) * 2^X (it counts down each time bit X of the
 * TSC changes). Exactness means B(k) >= T > B(k - 1), i.e. 0 <= B(k) - T < c. The kernel runs
 * 48 consecutive values of N, each entered at another TSC phase (a host delay loop of
 * varying length before VMLAUNCH; at least 8 distinct phases are required), and checks that one (delta, p) with
 * 0 <= delta <= 256 and 0 <= p <= c0 satisfies this for every run: a timer checked at coarser
 * points (blocks of instructions) spreads B(k) - T over the block length and fails.
 *
 * Expected values (SDM Vol. 3): 25.5.1 (the timer counts down by 1 each time bit X of the TSC
 * changes, X = IA32_VMX_MISC[4:0]; a VM exit occurs when it reaches 0); 26.7.4 / 25.2 (the exit
 * is at an instruction boundary: an instruction in progress completes, the next does not
 * start); 27.3.3 (guest RIP = the next instruction).
 */
#include "lib/vmx_lib.h"

#define LONG_N  4096
#define SHORT_N 1024
#define RUNS    48
#define DELTA_MAX 256

extern char g_px[], g_px_incs[], g_px_end[], g_py[];
__asm__(".text\n"
        "g_px:\n\trdtsc\n"
        "g_px_incs:\n\t.rept 4096\n\tinc %rcx\n\t.endr\n"
        "g_px_end:\n\tmov %rax, %r8\n\tmov %rdx, %r9\n\trdtsc\n\tvmcall\n"
        "g_py:\n\trdtsc\n\t.rept 1024\n\tinc %rcx\n\t.endr\n"
        "\tmov %rax, %r8\n\tmov %rdx, %r9\n\trdtsc\n\tvmcall\n");

static void start(const char *rip, uint32_t timer)
{
    vmwrite(F_PIN, vmx_ctl_adjust(F_PIN, timer ? PIN_PREEMPT : 0));
    if (timer)
        vmwrite(F_PREEMPT_TIMER, timer);
    vmwrite(F_G_RIP, va_pa(rip));
    vmwrite(F_G_RSP, va_pa(VMX_GUEST_STACK_TOP) - 64);
    vmwrite(F_G_RFLAGS, 2);
    memset(&vmx_gregs, 0, sizeof vmx_gregs);
}

static uint64_t tsc_of(uint64_t lo, uint64_t hi) { return (hi << 32) | (lo & 0xffffffffu); }

/* d = TSC between the two guest RDTSCs of a calibration run; 0 if the run went wrong */
static uint64_t calibrate(const char *rip, const char *name)
{
    start(rip, 0);
    if (!vmx_expect_exit(name, vmx_run(), EXIT_VMCALL, VMX_ANY))
        return 0;
    return tsc_of(vmx_gregs.rax, vmx_gregs.rdx) - tsc_of(vmx_gregs.r8, vmx_gregs.r9);
}

static uint64_t ts[RUNS], kk[RUNS], nn[RUNS];

int main(void)
{
    t_begin("vmx_preempt_exact");
    if (vmx_enable() != VMX_OK || vmcs_init_default((void (*)(void))g_px, VMX_GUEST_STACK_TOP))
        return t_check(0, "VMXON and the default VMCS", "failed"), t_finish();
    if (!vmx_ctl_can(F_PIN, PIN_PREEMPT)) {
        tprintf("# the VMX-preemption timer is not offered: nothing to test\n");
        return t_finish();
    }
    unsigned x = (unsigned)(rdmsr(MSR_VMX_MISC) & 0x1f);
    uint64_t tick = 1ull << x;

    uint64_t dl = calibrate(g_px, "calibration: 4096 INCs between two RDTSCs, no timer");
    uint64_t ds = calibrate(g_py, "calibration: 1024 INCs between two RDTSCs, no timer");
    t_eq("... the INCs all retired (RCX)", vmx_gregs.rcx, SHORT_N);
    if (!t_check(dl > ds, "INC costs TSC time", "d(4096) %llu, d(1024) %llu",
                 (unsigned long long)dl, (unsigned long long)ds))
        return t_finish();
    uint64_t span = dl - ds;
    if (span % (LONG_N - SHORT_N)) {
        tprintf("# INC costs %llu/%u TSC cycles: not a whole number, exactness not checkable\n",
                (unsigned long long)span, LONG_N - SHORT_N);
        return t_finish();
    }
    uint64_t c = span / (LONG_N - SHORT_N);
    uint64_t c0 = ds - SHORT_N * c;
    tprintf("# X = %u (tick %llu), INC %llu TSC cycles, RDTSC + 2 MOV %llu\n", x,
            (unsigned long long)tick, (unsigned long long)c, (unsigned long long)c0);

    /* N so that the timer expires within the INC line: from LONG_N * c / 4 on, one tick apart */
    uint64_t n0 = (LONG_N * c / 4) / tick + 1;
    int all_ok = 1;
    for (unsigned r = 0; r < RUNS; r++) {
        uint64_t n = n0 + r;
        start(g_px, (uint32_t)n);
        for (unsigned i = 0; i < 3 * r; i++)        /* vary the TSC phase of the entry */
            __asm__ volatile("");
        uint64_t run = vmx_run();
        if (run != EXIT_PREEMPT) {
            all_ok = vmx_expect_exit("timer exit inside the INC line", run, EXIT_PREEMPT, 0);
            break;
        }
        uint64_t k = vmx_gregs.rcx, rip = vmread(F_G_RIP);
        if (rip != va_pa(g_px_incs) + 3 * k || k >= LONG_N) {
            all_ok = t_check(0, "timer exit at an instruction boundary inside the INC line",
                             "N %llu: RIP 0x%llx, RCX %llu", (unsigned long long)n,
                             (unsigned long long)rip, (unsigned long long)k);
            break;
        }
        ts[r] = tsc_of(vmx_gregs.rax, vmx_gregs.rdx);
        kk[r] = k;
        nn[r] = n;
    }
    if (!all_ok)
        return t_finish();
    t_check(1, "48 timer exits (exit 52) inside the INC line, RIP = first INC + 3 * RCX", "%s",
            "");
    unsigned phases = 0;
    for (uint64_t ph = 0; ph < tick && ph < 64; ph++) {
        for (unsigned r = 0; r < RUNS; r++)
            if (ts[r] % tick == ph) {
                phases++;
                break;
            }
    }
    t_check(phases >= (tick < 8 ? tick : 8), "the runs sample different TSC phases (bit X)",
            "only %u distinct values of t_s mod 2^X", phases);

    /* one (delta, p) must make every exit exact: 0 <= B(k) - T < c */
    int found = 0;
    uint64_t fd = 0, fp = 0;
    for (uint64_t d = 0; d <= DELTA_MAX && !found; d++) {
        for (uint64_t p = 0; p <= c0 && !found; p++) {
            int ok = 1;
            for (unsigned r = 0; r < RUNS && ok; r++) {
                if (ts[r] < d)
                    ok = 0;
                uint64_t t_exp = ((ts[r] - d) / tick + nn[r]) * tick;
                uint64_t b = ts[r] + p + kk[r] * c;
                ok = ok && b >= t_exp && b - t_exp < c;
            }
            if (ok) {
                found = 1;
                fd = d;
                fp = p;
            }
        }
    }
    if (found)
        tprintf("# consistent with entry-to-sample %llu and sample-to-first-INC %llu cycles\n",
                (unsigned long long)fd, (unsigned long long)fp);
    /* for the report: B(k) - T over the runs with delta = 0, p = 0 */
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (unsigned r = 0; r < RUNS; r++) {
        int64_t u = (int64_t)(ts[r] + kk[r] * c) - (int64_t)((ts[r] / tick + nn[r]) * tick);
        lo = u < lo ? u : lo;
        hi = u > hi ? u : hi;
    }
    t_check(found, "every timer exit is at the first INC boundary at or after expiry (one "
            "entry/sample offset explains all 48 runs within one INC)",
            "no offset fits; with offsets 0, B(k) - T ranges over [%lld, %lld] cycles",
            (long long)lo, (long long)hi);
    return t_finish();
}
