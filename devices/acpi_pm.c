/* acpi_pm.c — ACPI PM1a event/control registers and the PM timer (see acpi_pm.h).
 *
 * Port accesses of any width are split into the bytes they cover (ACPICA reads PM1_STS and
 * PM1_EN as two 16-bit registers, the timer as one dword; byte accesses work the same way);
 * bytes 6-7 of the block are reserved (read 0), bytes beyond the block read 0xFF.
 */
#include "devices/acpi_pm.h"

#include <string.h>

#include "sim/bus.h"

#define PM1_STS_W1C (ACPI_PM1_TMR | ACPI_PM1_BM_STS | ACPI_PM1_GBL | ACPI_PM1_PWRBTN | \
                     ACPI_PM1_SLPBTN | ACPI_PM1_RTC | ACPI_PM1_PCIEXP_WAKE | ACPI_PM1_WAK_STS)
#define PM1_EN_RW   (ACPI_PM1_TMR | ACPI_PM1_GBL | ACPI_PM1_PWRBTN | ACPI_PM1_SLPBTN | \
                     ACPI_PM1_RTC | ACPI_PM1_PCIEXP_WAKE)
#define PM1_CNT_RW  (ACPI_PM1_BM_RLD | ACPI_PM1_SLP_TYP)
/* Status bits that raise the SCI when enabled (ACPI 6.3 4.8.3.1). */
#define PM1_SCI_SRC (ACPI_PM1_TMR | ACPI_PM1_GBL | ACPI_PM1_PWRBTN | ACPI_PM1_SLPBTN | ACPI_PM1_RTC)

uint64_t acpi_pm_ticks_at(uint64_t ps)
{
    return (uint64_t)((unsigned __int128)ps * ACPI_PM_TMR_HZ / PS_PER_S);
}

/* First picosecond at which tick g has happened: ceil(g * 10^12 / f). */
static uint64_t tick_time(uint64_t g)
{
    return (uint64_t)(((unsigned __int128)g * PS_PER_S + ACPI_PM_TMR_HZ - 1) / ACPI_PM_TMR_HZ);
}

static uint64_t now_ps(const struct acpi_pm *pm) { return pm->q ? pm->q->now : 0; }

static uint64_t epoch_at(uint64_t ps) { return acpi_pm_ticks_at(ps) >> (ACPI_PM_TMR_BITS - 1); }

/* Account the timer's MSB changes since the last call into TMR_STS. */
static void tmr_sync(struct acpi_pm *pm)
{
    uint64_t e = epoch_at(now_ps(pm));
    if (e != pm->tmr_epoch) {
        pm->sts |= ACPI_PM1_TMR;
        pm->tmr_epoch = e;
    }
}

static void update_sci(struct acpi_pm *pm)
{
    bool level = (pm->cnt & ACPI_PM1_SCI_EN) && (pm->sts & pm->en & PM1_SCI_SRC);
    if (level != pm->sci_level) {
        pm->sci_level = level;
        irq_set(&pm->sci, level);
    }
}

/* While TMR_EN is set, keep one event at the next MSB change so the SCI is raised on time. */
static void tmr_arm(struct acpi_pm *pm)
{
    if (!pm->q)
        return;
    if (pm->en & ACPI_PM1_TMR)
        evq_schedule(pm->q, &pm->tmr_ev, tick_time((pm->tmr_epoch + 1) << (ACPI_PM_TMR_BITS - 1)));
    else
        evq_cancel(pm->q, &pm->tmr_ev);
}

static void tmr_event(void *opaque, uint64_t now)
{
    struct acpi_pm *pm = opaque;
    (void)now;
    tmr_sync(pm);
    update_sci(pm);
    tmr_arm(pm);
}

