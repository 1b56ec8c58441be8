/* vapic_timer.c — the virtual local APIC timer of every VP (SDM Vol. 3 11.5.4 "APIC Timer",
 * 11.5.4.1 "TSC-Deadline Mode"; docs/HYPERVISOR.md "Virtual local APIC", "The timer").
 *
 * The physical APIC timer belongs to the hypervisor (hv/arch/lapic_timer.c wakes an idle LP), so
 * every VP's timer is virtual, kept in TSC values only (deterministic):
 *  - LVT timer (320H, vp->vapic.lvt[1]): vector 7:0, mask 16, mode 18:17 (00 one-shot, 01
 *    periodic, 10 TSC-deadline when CPUID.1:ECX[24] = 1; without it bit 18 is reserved and
 *    written as 0). The reserved mode 11 is stored and reads back as written; it counts like
 *    one-shot (neither periodic nor TSC-deadline). Delivery status (12) reads 0: an expiry is
 *    accepted into IRR at once. While the APIC is software-disabled (SVR[8] = 0) a write keeps
 *    the mask bit set (11.4.7.2). A write that changes the mode disarms the timer (11.5.4.1:
 *    the count stops, current count reads 0, IA32_TSC_DEADLINE is cleared).
 *  - Divide configuration (3E0H): bits 0, 1, 3 (figure 11-10: 000 ÷2, 001 ÷4, 010 ÷8, 011 ÷16,
 *    100 ÷32, 101 ÷64, 110 ÷128, 111 ÷1); other bits read 0. A change while counting keeps the
 *    current count, which goes on at the new rate.
 *  - Initial count (380H): a write (one-shot or periodic mode) loads the count and starts it;
 *    0 stops it. Ignored in TSC-deadline mode. Input clock vapic_timer_hz() = the TSC's: the
 *    count goes down by one every `divide` TSC ticks, so the expiry is ICR × divide ticks after
 *    the write (at most (2^32 - 1) × 128 < 2^39 ticks: no overflow).
 *  - Current count (390H): ceil((due - now) / divide) while counting; 0 when stopped, after a
 *    one-shot expiry, and always in TSC-deadline mode. A periodic timer reloads at each expiry.
 *  - IA32_TSC_DEADLINE (6E0H): in TSC-deadline mode a write arms the timer at that TSC (0
 *    disarms, a past value fires at the next poll), a read gives the armed value; the expiry
 *    disarms it and clears the MSR. In other modes reads give 0 and writes are ignored.
 *  - Expiry (vapic_timer_poll, on the VP's LP before each entry, for its halted VPs, and before
 *    every access to a timer register here): vapic_accept(vector) unless the LVT is masked (a
 *    masked expiry sets nothing, 11.5.4); a periodic timer is re-armed from its expiry time
 *    (due + k × period, the first after now: no drift; periods missed while the VP did not run
 *    coalesce into one interrupt, as one IRR bit would).
 *
 * Invariants: timer_due != 0 iff the timer is armed (one-shot/periodic counting, or a TSC
 * deadline set); a masked timer reports no deadline (nothing to deliver: every access polls
 * first, so the mask in force at the expiry decides); state changes only on the VP's LP.
 */
#include "hv/vapic/vapic.h"

#include "hv/hv_svc.h"

#define LVT_TIMER 1                         /* index in vp->vapic.lvt[] */
#define LVT_TIMER_VECTOR 0xFFu
#define LVT_TIMER_MODE_SHIFT 17
#define LVT_TIMER_MODE(v) (((v) >> LVT_TIMER_MODE_SHIFT) & 3u)
#define MODE_ONESHOT 0u
#define MODE_PERIODIC 1u
#define MODE_TSC_DEADLINE 2u
#define DCR_VALID 0xBu                      /* bits 0, 1, 3 */
#define U64_MAX (~(uint64_t)0)

/* CPUID.1:ECX[24] (TSC-deadline) as the hardware reports it; the host tests' fake is in
 * tests/unit/hv_fakes.c. */
bool vapic_cpu_has_tsc_deadline(void);

#ifdef HV_TARGET
#include "krt/x86.h"

bool vapic_cpu_has_tsc_deadline(void)
{
    uint32_t r[4];
    cpuid(1, 0, r);
    return (r[2] >> 24) & 1;
}
#endif

static uint64_t add_sat(uint64_t a, uint64_t b) { return a + b < a ? U64_MAX : a + b; }

/* Figure 11-10: the divide value of a divide configuration register. */
static uint64_t divisor(uint32_t dcr)
{
    unsigned v = (dcr & 3u) | ((dcr >> 1) & 4u);
    return 1ull << ((v + 1) & 7u);
}

static unsigned mode(const struct hv_vp *vp)
{
    return LVT_TIMER_MODE(vp->vapic.lvt[LVT_TIMER]);
}

static void disarm(struct hv_vp *vp)
{
    vp->vapic.timer_due = 0;
    vp->vapic.tsc_deadline = 0;
}

/* Load `count` counts at TSC now (count != 0). */
static void start_count(struct hv_vp *vp, uint64_t now, uint64_t count)
{
    uint64_t due = add_sat(now, count * divisor(vp->vapic.timer_dcr));
    vp->vapic.timer_start = now;
    vp->vapic.timer_due = due ? due : 1;
}

