/* lapic.c — the local APIC driver of the hypervisor, xAPIC or x2APIC mode (SDM Vol. 3 11.4
 * "Local APIC", 11.6 "Issuing Interprocessor Interrupts", 11.9 "Spurious Interrupt", 11.12
 * "Extended XAPIC (x2APIC)").
 *
 * Mode: x2APIC if the firmware left the APIC in it (IA32_APIC_BASE.EXTD = 1, as firmware does on
 * machines with APIC IDs above 254), or if the command line has the word `x2apic` and CPUID.1:
 * ECX[21] reports it (then each LP switches itself: EN|EXTD, the xAPIC -> x2APIC transition of
 * 11.12.5); otherwise xAPIC. Every LP uses the BSP's mode.
 * xAPIC: the register page at the address IA32_APIC_BASE holds in bits MAXPHYADDR-1:12 (11.4.4),
 * read once by the BSP (the hypervisor never moves it); 32-bit aligned accesses (11.4.1).
 * x2APIC: register offset R is MSR 800H + R/16 (11.12.1.2); the ICR is the 64-bit MSR 830H with
 * the 32-bit destination in 63:32 and no delivery-status bit (11.12.9); EOI takes only 0.
 * lapic_init sets the global enable bit if it is clear; the spurious vector is
 * HV_VECTOR_SPURIOUS with the software-enable bit (SVR bit 8, 11.4.3).
 *
 * xAPIC IPIs are written high dword first (destination, ICR bits 63:56), then the low dword,
 * which sends (11.6.1); before each write the sender waits for the previous IPI's delivery
 * status (bit 12) to clear, bounded (a stuck APIC is a panic, not a hang).
 */
#include "hv/arch/arch.h"
#include "hv/hv_svc.h"
#include "krt/krt.h"

#define MSR_IA32_APIC_BASE 0x1B
#define APIC_BASE_BSP (1ull << 8)
#define APIC_BASE_EXTD (1ull << 10)
#define APIC_BASE_EN (1ull << 11)

#define LAPIC_ID 0x020
#define LAPIC_EOI 0x0B0
#define LAPIC_SVR 0x0F0
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310

#define ICR_FIXED (0u << 8)
#define ICR_NMI (4u << 8)
#define ICR_INIT (5u << 8)
#define ICR_STARTUP (6u << 8)
#define ICR_PENDING (1u << 12)              /* delivery status: send pending */
#define ICR_ASSERT (1u << 14)
#define ICR_ALL_BUT_SELF (3u << 18)

#define X2APIC_MSR(reg) (0x800u + ((reg) >> 4))
#define X2APIC_ICR 0x830u

static uint64_t hv_lapic_base;
static int x2apic = -1;                     /* -1: the BSP has not chosen yet */

uint32_t lapic_read(uint32_t reg)
{
    if (x2apic > 0)
        return (uint32_t)rdmsr(X2APIC_MSR(reg));
    return *(volatile uint32_t *)(uintptr_t)(hv_lapic_base + reg);
}

void lapic_write(uint32_t reg, uint32_t v)
{
    if (x2apic > 0)
        wrmsr(X2APIC_MSR(reg), v);
    else
        *(volatile uint32_t *)(uintptr_t)(hv_lapic_base + reg) = v;
}

bool lapic_is_x2apic(void)
{
    return x2apic > 0;
}

static inline uint32_t rd(uint32_t reg) { return lapic_read(reg); }
static inline void wr(uint32_t reg, uint32_t v) { lapic_write(reg, v); }

