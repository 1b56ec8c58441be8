// test_apic_bus.cc — IPIs through the ICR and message routing on the APIC bus (SDM Vol. 3 10.6.1
// ICR fields, 10.6.2 destinations, 10.6.2.4 lowest priority, 10.12.9-10 x2APIC): every delivery
// mode, shorthand and destination mode, logical flat and cluster matching, the lowest-priority
// choice, and what a hardware-disabled APIC receives (nothing).
#include <gtest/gtest.h>

#include "tests/unit/test_apic_harness.h"

using apictest::Rig;

namespace {

// ICR low fields
constexpr uint32_t FIXED = 0 << 8, LOWEST = 1 << 8, SMI = 2 << 8, NMI = 4 << 8, INIT = 5 << 8,
                   SIPI = 6 << 8, LOGICAL = 1 << 11, ASSERT = 1 << 14, LEVEL = 1 << 15,
                   SH_SELF = 1 << 18, SH_ALL = 2 << 18, SH_OTHERS = 3 << 18;

struct BusRig : Rig {
    explicit BusRig(int n) : Rig(n)
    {
        wake_all();
        enable_all();
    }
    void ipi(int from, uint32_t lo, uint32_t dest)
    {
        wr(from, LAPIC_ICR_HI, dest << 24);
        wr(from, LAPIC_ICR_LO, lo);
    }
    // Which APICs have vector v requested, as a bit mask by index; clears them.
    unsigned who(unsigned v)
    {
        unsigned m = 0;
        for (size_t k = 0; k < apics.size(); k++)
            if (irr((int)k, v)) {
                m |= 1u << k;
                L((int)k)->irr[v >> 5] &= ~(1u << (v & 31));
                L((int)k)->irr_sum = 0;
                for (int w = 0; w < 8; w++)
                    if (L((int)k)->irr[w])
                        L((int)k)->irr_sum |= (uint8_t)(1u << w);
            }
        return m;
    }
};

}  // namespace

TEST(ApicBus, PhysicalDestinationsAndBroadcast)
{
    BusRig r(4);
    r.ipi(0, FIXED | ASSERT | 0x50, 2);
    EXPECT_EQ(r.who(0x50), 0x4u);
    r.ipi(3, FIXED | ASSERT | 0x50, 0xff);            // broadcast includes the sender
    EXPECT_EQ(r.who(0x50), 0xfu);
    r.ipi(0, FIXED | ASSERT | 0x50, 7);               // nobody has id 7
    EXPECT_EQ(r.who(0x50), 0u);
    EXPECT_EQ(r.ab.undelivered, 1u);
    r.wr(1, LAPIC_ID, 0x09000000);                    // a rewritten xAPIC id is matched
    r.ipi(0, FIXED | ASSERT | 0x50, 9);
    EXPECT_EQ(r.who(0x50), 0x2u);
    EXPECT_EQ(r.rd(0, LAPIC_ICR_LO) & LAPIC_DS, 0u);  // delivery is instant: always idle
}

TEST(ApicBus, Shorthands)
{
    BusRig r(4);
    r.ipi(1, FIXED | ASSERT | SH_SELF | 0x60, 3);     // destination field ignored
    EXPECT_EQ(r.who(0x60), 0x2u);
    r.ipi(1, FIXED | ASSERT | SH_ALL | 0x60, 0);
    EXPECT_EQ(r.who(0x60), 0xfu);
    r.ipi(1, FIXED | ASSERT | SH_OTHERS | 0x60, 0);
    EXPECT_EQ(r.who(0x60), 0xdu);
}

TEST(ApicBus, LogicalFlat)
{
    BusRig r(4);
    for (int k = 0; k < 4; k++)
        r.wr(k, LAPIC_LDR, (1u << k) << 24);
    r.ipi(0, FIXED | ASSERT | LOGICAL | 0x70, 0x5);
    EXPECT_EQ(r.who(0x70), 0x5u);
    r.ipi(0, FIXED | ASSERT | LOGICAL | 0x70, 0x0);
    EXPECT_EQ(r.who(0x70), 0u);
    r.ipi(0, FIXED | ASSERT | LOGICAL | 0x70, 0xff);
    EXPECT_EQ(r.who(0x70), 0xfu);
}

