/* sysports.c — port 0x80 (POST codes) and port 0x92 (A20 gate, fast reset); see sysports.h. */
#include "devices/sysports.h"

#include <string.h>

#include "sim/bus.h"

static uint64_t post_read(void *opaque, uint64_t off, unsigned size)
{
    (void)off;
    (void)size;
    const struct sysports *s = opaque;
    return s->post_writes ? s->post_code : 0xff;
}

static void post_write(void *opaque, uint64_t off, uint64_t v, unsigned size)
{
    (void)off;
    (void)size;
    struct sysports *s = opaque;
    s->post_code = (uint8_t)v;
    s->post_writes++;
}

static uint64_t p92_read(void *opaque, uint64_t off, unsigned size)
{
    (void)off;
    (void)size;
    const struct sysports *s = opaque;
    return (s->port92 & 0xfc) | 0x02;       /* A20 always enabled; reset bit reads 0 */
}

static void p92_write(void *opaque, uint64_t off, uint64_t v, unsigned size)
{
    (void)off;
    (void)size;
    struct sysports *s = opaque;
    s->port92 = (uint8_t)(v & 0xfc);
    if (!(v & 0x02))
        s->a20_disable_attempts++;
    if ((v & 0x01) && !s->reset_requested) {
        s->reset_requested = true;
        if (s->request_reset)
            s->request_reset(s->opaque);
    }
}

static const struct bus_ops post_ops = { post_read, post_write };
static const struct bus_ops p92_ops = { p92_read, p92_write };

int sysports_init(struct sysports *s, struct bus *b, void (*request_reset)(void *opaque),
                  void *opaque)
{
    memset(s, 0, sizeof *s);
    s->request_reset = request_reset;
    s->opaque = opaque;
    if (bus_map_pio(b, 0x80, 1, &post_ops, s, "post") ||
        bus_map_pio(b, 0x92, 1, &p92_ops, s, "port92"))
        return -1;
    return 0;
}
