// test_hv_vapic_timer.cc — the virtual local APIC timer (hv/vapic/vapic_timer.c) against SDM
// Vol. 3 11.5.4 (one-shot and periodic counting, the divide configuration of figure 11-10, the
// initial and current count registers) and 11.5.4.1 (TSC-deadline mode, IA32_TSC_DEADLINE, mode
// changes disarm), plus the frequency MSRs HV_X64_MSR_TSC_FREQUENCY / APIC_FREQUENCY (TLFS
// "Partition Properties", Linux hyperv-tlfs.h: 0x40000022 / 0x40000023, privilege
// AccessFrequencyRegs = CPUID 0x40000003 EAX[11], available when EDX[8]).
//
// The fakes' TSC (hvf_tsc) is set by hand; the timer's input clock is the TSC, so a one-shot
// count of N with divide D expires exactly N * D TSC ticks after the write. Every expected value
// below is computed from that rule. The timer's VP is the fake root's VP 0, whose APIC the fakes
// software-enable (SVR = 1FFH); an accepted vector is its IRR bit (vp->arch.pending_irq).
#include <gtest/gtest.h>

extern "C" {
#include "hv/abi/tlfs.h"
#include "hv/part/partition.h"
#include "hv/synic/synic.h"
#include "hv/vapic/vapic.h"
#include "tests/unit/hv_fakes.h"
}

