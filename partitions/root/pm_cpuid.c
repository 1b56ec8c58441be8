/* pm_cpuid.c — the brand string of a child with the `cpuid` workload (pm_cpuid.h; SDM Vol. 2A
 * CPUID leaves 80000002H-80000004H). Invariants: reads only `name` up to its NUL (at most 35
 * characters are used: the prefix's 12 and the name's 23), writes only out[0..3]. */
#include "partitions/root/pm_cpuid.h"

int pm_cpuid_brand(const char *name, uint32_t leaf, uint32_t out[4])
{
    if (leaf < PM_CPUID_BRAND_FIRST || leaf > PM_CPUID_BRAND_LAST)
        return -1;
    uint8_t b[48] = { 0 };
    unsigned n = 0;
    for (const char *p = PM_CPUID_BRAND_PREFIX; *p; p++)
        b[n++] = (uint8_t)*p;
    for (const char *p = name; *p && n < sizeof b - 1; p++)
        b[n++] = (uint8_t)*p;
    const uint8_t *s = b + 16 * (leaf - PM_CPUID_BRAND_FIRST);
    for (unsigned r = 0; r < 4; r++)
        out[r] = (uint32_t)s[4 * r] | (uint32_t)s[4 * r + 1] << 8 |
                 (uint32_t)s[4 * r + 2] << 16 | (uint32_t)s[4 * r + 3] << 24;
    return 0;
}
