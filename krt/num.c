/* num.c — reading an unsigned number from text (krt/krt.h krt_parse_u64): decimal, or
 * hexadecimal after 0x / 0X. Used for command-line values by the hypervisor (`pool=16M`) and the
 * partition kernels.
 * Invariants: reads only up to the first non-digit; never overflows (reports it instead).
 * Plain C: compiled into the target images and into the host unit tests.
 */
#include "krt/krt.h"

int krt_parse_u64(const char *s, const char **end, uint64_t *out)
{
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    const char *digits = s;
    uint64_t v = 0;
    bool overflow = false;
    for (;; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9')
            d = (unsigned)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = (unsigned)(*s - 'a' + 10);
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = (unsigned)(*s - 'A' + 10);
        else
            break;
        if (v > (UINT64_MAX - d) / base)
            overflow = true;
        else
            v = v * base + d;
    }
    *end = s;
    *out = v;
    return s == digits || overflow ? -1 : 0;
}
