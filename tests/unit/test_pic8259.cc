// test_pic8259.cc — the 8259A pair against the Intel 8259A datasheet: the PC initialisation
// sequence (ICW1=0x11, ICW2=0x08/0x70, ICW3=0x04/0x02, ICW4=0x01), IMR masking, fully nested
// priority and EOI order, the slave cascaded on IR2, spurious IR7/IR15, edge vs level (PIIX ELCR),
// auto-EOI, rotation, special mask mode and the poll command.
#include <gtest/gtest.h>

#include "devices/pic8259.h"
#include "sim/bus.h"

namespace {

class Pic : public ::testing::Test {
protected:
    pic8259 p{};
    irq_source src{};
    void SetUp() override {
        pic8259_init(&p);
        src = pic8259_irq_source(&p);
    }
    // The PC BIOS / Linux sequence: vectors 0x08 and 0x70, slave on IR2, 8086 mode.
    void init_pc(uint8_t icw4 = 0x01) {
        wr(0, 0, 0x11); wr(0, 1, 0x08); wr(0, 1, 0x04); wr(0, 1, icw4);
        wr(1, 0, 0x11); wr(1, 1, 0x70); wr(1, 1, 0x02); wr(1, 1, icw4);
    }
    void wr(int chip, int a0, uint8_t v) { pic8259_write(&p, chip, a0, v); }
    uint8_t rd(int chip, int a0) { return pic8259_read(&p, chip, a0); }
    uint8_t isr(int chip) { wr(chip, 0, 0x0B); return rd(chip, 0); }   // OCW3 RR=1 RIS=1
    uint8_t irr(int chip) { wr(chip, 0, 0x0A); return rd(chip, 0); }   // OCW3 RR=1 RIS=0
    void irq(int line, bool level) { pic8259_set_irq(&p, line, level); }
    bool pending() { return src.pending(src.opaque); }
    uint8_t ack() { return src.ack(src.opaque); }
    void eoi(int chip) { wr(chip, 0, 0x20); }                          // OCW2 non-specific EOI
};

TEST_F(Pic, PcInitSequenceDeliversVectorBases) {
    init_pc();
    EXPECT_EQ(rd(0, 1), 0x00);          // ICW1 clears IMR
    EXPECT_EQ(rd(0, 0), 0x00);          // status read defaults to IRR
    irq(0, true);
    EXPECT_TRUE(pending());
    EXPECT_EQ(rd(0, 0), 0x01);
    EXPECT_EQ(ack(), 0x08);
    EXPECT_FALSE(pending());
    EXPECT_EQ(isr(0), 0x01);
    EXPECT_EQ(irr(0), 0x00);            // edge request cleared by INTA though the line stays high
    eoi(0);
    EXPECT_EQ(isr(0), 0x00);
    EXPECT_FALSE(pending());            // edge: no new request without a new rising edge
    irq(0, false);
    irq(0, true);
    EXPECT_TRUE(pending());
    EXPECT_EQ(ack(), 0x08);
}

TEST_F(Pic, InitThroughThePortsAndWideAccesses) {
    bus b{};
    ASSERT_EQ(bus_init(&b, 1 << 20), 0);
    ASSERT_EQ(pic8259_map(&p, &b), 0);
    bus_out(&b, 0x20, 0x11, 1); bus_out(&b, 0x21, 0x20, 1); bus_out(&b, 0x21, 0x04, 1);
    bus_out(&b, 0x21, 0x01, 1);
    bus_out(&b, 0xA0, 0x11, 1); bus_out(&b, 0xA1, 0x28, 1); bus_out(&b, 0xA1, 0x02, 1);
    bus_out(&b, 0xA1, 0x01, 1);
    bus_out(&b, 0x21, 0xFB, 1);
    bus_out(&b, 0xA1, 0xFF, 1);
    EXPECT_EQ(bus_in(&b, 0x21, 1), 0xFBu);
    EXPECT_EQ(bus_in(&b, 0xA1, 1), 0xFFu);
    EXPECT_EQ(bus_in(&b, 0x20, 2), 0xFB00u);     // byte lanes: IRR (0) then IMR
    bus_out(&b, 0x4D0, 0xFFFF, 2);               // ELCR: IRQ 0-2, 8, 13 are edge only
    EXPECT_EQ(bus_in(&b, 0x4D0, 1), 0xF8u);
    EXPECT_EQ(bus_in(&b, 0x4D1, 1), 0xDEu);
    irq(1, true);
    EXPECT_FALSE(pending());                     // IMR 0xFB masks IRQ1
    bus_out(&b, 0x21, 0xF9, 1);
    EXPECT_TRUE(pending());
    EXPECT_EQ(ack(), 0x21);
    bus_destroy(&b);
}

TEST_F(Pic, MaskingHoldsTheRequestInIrr) {
    init_pc();
    wr(0, 1, 0x08);                     // mask IRQ3
    irq(3, true);
    EXPECT_FALSE(pending());
    EXPECT_EQ(irr(0), 0x08);
    wr(0, 1, 0x00);
    EXPECT_TRUE(pending());
    EXPECT_EQ(ack(), 0x0B);
}

TEST_F(Pic, FullyNestedPriorityAndEoiOrder) {
    init_pc();
    irq(5, true);
    irq(3, true);
    EXPECT_EQ(ack(), 0x0B);             // IR3 before IR5
    EXPECT_FALSE(pending());            // IR5 is lower than the in-service IR3
    irq(1, true);
    EXPECT_TRUE(pending());             // IR1 is higher: nests
    EXPECT_EQ(ack(), 0x09);
    EXPECT_EQ(isr(0), 0x0A);
    eoi(0);                             // clears the highest in-service level, IR1
    EXPECT_EQ(isr(0), 0x08);
    EXPECT_FALSE(pending());
    eoi(0);
    EXPECT_EQ(isr(0), 0x00);
    EXPECT_TRUE(pending());
    EXPECT_EQ(ack(), 0x0D);
    wr(0, 0, 0x65);                     // specific EOI for level 5
    EXPECT_EQ(isr(0), 0x00);
}

TEST_F(Pic, SlaveInterruptThroughIr2) {
    init_pc();
    irq(10, true);
    EXPECT_EQ(irr(1), 0x04);
    EXPECT_EQ(irr(0), 0x04);            // slave INT on the master's IR2
    EXPECT_TRUE(pending());
    EXPECT_EQ(ack(), 0x72);             // 0x70 + 2
    EXPECT_EQ(isr(0), 0x04);
    EXPECT_EQ(isr(1), 0x04);
    irq(14, true);                      // lower on the slave: blocked
    EXPECT_FALSE(pending());
    irq(9, true);                       // higher on the slave, but the master's IR2 is in service
    EXPECT_FALSE(pending());
    eoi(1);
    EXPECT_FALSE(pending());            // master still has IR2 in service
    eoi(0);
    EXPECT_TRUE(pending());
    EXPECT_EQ(ack(), 0x71);
    eoi(1); eoi(0);
    EXPECT_EQ(ack(), 0x76);
    eoi(1); eoi(0);
    EXPECT_FALSE(pending());
    // A master IR0 outranks the cascade; a masked slave line never reaches the master.
    wr(1, 1, 0x01);
    irq(8, false); irq(8, true);
    EXPECT_FALSE(pending());
    irq(0, true);
    EXPECT_EQ(ack(), 0x08);
}

TEST_F(Pic, SpuriousIr7WhenTheRequestVanishes) {
    init_pc();
    irq(3, true);
    EXPECT_TRUE(pending());
    irq(3, false);                      // dropped before INTA: request gone (edge mode too)
    EXPECT_EQ(irr(0), 0x00);
    EXPECT_EQ(ack(), 0x0F);             // default IR7
    EXPECT_EQ(isr(0), 0x00);            // no ISR bit for a spurious interrupt
    EXPECT_EQ(p.spurious[0], 1u);
    // A real IR7 sets its ISR bit: that is how a handler tells the two apart.
    irq(7, true);
    EXPECT_EQ(ack(), 0x0F);
    EXPECT_EQ(isr(0), 0x80);
}

TEST_F(Pic, SpuriousIr15SetsTheMastersIr2) {
    init_pc();
    // The master latched its IR2 request, then the slave's request vanished before the slave's
    // part of INTA (a race the atomic CPU interface cannot produce; set it up directly).
    p.chip[0].irr |= 0x04;
    EXPECT_EQ(ack(), 0x77);             // the slave's IR7: IRQ 15
    EXPECT_EQ(isr(1), 0x00);
    EXPECT_EQ(isr(0), 0x04);            // the master still needs its EOI
    EXPECT_EQ(p.spurious[1], 1u);
}

TEST_F(Pic, LevelTriggeredLinesRequestWhileHigh) {
    init_pc();
    {
        bus b{};
        ASSERT_EQ(bus_init(&b, 1 << 20), 0);
        ASSERT_EQ(pic8259_map(&p, &b), 0);
        bus_out(&b, 0x4D1, 0x04, 1);    // IRQ10 level-triggered
        bus_destroy(&b);
    }
    irq(10, true);
    EXPECT_EQ(ack(), 0x72);
    eoi(1); eoi(0);
    EXPECT_TRUE(pending());             // still high: requests again
    EXPECT_EQ(ack(), 0x72);
    irq(10, false);
    eoi(1); eoi(0);
    EXPECT_FALSE(pending());
    EXPECT_EQ(irr(1), 0x00);
    // The same on an edge-triggered line: one interrupt per rising edge.
    irq(11, true);
    EXPECT_EQ(ack(), 0x73);
    eoi(1); eoi(0);
    EXPECT_FALSE(pending());
    // ICW1 LTIM makes every line of that chip level-triggered (8259A).
    wr(0, 0, 0x19); wr(0, 1, 0x08); wr(0, 1, 0x04); wr(0, 1, 0x01);
    irq(4, true);
    EXPECT_EQ(ack(), 0x0C);
    eoi(0);
    EXPECT_EQ(ack(), 0x0C);
}

TEST_F(Pic, AutoEoiLeavesIsrClear) {
    init_pc(0x03);                      // ICW4 AEOI
    irq(3, true);
    irq(5, true);
    EXPECT_EQ(ack(), 0x0B);
    EXPECT_EQ(isr(0), 0x00);
    EXPECT_TRUE(pending());             // nothing in service: IR5 goes at once
    EXPECT_EQ(ack(), 0x0D);
    // Rotate in AEOI mode (OCW2 0x80): the serviced line becomes the lowest priority.
    wr(0, 0, 0x80);
    irq(1, false); irq(1, true);
    EXPECT_EQ(ack(), 0x09);             // priority now 2,3,...,7,0,1
    irq(0, false); irq(0, true);
    irq(3, false); irq(3, true);
    EXPECT_EQ(ack(), 0x0B);             // IR3 outranks IR0 after rotation
    EXPECT_EQ(ack(), 0x08);             // then (rotation makes IR4 highest) IR0
    wr(0, 0, 0x00);                     // rotate in AEOI: clear
    irq(0, false); irq(0, true);
    irq(6, false); irq(6, true);
    EXPECT_EQ(ack(), 0x0E);             // priority 1,2,...: IR6 first, no further rotation
    EXPECT_EQ(ack(), 0x08);
}

TEST_F(Pic, RotationCommands) {
    init_pc();
    wr(0, 0, 0xC4);                     // set priority: IR4 lowest, IR5 highest
    irq(1, true);
    irq(6, true);
    EXPECT_EQ(ack(), 0x0E);
    wr(0, 0, 0xA0);                     // rotate on non-specific EOI: IR6 lowest, IR7 highest
    EXPECT_EQ(isr(0), 0x00);
    irq(7, true);
    EXPECT_EQ(ack(), 0x0F);
    EXPECT_EQ(isr(0), 0x80);
    wr(0, 0, 0xE7);                     // rotate on specific EOI 7: IR0 highest again
    EXPECT_EQ(isr(0), 0x00);
    irq(0, true);
    EXPECT_EQ(ack(), 0x08);
    eoi(0);
    EXPECT_EQ(ack(), 0x09);
}

TEST_F(Pic, SpecialMaskModeEnablesLowerLevels) {
    init_pc();
    irq(1, true);
    EXPECT_EQ(ack(), 0x09);
    irq(5, true);
    EXPECT_FALSE(pending());
    wr(0, 0, 0x68);                     // OCW3 ESMM SMM: set special mask mode
    wr(0, 1, 0x02);                     // mask the level in service
    EXPECT_TRUE(pending());
    EXPECT_EQ(ack(), 0x0D);
    EXPECT_EQ(isr(0), 0x22);
    wr(0, 0, 0x48);                     // reset special mask mode: IR1 in service inhibits
    wr(0, 1, 0x00);
    irq(6, true);
    EXPECT_FALSE(pending());
}

TEST_F(Pic, PollCommand) {
    init_pc();
    wr(0, 1, 0xFF);                     // a masked request is not reported by a poll
    irq(3, true);
    wr(0, 0, 0x0C);
    EXPECT_EQ(rd(0, 0), 0x00);
    wr(0, 1, 0x00);
    wr(0, 0, 0x0C);
    EXPECT_EQ(rd(0, 0), 0x83);          // I=1, W=3
    EXPECT_EQ(isr(0), 0x08);            // the poll read acted as INTA
    EXPECT_EQ(irr(0), 0x00);
    wr(0, 0, 0x0C);
    EXPECT_EQ(rd(0, 0), 0x00);          // nothing left
    EXPECT_EQ(rd(0, 1), 0x00);          // poll is one read only: IMR reads normally
}

TEST_F(Pic, Icw1ResetsEdgeSenseAndState) {
    init_pc();
    irq(4, true);
    EXPECT_EQ(ack(), 0x0C);
    wr(0, 1, 0x55);
    init_pc();
    EXPECT_EQ(rd(0, 1), 0x00);
    EXPECT_EQ(isr(0), 0x00);
    EXPECT_FALSE(pending());            // IR4 still high, but needs a new rising edge
    irq(4, false); irq(4, true);
    EXPECT_EQ(ack(), 0x0C);
}

TEST_F(Pic, CascadeInputAndOutOfRangeLinesIgnored) {
    init_pc();
    irq(2, true);
    irq(16, true);
    irq(-1, true);
    EXPECT_FALSE(pending());
    EXPECT_EQ(p.ignored, 3u);
    irq_line l = pic8259_line(&p, 12);
    irq_set(&l, true);
    EXPECT_EQ(ack(), 0x74);
}

}  // namespace
