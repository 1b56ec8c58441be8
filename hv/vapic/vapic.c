/* vapic.c — the virtual local APIC's register file and interrupt logic (SDM Vol. 3 chapter 11,
 * xAPIC; hv/vapic/vapic.h is the contract, docs/HYPERVISOR.md "Virtual local APIC"): IRR, ISR,
 * TPR/PPR, EOI, the ICR's fixed and lowest-priority IPIs, ESR, the LVT registers other than the
 * timer's (vapic_timer.c). Pure logic on struct hv_vp: no VMCS, no physical APIC; unit-tested
 * on the host (tests/unit/test_hv_vapic.cc).
 *
 * Invariants:
 *  - IRR is vp->arch.pending_irq: bits are set with locked ORs by vapic_accept (any LP) and
 *    cleared by vapic_deliver (the VP's LP). ISR, TPR, LDR, DFR, SVR, the LVTs: the VP's LP.
 *  - TPR[7:4] is vp->ctx.cr8 (11.8.6.1), TPR[3:0] is vapic.tpr_low.
 *  - While SVR bit 8 is 0 every LVT mask bit is set (11.4.7.2) and fixed interrupts are dropped.
 *  - ESR (11.5.3): `vapic.esr` bits 7:0 are what a read returns (the value latched by the last
 *    ESR write), bits 15:8 the errors detected since (set with locked ORs: a receiver's error
 *    may come from another LP); a write moves 15:8 to 7:0 and clears 15:8.
 *  - APR reads 0 (no arbitration between VPs: lowest-priority delivery goes to the lowest VP
 *    index of the destination set, as fixed), TMR reads 0 (every interrupt is edge-triggered).
 */
#include "hv/vapic/vapic.h"

#include "hv/hv_svc.h"

/* ESR bits (11.5.3, figure 11-9) */
#define ESR_SEND_ILLEGAL_VECTOR (1u << 5)
#define ESR_RECV_ILLEGAL_VECTOR (1u << 6)

/* ICR fields (11.6.1, figure 11-12) */
#define ICR_VECTOR(lo) ((lo) & 0xFFu)
#define ICR_MODE(lo) (((lo) >> 8) & 7u)       /* 000 fixed, 001 lowest priority, 010 SMI,
                                                * 100 NMI, 101 INIT, 110 start-up */
#define ICR_LOGICAL (1u << 11)
#define ICR_DELIVERY_STATUS (1u << 12)
#define ICR_SHORTHAND(lo) (((lo) >> 18) & 3u) /* 00 none, 01 self, 10 all, 11 all but self */
#define ICR_LO_WRITABLE 0x000CCFFFu           /* vector, mode, dest mode, level, trigger,
                                                * shorthand (12 and 17:16 read-only/reserved) */

static bool bit_test(const uint64_t b[4], unsigned v) { return (b[v >> 6] >> (v & 63)) & 1; }

/* The highest set bit of a 256-bit set, -1 if empty. */
static int highest(const uint64_t b[4])
{
    for (int w = 3; w >= 0; w--) {
        uint64_t x = __atomic_load_n(&b[w], __ATOMIC_RELAXED);
        if (x)
            return w * 64 + 63 - __builtin_clzll(x);
    }
    return -1;
}

static void esr_error(struct hv_vp *vp, uint32_t bit)
{
    __atomic_fetch_or(&vp->vapic.esr, bit << 8, __ATOMIC_SEQ_CST);
}

static bool sw_enabled(const struct hv_vp *vp) { return (vp->vapic.svr & VAPIC_SVR_ENABLE) != 0; }

/* 11.4.7.1: the state after power-up or RESET (and INIT): IRR, ISR, TMR, ICR, LDR, TPR 0; DFR
 * all ones; the LVTs masked (mask bit only); SVR FFH (software-disabled). TPR[7:4] lives in
 * ctx.cr8, which belongs to the VP's register context (0 at creation) and is not touched here. */
