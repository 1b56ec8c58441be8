/* lapic_regs.c — the local APIC register file as software sees it: xAPIC MMIO in the 4 KiB page
 * at IA32_APIC_BASE (SDM Vol. 3 10.4.1, Table 10-1), x2APIC MSRs 0x800-0x8FF (10.12.1, Table
 * 10-6) with their #GP rules, IA32_TSC_DEADLINE (10.5.4.1), and the per-processor CPUID fields.
 *
 * Access rules (decided from SDM 10.4.1 "registers are 128-bit aligned ... accessed with 32-bit
 * loads and stores"; documented in docs/APIC.md):
 *  - xAPIC reads of any size return the bytes of the 32-bit register of the 16-byte slot; the
 *    bytes 4-15 of a slot read 0. Writes change a register only when they are 32-bit (or wider)
 *    and aligned on the slot; other writes are ignored.
 *  - Reserved offsets read 0, ignore writes and set ESR bit 7 (illegal register address).
 *  - x2APIC: RDMSR/WRMSR #GP(0) when not in x2APIC mode, on reserved MSRs (DFR 0x80E, ICR high
 *    0x831, APR 0x809, RRD 0x80C), on reads of write-only ones (EOI, SELF IPI), writes of
 *    read-only ones, and writes that set reserved bits (RsvdZ, 10.12.1.3) including bits 63:32
 *    of every MSR but the ICR.
 *
 * Invariant: a register write either is refused (false, nothing changed) or fully applied.
 */
#include "apic/lapic.h"

#include "apic/apic_bus.h"
#include "cpu/model.h"

/* Writable bits of each LVT entry (SDM Figure 10-8); LINT1 has no level trigger (edge only). */
static const uint32_t lvt_wmask[LVT_COUNT] = {
    [LVT_CMCI] = 0x107ff, [LVT_TIMER] = 0x700ff, [LVT_THERMAL] = 0x107ff, [LVT_PERF] = 0x107ff,
    [LVT_LINT0] = 0x1a7ff, [LVT_LINT1] = 0x127ff, [LVT_ERROR] = 0x100ff,
};
#define SVR_WMASK 0x13ffu
#define DCR_WMASK 0xbu
#define ICR_LO_WMASK 0xccfffu       /* vector, delmode, destmode, level, trigger, shorthand */

/* LVT index of a register offset, or -1. */
static int lvt_index(unsigned reg)
{
    if (reg == LAPIC_LVT_CMCI)
        return LVT_CMCI;
    if (reg >= LAPIC_LVT_TIMER && reg <= LAPIC_LVT_ERROR)
        return LVT_TIMER + (int)((reg - LAPIC_LVT_TIMER) >> 4);
    return -1;
}

/* Read the 32-bit register at slot offset `reg`; false if the offset is reserved. */
static bool reg_read(struct lapic *l, unsigned reg, uint32_t *v)
{
    bool x2 = l->mode == LAPIC_MODE_X2APIC;
    int lvt = lvt_index(reg);
    if (lvt >= 0) {
        *v = l->lvt[lvt];
        return true;
    }
    if (reg >= LAPIC_ISR && reg < LAPIC_ISR + 0x80) {
        *v = l->isr[(reg - LAPIC_ISR) >> 4];
        return true;
    }
    if (reg >= LAPIC_TMR && reg < LAPIC_TMR + 0x80) {
        *v = l->tmr[(reg - LAPIC_TMR) >> 4];
        return true;
    }
    if (reg >= LAPIC_IRR && reg < LAPIC_IRR + 0x80) {
        *v = l->irr[(reg - LAPIC_IRR) >> 4];
        return true;
    }
    switch (reg) {
    case LAPIC_ID: *v = x2 ? l->id : l->id << 24; return true;
    case LAPIC_VER: *v = LAPIC_VERSION; return true;
    case LAPIC_TPR: *v = l->tpr; return true;
    case LAPIC_APR: *v = lapic_apr(l); return !x2;
    case LAPIC_PPR: *v = lapic_ppr(l); return true;
    case LAPIC_EOI: *v = 0; return !x2;             /* write-only */
    case LAPIC_RRD: *v = 0; return !x2;             /* remote read: not supported */
    case LAPIC_LDR: *v = l->ldr; return true;
    case LAPIC_DFR: *v = l->dfr | 0x0fffffffu; return !x2;
    case LAPIC_SVR: *v = l->svr; return true;
    case LAPIC_ESR: *v = l->esr; return true;
    case LAPIC_ICR_LO: *v = l->icr_lo; return true;
    case LAPIC_ICR_HI: *v = l->icr_hi; return !x2;
    case LAPIC_TIMER_ICR: *v = l->timer_icr; return true;
    case LAPIC_TIMER_CCR: *v = lapic_timer_ccr(l, lapic_now(l)); return true;
    case LAPIC_TIMER_DCR: *v = l->timer_dcr; return true;
    default: return false;
    }
}

