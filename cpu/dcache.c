/* dcache.c — the decode cache (see dcache.h for the invariants).
 *
 * Blocks are found through a hash of (physical address, code size). Each RAM page keeps the list
 * of blocks decoded from it; a write to a page with code drops them all (moves them to a zombie
 * list, since the LP may be executing one of them right now) and tells the executing LP to leave
 * its block. Zombies are freed by dcache_reclaim(), which the run loop calls between blocks.
 */
#include "cpu/dcache.h"

#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "mmu/mmu.h"
#include "sim/bus.h"

#define HASH_BITS 16

static inline uint32_t hash_of(uint64_t pa, unsigned cs)
{
    uint64_t k = pa * 0x9e3779b97f4a7c15ull ^ cs;
    return (uint32_t)(k >> (64 - HASH_BITS));
}

int dcache_init(struct dcache *d, uint64_t ram_size)
{
    memset(d, 0, sizeof *d);
    d->hash_mask = (1u << HASH_BITS) - 1;
    d->hash = calloc(1u << HASH_BITS, sizeof *d->hash);
    d->n_pages = (ram_size + 4095) >> 12;
    d->code_page = calloc(d->n_pages ? d->n_pages : 1, 1);
    d->page_blocks = calloc(d->n_pages ? d->n_pages : 1, sizeof *d->page_blocks);
    d->scratch = calloc(1, sizeof(struct block) + 2 * sizeof(struct insn));
    d->epoch = 1;
    if (!d->hash || !d->code_page || !d->page_blocks || !d->scratch || decoder_init(&d->dec)) {
        dcache_destroy(d);
        return -1;
    }
    return 0;
}

static void free_chain_hash(struct dcache *d)
{
    for (uint32_t k = 0; d->hash && k <= d->hash_mask; k++) {
        struct block *b = d->hash[k];
        while (b) {
            struct block *n = b->hnext;
            free(b);
            b = n;
        }
        d->hash[k] = NULL;
    }
}

void dcache_destroy(struct dcache *d)
{
    free_chain_hash(d);
    dcache_reclaim(d);
    free(d->hash);
    free(d->code_page);
    free(d->page_blocks);
    free(d->scratch);
    if (d->dec.scratch)
        decoder_fini(&d->dec);
    memset(d, 0, sizeof *d);
}

void dcache_reclaim_now(struct dcache *d)
{
    struct block *b = d->zombies;
    while (b) {
        struct block *n = b->pnext;
        free(b);
        b = n;
    }
    d->zombies = NULL;
}

static void unhash(struct dcache *d, struct block *b)
{
    struct block **pp = &d->hash[hash_of(b->pa, b->code_size)];
    while (*pp && *pp != b)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = b->hnext;
}

static void drop_page(struct dcache *d, uint64_t pfn)
{
    struct block *b = d->page_blocks[pfn];
    while (b) {
        struct block *n = b->pnext;
        unhash(d, b);
        b->dead = 1;
        b->pnext = d->zombies;
        d->zombies = b;
        d->blocks_live--;
        b = n;
    }
    d->page_blocks[pfn] = NULL;
    d->code_page[pfn] = 0;
    d->invalidations++;
    d->epoch++;
    if (d->cur)
        d->cur->block_end = true;
}

void dcache_code_write(struct dcache *d, uint64_t pa, uint64_t len)
{
    if (!len)
        return;
    uint64_t first = pa >> 12, last = (pa + len - 1) >> 12;
    for (uint64_t pfn = first; pfn <= last && pfn < d->n_pages; pfn++)
        if (d->code_page[pfn])
            drop_page(d, pfn);
}

void dcache_flush(struct dcache *d)
{
    for (uint64_t pfn = 0; pfn < d->n_pages; pfn++)
        if (d->code_page[pfn])
            drop_page(d, pfn);
}

/* The end marker after a block's last instruction: a zero-length pseudo-instruction whose
 * handler only ends the block, so the run loop needs no per-instruction count check. It is never
 * retired or charged. */
