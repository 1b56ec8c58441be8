// test_lapic_timer.cc — the local APIC timer (SDM Vol. 3 10.5.4, 10.5.4.1) at exact virtual
// times. The default model: TSC 2.4 GHz (a cycle is 1250/3 ps), timer clock 25 MHz (40 000 ps
// per count at divide-by-1). Every expected time below is initial count x divisor x 40 000 ps,
// hand-computed; processor time is set through its cycle counter (24 000 cycles = 10 us).
#include <gtest/gtest.h>

#include "tests/unit/test_apic_harness.h"

using apictest::Rig;

namespace {

constexpr uint64_t US = 1000000;           // ps
constexpr uint32_t ONESHOT = 0x00000, PERIODIC = 0x20000, DEADLINE = 0x40000;

struct TimerRig : Rig {
    TimerRig() : Rig(1) { enable(0); }
    void at_cycles(uint64_t cy) { C(0)->ctr.cycles = cy; }
    uint32_t ccr() { return rd(0, LAPIC_TIMER_CCR); }
    void run_until(uint64_t ps) { evq_run_until(&q, ps); }
    void take(unsigned v)                   // INTA + EOI of vector v
    {
        ASSERT_EQ(lapic_irq_ack(L(0)), v);
        wr(0, LAPIC_EOI, 0);
    }
    uint64_t deadline()
    {
        uint64_t v = 0;
        EXPECT_TRUE(lapic_msr_read(L(0), MSR_IA32_TSC_DEADLINE, &v));
        return v;
    }
};

}  // namespace

TEST(LapicTimer, DivideConfiguration)
{
    const struct { uint32_t dcr; unsigned div; } t[] = {
        { 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 }, { 0x8, 32 }, { 0x9, 64 }, { 0xa, 128 },
        { 0xb, 1 }, { 0xf4, 2 },            // bit 2 and bits 31:4 are not part of the value
    };
    for (auto &e : t)
        EXPECT_EQ(lapic_timer_divisor(e.dcr), e.div) << e.dcr;
}

TEST(LapicTimer, OneShotExpiresAtCountTimesDivisorTimesBusPeriod)
{
    TimerRig r;
    r.wr(0, LAPIC_LVT_TIMER, ONESHOT | 0x40);
    r.wr(0, LAPIC_TIMER_DCR, 0xb);                    // divide by 1
    r.at_cycles(0);
    r.wr(0, LAPIC_TIMER_ICR, 1000);
    EXPECT_EQ(r.ccr(), 1000u);
    EXPECT_EQ(evq_next(&r.q), 40 * US);               // 1000 x 40 000 ps
    r.at_cycles(24000);                               // 10 us: 250 counts
    EXPECT_EQ(r.ccr(), 750u);
    r.at_cycles(95999);                               // 39 999 583 ps: 999 counts
    EXPECT_EQ(r.ccr(), 1u);
    r.run_until(40 * US - 1);
    EXPECT_FALSE(r.irr(0, 0x40));
    r.run_until(40 * US);
    EXPECT_TRUE(r.irr(0, 0x40));
    r.at_cycles(96000);
    EXPECT_EQ(r.ccr(), 0u);
    EXPECT_EQ(evq_next(&r.q), UINT64_MAX);            // one-shot: no reload
    EXPECT_EQ(r.rd(0, LAPIC_TIMER_ICR), 1000u);
}

TEST(LapicTimer, PeriodicReloadsWithoutDrift)
{
    TimerRig r;
    r.wr(0, LAPIC_LVT_TIMER, PERIODIC | 0x41);
    r.wr(0, LAPIC_TIMER_DCR, 0x3);                    // divide by 16
    r.wr(0, LAPIC_TIMER_ICR, 100);                    // period 100 x 16 x 40 000 = 64 us
    for (uint64_t k = 1; k <= 5; k++) {
        EXPECT_EQ(evq_next(&r.q), k * 64 * US);
        r.run_until(k * 64 * US);
        EXPECT_TRUE(r.irr(0, 0x41));
        r.take(0x41);
    }
    EXPECT_EQ(r.L(0)->timer_fired, 5u);
    r.at_cycles(156000);                              // 65 us: 101.56 counts -> 1 into period 2
    EXPECT_EQ(r.ccr(), 99u);
    r.at_cycles(153600);                              // 64 us exactly: reloaded
    EXPECT_EQ(r.ccr(), 100u);
}

TEST(LapicTimer, MaskedTimerCountsAndReloadsButRaisesNothing)
{
    TimerRig r;
    r.wr(0, LAPIC_LVT_TIMER, PERIODIC | LAPIC_MASKED | 0x42);
    r.wr(0, LAPIC_TIMER_DCR, 0xb);
    r.wr(0, LAPIC_TIMER_ICR, 25);                     // 1 us
    r.run_until(2 * US);
    EXPECT_EQ(lapic_highest_irr(r.L(0)), -1);
    EXPECT_EQ(r.L(0)->timer_fired, 2u);
    EXPECT_EQ(evq_next(&r.q), 3 * US);
}

