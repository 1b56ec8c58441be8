/* apic_bus.c — message routing between the APICs of a machine, the EOI broadcast and the xAPIC
 * MMIO pages (rules in apic_bus.h; SDM Vol. 3 10.6.2 destinations, 10.6.2.4 lowest priority,
 * 10.12.9-10 x2APIC destinations, 10.4.5 relocation).
 *
 * The xAPIC page: every local APIC sits at its own IA32_APIC_BASE, but the physical bus is shared.
 * One bus region is mapped per distinct base of an APIC in xAPIC mode; an access is served by
 * the APIC of the processor that makes it (dcache->cur, the processor executing now) if that
 * APIC is in xAPIC mode at this base; otherwise it reads all ones and ignores writes, as an
 * unclaimed address does.
 */
#include "apic/apic_bus.h"

#include <string.h>

#include "apic/lapic.h"
#include "cpu/dcache.h"
#include "sim/bus.h"

void apic_bus_init(struct apic_bus *b, struct bus *mem, const struct dcache *dc)
{
    memset(b, 0, sizeof *b);
    b->mem = mem;
    b->dc = dc;
}

int apic_bus_add(struct apic_bus *b, struct lapic *l)
{
    if (b->n >= APIC_BUS_MAX)
        return -1;
    b->lapic[b->n++] = l;
    l->bus = b;
    apic_bus_remap(b);
    return 0;
}

int apic_bus_add_eoi(struct apic_bus *b, apic_eoi_fn fn, void *opaque)
{
    if (b->n_eoi >= APIC_BUS_MAX_EOI)
        return -1;
    b->eoi[b->n_eoi].fn = fn;
    b->eoi[b->n_eoi].opaque = opaque;
    b->n_eoi++;
    return 0;
}

void apic_bus_eoi(struct apic_bus *b, uint8_t vector)
{
    for (int k = 0; k < b->n_eoi; k++)
        b->eoi[k].fn(b->eoi[k].opaque, vector);
}

/* ------------------------------------------------------------------ destinations */

static bool match_physical(const struct lapic *l, const struct apic_msg *m)
{
    if (m->x2apic ? m->dest == 0xffffffffu : m->dest == 0xff)
        return true;                                    /* broadcast */
    if (l->mode == LAPIC_MODE_X2APIC)
        return m->dest == l->id;
    return m->dest == (l->id & 0xff);
}

static bool match_logical(const struct lapic *l, const struct apic_msg *m)
{
    if (l->mode == LAPIC_MODE_X2APIC) {
        if (m->x2apic ? m->dest == 0xffffffffu : m->dest == 0xff)
            return true;
        return (m->dest >> 16) == (l->ldr >> 16) && (m->dest & l->ldr & 0xffff);
    }
    uint32_t d = m->dest & 0xff, ldr = l->ldr >> 24;
    if (m->x2apic ? m->dest == 0xffffffffu : d == 0xff)
        return true;
    switch (l->dfr >> 28) {
    case 0xf:                                           /* flat */
        return (d & ldr) != 0;
    case 0x0:                                           /* cluster (15: all clusters) */
        return ((d >> 4) == 0xf || (d >> 4) == (ldr >> 4)) && (d & ldr & 0xf);
    default:
        return false;
    }
}

int apic_bus_select(const struct apic_bus *b, const struct apic_msg *m, struct lapic **out)
{
    int n = 0;
    for (int k = 0; k < b->n; k++) {
        struct lapic *l = b->lapic[k];
        if (l->mode == LAPIC_MODE_DISABLED)
            continue;
        bool self = m->source >= 0 && l->cpu->id == m->source;
        bool sel;
        switch (m->shorthand) {
        case APIC_SH_SELF: sel = self; break;
        case APIC_SH_ALL: sel = true; break;
        case APIC_SH_OTHERS: sel = !self; break;
        default: sel = m->logical ? match_logical(l, m) : match_physical(l, m); break;
        }
        if (sel)
            out[n++] = l;
    }
    return n;
}

struct lapic *apic_bus_lowest(struct lapic *const *sel, int n)
{
    struct lapic *best = NULL;
    uint32_t best_ppr = 0;
    for (int k = 0; k < n; k++) {
        struct lapic *l = sel[k];
        if (!(l->svr & LAPIC_SVR_ENABLE))
            continue;
        uint32_t p = lapic_ppr(l);
        if (!best || p < best_ppr) {                    /* strict: ties keep the lower index */
            best = l;
            best_ppr = p;
        }
    }
    return best;
}

