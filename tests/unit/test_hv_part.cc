// test_hv_part.cc — partition, memory and VP hypercalls (hv/hcall/hc_partition.c, hc_memory.c,
// hc_vp.c, hv/part/) against the TLFS and docs/HYPERVISOR.md: states, ids, properties,
// deposits leaving the root's EPT, withdrawals, GPA mapping rules (a child cannot map into
// another partition), VP creation, register access, suspend/resume and start.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

extern "C" {
#include "hv/abi/tlfs.h"
#include "hv/part/partition.h"
#include "traces/annot_abi.h"
#include "tests/unit/hv_fakes.h"
}

namespace {

uint16_t status(uint64_t rax) { return (uint16_t)(rax & 0xFFFF); }
uint32_t reps(uint64_t rax) { return (uint32_t)((rax >> 32) & 0xFFF); }

uint64_t simple(uint16_t code, const void *in, unsigned len)
{
    return hvf_root_call(hv_hypercall_input(code, 0, 0, 0), in, len);
}
uint64_t id_call(uint16_t code, uint64_t id) { return simple(code, &id, 8); }

uint64_t map(uint64_t target, uint64_t gpa_page, uint32_t flags, const std::vector<uint64_t> &src)
{
    std::vector<uint64_t> buf = { target, gpa_page, flags };
    buf.insert(buf.end(), src.begin(), src.end());
    return hvf_root_call(hv_hypercall_input(HVCALL_MAP_GPA_PAGES, 0, (uint32_t)src.size(), 0),
                         buf.data(), (unsigned)(buf.size() * 8));
}

uint64_t unmap(uint64_t target, uint64_t gpa_page, uint32_t count, uint32_t flags = 0)
{
    uint64_t buf[3] = { target, gpa_page, flags };
    return hvf_root_call(hv_hypercall_input(HVCALL_UNMAP_GPA_PAGES, 0, count, 0), buf, 24);
}

uint64_t create_vp(uint64_t id, uint32_t index)
{
    struct hv_input_create_vp in;
    std::memset(&in, 0, sizeof(in));
    in.partition_id = id;
    in.vp_index = index;
    return simple(HVCALL_CREATE_VP, &in, sizeof(in));
}

uint64_t set_prop(uint64_t id, uint32_t code, uint64_t v)
{
    struct hv_input_set_partition_property in = { id, code, 0, v };
    return simple(HVCALL_SET_PARTITION_PROPERTY, &in, sizeof(in));
}

uint64_t get_prop(uint64_t id, uint32_t code, uint64_t *v)
{
    struct hv_input_get_partition_property in = { id, code, 0 };
    uint64_t r = simple(HVCALL_GET_PARTITION_PROPERTY, &in, sizeof(in));
    std::memcpy(v, hvf_out(), 8);
    return r;
}

bool root_maps(uint64_t gpa)
{
    uint64_t hpa;
    unsigned perms;
    return ept_lookup(&hvf_root()->ept, gpa, &hpa, &perms) == 0 && hpa == gpa &&
           perms == (EPT_R | EPT_W | EPT_X);
}

class HvPart : public ::testing::Test {
protected:
    void SetUp() override { hvf_reset(); }
};

TEST_F(HvPart, CreatePartitionReturnsIdsFromTwoAndAnnotates)
{
    EXPECT_EQ(hvf_make_child("alpha", 0), 2u);
    EXPECT_EQ(hvf_annot_kind, (uint32_t)HVSIM_ANNOT_PARTITION_CREATE);
    EXPECT_EQ(hvf_annot_args[0], 2u);
    EXPECT_EQ(hvf_annot_args[1], 0x6168706C61ull);     // "alpha" little-endian
    EXPECT_EQ(hvf_annot_args[2], 0u);
    struct hv_partition *p = hv_part_get(2);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->state, HV_PART_CREATED);
    EXPECT_EQ(p->parent, hvf_root());
    EXPECT_EQ(p->privileges, HV_CHILD_DEFAULT_PRIVILEGES);
    // unnamed: "p3"
    EXPECT_EQ(hvf_make_child("", 0), 3u);
    EXPECT_STREQ(hv_part_get(3)->name, "p3");
}

TEST_F(HvPart, ChildPrivilegesNeverMeanRoot)
{
    uint64_t p = HV_CHILD_DEFAULT_PRIVILEGES;
    EXPECT_FALSE((p & HV_PRIV_CREATE_PARTITIONS) && (p & HV_PRIV_CPU_MANAGEMENT));
    EXPECT_EQ(p >> 32, 0xB2u);      // AccessPartitionId, PostMessages, SignalEvents, ConnectPort
    EXPECT_EQ(HV_ROOT_PRIVILEGES >> 32, 0x10F7u);
}

TEST_F(HvPart, CreatePartitionRejectsUnknownFlags)
{
    struct hv_input_create_partition in;
    std::memset(&in, 0, sizeof(in));
    in.flags = 1;
    EXPECT_EQ(simple(HVCALL_CREATE_PARTITION, &in, sizeof(in)),
              (uint64_t)HV_STATUS_INVALID_PARAMETER);
    in.flags = HV_PARTITION_CREATION_FLAG_LAPIC_ENABLED;
    EXPECT_EQ(simple(HVCALL_CREATE_PARTITION, &in, sizeof(in)), (uint64_t)HV_STATUS_SUCCESS);
}

TEST_F(HvPart, FullTableIsNoResources)
{
    for (uint64_t id = 2; id <= HV_MAX_PARTITIONS; id++)
        ASSERT_EQ(hvf_make_child("x", 0), id);
    struct hv_input_create_partition in;
    std::memset(&in, 0, sizeof(in));
    EXPECT_EQ(simple(HVCALL_CREATE_PARTITION, &in, sizeof(in)), (uint64_t)HV_STATUS_NO_RESOURCES);
}

TEST_F(HvPart, InitializeChargesThePartitionsPool)
{
    uint64_t id = hvf_make_child("m", 0);
    EXPECT_EQ(id_call(HVCALL_INITIALIZE_PARTITION, id), (uint64_t)HV_STATUS_INSUFFICIENT_MEMORY);
    EXPECT_EQ(hv_part_get(id)->state, HV_PART_CREATED);
    ASSERT_EQ(status(hvf_deposit(id, 1)), HV_STATUS_SUCCESS);
    EXPECT_EQ(id_call(HVCALL_INITIALIZE_PARTITION, id), (uint64_t)HV_STATUS_SUCCESS);
    EXPECT_EQ(hv_part_get(id)->state, HV_PART_INITIALIZED);
    EXPECT_EQ(hv_part_get(id)->pool.free_pages, 0u);    // the PML4
    EXPECT_EQ(id_call(HVCALL_INITIALIZE_PARTITION, id), (uint64_t)HV_STATUS_INVALID_PARTITION_STATE);
}

