// test_hv_stimer.cc — synthetic timers and the partition reference time (hv/synic/stimer.c)
// against the TLFS ("Timers": STIMERx_CONFIG / COUNT, HVMSG_TIMER_EXPIRED with Linux's
// hv_timer_message_payload layout, reference time 0 at partition creation, the reference TSC
// page's offset) with the fakes of hv/hv_svc.h: a settable TSC (hvf_tsc) at hvf_tsc_hz.
//
// Expected values are computed by hand from the fakes' 2.5 GHz TSC: 250 TSC ticks per 100 ns
// unit of reference time. The root's reference time base is set to B = 1000 TSC ticks, so the
// TSC of reference time R is 1000 + 250 * R.
#include <gtest/gtest.h>

#include <cstring>

extern "C" {
#include "hv/abi/tlfs.h"
#include "hv/part/partition.h"
#include "hv/synic/stimer.h"
#include "hv/synic/synic.h"
#include "tests/unit/hv_fakes.h"
}

namespace {

constexpr uint64_t kBase = 1000;                // the root's reference time 0, in TSC ticks
constexpr uint64_t kSimp = 0x200000;            // the root VP's SIM page (root RAM, GPA = HPA)
constexpr uint8_t kSintVector = 0x50;
constexpr unsigned kSint = 2;

uint64_t tsc_of(uint64_t ref) { return kBase + 250 * ref; }

class HvStimer : public ::testing::Test {
protected:
    void SetUp() override
    {
        hvf_reset();
        hvf_root()->ref_time_tsc = kBase;
        synic_vp_init(vp());
        struct hv_synic_vp *s = &vp()->synic;
        s->scontrol = HV_SYNIC_CONTROL_ENABLE;
        s->simp = kSimp | HV_SYNIC_SIMP_ENABLE;
        s->sint[kSint] = kSintVector;
    }
    struct hv_vp *vp() { return hvf_root_vp(); }
    uint64_t rd(uint32_t msr)
    {
        uint64_t v = 0xDEAD;
        EXPECT_EQ(synic_rdmsr(vp(), msr, &v), 0) << std::hex << msr;
        return v;
    }
    int wr(uint32_t msr, uint64_t v) { return synic_wrmsr(vp(), msr, v); }
    static uint32_t cfg_msr(unsigned t) { return HV_X64_MSR_STIMER0_CONFIG + 2 * t; }
    static uint32_t count_msr(unsigned t) { return HV_X64_MSR_STIMER0_COUNT + 2 * t; }
    struct hv_message *slot(unsigned sint = kSint)
    {
        return &static_cast<struct hv_message_page *>(hvf_ptr(kSimp))->sint_message[sint];
    }
    // the guest consumes the slot: type back to NONE; true if it must write EOM
    bool consume(unsigned sint = kSint)
    {
        slot(sint)->header.message_type = HVMSG_NONE;
        return (slot(sint)->header.message_flags & HV_MESSAGE_FLAG_PENDING) != 0;
    }
    bool irq_pending(uint8_t v) const
    {
        return (hvf_root_vp()->arch.pending_irq[v >> 6] >> (v & 63)) & 1;
    }
    void poll_at(uint64_t tsc)
    {
        hvf_tsc = tsc;
        synic_vp_poll(vp());
    }
    // the payload of the message in the slot: index, reserved, expiration, delivery
    void expect_timer_msg(unsigned index, uint64_t exp, uint64_t delivery)
    {
        const struct hv_message *m = slot();
        EXPECT_EQ(m->header.message_type, 0x80000010u);     // HVMSG_TIMER_EXPIRED
        EXPECT_EQ(m->header.payload_size, 24u);
        EXPECT_EQ(m->header.sender, 0u);
        const uint8_t *p = reinterpret_cast<const uint8_t *>(m) + 16;
        uint32_t idx, rsvd;
        uint64_t e, d;
        std::memcpy(&idx, p, 4);
        std::memcpy(&rsvd, p + 4, 4);
        std::memcpy(&e, p + 8, 8);
        std::memcpy(&d, p + 16, 8);
        EXPECT_EQ(idx, index);
        EXPECT_EQ(rsvd, 0u);
        EXPECT_EQ(e, exp);
        EXPECT_EQ(d, delivery);
    }
};

constexpr uint64_t kEnable = 1, kPeriodic = 2, kLazy = 4, kAutoEnable = 8, kDirect = 1u << 12;
uint64_t sint_field(unsigned s) { return (uint64_t)s << 16; }
uint64_t vector_field(uint8_t v) { return (uint64_t)v << 4; }

TEST_F(HvStimer, ConfigReservedBitsAndReadBack)
{
    for (unsigned bit : { 13u, 14u, 15u, 20u, 31u, 32u, 63u })
        EXPECT_EQ(wr(cfg_msr(1), (1ull << bit) | sint_field(kSint)), -1) << bit;
    // every defined field at once: enable, periodic, lazy, auto-enable, vector FFH, direct,
    // SINT 15 = 0xF1FFF; COUNT 0 so the timer is not armed
    EXPECT_EQ(wr(cfg_msr(1), 0xF1FFFull), 0);
    EXPECT_EQ(rd(cfg_msr(1)), 0xF1FFFull);
    EXPECT_EQ(wr(count_msr(1), 0x123456789ABCDEFull), 0);
    EXPECT_EQ(rd(count_msr(1)), 0x123456789ABCDEFull);
    EXPECT_EQ(rd(cfg_msr(1)), 0xF1FFFull);
    // direct mode needs a vector from 16
    EXPECT_EQ(wr(cfg_msr(2), kDirect | vector_field(0x0F)), -1);
    EXPECT_EQ(wr(cfg_msr(2), kDirect | vector_field(0x10)), 0);
    // the other timers are untouched
    EXPECT_EQ(rd(cfg_msr(0)), 0u);
    EXPECT_EQ(rd(count_msr(3)), 0u);
}

TEST_F(HvStimer, MessageModeSintZeroStaysDisabled)
{
    EXPECT_EQ(wr(count_msr(0), 5000), 0);
    EXPECT_EQ(wr(cfg_msr(0), kEnable | sint_field(0)), 0);
    EXPECT_EQ(rd(cfg_msr(0)), 0u);
    EXPECT_EQ(synic_stimer_deadline(vp()), 0u);
}

TEST_F(HvStimer, OneShotExpiresAtAbsoluteTime)
{
    hvf_tsc = tsc_of(100);
    EXPECT_EQ(wr(count_msr(0), 5000), 0);               // expires at reference time 5000
    EXPECT_EQ(wr(cfg_msr(0), kEnable | sint_field(kSint)), 0);
    // 5000 * 100 ns at 2.5 GHz = 1 250 000 ticks after the base
    EXPECT_EQ(vp()->synic.stimer_due[0], 1251000u);
    EXPECT_EQ(synic_stimer_deadline(vp()), 1251000u);
    poll_at(1250999);
    EXPECT_EQ(slot()->header.message_type, HVMSG_NONE);
    EXPECT_EQ(hvf_irq_count, 0u);
    poll_at(1251000 + 250 * 3);                         // delivered at reference time 5003
    expect_timer_msg(0, 5000, 5003);
    EXPECT_TRUE(irq_pending(kSintVector));
    // a one-shot timer is disabled by its expiry
    EXPECT_EQ(rd(cfg_msr(0)), sint_field(kSint));
    EXPECT_EQ(synic_stimer_deadline(vp()), 0u);
    EXPECT_TRUE(!consume());
    poll_at(tsc_of(100000));
    EXPECT_EQ(slot()->header.message_type, HVMSG_NONE);
}

TEST_F(HvStimer, OneShotInThePastExpiresAtOnce)
{
    hvf_tsc = tsc_of(7000);
    EXPECT_EQ(wr(count_msr(3), 6000), 0);
    EXPECT_EQ(wr(cfg_msr(3), kEnable | sint_field(kSint)), 0);
    EXPECT_LE(synic_stimer_deadline(vp()), hvf_tsc);
    EXPECT_NE(synic_stimer_deadline(vp()), 0u);
    synic_vp_poll(vp());
    expect_timer_msg(3, 6000, 7000);
}

TEST_F(HvStimer, ReferenceTimeToTscRoundsUp)
{
    // 3 000 000 001 Hz: 300.0000001 ticks per 100 ns; the first TSC at which one unit has
    // passed is base + 301 (floor(300 * 10^7 / 3000000001) = 0, floor(301 * ...) = 1)
    hvf_tsc_hz = 3000000001ull;
    EXPECT_EQ(synic_ref_to_tsc(hvf_root(), 1), kBase + 301);
    hvf_tsc = kBase + 300;
    EXPECT_EQ(synic_ref_time(hvf_root()), 0u);
    hvf_tsc = kBase + 301;
    EXPECT_EQ(synic_ref_time(hvf_root()), 1u);
    // 1 s of reference time is exactly hz ticks
    EXPECT_EQ(synic_ref_to_tsc(hvf_root(), 10000000), kBase + 3000000001ull);
    // a count that can never be reached saturates instead of wrapping
    EXPECT_EQ(synic_ref_to_tsc(hvf_root(), ~0ull), ~0ull);
}

TEST_F(HvStimer, PeriodicNonLazyCatchesUpOneAtATime)
{
    hvf_tsc = tsc_of(200);
    EXPECT_EQ(wr(count_msr(0), 1000), 0);               // period 100 us
    EXPECT_EQ(wr(cfg_msr(0), kEnable | kPeriodic | sint_field(kSint)), 0);
    EXPECT_EQ(vp()->synic.stimer_due[0], tsc_of(1200));
    poll_at(tsc_of(1200));
    expect_timer_msg(0, 1200, 1200);
    EXPECT_EQ(vp()->synic.stimer_due[0], tsc_of(2200));
    // the guest has not consumed the message: the next expiry waits and marks the slot
    poll_at(tsc_of(2200));
    expect_timer_msg(0, 1200, 1200);
    EXPECT_EQ(slot()->header.message_flags & HV_MESSAGE_FLAG_PENDING, HV_MESSAGE_FLAG_PENDING);
    EXPECT_EQ(synic_stimer_deadline(vp()), 0u);         // the EOM brings it, not the clock
    poll_at(tsc_of(3400));                              // still busy: nothing piles up
    expect_timer_msg(0, 1200, 1200);
    EXPECT_TRUE(consume());                             // pending flag: the guest writes EOM
    poll_at(tsc_of(3500));
    expect_timer_msg(0, 2200, 3500);
    // not lazy: the next expiration is 3200 although that is past: it is due at once
    EXPECT_EQ(vp()->synic.stimer_due[0], tsc_of(3200));
    consume();
    poll_at(tsc_of(3500));
    expect_timer_msg(0, 3200, 3500);
    EXPECT_EQ(vp()->synic.stimer_due[0], tsc_of(4200));
    EXPECT_EQ(rd(cfg_msr(0)) & kEnable, kEnable);       // periodic timers stay enabled
}

TEST_F(HvStimer, PeriodicLazySkipsMissedPeriods)
{
    hvf_tsc = tsc_of(200);
    EXPECT_EQ(wr(count_msr(0), 1000), 0);
    EXPECT_EQ(wr(cfg_msr(0), kEnable | kPeriodic | kLazy | sint_field(kSint)), 0);
    poll_at(tsc_of(1200));
    expect_timer_msg(0, 1200, 1200);
    poll_at(tsc_of(2200));                              // busy: waits
    EXPECT_TRUE(consume());
    poll_at(tsc_of(3500));
    expect_timer_msg(0, 2200, 3500);
    // lazy: the first 2200 + k * 1000 after 3500 is 4200 (3200 is skipped)
    EXPECT_EQ(vp()->synic.stimer_due[0], tsc_of(4200));
    // exactly on a period boundary: the next one, not the same time again
    consume();
    poll_at(tsc_of(6200));
    expect_timer_msg(0, 4200, 6200);
    EXPECT_EQ(vp()->synic.stimer_due[0], tsc_of(7200));
}

TEST_F(HvStimer, AutoEnableAndCountZero)
{
    hvf_tsc = tsc_of(0);
    EXPECT_EQ(wr(cfg_msr(2), kAutoEnable | sint_field(kSint)), 0);
    EXPECT_EQ(synic_stimer_deadline(vp()), 0u);
    EXPECT_EQ(wr(count_msr(2), 400), 0);
    EXPECT_EQ(rd(cfg_msr(2)), kAutoEnable | kEnable | sint_field(kSint));
    EXPECT_EQ(vp()->synic.stimer_due[2], tsc_of(400));
    EXPECT_EQ(wr(count_msr(2), 0), 0);                  // COUNT 0 disables
    EXPECT_EQ(rd(cfg_msr(2)), kAutoEnable | sint_field(kSint));
    EXPECT_EQ(vp()->synic.stimer_due[2], 0u);
    EXPECT_EQ(rd(count_msr(2)), 0u);
    // without auto-enable a COUNT write does not enable
    EXPECT_EQ(wr(cfg_msr(1), sint_field(kSint)), 0);
    EXPECT_EQ(wr(count_msr(1), 400), 0);
    EXPECT_EQ(rd(cfg_msr(1)), sint_field(kSint));
    EXPECT_EQ(synic_stimer_deadline(vp()), 0u);
    // disabling through CONFIG disarms
    EXPECT_EQ(wr(cfg_msr(1), kEnable | sint_field(kSint)), 0);
    EXPECT_EQ(vp()->synic.stimer_due[1], tsc_of(400));
    EXPECT_EQ(wr(cfg_msr(1), sint_field(kSint)), 0);
    EXPECT_EQ(vp()->synic.stimer_due[1], 0u);
}

TEST_F(HvStimer, DirectModeRaisesTheVector)
{
    hvf_tsc = tsc_of(0);
    EXPECT_EQ(wr(count_msr(1), 100), 0);
    EXPECT_EQ(wr(cfg_msr(1), kEnable | kDirect | vector_field(0x61)), 0);
    poll_at(tsc_of(99));
    EXPECT_EQ(hvf_irq_count, 0u);
    poll_at(tsc_of(100));
    EXPECT_EQ(hvf_irq_count, 1u);
    EXPECT_EQ(hvf_last_irq_vector, 0x61u);
    EXPECT_TRUE(irq_pending(0x61));
    EXPECT_FALSE(irq_pending(kSintVector));
    for (unsigned s = 0; s < HV_SYNIC_SINT_COUNT; s++)
        EXPECT_EQ(slot(s)->header.message_type, HVMSG_NONE) << s;
    EXPECT_EQ(rd(cfg_msr(1)) & kEnable, 0u);
    // periodic direct mode re-arms without any slot
    EXPECT_EQ(wr(count_msr(1), 100), 0);
    EXPECT_EQ(wr(cfg_msr(1), kEnable | kPeriodic | kDirect | vector_field(0x61)), 0);
    poll_at(tsc_of(200));
    poll_at(tsc_of(300));
    EXPECT_EQ(hvf_irq_count, 3u);
    EXPECT_EQ(vp()->synic.stimer_due[1], tsc_of(400));
}

TEST_F(HvStimer, DisabledSynicLosesTheExpiry)
{
    vp()->synic.scontrol = 0;
    hvf_tsc = tsc_of(0);
    EXPECT_EQ(wr(count_msr(0), 100), 0);
    EXPECT_EQ(wr(cfg_msr(0), kEnable | kPeriodic | sint_field(kSint)), 0);
    poll_at(tsc_of(100));
    EXPECT_EQ(slot()->header.message_type, HVMSG_NONE);
    EXPECT_EQ(hvf_irq_count, 0u);
    // not waiting: the periodic timer went on to its next period
    EXPECT_EQ(vp()->synic.stimer_due[0], tsc_of(200));
    // a masked SINT loses it too, even with its slot busy (no EOM would ever come for it)
    vp()->synic.scontrol = HV_SYNIC_CONTROL_ENABLE;
    vp()->synic.sint[kSint] = kSintVector | HV_SYNIC_SINT_MASKED;
    slot()->header.message_type = 0x80000099u;         // some earlier message
    poll_at(tsc_of(200));
    EXPECT_EQ(slot()->header.message_flags, 0u);
    EXPECT_EQ(vp()->synic.stimer_waiting, 0u);
    EXPECT_EQ(vp()->synic.stimer_due[0], tsc_of(300));
    // unmasked with the slot busy: it waits, with the pending flag set
    vp()->synic.sint[kSint] = kSintVector;
    poll_at(tsc_of(300));
    EXPECT_EQ(slot()->header.message_flags, HV_MESSAGE_FLAG_PENDING);
    EXPECT_EQ(vp()->synic.stimer_waiting, 1u);
    EXPECT_EQ(vp()->synic.stimer_due[0], 0u);
}

TEST_F(HvStimer, LpDeadlineOnlyForHaltedVps)
{
    hvf_tsc = tsc_of(0);
    EXPECT_EQ(wr(count_msr(0), 100), 0);
    EXPECT_EQ(wr(cfg_msr(0), kEnable | sint_field(kSint)), 0);
    EXPECT_EQ(wr(count_msr(1), 50), 0);
    EXPECT_EQ(wr(cfg_msr(1), kEnable | sint_field(kSint)), 0);
    EXPECT_EQ(synic_stimer_deadline(vp()), tsc_of(50)); // the earliest of the two
    // runnable: polled before its own entries, not by the LP's deadline
    EXPECT_EQ(synic_lp_deadline(0), 0u);
    vp()->state = HV_VP_HALTED;
    EXPECT_EQ(synic_lp_deadline(0), tsc_of(50));
    EXPECT_EQ(synic_lp_deadline(1), 0u);                // root VP 0 runs on LP 0
    vp()->state = HV_VP_INTERCEPT_SUSPENDED;            // not polled: no wake-up for it
    EXPECT_EQ(synic_lp_deadline(0), 0u);
}

TEST_F(HvStimer, ReferenceTimeStartsAtPartitionCreation)
{
    hvf_tsc = 2500000000ull;                            // 1 s after TSC 0
    uint64_t id = hvf_make_child("timed", 0);
    ASSERT_NE(id, 0u);
    struct hv_partition *p = hv_part_get(id);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->ref_time_tsc, 2500000000ull);
    struct hv_vp cvp;
    std::memset(&cvp, 0, sizeof cvp);
    cvp.part = p;
    uint64_t v = 1;
    EXPECT_EQ(synic_rdmsr(&cvp, HV_X64_MSR_TIME_REF_COUNT, &v), 0);
    EXPECT_EQ(v, 0u);
    hvf_tsc = 2500000000ull + 250 * 1234 + 249;
    EXPECT_EQ(synic_rdmsr(&cvp, HV_X64_MSR_TIME_REF_COUNT, &v), 0);
    EXPECT_EQ(v, 1234u);
    // the root's clock is its own (base 1000)
    EXPECT_EQ(rd(HV_X64_MSR_TIME_REF_COUNT), (2500000000ull + 250 * 1234 + 249 - kBase) / 250);
}

