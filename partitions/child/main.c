/* main.c — the child partition kernel (docs/HYPERVISOR.md "The child partition kernel"): detects
 * the hypervisor through CPUID (TLFS 2.4: CPUID.1:ECX[31], leaf 0x40000000 "Microsoft Hv",
 * 0x40000001 "Hv#1"), sets the guest OS ID and enables the hypercall page (TLFS 3.13), asks for
 * its partition id, prints through its COM1 (port I/O: intercepts the root emulates), runs its
 * workloads in the order compute, timer, message, smp, hostile, and ends by writing the
 * debug-exit port, an I/O intercept the root reads as "finished" with the written value as the
 * exit status, once every other VP is halted (smp.c). This is VP 0's path; VPs 1.. run
 * child_ap_main (smp.c).
 *
 * The command line (RDI) is "name=NAME id=ID vps=N workload=ITEM,... [conn=ID]"; it is only read
 * when a hypervisor is present (under `hvsim exec` RDI is the RAM size, not a pointer).
 * Workloads: compute (a sieve of Eratosthenes: pi(20000) = 2262 and the sum of those primes,
 * 21171191, are known values), timer (wl_timer.c), message (wl_message.c), smp (smp.c: every
 * VP sums a share of the primes below two million), hostile (wl_hostile.c), then xstate's
 * result, apic (wl_apic.c), mmio (wl_mmio.c: the device page the root emulates) and cpuid
 * (wl_cpuid.c: the brand string the root answers through CPUID intercepts), int3 (wl_int3.c).
 */
#include "krt/krt.h"
#include "partitions/child/child.h"
#include "partitions/lib/kcon.h"
#include "partitions/lib/winhv.h"

#define CHILD_SIEVE_N 20000

void child_main(const char *cmdline);

char child_name[32];
const char *child_cmdline = "";
static uint8_t child_sieve[CHILD_SIEVE_N];

__attribute__((noreturn)) void child_exit(uint8_t status)
{
    outb(CHILD_DEBUG_EXIT, status);
    for (;;)
        cpu_hlt();
}

void cmdline_get(const char *cmd, const char *key, char *out, size_t size)
{
    size_t klen = strlen(key);
    out[0] = 0;
    for (const char *w = cmd; *w;) {
        while (*w == ' ')
            w++;
        const char *e = w;
        while (*e && *e != ' ')
            e++;
        if ((size_t)(e - w) > klen && !strncmp(w, key, klen) && w[klen] == '=') {
            size_t n = (size_t)(e - w) - klen - 1;
            if (n >= size)
                n = size - 1;
            memcpy(out, w + klen + 1, n);
            out[n] = 0;
            return;
        }
        w = e;
    }
}

uint64_t cmdline_num(const char *key, uint64_t dflt)
{
    char v[24];
    cmdline_get(child_cmdline, key, v, sizeof v);
    const char *end;
    uint64_t x;
    if (krt_parse_u64(v, &end, &x) != 0 || *end)
        return dflt;
    return x;
}

bool child_has_item(const char *list, const char *item)
{
    size_t n = strlen(item);
    for (const char *p = list; *p;) {
        if (!strncmp(p, item, n) && (p[n] == ',' || p[n] == 0))
            return true;
        const char *c = strchr(p, ',');
        if (!c)
            break;
        p = c + 1;
    }
    return false;
}

static void wl_compute(void)
{
    unsigned n = 0;
    uint64_t sum = 0;
    memset(child_sieve, 1, sizeof child_sieve);
    for (unsigned i = 2; i < CHILD_SIEVE_N; i++) {
        if (!child_sieve[i])
            continue;
        n++;
        sum += i;
        for (unsigned j = i * i; j < CHILD_SIEVE_N; j += i)
            child_sieve[j] = 0;
    }
    kcon_printf("child %s: compute: %u primes below %u, sum %llu\n", child_name, n,
                CHILD_SIEVE_N, (unsigned long long)sum);
}

void child_main(const char *cmdline)
{
    kcon_init();
    child_name[0] = '?';
    struct winhv_cpuid hv;
    winhv_detect(&hv);
    if (!hv.present) {
        kcon_printf("child: no hypervisor (CPUID.1:ECX[31] = 0)\n");
        child_exit(1);
    }
    child_cmdline = cmdline;
    child_idt_init();
    child_apic_init();
    char wl[64];
    cmdline_get(cmdline, "name", child_name, sizeof child_name);
    cmdline_get(cmdline, "workload", wl, sizeof wl);
    /* before any console output (each character is an intercept the root serves): the xstate
     * children of a scenario then run their loops at the same time */
    if (child_has_item(wl, "xstate"))
        wl_xstate_run(cmdline_num("id", 0));
    kcon_printf("child %s: command line \"%s\"\n", child_name, cmdline);
    if (!winhv_usable(&hv)) {
        kcon_printf("child %s: not a TLFS hypervisor (signature %s, interface %s)\n", child_name,
                    hv.microsoft_hv ? "ok" : "unknown", hv.hv1 ? "Hv#1" : "unknown");
        child_exit(2);
    }
    if (winhv_init(WINHV_OS_CHILD) < 0) {
        kcon_printf("child %s: the hypercall page was not enabled\n", child_name);
        child_exit(3);
    }
    child_smp_boot((uint32_t)cmdline_num("vps", 1));     /* VPs 1.. may call now (smp.c) */
    uint64_t id = 0;
    uint16_t st = winhv_get_partition_id(&id);
    kcon_printf("child %s: partition id %llu (%s), privileges 0x%llx\n", child_name,
                (unsigned long long)id, winhv_status_name(st),
                (unsigned long long)hv.privileges);
    if (child_has_item(wl, "compute"))
        wl_compute();
    if (child_has_item(wl, "timer"))
        wl_timer();
    if (child_has_item(wl, "message"))
        wl_message();
    if (child_has_item(wl, "smp"))
        wl_smp();
    if (child_has_item(wl, "hostile"))
        wl_hostile(id);
    if (child_has_item(wl, "xstate"))
        wl_xstate_report();
    if (child_has_item(wl, "apic"))
        wl_apic(0);
    if (child_has_item(wl, "mmio"))
        wl_mmio();
    if (child_has_item(wl, "cpuid"))
        wl_cpuid();
    if (child_has_item(wl, "int3"))
        wl_int3();
    child_smp_park();
    kcon_printf("child %s: done\n", child_name);
    child_exit(0);
}
