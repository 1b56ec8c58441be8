/* bus.h — the physical address space and the I/O-port space of one machine.
 *
 * RAM is one host buffer [0, ram_size), zero-filled at creation. MMIO regions and port ranges are
 * dispatched to device models through small vtables. An access that hits nothing behaves as on a
 * PC: reads return all ones, writes are ignored; with `strict` set it is also reported (counted
 * and recorded in `last_unclaimed`) so `hvsim --strict` can stop.
 *
 * Invariants: regions never overlap RAM or each other (bus_map_* refuses); lookups are in
 * address order, so dispatch is deterministic.
 */
#ifndef HVSIM_BUS_H
#define HVSIM_BUS_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bus_ops {
    uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
    void (*write)(void *opaque, uint64_t offset, uint64_t value, unsigned size);
};

struct bus_region {
    uint64_t base, size;
    const struct bus_ops *ops;
    void *opaque;
    const char *name;
};

#define BUS_MAX_REGIONS 64

struct tracer;

struct bus {
    uint8_t *ram;
    uint64_t ram_size;
    struct bus_region mmio[BUS_MAX_REGIONS];
    int n_mmio;
    struct bus_region pio[BUS_MAX_REGIONS];
    int n_pio;
    bool strict;
    uint64_t unclaimed;          /* count of accesses that hit nothing */
    uint64_t last_unclaimed;     /* address (or port) of the last one */
    bool last_unclaimed_pio;
    /* With `strict`, called at every unclaimed access (the machine stops the processor). */
    void (*strict_stop)(void *opaque);
    void *strict_opaque;
    /* Decode-cache hook: called for every write to RAM by something other than the CPU store fast
     * path (DMA, slow-path stores), so cached decoded code of that page is dropped. */
    void (*code_write)(void *opaque, uint64_t pa, uint64_t len);
    void *code_write_opaque;
    /* Time hook: called before every access that reaches a device (MMIO or port), so the device
     * sees the accessing processor's time (sim/sched.h sched_sync). NULL: none. */
    void (*sync)(void *opaque);
    void *sync_opaque;
    struct tracer *trace;       /* device accesses are recorded here (traces/tracer.h), or NULL */
};

int  bus_init(struct bus *b, uint64_t ram_size);   /* 0, or -1 if the host cannot allocate */
void bus_destroy(struct bus *b);
int  bus_map_mmio(struct bus *b, uint64_t base, uint64_t size, const struct bus_ops *ops,
                  void *opaque, const char *name);
/* Remove the MMIO region at `base` mapped with `opaque` (relocation); 0, or -1 if none. */
int  bus_unmap_mmio(struct bus *b, uint64_t base, void *opaque);
int  bus_map_pio(struct bus *b, uint16_t port, uint16_t count, const struct bus_ops *ops,
                 void *opaque, const char *name);

/* Host pointer to RAM at pa if [pa, pa+len) is RAM, else NULL. */
static inline uint8_t *bus_ram_ptr(struct bus *b, uint64_t pa, uint64_t len)
{
    return (pa < b->ram_size && len <= b->ram_size - pa) ? b->ram + pa : (uint8_t *)0;
}

/* Physical accesses of 1, 2, 4 or 8 bytes (little-endian), RAM or MMIO. */
uint64_t bus_read(struct bus *b, uint64_t pa, unsigned size);
void     bus_write(struct bus *b, uint64_t pa, uint64_t value, unsigned size);
/* Bulk copies (loader, DMA); return 0, or -1 if any byte is outside RAM. */
int bus_copy_to(struct bus *b, uint64_t pa, const void *src, uint64_t len);
int bus_copy_from(struct bus *b, uint64_t pa, void *dst, uint64_t len);

/* Port I/O of 1, 2 or 4 bytes. */
uint32_t bus_in(struct bus *b, uint16_t port, unsigned size);
void     bus_out(struct bus *b, uint16_t port, uint32_t value, unsigned size);

#ifdef __cplusplus
}
#endif
#endif
