/* demo.c — the demo program of `./hvsim.sh run`: draws the Mandelbrot set in fixed-point
 * integer arithmetic, counts the primes below 100000 with a sieve, prints both on the debug
 * console, and exits with 0 through the debug-exit port (hvsim exit status 1). */
#include <stdint.h>

#include "lib/rt.h"

#define W 72
#define H 24
#define FRAC 24            /* fixed point: 8.24 */
#define MAX_ITER 200

static int mandel_iter(int64_t cr, int64_t ci)
{
    int64_t zr = 0, zi = 0;
    for (int k = 0; k < MAX_ITER; k++) {
        int64_t zr2 = (zr * zr) >> FRAC, zi2 = (zi * zi) >> FRAC;
        if (zr2 + zi2 > (4ll << FRAC))
            return k;
        zi = ((zr * zi) >> (FRAC - 1)) + ci;
        zr = zr2 - zi2 + cr;
    }
    return MAX_ITER;
}

static unsigned draw_mandelbrot(void)
{
    static const char shade[] = " .:-=+*#%@";
    unsigned checksum = 0;
    for (int y = 0; y < H; y++) {
        char line[W + 2];
        for (int x = 0; x < W; x++) {
            int64_t cr = ((int64_t)x * (3ll << FRAC)) / W - (2ll << FRAC) - (1ll << (FRAC - 2));
            int64_t ci = ((int64_t)y * (2ll << FRAC)) / H - (1ll << FRAC);
            int it = mandel_iter(cr, ci);
            checksum = checksum * 31 + (unsigned)it;
            line[x] = it == MAX_ITER ? '@' : shade[it % 9];
        }
        line[W] = '\n';
        line[W + 1] = 0;
        tputs(line);
    }
    return checksum;
}

static uint8_t composite[100000];

static unsigned count_primes(unsigned n)
{
    unsigned count = 0;
    for (unsigned i = 2; i < n; i++) {
        if (composite[i])
            continue;
        count++;
        for (unsigned j = i * 2; j < n; j += i)
            composite[j] = 1;
    }
    return count;
}

int main(void)
{
    tprintf("hvsim demo: a freestanding x86-64 program running on hvsim's CPU\n");
    tprintf("RAM %lu MiB, first free page at 0x%lx\n\n", boot_ram_size >> 20, boot_free_base);
    unsigned sum = draw_mandelbrot();
    tprintf("\nMandelbrot %dx%d, %d iterations max, checksum %08x\n", W, H, MAX_ITER, sum);
    unsigned primes = count_primes(sizeof composite);
    tprintf("primes below %u: %u (expected 9592)\n", (unsigned)sizeof composite, primes);
    return primes == 9592 ? 0 : 1;
}