namespace {

constexpr uint8_t kVec = 0x41;
constexpr uint32_t kOneShot = 0u << 17, kPeriodic = 1u << 17, kDeadline = 2u << 17;
constexpr uint32_t kMasked = 1u << 16;
constexpr uint32_t kMsrTscDeadline = 0x6E0;

class HvVapicTimer : public ::testing::Test {
protected:
    void SetUp() override { hvf_reset(); }
    static struct hv_vp *vp() { return hvf_root_vp(); }
    static void at(uint64_t tsc) { hvf_tsc = tsc; }
    static void wr(uint32_t off, uint32_t v) { vapic_timer_write(vp(), off, v); }
    static uint32_t rd(uint32_t off) { return vapic_timer_read(vp(), off); }
    static void poll() { vapic_timer_poll(vp(), hvf_tsc); }
    static bool irr(uint8_t v) { return (vp()->arch.pending_irq[v >> 6] >> (v & 63)) & 1; }
    static void clear_irr()
    {
        for (auto &w : vp()->arch.pending_irq)
            w = 0;
    }
    static uint64_t deadline() { return vapic_timer_deadline(vp()); }
};

// Figure 11-10: divide configuration bits 3, 1, 0.
struct DivCase { uint32_t dcr; uint64_t div; };
const DivCase kDivs[] = { { 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
                          { 0x8, 32 }, { 0x9, 64 }, { 0xA, 128 }, { 0xB, 1 } };

TEST_F(HvVapicTimer, ResetStateIsMaskedAndStopped)
{
    // vapic_reset (11.4.7.1): LVT timer masked, counts 0, nothing armed
    EXPECT_EQ(rd(VAPIC_LVT_TIMER), kMasked);
    EXPECT_EQ(rd(VAPIC_TIMER_ICR), 0u);
    EXPECT_EQ(rd(VAPIC_TIMER_CCR), 0u);
    EXPECT_EQ(rd(VAPIC_TIMER_DCR), 0u);
    EXPECT_EQ(deadline(), 0u);
}

TEST_F(HvVapicTimer, OneShotExpiresAtIcrTimesDivideForEachDivide)
{
    for (const DivCase &c : kDivs) {
        SCOPED_TRACE(c.div);
        hvf_reset();
        const uint64_t t0 = 1000;
        at(t0);
        wr(VAPIC_LVT_TIMER, kOneShot | kVec);
        wr(VAPIC_TIMER_DCR, c.dcr);
        EXPECT_EQ(rd(VAPIC_TIMER_DCR), c.dcr);
        wr(VAPIC_TIMER_ICR, 100);
        EXPECT_EQ(deadline(), t0 + 100 * c.div);
        EXPECT_EQ(rd(VAPIC_TIMER_CCR), 100u);
        at(t0 + c.div);                         // one count down
        EXPECT_EQ(rd(VAPIC_TIMER_CCR), 99u);
        at(t0 + 50 * c.div - 1);                // 49 counts down (floor), 51 left
        EXPECT_EQ(rd(VAPIC_TIMER_CCR), 51u);
        at(t0 + 50 * c.div);
        EXPECT_EQ(rd(VAPIC_TIMER_CCR), 50u);
        at(t0 + 100 * c.div - 1);               // one tick before the expiry
        poll();
        EXPECT_FALSE(irr(kVec));
        EXPECT_EQ(rd(VAPIC_TIMER_CCR), 1u);
        at(t0 + 100 * c.div);                   // exactly ICR * divide ticks
        poll();
        EXPECT_TRUE(irr(kVec));
        EXPECT_EQ(rd(VAPIC_TIMER_CCR), 0u);     // one-shot: 0 after the expiry
        EXPECT_EQ(rd(VAPIC_TIMER_ICR), 100u);   // the initial count stays
        EXPECT_EQ(deadline(), 0u);
        clear_irr();
        at(t0 + 1000 * c.div);
        poll();
        EXPECT_FALSE(irr(kVec));                // fires once
    }
}

TEST_F(HvVapicTimer, DivideKeepsOnlyBits013)
{
    wr(VAPIC_TIMER_DCR, 0xFFFFFFFFu);
    EXPECT_EQ(rd(VAPIC_TIMER_DCR), 0xBu);
    wr(VAPIC_TIMER_DCR, 0x4);                   // bit 2 is not part of the divide value: ÷2
    EXPECT_EQ(rd(VAPIC_TIMER_DCR), 0u);
}

TEST_F(HvVapicTimer, LargestCountDividedBy128DoesNotOverflow)
{
    at(7);
    wr(VAPIC_LVT_TIMER, kOneShot | kVec);
    wr(VAPIC_TIMER_DCR, 0xA);                   // ÷128
    wr(VAPIC_TIMER_ICR, 0xFFFFFFFFu);
    const uint64_t due = 7 + 0xFFFFFFFFull * 128;   // 2^39 - 121: needs more than 32 bits
    EXPECT_EQ(deadline(), due);
    EXPECT_EQ(rd(VAPIC_TIMER_CCR), 0xFFFFFFFFu);
    at(due - 1);
    EXPECT_EQ(rd(VAPIC_TIMER_CCR), 1u);
    EXPECT_FALSE(irr(kVec));
    at(due);
    poll();
    EXPECT_TRUE(irr(kVec));
}

TEST_F(HvVapicTimer, DeadlineSaturatesNearTheEndOfTheTsc)
{
    at(~0ull - 1000);
    wr(VAPIC_LVT_TIMER, kOneShot | kVec);
    wr(VAPIC_TIMER_ICR, 1000000);               // ÷2: 2,000,000 ticks, past 2^64
    EXPECT_EQ(deadline(), ~0ull);               // never wraps into the past
    poll();
    EXPECT_FALSE(irr(kVec));
}

TEST_F(HvVapicTimer, InitialCountZeroStopsAndRewriteRestarts)
{
    at(100);
    wr(VAPIC_LVT_TIMER, kPeriodic | kVec);
    wr(VAPIC_TIMER_ICR, 10);                    // ÷2: period 20
    at(105);
    wr(VAPIC_TIMER_ICR, 0);                     // 11.5.4: a write of 0 stops the timer
    EXPECT_EQ(rd(VAPIC_TIMER_CCR), 0u);
    EXPECT_EQ(deadline(), 0u);
    at(1000);
    poll();
    EXPECT_FALSE(irr(kVec));
    wr(VAPIC_TIMER_ICR, 10);                    // counting restarts from this write
    EXPECT_EQ(deadline(), 1020u);
    at(1010);
    wr(VAPIC_TIMER_ICR, 10);                    // a new write restarts it again
    EXPECT_EQ(deadline(), 1030u);
    EXPECT_EQ(rd(VAPIC_TIMER_CCR), 10u);
}

TEST_F(HvVapicTimer, PeriodicReArmsFromTheExpiryWithoutDrift)
{
    const uint64_t t0 = 10000, period = 1000 * 2;   // ICR 1000, ÷2
    at(t0);
    wr(VAPIC_LVT_TIMER, kPeriodic | kVec);
    wr(VAPIC_TIMER_ICR, 1000);
    at(t0 + period);
    poll();
    EXPECT_TRUE(irr(kVec));
    EXPECT_EQ(deadline(), t0 + 2 * period);
    EXPECT_EQ(rd(VAPIC_TIMER_CCR), 1000u);      // reloaded
    clear_irr();
    at(t0 + 2 * period + 500);                  // polled late by 500 ticks
    poll();
    EXPECT_TRUE(irr(kVec));
    EXPECT_EQ(deadline(), t0 + 3 * period);     // not t0 + 2 * period + 500 + period
    EXPECT_EQ(rd(VAPIC_TIMER_CCR), 1000u - 250u);   // 500 ticks ÷2 into the period
    clear_irr();
    at(t0 + 6 * period + 1);                    // periods 3, 4, 5 and 6 missed
    poll();
    EXPECT_TRUE(irr(kVec));                     // one IRR bit for all of them
    EXPECT_EQ(deadline(), t0 + 7 * period);
    clear_irr();
    for (uint64_t n = 7; n <= 20; n++) {        // exact period boundaries
        at(t0 + n * period - 1);
        poll();
        EXPECT_FALSE(irr(kVec));
        at(t0 + n * period);
        poll();
        EXPECT_TRUE(irr(kVec));
        clear_irr();
    }
    EXPECT_EQ(deadline(), t0 + 21 * period);
}

TEST_F(HvVapicTimer, MaskedExpirySetsNothingButThePeriodGoesOn)
{
    at(0);
    wr(VAPIC_LVT_TIMER, kMasked | kPeriodic | kVec);
    wr(VAPIC_TIMER_ICR, 50);                    // period 100
    EXPECT_EQ(deadline(), 0u);                  // nothing to deliver: no wake-up needed
    at(150);
    poll();
    EXPECT_FALSE(irr(kVec));
    EXPECT_EQ(rd(VAPIC_TIMER_CCR), 25u);        // 50 ticks into the second period
    wr(VAPIC_LVT_TIMER, kPeriodic | kVec);      // unmasked, same mode: keeps counting
    EXPECT_EQ(deadline(), 200u);
    at(200);
    poll();
    EXPECT_TRUE(irr(kVec));
}

TEST_F(HvVapicTimer, MaskedOneShotNeverFires)
{
    at(0);
    wr(VAPIC_LVT_TIMER, kMasked | kOneShot | kVec);
    wr(VAPIC_TIMER_ICR, 10);
    at(20);
    EXPECT_EQ(rd(VAPIC_TIMER_CCR), 0u);         // expired (the read polls first)
    wr(VAPIC_LVT_TIMER, kOneShot | kVec);       // unmasking later delivers nothing
    poll();
    EXPECT_FALSE(irr(kVec));
    EXPECT_EQ(deadline(), 0u);
}

TEST_F(HvVapicTimer, SoftwareDisabledApicKeepsTheTimerMasked)
{
    vapic_write(vp(), VAPIC_SVR, 0xFF);         // SVR[8] = 0 (11.4.7.2)
    wr(VAPIC_LVT_TIMER, kOneShot | kVec);
    EXPECT_EQ(rd(VAPIC_LVT_TIMER), kMasked | kOneShot | kVec);
    wr(VAPIC_TIMER_ICR, 10);
    at(20);
    poll();
    EXPECT_FALSE(irr(kVec));
}

TEST_F(HvVapicTimer, LvtWritableBits)
{
    wr(VAPIC_LVT_TIMER, 0xFFFFFFFFu);           // vector, mask, mode 18:17 (11 reserved)
    EXPECT_EQ(rd(VAPIC_LVT_TIMER), 0x000700FFu);
    hvf_tsc_deadline = false;                   // CPUID.1:ECX[24] = 0: bit 18 reserved
    wr(VAPIC_LVT_TIMER, 0xFFFFFFFFu);
    EXPECT_EQ(rd(VAPIC_LVT_TIMER), 0x000300FFu);
}

TEST_F(HvVapicTimer, ChangingModeDisarms)
{
    at(0);
    wr(VAPIC_LVT_TIMER, kOneShot | kVec);
    wr(VAPIC_TIMER_ICR, 100);
    at(10);
    wr(VAPIC_LVT_TIMER, kPeriodic | kVec);      // 11.5.4.1: a mode change disarms
    EXPECT_EQ(deadline(), 0u);
    EXPECT_EQ(rd(VAPIC_TIMER_CCR), 0u);
    at(1000);
    poll();
    EXPECT_FALSE(irr(kVec));
    wr(VAPIC_TIMER_ICR, 100);                   // re-armed by the next initial count
    EXPECT_EQ(deadline(), 1200u);
    wr(VAPIC_LVT_TIMER, kMasked | kPeriodic | kVec);   // same mode: still armed
    wr(VAPIC_LVT_TIMER, kPeriodic | 0x42);
    EXPECT_EQ(deadline(), 1200u);
}

TEST_F(HvVapicTimer, TscDeadlineArmFireAndClear)
{
    wr(VAPIC_LVT_TIMER, kDeadline | kVec);
    at(1000);
    wr(VAPIC_TIMER_ICR, 5);                     // ignored in TSC-deadline mode
    EXPECT_EQ(rd(VAPIC_TIMER_ICR), 0u);
    EXPECT_EQ(deadline(), 0u);
    vapic_tsc_deadline_write(vp(), 5000);
    EXPECT_EQ(vapic_tsc_deadline_read(vp()), 5000u);
    EXPECT_EQ(deadline(), 5000u);
    EXPECT_EQ(rd(VAPIC_TIMER_CCR), 0u);         // always 0 in this mode
    at(4999);
    poll();
    EXPECT_FALSE(irr(kVec));
    at(5000);                                   // TSC >= the target
    poll();
    EXPECT_TRUE(irr(kVec));
    EXPECT_EQ(vapic_tsc_deadline_read(vp()), 0u);   // disarmed and cleared
    EXPECT_EQ(deadline(), 0u);
    clear_irr();
    at(9000);
    poll();
    EXPECT_FALSE(irr(kVec));                    // one interrupt per write
    vapic_tsc_deadline_write(vp(), 100);        // in the past: fires at once
    poll();
    EXPECT_TRUE(irr(kVec));
    clear_irr();
    vapic_tsc_deadline_write(vp(), 20000);
    vapic_tsc_deadline_write(vp(), 0);          // 0 disarms
    EXPECT_EQ(deadline(), 0u);
    at(30000);
    poll();
    EXPECT_FALSE(irr(kVec));
}

TEST_F(HvVapicTimer, TscDeadlineMaskedClearsWithoutInterrupt)
{
    wr(VAPIC_LVT_TIMER, kMasked | kDeadline | kVec);
    vapic_tsc_deadline_write(vp(), 50);
    EXPECT_EQ(vapic_tsc_deadline_read(vp()), 50u);
    at(60);
    EXPECT_EQ(vapic_tsc_deadline_read(vp()), 0u);   // it expired, masked: nothing pending
    EXPECT_FALSE(irr(kVec));
}

TEST_F(HvVapicTimer, TscDeadlineModeSwitchesDisarm)
{
    wr(VAPIC_LVT_TIMER, kDeadline | kVec);
    vapic_tsc_deadline_write(vp(), 5000);
    wr(VAPIC_LVT_TIMER, kOneShot | kVec);       // leaving TSC-deadline mode
    EXPECT_EQ(deadline(), 0u);
    EXPECT_EQ(vapic_tsc_deadline_read(vp()), 0u);
    vapic_tsc_deadline_write(vp(), 7000);       // ignored outside the mode
    EXPECT_EQ(deadline(), 0u);
    wr(VAPIC_LVT_TIMER, kDeadline | kVec);      // back: still disarmed (MSR cleared)
    EXPECT_EQ(vapic_tsc_deadline_read(vp()), 0u);
    at(8000);
    poll();
    EXPECT_FALSE(irr(kVec));

    wr(VAPIC_LVT_TIMER, kOneShot | kVec);       // counting, then into TSC-deadline mode
    wr(VAPIC_TIMER_ICR, 1000);
    EXPECT_EQ(deadline(), 10000u);
    wr(VAPIC_LVT_TIMER, kDeadline | kVec);
    EXPECT_EQ(deadline(), 0u);
    EXPECT_EQ(rd(VAPIC_TIMER_CCR), 0u);
    at(20000);
    poll();
    EXPECT_FALSE(irr(kVec));
}

TEST_F(HvVapicTimer, WithoutTscDeadlineSupportTheModeIsOneShot)
{
    hvf_tsc_deadline = false;
    wr(VAPIC_LVT_TIMER, kDeadline | kVec);      // bit 18 reserved: written as 0
    EXPECT_EQ(rd(VAPIC_LVT_TIMER), kOneShot | kVec);
    vapic_tsc_deadline_write(vp(), 100);        // not in TSC-deadline mode: ignored
    EXPECT_EQ(vapic_tsc_deadline_read(vp()), 0u);
    EXPECT_EQ(deadline(), 0u);
}

TEST_F(HvVapicTimer, ReservedModeCountsOnce)
{
    at(0);
    wr(VAPIC_LVT_TIMER, (3u << 17) | kVec);
    EXPECT_EQ(rd(VAPIC_LVT_TIMER), (3u << 17) | kVec);
    wr(VAPIC_TIMER_ICR, 10);
    at(20);
    poll();
    EXPECT_TRUE(irr(kVec));
    EXPECT_EQ(deadline(), 0u);                  // no reload
}

TEST_F(HvVapicTimer, DivideChangeWhileCountingKeepsTheCount)
{
    at(0);
    wr(VAPIC_LVT_TIMER, kOneShot | kVec);
    wr(VAPIC_TIMER_ICR, 100);                   // ÷2: due at 200
    at(100);                                    // 50 counts left
    wr(VAPIC_TIMER_DCR, 0x3);                   // ÷16 from now on
    EXPECT_EQ(rd(VAPIC_TIMER_CCR), 50u);
    EXPECT_EQ(deadline(), 100u + 50 * 16);
}

TEST_F(HvVapicTimer, RegistersReachedThroughTheVirtualApic)
{
    at(0);
    vapic_write(vp(), VAPIC_LVT_TIMER, kOneShot | kVec);
    vapic_write(vp(), VAPIC_TIMER_DCR, 0xB);    // ÷1
    vapic_write(vp(), VAPIC_TIMER_ICR, 40);
    at(15);
    EXPECT_EQ(vapic_read(vp(), VAPIC_TIMER_CCR), 25u);
    vapic_write(vp(), VAPIC_TIMER_CCR, 7);      // read-only
    EXPECT_EQ(vapic_read(vp(), VAPIC_TIMER_CCR), 25u);
    EXPECT_EQ(vapic_read(vp(), VAPIC_TIMER_ICR), 40u);
    EXPECT_EQ(vapic_read(vp(), VAPIC_LVT_TIMER), kOneShot | kVec);
}

TEST_F(HvVapicTimer, InputClockIsTheTsc)
{
    EXPECT_EQ(vapic_timer_hz(), hvf_tsc_hz);
    hvf_tsc_hz = 3000000000ull;
    EXPECT_EQ(vapic_timer_hz(), 3000000000ull);
}

// TLFS: HV_X64_MSR_TSC_FREQUENCY / APIC_FREQUENCY, read-only, AccessFrequencyRegs.
TEST_F(HvVapicTimer, FrequencyMsrs)
{
    uint64_t v = 0;
    EXPECT_EQ(synic_rdmsr(vp(), HV_X64_MSR_TSC_FREQUENCY, &v), 0);
    EXPECT_EQ(v, 2500000000ull);
    v = 0;
    EXPECT_EQ(synic_rdmsr(vp(), HV_X64_MSR_APIC_FREQUENCY, &v), 0);
    EXPECT_EQ(v, 2500000000ull);                // the timer's input clock, before the divide
    EXPECT_EQ(synic_wrmsr(vp(), HV_X64_MSR_TSC_FREQUENCY, 1), -1);
    EXPECT_EQ(synic_wrmsr(vp(), HV_X64_MSR_APIC_FREQUENCY, 1), -1);
    hvf_root()->privileges &= ~(uint64_t)HV_ACCESS_FREQUENCY_MSRS;
    EXPECT_EQ(synic_rdmsr(vp(), HV_X64_MSR_TSC_FREQUENCY, &v), -1);
    EXPECT_EQ(synic_rdmsr(vp(), HV_X64_MSR_APIC_FREQUENCY, &v), -1);
    // IA32_TSC_DEADLINE is not synthetic: the exit handler (hv/vmx/exit_insn.c) takes it
    EXPECT_EQ(synic_rdmsr(vp(), kMsrTscDeadline, &v), 1);
}

TEST_F(HvVapicTimer, FrequencyPrivilegeAndFeatureInCpuid)
{
    uint32_t out[4];
    ASSERT_EQ(synic_cpuid(vp(), HYPERV_CPUID_FEATURES, 0, out), 1);
    EXPECT_TRUE(out[0] & (1u << 11));           // EAX: AccessFrequencyRegs (root)
    EXPECT_TRUE(out[3] & (1u << 8));            // EDX: frequency MSRs available
    uint64_t id = hvf_make_child("c", 16);
    ASSERT_NE(id, 0u);
    EXPECT_TRUE(hv_partitions[id - 1].privileges & HV_ACCESS_FREQUENCY_MSRS);   // children too
}

}  // namespace
