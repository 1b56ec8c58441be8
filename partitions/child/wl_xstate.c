/* wl_xstate.c — the child's `xstate` workload (docs/HYPERVISOR.md "Guest state on a shared
 * LP"): the registers a VM exit leaves in the logical processor — XCR0 and the MSRs of SYSCALL,
 * SWAPGS and RDTSCP — are the child's own, from its first instruction and across the time slices
 * in which the root and other children run on its LP.
 *
 * 1. At the start every one of them has its reset value (SDM Vol. 3 9.1.1: STAR, LSTAR, CSTAR,
 *    FMASK, KERNEL_GS_BASE, TSC_AUX 0; XCR0 1): a value another partition wrote would show here.
 * 2. It sets XCR0 = x87|SSE (CR4.OSXSAVE, XSETBV; SDM Vol. 1 13.3), EFER.SCE, and values that
 *    depend on its partition id: STAR (SYSCALL CS 08H), LSTAR = one of two SYSCALL handlers
 *    (by the id's parity), CSTAR, FMASK, KERNEL_GS_BASE, TSC_AUX (if RDTSCP exists).
 * 3. For WL_XSTATE_TIME (40 ms of reference time) it loops: SYSCALL (the handler counts and
 *    returns through RCX/R11), SWAPGS twice around a read of IA32_GS_BASE (= its KERNEL_GS_BASE),
 *    RDMSR of each MSR, XGETBV; any value not its own is counted.
 * wl_xstate_run does this before the child prints anything (each character is an intercept
 * the root serves, so the children of a scenario start their loops together); wl_xstate_report
 * prints one line the check script reads:
 *   child NAME: xstate: reset values ok|changed, N syscalls through handler a|b, XCR0 X,
 *   M changes seen
 */
#include "krt/krt.h"
#include "partitions/child/child.h"
#include "partitions/lib/kcon.h"
#include "partitions/lib/winhv.h"

#define WL_XSTATE_TIME 400000ull        /* 40 ms of reference time: about 40 slices of 1 ms */

#define MSR_EFER 0xC0000080u
#define MSR_STAR 0xC0000081u
#define MSR_LSTAR 0xC0000082u
#define MSR_CSTAR 0xC0000083u
#define MSR_FMASK 0xC0000084u
#define MSR_GS_BASE 0xC0000101u
#define MSR_KERNEL_GS_BASE 0xC0000102u
#define MSR_TSC_AUX 0xC0000103u
#define EFER_SCE 1u
#define CR4_OSXSAVE (1ull << 18)

volatile uint64_t wl_xstate_calls_a, wl_xstate_calls_b;
void wl_xstate_syscall_a(void);
void wl_xstate_syscall_b(void);

/* SYSCALL at CPL 0 (SDM Vol. 2 SYSCALL): RCX = the return RIP, R11 = RFLAGS, RFLAGS &= ~FMASK,
 * CS/SS from STAR[47:32]; the stack is unchanged. Return without SYSRET (which would go to
 * CPL 3): restore RFLAGS from R11 and jump back. */
__asm__(".text\n"
        ".globl wl_xstate_syscall_a\n"
        "wl_xstate_syscall_a:\n"
        "    lock incq wl_xstate_calls_a(%rip)\n"
        "    push %r11\n"
        "    popfq\n"
        "    jmp *%rcx\n"
        ".globl wl_xstate_syscall_b\n"
        "wl_xstate_syscall_b:\n"
        "    lock incq wl_xstate_calls_b(%rip)\n"
        "    push %r11\n"
        "    popfq\n"
        "    jmp *%rcx\n");

static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t)hi << 32 | lo;
}

struct xs_values { uint64_t star, lstar, cstar, fmask, kgs, tsc_aux, xcr0; };