TEST_F(HvStimer, ReferenceTscPageOffset)
{
    // scale = floor(2^64 * 10^7 / 2.5e9) = floor(2^64 / 250) = 73786976294838206
    EXPECT_EQ(synic_tsc_scale(2500000000ull), 73786976294838206ull);
    struct hv_partition *root = hvf_root();
    root->ref_time_tsc = 2500000000ull;                 // created 1 s after TSC 0
    // (2.5e9 * scale) >> 64 = floor(10^7 - 0.0000628...) = 9999999
    EXPECT_EQ(synic_ref_tsc_offset(root, 73786976294838206ull), -9999999);
    EXPECT_EQ(wr(HV_X64_MSR_REFERENCE_TSC, 0x300000 | 1), 0);
    const struct hv_reference_tsc_page *pg =
        static_cast<const struct hv_reference_tsc_page *>(hvf_ptr(0x300000));
    EXPECT_EQ((int64_t)pg->tsc_offset, -9999999);
    // the page and TIME_REF_COUNT agree within one unit
    hvf_tsc = 2500000000ull + 250 * 777777;
    uint64_t page_time = (uint64_t)(((unsigned __int128)hvf_tsc * pg->tsc_scale) >> 64) +
                         (uint64_t)pg->tsc_offset;
    uint64_t msr_time = rd(HV_X64_MSR_TIME_REF_COUNT);
    EXPECT_EQ(msr_time, 777777u);
    EXPECT_LE(msr_time - page_time + 1, 2u);            // page_time is msr_time or msr_time-1
}

}  // namespace
