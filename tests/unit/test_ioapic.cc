// test_ioapic.cc — the I/O APIC against the 82093AA datasheet (3.1 window, 3.2 registers,
// 3.2.4 redirection table) and the ICH version 0x20 EOI register: register access through
// IOREGSEL/IOWIN on the bus, read-only bits, edge vs level, remote IRR and EOI re-delivery,
// masking, polarity, and each message's fields hand-derived from the RTE written.
#include <gtest/gtest.h>

#include <vector>

#include "apic/ioapic.h"
#include "sim/bus.h"

namespace {

class IoApic : public ::testing::Test {
protected:
    bus b{};
    ioapic io{};
    std::vector<apic_msg> msgs;

    void SetUp() override {
        ASSERT_EQ(bus_init(&b, 1 << 20), 0);
        ioapic_init(&io, 5, [](void *o, const apic_msg *m) {
            static_cast<IoApic *>(o)->msgs.push_back(*m);
        }, this);
        ASSERT_EQ(ioapic_map(&io, &b, IOAPIC_BASE), 0);
    }
    void TearDown() override { bus_destroy(&b); }

    uint32_t rd(uint8_t index) {
        bus_write(&b, IOAPIC_BASE + IOAPIC_IOREGSEL, index, 4);
        return (uint32_t)bus_read(&b, IOAPIC_BASE + IOAPIC_IOWIN, 4);
    }
    void wr(uint8_t index, uint32_t v) {
        bus_write(&b, IOAPIC_BASE + IOAPIC_IOREGSEL, index, 4);
        bus_write(&b, IOAPIC_BASE + IOAPIC_IOWIN, v, 4);
    }
    void rte(int pin, uint32_t lo, uint32_t hi) {
        wr((uint8_t)(0x11 + 2 * pin), hi);
        wr((uint8_t)(0x10 + 2 * pin), lo);
    }
    uint32_t rte_lo(int pin) { return rd((uint8_t)(0x10 + 2 * pin)); }
    void pin(int n, bool level) { ioapic_set_irq(&io, n, level); }
};

// Bits of the low dword (82093AA 3.2.4).
constexpr uint32_t LOWEST = 1u << 8, NMI = 4u << 8, LOGICAL = 1u << 11, DELIVS = 1u << 12,
                   ACTIVE_LOW = 1u << 13, REMOTE_IRR = 1u << 14, LEVEL = 1u << 15,
                   MASKED = 1u << 16;

TEST_F(IoApic, ResetValues) {
    EXPECT_EQ(rd(0x00), 0x05000000u);       // ID 5 in bits 27:24
    EXPECT_EQ(rd(0x01), 0x00170020u);       // max redirection entry 23, version 0x20
    EXPECT_EQ(rd(0x02), 0x05000000u);       // arbitration ID = ID
    for (int n = 0; n < 24; n++) {
        EXPECT_EQ(rd((uint8_t)(0x10 + 2 * n)), MASKED) << n;
        EXPECT_EQ(rd((uint8_t)(0x11 + 2 * n)), 0u) << n;
    }
    EXPECT_EQ(rd(0x03), 0u);                // reserved
    EXPECT_EQ(rd(0x40), 0u);                // beyond the table
}

TEST_F(IoApic, RegselAndReadOnlyBits) {
    bus_write(&b, IOAPIC_BASE, 0x1234, 4);
    EXPECT_EQ(bus_read(&b, IOAPIC_BASE, 4), 0x34u);      // only bits 7:0 exist
    wr(0x00, 0xFFFFFFFFu);
    EXPECT_EQ(rd(0x00), 0x0F000000u);       // ID: 4 bits
    EXPECT_EQ(rd(0x02), 0x0F000000u);
    wr(0x01, 0);
    wr(0x02, 0);
    EXPECT_EQ(rd(0x01), 0x00170020u);       // version is read-only
    EXPECT_EQ(rd(0x02), 0x0F000000u);
    wr(0x10, 0xFFFFFFFFu);                  // everything set: delivery status, remote IRR, 31:17 stay 0
    EXPECT_EQ(rd(0x10), 0x0001AFFFu);
    wr(0x11, 0xFFFFFFFFu);                  // destination 63:56, EDID 55:48
    EXPECT_EQ(rd(0x11), 0xFFFF0000u);
    EXPECT_TRUE(msgs.empty());              // masked: nothing sent
}

TEST_F(IoApic, NarrowAndOtherAccesses) {
    bus_write(&b, IOAPIC_BASE, 0x01, 1);
    EXPECT_EQ(bus_read(&b, IOAPIC_BASE + 0x10, 1), 0x20u);
    EXPECT_EQ(bus_read(&b, IOAPIC_BASE + 0x12, 1), 0x17u);
    EXPECT_EQ(bus_read(&b, IOAPIC_BASE + 0x12, 2), 0x0017u);
    EXPECT_EQ(bus_read(&b, IOAPIC_BASE + 0x10, 8), 0x00170020u);
    bus_write(&b, IOAPIC_BASE, 0x10, 1);
    bus_write(&b, IOAPIC_BASE + 0x10, 0x00, 1);          // narrow IOWIN write: ignored
    EXPECT_EQ(rd(0x10), MASKED);
    EXPECT_EQ(bus_read(&b, IOAPIC_BASE + 0x20, 4), 0u);  // reserved offsets read 0
    EXPECT_EQ(bus_read(&b, IOAPIC_BASE + 0x40, 4), 0u);  // EOI is write-only
    EXPECT_EQ(bus_read(&b, IOAPIC_BASE + 0xFFC, 4), 0u);
    bus_write(&b, IOAPIC_BASE + 0x30, 0xFF, 4);
    EXPECT_GE(io.ignored, 2u);
}

TEST_F(IoApic, EdgeFixedPhysical) {
    // vector 0x34, fixed, physical, active high, edge, unmasked, destination APIC ID 3.
    rte(4, 0x34, 0x03000000u);
    EXPECT_TRUE(msgs.empty());
    pin(4, true);
    ASSERT_EQ(msgs.size(), 1u);
    const apic_msg &m = msgs[0];
    EXPECT_EQ(m.dest, 3u);
    EXPECT_EQ(m.vector, 0x34);
    EXPECT_EQ(m.delmode, APIC_DM_FIXED);
    EXPECT_EQ(m.shorthand, APIC_SH_NONE);
    EXPECT_FALSE(m.logical);
    EXPECT_FALSE(m.level);
    EXPECT_TRUE(m.assert);
    EXPECT_FALSE(m.x2apic);
    EXPECT_EQ(m.source, -1);
    pin(4, true);                           // no new edge
    EXPECT_EQ(msgs.size(), 1u);
    EXPECT_EQ(rte_lo(4), 0x34u);            // no remote IRR for edge, delivery status idle
    pin(4, false);
    EXPECT_EQ(msgs.size(), 1u);             // a falling edge sends nothing
    pin(4, true);
    EXPECT_EQ(msgs.size(), 2u);
    ioapic_eoi(&io, 0x34);                  // EOI does nothing to an edge entry
    EXPECT_EQ(msgs.size(), 2u);
    EXPECT_EQ(io.sent, 2u);
}

TEST_F(IoApic, MaskedEdgeIsLost) {
    rte(1, MASKED | 0x41, 0);
    pin(1, true);
    EXPECT_TRUE(msgs.empty());
    EXPECT_EQ(io.masked_edges, 1u);
    rte(1, 0x41, 0);                        // unmasking while high: the edge is gone
    EXPECT_TRUE(msgs.empty());
    pin(1, false);
    pin(1, true);
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_EQ(msgs[0].vector, 0x41);
}

TEST_F(IoApic, LevelRemoteIrrAndEoiBroadcast) {
    // vector 0x59, lowest priority, logical destination 0x0F, active high, level.
    rte(9, LEVEL | LOGICAL | LOWEST | 0x59, 0x0F000000u);
    pin(9, true);
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_EQ(msgs[0].dest, 0x0Fu);
    EXPECT_EQ(msgs[0].vector, 0x59);
    EXPECT_EQ(msgs[0].delmode, APIC_DM_LOWEST);
    EXPECT_TRUE(msgs[0].logical);
    EXPECT_TRUE(msgs[0].level);
    EXPECT_TRUE(msgs[0].assert);
    EXPECT_EQ(msgs[0].source, -1);
    EXPECT_EQ(rte_lo(9), LEVEL | LOGICAL | LOWEST | 0x59 | REMOTE_IRR);
    rte(9, LEVEL | LOGICAL | LOWEST | 0x59, 0x0F000000u);   // rewriting keeps remote IRR
    EXPECT_EQ(rte_lo(9) & REMOTE_IRR, REMOTE_IRR);
    EXPECT_EQ(msgs.size(), 1u);             // still asserted, but remote IRR holds it
    ioapic_eoi(&io, 0x58);                  // another vector: nothing
    EXPECT_EQ(msgs.size(), 1u);
    ioapic_eoi(&io, 0x59);                  // still asserted: sent again
    ASSERT_EQ(msgs.size(), 2u);
    EXPECT_EQ(rte_lo(9) & REMOTE_IRR, REMOTE_IRR);
    pin(9, false);
    ioapic_eoi(&io, 0x59);                  // de-asserted: remote IRR clears, nothing sent
    EXPECT_EQ(msgs.size(), 2u);
    EXPECT_EQ(rte_lo(9), LEVEL | LOGICAL | LOWEST | 0x59);
    EXPECT_EQ(rte_lo(9) & DELIVS, 0u);
}

TEST_F(IoApic, EoiRegister) {
    rte(10, LEVEL | 0x6A, 0x01000000u);
    pin(10, true);
    ASSERT_EQ(msgs.size(), 1u);
    bus_write(&b, IOAPIC_BASE + IOAPIC_EOIR, 0x16A, 4);     // bits 7:0 only
    EXPECT_EQ(msgs.size(), 2u);
    pin(10, false);
    bus_write(&b, IOAPIC_BASE + IOAPIC_EOIR, 0x6A, 4);
    EXPECT_EQ(rte_lo(10) & REMOTE_IRR, 0u);
    EXPECT_EQ(msgs.size(), 2u);
}

TEST_F(IoApic, UnmaskAssertedLevelSends) {
    rte(11, MASKED | LEVEL | 0x7B, 0x02000000u);
    pin(11, true);
    EXPECT_TRUE(msgs.empty());
    EXPECT_EQ(rte_lo(11) & REMOTE_IRR, 0u);
    rte(11, LEVEL | 0x7B, 0x02000000u);
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_EQ(msgs[0].dest, 2u);
    EXPECT_TRUE(msgs[0].level);
    // masking then unmasking with remote IRR set sends nothing until the EOI
    rte(11, MASKED | LEVEL | 0x7B, 0x02000000u);
    rte(11, LEVEL | 0x7B, 0x02000000u);
    EXPECT_EQ(msgs.size(), 1u);
}

TEST_F(IoApic, SwitchToEdgeClearsRemoteIrr) {
    rte(12, LEVEL | 0x4C, 0);
    pin(12, true);
    EXPECT_EQ(rte_lo(12) & REMOTE_IRR, REMOTE_IRR);
    rte(12, MASKED | 0x4C, 0);              // edge, masked
    EXPECT_EQ(rte_lo(12), MASKED | 0x4Cu);
    rte(12, LEVEL | 0x4C, 0);               // back to level, still asserted: sent
    EXPECT_EQ(msgs.size(), 2u);
}

TEST_F(IoApic, PolarityActiveLow) {
    // Level, active low: an input at 0 is asserted, so unmasking it sends at once.
    rte(16, ACTIVE_LOW | LEVEL | 0x90, 0);
    ASSERT_EQ(msgs.size(), 1u);
    pin(16, true);                          // de-assert
    ioapic_eoi(&io, 0x90);
    EXPECT_EQ(msgs.size(), 1u);
    pin(16, false);                         // assert again
    EXPECT_EQ(msgs.size(), 2u);
    // Edge, active low: the falling electrical edge is the asserting one.
    pin(17, true);
    rte(17, ACTIVE_LOW | 0x91, 0);
    EXPECT_EQ(msgs.size(), 2u);
    pin(17, false);
    ASSERT_EQ(msgs.size(), 3u);
    EXPECT_EQ(msgs[2].vector, 0x91);
    pin(17, true);
    EXPECT_EQ(msgs.size(), 3u);
}

TEST_F(IoApic, NonFixedModesAreEdge) {
    // NMI with the level bit set is still edge-triggered (82093AA 3.2.4, delivery mode 100).
    rte(3, LEVEL | NMI, 0x00000000u);
    pin(3, true);
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_EQ(msgs[0].delmode, APIC_DM_NMI);
    EXPECT_FALSE(msgs[0].level);
    EXPECT_EQ(rte_lo(3) & REMOTE_IRR, 0u);
    pin(3, false);
    pin(3, true);
    EXPECT_EQ(msgs.size(), 2u);
    // ExtINT (111) and INIT (101) are sent with their modes.
    rte(5, 7u << 8, 0);
    pin(5, true);
    ASSERT_EQ(msgs.size(), 3u);
    EXPECT_EQ(msgs[2].delmode, APIC_DM_EXTINT);
    rte(6, 5u << 8, 0xFF000000u);
    pin(6, true);
    ASSERT_EQ(msgs.size(), 4u);
    EXPECT_EQ(msgs[3].delmode, APIC_DM_INIT);
    EXPECT_EQ(msgs[3].dest, 0xFFu);
    // Reserved modes 011 and 110 send nothing.
    rte(7, 3u << 8, 0);
    pin(7, true);
    rte(8, 6u << 8, 0);
    pin(8, true);
    EXPECT_EQ(msgs.size(), 4u);
    EXPECT_EQ(io.reserved_delmode, 2u);
}

TEST_F(IoApic, SplitterDrivesBothControllers) {
    int other_rises = 0;
    bool other_level = false;
    struct Rec { int *rises; bool *level; } rec{ &other_rises, &other_level };
    irq_split s{};
    s.out[0].set = [](void *o, int, bool level) {
        Rec *r = static_cast<Rec *>(o);
        if (level && !*r->level)
            (*r->rises)++;
        *r->level = level;
    };
    s.out[0].opaque = &rec;
    s.out[1] = ioapic_line(&io, 2);         // e.g. the PIT: PIC IRQ 0 and I/O APIC pin 2
    irq_line l = irq_split_line(&s);
    rte(2, 0x30, 0);
    irq_set(&l, true);
    irq_set(&l, false);
    irq_set(&l, true);
    EXPECT_EQ(other_rises, 2);
    EXPECT_EQ(msgs.size(), 2u);
    EXPECT_EQ(msgs[1].vector, 0x30);
}

TEST_F(IoApic, OutOfRangePinIgnored) {
    pin(24, true);
    pin(-1, true);
    EXPECT_TRUE(msgs.empty());
    EXPECT_EQ(io.pin_level, 0u);
}

} // namespace