TEST(ApicBus, LogicalCluster)
{
    BusRig r(4);
    const uint32_t ldr[4] = { 0x11, 0x12, 0x21, 0x22 };   // cluster 1 and 2, members 1 and 2
    for (int k = 0; k < 4; k++) {
        r.wr(k, LAPIC_DFR, 0x0fffffff);
        r.wr(k, LAPIC_LDR, ldr[k] << 24);
    }
    r.ipi(0, FIXED | ASSERT | LOGICAL | 0x71, 0x13);
    EXPECT_EQ(r.who(0x71), 0x3u);
    r.ipi(0, FIXED | ASSERT | LOGICAL | 0x71, 0x22);
    EXPECT_EQ(r.who(0x71), 0x8u);
    r.ipi(0, FIXED | ASSERT | LOGICAL | 0x71, 0xf1);      // member 1 of every cluster
    EXPECT_EQ(r.who(0x71), 0x5u);
    r.ipi(0, FIXED | ASSERT | LOGICAL | 0x71, 0x31);      // no cluster 3
    EXPECT_EQ(r.who(0x71), 0u);
}

TEST(ApicBus, X2apicPhysicalAndCluster)
{
    BusRig r(18);
    for (int k = 0; k < 18; k++)
        ASSERT_TRUE(lapic_write_apic_base(r.L(k), r.C(k)->msr.apic_base | APIC_BASE_EXTD));
    auto send = [&](uint32_t lo, uint32_t dest) {
        ASSERT_TRUE(lapic_msr_write(r.L(0), 0x830, (uint64_t)dest << 32 | lo));
    };
    send(FIXED | ASSERT | 0x72, 17);
    EXPECT_EQ(r.who(0x72), 1u << 17);
    send(FIXED | ASSERT | 0x72, 0xffffffffu);
    EXPECT_EQ(r.who(0x72), 0x3ffffu);
    send(FIXED | ASSERT | 0x72, 0xff);                    // not a broadcast in x2APIC
    EXPECT_EQ(r.who(0x72), 0u);
    send(FIXED | ASSERT | LOGICAL | 0x72, 0x00010002);    // cluster 1, bit 1: x2APIC id 17
    EXPECT_EQ(r.who(0x72), 1u << 17);
    send(FIXED | ASSERT | LOGICAL | 0x72, 0x0000000f);    // cluster 0, ids 0-3
    EXPECT_EQ(r.who(0x72), 0xfu);
    // an 8-bit (I/O APIC) physical broadcast still reaches every x2APIC
    struct apic_msg m = { 0xff, 0x73, APIC_DM_FIXED, APIC_SH_NONE, false, false, true, false, -1 };
    apic_bus_send(&r.ab, &m);
    EXPECT_EQ(r.who(0x73), 0x3ffffu);
}

TEST(ApicBus, LowestPriorityPicksTheLowestPprTiesToTheLowestIndex)
{
    BusRig r(4);
    const uint32_t tpr[4] = { 0x20, 0x10, 0x10, 0x30 };
    for (int k = 0; k < 4; k++)
        r.wr(k, LAPIC_TPR, tpr[k]);
    r.ipi(0, LOWEST | ASSERT | 0x80, 0xff);
    EXPECT_EQ(r.who(0x80), 0x2u);
    r.wr(1, LAPIC_TPR, 0x40);
    r.ipi(0, LOWEST | ASSERT | 0x80, 0xff);
    EXPECT_EQ(r.who(0x80), 0x4u);
    // among a logical subset only
    for (int k = 0; k < 4; k++)
        r.wr(k, LAPIC_LDR, (1u << k) << 24);
    r.ipi(0, LOWEST | ASSERT | LOGICAL | 0x80, 0x9);      // APICs 0 (PPR 20h) and 3 (30h)
    EXPECT_EQ(r.who(0x80), 0x1u);
    // a software-disabled APIC is not a candidate
    r.wr(0, LAPIC_SVR, 0xff);
    r.ipi(1, LOWEST | ASSERT | LOGICAL | 0x80, 0x9);
    EXPECT_EQ(r.who(0x80), 0x8u);
    // an in-service interrupt raises the PPR
    struct lapic *sel[4] = { r.L(1), r.L(2) };
    lapic_accept(r.L(2), 0x90, false);
    lapic_irq_ack(r.L(2));                                // PPR of APIC 2: 90h
    EXPECT_EQ(apic_bus_lowest(sel, 2), r.L(1));           // APIC 1: PPR 40h
}

