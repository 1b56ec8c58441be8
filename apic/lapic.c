/* lapic.c — the local APIC's interrupt logic (SDM Vol. 3 chapter 10): acceptance into the IRR,
 * TPR/PPR/APR (10.8.3.1, 10.6.2.4), the INTA cycle and the spurious vector (10.9), EOI and the
 * EOI broadcast with its suppression (10.8.5), the error status register (10.5.3), the local
 * vector table (10.5.1), sending IPIs from the ICR (10.6.1), delivery of received messages by
 * delivery mode, INIT reset (10.4.7.3) and the IA32_APIC_BASE mode transitions (10.4.3, 10.12.5).
 *
 * Invariants: see lapic.h (irr_sum/isr_sum, no vector below 16 in the IRR, cr8 = TPR[7:4]).
 */
#include "apic/lapic.h"

#include <string.h>

#include "apic/apic_bus.h"
#include "cpu/model.h"
#include "traces/tracer.h"

/* ------------------------------------------------------------------ 256-bit registers */

static void vbit_set(uint32_t *r, uint8_t *sum, unsigned v)
{
    r[v >> 5] |= 1u << (v & 31);
    *sum |= (uint8_t)(1u << (v >> 5));
}

static void vbit_clr(uint32_t *r, uint8_t *sum, unsigned v)
{
    r[v >> 5] &= ~(1u << (v & 31));
    if (!r[v >> 5])
        *sum &= (uint8_t)~(1u << (v >> 5));
}

static bool vbit(const uint32_t *r, unsigned v) { return (r[v >> 5] >> (v & 31)) & 1; }

static int vhighest(const uint32_t *r, uint8_t sum)
{
    if (!sum)
        return -1;
    int w = 31 - __builtin_clz(sum);
    return w * 32 + 31 - __builtin_clz(r[w]);
}

int lapic_highest_irr(const struct lapic *l) { return vhighest(l->irr, l->irr_sum); }
int lapic_highest_isr(const struct lapic *l) { return vhighest(l->isr, l->isr_sum); }

/* ------------------------------------------------------------------ priorities */

/* PPR (SDM 10.8.3.1): TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4] << 4. */
uint32_t lapic_ppr(const struct lapic *l)
{
    int isrv = lapic_highest_isr(l);
    uint32_t isrc = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;
    return (l->tpr & 0xf0) >= isrc ? l->tpr : isrc;
}

/* APR (SDM 10.6.2.4, Figure 10-15): TPR if TPR[7:4] >= IRRV[7:4] and TPR[7:4] > ISRV[7:4], else
 * the highest of the three priority classes. */
uint32_t lapic_apr(const struct lapic *l)
{
    int irrv = lapic_highest_irr(l), isrv = lapic_highest_isr(l);
    uint32_t t = l->tpr & 0xf0, ir = irrv < 0 ? 0 : (uint32_t)irrv & 0xf0,
             is = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;
    if (t >= ir && t > is)
        return l->tpr;
    uint32_t m = t > ir ? t : ir;
    return m > is ? m : is;
}

void lapic_set_tpr(struct lapic *l, uint32_t tpr)
{
    l->tpr = tpr & 0xff;
    l->cpu->cr8 = l->tpr >> 4;
}

void lapic_write_cr8(struct lapic *l, uint64_t v)
{
    lapic_set_tpr(l, (uint32_t)(v & 0xf) << 4);
}

static bool sw_enabled(const struct lapic *l) { return l->svr & LAPIC_SVR_ENABLE; }

/* ------------------------------------------------------------------ errors, acceptance */

void lapic_error(struct lapic *l, uint32_t bits)
{
    /* errors accumulate in the internal ESR until the next ESR write; the LVT error interrupt
     * is raised when a new error bit appears (SDM 10.5.3) */
    if ((l->esr_pending | bits) == l->esr_pending)
        return;
    l->esr_pending |= bits;
    lapic_lvt_fire(l, LVT_ERROR);
}

bool lapic_accept(struct lapic *l, uint8_t vector, bool level)
{
    if (l->mode == LAPIC_MODE_DISABLED || !sw_enabled(l))
        return false;                   /* software-disabled: fixed interrupts are discarded */
    if (vector < 16) {
        lapic_error(l, LAPIC_ESR_RECV_ILLEGAL);
        return false;
    }
    vbit_set(l->irr, &l->irr_sum, vector);
    l->cpu->block_end = true;           /* if the processor is running (self-IPI, its own timer
                                         * deadline): check for interrupts after this insn */
    if (level)
        l->tmr[vector >> 5] |= 1u << (vector & 31);
    else
        l->tmr[vector >> 5] &= ~(1u << (vector & 31));
    return true;
}

