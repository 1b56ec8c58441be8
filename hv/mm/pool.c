/* pool.c — page pools (hv_svc.h hv_pool_alloc, hv_pool_free, hv_pool_add): a LIFO free list of
 * 4 KiB host-physical pages linked through each free page's first 8 bytes (part.h struct
 * hv_pool), and hv_pool, the hypervisor's own pool (its boot pool: hv/boot/mem.c).
 *
 * Invariants: a page on a free list is owned by the pool and by nothing else; hv_pool_alloc
 * returns it zeroed (the whole 4 KiB); every pool operation holds pool_lock (one lock for every
 * pool: pools are small and operations short), so LPs may allocate concurrently; an HPA that is
 * 0 or not 4 KiB aligned is never put on a list (a panic: it is the hypervisor's bug).
 */
#include "hv/hv_svc.h"
#include "krt/krt.h"

struct hv_pool hv_pool;
static struct krt_spinlock pool_lock = KRT_SPINLOCK_INIT;

void *hv_hpa_ptr(uint64_t hpa)
{
    return (void *)(uintptr_t)hpa;          /* identity map (hv/boot/entry.S) */
}

static void push(struct hv_pool *p, uint64_t hpa)
{
    if (hpa == 0 || (hpa & 0xFFF))
        hv_panic("pool: bad page %#lx", (unsigned long)hpa);
    *(volatile uint64_t *)hv_hpa_ptr(hpa) = p->free_head;
    p->free_head = hpa;
    p->free_pages++;
}

uint64_t hv_pool_alloc(struct hv_pool *p)
{
    krt_lock(&pool_lock);
    uint64_t hpa = p->free_head;
    if (hpa) {
        p->free_head = *(volatile uint64_t *)hv_hpa_ptr(hpa);
        p->free_pages--;
    }
    krt_unlock(&pool_lock);
    if (hpa)
        memset(hv_hpa_ptr(hpa), 0, 4096);
    return hpa;
}

void hv_pool_free(struct hv_pool *p, uint64_t hpa)
{
    krt_lock(&pool_lock);
    push(p, hpa);
    krt_unlock(&pool_lock);
}

void hv_pool_add(struct hv_pool *p, uint64_t hpa)
{
    krt_lock(&pool_lock);
    push(p, hpa);
    p->total_pages++;
    krt_unlock(&pool_lock);
}