void vapic_reset(struct hv_vp *vp, uint32_t apic_id)
{
    struct hv_vapic *a = &vp->vapic;
    *a = (struct hv_vapic){ 0 };
    a->id = apic_id & 0xFF;
    a->dfr = 0xFFFFFFFFu;
    a->svr = 0xFF;
    for (unsigned i = 0; i < 7; i++)
        a->lvt[i] = VAPIC_LVT_MASKED;
    for (unsigned w = 0; w < 4; w++)
        __atomic_store_n(&vp->arch.pending_irq[w], 0, __ATOMIC_SEQ_CST);
}

bool vapic_accept(struct hv_vp *vp, uint8_t vector)
{
    if (!sw_enabled(vp))
        return false;   /* 11.4.7.2: a software-disabled APIC accepts no fixed interrupt */
    if (vector < 16) {
        esr_error(vp, ESR_RECV_ILLEGAL_VECTOR);   /* 11.5.2, 11.5.3: vectors 0-15 are illegal */
        return false;
    }
    __atomic_fetch_or(&vp->arch.pending_irq[vector >> 6], 1ull << (vector & 63),
                      __ATOMIC_SEQ_CST);
    return true;
}

static uint32_t tpr(const struct hv_vp *vp)
{
    return (uint32_t)(vp->ctx.cr8 & 0xF) << 4 | (vp->vapic.tpr_low & 0xF);
}

/* 11.8.3.1: PPR = TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4] << 4 (ISRV: the highest
 * in-service vector, 0 if none). */
uint32_t vapic_ppr(const struct hv_vp *vp)
{
    int isrv = highest(vp->vapic.isr);
    uint32_t t = tpr(vp), i = isrv < 0 ? 0 : (uint32_t)isrv;
    return (t >> 4) >= (i >> 4) ? t : (i & 0xF0);
}

/* 11.8.4: the highest-priority IRR vector is dispatched only if its class is above the PPR's. */
int vapic_next_vector(const struct hv_vp *vp)
{
    if (!sw_enabled(vp))
        return -1;
    int v = highest(vp->arch.pending_irq);
    if (v < 0 || (uint32_t)(v >> 4) <= (vapic_ppr(vp) >> 4))
        return -1;
    return v;
}

void vapic_deliver(struct hv_vp *vp, uint8_t vector)
{
    __atomic_fetch_and(&vp->arch.pending_irq[vector >> 6], ~(1ull << (vector & 63)),
                       __ATOMIC_SEQ_CST);
    if (!bit_test(vp->vapic.auto_eoi, vector))
        vp->vapic.isr[vector >> 6] |= 1ull << (vector & 63);
}

/* 11.8.5: an EOI clears the highest ISR bit (no effect with none in service). */
void vapic_eoi(struct hv_vp *vp)
{
    int v = highest(vp->vapic.isr);
    if (v >= 0)
        vp->vapic.isr[v >> 6] &= ~(1ull << (v & 63));
}

void vapic_set_auto_eoi(struct hv_vp *vp, uint8_t vector, bool on)
{
    if (on)
        vp->vapic.auto_eoi[vector >> 6] |= 1ull << (vector & 63);
    else
        vp->vapic.auto_eoi[vector >> 6] &= ~(1ull << (vector & 63));
}

/* ---- IPIs (11.6) ---- */

/* 11.6.2.2: does the logical destination `mda` select `t` under t's DFR model? Flat (DFR[31:28]
 * = 1111B): any common bit of MDA and LDR[31:24]; cluster (0000B): MDA[7:4] names LDR[31:28]'s
 * cluster (FH: every cluster) and MDA[3:0] has a bit of LDR[27:24]. */
static bool logical_match(const struct hv_vp *t, uint32_t mda)
{
    uint32_t ldr = t->vapic.ldr >> 24;
    if ((t->vapic.dfr >> 28) == 0xF)
        return (ldr & mda) != 0;
    if ((t->vapic.dfr >> 28) == 0x0)
        return ((mda >> 4) == 0xF || (mda >> 4) == (ldr >> 4)) && (ldr & mda & 0xF) != 0;
    return false;   /* other DFR models are reserved */
}

