/* hv_check.h — the checks of the root test kernels that run on the real hypervisor
 * (hv_hcall_test.c, hv_vtimer_test.c; docs/TESTING.md "Hypervisor target tests"): one
 * "PASS name" or "FAIL name: detail" line per check on the console (kcon), counted; the end
 * prints "PREFIX: N checks passed, M failed" and reports through the debug-exit port (0xF4):
 * 0 when nothing failed, 1 otherwise (hvsim's exit status (v << 1) | 1), then halts.
 */
#ifndef TESTS_TARGET_HV_CHECK_H
#define TESTS_TARGET_HV_CHECK_H

#include <stdbool.h>

extern unsigned hv_check_passed, hv_check_failed;

void hv_check(bool ok, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
__attribute__((noreturn)) void hv_check_finish(const char *prefix);

#endif
