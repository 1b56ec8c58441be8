/* hv_check.c — PASS/FAIL lines and the final count of the root test kernels (hv_check.h). */
#include "tests/target/hv_check.h"

#include <stdarg.h>

#include "krt/krt.h"
#include "krt/x86.h"
#include "partitions/lib/kcon.h"

unsigned hv_check_passed, hv_check_failed;

void hv_check(bool ok, const char *name, const char *fmt, ...)
{
    if (ok) {
        hv_check_passed++;
        kcon_printf("PASS %s\n", name);
        return;
    }
    hv_check_failed++;
    char buf[200];
    va_list ap;
    va_start(ap, fmt);
    krt_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    kcon_printf("FAIL %s: %s\n", name, buf);
}

void hv_check_finish(const char *prefix)
{
    kcon_printf("%s: %u checks passed, %u failed\n", prefix, hv_check_passed, hv_check_failed);
    outb(0xF4, hv_check_failed ? 1 : 0);   /* debug-exit: status (v << 1) | 1 */
    for (;;) {
        cpu_cli();
        cpu_hlt();
    }
}