static bool selected(const struct hv_vp *src, const struct hv_vp *t, uint32_t lo, uint32_t hi)
{
    uint32_t dest = hi >> 24;
    switch (ICR_SHORTHAND(lo)) {
    case 1: return t == src;
    case 2: return true;
    case 3: return t != src;
    default:
        if (lo & ICR_LOGICAL)
            return logical_match(t, dest);
        return dest == 0xFF || t->vapic.id == dest;   /* 11.6.2.1: FFH is a broadcast */
    }
}

/* Send the IPI the ICR now holds (11.6.1). Fixed: to every selected VP; lowest priority (11.6.2.4
 * leaves the choice to the APICs' arbitration): to the lowest VP index of the set. Only VPs of
 * the sender's partition are destinations (APIC IDs are per partition). NMI and SMI are not
 * delivered (the VMX core injects external interrupts only: no virtual NMI or SMM), INIT and
 * start-up are not (a VP is started by HvCallStartVirtualProcessor); all four are dropped,
 * counted in vapic.icr_dropped, the first one of each VP with a log line. The send completes at once: the delivery-status bit reads 0. */
static void icr_send(struct hv_vp *vp, uint32_t lo, uint32_t hi)
{
    uint32_t mode = ICR_MODE(lo);
    uint8_t vec = (uint8_t)ICR_VECTOR(lo);
    if (mode != 0 && mode != 1) {
        /* logged once per VP: a guest looping on such sends must not flood the log */
        if (vp->vapic.icr_dropped++ == 0)
            hv_log("vapic: partition %lu VP %u: ICR delivery mode %u ignored (later ones are "
                   "counted, not logged)\n", (unsigned long)vp->part->id, vp->index, mode);
        return;
    }
    if (vec < 16) {
        esr_error(vp, ESR_SEND_ILLEGAL_VECTOR);   /* 11.5.3 bit 5: not sent */
        return;
    }
    struct hv_partition *p = vp->part;
    for (uint32_t i = 0; i < HV_MAX_VPS; i++) {
        struct hv_vp *t = p->vp[i];
        if (!t || !selected(vp, t, lo, hi))
            continue;
        vp_raise_irq(t, vec);
        if (mode == 1)
            break;   /* lowest priority: the first (lowest-index) VP of the set */
    }
}

void vapic_write_icr64(struct hv_vp *vp, uint64_t icr)
{
    vp->vapic.icr_hi = (uint32_t)(icr >> 32) & 0xFF000000u;
    vp->vapic.icr_lo = (uint32_t)icr & ICR_LO_WRITABLE;
    icr_send(vp, vp->vapic.icr_lo, vp->vapic.icr_hi);
}

/* ---- registers (table 11-1) ---- */

/* LVT index in vapic.lvt[] and writable bits (figure 11-8) of a non-timer LVT offset, or -1. */
static int lvt_index(uint32_t off, uint32_t *writable)
{
    switch (off) {
    case VAPIC_LVT_CMCI: *writable = 0x107FFu; return 0;      /* vector, mode, mask */
    case VAPIC_LVT_THERMAL: *writable = 0x107FFu; return 2;
    case VAPIC_LVT_PERF: *writable = 0x107FFu; return 3;
    case VAPIC_LVT_LINT0: *writable = 0x1A7FFu; return 4;     /* + polarity, trigger mode */
    case VAPIC_LVT_LINT1: *writable = 0x1A7FFu; return 5;
    case VAPIC_LVT_ERROR: *writable = 0x100FFu; return 6;     /* vector, mask */
    default: return -1;
    }
}

static bool is_timer_reg(uint32_t off)
{
    return off == VAPIC_LVT_TIMER || off == VAPIC_TIMER_ICR || off == VAPIC_TIMER_CCR ||
           off == VAPIC_TIMER_DCR;
}

static uint32_t dword_of(const uint64_t b[4], uint32_t k)
{
    return (uint32_t)(__atomic_load_n(&b[k >> 1], __ATOMIC_RELAXED) >> (32 * (k & 1)));
}