TEST_F(HvPart, FinalizeNeedsInitialized)
{
    uint64_t id = hvf_make_child("f", 0);
    EXPECT_EQ(id_call(HVCALL_FINALIZE_PARTITION, id), (uint64_t)HV_STATUS_INVALID_PARTITION_STATE);
    hvf_deposit(id, 1);
    ASSERT_EQ(id_call(HVCALL_INITIALIZE_PARTITION, id), (uint64_t)HV_STATUS_SUCCESS);
    EXPECT_EQ(id_call(HVCALL_FINALIZE_PARTITION, id), (uint64_t)HV_STATUS_SUCCESS);
    EXPECT_EQ(id_call(HVCALL_FINALIZE_PARTITION, id), (uint64_t)HV_STATUS_INVALID_PARTITION_STATE);
}

TEST_F(HvPart, OnlyOwnChildrenHaveValidIds)
{
    EXPECT_EQ(id_call(HVCALL_INITIALIZE_PARTITION, 0), (uint64_t)HV_STATUS_INVALID_PARTITION_ID);
    EXPECT_EQ(id_call(HVCALL_INITIALIZE_PARTITION, 9), (uint64_t)HV_STATUS_INVALID_PARTITION_ID);
    EXPECT_EQ(id_call(HVCALL_INITIALIZE_PARTITION, 1), (uint64_t)HV_STATUS_INVALID_PARTITION_ID);
    EXPECT_EQ(id_call(HVCALL_DELETE_PARTITION, HV_PARTITION_ID_SELF),
              (uint64_t)HV_STATUS_INVALID_PARTITION_ID);
    EXPECT_EQ(id_call(HVCALL_INITIALIZE_PARTITION, 1ull << 40),
              (uint64_t)HV_STATUS_INVALID_PARTITION_ID);
}

TEST_F(HvPart, DeleteGivesEveryPageBackToTheRoot)
{
    uint64_t id = hvf_make_child("d", 16);
    ASSERT_EQ(id, 2u);
    uint64_t src = hvf_take_pages(2);
    ASSERT_EQ(map(id, 0, HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE, { src >> 12, (src >> 12) + 1 }),
              (uint64_t)HV_STATUS_SUCCESS | (2ull << 32));
    ASSERT_EQ(create_vp(id, 0), (uint64_t)HV_STATUS_SUCCESS);
    uint64_t first = HVF_SPARE_BASE;    // hvf_make_child deposited the first 16 spare pages
    for (int i = 0; i < 16; i++)
        EXPECT_FALSE(root_maps(first + i * 4096ull));
    EXPECT_EQ(id_call(HVCALL_DELETE_PARTITION, id), (uint64_t)HV_STATUS_SUCCESS);
    EXPECT_EQ(hvf_annot_kind, (uint32_t)HVSIM_ANNOT_PARTITION_DELETE);
    EXPECT_EQ(hvf_annot_args[0], id);
    EXPECT_EQ(hvf_arch_destroy_count, 1u);
    for (int i = 0; i < 16; i++)
        EXPECT_TRUE(root_maps(first + i * 4096ull)) << i;
    EXPECT_EQ(hvf_log_count, 0u);       // no page was still in use
    EXPECT_EQ(hv_part_get(id), nullptr);
    EXPECT_EQ(id_call(HVCALL_DELETE_PARTITION, id), (uint64_t)HV_STATUS_INVALID_PARTITION_ID);
    EXPECT_EQ(hvf_make_child("again", 0), id);  // the slot is free again
}

TEST_F(HvPart, PartitionProperties)
{
    uint64_t id = hvf_make_child("prop", 0), v = 0;
    EXPECT_EQ(get_prop(id, HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS, &v), (uint64_t)HV_STATUS_SUCCESS);
    EXPECT_EQ(v, HV_CHILD_DEFAULT_PRIVILEGES);
    EXPECT_EQ(get_prop(HV_PARTITION_ID_SELF, HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS, &v),
              (uint64_t)HV_STATUS_SUCCESS);
    EXPECT_EQ(v, HV_ROOT_PRIVILEGES);
    EXPECT_EQ(get_prop(id, HV_PARTITION_PROPERTY_HVSIM_VP_LIMIT, &v), (uint64_t)HV_STATUS_SUCCESS);
    EXPECT_EQ(v, (uint64_t)HV_MAX_VPS);
    EXPECT_EQ(get_prop(id, 0x00020000, &v), (uint64_t)HV_STATUS_UNKNOWN_PROPERTY);
    // a child may not get CreatePartitions, CpuManagement or AccessMemoryPool
    EXPECT_EQ(set_prop(id, HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS,
                       HV_CHILD_DEFAULT_PRIVILEGES | HV_PRIV_CREATE_PARTITIONS),
              (uint64_t)HV_STATUS_PROPERTY_VALUE_OUT_OF_RANGE);
    EXPECT_EQ(set_prop(id, HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS, HV_PRIV_CPU_MANAGEMENT),
              (uint64_t)HV_STATUS_PROPERTY_VALUE_OUT_OF_RANGE);
    EXPECT_EQ(set_prop(id, HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS, HV_PRIV_ACCESS_MEMORY_POOL),
              (uint64_t)HV_STATUS_PROPERTY_VALUE_OUT_OF_RANGE);
    EXPECT_EQ(set_prop(id, HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS, HV_PRIV_ACCESS_PARTITION_ID),
              (uint64_t)HV_STATUS_SUCCESS);
    EXPECT_EQ(hv_part_get(id)->privileges, HV_PRIV_ACCESS_PARTITION_ID);
    EXPECT_EQ(set_prop(id, HV_PARTITION_PROPERTY_HVSIM_VP_LIMIT, 0),
              (uint64_t)HV_STATUS_PROPERTY_VALUE_OUT_OF_RANGE);
    EXPECT_EQ(set_prop(id, HV_PARTITION_PROPERTY_HVSIM_VP_LIMIT, HV_MAX_VPS + 1),
              (uint64_t)HV_STATUS_PROPERTY_VALUE_OUT_OF_RANGE);
    EXPECT_EQ(set_prop(id, HV_PARTITION_PROPERTY_HVSIM_VP_LIMIT, 2), (uint64_t)HV_STATUS_SUCCESS);
    EXPECT_EQ(set_prop(HV_PARTITION_ID_SELF, HV_PARTITION_PROPERTY_HVSIM_VP_LIMIT, 2),
              (uint64_t)HV_STATUS_INVALID_PARTITION_ID);
    EXPECT_EQ(set_prop(id, 0x00020000, 0), (uint64_t)HV_STATUS_UNKNOWN_PROPERTY);
    hvf_deposit(id, 1);
    ASSERT_EQ(id_call(HVCALL_INITIALIZE_PARTITION, id), (uint64_t)HV_STATUS_SUCCESS);
    EXPECT_EQ(set_prop(id, HV_PARTITION_PROPERTY_HVSIM_VP_LIMIT, 3),
              (uint64_t)HV_STATUS_INVALID_PARTITION_STATE);
    EXPECT_EQ(create_vp(id, 2), (uint64_t)HV_STATUS_INVALID_VP_INDEX);   // limit 2
}

