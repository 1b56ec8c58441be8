/* tsc.c — the TSC's frequency and busy waits (hv_svc.h hv_rdtsc, hv_tsc_hz; arch.h hv_udelay).
 *
 * hv_tsc_calibrate (once, on the BSP, before the APs start) takes, in this order:
 *  1. CPUID 15H: TSC = crystal * EBX / EAX, if the leaf exists and EAX, EBX and ECX (the crystal
 *     in Hz) are all non-zero (SDM Vol. 2 CPUID "Time Stamp Counter and Nominal Core Crystal
 *     Clock Information Leaf");
 *  2. otherwise the 8254 PIT: channel 2 in mode 0 (interrupt on terminal count) gated by port 61H
 *     bit 0, counting 11932 ticks of its 1.193182 MHz clock (10.000 ms; 8254 data sheet, and the
 *     PC's port 61H: bit 0 GATE2, bit 1 speaker, bit 5 OUT2), and the TSC measured across it:
 *     hz = delta * 1193182 / 11932;
 *  3. if the PIT never reaches terminal count (no PIT), 1 GHz, with a log line.
 * The TSC is assumed invariant (CPUID 80000007H EDX bit 8; a log line says when it is not), as
 * the hypervisor and the partitions share it.
 * Invariants: hv_tsc_hz() is constant after calibration and never 0.
 */
#include "hv/arch/arch.h"
#include "hv/hv_svc.h"
#include "krt/krt.h"

#define PIT_HZ 1193182u
#define PIT_TICKS 11932u

static uint64_t tsc_hz;

uint64_t hv_rdtsc(void)
{
    return rdtsc();
}

uint64_t hv_tsc_hz(void)
{
    return tsc_hz ? tsc_hz : 1000000000u;
}

static uint64_t from_cpuid(void)
{
    uint32_t r[4];
    cpuid(0, 0, r);
    if (r[0] < 0x15)
        return 0;
    cpuid(0x15, 0, r);
    if (r[0] == 0 || r[1] == 0 || r[2] == 0)
        return 0;
    return (uint64_t)r[2] * r[1] / r[0];
}

static uint64_t from_pit(void)
{
    uint8_t p61 = inb(0x61);
    outb(0x61, (uint8_t)((p61 & ~0x02u) | 0x01u));  /* GATE2 high, speaker off */
    outb(0x43, 0xB0);                               /* channel 2, lobyte/hibyte, mode 0, binary */
    outb(0x42, PIT_TICKS & 0xFF);
    uint64_t t0 = rdtsc();
    outb(0x42, PIT_TICKS >> 8);                     /* counting starts with the last byte */
    uint32_t n = 0;
    while (!(inb(0x61) & 0x20)) {
        if (++n > 50000000u) {
            outb(0x61, p61);
            return 0;
        }
    }
    uint64_t t1 = rdtsc();
    outb(0x61, p61);
    return (t1 - t0) * PIT_HZ / PIT_TICKS;
}

void hv_tsc_calibrate(void)
{
    const char *how = "CPUID 15H";
    uint64_t hz = from_cpuid();
    if (!hz) {
        how = "the PIT";
        hz = from_pit();
    }
    if (!hz) {
        how = "nothing (no PIT): assumed";
        hz = 1000000000u;
    }
    tsc_hz = hz;
    uint32_t r[4];
    cpuid(0x80000000u, 0, r);
    bool invariant = false;
    if (r[0] >= 0x80000007u) {
        cpuid(0x80000007u, 0, r);
        invariant = r[3] & (1u << 8);
    }
    hv_log("hv: TSC %lu Hz (from %s)%s\n", (unsigned long)hz, how,
           invariant ? "" : ", not invariant");
}

void hv_udelay(uint64_t us)
{
    uint64_t start = rdtsc();
    uint64_t ticks = hv_tsc_hz() / 1000000u * us;
    while (rdtsc() - start < ticks)
        cpu_pause();
}
