/* dcache.h — the decode cache: decoded basic blocks keyed by physical address and code size.
 *
 * Invariants:
 *  - A block never crosses a 4 KiB physical page, so invalidating by page is exact.
 *  - Every physical page holding a decoded block has its byte set in `code_page`; any write to such
 *    a page (CPU store, DMA, loader) calls dcache_code_write(), which drops the page's blocks
 *    before the written bytes can be executed again.
 *  - The cache is shared by all LPs of a machine (one host thread), so a store by one LP is seen
 *    by the fetch of every other.
 */
#ifndef HVSIM_DCACHE_H
#define HVSIM_DCACHE_H

#include <stdint.h>
#include "cpu/insn.h"
#include "cpu/decode.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BLOCK_MAX_INSNS 64

struct block {
    uint64_t pa;            /* physical address of the first byte */
    struct block *hnext;    /* hash chain */
    struct block *pnext;    /* chain of blocks on the same physical page (or zombie chain) */
    uint8_t code_size;      /* 2, 4, 8 */
    uint8_t n;              /* instructions */
    uint16_t bytes;         /* total length */
    uint8_t dead;           /* dropped; on the zombie list until dcache_reclaim() */
    const void *cost_model; /* the model whose costs insns[].cum_cost hold (NULL: not yet) */
    /* successor cache (block chaining): the blocks execution went to next, valid only while
     * succ_epoch == dcache.epoch (any invalidation bumps the epoch) */
    struct block *succ[2];
    uint32_t succ_epoch[2];
    struct insn insns[];    /* n entries, then the end marker (fn == op_block_end) */
};

struct dcache {
    struct block **hash;
    uint32_t hash_mask;
    uint8_t *code_page;     /* one byte per RAM page: 1 if blocks were decoded from it */
    uint64_t n_pages;
    struct block **page_blocks; /* per RAM page: list of blocks (via pnext) */
    uint64_t blocks_live, invalidations;
    struct decoder_handles dec;
    struct block *zombies;  /* dropped blocks, freed at the next dcache_reclaim() */
    struct block *scratch;  /* an uncached block for an instruction that crosses a page */
    struct cpu *cur;        /* the LP executing now: told to leave its block on invalidation */
    uint32_t epoch;         /* bumped whenever blocks are dropped (kills successor links) */
};

/* Handler of the end marker that follows the last instruction of every block. */
void op_block_end(struct cpu *c, const struct insn *i);

int  dcache_init(struct dcache *d, uint64_t ram_size);
void dcache_destroy(struct dcache *d);
/* Find or decode the block at physical address pa for code size cs. Decoding reads bytes from the
 * bus; if the instruction bytes cross into the next page, `fetch_next` translates that page (may
 * fault). Returns NULL only if pa is not RAM (execution from MMIO is not supported: #MC-style
 * stop reported by the caller). */
struct block *dcache_lookup(struct dcache *d, struct cpu *c, uint64_t pa, uint64_t lin);
/* Free blocks dropped since the last call (no LP may be executing one of them). */
void dcache_reclaim_now(struct dcache *d);
static inline void dcache_reclaim(struct dcache *d)
{
    if (d->zombies)
        dcache_reclaim_now(d);
}
/* A write hit [pa, pa+len): drop blocks of those pages. */
void dcache_code_write(struct dcache *d, uint64_t pa, uint64_t len);
void dcache_flush(struct dcache *d);

static inline int dcache_page_has_code(const struct dcache *d, uint64_t pa)
{
    uint64_t pfn = pa >> 12;
    return pfn < d->n_pages && d->code_page[pfn];
}

#ifdef __cplusplus
}
#endif
#endif