TEST_F(HvPart, DepositMovesPagesOutOfTheRootsEpt)
{
    uint64_t id = hvf_make_child("dep", 0);
    uint64_t page = hvf_take_pages(1);
    uint64_t buf[2] = { id, page >> 12 };
    ASSERT_TRUE(root_maps(page));
    unsigned flushes = hvf_flush_count;
    EXPECT_EQ(hvf_root_call(hv_hypercall_input(HVCALL_DEPOSIT_MEMORY, 0, 1, 0), buf, 16),
              (uint64_t)HV_STATUS_SUCCESS | (1ull << 32));
    EXPECT_FALSE(root_maps(page));
    EXPECT_EQ(ept_lookup(&hvf_root()->ept, page, nullptr, nullptr), -1);
    EXPECT_EQ(hvf_flush_count, flushes + 1);
    EXPECT_EQ(hvf_last_flush, &hvf_root()->ept);
    EXPECT_EQ(hv_part_get(id)->pool.total_pages, 1u);
    EXPECT_EQ(hv_part_get(id)->pool.free_head, page);
    // the same page again: no longer the root's
    EXPECT_EQ(hvf_root_call(hv_hypercall_input(HVCALL_DEPOSIT_MEMORY, 0, 1, 0), buf, 16),
              (uint64_t)HV_STATUS_INVALID_PARAMETER);
    // hypervisor memory and addresses beyond RAM are not the root's either
    buf[1] = HVF_POOL_BASE >> 12;
    EXPECT_EQ(hvf_root_call(hv_hypercall_input(HVCALL_DEPOSIT_MEMORY, 0, 1, 0), buf, 16),
              (uint64_t)HV_STATUS_INVALID_PARAMETER);
    buf[1] = 1ull << 52;
    EXPECT_EQ(hvf_root_call(hv_hypercall_input(HVCALL_DEPOSIT_MEMORY, 0, 1, 0), buf, 16),
              (uint64_t)HV_STATUS_INVALID_PARAMETER);
    // a read-only root page
    uint64_t ro = hvf_take_pages(1);
    ASSERT_EQ(ept_map(&hvf_root()->ept, ro, ro, EPT_R), 0);
    buf[1] = ro >> 12;
    EXPECT_EQ(hvf_root_call(hv_hypercall_input(HVCALL_DEPOSIT_MEMORY, 0, 1, 0), buf, 16),
              (uint64_t)HV_STATUS_INVALID_PARAMETER);
    // device MMIO the root maps is not RAM: never a pool page
    ASSERT_EQ(ept_map(&hvf_root()->ept, HVF_POOL_END, HVF_POOL_END, EPT_R | EPT_W), 0);
    buf[1] = HVF_POOL_END >> 12;
    EXPECT_EQ(hvf_root_call(hv_hypercall_input(HVCALL_DEPOSIT_MEMORY, 0, 1, 0), buf, 16),
              (uint64_t)HV_STATUS_INVALID_PARAMETER);
    // an unknown partition
    buf[0] = 7;
    buf[1] = hvf_take_pages(1) >> 12;
    EXPECT_EQ(hvf_root_call(hv_hypercall_input(HVCALL_DEPOSIT_MEMORY, 0, 1, 0), buf, 16),
              (uint64_t)HV_STATUS_INVALID_PARTITION_ID);
}

TEST_F(HvPart, APageMappedIntoAChildCannotBeDeposited)
{
    uint64_t a = hvf_make_child("a", 8), b = hvf_make_child("b", 0);
    uint64_t src = hvf_take_pages(3);
    ASSERT_EQ(status(map(a, 0, HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE,
                         { src >> 12, (src >> 12) + 2 })),
              HV_STATUS_SUCCESS);
    ASSERT_EQ(status(unmap(a, 0, 1)), HV_STATUS_SUCCESS);   // conservative: still refused
    for (uint64_t page : { src, src + 0x2000 }) {
        uint64_t buf[2] = { b, page >> 12 };
        EXPECT_EQ(hvf_root_call(hv_hypercall_input(HVCALL_DEPOSIT_MEMORY, 0, 1, 0), buf, 16),
                  (uint64_t)HV_STATUS_INVALID_PARAMETER);
        EXPECT_TRUE(root_maps(page));
    }
    uint64_t buf[2] = { b, (src >> 12) + 1 };    // never mapped into a child
    EXPECT_EQ(hvf_root_call(hv_hypercall_input(HVCALL_DEPOSIT_MEMORY, 0, 1, 0), buf, 16),
              (uint64_t)HV_STATUS_SUCCESS | (1ull << 32));
    ASSERT_EQ(id_call(HVCALL_DELETE_PARTITION, a), (uint64_t)HV_STATUS_SUCCESS);
    buf[1] = src >> 12;
    EXPECT_EQ(hvf_root_call(hv_hypercall_input(HVCALL_DEPOSIT_MEMORY, 0, 1, 0), buf, 16),
              (uint64_t)HV_STATUS_SUCCESS | (1ull << 32));
}

TEST_F(HvPart, APageTheHypervisorWritesForTheRootCannotBeDeposited)
{
    // the hypervisor writes into the root's hypercall page, reference TSC page and each VP's
    // SynIC message and event-flags pages: given to a pool they would become hypervisor memory
    // that it still writes (a VMCS, EPT tables). Each enabled one is refused; disabled, not.
    uint64_t id = hvf_make_child("ov", 0);
    struct hv_partition *root = hvf_root();
    struct hv_vp *vp = hvf_root_vp();
    uint64_t pages = hvf_take_pages(4);
    uint64_t *regs[4] = { &root->hypercall_msr, &root->ref_tsc_msr, &vp->synic.simp,
                          &vp->synic.siefp };
    for (int k = 0; k < 4; k++) {
        uint64_t page = pages + 0x1000ull * k;
        uint64_t saved = *regs[k];
        uint64_t buf[2] = { id, page >> 12 };
        *regs[k] = page | 1;
        EXPECT_EQ(hvf_root_call(hv_hypercall_input(HVCALL_DEPOSIT_MEMORY, 0, 1, 0), buf, 16),
                  (uint64_t)HV_STATUS_INVALID_PARAMETER)
            << "register " << k;
        EXPECT_TRUE(root_maps(page));
        *regs[k] = page;   // the same GPA, not enabled
        EXPECT_EQ(hvf_root_call(hv_hypercall_input(HVCALL_DEPOSIT_MEMORY, 0, 1, 0), buf, 16),
                  (uint64_t)HV_STATUS_SUCCESS | (1ull << 32))
            << "register " << k;
        *regs[k] = saved;
    }
}

