// test_hv_flush.cc — HvCallFlushVirtualAddressSpace / List (hv/hcall/hc_flush.c),
// HvCallNotifyLongSpinWait and HvCallSendSyntheticClusterIpi (hv/hcall/hc_ipi.c) through the
// dispatcher, against the TLFS rules (flags bits 2:0, list element = GVA | additional pages in
// 11:0, IPI vectors 0x10..0xFF, VTL 0) and the MSR intercept message (hv/synic/intercept.c)
// against Linux's struct hv_x64_msr_intercept_message (offsets by hand: the 40-byte x64
// intercept header, then MSR number at 40, RDX at 48, RAX at 56). Fakes: hv_fakes.h (the root
// has VP 0 running and VP 1 not started).
#include <gtest/gtest.h>

#include <cstring>

extern "C" {
#include "hv/abi/tlfs.h"
#include "hv/hcall/hcall.h"
#include "hv/part/partition.h"
#include "hv/synic/synic.h"
#include "tests/unit/hv_fakes.h"
}

namespace {

uint16_t status(uint64_t rax) { return (uint16_t)(rax & 0xFFFF); }
uint32_t reps(uint64_t rax) { return (uint32_t)((rax >> 32) & 0xFFF); }

struct FlushIn {
    uint64_t as, flags, mask;
    uint64_t gva[40];
};

class HvFlush : public ::testing::Test {
protected:
    void SetUp() override { hvf_reset(); }
    uint64_t space(uint64_t flags, uint64_t mask)
    {
        FlushIn in = { 0x1000, flags, mask, {} };
        return hvf_root_call(hv_hypercall_input(HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE, 0, 0, 0),
                             &in, 24);
    }
};

TEST_F(HvFlush, SpaceAllProcessorsFlushesEveryVpOfTheCaller)
{
    EXPECT_EQ(space(HV_FLUSH_ALL_PROCESSORS, 0), (uint64_t)HV_STATUS_SUCCESS);
    ASSERT_EQ(hvf_tlb_count, 1u);
    ASSERT_EQ(hvf_tlb_nvps, 2u);
    EXPECT_EQ(hvf_tlb_vps[0], hvf_root()->vp[0]);
    EXPECT_EQ(hvf_tlb_vps[1], hvf_root()->vp[1]);
    EXPECT_EQ(hvf_tlb_nr, 0u);          // the whole address space
}

TEST_F(HvFlush, SpaceMaskSelectsVpsAndIgnoresAbsentOnes)
{
    // bit 1: VP 1; bits 5 and 63: no such VP (ignored)
    EXPECT_EQ(space(0, (1ull << 1) | (1ull << 5) | (1ull << 63)), (uint64_t)HV_STATUS_SUCCESS);
    ASSERT_EQ(hvf_tlb_count, 1u);
    ASSERT_EQ(hvf_tlb_nvps, 1u);
    EXPECT_EQ(hvf_tlb_vps[0], hvf_root()->vp[1]);
}

TEST_F(HvFlush, EmptyMaskIsSuccessWithoutFlush)
{
    EXPECT_EQ(space(HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY | HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES, 0),
              (uint64_t)HV_STATUS_SUCCESS);
    EXPECT_EQ(hvf_tlb_count, 0u);
}

TEST_F(HvFlush, ReservedFlagBitsAreInvalidParameter)
{
    for (int bit : { 3, 4, 31, 63 }) {
        EXPECT_EQ(space(HV_FLUSH_ALL_PROCESSORS | (1ull << bit), 0),
                  (uint64_t)HV_STATUS_INVALID_PARAMETER) << "bit " << bit;
    }
    EXPECT_EQ(hvf_tlb_count, 0u);
}

TEST_F(HvFlush, SpaceHasNoFastFormAndIsNotRep)
{
    uint64_t adv_in = hv_hypercall_input(HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE, 1, 0, 0);
    EXPECT_EQ(hvf_call(hvf_root_vp(), &adv_in, 0, 1, nullptr),
              (uint64_t)HV_STATUS_INVALID_HYPERCALL_INPUT);
    uint64_t rep_in = hv_hypercall_input(HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE, 0, 1, 0);
    EXPECT_EQ(hvf_call(hvf_root_vp(), &rep_in, HVF_IN_GPA, HVF_OUT_GPA, nullptr),
              (uint64_t)HV_STATUS_INVALID_HYPERCALL_INPUT);
}

TEST_F(HvFlush, ListElementsAreGvaPlusAdditionalPages)
{
    FlushIn in = { 0, 0, 1, {} };
    in.gva[0] = 0x7000;                     // one page
    in.gva[1] = 0xFFFF800000010000ull | 3;  // four pages
    in.gva[2] = 0x400000 | 0xFFF;           // 4096 pages
    uint64_t r = hvf_root_call(hv_hypercall_input(HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST, 0, 3, 0),
                               &in, 24 + 3 * 8);
    EXPECT_EQ(status(r), HV_STATUS_SUCCESS);
    EXPECT_EQ(reps(r), 3u);
    ASSERT_EQ(hvf_tlb_nr, 3u);
    EXPECT_EQ(hvf_tlb_ranges[0].gva, 0x7000u);
    EXPECT_EQ(hvf_tlb_ranges[0].pages, 1u);
    EXPECT_EQ(hvf_tlb_ranges[1].gva, 0xFFFF800000010000ull);
    EXPECT_EQ(hvf_tlb_ranges[1].pages, 4u);
    EXPECT_EQ(hvf_tlb_ranges[2].gva, 0x400000u);
    EXPECT_EQ(hvf_tlb_ranges[2].pages, 4096u);
    ASSERT_EQ(hvf_tlb_nvps, 1u);
    EXPECT_EQ(hvf_tlb_vps[0], hvf_root()->vp[0]);
}

TEST_F(HvFlush, LongListContinuesAndFlushesEveryElementOnce)
{
    FlushIn in = { 0, HV_FLUSH_ALL_PROCESSORS, 0, {} };
    for (unsigned i = 0; i < 40; i++)
        in.gva[i] = (uint64_t)(i + 1) << 12;
    unsigned exits = 0;
    std::memcpy(hvf_ptr(HVF_IN_GPA), &in, sizeof(in));
    uint64_t r = hvf_call_all(hvf_root_vp(),
                              hv_hypercall_input(HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST, 0, 40, 0),
                              HVF_IN_GPA, HVF_OUT_GPA, &exits);
    EXPECT_EQ(status(r), HV_STATUS_SUCCESS);
    EXPECT_EQ(reps(r), 40u);
    EXPECT_EQ(exits, 3u);                   // 16 + 16 + 8 (HC_REP_BUDGET)
    EXPECT_EQ(hvf_tlb_count, 3u);
    ASSERT_EQ(hvf_tlb_nr, 40u);
    for (unsigned i = 0; i < 40; i++)
        EXPECT_EQ(hvf_tlb_ranges[i].gva, (uint64_t)(i + 1) << 12) << i;
}

TEST_F(HvFlush, ListWithReservedFlagsCompletesNothing)
{
    FlushIn in = { 0, 1ull << 3, 1, {} };
    in.gva[0] = 0x1000;
    uint64_t r = hvf_root_call(hv_hypercall_input(HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST, 0, 1, 0),
                               &in, 32);
    EXPECT_EQ(status(r), HV_STATUS_INVALID_PARAMETER);
    EXPECT_EQ(reps(r), 0u);
    EXPECT_EQ(hvf_tlb_count, 0u);
}

TEST_F(HvFlush, RootFlushNeverNamesAChildsVps)
{
    uint64_t id = hvf_make_child("c1", 16);
    ASSERT_NE(id, 0u);
    struct hv_input_create_vp cv;
    std::memset(&cv, 0, sizeof(cv));
    cv.partition_id = id;
    ASSERT_EQ(hvf_root_call(hv_hypercall_input(HVCALL_CREATE_VP, 0, 0, 0), &cv, sizeof(cv)),
              (uint64_t)HV_STATUS_SUCCESS);
    struct hv_partition *p = hv_part_get(id);
    ASSERT_NE(p, nullptr);
    // ALL_PROCESSORS means the caller's own partition's VPs: the child's VP is not one
    EXPECT_EQ(space(HV_FLUSH_ALL_PROCESSORS, 0), (uint64_t)HV_STATUS_SUCCESS);
    ASSERT_EQ(hvf_tlb_nvps, 2u);            // the root's VPs only, never the child's
    for (unsigned i = 0; i < hvf_tlb_nvps; i++)
        EXPECT_EQ(hvf_tlb_vps[i]->part, hvf_root());
}

class HvIpi : public ::testing::Test {
protected:
    void SetUp() override { hvf_reset(); }
    uint64_t fast(uint64_t rdx, uint64_t r8)
    {
        uint64_t in = hv_hypercall_input(HVCALL_SEND_IPI, 1, 0, 0);
        return hvf_call(hvf_root_vp(), &in, rdx, r8, nullptr);
    }
};

TEST_F(HvIpi, FastFormRaisesTheVectorInMaskedVps)
{
    EXPECT_EQ(fast(0x31, (1ull << 1) | (1ull << 9)), (uint64_t)HV_STATUS_SUCCESS);
    EXPECT_EQ(hvf_irq_count, 1u);           // VP 9 does not exist: ignored
    EXPECT_EQ(hvf_last_irq_vector, 0x31);
    EXPECT_EQ(hvf_root()->vp[1]->arch.pending_irq[0], 1ull << 0x31);
    EXPECT_EQ(hvf_root()->vp[0]->arch.pending_irq[0], 0u);
    EXPECT_EQ(hvf_last_kick, hvf_root()->vp[1]);
}

TEST_F(HvIpi, MemoryFormAndVectorBounds)
{
    struct hv_input_send_synthetic_cluster_ipi in;
    std::memset(&in, 0, sizeof(in));
    in.processor_mask = 3;
    in.vector = 0xFF;
    EXPECT_EQ(hvf_root_call(hv_hypercall_input(HVCALL_SEND_IPI, 0, 0, 0), &in, sizeof(in)),
              (uint64_t)HV_STATUS_SUCCESS);
    EXPECT_EQ(hvf_irq_count, 2u);
    EXPECT_EQ(hvf_root()->vp[0]->arch.pending_irq[3], 1ull << 63);
    EXPECT_EQ(fast(0x10, 1), (uint64_t)HV_STATUS_SUCCESS);      // lowest valid vector
    EXPECT_EQ(hvf_irq_count, 3u);
    for (uint64_t v : { 0x0ull, 0x2ull, 0xFull, 0x100ull, 0xFFFFFFFFull })
        EXPECT_EQ(fast(v, 1), (uint64_t)HV_STATUS_INVALID_PARAMETER) << v;
    EXPECT_EQ(hvf_irq_count, 3u);
}

TEST_F(HvIpi, TargetVtlAndPaddingMustBeZero)
{
    EXPECT_EQ(fast(0x40 | (1ull << 32), 1), (uint64_t)HV_STATUS_INVALID_PARAMETER);   // VTL 1
    EXPECT_EQ(fast(0x40 | (1ull << 40), 1), (uint64_t)HV_STATUS_INVALID_PARAMETER);   // pad
    EXPECT_EQ(hvf_irq_count, 0u);
}

TEST_F(HvIpi, EmptyMaskSendsNothing)
{
    EXPECT_EQ(fast(0x40, 0), (uint64_t)HV_STATUS_SUCCESS);
    EXPECT_EQ(hvf_irq_count, 0u);
}

TEST(HvSpinWait, YieldsTheCallersSliceFastOrNot)
{
    hvf_reset();
    uint64_t in = hv_hypercall_input(HVCALL_NOTIFY_LONG_SPIN_WAIT, 1, 0, 0);
    bool adv = false;
    EXPECT_EQ(hvf_call(hvf_root_vp(), &in, 0x1000, 0, &adv), (uint64_t)HV_STATUS_SUCCESS);
    EXPECT_TRUE(adv);
    EXPECT_EQ(hvf_kick_count, 1u);
    EXPECT_EQ(hvf_last_kick, hvf_root_vp());
    uint32_t count[2] = { 0x2000, 0 };
    EXPECT_EQ(hvf_root_call(hv_hypercall_input(HVCALL_NOTIFY_LONG_SPIN_WAIT, 0, 0, 0), count, 8),
              (uint64_t)HV_STATUS_SUCCESS);
    EXPECT_EQ(hvf_kick_count, 2u);
}

TEST(HvMsrIntercept, MessageBytesMatchLinuxLayout)
{
    hvf_reset();
    uint64_t id = hvf_make_child("c1", 16);
    ASSERT_NE(id, 0u);
    struct hv_input_create_vp cv;
    std::memset(&cv, 0, sizeof(cv));
    cv.partition_id = id;
    ASSERT_EQ(hvf_root_call(hv_hypercall_input(HVCALL_CREATE_VP, 0, 0, 0), &cv, sizeof(cv)),
              (uint64_t)HV_STATUS_SUCCESS);
    struct hv_vp *vp = hv_part_get(id)->vp[0];
    // WRMSR (0F 30) of MSR 0x1234 with EDX:EAX = 0x11223344:0x55667788
    vp->ctx.gpr[0] = 0x55667788;
    vp->ctx.gpr[1] = 0x1234;
    vp->ctx.gpr[2] = 0x11223344;
    vp->ctx.rip = 0x402000;
    vp->ctx.rflags = 0x2;
    vp->ctx.cr0 = 0x80000011;
    vp->ctx.efer = 0x500;
    vp->ctx.cs = { 0, 0xFFFFFFFF, 0x08, 0xA09B };
    vp->ctx.ss = { 0, 0xFFFFFFFF, 0x10, 0xC093 };
    struct hv_intercept ii;
    std::memset(&ii, 0, sizeof(ii));
    ii.type = HVMSG_X64_MSR_INTERCEPT;
    ii.insn_len = 2;
    ii.access = HV_INTERCEPT_ACCESS_WRITE;
    ii.msr = 0x1234;
    struct hv_message m;
    ASSERT_EQ(synic_intercept_build(vp, &ii, &m), 0);
    const uint8_t *b = (const uint8_t *)&m;
    uint32_t u32;
    uint64_t u64;
    std::memcpy(&u32, b, 4);
    EXPECT_EQ(u32, 0x80010001u);            // HVMSG_X64_MSR_INTERCEPT
    EXPECT_EQ(b[4], 64);                    // payload size: 40 + 4 + 4 + 8 + 8
    std::memcpy(&u64, b + 8, 8);
    EXPECT_EQ(u64, id);                     // sender = the child's partition id
    const uint8_t *p = b + 16;
    std::memcpy(&u32, p, 4);
    EXPECT_EQ(u32, 0u);                     // VP index
    EXPECT_EQ(p[4], 2);                     // instruction length (3:0), CR8 0
    EXPECT_EQ(p[5], 1);                     // write
    uint16_t es;
    std::memcpy(&es, p + 6, 2);
    EXPECT_EQ(es, (1u << 2) | (1u << 4));   // CR0.PE, EFER.LMA, CPL 0
    std::memcpy(&u64, p + 24, 8);
    EXPECT_EQ(u64, 0x402000u);              // RIP
    std::memcpy(&u32, p + 40, 4);
    EXPECT_EQ(u32, 0x1234u);                // MSR number
    std::memcpy(&u32, p + 44, 4);
    EXPECT_EQ(u32, 0u);                     // reserved
    std::memcpy(&u64, p + 48, 8);
    EXPECT_EQ(u64, 0x11223344u);            // RDX
    std::memcpy(&u64, p + 56, 8);
    EXPECT_EQ(u64, 0x55667788u);            // RAX
}

} // namespace