static unsigned differences(const struct xs_values *want, bool tsc_aux, bool xsave)
{
    unsigned n = 0;
    n += rdmsr(MSR_STAR) != want->star;
    n += rdmsr(MSR_LSTAR) != want->lstar;
    n += rdmsr(MSR_CSTAR) != want->cstar;
    n += rdmsr(MSR_FMASK) != want->fmask;
    n += rdmsr(MSR_KERNEL_GS_BASE) != want->kgs;
    if (tsc_aux)
        n += rdmsr(MSR_TSC_AUX) != want->tsc_aux;
    if (xsave)
        n += xgetbv0() != want->xcr0;
    return n;
}

static bool xs_reset_ok;
static unsigned xs_changes;
static uint64_t xs_xcr0;

void wl_xstate_run(uint64_t my_id)
{
    uint32_t r[4];
    cpuid(1, 0, r);
    bool xsave = (r[2] >> 26) & 1;
    cpuid(0x80000001u, 0, r);
    bool tsc_aux = (r[3] >> 27) & 1;   /* RDTSCP: IA32_TSC_AUX exists */

    /* 1. reset values */
    struct xs_values reset = { 0, 0, 0, 0, 0, 0, 1 };
    if (xsave)
        write_cr4(read_cr4() | CR4_OSXSAVE);
    bool reset_ok = differences(&reset, tsc_aux, xsave) == 0;

    /* 2. this partition's values (canonical addresses: bits 63:47 equal) */
    struct xs_values mine = {
        .star = 0x08ull << 32,
        .lstar = (uint64_t)(uintptr_t)((my_id & 1) ? wl_xstate_syscall_b : wl_xstate_syscall_a),
        .cstar = 0x00007C5700000000ull | my_id << 12,
        .fmask = (my_id & 1) ? 0x500 : 0x300,
        .kgs = 0x00007E5700000000ull | my_id << 16,
        .tsc_aux = 0xA000 | my_id,
        .xcr0 = 1,
    };
    if (xsave) {
        cpuid(0xD, 0, r);
        mine.xcr0 = 1 | (r[0] & 2);   /* x87, and SSE where supported */
        __asm__ volatile("xsetbv" : : "c"(0), "a"((uint32_t)mine.xcr0), "d"(0u));
    }
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
    wrmsr(MSR_STAR, mine.star);
    wrmsr(MSR_LSTAR, mine.lstar);
    wrmsr(MSR_CSTAR, mine.cstar);
    wrmsr(MSR_FMASK, mine.fmask);
    wrmsr(MSR_KERNEL_GS_BASE, mine.kgs);
    if (tsc_aux)
        wrmsr(MSR_TSC_AUX, mine.tsc_aux);

    /* 3. keep using them while the LP is shared */
    unsigned changes = 0;
    uint64_t t0 = rdmsr(HV_X64_MSR_TIME_REF_COUNT), gs = rdmsr(MSR_GS_BASE);
    while (rdmsr(HV_X64_MSR_TIME_REF_COUNT) - t0 < WL_XSTATE_TIME) {
        __asm__ volatile("syscall" : : : "rcx", "r11", "memory");
        __asm__ volatile("swapgs" ::: "memory");
        changes += rdmsr(MSR_GS_BASE) != mine.kgs;
        __asm__ volatile("swapgs" ::: "memory");
        changes += rdmsr(MSR_GS_BASE) != gs;
        changes += differences(&mine, tsc_aux, xsave);
    }
    xs_reset_ok = reset_ok;
    xs_changes = changes;
    xs_xcr0 = mine.xcr0;
}

void wl_xstate_report(void)
{
    uint64_t a = wl_xstate_calls_a, b = wl_xstate_calls_b;
    kcon_printf("child %s: xstate: reset values %s, %llu syscalls through handler %c, XCR0 %#llx, "
                "%u changes seen\n", child_name, xs_reset_ok ? "ok" : "changed",
                (unsigned long long)(a ? a : b), a ? 'a' : 'b', (unsigned long long)xs_xcr0,
                xs_changes + (a && b ? 1 : 0));
}
