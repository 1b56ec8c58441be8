/* diff_rng.h — the deterministic pseudo-random generator of the differential tests.
 *
 * SplitMix64 (Steele, Lea, Flood 2014): a 64-bit state advanced by a Weyl constant and mixed by
 * a fixed finaliser. Invariant: the sequence depends only on the seed; nothing from the host
 * (time, addresses, other randomness) ever enters it, so a failing case is reproduced exactly
 * from the seed printed in its report.
 */
#ifndef HVSIM_DIFF_RNG_H
#define HVSIM_DIFF_RNG_H

#include <stdint.h>

namespace diff {

/* The SplitMix64 output function on its own: also used to derive per-case seeds. */
static inline uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* FNV-1a of a string, to give every test group its own seed stream. */
static inline uint64_t hash_str(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    while (*s)
        h = (h ^ (uint8_t)*s++) * 0x100000001b3ull;
    return h;
}

class Rng {
public:
    explicit Rng(uint64_t seed) : s_(seed) {}
    uint64_t next() { s_ += 0x9e3779b97f4a7c15ull; return mix64(s_ - 0x9e3779b97f4a7c15ull); }
    /* Uniform in [0, n), n > 0 (the tiny modulo bias is irrelevant here). */
    uint32_t below(uint32_t n) { return (uint32_t)(next() % n); }
    /* Uniform in [lo, hi]. */
    int64_t range(int64_t lo, int64_t hi) { return lo + (int64_t)(next() % (uint64_t)(hi - lo + 1)); }
    bool chance(unsigned percent) { return below(100) < percent; }
    template <class T, unsigned N> const T &pick(const T (&a)[N]) { return a[below(N)]; }

    /* An operand value of `bits` bits, biased towards the values where flags and carries are
     * interesting: 0, 1, -1, sign boundaries, single bits, small numbers, byte patterns. */
    uint64_t value(unsigned bits)
    {
        const uint64_t mask = bits >= 64 ? ~0ull : (1ull << bits) - 1;
        const uint64_t sign = 1ull << (bits - 1);
        uint64_t v;
        switch (below(12)) {
        case 0: v = below(17); break;                       /* small */
        case 1: v = (uint64_t)-(int64_t)(1 + below(16)); break; /* small negative */
        case 2: {
            static const int k[] = { 0, 1, 2, 3 };
            uint64_t b[] = { sign, sign - 1, sign + 1, mask };
            v = b[pick(k)];
            break;
        }
        case 3: v = 1ull << below(bits); break;             /* one bit */
        case 4: v = ~(1ull << below(bits)); break;          /* one bit clear */
        case 5: v = below(256); break;
        case 6: {                                           /* random bytes, some zeroed */
            v = next();
            for (unsigned i = 0; i < 8; i++)
                if (chance(40))
                    v &= ~(0xffull << (8 * i));
            break;
        }
        case 7: v = (uint64_t)(int64_t)(int8_t)next(); break;   /* sign-extended byte */
        case 8: v = sign | below(16); break;
        default: v = next(); break;
        }
        return v & mask;
    }

private:
    uint64_t s_;
};

} // namespace diff
#endif
