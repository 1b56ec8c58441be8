/* msr.c — the synthetic MSRs 0x40000000-0x400000FF (TLFS 2.4 "Feature and Interface Discovery",
 * 3.13 "Establishing the Hypercall Interface", 12 "Timers", 11.8 "SynIC MSRs").
 *
 * A table maps each MSR range to the privilege bit that grants access (CPUID 0x40000003 EAX,
 * the partition's HV_PARTITION_PRIVILEGE_MASK) and its read/write functions. Without the
 * privilege, or with no function for the direction, the access is a #GP (TLFS 2.4.4), as is an
 * unknown synthetic MSR.
 *
 * Behaviour chosen where the TLFS leaves room (docs/HYPERVISOR.md "Synthetic features"):
 *  - HYPERCALL (0x40000001): bits 11:2 reserved (#GP if set). The enable bit stays 0 while the
 *    guest OS ID is 0 (TLFS 3.13). On enable the hypervisor writes VMCALL; RET (0F 01 C1 C3) at
 *    offset 0 of the guest page; a page that is not mapped writable in the partition's EPT is a
 *    #GP (we do not overlay pages), as is a page that is not RAM. Once the locked bit is set, writes are ignored.
 *  - REFERENCE_TSC (0x40000021): bits 11:1 reserved (#GP); on enable the page gets
 *    {sequence 1, scale = 2^64 * 10^7 / TSC Hz, offset 0}; same #GP rule for an unmapped page.
 *  - SynIC MSRs (TLFS 11.8): SVERSION reads 1 (writes #GP); SCONTROL bit 0 only; SIEFP / SIMP
 *    bits 11:1 reserved, and enabling one on a page that is not writable RAM of the partition is
 *    a #GP (the page is not cleared); EOM reads 0, a write delivers waiting messages
 *    (message.c), as does any write to SCONTROL, SIMP or SINTx; SINTx: 7:0 vector, 16 masked,
 *    17 AutoEOI, vectors 0-15 rejected unless masked; a SINT with AutoEOI makes its vector
 *    auto-EOI in the VP's virtual APIC. Synthetic timer MSRs are stored here
 *    (hv/synic/stimer.c runs them).
 *  - The synthetic APIC MSRs EOI/ICR/TPR (0x40000070-72) and a child's IA32_APIC_BASE go to
 *    the VP's virtual APIC (hv/vapic).
 * Invariants: the guest pages are written only after an ept_lookup with write permission in the
 * writer's own partition's EPT (synic_guest_page).
 */
#include "hv/abi/tlfs.h"
#include "hv/hv_svc.h"
#include "hv/part/partition.h"
#include "hv/synic/synic.h"
#include "hv/synic/stimer.h"
#include "hv/vapic/vapic.h"
#include "krt/krt.h"

void synic_vp_init(struct hv_vp *vp)
{
    struct hv_synic_vp *s = &vp->synic;
    memset(s, 0, sizeof(*s));
    for (int i = 0; i < HV_SYNIC_SINT_COUNT; i++)
        s->sint[i] = HV_SYNIC_SINT_MASKED;
}

void *synic_guest_page(struct hv_vp *vp, uint64_t gpa)
{
    uint64_t hpa;
    unsigned perms;
    if (ept_lookup(&vp->part->ept, gpa & ~0xFFFull, &hpa, &perms) != 0)
        return NULL;
    if ((perms & (EPT_R | EPT_W)) != (EPT_R | EPT_W) || !hv_part_is_ram(hpa))
        return NULL;
    return hv_hpa_ptr(hpa & ~0xFFFull);
}

uint64_t synic_tsc_scale(uint64_t hz)
{
    if (hz <= HV_CLOCK_HZ || (hz >> 63))
        return 0;               /* the scale would not fit below 2^64 */
    /* long division of 10^7 * 2^64 by hz, one quotient bit per step (r < hz < 2^63) */
    uint64_t r = HV_CLOCK_HZ, q = 0;
    for (int i = 0; i < 64; i++) {
        r <<= 1;
        q <<= 1;
        if (r >= hz) {
            r -= hz;
            q |= 1;
        }
    }
    return q;
}

/* ---- the MSRs: 0 done, -1 #GP ---- */

static int rd_guest_os_id(struct hv_vp *vp, uint32_t msr, uint64_t *v)
{
    (void)msr;
    *v = vp->part->guest_os_id;
    return 0;
}

static int wr_guest_os_id(struct hv_vp *vp, uint32_t msr, uint64_t v)
{
    (void)msr;
    vp->part->guest_os_id = v;
    if (v == 0)         /* TLFS 3.13: the hypercall page is disabled while the OS ID is 0 */
        vp->part->hypercall_msr &= ~HV_X64_MSR_HYPERCALL_ENABLE;
    return 0;
}