void lapic_init(void)
{
    uint64_t b = rdmsr(MSR_IA32_APIC_BASE);
    uint32_t r[4];
    if (x2apic < 0) {   /* the BSP chooses for every LP */
        cpuid(1, 0, r);
        x2apic = (b & APIC_BASE_EXTD) || (hv_cmdline_has("x2apic") && ((r[2] >> 21) & 1));
    }
    if (x2apic && !(b & APIC_BASE_EXTD)) {
        /* 11.12.5: disabled -> x2APIC is invalid, so enable xAPIC first, then set EXTD */
        if (!(b & APIC_BASE_EN))
            wrmsr(MSR_IA32_APIC_BASE, b | APIC_BASE_EN);
        wrmsr(MSR_IA32_APIC_BASE, b | APIC_BASE_EN | APIC_BASE_EXTD);
        b = rdmsr(MSR_IA32_APIC_BASE);
    } else if (!x2apic && (b & APIC_BASE_EXTD)) {
        hv_panic("LP's local APIC is in x2APIC mode, the BSP's in xAPIC mode (IA32_APIC_BASE "
                 "%#lx)", (unsigned long)b);
    }
    if (!(b & APIC_BASE_EN))
        wrmsr(MSR_IA32_APIC_BASE, b | APIC_BASE_EN);
    if (x2apic) {
        wr(LAPIC_SVR, (rd(LAPIC_SVR) & ~0xFFu) | 0x100u | HV_VECTOR_SPURIOUS);
        return;
    }
    cpuid(0x80000000u, 0, r);
    unsigned maxphys = 36;                  /* SDM Vol. 3 4.1.4: 36 when 80000008H is absent */
    if (r[0] >= 0x80000008u) {
        cpuid(0x80000008u, 0, r);
        maxphys = r[0] & 0xFF;
    }
    uint64_t base = b & ~0xFFFull & ((1ull << maxphys) - 1);
    if (hv_lapic_base == 0)
        hv_lapic_base = base;
    else if (base != hv_lapic_base)
        hv_panic("local APIC of this LP at %#lx, the BSP's at %#lx", (unsigned long)base,
                 (unsigned long)hv_lapic_base);
    wr(LAPIC_SVR, (rd(LAPIC_SVR) & ~0xFFu) | 0x100u | HV_VECTOR_SPURIOUS);
}

uint32_t lapic_id(void)
{
    return x2apic > 0 ? rd(LAPIC_ID) : rd(LAPIC_ID) >> 24;   /* 11.12.5.1: 32-bit x2APIC ID */
}

void lapic_eoi(void)
{
    wr(LAPIC_EOI, 0);
}

static void icr_wait(void)
{
    for (uint32_t i = 0; i < 100000000u; i++) {
        if (!(rd(LAPIC_ICR_LO) & ICR_PENDING))
            return;
        cpu_pause();
    }
    hv_panic("local APIC %u: an IPI stays pending (ICR %#x)", lapic_id(), rd(LAPIC_ICR_LO));
}

static void icr_send(uint32_t apic_id, uint32_t lo)
{
    if (x2apic > 0) {   /* 11.12.9: one write, no delivery status to wait for */
        wrmsr(X2APIC_ICR, (uint64_t)apic_id << 32 | lo);
        return;
    }
    icr_wait();
    wr(LAPIC_ICR_HI, apic_id << 24);
    wr(LAPIC_ICR_LO, lo);
    icr_wait();
}

void lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
    uint64_t rflags;
    __asm__ volatile("pushfq; popq %0; cli" : "=r"(rflags) : : "memory");
    icr_send(apic_id, ICR_FIXED | ICR_ASSERT | vector);
    if (rflags & 0x200)
        cpu_sti();
}

/* SDM Vol. 3 9.4.4.1 "Typical BSP Initialization Sequence" and MP spec B.4 "Application
 * Processor Startup": INIT (level assert), 10 ms, STARTUP, 200 us, STARTUP, 200 us. The second
 * STARTUP is ignored by a processor that already started (SDM 9.4.4.2 / 11.6.1). */
void lapic_start_ap(uint32_t apic_id, uint8_t page)
{
    icr_send(apic_id, ICR_INIT | ICR_ASSERT);
    hv_udelay(10000);
    icr_send(apic_id, ICR_STARTUP | ICR_ASSERT | page);
    hv_udelay(200);
    icr_send(apic_id, ICR_STARTUP | ICR_ASSERT | page);
    hv_udelay(200);
}

void lapic_nmi_others(void)
{
    if (x2apic < 0)                         /* before lapic_init: no other LP runs yet */
        return;
    if (x2apic > 0) {
        wrmsr(X2APIC_ICR, ICR_ALL_BUT_SELF | ICR_NMI | ICR_ASSERT);
        return;
    }
    wr(LAPIC_ICR_HI, 0);
    wr(LAPIC_ICR_LO, ICR_ALL_BUT_SELF | ICR_NMI | ICR_ASSERT);
}
