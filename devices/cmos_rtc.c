/* cmos_rtc.c — MC146818A-compatible RTC and CMOS NVRAM (see cmos_rtc.h for the invariants).
 *
 * Register map (MC146818A datasheet, "Address Map"): 0 seconds, 1 seconds alarm, 2 minutes,
 * 3 minutes alarm, 4 hours, 5 hours alarm, 6 day of week (1 = Sunday), 7 day of month, 8 month,
 * 9 year (two digits), 0x0A-0x0D status A-D; 0x32 holds the century as PC BIOSes define it.
 * Status B: 7 SET, 6 PIE, 5 AIE, 4 UIE, 3 SQWE, 2 DM (1 = binary), 1 24/12 (1 = 24-hour), 0 DSE.
 * Status C: 7 IRQF, 6 PF, 5 AF, 4 UF (read clears). Status A: 7 UIP, 6:4 divider, 3:0 rate.
 *
 * Time registers are computed from the clock on every read, so nothing ticks on the host.
 */
#include "devices/cmos_rtc.h"

#include <string.h>

#include "sim/bus.h"

enum { R_SEC, R_SEC_ALARM, R_MIN, R_MIN_ALARM, R_HOUR, R_HOUR_ALARM, R_DOW, R_DAY, R_MONTH,
       R_YEAR, R_A, R_B, R_C, R_D, R_CENTURY = 0x32 };

#define B_SET  0x80
#define B_PIE  0x40
#define B_AIE  0x20
#define B_UIE  0x10
#define B_DM   0x04
#define B_24H  0x02
#define C_IRQF 0x80
#define C_PF   0x40
#define C_AF   0x20
#define C_UF   0x10
#define A_UIP  0x80
#define UIP_PS (244 * PS_PER_US)    /* UIP is set 244 us before each update (datasheet) */

