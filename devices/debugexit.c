/* debugexit.c — the QEMU-compatible debug-exit port (see debugexit.h). */
#include "devices/debugexit.h"

#include <string.h>

#include "sim/bus.h"

static uint64_t debugexit_read(void *opaque, uint64_t offset, unsigned size)
{
    (void)opaque;
    (void)offset;
    (void)size;
    return 0;
}

static void debugexit_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct debugexit *d = opaque;
    (void)offset;
    (void)size;
    if (d->fired)
        return;
    d->fired = true;
    d->value = (uint32_t)value;
    if (d->request_stop)
        d->request_stop(d->opaque);
}

static const struct bus_ops debugexit_ops = { debugexit_read, debugexit_write };

int debugexit_init(struct debugexit *d, struct bus *b, uint16_t port,
                   void (*request_stop)(void *opaque), void *opaque)
{
    memset(d, 0, sizeof *d);
    d->request_stop = request_stop;
    d->opaque = opaque;
    return bus_map_pio(b, port, DEBUGEXIT_PORTS, &debugexit_ops, d, "debug-exit");
}