/* Causality between processors: a message reaches a processor no earlier than it was sent. The
 * sender is the processor executing now (an ICR write, or a device access that made the I/O APIC
 * send); a halted target (HLT, or waiting for SIPI) whose local time is behind the sender's was
 * idle in between, so its clock moves up to the send time, counted as halted cycles. A running
 * target behind the sender takes the message at its own time: processors later in a scheduler
 * round lag the earlier ones by up to a round (sim/sched.h). */
static void catch_up(const struct apic_bus *b, struct lapic *l)
{
    const struct cpu *s = b->dc ? b->dc->cur : NULL;
    struct cpu *c = l->cpu;
    if (!s || s == c || !c->halted)
        return;
    uint64_t t = cpu_cycles_now(s);
    if (c->ctr.cycles < t) {
        c->ctr.halt_cycles += t - c->ctr.cycles;
        c->ctr.cycles = t;
    }
}

static void deliver(const struct apic_bus *b, struct lapic *l, const struct apic_msg *m)
{
    catch_up(b, l);
    lapic_deliver(l, m);
}

void apic_bus_send(void *opaque, const struct apic_msg *m)
{
    struct apic_bus *b = opaque;
    struct lapic *sel[APIC_BUS_MAX];
    struct apic_msg msg = *m;               /* a receiver may send (EOI -> I/O APIC re-assert) */
    b->msgs++;
    int n = apic_bus_select(b, &msg, sel);
    if (msg.delmode == APIC_DM_LOWEST) {
        struct lapic *l = apic_bus_lowest(sel, n);
        if (!l) {
            b->undelivered++;
            return;
        }
        deliver(b, l, &msg);
        return;
    }
    if (n == 0)
        b->undelivered++;
    for (int k = 0; k < n; k++)
        deliver(b, sel[k], &msg);
}

/* ------------------------------------------------------------------ xAPIC pages */

static struct lapic *accessor(const struct apic_bus_map *mp)
{
    const struct apic_bus *b = mp->owner;
    struct cpu *c = b->dc ? b->dc->cur : NULL;
    struct lapic *l = c ? c->apic : NULL;
    if (!l || l->mode != LAPIC_MODE_XAPIC || l->base != mp->base)
        return NULL;
    return l;
}

static uint64_t page_read(void *opaque, uint64_t offset, unsigned size)
{
    struct lapic *l = accessor(opaque);
    if (!l)
        return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
    return lapic_mmio_read(l, offset, size);
}

static void page_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct lapic *l = accessor(opaque);
    if (l)
        lapic_mmio_write(l, offset, value, size);
}

static const struct bus_ops page_ops = { page_read, page_write };

static bool base_in_use(const struct apic_bus *b, uint64_t base)
{
    for (int k = 0; k < b->n; k++)
        if (b->lapic[k]->mode == LAPIC_MODE_XAPIC && b->lapic[k]->base == base)
            return true;
    return false;
}

void apic_bus_remap(struct apic_bus *b)
{
    if (!b->mem)
        return;
    for (int s = 0; s < APIC_BUS_MAX_MAPS; s++) {
        struct apic_bus_map *mp = &b->map[s];
        if (mp->used && !base_in_use(b, mp->base)) {
            bus_unmap_mmio(b->mem, mp->base, mp);
            mp->used = false;
        }
    }
    for (int k = 0; k < b->n; k++) {
        const struct lapic *l = b->lapic[k];
        if (l->mode != LAPIC_MODE_XAPIC)
            continue;
        bool have = false;
        int free_slot = -1;
        for (int s = 0; s < APIC_BUS_MAX_MAPS; s++) {
            if (b->map[s].used && b->map[s].base == l->base)
                have = true;
            if (!b->map[s].used && free_slot < 0)
                free_slot = s;
        }
        if (have)
            continue;
        if (free_slot < 0) {
            b->map_failures++;
            continue;
        }
        struct apic_bus_map *mp = &b->map[free_slot];
        *mp = (struct apic_bus_map){ b, l->base, true };
        if (bus_map_mmio(b->mem, l->base, 0x1000, &page_ops, mp, "local-apic") != 0) {
            mp->used = false;           /* overlaps RAM or a device: the page is not reachable */
            b->map_failures++;
        }
    }
}