/* ------------------------------------------------------------------ the processor side */

static bool extint_ready(const struct lapic *l)
{
    uint32_t e = l->lvt[LVT_LINT0];
    return !(e & LAPIC_MASKED) && ((e >> LAPIC_DM_SHIFT) & 7) == APIC_DM_EXTINT && l->ext.pending &&
           l->ext.pending(l->ext.opaque);
}

bool lapic_irq_pending(void *opaque)
{
    struct lapic *l = opaque;
    if (l->mode == LAPIC_MODE_DISABLED)     /* LINT0 is the processor's INTR pin (10.4.3) */
        return l->ext.pending && l->ext.pending(l->ext.opaque);
    if (l->cpu->wait_sipi)
        return false;
    if (extint_ready(l))
        return true;
    if (!l->irr_sum)
        return false;
    return ((unsigned)lapic_highest_irr(l) & 0xf0) > (lapic_ppr(l) & 0xf0);
}

uint8_t lapic_irq_ack(void *opaque)
{
    struct lapic *l = opaque;
    if (l->mode == LAPIC_MODE_DISABLED || extint_ready(l))
        return l->ext.ack ? l->ext.ack(l->ext.opaque) : 0xff;
    int v = lapic_highest_irr(l);
    if (v < 0 || ((unsigned)v & 0xf0) <= (lapic_ppr(l) & 0xf0)) {
        /* nothing qualifies any more: the spurious vector, ISR untouched (SDM 10.9) */
        l->spurious_count++;
        return (uint8_t)(l->svr & 0xff);
    }
    vbit_clr(l->irr, &l->irr_sum, (unsigned)v);
    vbit_set(l->isr, &l->isr_sum, (unsigned)v);
    return (uint8_t)v;
}

void lapic_eoi(struct lapic *l)
{
    int v = lapic_highest_isr(l);
    if (v < 0)
        return;
    if (l->cpu->trace) {
        uint64_t tv[1] = { (uint64_t)v };
        tracer_cpu(l->cpu->trace, l->cpu, TEV_IRQ_EOI, tv);
    }
    vbit_clr(l->isr, &l->isr_sum, (unsigned)v);
    /* level-triggered: broadcast to the I/O APICs unless suppressed (SDM 10.8.5) */
    if (vbit(l->tmr, (unsigned)v) && !(l->svr & LAPIC_SVR_NO_EOI_BC) && l->bus)
        apic_bus_eoi(l->bus, (uint8_t)v);
    l->cpu->block_end = true;           /* a lower PPR may unmask a pending interrupt */
}

/* ------------------------------------------------------------------ LVT */

/* The trace's source code of an LVT entry (traces/trace_schema.h). */
static unsigned lvt_source(int lvt)
{
    return lvt == LVT_TIMER ? TRACE_SRC_APIC_TIMER : lvt == LVT_LINT0 ? TRACE_SRC_LINT0
         : lvt == LVT_LINT1 ? TRACE_SRC_LINT1 : TRACE_SRC_APIC_ERROR;
}

void lapic_lvt_fire(struct lapic *l, int lvt)
{
    uint32_t e = l->lvt[lvt];
    if (e & LAPIC_MASKED || l->mode == LAPIC_MODE_DISABLED)
        return;
    if (l->cpu->trace && (lvt == LVT_TIMER || lvt == LVT_LINT0 || lvt == LVT_LINT1 ||
                          lvt == LVT_ERROR)) {
        /* ExtINT through LINT0/1: the vector comes from the 8259A at acknowledge time */
        bool extint = (lvt == LVT_LINT0 || lvt == LVT_LINT1) && ((e >> LAPIC_DM_SHIFT) & 7) == 7;
        uint64_t tv[5] = { extint ? 0 : e & LAPIC_VEC_MASK,
                           extint ? TRACE_SRC_PIC : lvt_source(lvt), l->id,
                           (uint64_t)l->cpu->id, (e & LAPIC_LEVEL) ? 1 : 0 };
        tracer_device(l->cpu->trace, TEV_IRQ_RAISE, tv);
    }
    unsigned dm = (lvt == LVT_TIMER || lvt == LVT_ERROR) ? APIC_DM_FIXED
                                                          : (e >> LAPIC_DM_SHIFT) & 7;
    switch (dm) {
    case APIC_DM_FIXED:
        lapic_accept(l, (uint8_t)(e & LAPIC_VEC_MASK), (lvt == LVT_LINT0 || lvt == LVT_LINT1) &&
                                                           (e & LAPIC_LEVEL));
        break;
    case APIC_DM_NMI:
        if (!l->cpu->wait_sipi)
            l->cpu->nmi_pending = true;
        break;
    case APIC_DM_SMI:
        l->smi_count++;
        break;
    case APIC_DM_INIT:
        if (vmx_init_blocked(l->cpu)) {     /* held in VMX root operation (SDM Vol. 3 23.8) */
            l->cpu->vmx.init_pending = true;
            break;
        }
        lapic_init_reset(l);
        cpu_init_signal(l->cpu);
        break;
    default:                            /* ExtINT: polled from the 8259 (extint_ready) */
        break;
    }
}

