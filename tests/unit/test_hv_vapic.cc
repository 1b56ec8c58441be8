// test_hv_vapic.cc — the virtual local APIC's logic (hv/vapic/vapic.c) against the SDM Vol. 3
// chapter 11 text: reset values (11.4.7.1), software disable (11.4.7.2), IRR/ISR and the order of
// dispatch (11.8.3-11.8.4), the PPR formula (11.8.3.1), TPR = CR8[3:0] << 4 (11.8.6.1), EOI
// (11.8.5), the ESR's write-then-read rule (11.5.3), the ICR's destinations (11.6.1-11.6.2) and
// the SynIC AutoEOI bit (TLFS). The fake root's VPs 0 and 1 (APIC IDs 0 and 1) start
// software-enabled (tests/unit/hv_fakes.c).
#include <gtest/gtest.h>

extern "C" {
#include "hv/abi/tlfs.h"
#include "hv/part/partition.h"
#include "hv/synic/synic.h"
#include "hv/vapic/vapic.h"
#include "tests/unit/hv_fakes.h"
}

namespace {

class HvVapic : public ::testing::Test {
protected:
    struct hv_vp *v0 = nullptr, *v1 = nullptr;
    void SetUp() override
    {
        hvf_reset();
        v0 = hvf_root()->vp[0];
        v1 = hvf_root()->vp[1];
        hvf_irq_count = 0;
    }
    static bool irr(const struct hv_vp *v, unsigned vec)
    {
        return (v->arch.pending_irq[vec >> 6] >> (vec & 63)) & 1;
    }
    static bool isr(const struct hv_vp *v, unsigned vec)
    {
        return (v->vapic.isr[vec >> 6] >> (vec & 63)) & 1;
    }
    static bool irr_empty(const struct hv_vp *v)
    {
        return (v->arch.pending_irq[0] | v->arch.pending_irq[1] | v->arch.pending_irq[2] |
                v->arch.pending_irq[3]) == 0;
    }
    // accept + inject the next vector the way the VMX loop does; returns it or -1
    static int take(struct hv_vp *v)
    {
        int n = vapic_next_vector(v);
        if (n >= 0)
            vapic_deliver(v, (uint8_t)n);
        return n;
    }
    void icr(struct hv_vp *from, uint32_t hi, uint32_t lo)
    {
        vapic_write(from, VAPIC_ICR_HI, hi);
        vapic_write(from, VAPIC_ICR_LO, lo);
    }
};

TEST_F(HvVapic, ResetValues)
{
    struct hv_vp v = {};
    v.part = hvf_root();
    vapic_reset(&v, 5);
    EXPECT_EQ(vapic_read(&v, VAPIC_ID), 5u << 24);                // ID in 31:24 (xAPIC)
    EXPECT_EQ(vapic_read(&v, VAPIC_VER) & 0xFF, 0x14u);           // 11.4.8: 1XH = local APIC
    EXPECT_EQ(vapic_read(&v, VAPIC_SVR), 0xFFu);                  // 11.4.7.1
    EXPECT_EQ(vapic_read(&v, VAPIC_DFR), 0xFFFFFFFFu);
    EXPECT_EQ(vapic_read(&v, VAPIC_LDR), 0u);
    EXPECT_EQ(vapic_read(&v, VAPIC_TPR), 0u);
    EXPECT_EQ(vapic_read(&v, VAPIC_PPR), 0u);
    for (uint32_t off : { VAPIC_LVT_CMCI, VAPIC_LVT_THERMAL, VAPIC_LVT_PERF, VAPIC_LVT_LINT0,
                          VAPIC_LVT_LINT1, VAPIC_LVT_ERROR })
        EXPECT_EQ(vapic_read(&v, off), 0x10000u) << std::hex << off;   // masked only
    for (uint32_t k = 0; k < 8; k++) {
        EXPECT_EQ(vapic_read(&v, VAPIC_ISR0 + 16 * k), 0u);
        EXPECT_EQ(vapic_read(&v, VAPIC_IRR0 + 16 * k), 0u);
        EXPECT_EQ(vapic_read(&v, VAPIC_TMR0 + 16 * k), 0u);
    }
}

TEST_F(HvVapic, SoftwareDisabledDropsFixedInterrupts)
{
    vapic_write(v0, VAPIC_SVR, 0xFF);                 // bit 8 = 0: software-disabled
    EXPECT_FALSE(vapic_accept(v0, 0x40));
    EXPECT_TRUE(irr_empty(v0));
    vp_raise_irq(v0, 0x41);                           // the fake goes through vapic_accept
    EXPECT_TRUE(irr_empty(v0));
    icr(v0, 0, (1u << 18) | 0x42);                    // a fixed self-IPI is dropped too
    EXPECT_TRUE(irr_empty(v0));
    vapic_write(v0, VAPIC_SVR, 0x1FF);
    EXPECT_TRUE(vapic_accept(v0, 0x40));
    EXPECT_TRUE(irr(v0, 0x40));
}

TEST_F(HvVapic, SoftwareDisableMasksLvts)
{
    vapic_write(v0, VAPIC_LVT_LINT0, 0x720);          // unmasked, ExtINT, vector 20H
    EXPECT_EQ(vapic_read(v0, VAPIC_LVT_LINT0), 0x720u);
    vapic_write(v0, VAPIC_LVT_ERROR, 0xFE);
    EXPECT_EQ(vapic_read(v0, VAPIC_LVT_ERROR), 0xFEu);
    vapic_write(v0, VAPIC_SVR, 0xFF);                 // 11.4.7.2: every LVT masked
    EXPECT_EQ(vapic_read(v0, VAPIC_LVT_LINT0), 0x10720u);
    EXPECT_EQ(vapic_read(v0, VAPIC_LVT_ERROR), 0x100FEu);
    vapic_write(v0, VAPIC_LVT_LINT0, 0x721);          // the mask cannot be cleared meanwhile
    EXPECT_EQ(vapic_read(v0, VAPIC_LVT_LINT0), 0x10721u);
    vapic_write(v0, VAPIC_SVR, 0x1FF);
    vapic_write(v0, VAPIC_LVT_LINT0, 0x721);
    EXPECT_EQ(vapic_read(v0, VAPIC_LVT_LINT0), 0x721u);
}

TEST_F(HvVapic, HighestIrrFirstAndLowerClassBlockedWhileInService)
{
    vapic_accept(v0, 0x41);
    vapic_accept(v0, 0x62);
    vapic_accept(v0, 0x35);
    EXPECT_EQ(take(v0), 0x62);                        // 11.8.4: highest IRR vector
    EXPECT_FALSE(irr(v0, 0x62));
    EXPECT_TRUE(isr(v0, 0x62));
    EXPECT_EQ(vapic_read(v0, VAPIC_PPR), 0x60u);      // ISRV[7:4] << 4
    EXPECT_EQ(vapic_next_vector(v0), -1);             // 41H: class 4 <= PPR class 6
    vapic_accept(v0, 0x6F);                           // same class as in service: blocked
    EXPECT_EQ(vapic_next_vector(v0), -1);
    vapic_accept(v0, 0x70);                           // a higher class interrupts it
    EXPECT_EQ(take(v0), 0x70);
    vapic_write(v0, VAPIC_EOI, 0);                    // clears 70H (the highest ISR bit)
    EXPECT_FALSE(isr(v0, 0x70));
    EXPECT_TRUE(isr(v0, 0x62));
    EXPECT_EQ(vapic_next_vector(v0), -1);             // 6FH still blocked by 62H
    vapic_write(v0, VAPIC_EOI, 0);
    EXPECT_EQ(take(v0), 0x6F);
    vapic_eoi(v0);
    EXPECT_EQ(take(v0), 0x41);
    vapic_eoi(v0);
    EXPECT_EQ(take(v0), 0x35);
    vapic_eoi(v0);
    EXPECT_EQ(vapic_next_vector(v0), -1);
    EXPECT_EQ(vapic_read(v0, VAPIC_PPR), 0u);
    vapic_eoi(v0);                                    // nothing in service: no effect
    EXPECT_EQ(vapic_read(v0, VAPIC_PPR), 0u);
}

TEST_F(HvVapic, PprFormula)
{
    vapic_write(v0, VAPIC_TPR, 0x35);
    EXPECT_EQ(vapic_read(v0, VAPIC_PPR), 0x35u);      // nothing in service: PPR = TPR
    vapic_accept(v0, 0x62);
    take(v0);
    EXPECT_EQ(vapic_read(v0, VAPIC_PPR), 0x60u);      // TPR[7:4] 3 < ISRV[7:4] 6
    vapic_write(v0, VAPIC_TPR, 0x65);
    EXPECT_EQ(vapic_read(v0, VAPIC_PPR), 0x65u);      // 6 >= 6: PPR = TPR
    vapic_write(v0, VAPIC_TPR, 0x75);
    EXPECT_EQ(vapic_read(v0, VAPIC_PPR), 0x75u);
}

TEST_F(HvVapic, TprIsCr8AndBlocksClasses)
{
    vapic_write(v0, VAPIC_TPR, 0x5A);
    EXPECT_EQ(v0->ctx.cr8, 5u);                       // 11.8.6.1: CR8[3:0] = TPR[7:4]
    EXPECT_EQ(vapic_read(v0, VAPIC_TPR), 0x5Au);
    v0->ctx.cr8 = 2;                                  // MOV CR8: TPR[7:4]
    EXPECT_EQ(vapic_read(v0, VAPIC_TPR) >> 4, 2u);
    v0->ctx.cr8 = 5;
    vapic_accept(v0, 0x5F);
    EXPECT_EQ(vapic_next_vector(v0), -1);             // class 5 <= TPR class 5
    vapic_accept(v0, 0x60);
    EXPECT_EQ(take(v0), 0x60);
    vapic_eoi(v0);
    EXPECT_EQ(vapic_next_vector(v0), -1);
    vapic_write(v0, VAPIC_TPR, 0x40);                 // lowering it unblocks 5FH
    EXPECT_EQ(take(v0), 0x5F);
}

TEST_F(HvVapic, AutoEoiSetsNoIsrBit)
{
    vapic_set_auto_eoi(v0, 0x50, true);
    vapic_accept(v0, 0x50);
    EXPECT_EQ(take(v0), 0x50);
    EXPECT_FALSE(isr(v0, 0x50));
    EXPECT_EQ(vapic_read(v0, VAPIC_PPR), 0u);
    vapic_accept(v0, 0x50);                           // not blocked by itself
    EXPECT_EQ(take(v0), 0x50);
    vapic_set_auto_eoi(v0, 0x50, false);
    vapic_accept(v0, 0x50);
    EXPECT_EQ(take(v0), 0x50);
    EXPECT_TRUE(isr(v0, 0x50));
}

TEST_F(HvVapic, IsrAndIrrRegisters)
{
    vapic_accept(v0, 0x41);                           // vectors 40H-5FH: ISR/IRR dword 2
    vapic_accept(v0, 0xFE);                           // E0H-FFH: dword 7, bit 30
    EXPECT_EQ(vapic_read(v0, VAPIC_IRR0 + 0x20), 1u << 1);
    EXPECT_EQ(vapic_read(v0, VAPIC_IRR0 + 0x70), 1u << 30);
    EXPECT_EQ(take(v0), 0xFE);
    EXPECT_EQ(vapic_read(v0, VAPIC_IRR0 + 0x70), 0u);
    EXPECT_EQ(vapic_read(v0, VAPIC_ISR0 + 0x70), 1u << 30);
    vapic_write(v0, VAPIC_ISR0 + 0x70, 0);            // read-only
    EXPECT_EQ(vapic_read(v0, VAPIC_ISR0 + 0x70), 1u << 30);
}

TEST_F(HvVapic, EsrWriteThenRead)
{
    EXPECT_FALSE(vapic_accept(v0, 0x05));             // 11.5.2: vectors 0-15 are illegal
    EXPECT_TRUE(irr_empty(v0));
    EXPECT_EQ(vapic_read(v0, VAPIC_ESR), 0u);         // not yet latched
    vapic_write(v0, VAPIC_ESR, 0);
    EXPECT_EQ(vapic_read(v0, VAPIC_ESR), 0x40u);      // bit 6: received illegal vector
    vapic_write(v0, VAPIC_ESR, 0);
    EXPECT_EQ(vapic_read(v0, VAPIC_ESR), 0u);         // no error since the last write
    icr(v0, 0, (1u << 18) | 0x0E);                    // self-IPI with an illegal vector
    EXPECT_TRUE(irr_empty(v0));
    vapic_write(v0, VAPIC_ESR, 0);
    EXPECT_EQ(vapic_read(v0, VAPIC_ESR), 0x20u);      // bit 5: send illegal vector
}

TEST_F(HvVapic, IcrShorthands)
{
    icr(v0, 0, (1u << 18) | 0x51);                    // self
    EXPECT_TRUE(irr(v0, 0x51));
    EXPECT_TRUE(irr_empty(v1));
    EXPECT_EQ(vapic_read(v0, VAPIC_ICR_LO), (1u << 18) | 0x51u);   // delivery status 0
    icr(v0, 0, (2u << 18) | 0x52);                    // all including self
    EXPECT_TRUE(irr(v0, 0x52));
    EXPECT_TRUE(irr(v1, 0x52));
    icr(v0, 0, (3u << 18) | 0x53);                    // all excluding self
    EXPECT_FALSE(irr(v0, 0x53));
    EXPECT_TRUE(irr(v1, 0x53));
    EXPECT_EQ(hvf_irq_count, 4u);
}

TEST_F(HvVapic, IcrPhysicalDestination)
{
    icr(v0, 1u << 24, 0x54);                          // APIC ID 1
    EXPECT_FALSE(irr(v0, 0x54));
    EXPECT_TRUE(irr(v1, 0x54));
    EXPECT_EQ(vapic_read(v0, VAPIC_ICR_HI), 1u << 24);
    icr(v0, 7u << 24, 0x55);                          // nobody has ID 7
    EXPECT_FALSE(irr(v0, 0x55));
    EXPECT_FALSE(irr(v1, 0x55));
    icr(v0, 0xFFu << 24, 0x56);                       // 11.6.2.1: FFH broadcast
    EXPECT_TRUE(irr(v0, 0x56));
    EXPECT_TRUE(irr(v1, 0x56));
}

TEST_F(HvVapic, IcrLogicalFlat)
{
    vapic_write(v0, VAPIC_LDR, 0x01000000);           // DFR stays FFFFFFFFH: flat model
    vapic_write(v1, VAPIC_LDR, 0x02000000);
    icr(v0, 0x02u << 24, (1u << 11) | 0x61);
    EXPECT_FALSE(irr(v0, 0x61));
    EXPECT_TRUE(irr(v1, 0x61));
    icr(v0, 0x03u << 24, (1u << 11) | 0x62);          // both bits
    EXPECT_TRUE(irr(v0, 0x62));
    EXPECT_TRUE(irr(v1, 0x62));
    icr(v0, 0x04u << 24, (1u << 11) | 0x63);          // no LDR has bit 2
    EXPECT_FALSE(irr(v0, 0x63));
    EXPECT_FALSE(irr(v1, 0x63));
}

TEST_F(HvVapic, IcrLogicalCluster)
{
    vapic_write(v0, VAPIC_DFR, 0x0FFFFFFF);           // model 0000B: cluster
    vapic_write(v1, VAPIC_DFR, 0x0FFFFFFF);
    EXPECT_EQ(vapic_read(v0, VAPIC_DFR), 0x0FFFFFFFu);
    vapic_write(v0, VAPIC_LDR, 0x11000000);           // cluster 1, member bit 0
    vapic_write(v1, VAPIC_LDR, 0x22000000);           // cluster 2, member bit 1
    icr(v0, 0x21u << 24, (1u << 11) | 0x64);          // cluster 2, member bit 0: nobody
    EXPECT_FALSE(irr(v0, 0x64));
    EXPECT_FALSE(irr(v1, 0x64));
    icr(v0, 0x22u << 24, (1u << 11) | 0x65);
    EXPECT_FALSE(irr(v0, 0x65));
    EXPECT_TRUE(irr(v1, 0x65));
    icr(v0, 0x13u << 24, (1u << 11) | 0x66);          // cluster 1 only
    EXPECT_TRUE(irr(v0, 0x66));
    EXPECT_FALSE(irr(v1, 0x66));
    icr(v0, 0xF3u << 24, (1u << 11) | 0x67);          // cluster FH: every cluster
    EXPECT_TRUE(irr(v0, 0x67));
    EXPECT_TRUE(irr(v1, 0x67));
}

TEST_F(HvVapic, LowestPriorityGoesToOneVp)
{
    icr(v1, 0, (2u << 18) | (1u << 8) | 0x71);        // all including self
    EXPECT_TRUE(irr(v0, 0x71));                       // the lowest VP index only
    EXPECT_FALSE(irr(v1, 0x71));
    icr(v0, 0, (3u << 18) | (1u << 8) | 0x72);        // all but self
    EXPECT_TRUE(irr(v1, 0x72));
    EXPECT_FALSE(irr(v0, 0x72));
}

TEST_F(HvVapic, NmiSmiInitStartupNotDelivered)
{
    unsigned logs = hvf_log_count;
    for (uint32_t mode : { 2u, 4u, 5u, 6u }) {
        icr(v0, 0, (2u << 18) | (mode << 8) | 0x80);
        EXPECT_TRUE(irr_empty(v0)) << mode;
        EXPECT_TRUE(irr_empty(v1)) << mode;
    }
    EXPECT_EQ(hvf_irq_count, 0u);
    // counted, and logged once per VP (a guest cannot flood the hypervisor's log)
    EXPECT_EQ(v0->vapic.icr_dropped, 4u);
    EXPECT_EQ(hvf_log_count, logs + 1);
}

TEST_F(HvVapic, Icr64AndOnlyOwnPartition)
{
    // a VP of another partition with APIC ID 1 and ID 0
    static struct hv_partition other;
    static struct hv_vp ov;
    other = {};
    ov = {};
    other.id = 9;
    ov.part = &other;
    vapic_reset(&ov, 1);
    vapic_write(&ov, VAPIC_SVR, 0x1FF);
    other.vp[0] = &ov;
    vapic_write_icr64(v0, (1ull << 56) | 0x57);       // TLFS HV_X64_MSR_ICR: 63:32 = ICR high
    EXPECT_TRUE(irr(v1, 0x57));
    EXPECT_FALSE(irr(v0, 0x57));
    EXPECT_TRUE(irr_empty(&ov));
    EXPECT_EQ(vapic_read(v0, VAPIC_ICR_HI), 1u << 24);
    EXPECT_EQ(vapic_read(v0, VAPIC_ICR_LO), 0x57u);
    vapic_write_icr64(v0, (0xFFull << 56) | 0x58);
    EXPECT_TRUE(irr_empty(&ov));
}

// TLFS "Virtual Interrupt Controller": HV_X64_MSR_EOI / ICR / TPR (privilege AccessApicMsrs)
TEST_F(HvVapic, SyntheticApicMsrs)
{
    uint64_t v = 0;
    EXPECT_EQ(synic_rdmsr(v0, HV_X64_MSR_EOI, &v), -1);          // write-only
    vapic_accept(v0, 0x90);
    take(v0);
    EXPECT_EQ(synic_wrmsr(v0, HV_X64_MSR_EOI, 0), 0);
    EXPECT_FALSE(isr(v0, 0x90));                                  // EOI done
    EXPECT_EQ(synic_wrmsr(v0, HV_X64_MSR_TPR, 0x30), 0);
    EXPECT_EQ(v0->ctx.cr8, 3u);
    EXPECT_EQ(synic_rdmsr(v0, HV_X64_MSR_TPR, &v), 0);
    EXPECT_EQ(v, 0x30u);
    EXPECT_EQ(synic_wrmsr(v0, HV_X64_MSR_TPR, 0x100), -1);       // reserved bits
    EXPECT_EQ(synic_wrmsr(v0, HV_X64_MSR_ICR, (1ull << 56) | 0x91), 0);
    EXPECT_TRUE(irr(v1, 0x91));
    EXPECT_EQ(synic_rdmsr(v0, HV_X64_MSR_ICR, &v), 0);
    EXPECT_EQ(v, (1ull << 56) | 0x91);
    hvf_root()->privileges &= ~(uint64_t)HV_MSR_APIC_ACCESS_AVAILABLE;
    EXPECT_EQ(synic_wrmsr(v0, HV_X64_MSR_TPR, 0x20), -1);        // without the privilege
}

TEST_F(HvVapic, SintAutoEoiFollowsTheSintRegister)
{
    synic_vp_init(v0);
    ASSERT_EQ(synic_wrmsr(v0, HV_X64_MSR_SINT0 + 2, 0x45 | HV_SYNIC_SINT_AUTO_EOI), 0);
    vapic_accept(v0, 0x45);
    EXPECT_EQ(take(v0), 0x45);
    EXPECT_FALSE(isr(v0, 0x45));                                 // no ISR bit: no EOI needed
    ASSERT_EQ(synic_wrmsr(v0, HV_X64_MSR_SINT0 + 2, 0x45), 0);   // AutoEOI cleared
    vapic_accept(v0, 0x45);
    EXPECT_EQ(take(v0), 0x45);
    EXPECT_TRUE(isr(v0, 0x45));
    vapic_eoi(v0);
    ASSERT_EQ(synic_wrmsr(v0, HV_X64_MSR_SINT0 + 2, 0x46 | HV_SYNIC_SINT_AUTO_EOI), 0);
    ASSERT_EQ(synic_wrmsr(v0, HV_X64_MSR_SINT0 + 2, 0x47 | HV_SYNIC_SINT_AUTO_EOI), 0);
    vapic_accept(v0, 0x46);                                      // 46H is no SINT's any more
    EXPECT_EQ(take(v0), 0x46);
    EXPECT_TRUE(isr(v0, 0x46));
}

TEST_F(HvVapic, ChildApicBaseMsr)
{
    uint64_t id = hvf_make_child("c", 16);
    ASSERT_NE(id, 0u);
    struct hv_input_create_vp in = {};
    in.partition_id = id;
    for (uint32_t k = 0; k < 2; k++) {
        in.vp_index = k;
        ASSERT_EQ(hvf_root_call(hv_hypercall_input(HVCALL_CREATE_VP, 0, 0, 0), &in, sizeof(in)),
                  (uint64_t)HV_STATUS_SUCCESS);
    }
    struct hv_vp *c0 = hv_part_get(id)->vp[0], *c1 = hv_part_get(id)->vp[1];
    uint64_t v = 0;
    // SDM 11.4.4: base 31:12, global enable 11, BSP 8
    EXPECT_EQ(synic_rdmsr(c0, 0x1B, &v), 0);
    EXPECT_EQ(v, 0xFEE00900ull);
    EXPECT_EQ(synic_rdmsr(c1, 0x1B, &v), 0);
    EXPECT_EQ(v, 0xFEE00800ull);
    EXPECT_EQ(synic_wrmsr(c1, 0x1B, 0xFEE00800ull), 0);          // unchanged: accepted
    EXPECT_EQ(synic_wrmsr(c1, 0x1B, 0xFEE00000ull), -1);         // disable: #GP
    EXPECT_EQ(synic_wrmsr(c1, 0x1B, 0xFEE00C00ull), -1);         // x2APIC: #GP
    EXPECT_EQ(synic_rdmsr(v0, 0x1B, &v), 1);                     // the root's: not here
    // a child's VP starts with its APIC software-disabled, APIC ID = VP index
    EXPECT_EQ(vapic_read(c1, VAPIC_ID), 1u << 24);
    EXPECT_EQ(vapic_read(c1, VAPIC_SVR), 0xFFu);
    EXPECT_FALSE(vapic_accept(c1, 0x50));
}

}  // namespace
