// test_lapic.cc — the local APIC's registers and interrupt logic against the SDM (Vol. 3 chapter
// 10): power-up values (10.4.7.1), TPR/PPR/APR arbitration (10.8.3.1, 10.6.2.4, hand-computed),
// INTA and the spurious vector (10.9), EOI and the EOI broadcast rules (10.8.5), ESR (10.5.3),
// software disable (10.4.7.2), MMIO access rules, x2APIC MSR rules (10.12.1) and the
// IA32_APIC_BASE mode transitions (10.12.5).
#include <gtest/gtest.h>

#include <vector>

#include "tests/unit/test_apic_harness.h"

// from cpu/sys_ctl.h (C only: it includes _Noreturn declarations)
extern "C" void sys_cpuid(const struct cpu *c, uint32_t leaf, uint32_t sub, uint32_t out[4]);
extern "C" void sys_write_cr8(struct cpu *c, uint64_t v);

using apictest::Rig;

TEST(Lapic, PowerUpValues)
{
    Rig r(2);
    EXPECT_EQ(r.rd(0, LAPIC_VER), 0x01060014u);     // version 14h, max LVT 6, EOI suppression
    EXPECT_EQ(r.rd(1, LAPIC_ID), 1u << 24);
    EXPECT_EQ(r.rd(0, LAPIC_DFR), 0xffffffffu);
    EXPECT_EQ(r.rd(0, LAPIC_SVR), 0xffu);             // software-disabled, vector FFh
    for (unsigned reg : { 0x2f0u, 0x320u, 0x330u, 0x340u, 0x350u, 0x360u, 0x370u })
        EXPECT_EQ(r.rd(0, reg), 0x10000u) << std::hex << reg;
    EXPECT_EQ(r.rd(0, LAPIC_TPR), 0u);
    EXPECT_EQ(r.rd(0, LAPIC_LDR), 0u);
    EXPECT_EQ(r.C(0)->msr.apic_base, 0xfee00900u);    // EN | BSP
    EXPECT_EQ(r.C(1)->msr.apic_base, 0xfee00800u);    // EN only
    EXPECT_EQ(r.L(0)->mode, LAPIC_MODE_XAPIC);
}

// (TPR, ISR vector or 0, IRR vector) -> PPR, APR, whether the IRR vector is deliverable.
struct PrioCase { uint32_t tpr; unsigned isr, irr; uint32_t ppr, apr; bool pending; };

TEST(Lapic, PriorityArbitration)
{
    const PrioCase cases[] = {
        { 0x00, 0, 0x31, 0x00, 0x30, true },     // PPR 0; APR = IRRV class
        { 0x30, 0, 0x31, 0x30, 0x30, false },    // class 3 not above TPR class 3
        { 0x2f, 0, 0x31, 0x2f, 0x30, true },     // 3 > 2
        { 0x00, 0x45, 0x41, 0x40, 0x40, false }, // ISR class 4 blocks class 4
        { 0x00, 0x45, 0x51, 0x40, 0x50, true },  // class 5 above ISR class 4
        { 0x52, 0x45, 0x61, 0x52, 0x60, true },  // TPR 5 >= ISRV 4: PPR = TPR
        { 0x42, 0x45, 0x51, 0x42, 0x50, true },  // TPR 4 >= ISRV 4: PPR = TPR (all 8 bits)
        { 0x32, 0x45, 0x51, 0x40, 0x50, true },  // TPR 3 < ISRV 4: PPR = 40h
        { 0x40, 0x21, 0x31, 0x40, 0x40, false }, // APR = TPR: 4 >= 3 and 4 > 2
    };
    for (const PrioCase &pc : cases) {
        Rig r(1);
        r.enable(0);
        struct lapic *l = r.L(0);
        if (pc.isr) {
            ASSERT_TRUE(lapic_accept(l, (uint8_t)pc.isr, false));
            ASSERT_EQ(lapic_irq_ack(l), pc.isr);
        }
        r.wr(0, LAPIC_TPR, pc.tpr);
        ASSERT_TRUE(lapic_accept(l, (uint8_t)pc.irr, false));
        EXPECT_EQ(r.rd(0, LAPIC_PPR), pc.ppr) << std::hex << pc.tpr << " " << pc.isr;
        EXPECT_EQ(r.rd(0, LAPIC_APR), pc.apr) << std::hex << pc.tpr << " " << pc.isr;
        EXPECT_EQ(lapic_irq_pending(l), pc.pending) << std::hex << pc.tpr << " " << pc.isr;
    }
}