static void write_svr(struct lapic *l, uint32_t v)
{
    l->svr = v & SVR_WMASK;
    if (!(v & LAPIC_SVR_ENABLE))        /* software disable masks every LVT entry (10.4.7.2) */
        for (int k = 0; k < LVT_COUNT; k++)
            l->lvt[k] |= LAPIC_MASKED;
}

static void write_lvt(struct lapic *l, int lvt, uint32_t v)
{
    v &= lvt_wmask[lvt];
    if (!(l->svr & LAPIC_SVR_ENABLE))
        v |= LAPIC_MASKED;              /* masks cannot be cleared while software-disabled */
    if (lvt == LVT_TIMER)
        lapic_timer_write_lvt(l, v, lapic_now(l));
    else
        l->lvt[lvt] = v;
}

/* Write the 32-bit register at `reg` in either mode (the caller did the x2APIC checks). */
static void reg_write(struct lapic *l, unsigned reg, uint32_t v)
{
    bool x2 = l->mode == LAPIC_MODE_X2APIC;
    int lvt = lvt_index(reg);
    if (lvt >= 0) {
        write_lvt(l, lvt, v);
        return;
    }
    switch (reg) {
    case LAPIC_ID:
        if (!x2)
            l->id = v >> 24;
        break;
    case LAPIC_TPR:
        lapic_set_tpr(l, v & 0xff);
        l->cpu->block_end = true;
        break;
    case LAPIC_EOI: lapic_eoi(l); break;
    case LAPIC_LDR:
        if (!x2)
            l->ldr = v & 0xff000000u;
        break;
    case LAPIC_DFR:
        if (!x2)
            l->dfr = v | 0x0fffffffu;
        break;
    case LAPIC_SVR: write_svr(l, v); break;
    case LAPIC_ESR:                     /* a write moves the errors seen so far into the ESR */
        l->esr = l->esr_pending;
        l->esr_pending = 0;
        break;
    case LAPIC_ICR_LO:
        l->icr_lo = v & ICR_LO_WMASK;
        lapic_send_icr(l, l->icr_lo, l->icr_hi);
        break;
    case LAPIC_ICR_HI: l->icr_hi = v & 0xff000000u; break;
    case LAPIC_TIMER_ICR: lapic_timer_write_icr(l, v, lapic_now(l)); break;
    case LAPIC_TIMER_DCR: lapic_timer_write_dcr(l, v, lapic_now(l)); break;
    default: break;                     /* read-only registers ignore writes */
    }
}

/* ------------------------------------------------------------------ xAPIC MMIO */

static bool xapic_reserved(struct lapic *l, unsigned reg)
{
    uint32_t dummy;
    return reg == LAPIC_SELF_IPI || !reg_read(l, reg, &dummy);
}

uint64_t lapic_mmio_read(struct lapic *l, uint64_t offset, unsigned size)
{
    unsigned reg = (unsigned)(offset & 0xff0), in = (unsigned)(offset & 0xf);
    uint32_t v = 0;
    if (reg == LAPIC_SELF_IPI || (in < 4 && !reg_read(l, reg, &v))) {
        lapic_error(l, LAPIC_ESR_ILLEGAL_REG);
        return 0;
    }
    if (in >= 4)
        return 0;
    uint64_t r = (uint64_t)v >> (8 * in);       /* bytes past the register read 0 */
    return size >= 8 ? r : r & ((1ull << (8 * size)) - 1);
}

void lapic_mmio_write(struct lapic *l, uint64_t offset, uint64_t value, unsigned size)
{
    unsigned reg = (unsigned)(offset & 0xff0);
    if ((offset & 0xf) || size < 4)
        return;                                 /* sub-dword or misaligned: ignored */
    if (xapic_reserved(l, reg)) {
        lapic_error(l, LAPIC_ESR_ILLEGAL_REG);
        return;
    }
    reg_write(l, reg, (uint32_t)value);
}

