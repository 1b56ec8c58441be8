/* main.c — the child partition kernel (docs/HYPERVISOR.md "The child partition kernel"): detects
 * the hypervisor through CPUID (TLFS 2.4: CPUID.1:ECX[31], leaf 0x40000000 "Microsoft Hv",
 * 0x40000001 "Hv#1"), sets the guest OS ID and enables the hypercall page (TLFS 3.13), asks for
 * its partition id, prints through its COM1 (port I/O: intercepts the root emulates), runs its
 * workload and ends by writing the debug-exit port, an I/O intercept the root reads as
 * "finished" with the written value as the exit status.
 *
 * The command line (RDI) is "name=NAME id=ID vps=N workload=ITEM,..."; it is only read when a
 * hypervisor is present (under `hvsim exec` RDI is the RAM size, not a pointer).
 * Workloads: compute (a sieve of Eratosthenes: pi(CHILD_SIEVE_N) is known, 2262 for 20000);
 * timer and message need the SynIC and are reported as not available yet.
 */
#include "krt/krt.h"
#include "partitions/lib/kcon.h"
#include "partitions/lib/winhv.h"

#define CHILD_DEBUG_EXIT 0xF4           /* isa-debug-exit (docs/DEVICES.md) */
#define CHILD_SIEVE_N 20000

void child_main(const char *cmdline);

static uint8_t child_sieve[CHILD_SIEVE_N];

static __attribute__((noreturn)) void child_exit(uint8_t status)
{
    outb(CHILD_DEBUG_EXIT, status);
    for (;;)
        cpu_hlt();
}

/* The value of key=... in the command line (copied into out), or "" */
static void cmdline_get(const char *cmd, const char *key, char *out, size_t size)
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

static bool has_item(const char *list, const char *item)
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

static unsigned count_primes(void)
{
    unsigned n = 0;
    memset(child_sieve, 1, sizeof child_sieve);
    for (unsigned i = 2; i < CHILD_SIEVE_N; i++) {
        if (!child_sieve[i])
            continue;
        n++;
        for (unsigned j = i * i; j < CHILD_SIEVE_N; j += i)
            child_sieve[j] = 0;
    }
    return n;
}

void child_main(const char *cmdline)
{
    kcon_init();
    struct winhv_cpuid hv;
    winhv_detect(&hv);
    if (!hv.present) {
        kcon_printf("child: no hypervisor (CPUID.1:ECX[31] = 0)\n");
        child_exit(1);
    }
    char name[32], wl[64];
    cmdline_get(cmdline, "name", name, sizeof name);
    cmdline_get(cmdline, "workload", wl, sizeof wl);
    kcon_printf("child %s: command line \"%s\"\n", name, cmdline);
    if (!winhv_usable(&hv)) {
        kcon_printf("child %s: not a TLFS hypervisor (signature %s, interface %s)\n", name,
                    hv.microsoft_hv ? "ok" : "unknown", hv.hv1 ? "Hv#1" : "unknown");
        child_exit(2);
    }
    if (winhv_init(WINHV_OS_CHILD) < 0) {
        kcon_printf("child %s: the hypercall page was not enabled\n", name);
        child_exit(3);
    }
    uint64_t id = 0;
    uint16_t st = winhv_get_partition_id(&id);
    kcon_printf("child %s: partition id %llu (%s), privileges 0x%llx\n", name,
                (unsigned long long)id, winhv_status_name(st),
                (unsigned long long)hv.privileges);
    if (has_item(wl, "compute"))
        kcon_printf("child %s: compute: %u primes below %u\n", name, count_primes(),
                    CHILD_SIEVE_N);
    if (has_item(wl, "timer"))
        kcon_printf("child %s: timer: not available yet (needs the SynIC)\n", name);
    if (has_item(wl, "message"))
        kcon_printf("child %s: message: not available yet (needs ports and connections)\n",
                    name);
    kcon_printf("child %s: done\n", name);
    child_exit(0);
}