static int rd_hypercall(struct hv_vp *vp, uint32_t msr, uint64_t *v)
{
    (void)msr;
    *v = vp->part->hypercall_msr;
    return 0;
}

static int wr_hypercall(struct hv_vp *vp, uint32_t msr, uint64_t v)
{
    (void)msr;
    struct hv_partition *p = vp->part;
    if (p->hypercall_msr & HV_X64_MSR_HYPERCALL_LOCKED)
        return 0;
    if (v & 0xFFCull)
        return -1;
    if (p->guest_os_id == 0)
        v &= ~HV_X64_MSR_HYPERCALL_ENABLE;
    /* the hypercall lock orders this write with DepositMemory, which refuses an enabled page:
     * the page cannot become hypervisor memory between its lookup and the copy */
    if (!hc_lock_try())
        return SYNIC_MSR_RETRY;
    if (v & HV_X64_MSR_HYPERCALL_ENABLE) {
        uint8_t *page = synic_guest_page(vp, v & HV_X64_MSR_HYPERCALL_PAGE_ADDRESS_MASK);
        if (!page) {
            hc_lock_release();
            return -1;
        }
        static const uint8_t code[] = HV_HYPERCALL_PAGE_CODE;
        memcpy(page, code, sizeof(code));
    }
    p->hypercall_msr = v;
    hc_lock_release();
    return 0;
}

static int rd_vp_index(struct hv_vp *vp, uint32_t msr, uint64_t *v)
{
    (void)msr;
    *v = vp->index;
    return 0;
}

static int rd_time_ref_count(struct hv_vp *vp, uint32_t msr, uint64_t *v)
{
    (void)msr;
    *v = synic_ref_time(vp->part);      /* stimer.c: 0 at the partition's creation */
    return 0;
}

static int rd_reference_tsc(struct hv_vp *vp, uint32_t msr, uint64_t *v)
{
    (void)msr;
    *v = vp->part->ref_tsc_msr;
    return 0;
}

static int wr_reference_tsc(struct hv_vp *vp, uint32_t msr, uint64_t v)
{
    (void)msr;
    if (v & 0xFFEull)
        return -1;
    if (!hc_lock_try())   /* ordered with DepositMemory, as the hypercall page */
        return SYNIC_MSR_RETRY;
    if (v & HV_X64_MSR_TSC_REFERENCE_ENABLE) {
        struct hv_reference_tsc_page *pg = synic_guest_page(vp, v & ~0xFFFull);
        if (!pg) {
            hc_lock_release();
            return -1;
        }
        uint64_t scale = synic_tsc_scale(hv_tsc_hz());
        pg->tsc_sequence = 0;       /* invalid while it changes (TLFS 12.7.2) */
        pg->tsc_scale = scale;
        pg->tsc_offset = synic_ref_tsc_offset(vp->part, scale);  /* stimer.c */
        pg->tsc_sequence = scale ? 1 : 0;
    }
    vp->part->ref_tsc_msr = v;
    hc_lock_release();
    return 0;
}

/* HV_X64_MSR_TSC_FREQUENCY / HV_X64_MSR_APIC_FREQUENCY (read-only, AccessFrequencyRegs;
 * CPUID 0x40000003 EDX[8]): the TSC's frequency and the virtual APIC timer's input clock before
 * the divide (hv/vapic/vapic_timer.c), in Hz. */
static int rd_frequency(struct hv_vp *vp, uint32_t msr, uint64_t *v)
{
    (void)vp;
    *v = msr == HV_X64_MSR_APIC_FREQUENCY ? vapic_timer_hz() : hv_tsc_hz();
    return 0;
}

/* SynIC registers (TLFS 11.8), storage only for now. */
static uint64_t *synic_reg(struct hv_vp *vp, uint32_t msr)
{
    struct hv_synic_vp *s = &vp->synic;
    switch (msr) {
    case HV_X64_MSR_SCONTROL: return &s->scontrol;
    case HV_X64_MSR_SIEFP: return &s->siefp;
    case HV_X64_MSR_SIMP: return &s->simp;
    default: break;
    }
    if (msr >= HV_X64_MSR_SINT0 && msr <= HV_X64_MSR_SINT15)
        return &s->sint[msr - HV_X64_MSR_SINT0];
    if (msr >= HV_X64_MSR_STIMER0_CONFIG && msr <= HV_X64_MSR_STIMER3_COUNT) {
        unsigned t = (msr - HV_X64_MSR_STIMER0_CONFIG) / 2;
        return (msr & 1) ? &s->stimer_count[t] : &s->stimer_config[t];
    }
    return NULL;
}

/* The vector of SINTx with AutoEOI (and not masked) is auto-EOI in the VP's virtual APIC (no
 * ISR bit when injected, TLFS 11.8.3); recomputed for `vector` over all 16 SINTs, since two
 * SINTs may share one. */