TEST_F(HvPart, WithdrawReturnsFreePagesToTheRoot)
{
    uint64_t id = hvf_make_child("w", 0);
    ASSERT_EQ(status(hvf_deposit(id, 3)), HV_STATUS_SUCCESS);
    uint64_t first = HVF_SPARE_BASE;
    uint64_t in[2] = { id, 0 };
    std::memset(hvf_out(), 0, 64);
    uint64_t r = hvf_root_call(hv_hypercall_input(HVCALL_WITHDRAW_MEMORY, 0, 5, 0), in, 16);
    EXPECT_EQ(status(r), HV_STATUS_NO_RESOURCES);
    EXPECT_EQ(reps(r), 3u);
    uint64_t out[4];
    std::memcpy(out, hvf_out(), sizeof(out));
    std::vector<uint64_t> got(out, out + 3), want = { first >> 12, (first >> 12) + 1,
                                                      (first >> 12) + 2 };
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, want);
    EXPECT_EQ(out[3], 0u);
    for (int i = 0; i < 3; i++)
        EXPECT_TRUE(root_maps(first + i * 4096ull));
    EXPECT_EQ(hv_part_get(id)->pool.total_pages, 0u);
}

TEST_F(HvPart, OnlyTheRootDepositsAndWithdraws)
{
    uint64_t id = hvf_make_child("c", 64);
    uint64_t src = hvf_take_pages(4);
    ASSERT_EQ(status(map(id, 0, HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE,
                         { src >> 12, (src >> 12) + 1, (src >> 12) + 2, (src >> 12) + 3 })),
              HV_STATUS_SUCCESS);
    ASSERT_EQ(create_vp(id, 0), (uint64_t)HV_STATUS_SUCCESS);
    struct hv_vp *cvp = hv_part_get(id)->vp[0];
    // the child's GPA 0x1000 is the root's src + 0x1000
    uint64_t in[2] = { HV_PARTITION_ID_SELF, 3 };
    std::memcpy(hvf_ptr(src + 0x1000), in, 16);
    uint64_t input = hv_hypercall_input(HVCALL_DEPOSIT_MEMORY, 0, 1, 0);
    EXPECT_EQ(hvf_call(cvp, &input, 0x1000, 0x2000, nullptr), (uint64_t)HV_STATUS_ACCESS_DENIED);
    // even with AccessMemoryPool granted behind the hypercalls' back, only the root may
    hv_part_get(id)->privileges |= HV_PRIV_ACCESS_MEMORY_POOL;
    EXPECT_EQ(hvf_call(cvp, &input, 0x1000, 0x2000, nullptr), (uint64_t)HV_STATUS_ACCESS_DENIED);
}

TEST_F(HvPart, MapGpaPagesIntoAChild)
{
    uint64_t id = hvf_make_child("map", 8);
    uint64_t src = hvf_take_pages(3);
    EXPECT_EQ(map(id, 0x10, HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE,
                  { src >> 12, (src >> 12) + 1 }),
              (uint64_t)HV_STATUS_SUCCESS | (2ull << 32));
    EXPECT_EQ(map(id, 0x20, HV_MAP_GPA_READABLE | HV_MAP_GPA_KERNEL_EXECUTABLE,
                  { (src >> 12) + 2 }),
              (uint64_t)HV_STATUS_SUCCESS | (1ull << 32));
    struct hv_partition *p = hv_part_get(id);
    uint64_t hpa;
    unsigned perms;
    ASSERT_EQ(ept_lookup(&p->ept, 0x11000, &hpa, &perms), 0);
    EXPECT_EQ(hpa, src + 0x1000);
    EXPECT_EQ(perms, EPT_R | EPT_W);
    ASSERT_EQ(ept_lookup(&p->ept, 0x20000, &hpa, &perms), 0);
    EXPECT_EQ(perms, EPT_R | EPT_X);
    // the root keeps its mapping (shared memory)
    EXPECT_TRUE(root_maps(src));
    // remapping an existing GPA replaces it and flushes the child's EPT
    unsigned flushes = hvf_flush_count;
    EXPECT_EQ(status(map(id, 0x10, HV_MAP_GPA_READABLE, { (src >> 12) + 2 })), HV_STATUS_SUCCESS);
    EXPECT_EQ(hvf_flush_count, flushes + 1);
    EXPECT_EQ(hvf_last_flush, &p->ept);
    ASSERT_EQ(ept_lookup(&p->ept, 0x10000, &hpa, &perms), 0);
    EXPECT_EQ(hpa, src + 0x2000);
    EXPECT_EQ(perms, (unsigned)EPT_R);
}

TEST_F(HvPart, MapGpaPagesRejectsBadInput)
{
    uint64_t id = hvf_make_child("bad", 8);
    uint64_t src = hvf_take_pages(1) >> 12;
    uint32_t rw = HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE;
    EXPECT_EQ(map(id, 0, 0, { src }), (uint64_t)HV_STATUS_INVALID_PARAMETER);
    EXPECT_EQ(map(id, 0, HV_MAP_GPA_WRITABLE, { src }), (uint64_t)HV_STATUS_INVALID_PARAMETER);
    EXPECT_EQ(map(id, 0, rw | 0x10, { src }), (uint64_t)HV_STATUS_INVALID_PARAMETER);
    // beyond the child's 2^39 address space, also by the last page of the range
    EXPECT_EQ(map(id, HV_CHILD_GPA_LIMIT >> 12, rw, { src }), (uint64_t)HV_STATUS_INVALID_PARAMETER);
    EXPECT_EQ(map(id, (HV_CHILD_GPA_LIMIT >> 12) - 1, rw, { src, src }),
              (uint64_t)HV_STATUS_INVALID_PARAMETER);
    EXPECT_EQ(status(map(id, (HV_CHILD_GPA_LIMIT >> 12) - 1, rw, { src })), HV_STATUS_SUCCESS);
    // sources: not the root's RAM, hypervisor memory, a deposited page
    EXPECT_EQ(map(id, 0, rw, { HVF_RAM_END >> 12 }), (uint64_t)HV_STATUS_INVALID_PARAMETER);
    EXPECT_EQ(map(id, 0, rw, { HVF_POOL_BASE >> 12 }), (uint64_t)HV_STATUS_INVALID_PARAMETER);
    EXPECT_EQ(map(id, 0, rw, { HVF_SPARE_BASE >> 12 }),   // deposited by hvf_make_child
              (uint64_t)HV_STATUS_INVALID_PARAMETER);
    // the second element is bad: one page mapped
    EXPECT_EQ(map(id, 0, rw, { src, HVF_RAM_END >> 12 }),
              (uint64_t)HV_STATUS_INVALID_PARAMETER | (1ull << 32));
    // not initialized yet / the root itself / unknown
    uint64_t fresh = hvf_make_child("fresh", 0);
    EXPECT_EQ(map(fresh, 0, rw, { src }), (uint64_t)HV_STATUS_INVALID_PARTITION_STATE);
    EXPECT_EQ(map(HV_PARTITION_ID_SELF, 0, rw, { src }), (uint64_t)HV_STATUS_INVALID_PARTITION_ID);
    EXPECT_EQ(map(1, 0, rw, { src }), (uint64_t)HV_STATUS_INVALID_PARTITION_ID);
}