void acpi_pm_init(struct acpi_pm *pm, struct evq *q, const struct irq_line *sci,
                  void (*request_stop)(void *opaque), void *opaque)
{
    memset(pm, 0, sizeof *pm);
    pm->q = q;
    if (sci)
        pm->sci = *sci;
    pm->cnt = ACPI_PM1_SCI_EN;
    pm->request_stop = request_stop;
    pm->opaque = opaque;
    event_init(&pm->tmr_ev, tmr_event, pm, "acpi-pm-timer");
    pm->tmr_epoch = epoch_at(now_ps(pm));
}

uint32_t acpi_pm_timer(struct acpi_pm *pm)
{
    return (uint32_t)acpi_pm_ticks_at(now_ps(pm));
}

/* SLP_EN (ACPI 6.3 4.8.3.2.1): only S5 (soft off) exists on this machine. */
static void sleep_request(struct acpi_pm *pm, unsigned slp_typ)
{
    if (slp_typ != ACPI_PM_SLP_TYP_S5) {
        pm->unsupported_sleep++;
        return;
    }
    if (pm->soft_off)
        return;
    pm->soft_off = true;
    if (pm->request_stop)
        pm->request_stop(pm->opaque);
}

uint64_t acpi_pm_read(void *opaque, uint64_t offset, unsigned size)
{
    struct acpi_pm *pm = opaque;
    tmr_sync(pm);
    update_sci(pm);
    uint32_t tmr = acpi_pm_timer(pm);
    uint8_t regs[ACPI_PM_PORTS] = {
        (uint8_t)pm->sts, (uint8_t)(pm->sts >> 8), (uint8_t)pm->en, (uint8_t)(pm->en >> 8),
        (uint8_t)pm->cnt, (uint8_t)(pm->cnt >> 8), 0, 0,
        (uint8_t)tmr, (uint8_t)(tmr >> 8), (uint8_t)(tmr >> 16), (uint8_t)(tmr >> 24),
    };
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        uint64_t at = offset + i;
        v |= (uint64_t)(at < ACPI_PM_PORTS ? regs[at] : 0xFF) << (8 * i);
    }
    return v;
}

void acpi_pm_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct acpi_pm *pm = opaque;
    /* Gather the written bytes per 16-bit register: 0 STS, 1 EN, 2 CNT, 3 reserved. */
    uint16_t val[4] = { 0 }, mask[4] = { 0 };
    for (unsigned i = 0; i < size; i++) {
        uint64_t at = offset + i;
        uint8_t byte = (uint8_t)(value >> (8 * i));
        if (at < 8) {
            val[at / 2] |= (uint16_t)(byte << (8 * (at & 1)));
            mask[at / 2] |= (uint16_t)(0xFF << (8 * (at & 1)));
        } else {
            pm->ignored++;     /* the timer is read-only; bytes beyond the block */
        }
    }
    tmr_sync(pm);
    pm->sts &= (uint16_t)~(val[0] & mask[0] & PM1_STS_W1C);
    pm->en = (uint16_t)((pm->en & ~(mask[1] & PM1_EN_RW)) | (val[1] & mask[1] & PM1_EN_RW));
    pm->cnt = (uint16_t)((pm->cnt & ~(mask[2] & PM1_CNT_RW)) | (val[2] & mask[2] & PM1_CNT_RW));
    pm->cnt |= ACPI_PM1_SCI_EN;
    if (mask[3])
        pm->ignored++;
    update_sci(pm);
    tmr_arm(pm);
    if (val[2] & mask[2] & ACPI_PM1_SLP_EN)
        sleep_request(pm, (pm->cnt & ACPI_PM1_SLP_TYP) >> ACPI_PM1_SLP_TYP_SHIFT);
}

static const struct bus_ops acpi_pm_ops = { acpi_pm_read, acpi_pm_write };

int acpi_pm_map(struct acpi_pm *pm, struct bus *b, uint16_t base)
{
    return bus_map_pio(b, base, ACPI_PM_PORTS, &acpi_pm_ops, pm, "acpi-pm");
}