TEST(ApicBus, DeliveryModesNmiSmiLevelAndReserved)
{
    BusRig r(2);
    r.ipi(0, NMI | ASSERT, 1);
    EXPECT_TRUE(r.C(1)->nmi_pending);
    EXPECT_FALSE(r.C(0)->nmi_pending);
    r.ipi(0, SMI | ASSERT, 1);
    EXPECT_EQ(r.L(1)->smi_count, 1u);
    r.ipi(0, FIXED | ASSERT | LEVEL | 0x91, 1);           // level-triggered fixed: TMR set
    EXPECT_TRUE(r.irr(1, 0x91));
    EXPECT_TRUE(r.L(1)->tmr[0x91 >> 5] & (1u << (0x91 & 31)));
    r.ipi(0, (3u << 8) | ASSERT | 0x92, 1);               // reserved delivery mode: nothing
    EXPECT_FALSE(r.irr(1, 0x92));
    uint64_t undelivered = r.ab.undelivered;
    r.ipi(0, (7u << 8) | ASSERT | 0x93, 1);               // ExtINT: only through LINT0
    EXPECT_FALSE(r.irr(1, 0x93));
    EXPECT_EQ(r.ab.undelivered, undelivered + 1);
    EXPECT_EQ(r.L(0)->ipis_sent, 4u);
}

TEST(ApicBus, InitAndStartupThroughTheIcr)
{
    BusRig r(3);
    r.wr(1, LAPIC_TPR, 0x40);
    r.ipi(0, INIT | ASSERT | LEVEL, 1);                   // INIT assert
    EXPECT_TRUE(r.C(1)->wait_sipi);
    EXPECT_TRUE(r.C(1)->halted);
    EXPECT_EQ(r.rd(1, LAPIC_TPR), 0u);                    // the APIC was reset...
    EXPECT_EQ(r.rd(1, LAPIC_ID), 1u << 24);               // ...except its id
    EXPECT_EQ(r.rd(1, LAPIC_SVR), 0xffu);
    r.ipi(0, INIT | LEVEL, 0xff);                         // INIT level de-assert: no effect
    EXPECT_FALSE(r.C(2)->wait_sipi);
    r.ipi(0, FIXED | ASSERT | 0x50, 1);                   // ignored while waiting for SIPI
    r.ipi(0, NMI | ASSERT, 1);
    EXPECT_FALSE(r.C(1)->nmi_pending);
    r.ipi(0, SIPI | ASSERT | 0x9a, 1);
    EXPECT_FALSE(r.C(1)->wait_sipi);
    EXPECT_EQ(r.C(1)->seg[SEG_CS].sel, 0x9a00u);
    EXPECT_EQ(r.C(1)->seg[SEG_CS].base, 0x9a000u);
    EXPECT_EQ(r.C(1)->rip, 0u);
    r.ipi(0, SIPI | ASSERT | 0x10, 1);                    // second SIPI: not waiting, ignored
    EXPECT_EQ(r.C(1)->seg[SEG_CS].base, 0x9a000u);
    r.ipi(0, SIPI | ASSERT | 0x10, 2);                    // running processor: ignored
    EXPECT_EQ(r.C(2)->seg[SEG_CS].base, 0xffff0000u);
}

TEST(ApicBus, HardwareDisabledApicReceivesNothing)
{
    BusRig r(2);
    ASSERT_TRUE(lapic_write_apic_base(r.L(1), 0xfee00000));   // EN = 0
    r.ipi(0, FIXED | ASSERT | 0x50, 0xff);
    r.ipi(0, NMI | ASSERT, 1);
    EXPECT_EQ(r.who(0x50), 0x1u);
    EXPECT_FALSE(r.C(1)->nmi_pending);
}

static std::vector<int> g_eoi2;
TEST(ApicBus, EoiListenersAndIoapicStyleMessages)
{
    BusRig r(2);
    g_eoi2.clear();
    apic_bus_add_eoi(&r.ab, [](void *, uint8_t v) { g_eoi2.push_back(v); }, nullptr);
    apic_bus_add_eoi(&r.ab, [](void *, uint8_t v) { g_eoi2.push_back(v + 1000); }, nullptr);
    struct apic_msg m = { 1, 0xa1, APIC_DM_FIXED, APIC_SH_NONE, false, true, true, false, -1 };
    apic_send_fn send = apic_bus_send;
    send(&r.ab, &m);                                      // as an I/O APIC level entry sends it
    EXPECT_TRUE(r.irr(1, 0xa1));
    EXPECT_EQ(lapic_irq_ack(r.L(1)), 0xa1);
    r.wr(1, LAPIC_EOI, 0);
    EXPECT_EQ(g_eoi2, std::vector<int>({ 0xa1, 0xa1 + 1000 }));
}
