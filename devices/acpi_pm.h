/* acpi_pm.h — the ACPI fixed-hardware power-management registers the FADT declares (ACPI 6.3
 * section 4.8): the PM1a event block (PM1_STS, PM1_EN), the PM1a control block (PM1_CNT with
 * SCI_EN and the SLP_TYP/SLP_EN sleep request) and the 32-bit ACPI PM timer at 3.579545 MHz.
 * The layout is ICH-like (ICH9 datasheet 13.8.3, and QEMU's ICH9 at PMBASE 0x600):
 *
 *   base+0  PM1_STS  16 bits, write 1 to clear     base+2  PM1_EN   16 bits
 *   base+4  PM1_CNT  16 bits (base+6..7 read 0)    base+8  PM_TMR   32 bits, read-only
 *
 * See docs/DEVICES.md, "ACPI PM registers".
 *
 * Invariants:
 *  - The timer is floor(now_ps * 3579545 / 10^12) mod 2^32 (exact 128-bit arithmetic on the
 *    machine's virtual time; nothing from the host). TMR_STS is set whenever bit 31 of that count
 *    has changed since the last time it was accounted (checked on every access and, while TMR_EN
 *    is set, by one event at the next change), so no toggle is ever missed.
 *  - SCI_EN reads 1 always: the FADT has no SMI_CMD port, so the machine is in ACPI mode from
 *    reset (ACPI 6.3 4.8.2.5 / 5.2.9, SMI_CMD = 0).
 *  - The SCI line level is SCI_EN && (PM1_STS & PM1_EN & the SCI sources) and is driven only when
 *    it changes; a device with no line connected raises nothing.
 *  - SLP_EN with SLP_TYP = ACPI_PM_SLP_TYP_S5 records the soft-off and calls the machine's stop
 *    callback once; the device never stops anything itself (the debug-exit pattern).
 */
#ifndef HVSIM_ACPI_PM_H
#define HVSIM_ACPI_PM_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/irq.h"
#include "sim/evq.h"

#ifdef __cplusplus
extern "C" {
#endif

struct bus;

#define ACPI_PM_BASE        0x600        /* I/O base of the block (PMBASE) */
#define ACPI_PM_PORTS       12
#define ACPI_PM1_EVT_OFF    0            /* PM1a_EVT_BLK: STS at +0, EN at +2 */
#define ACPI_PM1_EVT_LEN    4
#define ACPI_PM1_CNT_OFF    4            /* PM1a_CNT_BLK */
#define ACPI_PM1_CNT_LEN    2
#define ACPI_PM_TMR_OFF     8            /* PM_TMR_BLK */
#define ACPI_PM_TMR_LEN     4
#define ACPI_PM_TMR_HZ      3579545ull   /* ACPI 6.3 4.8.3.3 */
#define ACPI_PM_TMR_BITS    32           /* FADT flag TMR_VAL_EXT */
#define ACPI_PM_SCI_IRQ     9            /* SCI_INT (ISA IRQ 9, as on PIIX4/ICH) */
#define ACPI_PM_SLP_TYP_S5  7            /* the \_S5 package's SLP_TYPa (ICH's value) */

/* PM1_STS / PM1_EN bits (ACPI 6.3 Tables 4-16, 4-17). */
#define ACPI_PM1_TMR      (1u << 0)
#define ACPI_PM1_BM_STS   (1u << 4)
#define ACPI_PM1_GBL      (1u << 5)
#define ACPI_PM1_PWRBTN   (1u << 8)
#define ACPI_PM1_SLPBTN   (1u << 9)
#define ACPI_PM1_RTC      (1u << 10)
#define ACPI_PM1_PCIEXP_WAKE (1u << 14)
#define ACPI_PM1_WAK_STS  (1u << 15)

/* PM1_CNT bits (ACPI 6.3 Table 4-18). */
#define ACPI_PM1_SCI_EN   (1u << 0)
#define ACPI_PM1_BM_RLD   (1u << 1)
#define ACPI_PM1_GBL_RLS  (1u << 2)
#define ACPI_PM1_SLP_TYP_SHIFT 10
#define ACPI_PM1_SLP_TYP  (7u << 10)
#define ACPI_PM1_SLP_EN   (1u << 13)

struct acpi_pm {
    struct evq *q;
    uint16_t sts, en, cnt;
    uint64_t tmr_epoch;          /* ticks >> 31 when TMR_STS was last accounted */
    struct irq_line sci;         /* the SCI (set == NULL: not connected) */
    bool sci_level;
    struct event tmr_ev;         /* next bit-31 change of the timer, queued while TMR_EN */
    bool soft_off;               /* the guest entered S5 */
    void (*request_stop)(void *opaque);
    void *opaque;
    uint64_t unsupported_sleep;  /* SLP_EN with a SLP_TYP other than S5 (ignored) */
    uint64_t ignored;            /* writes with no effect (timer, reserved bytes) */
};

/* Power-on state: PM1_STS = PM1_EN = 0, PM1_CNT = SCI_EN. `sci` may be NULL (not connected);
 * `request_stop` is the machine's stop hook (may be NULL). */
void acpi_pm_init(struct acpi_pm *pm, struct evq *q, const struct irq_line *sci,
                  void (*request_stop)(void *opaque), void *opaque);
/* Claim ports [base, base + ACPI_PM_PORTS). 0, or -1 if a port is taken. */
int acpi_pm_map(struct acpi_pm *pm, struct bus *b, uint16_t base);

/* Timer ticks elapsed by virtual time `ps` (not wrapped), and the register value at the
 * queue's current time. */
uint64_t acpi_pm_ticks_at(uint64_t ps);
uint32_t acpi_pm_timer(struct acpi_pm *pm);

/* Register access as through the ports (offset inside the block, size 1, 2 or 4). */
uint64_t acpi_pm_read(void *opaque, uint64_t offset, unsigned size);
void acpi_pm_write(void *opaque, uint64_t offset, uint64_t value, unsigned size);

#ifdef __cplusplus
}
#endif
#endif
