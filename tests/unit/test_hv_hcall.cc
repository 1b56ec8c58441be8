// test_hv_hcall.cc — the hypercall dispatcher (hv/hcall/dispatch.c) against the TLFS rules:
// input value decoding and reserved bits (TLFS 3.7), the call table, privileges, the memory
// form's alignment / page-crossing / mapping checks, the fast form, rep continuation and
// completion (3.7.4). Fakes of the core: tests/unit/hv_fakes.h.
#include <gtest/gtest.h>

#include <cstring>

extern "C" {
#include "hv/abi/tlfs.h"
#include "hv/hcall/hcall.h"
#include "hv/part/partition.h"
#include "tests/unit/hv_fakes.h"
}

namespace {

class HvHcall : public ::testing::Test {
protected:
    void SetUp() override { hvf_reset(); }

    // One VMCALL from the root's VP 0 with the input page prepared; no automatic continuation.
    uint64_t call1(uint64_t input, uint64_t in_gpa = HVF_IN_GPA, uint64_t out_gpa = HVF_OUT_GPA,
                   bool *advance = nullptr, uint64_t *new_input = nullptr)
    {
        uint64_t in = input;
        uint64_t r = hvf_call(hvf_root_vp(), &in, in_gpa, out_gpa, advance);
        if (new_input)
            *new_input = in;
        return r;
    }
    void put_in(const void *p, size_t n) { std::memcpy(hvf_ptr(HVF_IN_GPA), p, n); }
};

uint16_t status(uint64_t rax) { return (uint16_t)(rax & 0xFFFF); }
uint32_t reps(uint64_t rax) { return (uint32_t)((rax >> 32) & 0xFFF); }

TEST_F(HvHcall, InputValueLayoutMatchesTlfs)
{
    // TLFS 3.7: code 15:0, fast 16, rep count 43:32, rep start 59:48
    EXPECT_EQ(hv_hypercall_input(0x0048, 0, 3, 1), 0x0001000300000048ull);
    EXPECT_EQ(hv_hypercall_input(0x0041, 1, 0, 0), 0x0000000000010041ull);
    EXPECT_EQ(HV_HYPERCALL_RSVD_MASK, 0xF000F000F8000000ull);
}

TEST_F(HvHcall, ReservedInputBitsAreInvalidInput)
{
    uint64_t base = hv_hypercall_input(HVCALL_GET_PARTITION_ID, 0, 0, 0);
    for (int bit : { 27, 30, 31, 44, 47, 60, 63 }) {
        bool adv = false;
        EXPECT_EQ(call1(base | (1ull << bit), HVF_IN_GPA, HVF_OUT_GPA, &adv),
                  (uint64_t)HV_STATUS_INVALID_HYPERCALL_INPUT) << "bit " << bit;
        EXPECT_TRUE(adv);
    }
}

TEST_F(HvHcall, UnknownCodeIsInvalidHypercallCode)
{
    EXPECT_EQ(call1(0x0001), (uint64_t)HV_STATUS_INVALID_HYPERCALL_CODE);
    EXPECT_EQ(call1(0xFFFF), (uint64_t)HV_STATUS_INVALID_HYPERCALL_CODE);
    EXPECT_EQ(call1(0x0047), (uint64_t)HV_STATUS_INVALID_HYPERCALL_CODE);
}

TEST_F(HvHcall, VariableHeaderSizeIsInvalidInput)
{
    uint64_t in = hv_hypercall_input(HVCALL_GET_PARTITION_ID, 0, 0, 0) | (1ull << 17);
    EXPECT_EQ(call1(in), (uint64_t)HV_STATUS_INVALID_HYPERCALL_INPUT);
}

TEST_F(HvHcall, RepFieldsOnSimpleCallAreInvalidInput)
{
    EXPECT_EQ(call1(hv_hypercall_input(HVCALL_GET_PARTITION_ID, 0, 1, 0)),
              (uint64_t)HV_STATUS_INVALID_HYPERCALL_INPUT);
    EXPECT_EQ(call1(hv_hypercall_input(HVCALL_GET_PARTITION_ID, 0, 0, 1)),
              (uint64_t)HV_STATUS_INVALID_HYPERCALL_INPUT);
}

TEST_F(HvHcall, RepStartNotBelowRepCountIsInvalidInput)
{
    uint64_t id = 1;
    put_in(&id, 8);
    EXPECT_EQ(call1(hv_hypercall_input(HVCALL_DEPOSIT_MEMORY, 0, 2, 2)),
              (uint64_t)HV_STATUS_INVALID_HYPERCALL_INPUT);
    EXPECT_EQ(call1(hv_hypercall_input(HVCALL_DEPOSIT_MEMORY, 0, 0, 0)),
              (uint64_t)HV_STATUS_INVALID_HYPERCALL_INPUT);
}

TEST_F(HvHcall, FastFormOnlyWhereAllowed)
{
    EXPECT_EQ(call1(hv_hypercall_input(HVCALL_CREATE_PARTITION, 1, 0, 0)),
              (uint64_t)HV_STATUS_INVALID_HYPERCALL_INPUT);
    // InitializePartition has a fast form: the partition id comes in RDX
    uint64_t id = hvf_make_child("fast", 0);
    ASSERT_EQ(id, 2u);
    ASSERT_EQ(status(hvf_deposit(id, 1)), HV_STATUS_SUCCESS);
    EXPECT_EQ(call1(hv_hypercall_input(HVCALL_INITIALIZE_PARTITION, 1, 0, 0), id, 0),
              (uint64_t)HV_STATUS_SUCCESS);
    EXPECT_EQ(hv_part_get(id)->state, HV_PART_INITIALIZED);
    // fast input needs no memory: a GPA-looking RDX value is just the id
    EXPECT_EQ(call1(hv_hypercall_input(HVCALL_FINALIZE_PARTITION, 1, 0, 0), 0x12345, 0),
              (uint64_t)HV_STATUS_INVALID_PARTITION_ID);
}

TEST_F(HvHcall, MissingPrivilegeIsAccessDenied)
{
    hvf_root()->privileges &= ~HV_PRIV_ACCESS_PARTITION_ID;
    EXPECT_EQ(call1(hv_hypercall_input(HVCALL_GET_PARTITION_ID, 0, 0, 0)),
              (uint64_t)HV_STATUS_ACCESS_DENIED);
    // the privilege check comes before the memory checks
    EXPECT_EQ(call1(hv_hypercall_input(HVCALL_GET_PARTITION_ID, 0, 0, 0), 1, 3),
              (uint64_t)HV_STATUS_ACCESS_DENIED);
}

TEST_F(HvHcall, MisalignedOrPageCrossingBlocksAreInvalidAlignment)
{
    struct hv_input_get_partition_property in = { HV_PARTITION_ID_SELF,
                                                  HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS, 0 };
    uint64_t code = hv_hypercall_input(HVCALL_GET_PARTITION_PROPERTY, 0, 0, 0);
    std::memcpy(hvf_ptr(HVF_IN_GPA + 4), &in, sizeof(in));
    EXPECT_EQ(call1(code, HVF_IN_GPA + 4), (uint64_t)HV_STATUS_INVALID_ALIGNMENT);
    EXPECT_EQ(call1(code, HVF_IN_GPA, HVF_OUT_GPA + 1), (uint64_t)HV_STATUS_INVALID_ALIGNMENT);
    // 16-byte input at offset 0xFF8 crosses into the next page
    EXPECT_EQ(call1(code, HVF_IN_GPA + 0xFF8), (uint64_t)HV_STATUS_INVALID_ALIGNMENT);
    // 8-byte output at 0xFF8 fits exactly
    std::memcpy(hvf_ptr(HVF_IN_GPA), &in, sizeof(in));
    EXPECT_EQ(call1(code, HVF_IN_GPA, HVF_OUT_GPA + 0xFF8), (uint64_t)HV_STATUS_SUCCESS);
    // a rep block: header 8 + 2 * 8 at 0xFE8 ends at 0x1000 (fits), 3 elements cross
    uint64_t dep = hv_hypercall_input(HVCALL_DEPOSIT_MEMORY, 0, 3, 0);
    EXPECT_EQ(call1(dep, HVF_IN_GPA + 0xFE8), (uint64_t)HV_STATUS_INVALID_ALIGNMENT);
}

TEST_F(HvHcall, UnmappedOrReadOnlyPagesAreInvalidParameter)
{
    uint64_t code = hv_hypercall_input(HVCALL_GET_PARTITION_ID, 0, 0, 0);
    // output beyond the root's RAM, and in the hypervisor's pool (never in any EPT)
    EXPECT_EQ(call1(code, 0, HVF_RAM_END), (uint64_t)HV_STATUS_INVALID_PARAMETER);
    EXPECT_EQ(call1(code, 0, HVF_POOL_BASE), (uint64_t)HV_STATUS_INVALID_PARAMETER);
    // a read-only output page
    ASSERT_EQ(ept_map(&hvf_root()->ept, 0x102000, 0x102000, EPT_R), 0);
    EXPECT_EQ(call1(code, 0, 0x102000), (uint64_t)HV_STATUS_INVALID_PARAMETER);
    // an unmapped input page
    uint64_t init = hv_hypercall_input(HVCALL_INITIALIZE_PARTITION, 0, 0, 0);
    EXPECT_EQ(call1(init, HVF_RAM_END + 0x1000), (uint64_t)HV_STATUS_INVALID_PARAMETER);
    // a mapped device (not RAM) page: the hypervisor never reads or writes MMIO for a guest
    ASSERT_EQ(ept_map(&hvf_root()->ept, 0x104000, HVF_POOL_END, EPT_R | EPT_W), 0);
    EXPECT_EQ(call1(code, 0, 0x104000), (uint64_t)HV_STATUS_INVALID_PARAMETER);
    EXPECT_EQ(call1(init, 0x104000), (uint64_t)HV_STATUS_INVALID_PARAMETER);
    // an execute-only input page is not readable
    ASSERT_EQ(ept_map(&hvf_root()->ept, 0x103000, 0x103000, EPT_X), 0);
    EXPECT_EQ(call1(init, 0x103000), (uint64_t)HV_STATUS_INVALID_PARAMETER);
}

TEST_F(HvHcall, SimpleCallWritesOutput)
{
    std::memset(hvf_out(), 0xAA, 16);
    EXPECT_EQ(call1(hv_hypercall_input(HVCALL_GET_PARTITION_ID, 0, 0, 0)),
              (uint64_t)HV_STATUS_SUCCESS);
    uint64_t id;
    std::memcpy(&id, hvf_out(), 8);
    EXPECT_EQ(id, 1u);
    EXPECT_EQ(((uint8_t *)hvf_out())[8], 0xAA);     // nothing beyond the 8-byte output
}

TEST_F(HvHcall, FailedSimpleCallLeavesOutputAlone)
{
    struct hv_input_get_partition_property in = { HV_PARTITION_ID_SELF, 0x12345678, 0 };
    put_in(&in, sizeof(in));
    std::memset(hvf_out(), 0xAA, 8);
    EXPECT_EQ(call1(hv_hypercall_input(HVCALL_GET_PARTITION_PROPERTY, 0, 0, 0)),
              (uint64_t)HV_STATUS_UNKNOWN_PROPERTY);
    EXPECT_EQ(((uint8_t *)hvf_out())[0], 0xAA);
}

TEST_F(HvHcall, RepCallContinuesEverySixteenElements)
{
    uint64_t id = hvf_make_child("rep", 0);
    ASSERT_NE(id, 0u);
    uint64_t buf[41];
    uint64_t first = hvf_take_pages(40);
    buf[0] = id;
    for (int i = 0; i < 40; i++)
        buf[1 + i] = (first >> 12) + i;
    put_in(buf, sizeof(buf));
    uint64_t in = hv_hypercall_input(HVCALL_DEPOSIT_MEMORY, 0, 40, 0), next;
    bool adv = true;
    // exit 1: elements 0..15, RIP stays, RCX's rep start = 16
    uint64_t r = call1(in, HVF_IN_GPA, HVF_OUT_GPA, &adv, &next);
    EXPECT_FALSE(adv);
    EXPECT_EQ(next, hv_hypercall_input(HVCALL_DEPOSIT_MEMORY, 0, 40, 16));
    EXPECT_EQ(reps(r), 16u);
    r = call1(next, HVF_IN_GPA, HVF_OUT_GPA, &adv, &next);
    EXPECT_FALSE(adv);
    EXPECT_EQ(next, hv_hypercall_input(HVCALL_DEPOSIT_MEMORY, 0, 40, 32));
    r = call1(next, HVF_IN_GPA, HVF_OUT_GPA, &adv, &next);
    EXPECT_TRUE(adv);
    EXPECT_EQ(r, (uint64_t)HV_STATUS_SUCCESS | (40ull << 32));
    EXPECT_EQ(hv_part_get(id)->pool.total_pages, 40u);
}

TEST_F(HvHcall, RepCallStopsAtFirstBadElement)
{
    uint64_t id = hvf_make_child("bad", 0);
    uint64_t first = hvf_take_pages(2);
    uint64_t buf[5] = { id, first >> 12, (first >> 12) + 1, HVF_RAM_END >> 12, first >> 12 };
    put_in(buf, sizeof(buf));
    bool adv = false;
    uint64_t r = call1(hv_hypercall_input(HVCALL_DEPOSIT_MEMORY, 0, 4, 0), HVF_IN_GPA,
                       HVF_OUT_GPA, &adv);
    EXPECT_TRUE(adv);
    EXPECT_EQ(status(r), HV_STATUS_INVALID_PARAMETER);
    EXPECT_EQ(reps(r), 2u);
    EXPECT_EQ(hv_part_get(id)->pool.total_pages, 2u);
}

TEST_F(HvHcall, RepStartSkipsDoneElements)
{
    uint64_t id = hvf_make_child("skip", 0);
    uint64_t first = hvf_take_pages(3);
    // element 0 is garbage, but rep start 1 means it was done already
    uint64_t buf[4] = { id, ~0ull, first >> 12, (first >> 12) + 1 };
    put_in(buf, sizeof(buf));
    uint64_t r = call1(hv_hypercall_input(HVCALL_DEPOSIT_MEMORY, 0, 3, 1));
    EXPECT_EQ(r, (uint64_t)HV_STATUS_SUCCESS | (3ull << 32));
    EXPECT_EQ(hv_part_get(id)->pool.total_pages, 2u);
}

TEST_F(HvHcall, InputIsCopiedBeforeTheHandlerRuns)
{
    // The handler reads the per-LP copy: changing the guest page after the copy (here: the
    // dispatcher's buffer is what GetPartitionProperty reads) cannot change the result. We
    // check the copy itself: hc_dispatch_buf leaves the input block in in_buf.
    static uint8_t inb[4096], outb[4096];
    struct hv_input_get_partition_property in = { HV_PARTITION_ID_SELF,
                                                  HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS, 0 };
    put_in(&in, sizeof(in));
    struct hc_call c = { hv_hypercall_input(HVCALL_GET_PARTITION_PROPERTY, 0, 0, 0), HVF_IN_GPA,
                         HVF_OUT_GPA, 0, false };
    hc_dispatch_buf(hvf_root_vp(), &c, inb, outb);
    EXPECT_EQ(c.result, (uint64_t)HV_STATUS_SUCCESS);
    EXPECT_EQ(std::memcmp(inb, &in, sizeof(in)), 0);
    uint64_t v;
    std::memcpy(&v, outb, 8);
    EXPECT_EQ(v, HV_ROOT_PRIVILEGES);
}

} // namespace