TEST(Lapic, InterruptsNestByPriorityClassAndEoiClearsTheHighestIsrBit)
{
    Rig r(1);
    r.enable(0);
    struct lapic *l = r.L(0);
    for (uint8_t v : { 0x31, 0x55, 0x40, 0x57 })
        lapic_accept(l, v, false);
    EXPECT_EQ(r.rd(0, LAPIC_IRR + 0x10), (1u << (0x31 - 32)));
    EXPECT_EQ(lapic_irq_ack(l), 0x57);
    EXPECT_FALSE(lapic_irq_pending(l));               // 55h is class 5 = ISR class 5
    r.wr(0, LAPIC_EOI, 0);
    EXPECT_FALSE(r.isr(0, 0x57));
    EXPECT_EQ(lapic_irq_ack(l), 0x55);
    EXPECT_FALSE(lapic_irq_pending(l));               // 40h below ISR class 5
    r.wr(0, LAPIC_TPR, 0);
    r.wr(0, LAPIC_EOI, 0);
    EXPECT_EQ(lapic_irq_ack(l), 0x40);
    EXPECT_EQ(lapic_irq_ack(l), 0xff);                // 31h is class 3 < ISR class 4: spurious
    EXPECT_TRUE(r.irr(0, 0x31));
    r.wr(0, LAPIC_EOI, 0);
    EXPECT_EQ(lapic_irq_ack(l), 0x31);
    r.wr(0, LAPIC_EOI, 0);
    EXPECT_EQ(lapic_highest_isr(l), -1);
    r.wr(0, LAPIC_EOI, 0);                            // EOI with an empty ISR: no effect
    EXPECT_EQ(l->spurious_count, 1u);
}

TEST(Lapic, SpuriousVectorWhenTprRisesBeforeInta)
{
    Rig r(1);
    r.wr(0, LAPIC_SVR, 0x1ef);
    lapic_accept(r.L(0), 0x61, false);
    EXPECT_TRUE(lapic_irq_pending(r.L(0)));
    r.wr(0, LAPIC_TPR, 0x70);                         // masks it between INTR and INTA
    EXPECT_EQ(lapic_irq_ack(r.L(0)), 0xef);
    EXPECT_TRUE(r.irr(0, 0x61));                      // still requested
    EXPECT_EQ(lapic_highest_isr(r.L(0)), -1);         // nothing in service
}

TEST(Lapic, TprIsCr8)
{
    Rig r(1);
    r.wr(0, LAPIC_TPR, 0x5a);
    EXPECT_EQ(r.C(0)->cr8, 5u);
    lapic_write_cr8(r.L(0), 3);
    EXPECT_EQ(r.rd(0, LAPIC_TPR), 0x30u);
    sys_write_cr8(r.C(0), 9);                         // MOV to CR8's checked write
    EXPECT_EQ(r.rd(0, LAPIC_TPR), 0x90u);
}

TEST(Lapic, IllegalVectorsSetTheErrorStatusRegister)
{
    Rig r(1);
    r.enable(0);
    EXPECT_FALSE(lapic_accept(r.L(0), 5, false));
    EXPECT_EQ(lapic_highest_irr(r.L(0)), -1);
    EXPECT_EQ(r.rd(0, LAPIC_ESR), 0u);                // not visible before an ESR write
    r.wr(0, LAPIC_ESR, 0);
    EXPECT_EQ(r.rd(0, LAPIC_ESR), 0x40u);             // receive illegal vector
    r.wr(0, LAPIC_ESR, 0);
    EXPECT_EQ(r.rd(0, LAPIC_ESR), 0u);                // cleared by the next write
    r.wr(0, LAPIC_ICR_LO, 0x000c0003);                // fixed vector 3, all excluding self
    r.wr(0, LAPIC_ESR, 0);
    EXPECT_EQ(r.rd(0, LAPIC_ESR), 0x20u);             // send illegal vector
}

TEST(Lapic, ErrorInterruptWhenAnErrorIsDetected)
{
    Rig r(1);
    r.enable(0);
    r.wr(0, LAPIC_LVT_ERROR, 0xe3);
    lapic_accept(r.L(0), 2, false);
    EXPECT_TRUE(r.irr(0, 0xe3));
    lapic_irq_ack(r.L(0));
    r.wr(0, LAPIC_EOI, 0);
    lapic_accept(r.L(0), 3, false);                   // same error bit again: no new interrupt
    EXPECT_FALSE(r.irr(0, 0xe3));
}