/* The current count at `now` (after a poll, so now < timer_due when counting). */
static uint32_t current_count(const struct hv_vp *vp, uint64_t now)
{
    const struct hv_vapic *a = &vp->vapic;
    if (mode(vp) == MODE_TSC_DEADLINE || a->timer_due == 0 || now >= a->timer_due)
        return 0;
    uint64_t div = divisor(a->timer_dcr);
    uint64_t c = (a->timer_due - now + div - 1) / div;
    return c > a->timer_icr ? a->timer_icr : (uint32_t)c;
}

uint64_t vapic_timer_hz(void) { return hv_tsc_hz(); }

uint64_t vapic_timer_deadline(const struct hv_vp *vp)
{
    if (vp->vapic.lvt[LVT_TIMER] & VAPIC_LVT_MASKED)
        return 0;
    return vp->vapic.timer_due;
}

void vapic_timer_poll(struct hv_vp *vp, uint64_t now)
{
    struct hv_vapic *a = &vp->vapic;
    if (a->timer_due == 0 || now < a->timer_due)
        return;
    uint32_t lvt = a->lvt[LVT_TIMER];
    if (!(lvt & VAPIC_LVT_MASKED))
        vapic_accept(vp, (uint8_t)(lvt & LVT_TIMER_VECTOR));
    if (LVT_TIMER_MODE(lvt) == MODE_PERIODIC && a->timer_icr != 0) {
        /* re-armed from the expiry time: the first due + k * period after now */
        uint64_t period = (uint64_t)a->timer_icr * divisor(a->timer_dcr);
        uint64_t k = (now - a->timer_due) / period + 1;
        uint64_t step = k > U64_MAX / period ? U64_MAX : k * period;
        uint64_t due = add_sat(a->timer_due, step);
        a->timer_start = due - period;
        a->timer_due = due;
        return;
    }
    disarm(vp);                     /* one-shot: stopped; TSC-deadline: the MSR is cleared */
}

uint32_t vapic_timer_read(struct hv_vp *vp, uint32_t off)
{
    uint64_t now = hv_rdtsc();
    vapic_timer_poll(vp, now);
    switch (off) {
    case VAPIC_LVT_TIMER: return vp->vapic.lvt[LVT_TIMER];
    case VAPIC_TIMER_ICR: return vp->vapic.timer_icr;
    case VAPIC_TIMER_CCR: return current_count(vp, now);
    case VAPIC_TIMER_DCR: return vp->vapic.timer_dcr;
    default: return 0;
    }
}

static void write_lvt(struct hv_vp *vp, uint32_t value)
{
    uint32_t valid = LVT_TIMER_VECTOR | VAPIC_LVT_MASKED | (1u << LVT_TIMER_MODE_SHIFT);
    if (vapic_cpu_has_tsc_deadline())
        valid |= 2u << LVT_TIMER_MODE_SHIFT;        /* else bit 18 is reserved (11.5.4.1) */
    value &= valid;
    if (!(vp->vapic.svr & VAPIC_SVR_ENABLE))
        value |= VAPIC_LVT_MASKED;                  /* 11.4.7.2: stays masked while disabled */
    if (LVT_TIMER_MODE(value) != mode(vp))
        disarm(vp);                                 /* 11.5.4.1: a mode change disarms */
    vp->vapic.lvt[LVT_TIMER] = value;
}

void vapic_timer_write(struct hv_vp *vp, uint32_t off, uint32_t value)
{
    uint64_t now = hv_rdtsc();
    vapic_timer_poll(vp, now);
    struct hv_vapic *a = &vp->vapic;
    switch (off) {
    case VAPIC_LVT_TIMER:
        write_lvt(vp, value);
        break;
    case VAPIC_TIMER_ICR:
        if (mode(vp) == MODE_TSC_DEADLINE)
            break;                                  /* 11.5.4.1: ignored */
        a->timer_icr = value;
        if (value == 0)
            a->timer_due = 0;                       /* a write of 0 stops the timer */
        else
            start_count(vp, now, value);
        break;
    case VAPIC_TIMER_DCR: {
        uint32_t count = current_count(vp, now);
        a->timer_dcr = value & DCR_VALID;
        if (count != 0)
            start_count(vp, now, count);            /* the rest of the count, at the new rate */
        break;
    }
    default:                                        /* CCR is read-only */
        break;
    }
}

uint64_t vapic_tsc_deadline_read(struct hv_vp *vp)
{
    vapic_timer_poll(vp, hv_rdtsc());
    return mode(vp) == MODE_TSC_DEADLINE ? vp->vapic.tsc_deadline : 0;
}

void vapic_tsc_deadline_write(struct hv_vp *vp, uint64_t tsc)
{
    vapic_timer_poll(vp, hv_rdtsc());
    if (mode(vp) != MODE_TSC_DEADLINE)
        return;                                     /* 11.5.4.1: ignored in other modes */
    vp->vapic.tsc_deadline = tsc;
    vp->vapic.timer_due = tsc;                      /* 0 disarms; a past value fires at once */
}
