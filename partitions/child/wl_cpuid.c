/* wl_cpuid.c — the child's `cpuid` workload: the root intercepts its CPUID leaves
 * 80000002H-80000004H (HvCallInstallIntercept before the child starts) and answers each with
 * part of the brand string "hvsim child NAME" (partitions/root/pm_cpuid.h); every other leaf is
 * still the hypervisor's (docs/HYPERVISOR.md "The scenario, the child workloads...").
 * Expected values: the brand string built here from the child's own name (SDM Vol. 2A CPUID
 * "Processor Brand String": 48 bytes, EAX EBX ECX EDX of each leaf in order, little-endian,
 * NUL-terminated), CPUID writing 32-bit results zero-extended into RAX/RBX/RCX/RDX (SDM Vol. 1
 * 3.4.1.1), the hypervisor's answers for leaves it keeps: CPUID.1:ECX[31] = 1 (TLFS 2.4
 * "hypervisor present") and leaf 40000001H EAX = "Hv#1" (TLFS 2.4.2) — never from a run.
 * Prints "child NAME: cpuid: PASS what" or "... FAIL what: got X, want Y" per check, and
 * "child NAME: cpuid: N checks passed, M failed"; tests/build/check-cpuid.sh reads them.
 */
#include "krt/krt.h"
#include "partitions/child/child.h"
#include "partitions/lib/kcon.h"

static unsigned passed, failed;

static void check(const char *what, uint64_t got, uint64_t want)
{
    if (got == want) {
        passed++;
        kcon_printf("child %s: cpuid: PASS %s\n", child_name, what);
    } else {
        failed++;
        kcon_printf("child %s: cpuid: FAIL %s: got 0x%llx, want 0x%llx\n", child_name, what,
                    (unsigned long long)got, (unsigned long long)want);
    }
}

/* CPUID with bits 63:32 of RAX..RDX preset to DEAD0000H (to see the zero-extension). */
static void cpuid64(uint32_t leaf, uint64_t out[4])
{
    uint64_t a = 0xDEAD000000000000ull | leaf, b = 0xDEAD000000000000ull;
    uint64_t c = 0xDEAD000000000000ull, d = 0xDEAD000000000000ull;
    __asm__ volatile("cpuid" : "+a"(a), "+b"(b), "+c"(c), "+d"(d) : : "memory");
    out[0] = a;
    out[1] = b;
    out[2] = c;
    out[3] = d;
}

void wl_cpuid(void)
{
    uint8_t want[48] = { 0 }, got[48];
    unsigned n = 0;
    for (const char *p = "hvsim child "; *p; p++)
        want[n++] = (uint8_t)*p;
    for (const char *p = child_name; *p && n < sizeof want - 1; p++)
        want[n++] = (uint8_t)*p;
    bool high_zero = true;
    for (uint32_t k = 0; k < 3; k++) {
        uint64_t r[4];
        cpuid64(0x80000002u + k, r);
        for (unsigned i = 0; i < 4; i++) {
            if (r[i] >> 32)
                high_zero = false;
            for (unsigned j = 0; j < 4; j++)
                got[16 * k + 4 * i + j] = (uint8_t)(r[i] >> (8 * j));
        }
    }
    unsigned bad = 48;
    for (unsigned i = 0; i < 48; i++)
        if (got[i] != want[i]) {
            bad = i;
            break;
        }
    check("brand string bytes 0-47 (first difference at byte 48 = none)", bad, 48);
    got[47] = 0;
    kcon_printf("child %s: cpuid: brand \"%s\"\n", child_name, (const char *)got);
    check("brand string NUL-terminated", got[n], 0);
    check("brand registers zero-extended (bits 63:32 of RAX..RDX)", high_zero, 1);
    uint64_t r[4];
    cpuid64(1, r);
    check("leaf 1 stays the hypervisor's: ECX[31] hypervisor present", (r[2] >> 31) & 1, 1);
    cpuid64(0x40000001u, r);
    check("leaf 40000001H stays the hypervisor's: EAX = \"Hv#1\"", (uint32_t)r[0], 0x31237648u);
    kcon_printf("child %s: cpuid: %u checks passed, %u failed\n", child_name, passed, failed);
}
