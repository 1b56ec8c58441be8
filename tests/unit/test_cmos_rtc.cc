// test_cmos_rtc.cc — the MC146818A-compatible RTC/NVRAM against the datasheet's register
// definitions and calendar facts computed independently (Python's datetime for the Unix times and
// weekdays): BCD/binary and 12/24-hour formats, SET freezing and setting the clock, UIP timing,
// periodic / update-ended / alarm interrupts driven by virtual time, NVRAM memory-size fields, and
// the 0x70/0x71 index protocol with the NMI-disable bit.
#include <gtest/gtest.h>

#include "devices/cmos_rtc.h"
#include "sim/bus.h"

namespace {

struct Line {
    bool level = false;
    int rises = 0;
};

class Rtc : public ::testing::Test {
protected:
    evq q{};
    cmos_rtc r{};
    Line line;
    void SetUp() override {
        evq_init(&q);
        rtc_time start{2026, 11, 22, 10, 20, 30};       // a Sunday
        ASSERT_EQ(cmos_rtc_init(&r, &q, &start), 0);
        r.irq.opaque = &line;
        r.irq.set = [](void *o, int, bool level) {
            Line *l = static_cast<Line *>(o);
            if (level && !l->level)
                l->rises++;
            l->level = level;
        };
    }
    uint8_t rd(uint8_t reg) { return cmos_rtc_read(&r, reg); }
    void wr(uint8_t reg, uint8_t v) { cmos_rtc_write(&r, reg, v); }
    void advance(uint64_t ps) { evq_run_until(&q, q.now + ps); }
};

TEST(RtcCalendar, UnixTimesAndRoundTrip) {
    rtc_time a{2000, 1, 1, 0, 0, 0}, b{2024, 2, 29, 12, 34, 56}, c{2026, 11, 22, 10, 20, 30};
    EXPECT_EQ(rtc_to_unix(&a), 946684800);
    EXPECT_EQ(rtc_to_unix(&b), 1709210096);
    EXPECT_EQ(rtc_to_unix(&c), 1795342830);
    rtc_time t;
    rtc_from_unix(4102444799, &t);                      // 2099-12-31 23:59:59
    EXPECT_EQ(t.year, 2099);
    EXPECT_EQ(t.month, 12);
    EXPECT_EQ(t.day, 31);
    EXPECT_EQ(t.second, 59);
    rtc_from_unix(951782400, &t);                       // 2000-02-29: a leap day (div by 400)
    EXPECT_EQ(t.month, 2);
    EXPECT_EQ(t.day, 29);
    rtc_time bad{2023, 2, 29, 0, 0, 0};
    EXPECT_FALSE(rtc_valid(&bad));
    cmos_rtc r2;
    evq q2;
    evq_init(&q2);
    EXPECT_EQ(cmos_rtc_init(&r2, &q2, &bad), -1);
}

TEST_F(Rtc, ResetValuesAndBcdTime) {
    EXPECT_EQ(rd(0x0a), 0x26);
    EXPECT_EQ(rd(0x0b), 0x02);                          // 24-hour, BCD
    EXPECT_EQ(rd(0x0d), 0x80);                          // VRT
    EXPECT_EQ(rd(0x00), 0x30);
    EXPECT_EQ(rd(0x02), 0x20);
    EXPECT_EQ(rd(0x04), 0x10);
    EXPECT_EQ(rd(0x06), 1);                             // Sunday
    EXPECT_EQ(rd(0x07), 0x22);
    EXPECT_EQ(rd(0x08), 0x11);
    EXPECT_EQ(rd(0x09), 0x26);
    EXPECT_EQ(rd(0x32), 0x20);                          // century
}

TEST_F(Rtc, AdvancesWithVirtualTimeOnly) {
    advance(75 * PS_PER_S + PS_PER_S / 2);              // 10:21:45.5
    EXPECT_EQ(rd(0x00), 0x45);
    EXPECT_EQ(rd(0x02), 0x21);
    advance(14 * 3600 * PS_PER_S);                      // past midnight: Monday the 23rd
    EXPECT_EQ(rd(0x04), 0x00);
    EXPECT_EQ(rd(0x07), 0x23);
    EXPECT_EQ(rd(0x06), 2);
}

TEST_F(Rtc, BinaryAnd12HourFormats) {
    wr(0x0b, 0x06);                                     // binary, 24-hour
    EXPECT_EQ(rd(0x00), 30);
    EXPECT_EQ(rd(0x07), 22);
    advance(5 * 3600 * PS_PER_S);                       // 15:20:30
    wr(0x0b, 0x04);                                     // binary, 12-hour
    EXPECT_EQ(rd(0x04), 0x80 | 3);                      // 3 PM
    wr(0x0b, 0x00);                                     // BCD, 12-hour
    EXPECT_EQ(rd(0x04), 0x83);
    advance(9 * 3600 * PS_PER_S);                       // 00:20:30: 12 AM
    EXPECT_EQ(rd(0x04), 0x12);
}

TEST_F(Rtc, SetFreezesAndWritesTheClock) {
    wr(0x0b, 0x82);                                     // SET
    wr(0x04, 0x23);
    wr(0x02, 0x59);
    wr(0x00, 0x58);
    advance(10 * PS_PER_S);                             // frozen: no change
    EXPECT_EQ(rd(0x00), 0x58);
    EXPECT_EQ(rd(0x0a) & 0x80, 0);                      // no UIP while SET
    wr(0x0b, 0x02);                                     // run again from 23:59:58
    advance(3 * PS_PER_S);
    EXPECT_EQ(rd(0x04), 0x00);
    EXPECT_EQ(rd(0x00), 0x01);
    EXPECT_EQ(rd(0x07), 0x23);                          // the date rolled over
    wr(0x08, 0x13);                                     // month 13: impossible, ignored
    EXPECT_EQ(rd(0x08), 0x11);
}

TEST_F(Rtc, UpdateInProgressIn244usBeforeEachSecond) {
    advance(PS_PER_S - 245 * PS_PER_US);
    EXPECT_EQ(rd(0x0a) & 0x80, 0);
    advance(2 * PS_PER_US);
    EXPECT_EQ(rd(0x0a) & 0x80, 0x80);
    advance(250 * PS_PER_US);                           // the update has happened
    EXPECT_EQ(rd(0x0a) & 0x80, 0);
    EXPECT_EQ(rd(0x00), 0x31);
}

TEST_F(Rtc, PeriodicInterruptAt1024Hz) {
    wr(0x0b, 0x02 | 0x40);                              // PIE
    int handled = 0;
    for (int k = 0; k < 1000; k++) {                    // a guest that reads C on every IRQ
        advance(PS_PER_MS);
        if (line.level) {
            EXPECT_EQ(rd(0x0c) & 0xc0, 0xc0);           // IRQF | PF
            EXPECT_FALSE(line.level);                   // reading C lowers the line
            handled++;
        }
    }
    // period 976.5625 us: 1 s contains 1024 periods; polled every 1 ms, each poll sees one IRQ
    // except that some 1 ms windows contain two period ends (counted once): 1000 polls.
    EXPECT_EQ(handled, 1000);
    EXPECT_EQ(line.rises, 1000);
    wr(0x0a, 0x2f);                                     // rate 15: 500 ms
    rd(0x0c);
    int before = line.rises;
    advance(2 * PS_PER_S);
    EXPECT_EQ(line.rises, before + 1);                  // the line stays high until C is read
    EXPECT_EQ(rd(0x0c) & 0x40, 0x40);
}

TEST_F(Rtc, UpdateEndedAndAlarmInterrupts) {
    wr(0x01, 0x00);                                     // alarm 10:21:00
    wr(0x03, 0x21);
    wr(0x05, 0x10);
    wr(0x0b, 0x02 | 0x10 | 0x20);                       // UIE, AIE
    advance(PS_PER_S);                                  // 10:20:31: update ended
    EXPECT_TRUE(line.level);
    // PF (0x40) is set at the periodic rate whatever PIE says (datasheet); it does not raise IRQF.
    EXPECT_EQ(rd(0x0c), 0x80 | 0x40 | 0x10);
    advance(28 * PS_PER_S);                             // 10:20:59
    rd(0x0c);
    advance(PS_PER_S);                                  // 10:21:00: alarm and update
    EXPECT_EQ(rd(0x0c), 0x80 | 0x40 | 0x20 | 0x10);
    wr(0x01, 0xc0);                                     // "don't care" seconds: every second
    wr(0x0b, 0x02 | 0x20);                              // AIE only
    advance(PS_PER_S);
    EXPECT_EQ(rd(0x0c), 0x80 | 0x40 | 0x20 | 0x10);     // UF is set even without UIE
}

TEST_F(Rtc, NvramAndMemorySize) {
    wr(0x40, 0xa5);
    EXPECT_EQ(rd(0x40), 0xa5);
    cmos_rtc_set_memory(&r, 128ull << 20);
    EXPECT_EQ(rd(0x15) | rd(0x16) << 8, 640);
    EXPECT_EQ(rd(0x17) | rd(0x18) << 8, 0xffff);        // 127 MiB in KiB does not fit: clamped
    EXPECT_EQ(rd(0x30) | rd(0x31) << 8, 0xffff);
    EXPECT_EQ(rd(0x34) | rd(0x35) << 8, 0x700);         // 112 MiB in 64 KiB blocks
    cmos_rtc_set_memory(&r, 6ull << 30);
    EXPECT_EQ(rd(0x5b) | rd(0x5c) << 8 | rd(0x5d) << 16, 0x8000);   // 2 GiB above 4 GiB
    cmos_rtc_set_memory(&r, 8ull << 20);
    EXPECT_EQ(rd(0x17) | rd(0x18) << 8, 7 * 1024);
}

TEST_F(Rtc, IndexPortAndNmiBit) {
    bus b{};
    ASSERT_EQ(bus_init(&b, 1 << 20), 0);
    ASSERT_EQ(cmos_rtc_map(&r, &b), 0);
    bus_out(&b, 0x70, 0x80 | 0x09, 1);
    EXPECT_TRUE(r.nmi_disabled);
    EXPECT_EQ(bus_in(&b, 0x71, 1), 0x26u);
    bus_out(&b, 0x70, 0x41, 1);
    EXPECT_FALSE(r.nmi_disabled);
    bus_out(&b, 0x71, 0x5a, 1);
    EXPECT_EQ(r.ram[0x41], 0x5a);
    EXPECT_EQ(bus_in(&b, 0x70, 1), 0xffu);              // the index port is write-only
    bus_destroy(&b);
}

}  // namespace
