/* debugcon.c — the 0xE9 debug console (see debugcon.h). */
#include "devices/debugcon.h"

#include "sim/bus.h"

static uint64_t debugcon_read(void *opaque, uint64_t offset, unsigned size)
{
    (void)opaque;
    (void)offset;
    (void)size;
    return DEBUGCON_PORT;   /* QEMU's readback value: lets a guest detect the console */
}

static void debugcon_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct debugcon *d = opaque;
    (void)offset;
    (void)size;
    d->bytes++;
    if (d->out)
        fputc((int)(value & 0xff), d->out);
}

static const struct bus_ops debugcon_ops = { debugcon_read, debugcon_write };

int debugcon_init(struct debugcon *d, struct bus *b, uint16_t port, FILE *out)
{
    d->out = out;
    d->bytes = 0;
    return bus_map_pio(b, port, 1, &debugcon_ops, d, "debugcon");
}
