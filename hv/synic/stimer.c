/* stimer.c — synthetic timers STIMER0-3 and the partition reference time (TLFS 12 "Timers":
 * 12.4 partition reference counter, 12.7 reference TSC page, 12.3 synthetic timers and their
 * MSRs; register layout as Linux hyperv-tlfs.h; docs/HYPERVISOR.md "Synthetic timers").
 *
 * CONFIG (0x400000B0 + 2x): enable 0, periodic 1, lazy 2, auto-enable 3, APIC vector 11:4,
 * direct mode 12, SINTx 19:16; bits 15:13 and 63:20 reserved (#GP). COUNT (0x400000B1 + 2x), in
 * 100 ns units of the partition's reference time: a one-shot timer's absolute expiration time, a
 * periodic timer's period. Writing COUNT = 0 clears enable; a non-zero COUNT with auto-enable
 * sets it. Any write that leaves the timer enabled (re)starts it from now: one-shot at COUNT (in
 * the past: due at once), periodic at now + COUNT.
 *
 * Expiry (synic_vp_poll, on the VP's LP before each entry and while it is halted):
 *  - direct mode: the APIC vector is raised (vp_raise_irq);
 *  - message mode: an HVMSG_TIMER_EXPIRED message (payload: timer index, 0, expiration time,
 *    delivery time) is posted to SINTx with synic_post_message when that slot of the SIM page is
 *    free; while it is busy the slot's message-pending flag is set and the expiry waits (the
 *    guest's EOM exit is followed by a poll), so a timer has at most one expiry outstanding;
 *    a SynIC that cannot take it (SCONTROL, SIMP or the SINT disabled) loses the expiry.
 *  - after an expiry a one-shot timer is disabled (enable reads 0); a periodic one is re-armed:
 *    lazy: at the first expiration + k * period after now (missed periods are skipped);
 *    not lazy: at expiration + period, even if that is already past (it catches up, one
 *    expiry at a time).
 *
 * Choices where the TLFS leaves room: an enabled message-mode timer with SINTx = 0 is disabled
 * (as KVM does); direct mode with an APIC vector below 16 is a #GP.
 * Invariants: timer state changes only on the VP's own LP; stimer_due != 0 iff the timer is
 * armed and not waiting for a slot; stimer_exp is the expiry stimer_due or the wait stands for.
 */
#include "hv/synic/stimer.h"

#include "hv/abi/tlfs.h"
#include "hv/hv_svc.h"
#include "hv/part/partition.h"
#include "hv/synic/synic.h"
#include "krt/krt.h"

#define U64_MAX (~(uint64_t)0)

static uint64_t add_sat(uint64_t a, uint64_t b) { return a + b < a ? U64_MAX : a + b; }

/* ---- time bases ---- */

uint64_t synic_ref_time(const struct hv_partition *p)
{
    uint64_t tsc = hv_rdtsc(), hz = hv_tsc_hz();
    if (hz == 0 || tsc < p->ref_time_tsc)
        return 0;
    uint64_t d = tsc - p->ref_time_tsc;
    /* floor(d * 10^7 / hz) exactly: d = q * hz + r (r * 10^7 < 2^64 for any hz < 1.8 THz) */
    return (d / hz) * HV_CLOCK_HZ + (d % hz) * HV_CLOCK_HZ / hz;
}

uint64_t synic_ref_to_tsc(const struct hv_partition *p, uint64_t ref)
{
    uint64_t hz = hv_tsc_hz();
    if (hz == 0)
        return U64_MAX;
    /* the least d with floor(d * 10^7 / hz) >= ref is ceil(ref * hz / 10^7) */
    uint64_t q = ref / HV_CLOCK_HZ, r = ref % HV_CLOCK_HZ;
    if (q > U64_MAX / hz)
        return U64_MAX;
    uint64_t d = add_sat(q * hz, (r * hz + HV_CLOCK_HZ - 1) / HV_CLOCK_HZ);
    return add_sat(p->ref_time_tsc, d);
}

int64_t synic_ref_tsc_offset(const struct hv_partition *p, uint64_t scale)
{
    return -(int64_t)(uint64_t)(((unsigned __int128)p->ref_time_tsc * scale) >> 64);
}

/* ---- arming ---- */

static void set_expiry(struct hv_vp *vp, unsigned t, uint64_t exp)
{
    struct hv_synic_vp *s = &vp->synic;
    uint64_t due = synic_ref_to_tsc(vp->part, exp);
    s->stimer_exp[t] = exp;
    s->stimer_due[t] = due ? due : 1;       /* 0 means "not armed" */
}