TEST_F(HvPart, MapGpaPagesNeedsEptMemoryFromTheChild)
{
    uint64_t id = hvf_make_child("small", 1);      // the PML4 only
    uint64_t src = hvf_take_pages(1) >> 12;
    uint32_t rw = HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE;
    EXPECT_EQ(map(id, 0, rw, { src }), (uint64_t)HV_STATUS_INSUFFICIENT_MEMORY);
    ASSERT_EQ(status(hvf_deposit(id, 3)), HV_STATUS_SUCCESS);    // PDPT, PD, PT
    EXPECT_EQ(map(id, 0, rw, { src }), (uint64_t)HV_STATUS_SUCCESS | (1ull << 32));
}

TEST_F(HvPart, ChildCannotMapIntoAnotherPartition)
{
    uint64_t a = hvf_make_child("a", 16), b = hvf_make_child("b", 16);
    uint64_t src = hvf_take_pages(4);
    ASSERT_EQ(status(map(a, 0, HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE,
                         { src >> 12, (src >> 12) + 1, (src >> 12) + 2, (src >> 12) + 3 })),
              HV_STATUS_SUCCESS);
    ASSERT_EQ(create_vp(a, 0), (uint64_t)HV_STATUS_SUCCESS);
    struct hv_vp *avp = hv_part_get(a)->vp[0];
    uint64_t in[4] = { b, 0, HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE, 2 };  // a's GPA page 2
    std::memcpy(hvf_ptr(src + 0x1000), in, sizeof(in));
    uint64_t input = hv_hypercall_input(HVCALL_MAP_GPA_PAGES, 0, 1, 0);
    EXPECT_EQ(hvf_call(avp, &input, 0x1000, 0, nullptr), (uint64_t)HV_STATUS_ACCESS_DENIED);
    EXPECT_EQ(ept_lookup(&hv_part_get(b)->ept, 0, nullptr, nullptr), -1);
    // nor create, delete or start anything
    input = hv_hypercall_input(HVCALL_DELETE_PARTITION, 0, 0, 0);
    std::memcpy(hvf_ptr(src + 0x1000), &b, 8);
    EXPECT_EQ(hvf_call(avp, &input, 0x1000, 0, nullptr), (uint64_t)HV_STATUS_ACCESS_DENIED);
    // its hypercall input must be its own memory: the root's page at the same GPA is not
    input = hv_hypercall_input(HVCALL_GET_PARTITION_ID, 0, 0, 0);
    EXPECT_EQ(hvf_call(avp, &input, 0, 0x10000, nullptr), (uint64_t)HV_STATUS_INVALID_PARAMETER);
    EXPECT_EQ(hvf_call(avp, &input, 0, 0x3000, nullptr), (uint64_t)HV_STATUS_SUCCESS);
    uint64_t got;
    std::memcpy(&got, hvf_ptr(src + 0x3000), 8);
    EXPECT_EQ(got, a);
}

TEST_F(HvPart, UnmapGpaPages)
{
    uint64_t id = hvf_make_child("u", 8);
    uint64_t src = hvf_take_pages(2);
    ASSERT_EQ(status(map(id, 0x40, HV_MAP_GPA_READABLE, { src >> 12, (src >> 12) + 1 })),
              HV_STATUS_SUCCESS);
    struct hv_partition *p = hv_part_get(id);
    unsigned flushes = hvf_flush_count;
    EXPECT_EQ(unmap(id, 0x40, 2), (uint64_t)HV_STATUS_SUCCESS | (2ull << 32));
    EXPECT_EQ(ept_lookup(&p->ept, 0x40000, nullptr, nullptr), -1);
    EXPECT_EQ(ept_lookup(&p->ept, 0x41000, nullptr, nullptr), -1);
    EXPECT_EQ(hvf_flush_count, flushes + 1);
    EXPECT_EQ(hvf_last_flush, &p->ept);
    EXPECT_EQ(unmap(id, 0x40, 1), (uint64_t)HV_STATUS_INVALID_PARAMETER);
    EXPECT_EQ(unmap(id, 0x40, 1, 2), (uint64_t)HV_STATUS_INVALID_PARAMETER);   // large page flag
    EXPECT_TRUE(root_maps(src));        // the root's own mapping is untouched
}

TEST_F(HvPart, CreateVpRules)
{
    uint64_t id = hvf_make_child("vp", 0);
    EXPECT_EQ(create_vp(id, 0), (uint64_t)HV_STATUS_INVALID_PARTITION_STATE);
    hvf_deposit(id, 1);
    ASSERT_EQ(id_call(HVCALL_INITIALIZE_PARTITION, id), (uint64_t)HV_STATUS_SUCCESS);
    // a VP needs its page and vp_arch_init's pages
    EXPECT_EQ(create_vp(id, 0), (uint64_t)HV_STATUS_INSUFFICIENT_MEMORY);
    EXPECT_EQ(hv_part_get(id)->pool.free_pages, 0u);
    hvf_deposit(id, HVF_ARCH_PAGES);
    EXPECT_EQ(create_vp(id, 0), (uint64_t)HV_STATUS_INSUFFICIENT_MEMORY);
    EXPECT_EQ(hv_part_get(id)->pool.free_pages, (uint64_t)HVF_ARCH_PAGES);  // nothing leaked
    hvf_deposit(id, 2 * (1 + HVF_ARCH_PAGES) - HVF_ARCH_PAGES);
    EXPECT_EQ(create_vp(id, 0), (uint64_t)HV_STATUS_SUCCESS);
    EXPECT_EQ(create_vp(id, 3), (uint64_t)HV_STATUS_SUCCESS);
    struct hv_partition *p = hv_part_get(id);
    ASSERT_NE(p->vp[3], nullptr);
    EXPECT_EQ(p->vp[3]->state, HV_VP_NOT_STARTED);
    // VP k of partition id on LP (id + k) mod hv_nlps (2)
    EXPECT_EQ(p->vp[3]->lp, (uint32_t)((id + 3) % 2));
    EXPECT_EQ(p->vp[0]->lp, (uint32_t)(id % 2));
    EXPECT_NE(p->vp[3]->lp, p->vp[0]->lp);
    EXPECT_EQ(p->vp[3]->index, 3u);
    EXPECT_EQ(p->vp[3]->part, p);
    EXPECT_NE(p->vp[3]->vpid, p->vp[0]->vpid);
    EXPECT_NE(p->vp[3]->vpid, hvf_root_vp()->vpid);
    EXPECT_NE(p->vp[3]->vpid, 0);
    EXPECT_EQ(p->vp[3]->synic.sint[0], HV_SYNIC_SINT_MASKED);
    EXPECT_EQ(hvf_arch_init_count, 2u);
    EXPECT_EQ(p->nvps, 2u);
    EXPECT_EQ(create_vp(id, 3), (uint64_t)HV_STATUS_INVALID_VP_INDEX);
    EXPECT_EQ(create_vp(id, HV_MAX_VPS), (uint64_t)HV_STATUS_INVALID_VP_INDEX);
    ASSERT_EQ(id_call(HVCALL_FINALIZE_PARTITION, id), (uint64_t)HV_STATUS_SUCCESS);
    EXPECT_EQ(create_vp(id, 1), (uint64_t)HV_STATUS_INVALID_PARTITION_STATE);
}

