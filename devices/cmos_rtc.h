/* cmos_rtc.h — the PC CMOS real-time clock and NVRAM (Motorola MC146818A and compatibles) at
 * I/O ports 0x70 (index, bit 7 = NMI disable) and 0x71 (data).
 *
 * The clock starts at a configured date (never the host's) and advances with the virtual time
 * of the machine's event queue (sim/evq.h), so every run reads the same dates at the same
 * instructions. Registers 0x00-0x09 (time, alarm, date), status A-D, and the NVRAM bytes the PC
 * BIOS defines (memory sizes, century) are modelled; see docs/DEVICES.md.
 *
 * Invariants:
 *  - The current time is base_seconds + (q->now - base_ps) / 1 s while SET (B.7) is 0; while SET
 *    is 1 the clock is frozen and writes to the time registers take effect when SET clears.
 *  - Status C flags (PF, AF, UF) are exactly those whose events happened since C was last read;
 *    IRQF = (PF & PIE) | (AF & AIE) | (UF & UIE), and the IRQ line follows IRQF.
 */
#ifndef HVSIM_CMOS_RTC_H
#define HVSIM_CMOS_RTC_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/irq.h"
#include "sim/evq.h"

#ifdef __cplusplus
extern "C" {
#endif

struct bus;

/* A calendar date and time (proleptic Gregorian, 24-hour). */
struct rtc_time {
    int year, month, day, hour, minute, second;
};

struct cmos_rtc {
    uint8_t index;          /* selected register (7 bits) */
    bool nmi_disabled;      /* port 0x70 bit 7 (kept for the machine's NMI logic) */
    uint8_t ram[128];       /* NVRAM; 0x00-0x0D are computed from the clock on access */
    int64_t base_seconds;   /* Unix time at base_ps */
    uint64_t base_ps;       /* virtual time the base refers to */
    uint64_t flags_ps;      /* virtual time up to which PF/AF/UF have been accounted */
    struct evq *q;
    struct irq_line irq;    /* IRQ 8 on a PC */
    struct event ev;        /* next time an enabled interrupt flag can become set */
    bool line;              /* current IRQ output level */
};

/* Initialise at `start` (validated: 1970..9999, a real date), clear NVRAM, set status A=0x26,
 * B=0x02 (24-hour, BCD), D=0x80. Returns 0, or -1 if the date is invalid. */
int cmos_rtc_init(struct cmos_rtc *r, struct evq *q, const struct rtc_time *start);
int cmos_rtc_map(struct cmos_rtc *r, struct bus *b);   /* ports 0x70-0x71 */

/* Record the RAM size in the BIOS NVRAM fields (0x15-0x18 base/extended KiB, 0x30-0x31 extended
 * KiB up to 64 MiB, 0x34-0x35 64 KiB blocks above 16 MiB, 0x5B-0x5D above 4 GiB). */
void cmos_rtc_set_memory(struct cmos_rtc *r, uint64_t ram_bytes);

/* Register access as the guest sees it (index/data protocol done by the port handlers). */
uint8_t cmos_rtc_read(struct cmos_rtc *r, uint8_t reg);
void cmos_rtc_write(struct cmos_rtc *r, uint8_t reg, uint8_t v);

/* Date arithmetic (exposed for tests): Unix seconds <-> calendar. */
int64_t rtc_to_unix(const struct rtc_time *t);
void rtc_from_unix(int64_t s, struct rtc_time *t);
bool rtc_valid(const struct rtc_time *t);

#ifdef __cplusplus
}
#endif
#endif