static std::vector<int> g_eois;
static void eoi_listener(void *, uint8_t v) { g_eois.push_back(v); }

TEST(Lapic, EoiBroadcastOnlyForLevelTriggeredUnlessSuppressed)
{
    Rig r(1);
    r.enable(0);
    g_eois.clear();
    ASSERT_EQ(apic_bus_add_eoi(&r.ab, eoi_listener, nullptr), 0);
    lapic_accept(r.L(0), 0x61, true);
    EXPECT_TRUE(r.L(0)->tmr[3] & (1u << 1));
    EXPECT_EQ(r.rd(0, LAPIC_TMR + 0x30), 2u);
    lapic_irq_ack(r.L(0));
    r.wr(0, LAPIC_EOI, 0);
    lapic_accept(r.L(0), 0x62, false);                // edge: no broadcast
    lapic_irq_ack(r.L(0));
    r.wr(0, LAPIC_EOI, 0);
    r.wr(0, LAPIC_SVR, 0x11ff);                       // suppress EOI broadcast (directed EOI)
    lapic_accept(r.L(0), 0x63, true);
    lapic_irq_ack(r.L(0));
    r.wr(0, LAPIC_EOI, 0);
    EXPECT_EQ(g_eois, std::vector<int>({ 0x61 }));
}

TEST(Lapic, SoftwareDisableMasksLvtsAndDiscardsFixedButTakesNmi)
{
    Rig r(1);
    r.enable(0);
    r.wr(0, LAPIC_LVT_LINT0, 0x700);
    EXPECT_EQ(r.rd(0, LAPIC_LVT_LINT0), 0x700u);
    r.wr(0, LAPIC_SVR, 0x0ff);
    EXPECT_EQ(r.rd(0, LAPIC_LVT_LINT0), 0x10700u);    // mask forced
    r.wr(0, LAPIC_LVT_TIMER, 0x40);
    EXPECT_EQ(r.rd(0, LAPIC_LVT_TIMER), 0x10040u);    // cannot be unmasked
    struct apic_msg m = { 0, 0x40, APIC_DM_FIXED, APIC_SH_NONE, false, false, true, false, -1 };
    lapic_deliver(r.L(0), &m);
    EXPECT_EQ(lapic_highest_irr(r.L(0)), -1);
    m.delmode = APIC_DM_NMI;
    lapic_deliver(r.L(0), &m);
    EXPECT_TRUE(r.C(0)->nmi_pending);
}

TEST(Lapic, VirtualWireLint0ExtIntReachesThePic)
{
    Rig r(1);
    struct Pic { bool req = true; int acks = 0; } pic;
    struct irq_source ext = {
        [](void *o) { return static_cast<Pic *>(o)->req; },
        [](void *o) -> uint8_t { static_cast<Pic *>(o)->acks++; return 0x20; }, &pic };
    lapic_attach(r.L(0), &ext);
    EXPECT_FALSE(lapic_irq_pending(r.L(0)));          // power-up: LINT0 masked
    lapic_bios_virtual_wire(r.L(0));
    EXPECT_TRUE(lapic_irq_pending(r.L(0)));
    r.wr(0, LAPIC_TPR, 0xf0);                         // ExtINT ignores the TPR
    EXPECT_TRUE(lapic_irq_pending(r.L(0)));
    EXPECT_EQ(lapic_irq_ack(r.L(0)), 0x20);
    EXPECT_EQ(lapic_highest_isr(r.L(0)), -1);         // not through the ISR
    // hardware-disabled APIC: LINT0 is the INTR pin directly
    lapic_bios_virtual_wire(r.L(0));
    r.wr(0, LAPIC_LVT_LINT0, 0x10700);
    EXPECT_FALSE(lapic_irq_pending(r.L(0)));
    ASSERT_TRUE(lapic_write_apic_base(r.L(0), 0xfee00100));
    EXPECT_TRUE(lapic_irq_pending(r.L(0)));
    EXPECT_EQ(lapic_irq_ack(r.L(0)), 0x20);
    EXPECT_EQ(pic.acks, 2);
}

