/* bus.c — physical address space and port space dispatch (see bus.h for the invariants). */
#include "sim/bus.h"

#include <stdlib.h>
#include <string.h>

#include "traces/tracer.h"

int bus_init(struct bus *b, uint64_t ram_size)
{
    memset(b, 0, sizeof *b);
    b->ram = calloc(1, ram_size ? ram_size : 1);
    if (!b->ram)
        return -1;
    b->ram_size = ram_size;
    return 0;
}

void bus_destroy(struct bus *b)
{
    free(b->ram);
    b->ram = NULL;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

static int add_region(struct bus_region *tab, int *n, uint64_t base, uint64_t size,
                      const struct bus_ops *ops, void *opaque, const char *name)
{
    if (*n >= BUS_MAX_REGIONS || size == 0)
        return -1;
    for (int k = 0; k < *n; k++)
        if (overlaps(base, size, tab[k].base, tab[k].size))
            return -1;
    /* keep the table sorted by base so lookups are in address order */
    int pos = *n;
    while (pos > 0 && tab[pos - 1].base > base) {
        tab[pos] = tab[pos - 1];
        pos--;
    }
    tab[pos] = (struct bus_region){ base, size, ops, opaque, name };
    (*n)++;
    return 0;
}

int bus_map_mmio(struct bus *b, uint64_t base, uint64_t size, const struct bus_ops *ops,
                 void *opaque, const char *name)
{
    if (overlaps(base, size, 0, b->ram_size))
        return -1;
    return add_region(b->mmio, &b->n_mmio, base, size, ops, opaque, name);
}

/* Remove the MMIO region that starts at `base` and was mapped with `opaque` (a relocatable
 * device such as the local APIC page, SDM Vol. 3 10.4.5); the table stays sorted. */
int bus_unmap_mmio(struct bus *b, uint64_t base, void *opaque)
{
    for (int k = 0; k < b->n_mmio; k++) {
        if (b->mmio[k].base != base || b->mmio[k].opaque != opaque)
            continue;
        for (int j = k + 1; j < b->n_mmio; j++)
            b->mmio[j - 1] = b->mmio[j];
        b->n_mmio--;
        return 0;
    }
    return -1;
}

int bus_map_pio(struct bus *b, uint16_t port, uint16_t count, const struct bus_ops *ops,
                void *opaque, const char *name)
{
    if ((uint32_t)port + count > 0x10000u)
        return -1;
    return add_region(b->pio, &b->n_pio, port, count, ops, opaque, name);
}

static const struct bus_region *find(const struct bus_region *tab, int n, uint64_t a)
{
    for (int k = 0; k < n; k++)
        if (a >= tab[k].base && a - tab[k].base < tab[k].size)
            return &tab[k];
    return NULL;
}

static void unclaimed(struct bus *b, uint64_t a, bool pio)
{
    b->unclaimed++;
    b->last_unclaimed = a;
    b->last_unclaimed_pio = pio;
    if (b->strict && b->strict_stop)
        b->strict_stop(b->strict_opaque);
}

static uint64_t ones(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

/* Trace records of device accesses (category io, off by default): whoever made the access. */
static void trace_mmio(struct bus *b, uint64_t pa, unsigned size, bool write, uint64_t value)
{
    if (tracer_wants(b->trace, TRACE_CAT_IO)) {
        uint64_t v[4] = { pa, size, write, value };
        tracer_here(b->trace, TEV_MMIO, v);
    }
}

static void trace_pio(struct bus *b, uint16_t port, unsigned size, bool write, uint32_t value)
{
    if (tracer_wants(b->trace, TRACE_CAT_IO)) {
        uint64_t v[4] = { port, size, write, value };
        tracer_here(b->trace, TEV_PIO, v);
    }
}

uint64_t bus_read(struct bus *b, uint64_t pa, unsigned size)
{
    uint8_t *p = bus_ram_ptr(b, pa, size);
    if (p) {
        uint64_t v = 0;
        memcpy(&v, p, size);
        return v;
    }
    const struct bus_region *r = find(b->mmio, b->n_mmio, pa);
    if (r) {
        if (b->sync)
            b->sync(b->sync_opaque);
        uint64_t v = r->ops->read(r->opaque, pa - r->base, size) & ones(size);
        trace_mmio(b, pa, size, false, v);
        return v;
    }
    unclaimed(b, pa, false);
    return ones(size);
}

void bus_write(struct bus *b, uint64_t pa, uint64_t value, unsigned size)
{
    uint8_t *p = bus_ram_ptr(b, pa, size);
    if (p) {
        memcpy(p, &value, size);
        if (b->code_write)
            b->code_write(b->code_write_opaque, pa, size);
        return;
    }
    const struct bus_region *r = find(b->mmio, b->n_mmio, pa);
    if (r) {
        if (b->sync)
            b->sync(b->sync_opaque);
        trace_mmio(b, pa, size, true, value & ones(size));
        r->ops->write(r->opaque, pa - r->base, value & ones(size), size);
        return;
    }
    unclaimed(b, pa, false);
}

int bus_copy_to(struct bus *b, uint64_t pa, const void *src, uint64_t len)
{
    uint8_t *p = bus_ram_ptr(b, pa, len);
    if (!p)
        return -1;
    memcpy(p, src, len);
    if (b->code_write)
        b->code_write(b->code_write_opaque, pa, len);
    return 0;
}

int bus_copy_from(struct bus *b, uint64_t pa, void *dst, uint64_t len)
{
    uint8_t *p = bus_ram_ptr(b, pa, len);
    if (!p)
        return -1;
    memcpy(dst, p, len);
    return 0;
}

uint32_t bus_in(struct bus *b, uint16_t port, unsigned size)
{
    const struct bus_region *r = find(b->pio, b->n_pio, port);
    if (r) {
        if (b->sync)
            b->sync(b->sync_opaque);
        uint32_t v = (uint32_t)(r->ops->read(r->opaque, port - r->base, size) & ones(size));
        trace_pio(b, port, size, false, v);
        return v;
    }
    unclaimed(b, port, true);
    return (uint32_t)ones(size);
}

void bus_out(struct bus *b, uint16_t port, uint32_t value, unsigned size)
{
    const struct bus_region *r = find(b->pio, b->n_pio, port);
    if (r) {
        if (b->sync)
            b->sync(b->sync_opaque);
        trace_pio(b, port, size, true, (uint32_t)(value & ones(size)));
        r->ops->write(r->opaque, port - r->base, value & ones(size), size);
        return;
    }
    unclaimed(b, port, true);
}