struct RegsFixture : public HvPart {
    uint64_t id = 0;
    struct hv_vp *vp = nullptr;
    void SetUp() override
    {
        HvPart::SetUp();
        id = hvf_make_child("regs", 16);
        ASSERT_EQ(create_vp(id, 1), (uint64_t)HV_STATUS_SUCCESS);
        vp = hv_part_get(id)->vp[1];
    }
    uint64_t set(uint64_t pid, uint32_t vpi, const std::vector<hv_register_assoc> &regs)
    {
        std::vector<uint8_t> buf(16 + regs.size() * 32, 0);
        struct hv_input_vp_registers h = { pid, vpi, 0, 0, 0 };
        std::memcpy(buf.data(), &h, 16);
        std::memcpy(buf.data() + 16, regs.data(), regs.size() * 32);
        return hvf_root_call(hv_hypercall_input(HVCALL_SET_VP_REGISTERS, 0,
                                                (uint32_t)regs.size(), 0),
                             buf.data(), (unsigned)buf.size());
    }
    uint64_t get(uint64_t pid, uint32_t vpi, const std::vector<uint32_t> &names)
    {
        std::vector<uint8_t> buf(16 + names.size() * 4, 0);
        struct hv_input_vp_registers h = { pid, vpi, 0, 0, 0 };
        std::memcpy(buf.data(), &h, 16);
        std::memcpy(buf.data() + 16, names.data(), names.size() * 4);
        return hvf_root_call(hv_hypercall_input(HVCALL_GET_VP_REGISTERS, 0,
                                                (uint32_t)names.size(), 0),
                             buf.data(), (unsigned)buf.size());
    }
    uint64_t out64(unsigned i)
    {
        uint64_t v;
        std::memcpy(&v, (uint8_t *)hvf_out() + 16 * i, 8);
        return v;
    }
};

hv_register_assoc reg64(uint32_t name, uint64_t v)
{
    hv_register_assoc a;
    std::memset(&a, 0, sizeof(a));
    a.name = name;
    a.value.reg64 = v;
    return a;
}

using HvPartRegs = RegsFixture;

TEST_F(HvPartRegs, SetThenGetRoundTrips)
{
    hv_register_assoc cs;
    std::memset(&cs, 0, sizeof(cs));
    cs.name = HV_X64_REGISTER_CS;
    cs.value.segment = { 0x1000, 0xFFFFF, 0x08, 0xA09B };
    hv_register_assoc gdtr;
    std::memset(&gdtr, 0, sizeof(gdtr));
    gdtr.name = HV_X64_REGISTER_GDTR;
    gdtr.value.table.limit = 0x27;
    gdtr.value.table.base = 0x5000;
    EXPECT_EQ(set(id, 1, { reg64(HV_X64_REGISTER_RIP, 0x400000), reg64(HV_X64_REGISTER_RSP, 0x8000),
                           reg64(HV_X64_REGISTER_R15, 15), reg64(HV_X64_REGISTER_CR3, 0x9000),
                           reg64(HV_X64_REGISTER_EFER, 0x500), cs, gdtr }),
              (uint64_t)HV_STATUS_SUCCESS | (7ull << 32));
    EXPECT_EQ(vp->ctx.rip, 0x400000u);
    EXPECT_EQ(vp->ctx.gpr[4], 0x8000u);
    EXPECT_EQ(vp->ctx.gpr[15], 15u);
    EXPECT_EQ(vp->ctx.cs.selector, 0x08);
    EXPECT_EQ(vp->ctx.cs.attributes, 0xA09B);
    EXPECT_EQ(vp->ctx.gdtr.base, 0x5000u);
    EXPECT_TRUE(vp->ctx.dirty);
    EXPECT_EQ(get(id, 1, { HV_X64_REGISTER_RIP, HV_X64_REGISTER_CR3, HV_X64_REGISTER_CS,
                           HV_X64_REGISTER_GDTR, HV_X64_REGISTER_EFER, HV_X64_REGISTER_CR0 }),
              (uint64_t)HV_STATUS_SUCCESS | (6ull << 32));
    EXPECT_EQ(out64(0), 0x400000u);
    EXPECT_EQ(out64(1), 0x9000u);
    hv_x64_segment_register s;
    std::memcpy(&s, (uint8_t *)hvf_out() + 32, 16);
    EXPECT_EQ(s.base, 0x1000u);
    EXPECT_EQ(s.limit, 0xFFFFFu);
    EXPECT_EQ(s.selector, 0x08);
    EXPECT_EQ(s.attributes, 0xA09B);
    hv_x64_table_register t;
    std::memcpy(&t, (uint8_t *)hvf_out() + 48, 16);
    EXPECT_EQ(t.limit, 0x27);
    EXPECT_EQ(t.base, 0x5000u);
    EXPECT_EQ(out64(4), 0x500u);
    EXPECT_EQ(out64(5), 0x60000010u);   // CR0 after INIT (SDM Vol. 3 table 10-1)
}

TEST_F(HvPartRegs, ManyRegistersContinueAcrossExits)
{
    std::vector<uint32_t> names;
    for (uint32_t k = 0; k < 16; k++)
        names.push_back(HV_X64_REGISTER_RAX + k);
    names.push_back(HV_X64_REGISTER_RIP);
    names.push_back(HV_X64_REGISTER_RFLAGS);
    names.push_back(HV_X64_REGISTER_CR0);
    names.push_back(HV_X64_REGISTER_PAT);
    for (uint32_t k = 0; k < 16; k++)
        vp->ctx.gpr[k] = 0x100 + k;
    std::memset(hvf_out(), 0xEE, 4096);
    EXPECT_EQ(get(id, 1, names), (uint64_t)HV_STATUS_SUCCESS | (20ull << 32));
    for (uint32_t k = 0; k < 16; k++)
        EXPECT_EQ(out64(k), 0x100u + k) << k;
    EXPECT_EQ(out64(16), 0xFFF0u);
    EXPECT_EQ(out64(17), 0x2u);
    EXPECT_EQ(out64(19), 0x0007040600070406ull);
    EXPECT_EQ(((uint8_t *)hvf_out())[20 * 16], 0xEE);  // nothing past the 20 values
}