TEST(Lapic, MmioAccessSizes)
{
    Rig r(1);
    EXPECT_EQ(lapic_mmio_read(r.L(0), 0x32, 1), 0x06u);       // byte 2 of the version
    EXPECT_EQ(lapic_mmio_read(r.L(0), 0x30, 2), 0x0014u);
    EXPECT_EQ(lapic_mmio_read(r.L(0), 0x30, 8), 0x01060014u); // bytes 4-7 of the slot read 0
    EXPECT_EQ(lapic_mmio_read(r.L(0), 0x34, 4), 0u);
    lapic_mmio_write(r.L(0), 0x80, 0x55, 2);                  // sub-dword write: ignored
    lapic_mmio_write(r.L(0), 0x84, 0x55, 4);                  // not slot-aligned: ignored
    EXPECT_EQ(r.rd(0, LAPIC_TPR), 0u);
    lapic_mmio_write(r.L(0), 0x80, 0xffffff55ull, 4);
    EXPECT_EQ(r.rd(0, LAPIC_TPR), 0x55u);                     // bits 31:8 reserved
    EXPECT_EQ(r.rd(0, 0x40), 0u);                             // reserved offset
    EXPECT_EQ(r.rd(0, LAPIC_SELF_IPI), 0u);                   // x2APIC only
    r.wr(0, LAPIC_ESR, 0);
    EXPECT_EQ(r.rd(0, LAPIC_ESR), 0x80u);                     // illegal register address
    r.wr(0, LAPIC_LDR, 0x12345678);
    EXPECT_EQ(r.rd(0, LAPIC_LDR), 0x12000000u);
    r.wr(0, LAPIC_DFR, 0x0);
    EXPECT_EQ(r.rd(0, LAPIC_DFR), 0x0fffffffu);               // cluster model
    r.wr(0, LAPIC_ID, 0x07000000);
    EXPECT_EQ(r.rd(0, LAPIC_ID), 0x07000000u);
    r.wr(0, LAPIC_VER, 0);
    EXPECT_EQ(r.rd(0, LAPIC_VER), 0x01060014u);               // read-only
}

TEST(Lapic, ModeTransitions)
{
    Rig r(1);
    struct lapic *l = r.L(0);
    const uint64_t bsp = APIC_BASE_BSP | APIC_BASE_DEFAULT;
    r.enable(0);
    r.wr(0, LAPIC_TPR, 0x20);
    EXPECT_FALSE(lapic_write_apic_base(l, bsp | APIC_BASE_EXTD));     // EN=0 EXTD=1: invalid
    ASSERT_TRUE(lapic_write_apic_base(l, bsp | APIC_BASE_EN | APIC_BASE_EXTD));
    EXPECT_EQ(l->mode, LAPIC_MODE_X2APIC);
    uint64_t v;
    ASSERT_TRUE(lapic_msr_read(l, 0x808, &v));
    EXPECT_EQ(v, 0x20u);                              // xAPIC -> x2APIC keeps the state
    EXPECT_FALSE(lapic_write_apic_base(l, bsp | APIC_BASE_EN));       // x2APIC -> xAPIC: #GP
    ASSERT_TRUE(lapic_write_apic_base(l, bsp));                       // -> disabled
    EXPECT_EQ(l->mode, LAPIC_MODE_DISABLED);
    EXPECT_EQ(l->svr, 0xffu);                         // reset state
    EXPECT_EQ(l->tpr, 0u);
    EXPECT_FALSE(lapic_write_apic_base(l, bsp | APIC_BASE_EN | APIC_BASE_EXTD)); // disabled -> x2
    ASSERT_TRUE(lapic_write_apic_base(l, bsp | APIC_BASE_EN));
    EXPECT_EQ(l->mode, LAPIC_MODE_XAPIC);
    EXPECT_EQ(r.C(0)->msr.apic_base, bsp | APIC_BASE_EN);
}