/* (Re)start timer t from now per its CONFIG and COUNT (or stop it). */
static void stimer_start(struct hv_vp *vp, unsigned t)
{
    struct hv_synic_vp *s = &vp->synic;
    s->stimer_waiting &= (uint8_t)~(1u << t);
    s->stimer_due[t] = 0;
    uint64_t cfg = s->stimer_config[t], count = s->stimer_count[t];
    if (!(cfg & HV_STIMER_ENABLE) || count == 0)
        return;
    if (cfg & HV_STIMER_PERIODIC)
        set_expiry(vp, t, add_sat(synic_ref_time(vp->part), count));
    else
        set_expiry(vp, t, count);
}

/* ---- the MSRs ---- */

int synic_stimer_rdmsr(struct hv_vp *vp, uint32_t msr, uint64_t *v)
{
    if (msr < HV_X64_MSR_STIMER0_CONFIG || msr > HV_X64_MSR_STIMER3_COUNT)
        return -1;
    unsigned t = (msr - HV_X64_MSR_STIMER0_CONFIG) / 2;
    *v = (msr & 1) ? vp->synic.stimer_count[t] : vp->synic.stimer_config[t];
    return 0;
}

int synic_stimer_wrmsr(struct hv_vp *vp, uint32_t msr, uint64_t v)
{
    if (msr < HV_X64_MSR_STIMER0_CONFIG || msr > HV_X64_MSR_STIMER3_COUNT)
        return -1;
    struct hv_synic_vp *s = &vp->synic;
    unsigned t = (msr - HV_X64_MSR_STIMER0_CONFIG) / 2;
    if (msr & 1) {
        /* COUNT: 0 disables; auto-enable turns a non-zero count into "enabled" */
        s->stimer_count[t] = v;
        if (v == 0)
            s->stimer_config[t] &= ~HV_STIMER_ENABLE;
        else if (s->stimer_config[t] & HV_STIMER_AUTOENABLE)
            s->stimer_config[t] |= HV_STIMER_ENABLE;
    } else {
        if (v & ~HV_STIMER_CONFIG_VALID)
            return -1;
        if ((v & HV_STIMER_DIRECT_MODE) && HV_STIMER_APIC_VECTOR(v) < HV_SYNIC_FIRST_VALID_VECTOR)
            return -1;
        if (!(v & HV_STIMER_DIRECT_MODE) && HV_STIMER_SINT(v) == 0)
            v &= ~HV_STIMER_ENABLE;
        s->stimer_config[t] = v;
    }
    stimer_start(vp, t);
    return 0;
}

/* ---- expiry ---- */

enum { DELIVERED, BUSY, LOST };

static int deliver(struct hv_vp *vp, unsigned t, uint64_t exp, uint64_t now_ref)
{
    struct hv_synic_vp *s = &vp->synic;
    uint64_t cfg = s->stimer_config[t];
    if (cfg & HV_STIMER_DIRECT_MODE) {
        vp_raise_irq(vp, HV_STIMER_APIC_VECTOR(cfg));
        return DELIVERED;
    }
    unsigned sint = HV_STIMER_SINT(cfg);
    if (!(s->scontrol & HV_SYNIC_CONTROL_ENABLE) || (s->sint[sint] & HV_SYNIC_SINT_MASKED))
        return LOST;                /* no SynIC to take it: not worth waiting for a slot */
    synic_vp_lock(vp);   /* the page stays the SIMP's while we look (message.c) */
    if (s->simp & HV_SYNIC_SIMP_ENABLE) {
        struct hv_message_page *pg = synic_guest_page(vp, s->simp & ~0xFFFull);
        if (pg) {
            struct hv_message_header *h = &pg->sint_message[sint].header;
            if (__atomic_load_n(&h->message_type, __ATOMIC_ACQUIRE) != HVMSG_NONE) {
                /* TLFS 11.10.3: the guest writes EOM after freeing a slot marked pending */
                __atomic_fetch_or(&h->message_flags, HV_MESSAGE_FLAG_PENDING, __ATOMIC_SEQ_CST);
                synic_vp_unlock(vp);
                return BUSY;
            }
        }
    }
    synic_vp_unlock(vp);
    struct hv_message msg;
    memset(&msg, 0, sizeof msg);
    msg.header.message_type = HVMSG_TIMER_EXPIRED;
    struct hv_timer_message_payload pl = { t, 0, exp, now_ref };
    msg.header.payload_size = (uint8_t)sizeof pl;
    memcpy(msg.payload, &pl, sizeof pl);
    uint16_t st = synic_post_message(vp, sint, &msg);
    if (st == HV_STATUS_SUCCESS)
        return DELIVERED;
    return st == HV_STATUS_INSUFFICIENT_BUFFERS ? BUSY : LOST;
}

