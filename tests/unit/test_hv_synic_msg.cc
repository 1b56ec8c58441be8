// test_hv_synic_msg.cc — SynIC message slots and event flags (hv/synic/message.c, event.c,
// msr.c's SynIC MSRs) against the TLFS 11.9-11.10 protocol: a free slot is written and the
// SINT's vector raised; a busy slot gets the pending flag and the message waits; EOM delivers
// the waiting messages in order; a disabled SynIC / SIMP / SIEFP or a masked SINT is
// INVALID_SYNIC_STATE; an event flag raises the vector only on 0 -> 1. Fakes: hv_fakes.h.
#include <gtest/gtest.h>

#include <cstring>

extern "C" {
#include "hv/abi/tlfs.h"
#include "hv/part/partition.h"
#include "hv/synic/synic.h"
#include "tests/unit/hv_fakes.h"
}

namespace {

constexpr uint64_t SIMP_GPA = 0x200000;     // root RAM (GPA = HPA in the fake root)
constexpr uint64_t SIEFP_GPA = 0x201000;

class HvSynicMsg : public ::testing::Test {
protected:
    struct hv_vp *vp = nullptr;
    void SetUp() override
    {
        hvf_reset();
        vp = hvf_root_vp();
        synic_vp_init(vp);
        ASSERT_EQ(synic_wrmsr(vp, HV_X64_MSR_SIMP, SIMP_GPA | 1), 0);
        ASSERT_EQ(synic_wrmsr(vp, HV_X64_MSR_SIEFP, SIEFP_GPA | 1), 0);
        ASSERT_EQ(synic_wrmsr(vp, HV_X64_MSR_SCONTROL, 1), 0);
        ASSERT_EQ(synic_wrmsr(vp, HV_X64_MSR_SINT0, 0x40), 0);
        ASSERT_EQ(synic_wrmsr(vp, HV_X64_MSR_SINT0 + 3, 0x51), 0);
        hvf_irq_count = 0;
    }
    // slot k of the SIM page: type at +0, size +4, flags +5, sender +8, payload +16
    uint8_t *slot(unsigned k) { return (uint8_t *)hvf_ptr(SIMP_GPA + 256 * k); }
    uint32_t type(unsigned k) { uint32_t t; std::memcpy(&t, slot(k), 4); return t; }
    uint64_t first_qword(unsigned k) { uint64_t v; std::memcpy(&v, slot(k) + 16, 8); return v; }
    void consume(unsigned k) { std::memset(slot(k), 0, 4); }    // the guest writes HVMSG_NONE
    static struct hv_message msg(uint32_t t, uint64_t tag)
    {
        struct hv_message m;
        std::memset(&m, 0, sizeof(m));
        m.header.message_type = t;
        m.header.payload_size = 8;
        m.header.sender = 7;
        m.payload[0] = tag;
        return m;
    }
    bool irq_pending(uint8_t v) { return (vp->arch.pending_irq[v >> 6] >> (v & 63)) & 1; }
};

TEST_F(HvSynicMsg, FreeSlotIsWrittenAndVectorRaised)
{
    struct hv_message m = msg(HVMSG_X64_IO_PORT_INTERCEPT, 0x1122334455667788ull);
    EXPECT_EQ(synic_post_message(vp, 0, &m), HV_STATUS_SUCCESS);
    EXPECT_EQ(type(0), 0x80010000u);
    EXPECT_EQ(slot(0)[4], 8);               // payload size
    EXPECT_EQ(slot(0)[5], 0);               // no message pending
    uint64_t sender;
    std::memcpy(&sender, slot(0) + 8, 8);
    EXPECT_EQ(sender, 7u);
    EXPECT_EQ(first_qword(0), 0x1122334455667788ull);
    EXPECT_EQ(hvf_irq_count, 1u);
    EXPECT_EQ(hvf_last_irq_vector, 0x40);
    EXPECT_TRUE(irq_pending(0x40));
    EXPECT_EQ(synic_queued(vp), 0u);
}

TEST_F(HvSynicMsg, BusySlotGetsPendingFlagAndMessageWaits)
{
    struct hv_message a = msg(0x100, 1), b = msg(0x100, 2);
    ASSERT_EQ(synic_post_message(vp, 0, &a), HV_STATUS_SUCCESS);
    EXPECT_EQ(synic_post_message(vp, 0, &b), HV_STATUS_SUCCESS);
    EXPECT_EQ(first_qword(0), 1u);          // the first message is untouched...
    EXPECT_EQ(slot(0)[5], HV_MESSAGE_FLAG_PENDING);   // ...but says another waits
    EXPECT_EQ(synic_queued(vp), 1u);
    EXPECT_EQ(vp->synic.msg_pending, 1u);   // SINT 0
    EXPECT_EQ(hvf_irq_count, 1u);           // nothing new was delivered
    // EOM while the guest has not consumed the slot: nothing moves
    EXPECT_EQ(synic_wrmsr(vp, HV_X64_MSR_EOM, 0), 0);
    EXPECT_EQ(first_qword(0), 1u);
    EXPECT_EQ(synic_queued(vp), 1u);
}

TEST_F(HvSynicMsg, EomDeliversTheQueueInOrder)
{
    for (uint64_t i = 1; i <= 3; i++) {
        struct hv_message m = msg(0x100, i);
        ASSERT_EQ(synic_post_message(vp, 0, &m), HV_STATUS_SUCCESS);
    }
    EXPECT_EQ(synic_queued(vp), 2u);
    consume(0);
    EXPECT_EQ(synic_wrmsr(vp, HV_X64_MSR_EOM, 0), 0);
    EXPECT_EQ(first_qword(0), 2u);
    EXPECT_EQ(slot(0)[5], HV_MESSAGE_FLAG_PENDING);   // message 3 still waits
    consume(0);
    EXPECT_EQ(synic_wrmsr(vp, HV_X64_MSR_EOM, 0), 0);
    EXPECT_EQ(first_qword(0), 3u);
    EXPECT_EQ(slot(0)[5], 0);
    EXPECT_EQ(synic_queued(vp), 0u);
    EXPECT_EQ(vp->synic.msg_pending, 0u);
    EXPECT_EQ(hvf_irq_count, 3u);
    uint64_t v = 1;
    EXPECT_EQ(synic_rdmsr(vp, HV_X64_MSR_EOM, &v), 0);
    EXPECT_EQ(v, 0u);                       // EOM reads as 0
}

TEST_F(HvSynicMsg, OtherSintsSlotsAreIndependent)
{
    ASSERT_EQ(synic_wrmsr(vp, HV_X64_MSR_SINT0 + 5, 0x60), 0);
    struct hv_message a = msg(0x100, 1), b = msg(0x200, 2);
    ASSERT_EQ(synic_post_message(vp, 0, &a), HV_STATUS_SUCCESS);
    EXPECT_EQ(synic_post_message(vp, 5, &b), HV_STATUS_SUCCESS);
    EXPECT_EQ(type(5), 0x200u);
    EXPECT_EQ(hvf_last_irq_vector, 0x60);
    EXPECT_EQ(synic_queued(vp), 0u);
}

TEST_F(HvSynicMsg, DisabledSynicSimpOrMaskedSintIsInvalidState)
{
    struct hv_message m = msg(0x100, 1);
    ASSERT_EQ(synic_wrmsr(vp, HV_X64_MSR_SINT0 + 1, 0x10041), 0);     // masked
    EXPECT_EQ(synic_post_message(vp, 1, &m), HV_STATUS_INVALID_SYNIC_STATE);
    EXPECT_EQ(synic_post_message(vp, 2, &m), HV_STATUS_INVALID_SYNIC_STATE);  // reset: masked
    ASSERT_EQ(synic_wrmsr(vp, HV_X64_MSR_SCONTROL, 0), 0);
    EXPECT_EQ(synic_post_message(vp, 0, &m), HV_STATUS_INVALID_SYNIC_STATE);
    ASSERT_EQ(synic_wrmsr(vp, HV_X64_MSR_SCONTROL, 1), 0);
    ASSERT_EQ(synic_wrmsr(vp, HV_X64_MSR_SIMP, SIMP_GPA), 0);           // disabled
    EXPECT_EQ(synic_post_message(vp, 0, &m), HV_STATUS_INVALID_SYNIC_STATE);
    EXPECT_EQ(hvf_irq_count, 0u);
    EXPECT_EQ(type(0), 0u);
}

TEST_F(HvSynicMsg, SimpAndSiefpMustBeWritableRamAndAreNotCleared)
{
    // 20 MiB is outside the root's EPT in the fake machine; 36 MiB is "device MMIO"
    EXPECT_EQ(synic_wrmsr(vp, HV_X64_MSR_SIMP, (20ull << 20) | 1), -1);
    EXPECT_EQ(synic_wrmsr(vp, HV_X64_MSR_SIEFP, (20ull << 20) | 1), -1);
    ASSERT_EQ(ept_map(&hvf_root()->ept, 36ull << 20, 36ull << 20, EPT_R | EPT_W), 0);
    EXPECT_EQ(synic_wrmsr(vp, HV_X64_MSR_SIMP, (36ull << 20) | 1), -1);
    EXPECT_EQ(synic_wrmsr(vp, HV_X64_MSR_SIMP, 20ull << 20), 0);       // disabled: any GPA
    std::memset(hvf_ptr(0x300000), 0xAB, 4096);
    EXPECT_EQ(synic_wrmsr(vp, HV_X64_MSR_SIMP, 0x300001), 0);
    EXPECT_EQ(((uint8_t *)hvf_ptr(0x300000))[100], 0xAB);               // not cleared
}

TEST_F(HvSynicMsg, FullQueueIsInsufficientBuffersAndPostedMessagesGetHalf)
{
    struct hv_message m = msg(0x100, 0);
    ASSERT_EQ(synic_post_message(vp, 0, &m), HV_STATUS_SUCCESS);       // in the slot
    for (unsigned i = 0; i < HV_SYNIC_QUEUE_POSTED; i++)
        ASSERT_EQ(synic_post(vp, 0, &m, true), HV_STATUS_SUCCESS);
    EXPECT_EQ(synic_post(vp, 0, &m, true), HV_STATUS_INSUFFICIENT_BUFFERS);
    for (unsigned i = HV_SYNIC_QUEUE_POSTED; i < HV_SYNIC_QUEUE_LEN; i++)
        ASSERT_EQ(synic_post_message(vp, 0, &m), HV_STATUS_SUCCESS);     // the hypervisor's
    EXPECT_EQ(synic_post_message(vp, 0, &m), HV_STATUS_INSUFFICIENT_BUFFERS);
    EXPECT_EQ(synic_queued(vp), (unsigned)HV_SYNIC_QUEUE_LEN);
}

TEST_F(HvSynicMsg, UnmaskingASintDeliversWhatWaits)
{
    struct hv_message a = msg(0x100, 1), b = msg(0x100, 2);
    ASSERT_EQ(synic_post_message(vp, 0, &a), HV_STATUS_SUCCESS);
    ASSERT_EQ(synic_post_message(vp, 0, &b), HV_STATUS_SUCCESS);
    ASSERT_EQ(synic_wrmsr(vp, HV_X64_MSR_SINT0, 0x10040), 0);           // masked
    consume(0);
    EXPECT_EQ(synic_wrmsr(vp, HV_X64_MSR_EOM, 0), 0);
    EXPECT_EQ(type(0), 0u);                 // masked: it keeps waiting
    EXPECT_EQ(synic_queued(vp), 1u);
    ASSERT_EQ(synic_wrmsr(vp, HV_X64_MSR_SINT0, 0x40), 0);
    EXPECT_EQ(first_qword(0), 2u);
    EXPECT_EQ(synic_queued(vp), 0u);
}

TEST_F(HvSynicMsg, AutoEoiSintIsDeliveredTheSameWay)
{
    ASSERT_EQ(synic_wrmsr(vp, HV_X64_MSR_SINT0 + 4, 0x20070), 0);       // AutoEOI, vector 0x70
    struct hv_message m = msg(0x100, 9);
    EXPECT_EQ(synic_post_message(vp, 4, &m), HV_STATUS_SUCCESS);
    EXPECT_EQ(first_qword(4), 9u);
    EXPECT_EQ(hvf_last_irq_vector, 0x70);
    EXPECT_EQ(hvf_irq_count, 1u);
}

TEST_F(HvSynicMsg, EventFlagRaisesOnlyOnZeroToOne)
{
    // SINT 3's flags are bytes [768, 1024) of the SIEF page; flag 37 is bit 5 of dword 1
    uint32_t *w = (uint32_t *)hvf_ptr(SIEFP_GPA + 3 * 256 + 4);
    EXPECT_EQ(synic_signal_event(vp, 3, 37), HV_STATUS_SUCCESS);
    EXPECT_EQ(*w, 1u << 5);
    EXPECT_EQ(hvf_irq_count, 1u);
    EXPECT_EQ(hvf_last_irq_vector, 0x51);
    EXPECT_EQ(synic_signal_event(vp, 3, 37), HV_STATUS_SUCCESS);        // already set
    EXPECT_EQ(hvf_irq_count, 1u);
    EXPECT_EQ(synic_signal_event(vp, 3, 38), HV_STATUS_SUCCESS);        // another flag: 0 -> 1
    EXPECT_EQ(*w, 3u << 5);
    EXPECT_EQ(hvf_irq_count, 2u);
    *w = 0;                                                              // the guest clears
    EXPECT_EQ(synic_signal_event(vp, 3, 37), HV_STATUS_SUCCESS);
    EXPECT_EQ(hvf_irq_count, 3u);
    EXPECT_EQ(synic_signal_event(vp, 3, 2048), HV_STATUS_INVALID_PARAMETER);
}

TEST_F(HvSynicMsg, EventNeedsSynicSiefpAndUnmaskedSint)
{
    EXPECT_EQ(synic_signal_event(vp, 2, 0), HV_STATUS_INVALID_SYNIC_STATE);    // masked
    ASSERT_EQ(synic_wrmsr(vp, HV_X64_MSR_SIEFP, SIEFP_GPA), 0);
    EXPECT_EQ(synic_signal_event(vp, 3, 0), HV_STATUS_INVALID_SYNIC_STATE);
    ASSERT_EQ(synic_wrmsr(vp, HV_X64_MSR_SIEFP, SIEFP_GPA | 1), 0);
    ASSERT_EQ(synic_wrmsr(vp, HV_X64_MSR_SCONTROL, 0), 0);
    EXPECT_EQ(synic_signal_event(vp, 3, 0), HV_STATUS_INVALID_SYNIC_STATE);
    EXPECT_EQ(hvf_irq_count, 0u);
}

// The trace annotations (traces/annot_abi.h kinds 5 and 6): one per slot write with receiver,
// SINT, vector, type, sender and a sequence number one higher than the previous message's;
// one per event flag that goes 0 -> 1, none for a flag already set.
TEST_F(HvSynicMsg, SlotWriteIsAnnotatedWithReceiverTypeSenderAndSequence)
{
    hvf_annot_count = 0;
    struct hv_message a = msg(0x100, 1), b = msg(HVMSG_TIMER_EXPIRED, 2);
    b.header.sender = 0x1234;
    ASSERT_EQ(synic_post_message(vp, 3, &a), HV_STATUS_SUCCESS);
    EXPECT_EQ(hvf_annot_count, 1u);
    EXPECT_EQ(hvf_annot_kind, 5u);
    EXPECT_EQ(hvf_annot_args[0], vp->part->id);
    // VP index 31:0, SINT 3 at 39:32, vector 0x51 at 47:40, not queued (55:48 = 0)
    EXPECT_EQ(hvf_annot_args[1], (uint64_t)vp->index | 3ull << 32 | 0x51ull << 40);
    EXPECT_EQ((uint32_t)hvf_annot_args[2], 0x100u);
    EXPECT_EQ(hvf_annot_args[3], 7u);                   // the header's sender
    uint64_t seq = hvf_annot_args[2] >> 32;
    ASSERT_EQ(synic_post_message(vp, 3, &b), HV_STATUS_SUCCESS);    // slot busy: queued
    EXPECT_EQ(hvf_annot_count, 1u);                     // nothing written, nothing annotated
    consume(3);
    synic_eom(vp);
    EXPECT_EQ(hvf_annot_count, 2u);
    EXPECT_EQ(hvf_annot_kind, 5u);
    EXPECT_EQ(hvf_annot_args[1], (uint64_t)vp->index | 3ull << 32 | 0x51ull << 40 | 1ull << 48);
    EXPECT_EQ((uint32_t)hvf_annot_args[2], 0x80000010u);
    EXPECT_EQ(hvf_annot_args[2] >> 32, (seq + 1) & 0xffffffffu);
    EXPECT_EQ(hvf_annot_args[3], 0x1234u);
}

TEST_F(HvSynicMsg, EventFlagZeroToOneIsAnnotatedOnce)
{
    hvf_annot_count = 0;
    ASSERT_EQ(synic_signal_event(vp, 3, 37), HV_STATUS_SUCCESS);
    EXPECT_EQ(hvf_annot_count, 1u);
    EXPECT_EQ(hvf_annot_kind, 6u);
    EXPECT_EQ(hvf_annot_args[0], vp->part->id);
    EXPECT_EQ(hvf_annot_args[1], (uint64_t)vp->index | 3ull << 32 | 0x51ull << 40);
    EXPECT_EQ(hvf_annot_args[2], 37u);
    EXPECT_EQ(hvf_annot_args[3], 0u);
    ASSERT_EQ(synic_signal_event(vp, 3, 37), HV_STATUS_SUCCESS);     // already 1
    EXPECT_EQ(hvf_annot_count, 1u);
}

} // namespace