TEST_F(HvPartRegs, MsrRegistersAndXcr0)
{
    // reset values (SDM Vol. 3 9.1.1: XCR0 1, the SYSCALL MSRs and SYSENTER 0)
    EXPECT_EQ(get(id, 1, { HV_X64_REGISTER_XFEM, HV_X64_REGISTER_LSTAR, HV_X64_REGISTER_STAR,
                           HV_X64_REGISTER_SYSENTER_CS }),
              (uint64_t)HV_STATUS_SUCCESS | (4ull << 32));
    EXPECT_EQ(out64(0), 1u);
    EXPECT_EQ(out64(1), 0u);
    EXPECT_EQ(out64(2), 0u);
    EXPECT_EQ(out64(3), 0u);
    // values the processor takes (canonical addresses, 32-bit FMASK/TSC_AUX, x87|SSE)
    EXPECT_EQ(set(id, 1, { reg64(HV_X64_REGISTER_KERNEL_GS_BASE, 0xFFFF800000001000ull),
                           reg64(HV_X64_REGISTER_STAR, 0x0023001000000000ull),
                           reg64(HV_X64_REGISTER_LSTAR, 0xFFFFFFFF81000000ull),
                           reg64(HV_X64_REGISTER_CSTAR, 0x7FFFFFFFF000ull),
                           reg64(HV_X64_REGISTER_SFMASK, 0x47700),
                           reg64(HV_X64_REGISTER_TSC_AUX, 3),
                           reg64(HV_X64_REGISTER_XFEM, 3),
                           reg64(HV_X64_REGISTER_SYSENTER_CS, 0x10),
                           reg64(HV_X64_REGISTER_SYSENTER_EIP, 0x401000),
                           reg64(HV_X64_REGISTER_SYSENTER_ESP, 0x8000) }),
              (uint64_t)HV_STATUS_SUCCESS | (10ull << 32));
    EXPECT_EQ(vp->arch.kernel_gs_base, 0xFFFF800000001000ull);
    EXPECT_EQ(vp->arch.star, 0x0023001000000000ull);
    EXPECT_EQ(vp->arch.lstar, 0xFFFFFFFF81000000ull);
    EXPECT_EQ(vp->arch.cstar, 0x7FFFFFFFF000ull);
    EXPECT_EQ(vp->arch.sfmask, 0x47700u);
    EXPECT_EQ(vp->arch.tsc_aux, 3u);
    EXPECT_EQ(vp->arch.xcr0, 3u);
    EXPECT_EQ(vp->ctx.sysenter_cs, 0x10u);
    EXPECT_EQ(vp->ctx.sysenter_eip, 0x401000u);
    EXPECT_EQ(vp->ctx.sysenter_esp, 0x8000u);
    EXPECT_EQ(get(id, 1, { HV_X64_REGISTER_LSTAR, HV_X64_REGISTER_XFEM,
                           HV_X64_REGISTER_SYSENTER_EIP }),
              (uint64_t)HV_STATUS_SUCCESS | (3ull << 32));
    EXPECT_EQ(out64(0), 0xFFFFFFFF81000000ull);
    EXPECT_EQ(out64(1), 3u);
    EXPECT_EQ(out64(2), 0x401000u);
    // values WRMSR or XSETBV would refuse: the element fails, earlier ones stay done
    struct { uint32_t name; uint64_t v; } bad[] = {
        { HV_X64_REGISTER_LSTAR, 0x0000800000000000ull },          // not canonical
        { HV_X64_REGISTER_KERNEL_GS_BASE, 0x8000000000000000ull },
        { HV_X64_REGISTER_CSTAR, 0x0001000000000000ull },
        { HV_X64_REGISTER_SYSENTER_ESP, 0x00F0000000000000ull },
        { HV_X64_REGISTER_SYSENTER_EIP, 0x0000900000000000ull },
        { HV_X64_REGISTER_SFMASK, 1ull << 32 },                    // bits 63:32 reserved
        { HV_X64_REGISTER_TSC_AUX, 1ull << 40 },
        { HV_X64_REGISTER_SYSENTER_CS, 1ull << 32 },
        { HV_X64_REGISTER_XFEM, 2 },                                // x87 bit clear
        { HV_X64_REGISTER_XFEM, 7 },                                // AVX: not supported
    };
    for (const auto &b : bad)
        EXPECT_EQ(set(id, 1, { reg64(HV_X64_REGISTER_RIP, 0x1234), reg64(b.name, b.v) }),
                  (uint64_t)HV_STATUS_INVALID_PARAMETER | (1ull << 32))
            << std::hex << b.name << " " << b.v;
    EXPECT_EQ(vp->arch.lstar, 0xFFFFFFFF81000000ull);   // unchanged by the refused writes
    EXPECT_EQ(vp->arch.xcr0, 3u);
}

TEST_F(HvPartRegs, BadNamesAndStates)
{
    EXPECT_EQ(get(id, 1, { HV_X64_REGISTER_RIP, 0x12345 }),
              (uint64_t)HV_STATUS_INVALID_PARAMETER | (1ull << 32));
    EXPECT_EQ(get(id, 7, { HV_X64_REGISTER_RIP }), (uint64_t)HV_STATUS_INVALID_VP_INDEX);
    EXPECT_EQ(get(id, HV_MAX_VPS + 5, { HV_X64_REGISTER_RIP }),
              (uint64_t)HV_STATUS_INVALID_VP_INDEX);
    EXPECT_EQ(get(9, 1, { HV_X64_REGISTER_RIP }), (uint64_t)HV_STATUS_INVALID_PARTITION_ID);
    // the calling VP itself is running
    EXPECT_EQ(get(HV_PARTITION_ID_SELF, HV_VP_INDEX_SELF, { HV_X64_REGISTER_RIP }),
              (uint64_t)HV_STATUS_INVALID_VP_STATE);
    // the root's own VP 1 is not started: its registers are accessible
    EXPECT_EQ(set(HV_PARTITION_ID_SELF, 1, { reg64(HV_X64_REGISTER_RIP, 0x7000) }),
              (uint64_t)HV_STATUS_SUCCESS | (1ull << 32));
    EXPECT_EQ(hvf_root()->vp[1]->ctx.rip, 0x7000u);
    // VP index "self" names the caller only in the caller's partition
    EXPECT_EQ(get(id, HV_VP_INDEX_SELF, { HV_X64_REGISTER_RIP }),
              (uint64_t)HV_STATUS_INVALID_VP_INDEX);
    vp->state = HV_VP_RUNNABLE;
    EXPECT_EQ(get(id, 1, { HV_X64_REGISTER_RIP }), (uint64_t)HV_STATUS_INVALID_VP_STATE);
    EXPECT_EQ(set(id, 1, { reg64(HV_X64_REGISTER_RIP, 1) }), (uint64_t)HV_STATUS_INVALID_VP_STATE);
    vp->state = HV_VP_HALTED;
    EXPECT_EQ(get(id, 1, { HV_X64_REGISTER_RIP }), (uint64_t)HV_STATUS_INVALID_VP_STATE);
    // reserved fields of an element
    vp->state = HV_VP_NOT_STARTED;
    hv_register_assoc r = reg64(HV_X64_REGISTER_RIP, 1);
    r.reserved1 = 1;
    EXPECT_EQ(set(id, 1, { r }), (uint64_t)HV_STATUS_INVALID_PARAMETER);
}

