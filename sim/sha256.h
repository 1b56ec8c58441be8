/* sha256.h — SHA-256 (FIPS 180-4), used to record the exact inputs of a run (kernel, modules,
 * cycle model, input files) in its trace. Streaming interface; no host state. */
#ifndef HVSIM_SHA256_H
#define HVSIM_SHA256_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sha256 {
    uint32_t h[8];
    uint64_t len;           /* bytes hashed so far */
    uint8_t buf[64];
    unsigned n;             /* bytes in buf */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t out[32]);
/* The digest of a file as 64 lowercase hex digits (hex must hold 65 bytes); 0, or -1 if the file
 * cannot be read (hex is then "unreadable"). */
int sha256_file_hex(const char *path, char hex[65]);
void sha256_hex(const uint8_t d[32], char hex[65]);

#ifdef __cplusplus
}
#endif
#endif