TEST(LapicTimer, WritingZeroStopsAndDivideChangeKeepsTheCount)
{
    TimerRig r;
    r.wr(0, LAPIC_LVT_TIMER, ONESHOT | 0x43);
    r.wr(0, LAPIC_TIMER_DCR, 0xb);
    r.wr(0, LAPIC_TIMER_ICR, 1000);
    r.wr(0, LAPIC_TIMER_ICR, 0);
    EXPECT_EQ(evq_next(&r.q), UINT64_MAX);
    EXPECT_EQ(r.ccr(), 0u);
    r.wr(0, LAPIC_TIMER_ICR, 1000);                   // restart at t = 0
    r.at_cycles(24000);                               // 10 us: count 750
    r.wr(0, LAPIC_TIMER_DCR, 0x0);                    // now divide by 2
    EXPECT_EQ(r.ccr(), 750u);
    EXPECT_EQ(evq_next(&r.q), 10 * US + 750 * 2 * 40000);   // 70 us
    r.run_until(70 * US);
    EXPECT_TRUE(r.irr(0, 0x43));
}

TEST(LapicTimer, TscDeadlineFutureAndRounding)
{
    TimerRig r;
    r.wr(0, LAPIC_LVT_TIMER, DEADLINE | 0x44);
    r.at_cycles(0);
    ASSERT_TRUE(lapic_msr_write(r.L(0), MSR_IA32_TSC_DEADLINE, 2400));
    EXPECT_EQ(r.deadline(), 2400u);
    EXPECT_EQ(evq_next(&r.q), 1 * US);                // 2400 cycles at 2.4 GHz
    r.wr(0, LAPIC_TIMER_ICR, 5);                      // ignored in TSC-deadline mode
    EXPECT_EQ(r.rd(0, LAPIC_TIMER_ICR), 0u);
    EXPECT_EQ(r.ccr(), 0u);
    r.run_until(1 * US);
    EXPECT_TRUE(r.irr(0, 0x44));
    EXPECT_EQ(r.deadline(), 0u);                      // cleared when it fires
    ASSERT_TRUE(lapic_msr_write(r.L(0), MSR_IA32_TSC_DEADLINE, 2400 + 1));
    EXPECT_EQ(evq_next(&r.q), 1 * US + 417);          // ceil(2401 x 1250 / 3) ps
    // TSC offset (IA32_TSC_ADJUST / TSC writes) shifts the deadline, not virtual time
    r.C(0)->tsc_offset = 1000;
    ASSERT_TRUE(lapic_msr_write(r.L(0), MSR_IA32_TSC_DEADLINE, 1000 + 2400));
    EXPECT_EQ(evq_next(&r.q), 1 * US);
}

TEST(LapicTimer, TscDeadlinePastZeroAndModeRules)
{
    TimerRig r;
    r.wr(0, LAPIC_LVT_TIMER, ONESHOT | 0x45);
    ASSERT_TRUE(lapic_msr_write(r.L(0), MSR_IA32_TSC_DEADLINE, 2400));   // not deadline mode
    EXPECT_EQ(r.deadline(), 0u);
    EXPECT_EQ(evq_next(&r.q), UINT64_MAX);
    r.wr(0, LAPIC_LVT_TIMER, DEADLINE | 0x45);
    r.at_cycles(5000);
    ASSERT_TRUE(lapic_msr_write(r.L(0), MSR_IA32_TSC_DEADLINE, 4000));   // already passed
    EXPECT_TRUE(r.irr(0, 0x45));
    EXPECT_EQ(r.deadline(), 0u);
    r.take(0x45);
    ASSERT_TRUE(lapic_msr_write(r.L(0), MSR_IA32_TSC_DEADLINE, 9000));
    ASSERT_TRUE(lapic_msr_write(r.L(0), MSR_IA32_TSC_DEADLINE, 0));      // disarm
    EXPECT_EQ(evq_next(&r.q), UINT64_MAX);
    ASSERT_TRUE(lapic_msr_write(r.L(0), MSR_IA32_TSC_DEADLINE, 9000));
    r.wr(0, LAPIC_LVT_TIMER, PERIODIC | 0x45);        // leaving deadline mode disarms
    EXPECT_EQ(evq_next(&r.q), UINT64_MAX);
    r.wr(0, LAPIC_LVT_TIMER, DEADLINE | 0x45);
    EXPECT_EQ(r.deadline(), 0u);
    r.run_until(100 * US);
    EXPECT_EQ(lapic_highest_irr(r.L(0)), -1);
}
