/* smp_sum.c — the shares and the segmented sieve of the `smp` workload (see smp_sum.h). */
#include "partitions/child/smp_sum.h"

#include <stdbool.h>
#include <string.h>

void smp_share(uint32_t k, uint32_t n, uint32_t limit, uint32_t *lo, uint32_t *hi)
{
    *lo = (uint32_t)((uint64_t)limit * k / n);
    *hi = (uint32_t)((uint64_t)limit * (k + 1) / n);
}

static bool small_prime(uint32_t p)
{
    for (uint32_t d = 2; d * d <= p; d++)
        if (p % d == 0)
            return false;
    return p >= 2;
}

uint64_t smp_prime_sum(uint32_t lo, uint32_t hi, uint8_t *mark, uint32_t *count)
{
    uint64_t sum = 0;
    *count = 0;
    if (hi <= lo)
        return 0;
    memset(mark, 1, hi - lo);
    for (uint32_t p = 2; (uint64_t)p * p < hi; p++) {
        if (!small_prime(p))
            continue;
        uint64_t m = (uint64_t)p * p;
        if (m < lo)
            m = ((uint64_t)lo + p - 1) / p * p;
        for (; m < hi; m += p)
            mark[m - lo] = 0;
    }
    for (uint32_t x = lo < 2 ? 2 : lo; x < hi; x++)
        if (mark[x - lo]) {
            ++*count;
            sum += x;
        }
    return sum;
}