static void sint_auto_eoi(struct hv_vp *vp, uint8_t vector)
{
    bool on = false;
    for (unsigned i = 0; i < HV_SYNIC_SINT_COUNT; i++) {
        uint64_t x = vp->synic.sint[i];
        if ((x & HV_SYNIC_SINT_VECTOR_MASK) == vector && (x & HV_SYNIC_SINT_AUTO_EOI) &&
            !(x & HV_SYNIC_SINT_MASKED))
            on = true;
    }
    vapic_set_auto_eoi(vp, vector, on);
}

static int rd_synic(struct hv_vp *vp, uint32_t msr, uint64_t *v)
{
    if (msr == HV_X64_MSR_SVERSION) {
        *v = HV_SYNIC_VERSION_1;
        return 0;
    }
    if (msr == HV_X64_MSR_EOM) {
        *v = 0;
        return 0;
    }
    uint64_t *r = synic_reg(vp, msr);
    if (!r)
        return -1;
    *v = *r;
    return 0;
}

static int wr_synic(struct hv_vp *vp, uint32_t msr, uint64_t v)
{
    if (msr == HV_X64_MSR_SVERSION)
        return -1;                  /* read-only */
    if (msr == HV_X64_MSR_EOM) {
        synic_eom(vp);              /* TLFS 11.10.3: the next waiting messages (message.c) */
        return 0;
    }
    uint64_t *r = synic_reg(vp, msr);
    if (!r)
        return -1;
    if (msr == HV_X64_MSR_SIEFP || msr == HV_X64_MSR_SIMP) {
        if (v & 0xFFEull)
            return -1;
        /* the page must be writable RAM of the partition (we write into it, no overlay); it
         * is not cleared (TLFS; QEMU SynIC v2): the guest owns its contents. Under the VP's
         * SynIC lock: no delivery into the old page runs on once the write is done. */
        synic_vp_lock(vp);
        if ((v & 1) && !synic_guest_page(vp, v & ~0xFFFull)) {
            synic_vp_unlock(vp);
            return -1;
        }
        *r = v;
        synic_vp_unlock(vp);
        if (msr == HV_X64_MSR_SIMP)
            synic_eom(vp);
        return 0;
    } else if (msr >= HV_X64_MSR_SINT0 && msr <= HV_X64_MSR_SINT15) {
        /* 7:0 vector, 16 masked, 17 auto-EOI; vectors 0-15 are invalid unless masked */
        if (v & ~(HV_SYNIC_SINT_VECTOR_MASK | HV_SYNIC_SINT_MASKED | HV_SYNIC_SINT_AUTO_EOI))
            return -1;
        if (!(v & HV_SYNIC_SINT_MASKED) &&
            (v & HV_SYNIC_SINT_VECTOR_MASK) < HV_SYNIC_FIRST_VALID_VECTOR)
            return -1;
    } else if (msr == HV_X64_MSR_SCONTROL) {
        if (v & ~HV_SYNIC_CONTROL_ENABLE)
            return -1;
    }
    uint64_t old = *r;
    *r = v;
    if (msr >= HV_X64_MSR_SINT0 && msr <= HV_X64_MSR_SINT15) {
        sint_auto_eoi(vp, (uint8_t)(old & HV_SYNIC_SINT_VECTOR_MASK));
        sint_auto_eoi(vp, (uint8_t)(v & HV_SYNIC_SINT_VECTOR_MASK));
    }
    /* a SynIC that can take messages again delivers what waits (SCONTROL, SIMP, SINTx) */
    if (msr == HV_X64_MSR_SCONTROL || msr == HV_X64_MSR_SIMP ||
        (msr >= HV_X64_MSR_SINT0 && msr <= HV_X64_MSR_SINT15))
        synic_eom(vp);
    return 0;
}

/* The synthetic APIC MSRs (TLFS "Virtual Interrupt Controller", AccessApicMsrs = CPUID
 * 0x40000003 EAX[4]) onto the VP's virtual APIC (hv/vapic/vapic.c): EOI (write-only: a read
 * is #GP; the value is ignored), ICR (64 bits: 31:0 the ICR low dword, 63:32 the high one),
 * TPR (7:0; bits 63:8 set: #GP). */
static int rd_apic(struct hv_vp *vp, uint32_t msr, uint64_t *v)
{
    if (msr == HV_X64_MSR_ICR)
        *v = (uint64_t)vapic_read(vp, VAPIC_ICR_HI) << 32 | vapic_read(vp, VAPIC_ICR_LO);
    else if (msr == HV_X64_MSR_TPR)
        *v = vapic_read(vp, VAPIC_TPR);
    else
        return -1;
    return 0;
}

