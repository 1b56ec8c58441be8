/* decode.h — the instruction decoder: Capstone on a decode-cache miss, into struct insn. */
#ifndef HVSIM_DECODE_H
#define HVSIM_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cpu/insn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Capstone handles for the three code sizes plus a reusable cs_insn (opaque here). */
struct decoder_handles {
    uintptr_t h16, h32, h64;
    void *scratch;
};

int  decoder_init(struct decoder_handles *dh);
void decoder_fini(struct decoder_handles *dh);

/* Decode one instruction of code size 2/4/8 from `bytes` (avail bytes valid). Returns 0 with *out
 * filled (an invalid encoding gives a #UD insn of length 1), or -1 if avail < 15 and the bytes may
 * be a truncated instruction (the caller supplies more bytes and retries). */
int decode_one(const struct decoder_handles *dh, unsigned code_size, const uint8_t *bytes,
               size_t avail, struct insn *out);

/* True if nothing after this instruction should be decoded into the same block. */
bool decode_ends_block(const struct insn *i);

/* Mnemonic of a Capstone id (for reports). */
const char *decode_mnemonic(unsigned id);

/* One-line disassembly of the instruction at bytes; returns its length or -1. */
int decode_disasm(unsigned code_size, const uint8_t *bytes, size_t len, uint64_t addr,
                  char *buf, size_t buflen);

#ifdef __cplusplus
}
#endif
#endif