TEST_F(HvPartRegs, InterceptSuspendZeroResumes)
{
    vp->state = HV_VP_INTERCEPT_SUSPENDED;    // as hv/vmx leaves it after an intercept
    EXPECT_EQ(get(id, 1, { HV_REGISTER_INTERCEPT_SUSPEND, HV_REGISTER_EXPLICIT_SUSPEND }),
              (uint64_t)HV_STATUS_SUCCESS | (2ull << 32));
    EXPECT_EQ(out64(0), 1u);
    EXPECT_EQ(out64(1), 0u);
    EXPECT_EQ(set(id, 1, { reg64(HV_REGISTER_INTERCEPT_SUSPEND, 1) }),
              (uint64_t)HV_STATUS_INVALID_PARAMETER);
    EXPECT_EQ(vp->state, HV_VP_INTERCEPT_SUSPENDED);
    unsigned kicks = hvf_kick_count;
    // set RIP past the intercepted instruction and resume in one call
    EXPECT_EQ(set(id, 1, { reg64(HV_REGISTER_INTERCEPT_SUSPEND, 0), reg64(HV_X64_REGISTER_RIP, 0x42) }),
              (uint64_t)HV_STATUS_SUCCESS | (2ull << 32));
    EXPECT_EQ(vp->ctx.rip, 0x42u);
    EXPECT_EQ(vp->state, HV_VP_RUNNABLE);
    EXPECT_EQ(hvf_kick_count, kicks + 1);
    EXPECT_EQ(hvf_last_kick, vp);
}

TEST_F(HvPartRegs, FailedCallDoesNotResume)
{
    vp->state = HV_VP_INTERCEPT_SUSPENDED;
    EXPECT_EQ(set(id, 1, { reg64(HV_REGISTER_INTERCEPT_SUSPEND, 0), reg64(0x999, 0) }),
              (uint64_t)HV_STATUS_INVALID_PARAMETER | (1ull << 32));
    EXPECT_EQ(vp->state, HV_VP_INTERCEPT_SUSPENDED);
}

TEST_F(HvPartRegs, StartVirtualProcessor)
{
    struct hv_input_start_vp in;
    std::memset(&in, 0, sizeof(in));
    in.partition_id = id;
    in.vp_index = 1;
    in.vp_context.rip = 0x401000;
    in.vp_context.rsp = 0x7FF0;
    in.vp_context.rflags = 0x2;
    in.vp_context.cs = { 0, 0xFFFFFFFF, 0x10, 0xA09B };
    in.vp_context.ss = { 0, 0xFFFFFFFF, 0x18, 0xC093 };
    in.vp_context.gdtr.limit = 0x1F;
    in.vp_context.gdtr.base = 0x3000;
    in.vp_context.efer = 0x500;
    in.vp_context.cr0 = 0x80000011;
    in.vp_context.cr3 = 0x1000;
    in.vp_context.cr4 = 0x20;
    in.vp_context.msr_cr_pat = 0x0007040600070406ull;
    in.target_vtl = 1;
    EXPECT_EQ(simple(HVCALL_START_VP, &in, sizeof(in)), (uint64_t)HV_STATUS_INVALID_PARAMETER);
    in.target_vtl = 0;
    in.vp_index = 2;
    EXPECT_EQ(simple(HVCALL_START_VP, &in, sizeof(in)), (uint64_t)HV_STATUS_INVALID_VP_INDEX);
    in.vp_index = 1;
    unsigned kicks = hvf_kick_count;
    vp->ctx.dirty = false;
    EXPECT_EQ(simple(HVCALL_START_VP, &in, sizeof(in)), (uint64_t)HV_STATUS_SUCCESS);
    EXPECT_EQ(vp->state, HV_VP_RUNNABLE);
    EXPECT_EQ(hvf_kick_count, kicks + 1);
    EXPECT_EQ(hvf_last_kick, vp);
    EXPECT_TRUE(vp->ctx.dirty);
    EXPECT_EQ(vp->ctx.rip, 0x401000u);
    EXPECT_EQ(vp->ctx.gpr[4], 0x7FF0u);
    EXPECT_EQ(vp->ctx.cs.selector, 0x10);
    EXPECT_EQ(vp->ctx.cs.attributes, 0xA09B);
    EXPECT_EQ(vp->ctx.ss.selector, 0x18);
    EXPECT_EQ(vp->ctx.gdtr.base, 0x3000u);
    EXPECT_EQ(vp->ctx.cr0, 0x80000011u);
    EXPECT_EQ(vp->ctx.cr3, 0x1000u);
    EXPECT_EQ(vp->ctx.efer, 0x500u);
    EXPECT_EQ(simple(HVCALL_START_VP, &in, sizeof(in)), (uint64_t)HV_STATUS_INVALID_VP_STATE);
    // the root starts its own VP 1
    in.partition_id = HV_PARTITION_ID_SELF;
    EXPECT_EQ(simple(HVCALL_START_VP, &in, sizeof(in)), (uint64_t)HV_STATUS_SUCCESS);
    EXPECT_EQ(hvf_root()->vp[1]->state, HV_VP_RUNNABLE);
}

TEST_F(HvPart, GetPartitionIdFromAChild)
{
    uint64_t id = hvf_make_child("who", 16);
    uint64_t src = hvf_take_pages(2);
    ASSERT_EQ(status(map(id, 0, HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE,
                         { src >> 12, (src >> 12) + 1 })),
              HV_STATUS_SUCCESS);
    ASSERT_EQ(create_vp(id, 0), (uint64_t)HV_STATUS_SUCCESS);
    struct hv_vp *cvp = hv_part_get(id)->vp[0];
    uint64_t input = hv_hypercall_input(HVCALL_GET_PARTITION_ID, 0, 0, 0);
    EXPECT_EQ(hvf_call(cvp, &input, 0, 0x1000, nullptr), (uint64_t)HV_STATUS_SUCCESS);
    uint64_t got;
    std::memcpy(&got, hvf_ptr(src + 0x1000), 8);
    EXPECT_EQ(got, id);
    hv_part_get(id)->privileges &= ~HV_PRIV_ACCESS_PARTITION_ID;
    EXPECT_EQ(hvf_call(cvp, &input, 0, 0x1000, nullptr), (uint64_t)HV_STATUS_ACCESS_DENIED);
}

} // namespace
