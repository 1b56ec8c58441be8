/* vmx_bench.c — VMX round-trip costs as the cycle model yields them: a null VMCALL round trip, a
 * CPUID exit handled by the host, and an EPT-violation round trip (the host maps the page and
 * resumes; the access is retried). A 64-bit Multiboot kernel built with the VMX test-kernel
 * framework (tests/target/lib/vmx_lib.h); `make vmx-bench` boots it with bench/vmx_bench.cfg.
 *
 * Method (the kvm-unit-tests vmexit test's): the guest reads the TSC, runs N iterations of the
 * exiting instruction, reads the TSC again; the host handles each exit with the least work a
 * hypervisor does (advance RIP for VMCALL/CPUID, emulate CPUID with the host's CPUID, map the
 * page for the EPT violation) and resumes. Cycles per iteration = TSC delta / N, where the TSC
 * counts simulated core cycles (docs/CYCLE-MODEL.md: RDTSC returns cycles + TSC offset), so the
 * figure includes the guest loop's few instructions, the exit, the host handler and the entry.
 * Output: one `bench: NAME cycles=C` line per measurement on COM1.
 *
 * Command line: `iters=N` sets the iterations of the VMCALL and CPUID loops (default 512; `make
 * trace-bench` makes them long, bench/trace_bench.sh); the EPT loop always touches 512 pages.
 */
#include "lib/mb.h"
#include "lib/vmx_lib.h"

#define N 512
#define FAULT_GPA 0x1000000ull          /* N fresh pages, not present in the EPT at first */

extern uint32_t vmx_mb_info;            /* lib/vmx_entry.S: the Multiboot information (EBX) */

/* `iters=N` from the Multiboot command line (decimal, 1..2^31), else N. */
static uint32_t cmdline_iters(void)
{
    const struct mb1_info *mb = (const struct mb1_info *)(uintptr_t)vmx_mb_info;
    if (!mb || !(mb->flags & MB1_INFO_CMDLINE))
        return N;
    for (const char *p = (const char *)(uintptr_t)mb->cmdline; *p; p++) {
        if ((p == (const char *)(uintptr_t)mb->cmdline || p[-1] == ' ') && p[0] == 'i' &&
            p[1] == 't' && p[2] == 'e' && p[3] == 'r' && p[4] == 's' && p[5] == '=') {
            uint64_t v = 0;
            for (p += 6; *p >= '0' && *p <= '9' && v <= 0x80000000u; p++)
                v = v * 10 + (uint64_t)(*p - '0');
            return v >= 1 && v <= 0x80000000u ? (uint32_t)v : N;
        }
    }
    return N;
}

/* each loop: R13 = iterations (set by the host), R12 = start TSC, R14 = end TSC, then VMCALL
 * with R15 = 1 ("done") */
extern char g_vmcall_loop[], g_cpuid_loop[], g_ept_loop[];
__asm__(".text\n"
        ".macro TSC_TO reg\n\trdtsc\n\tshl $32, %rdx\n\tor %rax, %rdx\n\tmov %rdx, \\reg\n.endm\n"
        "g_vmcall_loop:\n\tTSC_TO %r12\n"
        "1:\txor %eax, %eax\n\tvmcall\n\tdec %r13d\n\tjnz 1b\n"
        "\tTSC_TO %r14\n\tmov $1, %r15d\n\tvmcall\n"
        "g_cpuid_loop:\n\tTSC_TO %r12\n"
        "2:\txor %eax, %eax\n\txor %ecx, %ecx\n\tcpuid\n\tdec %r13d\n\tjnz 2b\n"
        "\tTSC_TO %r14\n\tmov $1, %r15d\n\tvmcall\n"
        "g_ept_loop:\n\tTSC_TO %r12\n\tmov $0x1000000, %rbx\n"
        "3:\tmov (%rbx), %rax\n\tadd $4096, %rbx\n\tdec %r13d\n\tjnz 3b\n"
        "\tTSC_TO %r14\n\tmov $1, %r15d\n\tvmcall\n");