/* ---------------------------------------------------------------- calendar arithmetic */

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int month_days(int y, int m)
{
    static const int md[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && leap(y) ? 29 : md[m - 1];
}

bool rtc_valid(const struct rtc_time *t)
{
    return t->year >= 1970 && t->year <= 9999 && t->month >= 1 && t->month <= 12 &&
           t->day >= 1 && t->day <= month_days(t->year, t->month) && t->hour >= 0 &&
           t->hour < 24 && t->minute >= 0 && t->minute < 60 && t->second >= 0 && t->second < 60;
}

int64_t rtc_to_unix(const struct rtc_time *t)
{
    return days_from_civil(t->year, t->month, t->day) * 86400 + t->hour * 3600 +
           t->minute * 60 + t->second;
}

void rtc_from_unix(int64_t s, struct rtc_time *t)
{
    int64_t days = s / 86400, rem = s % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    t->day = (int)(doy - (153 * mp + 2) / 5 + 1);
    t->month = (int)(mp < 10 ? mp + 3 : mp - 9);
    t->year = (int)(yoe + era * 400 + (t->month <= 2));
    t->hour = (int)(rem / 3600);
    t->minute = (int)(rem / 60 % 60);
    t->second = (int)(rem % 60);
}

static int day_of_week(int64_t unix_s)       /* 1 = Sunday; 1970-01-01 was a Thursday */
{
    int64_t days = unix_s / 86400 - (unix_s % 86400 < 0);
    return (int)(((days + 4) % 7 + 7) % 7) + 1;
}

/* ---------------------------------------------------------------- clock */

static bool frozen(const struct cmos_rtc *r) { return r->ram[R_B] & B_SET; }

/* Unix seconds now (the frozen value while SET = 1). */
static int64_t now_seconds(const struct cmos_rtc *r)
{
    if (frozen(r) || r->q->now < r->base_ps)
        return r->base_seconds;
    return r->base_seconds + (int64_t)((r->q->now - r->base_ps) / PS_PER_S);
}

/* Restart counting from `s` at the current virtual time. */
static void set_seconds(struct cmos_rtc *r, int64_t s)
{
    r->base_seconds = s;
    r->base_ps = r->q->now;
}

static uint8_t enc(const struct cmos_rtc *r, int v)
{
    return (r->ram[R_B] & B_DM) ? (uint8_t)v : (uint8_t)(((v / 10) << 4) | (v % 10));
}

static int dec(const struct cmos_rtc *r, uint8_t v)
{
    return (r->ram[R_B] & B_DM) ? v : (v >> 4) * 10 + (v & 0x0f);
}

static uint8_t enc_hour(const struct cmos_rtc *r, int h)
{
    if (r->ram[R_B] & B_24H)
        return enc(r, h);
    int h12 = h % 12 == 0 ? 12 : h % 12;
    return (uint8_t)(enc(r, h12) | (h >= 12 ? 0x80 : 0));
}

static int dec_hour(const struct cmos_rtc *r, uint8_t v)
{
    if (r->ram[R_B] & B_24H)
        return dec(r, v);
    int h = dec(r, v & 0x7f) % 12;
    return (v & 0x80) ? h + 12 : h;
}

/* ---------------------------------------------------------------- interrupt flags */

static uint64_t periodic_ps(const struct cmos_rtc *r)
{
    unsigned rs = r->ram[R_A] & 0x0f;
    if (rs == 0)
        return 0;
    unsigned k = rs <= 2 ? rs + 6 : rs - 1;     /* period = 2^k / 32768 s (datasheet table) */
    return (PS_PER_S << k) >> 15;
}

static bool alarm_matches(const struct cmos_rtc *r, int64_t s)
{
    struct rtc_time t;
    rtc_from_unix(s, &t);
    const uint8_t *a = r->ram;
    return ((a[R_SEC_ALARM] & 0xc0) == 0xc0 || a[R_SEC_ALARM] == enc(r, t.second)) &&
           ((a[R_MIN_ALARM] & 0xc0) == 0xc0 || a[R_MIN_ALARM] == enc(r, t.minute)) &&
           ((a[R_HOUR_ALARM] & 0xc0) == 0xc0 || a[R_HOUR_ALARM] == enc_hour(r, t.hour));
}

/* Set PF/AF/UF for what happened in (flags_ps, now]. */
static void account(struct cmos_rtc *r)
{
    uint64_t from = r->flags_ps, to = r->q->now;
    if (to <= from)
        return;
    uint64_t p = periodic_ps(r);
    if (p && to / p > from / p)
        r->ram[R_C] |= C_PF;
    if (!frozen(r)) {
        uint64_t b = r->base_ps;
        uint64_t s0 = from > b ? (from - b) / PS_PER_S : 0, s1 = to > b ? (to - b) / PS_PER_S : 0;
        if (s1 > s0) {
            r->ram[R_C] |= C_UF;
            uint64_t first = s1 - s0 > 86400 ? s1 - 86400 : s0 + 1;   /* one day covers all */
            for (uint64_t s = first; s <= s1 && !(r->ram[R_C] & C_AF); s++)
                if (alarm_matches(r, r->base_seconds + (int64_t)s))
                    r->ram[R_C] |= C_AF;
        }
    }
    r->flags_ps = to;
}

static void update_irq(struct cmos_rtc *r)
{
    uint8_t b = r->ram[R_B], c = r->ram[R_C];
    bool irqf = ((c & C_PF) && (b & B_PIE)) || ((c & C_AF) && (b & B_AIE)) ||
                ((c & C_UF) && (b & B_UIE));
    r->ram[R_C] = (uint8_t)(irqf ? c | C_IRQF : c & ~C_IRQF);
    if (irqf != r->line) {
        r->line = irqf;
        irq_set(&r->irq, irqf);
    }
}

/* Schedule the next moment an enabled flag can become set. */
static void rearm(struct cmos_rtc *r)
{
    uint64_t now = r->q->now, next = UINT64_MAX, p = periodic_ps(r);
    uint8_t b = r->ram[R_B];
    if ((b & B_PIE) && p)
        next = (now / p + 1) * p;
    if ((b & (B_UIE | B_AIE)) && !frozen(r)) {
        uint64_t el = now > r->base_ps ? now - r->base_ps : 0;
        uint64_t sec = r->base_ps + (el / PS_PER_S + 1) * PS_PER_S;
        if (sec < next)
            next = sec;
    }
    if (next == UINT64_MAX)
        evq_cancel(r->q, &r->ev);
    else
        evq_schedule(r->q, &r->ev, next);
}

static void on_event(void *opaque, uint64_t now)
{
    struct cmos_rtc *r = opaque;
    (void)now;
    account(r);
    update_irq(r);
    rearm(r);
}

/* ---------------------------------------------------------------- registers */

uint8_t cmos_rtc_read(struct cmos_rtc *r, uint8_t reg)
{
    reg &= 0x7f;
    struct rtc_time t;
    int64_t s = now_seconds(r);
    rtc_from_unix(s, &t);
    switch (reg) {
    case R_SEC: return enc(r, t.second);
    case R_MIN: return enc(r, t.minute);
    case R_HOUR: return enc_hour(r, t.hour);
    case R_DOW: return enc(r, day_of_week(s));
    case R_DAY: return enc(r, t.day);
    case R_MONTH: return enc(r, t.month);
    case R_YEAR: return enc(r, t.year % 100);
    case R_CENTURY: return enc(r, t.year / 100);
    case R_A: {
        uint8_t a = r->ram[R_A] & 0x7f;
        uint64_t el = r->q->now > r->base_ps ? r->q->now - r->base_ps : 0;
        if (!frozen(r) && el % PS_PER_S >= PS_PER_S - UIP_PS)
            a |= A_UIP;
        return a;
    }
    case R_C: {
        account(r);
        update_irq(r);
        uint8_t c = r->ram[R_C];
        r->ram[R_C] = 0;                         /* reading C clears all flags */
        update_irq(r);
        rearm(r);
        return c;
    }
    case R_D:
        return 0x80;                             /* VRT: the battery is good */
    default:
        return r->ram[reg];
    }
}

/* Replace one field of the current time; an impossible date leaves the clock unchanged. */
static void write_time_field(struct cmos_rtc *r, uint8_t reg, uint8_t v)
{
    struct rtc_time t;
    rtc_from_unix(now_seconds(r), &t);
    switch (reg) {
    case R_SEC: t.second = dec(r, v); break;
    case R_MIN: t.minute = dec(r, v); break;
    case R_HOUR: t.hour = dec_hour(r, v); break;
    case R_DAY: t.day = dec(r, v); break;
    case R_MONTH: t.month = dec(r, v); break;
    case R_YEAR: t.year = t.year / 100 * 100 + dec(r, v); break;
    case R_CENTURY: t.year = dec(r, v) * 100 + t.year % 100; break;
    default: return;
    }
    if (rtc_valid(&t))
        set_seconds(r, rtc_to_unix(&t));
}

void cmos_rtc_write(struct cmos_rtc *r, uint8_t reg, uint8_t v)
{
    reg &= 0x7f;
    switch (reg) {
    case R_SEC: case R_MIN: case R_HOUR: case R_DAY: case R_MONTH: case R_YEAR: case R_CENTURY:
        write_time_field(r, reg, v);
        break;
    case R_DOW:
        break;                                   /* derived from the date */
    case R_A:
        account(r);
        r->ram[R_A] = v & 0x7f;                  /* UIP is read-only */
        rearm(r);
        break;
    case R_B: {
        account(r);
        int64_t s = now_seconds(r);
        bool was = frozen(r);
        r->ram[R_B] = v;
        if (was != frozen(r))
            set_seconds(r, s);                   /* freeze at s, or resume counting from s */
        if (v & B_SET)
            r->ram[R_B] &= (uint8_t)~B_UIE;      /* SET clears UIE (datasheet) */
        update_irq(r);
        rearm(r);
        break;
    }
    case R_C: case R_D:
        break;                                   /* read-only */
    default:
        r->ram[reg] = v;
        break;
    }
}

/* ---------------------------------------------------------------- ports and setup */

static uint64_t port_read(void *opaque, uint64_t off, unsigned size)
{
    (void)size;
    struct cmos_rtc *r = opaque;
    return off == 0 ? 0xff : cmos_rtc_read(r, r->index);   /* 0x70 is write-only */
}

static void port_write(void *opaque, uint64_t off, uint64_t v, unsigned size)
{
    (void)size;
    struct cmos_rtc *r = opaque;
    if (off == 0) {
        r->index = v & 0x7f;
        r->nmi_disabled = (v & 0x80) != 0;
    } else {
        cmos_rtc_write(r, r->index, (uint8_t)v);
    }
}

static const struct bus_ops cmos_ops = { port_read, port_write };

int cmos_rtc_init(struct cmos_rtc *r, struct evq *q, const struct rtc_time *start)
{
    if (!rtc_valid(start))
        return -1;
    memset(r, 0, sizeof *r);
    r->q = q;
    r->ram[R_A] = 0x26;                          /* 32.768 kHz divider, 1024 Hz rate */
    r->ram[R_B] = B_24H;
    r->ram[R_SEC_ALARM] = r->ram[R_MIN_ALARM] = r->ram[R_HOUR_ALARM] = 0;
    r->base_seconds = rtc_to_unix(start);
    r->base_ps = q->now;
    r->flags_ps = q->now;
    event_init(&r->ev, on_event, r, "cmos-rtc");
    return 0;
}

int cmos_rtc_map(struct cmos_rtc *r, struct bus *b)
{
    return bus_map_pio(b, 0x70, 2, &cmos_ops, r, "cmos-rtc");
}

void cmos_rtc_set_memory(struct cmos_rtc *r, uint64_t ram)
{
    const uint64_t kib = 1024, mib = 1024 * kib, gib = 1024 * mib;
    uint64_t base = ram < 640 * kib ? ram / kib : 640;
    uint64_t ext = ram > mib ? (ram - mib) / kib : 0;
    if (ext > 0xffff)
        ext = 0xffff;
    uint64_t above16 = ram > 16 * mib ? ((ram < 4 * gib ? ram : 4 * gib) - 16 * mib) >> 16 : 0;
    if (above16 > 0xffff)
        above16 = 0xffff;
    uint64_t above4g = ram > 4 * gib ? (ram - 4 * gib) >> 16 : 0;
    r->ram[0x15] = (uint8_t)base;
    r->ram[0x16] = (uint8_t)(base >> 8);
    r->ram[0x17] = r->ram[0x30] = (uint8_t)ext;
    r->ram[0x18] = r->ram[0x31] = (uint8_t)(ext >> 8);
    r->ram[0x34] = (uint8_t)above16;
    r->ram[0x35] = (uint8_t)(above16 >> 8);
    r->ram[0x5b] = (uint8_t)above4g;
    r->ram[0x5c] = (uint8_t)(above4g >> 8);
    r->ram[0x5d] = (uint8_t)(above4g >> 16);
}
