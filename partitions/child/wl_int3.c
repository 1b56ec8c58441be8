/* wl_int3.c — the child's `int3` workload: the root intercepts its #BP (HvCallInstallIntercept,
 * type exception, vector 3, before the child starts) and completes each INT3 by moving RIP past
 * it (partitions/root/pm_msg.c handle_exception); the child's own IDT never sees the #BP (its
 * handler, trap.c, would end the child with status 83H). Expected values: registers the
 * intercept must not change (set here), INT3 is one byte (CC, SDM Vol. 2A INT n/INTO/INT3/INT1)
 * so execution resumes at the next instruction, and a loop of INT3s completes every one.
 * Prints "child NAME: int3: PASS what" or "... FAIL what: got X, want Y" per check, and
 * "child NAME: int3: N checks passed, M failed"; tests/build/check-cpuid.sh reads them.
 */
#include "krt/krt.h"
#include "partitions/child/child.h"
#include "partitions/lib/kcon.h"

static unsigned passed, failed;

static void check(const char *what, uint64_t got, uint64_t want)
{
    if (got == want) {
        passed++;
        kcon_printf("child %s: int3: PASS %s\n", child_name, what);
    } else {
        failed++;
        kcon_printf("child %s: int3: FAIL %s: got 0x%llx, want 0x%llx\n", child_name, what,
                    (unsigned long long)got, (unsigned long long)want);
    }
}

void wl_int3(void)
{
    uint64_t a = 0x1122334455667788ull, b = 0x99AABBCCDDEEFF00ull, after = 0;
    /* the MOV after the INT3 runs only if the root resumed the VP just past the CC byte */
    __asm__ volatile("int3\n\tmovq $0x5A5A, %2" : "+a"(a), "+b"(b), "=r"(after) : : "memory");
    check("the instruction after INT3 ran", after, 0x5A5A);
    check("RAX kept across the intercept", a, 0x1122334455667788ull);
    check("RBX kept across the intercept", b, 0x99AABBCCDDEEFF00ull);
    unsigned n = 0;
    for (unsigned i = 0; i < 3; i++) {
        __asm__ volatile("int3" : : : "memory");
        n++;
    }
    check("three more INT3s completed", n, 3);
    kcon_printf("child %s: int3: %u checks passed, %u failed\n", child_name, passed, failed);
}