void lapic_set_lint(struct lapic *l, int pin, bool level)
{
    static const uint8_t lvt_of[2] = { LVT_LINT0, LVT_LINT1 };
    if (pin < 0 || pin > 1)
        return;
    /* edge-triggered entries fire on the inactive -> active edge; level-triggered ones whenever
     * the pin is driven active (the IRR bit stays set until accepted; the remote-IRR handshake
     * is not modelled) */
    if (l->mode == LAPIC_MODE_DISABLED) {
        /* hardware-disabled: LINT1 is the processor's NMI pin (rising edge), LINT0 its INTR pin
         * (the 8259 path, lapic_irq_pending) (SDM 10.4.3) */
        if (pin == 1 && level && !l->lint_active[1] && !l->cpu->wait_sipi)
            l->cpu->nmi_pending = true;
        l->lint_active[pin] = level;
        return;
    }
    uint32_t e = l->lvt[lvt_of[pin]];
    bool active = (e & LAPIC_POLARITY) ? !level : level;
    bool edge = active && !l->lint_active[pin];
    l->lint_active[pin] = active;
    if (edge || (active && (e & LAPIC_LEVEL)))
        lapic_lvt_fire(l, lvt_of[pin]);
}

/* ------------------------------------------------------------------ messages */

void lapic_deliver(struct lapic *l, const struct apic_msg *m)
{
    struct cpu *c = l->cpu;
    switch (m->delmode) {
    case APIC_DM_FIXED:
    case APIC_DM_LOWEST:
        if (!c->wait_sipi)
            lapic_accept(l, m->vector, m->level);
        break;
    case APIC_DM_NMI:
        if (!c->wait_sipi) {
            c->nmi_pending = true;      /* accepted even when software-disabled (10.4.7.2) */
            c->block_end = true;
        }
        break;
    case APIC_DM_SMI:
        if (!c->wait_sipi)
            l->smi_count++;             /* SMM is not modelled */
        break;
    case APIC_DM_INIT:
        if (m->level && !m->assert)     /* INIT level de-assert: arbitration ids only (10.6.1) */
            break;
        if (vmx_init_blocked(c)) {          /* held in VMX root operation (SDM Vol. 3 23.8) */
            c->vmx.init_pending = true;
            break;
        }
        lapic_init_reset(l);
        cpu_init_signal(c);
        break;
    case APIC_DM_SIPI:
        cpu_sipi(c, m->vector);
        break;
    case APIC_DM_EXTINT:
        /* an ExtINT message (I/O APIC pin in ExtINT mode): the vector comes from the 8259 INTA;
         * hvsim takes that path through LINT0 only; counted as undelivered */
        if (l->bus)
            l->bus->undelivered++;
        break;
    default:
        break;
    }
}

void lapic_send_icr(struct lapic *l, uint32_t lo, uint32_t hi)
{
    struct apic_msg m = {
        .vector = (uint8_t)(lo & 0xff),
        .delmode = (uint8_t)((lo >> 8) & 7),
        .logical = (lo >> 11) & 1,
        .assert = (lo >> 14) & 1,
        .level = (lo >> 15) & 1,
        .shorthand = (uint8_t)((lo >> 18) & 3),
        .x2apic = l->mode == LAPIC_MODE_X2APIC,
        .source = (int16_t)l->cpu->id,
    };
    m.dest = m.x2apic ? hi : hi >> 24;
    if (m.delmode == 3)                 /* reserved delivery mode: nothing is sent */
        return;
    if (l->cpu->trace) {
        uint64_t tv[5] = { m.vector, m.delmode, m.shorthand, m.dest, m.logical };
        tracer_cpu(l->cpu->trace, l->cpu, TEV_IPI, tv);
    }
    if ((m.delmode == APIC_DM_FIXED || m.delmode == APIC_DM_LOWEST) && m.vector < 16) {
        lapic_error(l, LAPIC_ESR_SEND_ILLEGAL);
        return;
    }
    l->ipis_sent++;
    if (m.shorthand == APIC_SH_SELF) {  /* self: fixed only (SDM Table 10-3); no bus cycle */
        if (m.delmode == APIC_DM_FIXED)
            lapic_accept(l, m.vector, m.level);
        return;
    }
    if (l->bus)
        apic_bus_send(l->bus, &m);
}

