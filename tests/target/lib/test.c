/* test.c — PASS/FAIL reporting for target test programs (see test.h). */
#include "test.h"

static const char *prog = "test";
static unsigned n_pass, n_fail;

void t_begin(const char *program)
{
    prog = program;
    tprintf("# %s: start\n", prog);
}

int t_check(int ok, const char *name, const char *fmt, ...)
{
    if (ok) {
        n_pass++;
        tprintf("PASS %s: %s\n", prog, name);
        return 1;
    }
    n_fail++;
    tprintf("FAIL %s: %s: ", prog, name);
    va_list ap;
    va_start(ap, fmt);
    tvprintf(fmt, ap);
    va_end(ap);
    tputc('\n');
    return 0;
}

int t_eq(const char *name, uint64_t got, uint64_t want)
{
    return t_check(got == want, name, "got 0x%llx, want 0x%llx", (unsigned long long)got,
                   (unsigned long long)want);
}

int t_finish(void)
{
    tprintf("# %s: end, %u checks passed, %u checks failed\n", prog, n_pass, n_fail);
    return n_fail ? 1 : 0;
}