/* ------------------------------------------------------------------ x2APIC MSRs */

bool lapic_msr_read(struct lapic *l, uint32_t msr, uint64_t *v)
{
    if (msr == MSR_IA32_TSC_DEADLINE) {
        *v = lapic_timer_read_deadline(l);
        return true;
    }
    if (l->mode != LAPIC_MODE_X2APIC || msr < 0x800 || msr > 0x8ff)
        return false;
    unsigned reg = (msr - 0x800) << 4;
    if (reg == LAPIC_ICR_LO) {
        *v = (uint64_t)l->icr_hi << 32 | l->icr_lo;
        return true;
    }
    uint32_t r;
    if (reg == LAPIC_EOI || reg == LAPIC_SELF_IPI || !reg_read(l, reg, &r))
        return false;
    *v = r;
    return true;
}

/* Writable bits of x2APIC registers (RsvdZ); 0: read-only or reserved. */
static uint32_t x2_wmask(unsigned reg)
{
    int lvt = lvt_index(reg);
    if (lvt >= 0)
        return lvt_wmask[lvt];
    switch (reg) {
    case LAPIC_TPR: return 0xff;
    case LAPIC_SVR: return SVR_WMASK;
    case LAPIC_TIMER_ICR: return 0xffffffffu;
    case LAPIC_TIMER_DCR: return DCR_WMASK;
    case LAPIC_SELF_IPI: return 0xff;
    default: return 0;
    }
}

bool lapic_msr_write(struct lapic *l, uint32_t msr, uint64_t v)
{
    if (msr == MSR_IA32_TSC_DEADLINE) {
        lapic_timer_write_deadline(l, v, lapic_now(l));
        return true;
    }
    if (l->mode != LAPIC_MODE_X2APIC || msr < 0x800 || msr > 0x8ff)
        return false;
    unsigned reg = (msr - 0x800) << 4;
    if (reg == LAPIC_ICR_LO) {
        /* 64-bit ICR: destination 63:32; bits 31:20, 17:16, 13:12 reserved (Figure 10-28) */
        if ((uint32_t)v & ~ICR_LO_WMASK)
            return false;
        l->icr_lo = (uint32_t)v;
        l->icr_hi = (uint32_t)(v >> 32);
        lapic_send_icr(l, l->icr_lo, l->icr_hi);
        return true;
    }
    if (v >> 32)
        return false;
    uint32_t lo = (uint32_t)v;
    if (reg == LAPIC_EOI || reg == LAPIC_ESR) {     /* only 0 may be written */
        if (lo)
            return false;
        reg_write(l, reg, 0);
        return true;
    }
    uint32_t wm = x2_wmask(reg);
    if (!wm || (lo & ~wm))
        return false;
    if (reg == LAPIC_SELF_IPI) {        /* fixed, edge, to self (10.12.11) */
        lapic_send_icr(l, lo | APIC_SH_SELF << 18, 0);
        return true;
    }
    reg_write(l, reg, lo);
    return true;
}

/* ------------------------------------------------------------------ CPUID */

void lapic_cpuid(const struct cpu *c, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    const struct lapic *l = c->apic;
    uint32_t id = l ? l->initial_id : (uint32_t)c->id;
    switch (leaf) {
    case 1:
        out[1] = (out[1] & 0x00ffffffu) | (id & 0xff) << 24;
        if (!l)
            out[2] &= ~((1u << 21) | (1u << 24));   /* x2APIC, TSC-deadline */
        if (!l || l->mode == LAPIC_MODE_DISABLED)
            out[3] &= ~(1u << 9);                   /* APIC: follows IA32_APIC_BASE.EN */
        break;
    case 0xb: {
        /* extended topology: one thread per core, every processor a core of one package */
        int n = l && l->bus ? l->bus->n : 1;
        unsigned shift = 0;
        while ((1 << shift) < n)
            shift++;
        out[2] = sub & 0xff;
        if (sub == 0) {
            out[0] = 0;
            out[1] = 1;
            out[2] |= 1u << 8;                      /* level type SMT */
        } else if (sub == 1) {
            out[0] = shift;
            out[1] = (uint32_t)n;
            out[2] |= 2u << 8;                      /* level type core */
        } else {
            out[0] = out[1] = 0;                    /* invalid level */
        }
        out[3] = id;                                /* x2APIC id */
        break;
    }
    default:
        break;
    }
}
