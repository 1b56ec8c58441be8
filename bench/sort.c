/* sort.c — benchmark workload: sort 300,000 pseudo-random 32-bit keys with an iterative
 * quicksort (median of three, insertion sort for short runs), then verify the order. Returns a
 * checksum of the sorted array (or -1 if it is not sorted). */
#include <stdint.h>

#include "lib/rt.h"

#define N 300000
static uint32_t a[N];
static struct { int lo, hi; } stack[64];

static void insertion(int lo, int hi)
{
    for (int i = lo + 1; i <= hi; i++) {
        uint32_t v = a[i];
        int j = i - 1;
        while (j >= lo && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

static void swap(int i, int j)
{
    uint32_t t = a[i];
    a[i] = a[j];
    a[j] = t;
}

static void quicksort(void)
{
    int sp = 0;
    stack[sp].lo = 0;
    stack[sp].hi = N - 1;
    sp++;
    while (sp) {
        sp--;
        int lo = stack[sp].lo, hi = stack[sp].hi;
        while (hi - lo > 16) {
            int mid = lo + (hi - lo) / 2;
            if (a[mid] < a[lo]) swap(mid, lo);
            if (a[hi] < a[lo]) swap(hi, lo);
            if (a[hi] < a[mid]) swap(hi, mid);
            uint32_t pivot = a[mid];
            int i = lo, j = hi;
            while (i <= j) {
                while (a[i] < pivot) i++;
                while (a[j] > pivot) j--;
                if (i <= j) {
                    swap(i, j);
                    i++;
                    j--;
                }
            }
            /* recurse into the smaller part first: push the larger one */
            if (j - lo < hi - i) {
                stack[sp].lo = i; stack[sp].hi = hi; sp++;
                hi = j;
            } else {
                stack[sp].lo = lo; stack[sp].hi = j; sp++;
                lo = i;
            }
        }
        insertion(lo, hi);
    }
}

int main(void)
{
    uint32_t x = 2463534242u;
    for (int i = 0; i < N; i++) {      /* xorshift32 */
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        a[i] = x;
    }
    quicksort();
    uint32_t sum = 0;
    for (int i = 0; i < N; i++) {
        if (i && a[i - 1] > a[i])
            return -1;
        sum = sum * 31 + a[i];
    }
    return (int)sum;
}
