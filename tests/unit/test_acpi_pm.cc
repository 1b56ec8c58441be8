// test_acpi_pm.cc — the ACPI PM registers (ACPI 6.3 4.8.3): the PM timer at 3.579545 MHz against
// virtual time (tick g happens at ceil(g * 10^12 / 3579545) ps, hand-computed: tick 1 at
// 279366 ps since 10^12 / 3579545 = 279365.11; 1 ms = 3579 ticks; 1 s = 3579545 ticks; bit 31
// first changes at tick 2^31, i.e. at 599932015940574 ps), TMR_STS and the SCI, the read-only
// SCI_EN, and the S5 soft-off request through the ports.
#include <gtest/gtest.h>

#include "devices/acpi_pm.h"
#include "sim/bus.h"

namespace {

struct Sci {
    bool level = false;
    int rises = 0;
    uint64_t rise_ps = 0;
    evq *q = nullptr;
};

class AcpiPm : public ::testing::Test {
protected:
    bus b{};
    evq q{};
    acpi_pm pm{};
    Sci sci;
    int stops = 0;

    void SetUp() override {
        ASSERT_EQ(bus_init(&b, 1 << 20), 0);
        evq_init(&q);
        sci.q = &q;
        irq_line l{};
        l.opaque = &sci;
        l.set = [](void *o, int, bool level) {
            Sci *s = static_cast<Sci *>(o);
            if (level && !s->level) {
                s->rises++;
                s->rise_ps = s->q->now;
            }
            s->level = level;
        };
        acpi_pm_init(&pm, &q, &l, [](void *o) { (*static_cast<int *>(o))++; }, &stops);
        ASSERT_EQ(acpi_pm_map(&pm, &b, ACPI_PM_BASE), 0);
    }
    void TearDown() override { bus_destroy(&b); }
    uint32_t in(uint16_t off, unsigned size) { return bus_in(&b, (uint16_t)(ACPI_PM_BASE + off), size); }
    void out(uint16_t off, uint32_t v, unsigned size) { bus_out(&b, (uint16_t)(ACPI_PM_BASE + off), v, size); }
    uint32_t tmr() { return in(8, 4); }
};

TEST_F(AcpiPm, ResetState) {
    EXPECT_EQ(in(0, 2), 0u);                        // PM1_STS
    EXPECT_EQ(in(2, 2), 0u);                        // PM1_EN
    EXPECT_EQ(in(4, 2), 1u);                        // PM1_CNT: SCI_EN
    EXPECT_EQ(in(6, 2), 0u);                        // reserved
    EXPECT_EQ(tmr(), 0u);
    EXPECT_EQ(in(0, 4), 0u);                        // STS and EN as one dword
    EXPECT_FALSE(sci.level);
}

TEST_F(AcpiPm, TimerFollowsVirtualTime) {
    evq_run_until(&q, 279365);
    EXPECT_EQ(tmr(), 0u);
    evq_run_until(&q, 279366);
    EXPECT_EQ(tmr(), 1u);
    evq_run_until(&q, PS_PER_MS);
    EXPECT_EQ(tmr(), 3579u);
    evq_run_until(&q, PS_PER_S);
    EXPECT_EQ(tmr(), 3579545u);
    EXPECT_EQ(acpi_pm_ticks_at(PS_PER_S), 3579545u);
    EXPECT_EQ(acpi_pm_ticks_at(1234567890123ull), 4419191u);   // floor(1.234567890123 s * f)
    // byte reads see the same value: 3579545 = 0x369E99
    EXPECT_EQ(in(8, 1), 0x99u);
    EXPECT_EQ(in(9, 1), 0x9Eu);
    EXPECT_EQ(in(10, 1), 0x36u);
    EXPECT_EQ(in(11, 1), 0x00u);
    out(8, 0, 4);                                   // the timer is read-only
    EXPECT_EQ(tmr(), 3579545u);
}

TEST_F(AcpiPm, TimerWrapsAt32Bits) {
    evq_run_until(&q, 1199864033277973ull);        // tick 2^32 + 5
    EXPECT_EQ(tmr(), 5u);
}

TEST_F(AcpiPm, TmrStsOnBit31Change) {
    evq_run_until(&q, 599932015940573ull);         // just before tick 2^31
    EXPECT_EQ(tmr(), 0x7FFFFFFFu);
    EXPECT_EQ(in(0, 2) & ACPI_PM1_TMR, 0u);
    evq_run_until(&q, 599932015940574ull);
    EXPECT_EQ(tmr(), 0x80000000u);
    EXPECT_EQ(in(0, 2) & ACPI_PM1_TMR, ACPI_PM1_TMR);
    EXPECT_FALSE(sci.level);                        // TMR_EN clear: no SCI
    out(0, ACPI_PM1_TMR, 2);                        // write 1 to clear
    EXPECT_EQ(in(0, 2), 0u);
    out(0, 0, 2);                                   // writing 0 changes nothing
    EXPECT_EQ(in(0, 2), 0u);
    evq_run_until(&q, 1199864031881146ull);        // just before tick 2^32: bit 31 still set
    EXPECT_EQ(in(0, 2) & ACPI_PM1_TMR, 0u);
    evq_run_until(&q, 1199864031881147ull);        // tick 2^32: bit 31 falls
    EXPECT_EQ(in(0, 2) & ACPI_PM1_TMR, ACPI_PM1_TMR);
}

TEST_F(AcpiPm, TimerSciAtTheToggle) {
    out(2, ACPI_PM1_TMR, 2);                        // TMR_EN
    EXPECT_EQ(in(2, 2), ACPI_PM1_TMR);
    evq_run_until(&q, PS_PER_S * 1000);             // the event fires on its own
    EXPECT_EQ(sci.rises, 1);
    EXPECT_EQ(sci.rise_ps, 599932015940574ull);
    EXPECT_TRUE(sci.level);
    out(0, ACPI_PM1_TMR, 2);                        // the handler clears the status
    EXPECT_FALSE(sci.level);
    out(2, 0, 2);                                   // TMR_EN off: no more events
    evq_run_until(&q, PS_PER_S * 1300);
    EXPECT_EQ(sci.rises, 1);
    EXPECT_EQ(in(0, 2) & ACPI_PM1_TMR, ACPI_PM1_TMR);   // the status still latches
}

TEST_F(AcpiPm, EnableAndControlBits) {
    out(2, 0xFFFF, 2);
    EXPECT_EQ(in(2, 2), 0x4721u);                   // TMR, GBL, PWRBTN, SLPBTN, RTC, PCIEXP_WAKE_DIS
    out(2, 0, 2);
    out(4, 0, 2);                                   // SCI_EN cannot be cleared
    EXPECT_EQ(in(4, 2), 1u);
    out(4, 0x5 << 10 | 0x2, 2);                     // SLP_TYP 5, BM_RLD; no SLP_EN
    EXPECT_EQ(in(4, 2), (0x5u << 10) | 0x3u);
    EXPECT_EQ(stops, 0);
    out(4, 0x5 << 10 | ACPI_PM1_SLP_EN | 1, 2);    // a sleep state this machine lacks
    EXPECT_EQ(stops, 0);
    EXPECT_EQ(pm.unsupported_sleep, 1u);
    EXPECT_FALSE(pm.soft_off);
    EXPECT_EQ(in(4, 2) & ACPI_PM1_SLP_EN, 0u);      // SLP_EN is write-only
}

TEST_F(AcpiPm, SoftOffS5) {
    // What an OS does after reading \_S5 (SLP_TYPa = 7): SLP_TYP, then SLP_TYP | SLP_EN.
    out(4, (ACPI_PM_SLP_TYP_S5 << 10) | 1, 2);
    EXPECT_EQ(stops, 0);
    out(4, (ACPI_PM_SLP_TYP_S5 << 10) | ACPI_PM1_SLP_EN | 1, 2);
    EXPECT_EQ(stops, 1);
    EXPECT_TRUE(pm.soft_off);
    out(4, (ACPI_PM_SLP_TYP_S5 << 10) | ACPI_PM1_SLP_EN | 1, 2);
    EXPECT_EQ(stops, 1);                            // once
}

TEST_F(AcpiPm, ByteWritesToCnt) {
    // SLP_EN in the high byte, written alone with a byte access (13 - 8 = bit 5).
    out(5, (ACPI_PM_SLP_TYP_S5 << 2) | (1u << 5), 1);
    EXPECT_EQ(stops, 1);
}

TEST_F(AcpiPm, UnconnectedSciAndNoStopHook) {
    acpi_pm p2;
    acpi_pm_init(&p2, &q, nullptr, nullptr, nullptr);
    acpi_pm_write(&p2, 2, ACPI_PM1_TMR, 2);
    evq_run_until(&q, PS_PER_S * 700);
    EXPECT_EQ(acpi_pm_read(&p2, 0, 2) & ACPI_PM1_TMR, ACPI_PM1_TMR);
    acpi_pm_write(&p2, 4, (ACPI_PM_SLP_TYP_S5 << 10) | ACPI_PM1_SLP_EN, 2);
    EXPECT_TRUE(p2.soft_off);
    acpi_pm_write(&p2, 2, 0, 2);                    // dequeue its event before p2 goes away
}

} // namespace