static int wr_apic(struct hv_vp *vp, uint32_t msr, uint64_t v)
{
    if (msr == HV_X64_MSR_EOI) {
        vapic_eoi(vp);
    } else if (msr == HV_X64_MSR_ICR) {
        vapic_write_icr64(vp, v);
    } else {
        if (v >> 8)
            return -1;
        vapic_write(vp, VAPIC_TPR, (uint32_t)v);
    }
    return 0;
}

struct synic_msr {
    uint32_t first, last;
    uint32_t priv;                  /* CPUID 0x40000003 EAX bit that grants access */
    int (*rd)(struct hv_vp *vp, uint32_t msr, uint64_t *v);
    int (*wr)(struct hv_vp *vp, uint32_t msr, uint64_t v);
};

static const struct synic_msr msrs[] = {
    { HV_X64_MSR_GUEST_OS_ID, HV_X64_MSR_GUEST_OS_ID, HV_MSR_HYPERCALL_AVAILABLE,
      rd_guest_os_id, wr_guest_os_id },
    { HV_X64_MSR_HYPERCALL, HV_X64_MSR_HYPERCALL, HV_MSR_HYPERCALL_AVAILABLE,
      rd_hypercall, wr_hypercall },
    { HV_X64_MSR_VP_INDEX, HV_X64_MSR_VP_INDEX, HV_MSR_VP_INDEX_AVAILABLE, rd_vp_index, NULL },
    { HV_X64_MSR_TIME_REF_COUNT, HV_X64_MSR_TIME_REF_COUNT, HV_MSR_TIME_REF_COUNT_AVAILABLE,
      rd_time_ref_count, NULL },
    { HV_X64_MSR_REFERENCE_TSC, HV_X64_MSR_REFERENCE_TSC, HV_MSR_REFERENCE_TSC_AVAILABLE,
      rd_reference_tsc, wr_reference_tsc },
    { HV_X64_MSR_TSC_FREQUENCY, HV_X64_MSR_APIC_FREQUENCY, HV_ACCESS_FREQUENCY_MSRS,
      rd_frequency, NULL },
    { HV_X64_MSR_SCONTROL, HV_X64_MSR_SINT15, HV_MSR_SYNIC_AVAILABLE, rd_synic, wr_synic },
    { HV_X64_MSR_EOI, HV_X64_MSR_TPR, HV_MSR_APIC_ACCESS_AVAILABLE, rd_apic, wr_apic },
    { HV_X64_MSR_STIMER0_CONFIG, HV_X64_MSR_STIMER3_COUNT, HV_MSR_SYNTIMER_AVAILABLE,
      synic_stimer_rdmsr, synic_stimer_wrmsr },        /* hv/synic/stimer.c */
};

static const struct synic_msr *find(struct hv_vp *vp, uint32_t msr)
{
    for (size_t i = 0; i < sizeof(msrs) / sizeof(msrs[0]); i++)
        if (msr >= msrs[i].first && msr <= msrs[i].last)
            return (vp->part->privileges & msrs[i].priv) ? &msrs[i] : NULL;
    return NULL;
}

static bool synthetic(uint32_t msr)
{
    return msr >= HV_X64_MSR_SYNTHETIC_FIRST && msr <= HV_X64_MSR_SYNTHETIC_LAST;
}

/* IA32_APIC_BASE (1BH, SDM Vol. 3 11.4.4) of a child: its virtual APIC is enabled at the
 * default base in xAPIC mode, BSP on VP 0; a write of that same value is accepted, any other
 * (moving, disabling, x2APIC) is #GP. The root's is physical (hv/vmx/exit_insn.c). */
#define SYNIC_APIC_BASE_MSR 0x1Bu
static uint64_t child_apic_base(const struct hv_vp *vp)
{
    return VAPIC_DEFAULT_BASE | (1u << 11) | (vp->index == 0 ? 1u << 8 : 0);
}

int synic_rdmsr(struct hv_vp *vp, uint32_t msr, uint64_t *val)
{
    if (msr == SYNIC_APIC_BASE_MSR && vp->part->id != HV_PARTITION_ROOT_ID) {
        *val = child_apic_base(vp);
        return 0;
    }
    if (!synthetic(msr))
        return 1;
    const struct synic_msr *m = find(vp, msr);
    if (!m || !m->rd)
        return -1;
    return m->rd(vp, msr, val);
}

int synic_wrmsr(struct hv_vp *vp, uint32_t msr, uint64_t val)
{
    if (msr == SYNIC_APIC_BASE_MSR && vp->part->id != HV_PARTITION_ROOT_ID)
        return val == child_apic_base(vp) ? 0 : -1;
    if (!synthetic(msr))
        return 1;
    const struct synic_msr *m = find(vp, msr);
    if (!m || !m->wr)
        return -1;
    return m->wr(vp, msr, val);
}
