/* crc32.c — benchmark workload: table-driven CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320)
 * over a 1 MiB pseudo-random buffer, 6 passes. Returns the final CRC. */
#include <stdint.h>

#include "lib/rt.h"

#define LEN (1u << 20)
static uint8_t buf[LEN];
static uint32_t table[256];

static void make_table(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[n] = c;
    }
}

static uint32_t crc32(uint32_t crc, const uint8_t *p, uint32_t len)
{
    crc = ~crc;
    while (len--)
        crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

int main(void)
{
    make_table();
    uint32_t x = 12345;
    for (uint32_t i = 0; i < LEN; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    uint32_t crc = 0;
    for (int pass = 0; pass < 6; pass++)
        crc = crc32(crc, buf, LEN);
    return (int)crc;
}