void synic_vp_poll(struct hv_vp *vp)
{
    struct hv_synic_vp *s = &vp->synic;
    uint64_t now = hv_rdtsc();
    bool have_now_ref = false;
    uint64_t now_ref = 0;
    for (unsigned t = 0; t < HV_STIMER_COUNT; t++) {
        uint8_t bit = (uint8_t)(1u << t);
        if (!(s->stimer_waiting & bit)) {
            if (s->stimer_due[t] == 0 || now < s->stimer_due[t])
                continue;
            s->stimer_due[t] = 0;
            s->stimer_waiting |= bit;
        }
        if (!have_now_ref) {
            now_ref = synic_ref_time(vp->part);
            have_now_ref = true;
        }
        uint64_t exp = s->stimer_exp[t];
        if (deliver(vp, t, exp, now_ref) == BUSY)
            continue;
        s->stimer_waiting &= (uint8_t)~bit;
        uint64_t cfg = s->stimer_config[t], period = s->stimer_count[t];
        if (!(cfg & HV_STIMER_PERIODIC)) {
            s->stimer_config[t] = cfg & ~HV_STIMER_ENABLE;     /* one-shot: done */
            continue;
        }
        if (!(cfg & HV_STIMER_ENABLE) || period == 0)
            continue;
        uint64_t next = add_sat(exp, period);
        if ((cfg & HV_STIMER_LAZY) && next <= now_ref)
            next = add_sat(exp, ((now_ref - exp) / period + 1) * period);
        set_expiry(vp, t, next);
    }
}

uint64_t synic_stimer_deadline(const struct hv_vp *vp)
{
    uint64_t best = 0;
    for (unsigned t = 0; t < HV_STIMER_COUNT; t++) {
        uint64_t d = vp->synic.stimer_due[t];
        if (d && (best == 0 || d < best))
            best = d;
    }
    return best;
}

/* vp's deadline if it is a halted VP of LP lp, else 0. A runnable VP is polled before each of
 * its entries (the loop bounds the current VP's slice with its own synic_stimer_deadline; a
 * past-due deadline of a VP waiting for its turn must not cut the others' slices to nothing);
 * an intercept-suspended or stopped VP is not polled at all (it would only wake the LP for
 * nothing). */
static uint64_t polled_deadline(const struct hv_vp *vp, uint32_t lp)
{
    if (vp->lp != lp || vp->state != HV_VP_HALTED)
        return 0;
    return synic_stimer_deadline(vp);
}

#ifdef HV_TARGET
#include "hv/arch/lp.h"

void vmx_run_list_lock(uint32_t lp);        /* hv/vmx/vp.c */
void vmx_run_list_unlock(uint32_t lp);

/* The LP's run list holds exactly its VPs (hv/vmx/vp.c), under its lock. */
uint64_t synic_lp_deadline(uint32_t lp)
{
    uint64_t best = 0;
    vmx_run_list_lock(lp);
    for (const struct hv_vp *vp = hv_lps[lp].run_list; vp; vp = vp->next_on_lp) {
        uint64_t d = polled_deadline(vp, lp);
        if (d && (best == 0 || d < best))
            best = d;
    }
    vmx_run_list_unlock(lp);
    return best;
}
#else
/* Host unit tests (no run lists): every VP of every live partition. */
uint64_t synic_lp_deadline(uint32_t lp)
{
    uint64_t best = 0;
    for (unsigned k = 0; k < HV_MAX_PARTITIONS; k++) {
        const struct hv_partition *p = &hv_partitions[k];
        if (p->state == HV_PART_FREE || p->state == HV_PART_DELETING)
            continue;
        for (unsigned i = 0; i < HV_MAX_VPS; i++) {
            uint64_t d = p->vp[i] ? polled_deadline(p->vp[i], lp) : 0;
            if (d && (best == 0 || d < best))
                best = d;
        }
    }
    return best;
}
#endif