/* Run the guest from `loop` for n iterations until its final VMCALL; handle every other exit
 * with `handle`, which returns 0 for an expected exit. Returns cycles per iteration, or 0 on an
 * error. */
static uint64_t measure(const char *name, char *loop, int (*handle)(uint64_t reason), uint32_t n)
{
    vmwrite(F_G_RIP, va_pa(loop));
    vmwrite(F_G_RSP, va_pa(VMX_GUEST_STACK_TOP) - 64);
    memset(&vmx_gregs, 0, sizeof vmx_gregs);
    vmx_gregs.r13 = n;
    for (uint64_t exits = 0; exits < 4ull * n; exits++) {
        uint64_t r = vmx_run();
        if (r == EXIT_VMCALL && vmx_gregs.r15 == 1) {
            uint64_t c = (vmx_gregs.r14 - vmx_gregs.r12) / n;
            tprintf("bench: %s cycles=%llu\n", name, (unsigned long long)c);
            return c;
        }
        if (handle(r)) {
            tprintf("# %s: unexpected exit 0x%llx (%s), qualification 0x%llx\n", name,
                    (unsigned long long)r, vmx_exit_name((uint32_t)r),
                    (unsigned long long)vmread(F_EXIT_QUAL));
            return 0;
        }
    }
    tprintf("# %s: no end after %llu exits\n", name, 4ull * n);
    return 0;
}

static int h_vmcall(uint64_t r)
{
    if (r != EXIT_VMCALL)
        return 1;
    vmx_skip_insn();
    return 0;
}

static int h_cpuid(uint64_t r)
{
    if (r != EXIT_CPUID)
        return 1;
    uint32_t v[4];
    cpuid((uint32_t)vmx_gregs.rax, (uint32_t)vmx_gregs.rcx, v);
    vmx_gregs.rax = v[0];
    vmx_gregs.rbx = v[1];
    vmx_gregs.rcx = v[2];
    vmx_gregs.rdx = v[3];
    vmx_skip_insn();
    return 0;
}

static int h_ept(uint64_t r)
{
    if (r != EXIT_EPT_VIOLATION)
        return 1;
    uint64_t gpa = vmread(F_GUEST_PHYS) & ~0xfffull;
    ept_map4k(gpa, gpa, EPT_RWX | EPT_WB);      /* not present -> present: no INVEPT needed */
    return 0;
}

int main(void)
{
    t_begin("vmx_bench");
    if (vmx_enable() != VMX_OK ||
        vmcs_init_default((void (*)(void))g_vmcall_loop, VMX_GUEST_STACK_TOP))
        return t_check(0, "VMXON and the default VMCS", "failed"), t_finish();
    uint32_t iters = cmdline_iters();
    if (iters != N)
        tprintf("# iters=%u\n", iters);
    uint64_t c1 = measure("vmx_vmcall_round_trip", g_vmcall_loop, h_vmcall, iters);
    uint64_t c2 = measure("vmx_cpuid_exit_round_trip", g_cpuid_loop, h_cpuid, iters);
    uint64_t c3 = 0;
    if (vmx_ctl_can(F_PROC2, PROC2_EPT)) {
        ept_init();
        for (unsigned k = 0; k < N; k++)
            *ept_entry(FAULT_GPA + k * 4096ull, 1) = 0;
        vmx_ctl_set(F_PROC2, PROC2_EPT);
        vmwrite(F_EPTP, ept_eptp());
        c3 = measure("vmx_ept_violation_round_trip", g_ept_loop, h_ept, N);
    }
    t_check(c1 && c2 && c3, "all three measurements completed", "%llu %llu %llu",
            (unsigned long long)c1, (unsigned long long)c2, (unsigned long long)c3);
    return t_finish();
}