void op_block_end(struct cpu *c, const struct insn *i)
{
    (void)i;
    c->block_end = true;
}

static void block_sentinel(struct insn *s)
{
    memset(s, 0, sizeof *s);
    s->fn = op_block_end;
    s->base = s->index = MEM_NOREG;
}

/* Decode a block starting at pa (RAM), stopping at a block-ending instruction, at the page end,
 * or at BLOCK_MAX_INSNS. An instruction that would cross the page end is left for the next block
 * (which handles it as a crossing instruction). */
static struct block *build(struct dcache *d, const uint8_t *page, uint64_t pa, unsigned cs)
{
    struct insn tmp[BLOCK_MAX_INSNS];
    unsigned off = (unsigned)(pa & 4095), n = 0, bytes = 0;
    while (n < BLOCK_MAX_INSNS && off < 4096) {
        if (decode_one(&d->dec, cs, page + off, 4096 - off, &tmp[n]) < 0)
            break;                              /* crosses the page end */
        if (off + tmp[n].len > 4096)
            break;
        off += tmp[n].len;
        bytes += tmp[n].len;
        if (decode_ends_block(&tmp[n++]))
            break;
    }
    if (n == 0)
        return NULL;
    struct block *b = malloc(sizeof *b + (n + 1) * sizeof(struct insn));
    if (!b)
        return NULL;
    b->pa = pa;
    b->code_size = (uint8_t)cs;
    b->n = (uint8_t)n;
    b->bytes = (uint16_t)bytes;
    b->dead = 0;
    b->cost_model = NULL;
    b->succ[0] = b->succ[1] = NULL;
    b->succ_epoch[0] = b->succ_epoch[1] = 0;
    memcpy(b->insns, tmp, n * sizeof(struct insn));
    block_sentinel(&b->insns[n]);
    uint32_t h = hash_of(pa, cs);
    b->hnext = d->hash[h];
    d->hash[h] = b;
    uint64_t pfn = pa >> 12;
    b->pnext = d->page_blocks[pfn];
    d->page_blocks[pfn] = b;
    d->code_page[pfn] = 1;
    d->blocks_live++;
    return b;
}

/* The instruction at pa crosses into the next page: assemble its bytes from both physical pages
 * (translating the second through the MMU, which may fault) and decode it uncached. */
static struct block *crossing(struct dcache *d, struct cpu *c, uint64_t pa, uint64_t lin,
                              unsigned cs)
{
    uint8_t buf[16];
    unsigned first = 4096 - (unsigned)(pa & 4095);
    memcpy(buf, c->bus->ram + pa, first);
    uint64_t pa2 = mmu_fetch_pa(c, lin + first);
    for (unsigned k = first; k < 15; k++)
        buf[k] = (uint8_t)bus_read(c->bus, pa2 + (k - first), 1);
    struct block *b = d->scratch;
    if (decode_one(&d->dec, cs, buf, 15, &b->insns[0]) < 0)
        return NULL;
    b->pa = pa;
    b->code_size = (uint8_t)cs;
    b->cost_model = NULL;
    b->succ[0] = b->succ[1] = NULL;
    b->n = 1;
    b->bytes = b->insns[0].len;
    block_sentinel(&b->insns[1]);
    return b;
}

struct block *dcache_lookup(struct dcache *d, struct cpu *c, uint64_t pa, uint64_t lin)
{
    unsigned cs = c->code_size;
    for (struct block *b = d->hash[hash_of(pa, cs)]; b; b = b->hnext)
        if (b->pa == pa && b->code_size == cs)
            return b;
    uint8_t *page = bus_ram_ptr(c->bus, pa & ~4095ull, 4096);
    if (!page)
        return NULL;
    c->ctr.dcache_misses++;
    struct block *b = build(d, page, pa, cs);
    if (!b)
        b = crossing(d, c, pa, lin, cs);
    return b;
}
