// test_pit8254.cc — the 8254 PIT against the Intel 8254 datasheet, on virtual time: the CLK grid
// (1.193182 MHz; tick times computed independently with exact integer arithmetic), modes 0-5
// (OUT levels and CE values tick by tick: a count written at tick g loads at g+1, decrements
// after), binary and BCD, LSB/MSB/both access, counter latch, read-back status (OUT, NULL COUNT),
// GATE behaviour, port 0x61, and counter 0 driving IRQ 0 through the 8259A: 1193 ticks ~ 1 ms.
#include <gtest/gtest.h>

#include <vector>

#include "devices/pic8259.h"
#include "devices/pit8254.h"
#include "sim/bus.h"

namespace {

struct Line {
    bool level = false;
    int rises = 0, falls = 0;
    std::vector<uint64_t> rise_ps;
    evq *q = nullptr;
};

class Pit : public ::testing::Test {
protected:
    evq q{};
    pit8254 pit{};
    Line line;
    void SetUp() override {
        evq_init(&q);
        pit8254_init(&pit, &q);
        line.q = &q;
        irq_line l{};
        l.opaque = &line;
        l.set = [](void *o, int, bool level) {
            Line *ln = static_cast<Line *>(o);
            if (level && !ln->level) {
                ln->rises++;
                ln->rise_ps.push_back(ln->q->now);
            }
            if (!level && ln->level)
                ln->falls++;
            ln->level = level;
        };
        pit8254_connect(&pit, 0, l);
    }
    void at(uint64_t tick) { evq_run_until(&q, pit_tick_time(tick)); }
    void cw(uint8_t v) { pit8254_write(&pit, 3, v); }
    void count16(int n, uint16_t v) {
        pit8254_write(&pit, n, (uint8_t)v);
        pit8254_write(&pit, n, (uint8_t)(v >> 8));
    }
    uint8_t rd(int n) { return pit8254_read(&pit, n); }
    unsigned rd16(int n) { unsigned lo = rd(n); return lo | (unsigned)rd(n) << 8; }
    bool out(int n) { return pit8254_out(&pit, n); }
};

TEST(PitClock, TickGrid) {
    EXPECT_EQ(pit_ticks_at(PS_PER_S), 1193182u);
    EXPECT_EQ(pit_tick_time(1), 838096u);               // ceil(1e12 / 1193182)
    EXPECT_EQ(pit_ticks_at(838095), 0u);
    EXPECT_EQ(pit_ticks_at(838096), 1u);
    EXPECT_EQ(pit_tick_time(1193182), PS_PER_S);
    EXPECT_EQ(pit_ticks_at(100 * PS_PER_MS), 119318u);
    for (uint64_t g : {1ull, 1193ull, 65536ull, 1193182ull * 3600})
        EXPECT_EQ(pit_ticks_at(pit_tick_time(g)), g);
}

TEST_F(Pit, Mode2RateGeneratorPeriod) {
    cw(0x34);                           // counter 0, LSB then MSB, mode 2, binary
    EXPECT_TRUE(line.level);            // OUT high after the control word
    count16(0, 1193);                   // at tick 0: loads at tick 1
    at(1193);                           // e = 1192: CE = 1, OUT low
    EXPECT_FALSE(out(0));
    EXPECT_EQ(line.falls, 1);
    evq_run_until(&q, 100 * PS_PER_MS);
    ASSERT_EQ(line.rises, 1 + 100);     // the control word's, then ticks 1 + 1193k, k = 1..100
    EXPECT_EQ(line.rise_ps[1], 1000685562u);            // ceil(1194e12 / 1193182)
    for (size_t k = 2; k < line.rise_ps.size(); k++) {
        uint64_t d = line.rise_ps[k] - line.rise_ps[k - 1];
        EXPECT_TRUE(d == 999847466u || d == 999847467u) << d;   // 1193e12 / 1193182
    }
    EXPECT_EQ(q.fired, 200u);           // one event per OUT edge, none per tick
}

TEST_F(Pit, Mode2DrivesIrq0ThroughThePicOncePerMs) {
    pic8259 pic;
    pic8259_init(&pic);
    cw(0x34);                           // OUT rises with the control word...
    pit8254_connect(&pit, 0, pic8259_line(&pic, 0));
    pic8259_write(&pic, 0, 0, 0x11);    // ...and ICW1 resets the PIC's edge sense
    pic8259_write(&pic, 0, 1, 0x08);
    pic8259_write(&pic, 0, 1, 0x04);
    pic8259_write(&pic, 0, 1, 0x01);
    irq_source src = pic8259_irq_source(&pic);
    count16(0, 1193);
    // A CPU with interrupts enabled: it takes each interrupt as soon as the event that raised
    // it has run. (A CPU that waited a whole period would see two edges merged into one, as the
    // 8259A requires IR to stay high until INTA.)
    int n = 0;
    const uint64_t end = 1000 * PS_PER_MS;
    while (evq_next(&q) <= end) {
        evq_run_until(&q, evq_next(&q));
        while (src.pending(src.opaque)) {
            EXPECT_EQ(src.ack(src.opaque), 0x08);
            pic8259_write(&pic, 0, 0, 0x20);
            n++;
        }
    }
    EXPECT_EQ(n, 1000);                 // 1 + 1193 * 1000 <= 1193182 < 1 + 1193 * 1001
    EXPECT_EQ(pic.spurious[0], 0u);
}

TEST_F(Pit, Mode0InterruptOnTerminalCount) {
    cw(0x30);
    EXPECT_FALSE(line.level);           // OUT low after a mode 0 control word
    count16(0, 100);
    at(51);                             // e = 50
    EXPECT_EQ(rd16(0), 50u);
    at(100);                            // e = 99: N + 1 pulses are needed
    EXPECT_FALSE(out(0));
    EXPECT_EQ(line.rises, 0);
    at(101);
    EXPECT_TRUE(out(0));
    EXPECT_EQ(line.rises, 1);
    EXPECT_EQ(pit_tick_time(101), line.rise_ps[0]);
    EXPECT_EQ(evq_next(&q), UINT64_MAX);  // one-shot: nothing more queued
    at(1000);
    EXPECT_TRUE(out(0));
    EXPECT_EQ(rd16(0), 64637u);         // keeps counting down through 0: (100 - 999) mod 2^16
    // Rewriting: the first byte stops counting and drops OUT at once.
    pit8254_write(&pit, 0, 10);
    EXPECT_FALSE(out(0));
    EXPECT_EQ(line.falls, 1);
    at(1100);
    EXPECT_EQ(rd16(0), 64637u);         // held while half written
    pit8254_write(&pit, 0, 0);          // count 10 at tick 1100: OUT high at 1111
    at(1110);
    EXPECT_FALSE(out(0));
    at(1111);
    EXPECT_TRUE(out(0));
    EXPECT_EQ(line.rises, 2);
}

TEST_F(Pit, Mode3SquareWaveEvenCount) {
    cw(0x36);                           // counter 0, mode 3
    count16(0, 10);                     // loads at tick 1
    at(1);  EXPECT_TRUE(out(0));  EXPECT_EQ(rd16(0), 10u);
    at(2);  EXPECT_EQ(rd16(0), 8u);     // decrements by two
    at(5);  EXPECT_TRUE(out(0));  EXPECT_EQ(rd16(0), 2u);
    at(6);  EXPECT_FALSE(out(0)); EXPECT_EQ(rd16(0), 10u);  // second half reloads N
    at(7);  EXPECT_EQ(rd16(0), 8u);
    at(10); EXPECT_FALSE(out(0));
    at(11); EXPECT_TRUE(out(0));
    at(1001);                           // 100 whole periods
    EXPECT_EQ(line.rises, 1 + 100);     // the control word's rise, then one per period
    EXPECT_EQ(line.falls, 100);
}

TEST_F(Pit, Mode3OddCountOnCounter2WithGateAndPort61) {
    pit8254_write(&pit, 3, 0xB6);       // counter 2, mode 3
    count16(2, 5);
    at(3);
    EXPECT_EQ(pit8254_port61_read(&pit) & 0x20, 0x20);  // GATE low: stopped, OUT high
    pit8254_port61_write(&pit, 0x01);   // GATE rises at tick 3: reload at tick 4
    // Odd N: N-1 loaded, OUT high for (N+1)/2 = 3 ticks and low for (N-1)/2 = 2.
    const bool lv[] = {true, true, true, false, false, true, true, true, false, false, true};
    const unsigned ce[] = {4, 2, 0, 4, 2, 4, 2, 0, 4, 2, 4};
    for (int e = 0; e < 11; e++) {
        at(4 + e);
        EXPECT_EQ(out(2), lv[e]) << e;
        EXPECT_EQ((pit8254_port61_read(&pit) >> 5) & 1, lv[e] ? 1 : 0) << e;
        EXPECT_EQ(rd16(2), ce[e]) << e;
    }
    EXPECT_EQ(evq_next(&q), UINT64_MAX);  // counter 0 idle, counter 2 has no line: no events
}

TEST_F(Pit, CounterLatchCommand) {
    cw(0x34);
    count16(0, 1000);
    at(301);
    cw(0x00);                           // latch counter 0: CE = 1000 - 300
    at(400);
    cw(0x00);                           // ignored: the first latch is held until read
    at(500);
    EXPECT_EQ(rd(0), 0xBC);
    EXPECT_EQ(rd(0), 0x02);             // 700 = 0x2BC
    EXPECT_EQ(rd16(0), 501u);           // live again: e = 499
}

TEST_F(Pit, ReadBackStatusAndCount) {
    cw(0x34);
    count16(0, 1000);                   // written at tick 0, loaded at tick 1
    cw(0xE2);                           // read-back status only, counter 0
    EXPECT_EQ(rd(0), 0xF4);             // OUT 1, NULL COUNT 1, RW=3 mode 2 binary
    at(11);
    cw(0xC2);                           // status and count
    EXPECT_EQ(rd(0), 0xB4);             // count loaded: NULL COUNT 0
    EXPECT_EQ(rd16(0), 990u);
    cw(0x30);                           // mode 0 on counter 0
    pit8254_write(&pit, 3, 0x70);       // counter 1, LSB then MSB, mode 0
    cw(0xEE);                           // status of counters 0, 1, 2
    EXPECT_EQ(rd(0), 0x70);             // OUT low, NULL COUNT, mode 0
    EXPECT_EQ(rd(1), 0x70);
    EXPECT_EQ(rd(2), 0x40);             // counter 2 never programmed: OUT low, null count
    count16(0, 5);                      // at tick 11: OUT high at tick 17
    at(17);
    cw(0xE2);
    EXPECT_EQ(rd(0), 0xB0);
    EXPECT_EQ(rd(3), 0xFF);             // the control word register cannot be read
}

TEST_F(Pit, BcdCounting) {
    cw(0x31);                           // mode 0, BCD
    count16(0, 0x1000);                 // 1000 decimal
    at(2);
    EXPECT_EQ(rd(0), 0x99);
    EXPECT_EQ(rd(0), 0x09);             // 999
    at(1001);
    EXPECT_EQ(rd16(0), 0x0000u);
    EXPECT_TRUE(out(0));
    at(1002);
    EXPECT_EQ(rd16(0), 0x9999u);        // BCD wraps at 10^4
    cw(0x35);                           // mode 2, BCD, count 0 = 10^4
    count16(0, 0);                      // at tick 1002, loaded at 1003
    at(1003 + 9998);
    EXPECT_TRUE(out(0));
    EXPECT_EQ(rd16(0), 0x0002u);
    at(1003 + 9999);
    EXPECT_FALSE(out(0));
    at(1003 + 10000);
    EXPECT_TRUE(out(0));
    EXPECT_EQ(rd16(0), 0x0000u);        // reloaded with 10^4, which reads as 0000
}

TEST_F(Pit, LsbOnlyAndMsbOnlyAccess) {
    cw(0x10);                           // counter 0, LSB only, mode 0
    pit8254_write(&pit, 0, 80);         // count 80 at tick 0
    at(11);
    EXPECT_EQ(rd(0), 70);
    EXPECT_EQ(rd(0), 70);               // no flip-flop: LSB every time
    cw(0x20);                           // MSB only
    pit8254_write(&pit, 0, 0x01);       // count 0x100 at tick 11
    at(12 + 0x10);
    EXPECT_EQ(rd(0), 0x00);             // 0x100 - 0x10 = 0xF0: MSB 0
    at(12 + 0x100);
    EXPECT_TRUE(out(0));
}

TEST_F(Pit, Mode2NewCountAtEndOfCycle) {
    cw(0x34);
    count16(0, 100);                    // cycles start at ticks 1, 101, ...
    at(51);
    count16(0, 50);                     // during counting: current cycle unaffected
    cw(0xE2);
    EXPECT_EQ(rd(0) & 0x40, 0x40);      // NULL COUNT until the new count is loaded
    at(100);
    EXPECT_FALSE(out(0));
    EXPECT_EQ(rd16(0), 1u);
    at(101);
    EXPECT_TRUE(out(0));
    EXPECT_EQ(rd16(0), 50u);
    cw(0xE2);
    EXPECT_EQ(rd(0) & 0x40, 0);
    at(150);
    EXPECT_FALSE(out(0));
    at(151);
    EXPECT_TRUE(out(0));
    EXPECT_EQ(line.rises, 1 + 2);
}

TEST_F(Pit, Mode1HardwareRetriggerableOneShot) {
    pit8254_write(&pit, 3, 0xB2);       // counter 2, mode 1
    count16(2, 5);
    at(10);
    EXPECT_TRUE(out(2));                // waits for a trigger
    pit8254_port61_write(&pit, 0x01);   // trigger at tick 10: load at 11
    at(11); EXPECT_FALSE(out(2)); EXPECT_EQ(rd16(2), 5u);
    at(15); EXPECT_FALSE(out(2)); EXPECT_EQ(rd16(2), 1u);
    at(16); EXPECT_TRUE(out(2));
    pit8254_port61_write(&pit, 0x00);
    at(20);
    pit8254_port61_write(&pit, 0x01);   // retrigger
    at(21); EXPECT_FALSE(out(2));
    at(26); EXPECT_TRUE(out(2));
}

TEST_F(Pit, Mode4And5Strobes) {
    cw(0x38);                           // counter 0, mode 4
    count16(0, 3);                      // load at 1, strobe at e = 3
    at(3); EXPECT_TRUE(out(0));
    at(4); EXPECT_FALSE(out(0));
    at(5); EXPECT_TRUE(out(0));
    EXPECT_EQ(line.falls, 1);
    EXPECT_EQ(line.rises, 2);           // control word, end of strobe
    at(100);
    EXPECT_EQ(line.falls, 1);
    pit8254_write(&pit, 3, 0xBA);       // counter 2, mode 5
    count16(2, 3);
    at(110);
    EXPECT_TRUE(out(2));
    pit8254_port61_write(&pit, 0x01);   // trigger at tick 110
    at(113); EXPECT_TRUE(out(2));
    at(114); EXPECT_FALSE(out(2));
    at(115); EXPECT_TRUE(out(2));
}

TEST_F(Pit, GateSuspendsAndReloads) {
    pit8254_port61_write(&pit, 0x01);
    pit8254_write(&pit, 3, 0xB4);       // counter 2, mode 2
    count16(2, 10);                     // load at tick 1
    at(9);  EXPECT_EQ(rd16(2), 2u);
    at(10); EXPECT_FALSE(out(2));
    pit8254_port61_write(&pit, 0x00);   // mode 2: GATE low forces OUT high, stops counting
    EXPECT_TRUE(out(2));
    at(50); EXPECT_EQ(rd16(2), 1u);
    pit8254_port61_write(&pit, 0x01);   // rising GATE reloads on the next CLK
    at(51); EXPECT_EQ(rd16(2), 10u);
    // Mode 0: GATE low suspends counting, OUT unchanged.
    pit8254_write(&pit, 3, 0xB0);
    count16(2, 10);                     // at tick 51: load at 52
    at(56);                             // e = 4
    pit8254_port61_write(&pit, 0x00);
    at(100);
    EXPECT_EQ(rd16(2), 6u);
    EXPECT_FALSE(out(2));
    pit8254_port61_write(&pit, 0x01);   // resumes: six more pulses
    at(105); EXPECT_FALSE(out(2));
    at(106); EXPECT_TRUE(out(2));
}

TEST_F(Pit, Port61Bits) {
    EXPECT_EQ(pit8254_port61_read(&pit), 0x00);
    pit8254_port61_write(&pit, 0xFF);   // bits 4-7 are read-only
    at(17);
    EXPECT_EQ(pit8254_port61_read(&pit) & 0xDF, 0x0F);
    at(18);
    EXPECT_EQ(pit8254_port61_read(&pit) & 0xDF, 0x1F);  // refresh toggle every 18 ticks
    at(36);
    EXPECT_EQ(pit8254_port61_read(&pit) & 0x10, 0x00);
}

TEST_F(Pit, ControlWordStopsCountingAndCancelsEvents) {
    cw(0x34);
    count16(0, 100);
    at(250);
    EXPECT_EQ(line.rises, 1 + 2);
    cw(0x34);                           // new control word: counting stops, OUT high
    EXPECT_EQ(evq_next(&q), UINT64_MAX);
    at(1000);
    EXPECT_EQ(line.rises, 3);
    EXPECT_EQ(rd16(0), 51u);            // CE held where it stopped (e = 249)
}

TEST_F(Pit, PortsThroughTheBus) {
    bus b{};
    ASSERT_EQ(bus_init(&b, 1 << 20), 0);
    ASSERT_EQ(pit8254_map(&pit, &b), 0);
    bus_out(&b, 0x43, 0xB0, 1);
    bus_out(&b, 0x42, 0x34, 1);
    bus_out(&b, 0x42, 0x12, 1);
    bus_out(&b, 0x61, 0x01, 1);         // GATE 2 high at tick 0: counting from tick 1
    at(0x11);
    EXPECT_EQ(bus_in(&b, 0x42, 1), 0x24u);
    EXPECT_EQ(bus_in(&b, 0x42, 1), 0x12u);      // 0x1234 - 0x10
    EXPECT_EQ(bus_in(&b, 0x61, 1) & 0x21, 0x01u);
    bus_destroy(&b);
}

}  // namespace