TEST(Lapic, X2apicMsrRules)
{
    Rig r(1);
    struct lapic *l = r.L(0);
    uint64_t v;
    EXPECT_FALSE(lapic_msr_read(l, 0x802, &v));       // not in x2APIC mode: #GP
    l->initial_id = 0x23;
    ASSERT_TRUE(lapic_write_apic_base(l, 0xfee00d00));
    ASSERT_TRUE(lapic_msr_read(l, 0x802, &v));
    EXPECT_EQ(v, 0x23u);                              // 32-bit x2APIC id
    ASSERT_TRUE(lapic_msr_read(l, 0x80d, &v));
    EXPECT_EQ(v, 0x20008u);                           // cluster 2, bit 3
    ASSERT_TRUE(lapic_msr_read(l, 0x803, &v));
    EXPECT_EQ(v, 0x01060014u);
    // reserved MSRs and write-only ones
    for (uint32_t msr : { 0x809u, 0x80bu, 0x80cu, 0x80eu, 0x831u, 0x83fu, 0x800u, 0x840u, 0x8ffu })
        EXPECT_FALSE(lapic_msr_read(l, msr, &v)) << std::hex << msr;
    // read-only ones and reserved bits
    EXPECT_FALSE(lapic_msr_write(l, 0x802, 0));       // ID
    EXPECT_FALSE(lapic_msr_write(l, 0x803, 0));       // version
    EXPECT_FALSE(lapic_msr_write(l, 0x80a, 0));       // PPR
    EXPECT_FALSE(lapic_msr_write(l, 0x80d, 0));       // LDR
    EXPECT_FALSE(lapic_msr_write(l, 0x80e, 0));       // no DFR
    EXPECT_FALSE(lapic_msr_write(l, 0x810, 0));       // ISR
    EXPECT_FALSE(lapic_msr_write(l, 0x839, 0));       // current count
    EXPECT_FALSE(lapic_msr_write(l, 0x808, 0x100));   // TPR bits 31:8
    EXPECT_FALSE(lapic_msr_write(l, 0x80b, 1));       // EOI: non-zero
    EXPECT_FALSE(lapic_msr_write(l, 0x828, 1));       // ESR: non-zero
    EXPECT_FALSE(lapic_msr_write(l, 0x80f, 1ull << 32));
    EXPECT_FALSE(lapic_msr_write(l, 0x80f, 0x2000));  // SVR bit 13
    EXPECT_FALSE(lapic_msr_write(l, 0x83e, 0x4));     // DCR bit 2
    EXPECT_FALSE(lapic_msr_write(l, 0x83f, 0x100));   // SELF IPI bits 31:8
    EXPECT_FALSE(lapic_msr_write(l, 0x830, 0x2000));  // ICR bit 13
    EXPECT_FALSE(lapic_msr_write(l, 0x835, 0x40000)); // LINT0 bit 18
    // valid writes
    EXPECT_TRUE(lapic_msr_write(l, 0x80f, 0x1ff));
    EXPECT_TRUE(lapic_msr_write(l, 0x808, 0x10));
    EXPECT_TRUE(lapic_msr_write(l, 0x83f, 0x50));     // SELF IPI
    EXPECT_TRUE(r.irr(0, 0x50));
    EXPECT_TRUE(lapic_msr_write(l, 0x80b, 0));
    EXPECT_TRUE(lapic_msr_write(l, 0x828, 0));
    ASSERT_TRUE(lapic_msr_read(l, 0x830, &v));
    EXPECT_EQ(v, 0u);
    // xAPIC MMIO is gone in x2APIC mode (the bus serves all ones to this processor)
    EXPECT_EQ(bus_read(&r.m.bus, 0xfee00030, 4), 0xffffffffu);
}

TEST(Lapic, CpuidFollowsTheProcessorAndItsApic)
{
    Rig r(4);
    uint32_t o[4];
    sys_cpuid(r.C(2), 1, 0, o);
    EXPECT_EQ(o[1] >> 24, 2u);                        // initial APIC id
    EXPECT_TRUE(o[3] & (1u << 9));                    // APIC
    EXPECT_TRUE(o[2] & (1u << 21));                   // x2APIC
    EXPECT_TRUE(o[2] & (1u << 24));                   // TSC-deadline
    sys_cpuid(r.C(3), 0xb, 0, o);
    EXPECT_EQ(o[3], 3u);
    EXPECT_EQ(o[2], 0x100u);
    EXPECT_EQ(o[1], 1u);
    sys_cpuid(r.C(3), 0xb, 1, o);
    EXPECT_EQ(o[0], 2u);                              // 4 processors: id >> 2 is the package
    EXPECT_EQ(o[1], 4u);
    EXPECT_EQ(o[2], 0x201u);
    sys_cpuid(r.C(3), 0xb, 2, o);
    EXPECT_EQ(o[2], 2u);                              // level type 0: invalid
    EXPECT_EQ(o[3], 3u);
    sys_cpuid(r.C(1), 6, 0, o);
    EXPECT_TRUE(o[0] & 4);                            // ARAT
    ASSERT_TRUE(lapic_write_apic_base(r.L(1), 0xfee00000));
    sys_cpuid(r.C(1), 1, 0, o);
    EXPECT_FALSE(o[3] & (1u << 9));                   // APIC hardware-disabled
    // a processor without an APIC reports none
    cputest::CpuMachine bare(1 << 20, nullptr, false);
    sys_cpuid(&bare.c, 1, 0, o);
    EXPECT_FALSE(o[3] & (1u << 9));
    EXPECT_FALSE(o[2] & ((1u << 21) | (1u << 24)));
}

