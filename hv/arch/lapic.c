/* lapic.c — the local APIC driver of the hypervisor (xAPIC mode, memory-mapped registers; SDM
 * Vol. 3 11.4 "Local APIC", 11.6 "Issuing Interprocessor Interrupts", 11.9 "Spurious Interrupt").
 *
 * The register page is at the address IA32_APIC_BASE (MSR 1BH) holds in bits MAXPHYADDR-1:12
 * (SDM 11.4.4); the BSP reads it once in lapic_init, every LP uses the same address (the
 * hypervisor never moves it). lapic_init sets the global enable bit if it is clear, and refuses
 * x2APIC mode (EXTD = 1: the MMIO page does not work then, 11.12.1) with a panic. The spurious
 * vector is HV_VECTOR_SPURIOUS with the software-enable bit (SVR bit 8, 11.4.3).
 *
 * IPIs are written high dword first (destination, ICR bits 63:56), then the low dword, which
 * sends (11.6.1); before each write the sender waits for the previous IPI's delivery status
 * (bit 12) to clear, bounded (a stuck APIC is a panic, not a hang).
 * Invariants: every register access is a 32-bit aligned access (11.4.1).
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

static uint64_t hv_lapic_base;

static inline uint32_t rd(uint32_t reg)
{
    return *(volatile uint32_t *)(uintptr_t)(hv_lapic_base + reg);
}
static inline void wr(uint32_t reg, uint32_t v)
{
    *(volatile uint32_t *)(uintptr_t)(hv_lapic_base + reg) = v;
}

void lapic_init(void)
{
    uint64_t b = rdmsr(MSR_IA32_APIC_BASE);
    if (b & APIC_BASE_EXTD)
        hv_panic("the local APIC is in x2APIC mode (IA32_APIC_BASE %#lx): the hypervisor drives "
                 "the xAPIC MMIO interface only", (unsigned long)b);
    if (!(b & APIC_BASE_EN))
        wrmsr(MSR_IA32_APIC_BASE, b | APIC_BASE_EN);
    uint32_t r[4];
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
    return rd(LAPIC_ID) >> 24;
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
    if (hv_lapic_base == 0)                 /* before lapic_init: no other LP runs yet */
        return;
    wr(LAPIC_ICR_HI, 0);
    wr(LAPIC_ICR_LO, ICR_ALL_BUT_SELF | ICR_NMI | ICR_ASSERT);
}