/* ------------------------------------------------------------------ reset and modes */

/* Power-up / INIT register values (SDM 10.4.7.1); id, mode and base are the caller's. */
static void reset_regs(struct lapic *l)
{
    memset(l->irr, 0, sizeof l->irr);
    memset(l->isr, 0, sizeof l->isr);
    memset(l->tmr, 0, sizeof l->tmr);
    l->irr_sum = l->isr_sum = 0;
    l->icr_lo = l->icr_hi = 0;
    l->ldr = l->mode == LAPIC_MODE_X2APIC ? lapic_x2apic_ldr(l->id) : 0;
    l->dfr = 0xffffffffu;
    l->svr = 0xff;
    l->esr = l->esr_pending = 0;
    for (int k = 0; k < LVT_COUNT; k++)
        l->lvt[k] = LAPIC_MASKED;
    lapic_timer_stop(l);
    l->timer_icr = l->timer_dcr = 0;
    l->tsc_deadline = 0;
    lapic_set_tpr(l, 0);
}

void lapic_init_reset(struct lapic *l)
{
    reset_regs(l);
}

void lapic_init(struct lapic *l, struct cpu *c, struct evq *q, struct apic_bus *bus, uint32_t id)
{
    memset(l, 0, sizeof *l);
    l->cpu = c;
    l->q = q;
    l->bus = bus;
    l->timer_hz = c->model->apic_timer_hz;
    l->initial_id = l->id = id;
    uint64_t ab = c->msr.apic_base;
    l->base = ab & ~0xfffull & ((1ull << c->model->max_phys_bits) - 1);
    l->mode = !(ab & APIC_BASE_EN) ? LAPIC_MODE_DISABLED
              : (ab & APIC_BASE_EXTD) ? LAPIC_MODE_X2APIC : LAPIC_MODE_XAPIC;
    event_init(&l->timer_ev, lapic_timer_expire, l, "lapic-timer");
    reset_regs(l);
}

void lapic_attach(struct lapic *l, const struct irq_source *ext)
{
    struct cpu *c = l->cpu;
    c->apic = l;
    c->irq = (struct irq_source){ lapic_irq_pending, lapic_irq_ack, l };
    l->ext = ext ? *ext : (struct irq_source){ 0 };
    /* an application processor of an MP system powers up waiting for a SIPI (SDM 8.4.1) */
    if (!(c->msr.apic_base & APIC_BASE_BSP))
        cpu_init_signal(c);
}

void lapic_bios_virtual_wire(struct lapic *l)
{
    l->svr = LAPIC_SVR_ENABLE | 0xff;
    l->lvt[LVT_LINT0] = APIC_DM_EXTINT << LAPIC_DM_SHIFT;
    l->lvt[LVT_LINT1] = APIC_DM_NMI << LAPIC_DM_SHIFT;
}

bool lapic_write_apic_base(struct lapic *l, uint64_t v)
{
    uint8_t to = !(v & APIC_BASE_EN) ? LAPIC_MODE_DISABLED
                 : (v & APIC_BASE_EXTD) ? LAPIC_MODE_X2APIC : LAPIC_MODE_XAPIC;
    uint8_t from = l->mode;
    /* SDM 10.12.5 Figure 10-27: EN=0/EXTD=1 is invalid; disabled -> x2APIC and x2APIC -> xAPIC
     * must go through the other state */
    if ((!(v & APIC_BASE_EN) && (v & APIC_BASE_EXTD)) ||
        (from == LAPIC_MODE_DISABLED && to == LAPIC_MODE_X2APIC) ||
        (from == LAPIC_MODE_X2APIC && to == LAPIC_MODE_XAPIC))
        return false;
    l->mode = to;
    l->base = v & ~0xfffull & ((1ull << l->cpu->model->max_phys_bits) - 1);
    if (to != from) {
        l->id = l->initial_id;
        if (to == LAPIC_MODE_DISABLED) {
            reset_regs(l);              /* the APIC comes back in its power-up state (10.4.3) */
        } else if (to == LAPIC_MODE_X2APIC) {
            l->ldr = lapic_x2apic_ldr(l->id);   /* id and LDR from the x2APIC id (10.12.5.1) */
            l->dfr = 0xffffffffu;
        }
    }
    l->cpu->msr.apic_base = v;
    if (l->bus)
        apic_bus_remap(l->bus);
    l->cpu->block_end = true;
    return true;
}
