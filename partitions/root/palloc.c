/* palloc.c — first-fit allocator of physical pages over a sorted list of free ranges (see
 * palloc.h for the invariants). */
#include "partitions/root/palloc.h"

#define PAGE 4096ull

void palloc_init(struct palloc *p, uint64_t limit)
{
    p->n = 0;
    p->limit = limit & ~(PAGE - 1);
    p->dropped = 0;
}

static void remove_at(struct palloc *p, uint32_t k)
{
    for (uint32_t j = k + 1; j < p->n; j++)
        p->r[j - 1] = p->r[j];
    p->n--;
}

static int insert_at(struct palloc *p, uint32_t k, uint64_t base, uint64_t end)
{
    if (p->n == PALLOC_MAX_RANGES) {
        p->dropped++;
        return -1;
    }
    for (uint32_t j = p->n; j > k; j--)
        p->r[j] = p->r[j - 1];
    p->r[k].base = base;
    p->r[k].end = end;
    p->n++;
    return 0;
}

void palloc_reserve(struct palloc *p, uint64_t base, uint64_t len)
{
    uint64_t end = base + len < base ? ~0ull : base + len;
    /* widen to whole pages: a partly used page is used */
    base &= ~(PAGE - 1);
    end = end > ~0ull - (PAGE - 1) ? ~0ull & ~(PAGE - 1) : (end + PAGE - 1) & ~(PAGE - 1);
    for (uint32_t k = 0; k < p->n;) {
        uint64_t b = p->r[k].base, e = p->r[k].end;
        if (end <= b || base >= e) {
            k++;
            continue;
        }
        if (base <= b && end >= e) {            /* covers it all */
            remove_at(p, k);
            continue;
        }
        if (base > b && end < e) {              /* splits it */
            p->r[k].end = base;
            insert_at(p, k + 1, end, e);
            return;
        }
        if (base <= b)
            p->r[k].base = end;                 /* cuts the start */
        else
            p->r[k].end = base;                 /* cuts the end */
        k++;
    }
}

void palloc_add(struct palloc *p, uint64_t base, uint64_t len)
{
    uint64_t end = base + len < base ? ~0ull : base + len;
    base = (base + PAGE - 1) & ~(PAGE - 1);
    if (base < PALLOC_MIN)
        base = PALLOC_MIN;
    end &= ~(PAGE - 1);
    if (end > p->limit)
        end = p->limit;
    if (base >= end)
        return;
    palloc_reserve(p, base, end - base);        /* drop any overlap with what is there */
    uint32_t k = 0;
    while (k < p->n && p->r[k].base < base)
        k++;
    insert_at(p, k, base, end);
}

uint64_t palloc_alloc(struct palloc *p, uint64_t npages)
{
    if (npages == 0 || npages > (~0ull / PAGE))
        return 0;
    uint64_t bytes = npages * PAGE;
    for (uint32_t k = 0; k < p->n; k++) {
        if (p->r[k].end - p->r[k].base < bytes)
            continue;
        uint64_t a = p->r[k].base;
        p->r[k].base += bytes;
        if (p->r[k].base == p->r[k].end)
            remove_at(p, k);
        return a;
    }
    return 0;
}

uint64_t palloc_free_pages(const struct palloc *p)
{
    uint64_t n = 0;
    for (uint32_t k = 0; k < p->n; k++)
        n += (p->r[k].end - p->r[k].base) / PAGE;
    return n;
}
