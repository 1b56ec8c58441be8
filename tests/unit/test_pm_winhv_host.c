/* test_pm_winhv_host.c — WinHv (partitions/lib/winhv.c) compiled for the host unit tests: the
 * call through the hypercall page is replaced by winhv_test_raw, the fake hypervisor of
 * tests/unit/test_pm_winhv.cc (WINHV_HOST_TEST). Nothing here executes a privileged
 * instruction: the tests never call winhv_detect or winhv_init. */
#define WINHV_HOST_TEST 1
#include "partitions/lib/winhv.c"