TEST(Lapic, RelocationServesEachProcessorItsOwnPage)
{
    Rig r(2);
    struct bus *b = &r.m.bus;
    EXPECT_EQ(b->n_mmio, 1);                          // both APICs at FEE00000h: one region
    r.m.dc.cur = r.C(0);                              // the processor making the accesses
    EXPECT_EQ(bus_read(b, 0xfee00020, 4), 0u);        // APIC 0's ID
    r.m.dc.cur = r.C(1);
    EXPECT_EQ(bus_read(b, 0xfee00020, 4), 1u << 24);  // APIC 1's ID at the same address
    ASSERT_TRUE(lapic_write_apic_base(r.L(0), 0xfed00900));
    EXPECT_EQ(b->n_mmio, 2);
    r.m.dc.cur = r.C(0);
    EXPECT_EQ(bus_read(b, 0xfed00030, 4), 0x01060014u);
    EXPECT_EQ(bus_read(b, 0xfee00030, 4), 0xffffffffu);   // not this processor's page any more
    bus_write(b, 0xfed00080, 0x33, 4);
    EXPECT_EQ(r.L(0)->tpr, 0x33u);
    r.m.dc.cur = r.C(1);
    EXPECT_EQ(bus_read(b, 0xfed00030, 4), 0xffffffffu);
    EXPECT_EQ(bus_read(b, 0xfee00030, 4), 0x01060014u);
    ASSERT_TRUE(lapic_write_apic_base(r.L(1), 0xfed00800));
    EXPECT_EQ(b->n_mmio, 1);                          // FEE00000h is unmapped
    EXPECT_EQ(bus_read(b, 0xfed00020, 4), 1u << 24);
    r.m.dc.cur = nullptr;                             // not a processor (DMA): nothing there
    EXPECT_EQ(bus_read(b, 0xfed00020, 4), 0xffffffffu);
    // a base inside RAM cannot be mapped: the page is unreachable, counted
    ASSERT_TRUE(lapic_write_apic_base(r.L(1), 0x00100800));
    EXPECT_EQ(r.ab.map_failures, 1u);
}

TEST(Lapic, LintPinsThroughTheirLvtEntries)
{
    Rig r(1);
    r.enable(0);
    r.wr(0, LAPIC_LVT_LINT1, 0x400);                  // NMI, edge
    lapic_set_lint(r.L(0), 1, true);
    EXPECT_TRUE(r.C(0)->nmi_pending);
    r.C(0)->nmi_pending = false;
    lapic_set_lint(r.L(0), 1, true);                  // still high: no new edge
    EXPECT_FALSE(r.C(0)->nmi_pending);
    lapic_set_lint(r.L(0), 1, false);
    lapic_set_lint(r.L(0), 1, true);
    EXPECT_TRUE(r.C(0)->nmi_pending);
    r.wr(0, LAPIC_LVT_LINT1, 0x8000 | 0x51);          // LINT1 cannot be level-triggered
    EXPECT_EQ(r.rd(0, LAPIC_LVT_LINT1), 0x51u);
    r.wr(0, LAPIC_LVT_LINT0, 0x8000 | 0x52);          // LINT0 fixed, level
    lapic_set_lint(r.L(0), 0, true);
    EXPECT_TRUE(r.irr(0, 0x52));
    EXPECT_TRUE(r.L(0)->tmr[0x52 >> 5] & (1u << (0x52 & 31)));
    lapic_set_lint(r.L(0), 0, false);
    r.wr(0, LAPIC_LVT_LINT0, 0x2000 | 0x53);          // active low, edge
    lapic_set_lint(r.L(0), 0, true);
    EXPECT_FALSE(r.irr(0, 0x53));
    lapic_set_lint(r.L(0), 0, false);
    EXPECT_TRUE(r.irr(0, 0x53));
}

TEST(Lapic, HardwareDisabledLint1IsTheNmiPin)
{
    Rig r(1);
    ASSERT_TRUE(lapic_write_apic_base(r.L(0), 0xfee00100));   // EN = 0
    lapic_set_lint(r.L(0), 1, true);                          // LVT LINT1 is masked: no matter
    EXPECT_TRUE(r.C(0)->nmi_pending);
}
