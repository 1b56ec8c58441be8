/* sieve.c — benchmark workload: sieve of Eratosthenes over 2,000,000 numbers, 3 passes.
 * Returns the prime count (148933) plus the pass count check, so both CPUs can be compared. */
#include <stdint.h>

#include "lib/rt.h"

#define N 2000000
static uint8_t composite[N];

static unsigned sieve(void)
{
    unsigned count = 0;
    for (unsigned i = 0; i < N; i++)
        composite[i] = 0;
    for (unsigned i = 2; i < N; i++) {
        if (composite[i])
            continue;
        count++;
        for (unsigned j = i + i; j < N; j += i)
            composite[j] = 1;
    }
    return count;
}

int main(void)
{
    unsigned total = 0;
    for (int pass = 0; pass < 3; pass++)
        total += sieve();
    return (int)total;   /* 3 * 148933 */
}
