/* smp_sum.h — the arithmetic of the child's `smp` workload (docs/HYPERVISOR.md "The scenario"):
 * the primes below SMP_SUM_LIMIT are summed by every VP of the child, VP k of n taking one
 * contiguous share of [0, SMP_SUM_LIMIT). The totals are independently known: pi(2 000 000) =
 * 148933 and the sum of the primes below two million is 142913828922 (Project Euler problem 10;
 * also recomputed by a separate sieve while writing this). Plain C: compiled into the child
 * kernel and into the host unit tests (PmSmp*).
 *
 * Invariants: the shares of k = 0..n-1 are disjoint and cover [0, limit) exactly; a share's sum
 * reads and writes only mark[0, hi - lo).
 */
#ifndef SMP_SUM_H
#define SMP_SUM_H

#include <stdint.h>

#define SMP_SUM_LIMIT  2000000u
#define SMP_SUM_PRIMES 148933u
#define SMP_SUM_TOTAL  142913828922ull

/* VP k's share of [0, limit) among n VPs (1 <= n, k < n): [limit * k / n, limit * (k + 1) / n). */
void smp_share(uint32_t k, uint32_t n, uint32_t limit, uint32_t *lo, uint32_t *hi);

/* The sum of the primes in [lo, hi) (a segmented sieve of Eratosthenes: the multiples of every
 * prime p with p * p < hi are crossed off, starting at max(p * p, the first multiple >= lo));
 * *count = how many. mark: hi - lo bytes of scratch. */
uint64_t smp_prime_sum(uint32_t lo, uint32_t hi, uint8_t *mark, uint32_t *count);

#endif