uint32_t vapic_read(struct hv_vp *vp, uint32_t off)
{
    struct hv_vapic *a = &vp->vapic;
    off &= 0xFF0;
    if (is_timer_reg(off))
        return vapic_timer_read(vp, off);
    if (off >= VAPIC_ISR0 && off < VAPIC_ISR0 + 0x80)
        return dword_of(a->isr, (off - VAPIC_ISR0) >> 4);
    if (off >= VAPIC_TMR0 && off < VAPIC_TMR0 + 0x80)
        return 0;
    if (off >= VAPIC_IRR0 && off < VAPIC_IRR0 + 0x80)
        return dword_of(vp->arch.pending_irq, (off - VAPIC_IRR0) >> 4);
    uint32_t w;
    int l = lvt_index(off, &w);
    if (l >= 0)
        return a->lvt[l];
    switch (off) {
    case VAPIC_ID: return a->id << 24;
    case VAPIC_VER: return VAPIC_VERSION;
    case VAPIC_TPR: return tpr(vp);
    case VAPIC_APR: return 0;
    case VAPIC_PPR: return vapic_ppr(vp);
    case VAPIC_LDR: return a->ldr;
    case VAPIC_DFR: return a->dfr;
    case VAPIC_SVR: return a->svr;
    case VAPIC_ESR: return a->esr & 0xFF;
    case VAPIC_ICR_LO: return a->icr_lo & ~ICR_DELIVERY_STATUS;
    case VAPIC_ICR_HI: return a->icr_hi;
    default: return 0;   /* EOI (write-only), RRD, reserved offsets */
    }
}

static void mask_all_lvts(struct hv_vp *vp)
{
    for (unsigned i = 0; i < 7; i++)
        vp->vapic.lvt[i] |= VAPIC_LVT_MASKED;
}

void vapic_write(struct hv_vp *vp, uint32_t off, uint32_t v)
{
    struct hv_vapic *a = &vp->vapic;
    off &= 0xFF0;
    if (is_timer_reg(off)) {
        vapic_timer_write(vp, off, v);
        if (!sw_enabled(vp))
            a->lvt[1] |= VAPIC_LVT_MASKED;   /* 11.4.7.2: the mask stays set */
        return;
    }
    uint32_t w;
    int l = lvt_index(off, &w);
    if (l >= 0) {
        a->lvt[l] = (v & w) | (sw_enabled(vp) ? 0 : VAPIC_LVT_MASKED);
        return;
    }
    switch (off) {
    case VAPIC_TPR:   /* 11.8.3: TPR[7:0]; bits 7:4 are CR8 (11.8.6.1) */
        vp->ctx.cr8 = (v >> 4) & 0xF;
        a->tpr_low = v & 0xF;
        break;
    case VAPIC_EOI:
        vapic_eoi(vp);
        break;
    case VAPIC_LDR:
        a->ldr = v & 0xFF000000u;
        break;
    case VAPIC_DFR:   /* 11.6.2.2: model in 31:28, the rest reads as ones */
        a->dfr = (v & 0xF0000000u) | 0x0FFFFFFFu;
        break;
    case VAPIC_SVR:   /* 11.9: vector 7:0, enable 8, focus 9 (bit 12: VAPIC_VERSION[24] = 0, no
                       * EOI-broadcast suppression, reserved) */
        a->svr = v & 0x3FF;
        if (!sw_enabled(vp))
            mask_all_lvts(vp);   /* 11.4.7.2 */
        break;
    case VAPIC_ESR: { /* 11.5.3: a write latches the errors detected since the last one */
        uint32_t pending = __atomic_exchange_n(&a->esr, 0, __ATOMIC_SEQ_CST) >> 8;
        __atomic_fetch_or(&a->esr, pending & 0xFF, __ATOMIC_SEQ_CST);
        break;
    }
    case VAPIC_ICR_LO:
        a->icr_lo = v & ICR_LO_WRITABLE;
        icr_send(vp, a->icr_lo, a->icr_hi);
        break;
    case VAPIC_ICR_HI:
        a->icr_hi = v & 0xFF000000u;
        break;
    default:
        break;   /* ID (read-only here), version, APR, PPR, RRD, ISR/TMR/IRR, reserved */
    }
}
