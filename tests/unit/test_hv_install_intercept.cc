// test_hv_install_intercept.cc — HvCallInstallIntercept (0x004D, hv/hcall/hc_intercept.c) and
// the HVMSG_X64_CPUID_INTERCEPT and HVMSG_X64_EXCEPTION_INTERCEPT messages
// (hv/synic/intercept.c). Input layout and type values
// of Linux include/hyperv/hvgdk_mini.h (hv_input_install_intercept: partition id at 0, access
// mask at 8, type at 12, parameter at 16; types I/O port 0, MSR 1, CPUID 2, exception 3; mask
// READ 1, WRITE 2, EXECUTE 4); the message layout of hvhdk.h hv_x64_cpuid_intercept_message
// (the 40-byte header, then RAX, RCX, RDX, RBX, default RAX, RCX, RDX, RBX at 40..96, 8 bytes
// each). Statuses from the TLFS and the rules in hc_intercept.c's header. Fakes: hv_fakes.h.
#include <gtest/gtest.h>

#include <cstring>

extern "C" {
#include "hv/abi/tlfs.h"
#include "hv/part/partition.h"
#include "hv/synic/synic.h"
#include "tests/unit/hv_fakes.h"
}

namespace {

constexpr uint64_t SIMP_GPA = 0x200000;

struct In {
    uint64_t part;
    uint32_t access, type;
    uint64_t param;
};
static_assert(sizeof(In) == 24, "the input layout");

class HvHcallInstallIntercept : public ::testing::Test {
protected:
    uint64_t id = 0;
    void SetUp() override
    {
        hvf_reset();
        id = hvf_make_child("c1", 16);
        ASSERT_NE(id, 0u);
    }
    static uint64_t install(uint64_t part, uint32_t access, uint32_t type, uint64_t param)
    {
        uint8_t b[24];
        std::memset(b, 0, sizeof(b));
        std::memcpy(b, &part, 8);           // the hvgdk_mini.h offsets, not the struct's
        std::memcpy(b + 8, &access, 4);
        std::memcpy(b + 12, &type, 4);
        std::memcpy(b + 16, &param, 8);
        return hvf_root_call(hv_hypercall_input(HVCALL_INSTALL_INTERCEPT, 0, 0, 0), b, 24);
    }
    static constexpr uint64_t OK = HV_STATUS_SUCCESS;
};

TEST_F(HvHcallInstallIntercept, AbiValues)
{
    EXPECT_EQ(HVCALL_INSTALL_INTERCEPT, 0x004D);
    EXPECT_EQ(sizeof(struct hv_input_install_intercept), 24u);
    EXPECT_EQ(HV_INTERCEPT_TYPE_X64_CPUID, 2u);
    EXPECT_EQ(HV_INTERCEPT_ACCESS_MASK_EXECUTE, 4u);
    EXPECT_EQ(HVMSG_X64_CPUID_INTERCEPT, 0x80010002u);
    EXPECT_EQ(sizeof(struct hv_x64_cpuid_intercept_message), 40u + 8 * 8);
}

TEST_F(HvHcallInstallIntercept, CpuidLeafIsRecorded)
{
    struct hv_partition *p = hv_part_get(id);
    EXPECT_FALSE(hv_cpuid_intercepted(p, 0x80000002u));
    EXPECT_EQ(install(id, 4, 2, 0x80000002u), OK);
    EXPECT_TRUE(hv_cpuid_intercepted(p, 0x80000002u));
    EXPECT_FALSE(hv_cpuid_intercepted(p, 0x80000003u));
    EXPECT_FALSE(hv_cpuid_intercepted(p, 0));
    // the root's own CPUID is never intercepted: nothing recorded for it
    EXPECT_FALSE(hv_cpuid_intercepted(hvf_root(), 0x80000002u));
}

TEST_F(HvHcallInstallIntercept, SameLeafTwiceTakesOneSlot)
{
    for (int i = 0; i < 3; i++)
        EXPECT_EQ(install(id, 4, 2, 7), OK);
    EXPECT_EQ(hv_part_get(id)->cpuid_icpt_n, 1u);
}

TEST_F(HvHcallInstallIntercept, FullSetIsNoResources)
{
    for (uint32_t l = 0; l < HV_CPUID_INTERCEPT_MAX; l++)
        ASSERT_EQ(install(id, 4, 2, 0x80000000u + l), OK) << l;
    EXPECT_EQ(install(id, 4, 2, 0x1), (uint64_t)HV_STATUS_NO_RESOURCES);
    EXPECT_FALSE(hv_cpuid_intercepted(hv_part_get(id), 0x1));
    // an installed leaf is still a success
    EXPECT_EQ(install(id, 4, 2, 0x80000003u), OK);
}

TEST_F(HvHcallInstallIntercept, HypervisorLeavesAreRefused)
{
    EXPECT_EQ(install(id, 4, 2, 0x40000000u), (uint64_t)HV_STATUS_INVALID_PARAMETER);
    EXPECT_EQ(install(id, 4, 2, 0x400000FFu), (uint64_t)HV_STATUS_INVALID_PARAMETER);
    EXPECT_EQ(install(id, 4, 2, 0x40000100u), OK);        // outside the range
    EXPECT_EQ(install(id, 4, 2, 0x3FFFFFFFu), OK);
}

TEST_F(HvHcallInstallIntercept, BadMasksAndParameters)
{
    const uint64_t BAD = HV_STATUS_INVALID_PARAMETER;
    EXPECT_EQ(install(id, 1, 2, 0), BAD);                  // CPUID needs EXECUTE alone
    EXPECT_EQ(install(id, 5, 2, 0), BAD);
    EXPECT_EQ(install(id, 0, 2, 0), BAD);
    EXPECT_EQ(install(id, 4 | 8, 2, 0), BAD);              // undefined mask bit
    EXPECT_EQ(install(id, 4, 2, 1ull << 32), BAD);         // leaf is 32 bits
    EXPECT_EQ(install(id, 4, 4, 0), BAD);                  // unknown types
    EXPECT_EQ(install(id, 4, 0xFFFFFFFFu, 0), BAD);
    EXPECT_EQ(hv_part_get(id)->cpuid_icpt_n, 0u);
}

TEST_F(HvHcallInstallIntercept, IoPortAndMsrAreAlreadyIntercepted)
{
    EXPECT_EQ(install(id, 1, 0, 0x3F8), OK);               // port read
    EXPECT_EQ(install(id, 3, 0, 0xFFFF), OK);
    EXPECT_EQ(install(id, 2, 1, 0), OK);                   // every unhandled MSR write
    const uint64_t BAD = HV_STATUS_INVALID_PARAMETER;
    EXPECT_EQ(install(id, 0, 0, 0x3F8), BAD);              // empty mask
    EXPECT_EQ(install(id, 4, 0, 0x3F8), BAD);              // execute on a port
    EXPECT_EQ(install(id, 1, 0, 0x10000), BAD);            // port is 16 bits
    EXPECT_EQ(install(id, 4, 1, 0), BAD);
    EXPECT_EQ(install(id, 1, 1, 0x1A0), BAD);              // MSR type has no parameter
    EXPECT_EQ(hv_part_get(id)->cpuid_icpt_n, 0u);
}

TEST_F(HvHcallInstallIntercept, OnlyTheRootOnItsChildren)
{
    // itself (its id and HV_PARTITION_ID_SELF), an absent id
    EXPECT_EQ(install(HV_PARTITION_ROOT_ID, 4, 2, 0), (uint64_t)HV_STATUS_INVALID_PARTITION_ID);
    EXPECT_EQ(install(HV_PARTITION_ID_SELF, 4, 2, 0), (uint64_t)HV_STATUS_INVALID_PARTITION_ID);
    EXPECT_EQ(install(id + 1, 4, 2, 0), (uint64_t)HV_STATUS_INVALID_PARTITION_ID);
    // a child (no CreatePartitions privilege) naming itself: ACCESS_DENIED (the dispatcher's
    // privilege check comes before the handler)
    uint64_t src = hvf_take_pages(1);
    uint64_t map[4] = { id, 0, HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE, src >> 12 };
    ASSERT_EQ(hvf_root_call(hv_hypercall_input(HVCALL_MAP_GPA_PAGES, 0, 1, 0), map, sizeof(map)),
              OK | (1ull << 32));
    struct hv_input_create_vp cv;
    std::memset(&cv, 0, sizeof(cv));
    cv.partition_id = id;
    ASSERT_EQ(hvf_root_call(hv_hypercall_input(HVCALL_CREATE_VP, 0, 0, 0), &cv, sizeof(cv)), OK);
    In in = { HV_PARTITION_ID_SELF, 4, 2, 0x80000002u };
    std::memcpy(hvf_ptr(src), &in, sizeof(in));
    uint64_t input = hv_hypercall_input(HVCALL_INSTALL_INTERCEPT, 0, 0, 0);
    EXPECT_EQ(hvf_call(hv_part_get(id)->vp[0], &input, 0, 0, nullptr),
              (uint64_t)HV_STATUS_ACCESS_DENIED);
    EXPECT_EQ(hv_part_get(id)->cpuid_icpt_n, 0u);
}

// Exceptions: the vector's bit in the partition's bitmap; SDM Vol. 3 table 6-1 vectors a guest
// can continue from (hc_intercept.c header): 0, 1, 3-7, 10-14, 16, 17, 19-21.
TEST_F(HvHcallInstallIntercept, ExceptionVectors)
{
    struct hv_partition *p = hv_part_get(id);
    EXPECT_EQ(install(id, 4, 3, 3), OK);                   // #BP
    EXPECT_EQ(p->exc_icpt_bitmap, 1u << 3);
    EXPECT_EQ(install(id, 4, 3, 3), OK);                   // twice: the same bit
    EXPECT_EQ(install(id, 4, 3, 13), OK);                  // #GP
    EXPECT_EQ(p->exc_icpt_bitmap, (1u << 3) | (1u << 13));
    uint32_t want = (1u << 3) | (1u << 13);
    for (uint32_t v : { 0u, 1u, 4u, 5u, 6u, 7u, 10u, 11u, 12u, 14u, 16u, 17u, 19u, 20u, 21u }) {
        EXPECT_EQ(install(id, 4, 3, v), OK) << v;
        want |= 1u << v;
    }
    EXPECT_EQ(p->exc_icpt_bitmap, want);
    const uint64_t BAD = HV_STATUS_INVALID_PARAMETER;
    for (uint64_t v : { 2ull, 8ull, 9ull, 15ull, 18ull, 22ull, 31ull, 32ull, 0x10003ull,
                        1ull << 40 })
        EXPECT_EQ(install(id, 4, 3, v), BAD) << v;         // NMI, #DF, #MC, reserved, range
    EXPECT_EQ(install(id, 1, 3, 3), BAD);                  // only EXECUTE
    EXPECT_EQ(install(id, 6, 3, 3), BAD);
    EXPECT_EQ(p->exc_icpt_bitmap, want);
    EXPECT_EQ(hvf_root()->exc_icpt_bitmap, 0u);
}

TEST_F(HvHcallInstallIntercept, DeletionForgetsTheSet)
{
    ASSERT_EQ(install(id, 4, 2, 0x80000002u), OK);
    ASSERT_EQ(install(id, 4, 3, 3), OK);
    EXPECT_EQ(hvf_root_call(hv_hypercall_input(HVCALL_DELETE_PARTITION, 0, 0, 0), &id, 8), OK);
    uint64_t id2 = hvf_make_child("c2", 16);
    ASSERT_EQ(id2, id);                                     // the same slot again
    EXPECT_FALSE(hv_cpuid_intercepted(hv_part_get(id2), 0x80000002u));
    EXPECT_EQ(hv_part_get(id2)->exc_icpt_bitmap, 0u);
}

// The message for a child's CPUID (EAX = 80000002H, ECX = 0) with the default result.
TEST(HvInterceptCpuid, MessageBytes)
{
    hvf_reset();
    struct hv_vp *root = hvf_root_vp();
    synic_vp_init(root);
    ASSERT_EQ(synic_wrmsr(root, HV_X64_MSR_SIMP, SIMP_GPA | 1), 0);
    ASSERT_EQ(synic_wrmsr(root, HV_X64_MSR_SCONTROL, 1), 0);
    ASSERT_EQ(synic_wrmsr(root, HV_X64_MSR_SINT0, 0x40), 0);
    uint64_t id = hvf_make_child("c1", 16);
    struct hv_input_create_vp cv;
    std::memset(&cv, 0, sizeof(cv));
    cv.partition_id = id;
    ASSERT_EQ(hvf_root_call(hv_hypercall_input(HVCALL_CREATE_VP, 0, 0, 0), &cv, sizeof(cv)),
              (uint64_t)HV_STATUS_SUCCESS);
    struct hv_vp *cvp = hv_part_get(id)->vp[0];
    struct hv_vp_context *c = &cvp->ctx;
    c->gpr[0] = 0x80000002u;
    c->gpr[1] = 0;
    c->gpr[2] = 0x2222;
    c->gpr[3] = 0x3333;
    c->rip = 0x401000;
    c->rflags = 0x202;
    c->cr0 = 0x80010033;
    c->efer = 0x500;
    c->cs = { 0, 0xFFFFFFFF, 0x08, 0xA09B };
    c->ss = { 0, 0xFFFFFFFF, 0x10, 0xC093 };
    cvp->state = HV_VP_INTERCEPT_SUSPENDED;
    struct hv_intercept ii;
    std::memset(&ii, 0, sizeof(ii));
    ii.type = HVMSG_X64_CPUID_INTERCEPT;
    ii.insn_len = 2;                                        // 0F A2
    ii.access = HV_INTERCEPT_ACCESS_EXECUTE;
    ii.cpuid_default[0] = 0x11111111;                       // EAX, EBX, ECX, EDX
    ii.cpuid_default[1] = 0x22222222;
    ii.cpuid_default[2] = 0x33333333;
    ii.cpuid_default[3] = 0x44444444;
    synic_intercept(cvp, &ii);
    const uint8_t *s = (const uint8_t *)hvf_ptr(SIMP_GPA);
    auto rd = [](const uint8_t *p, unsigned n) {
        uint64_t v = 0;
        std::memcpy(&v, p, n);
        return v;
    };
    EXPECT_EQ(rd(s, 4), 0x80010002u);                       // message type
    EXPECT_EQ(rd(s + 4, 1), 104u);                          // payload size
    EXPECT_EQ(rd(s + 8, 8), id);                            // sender
    const uint8_t *pl = s + 16;
    EXPECT_EQ(rd(pl + 0, 4), 0u);                           // VP index
    EXPECT_EQ(rd(pl + 4, 1) & 0xF, 2u);                     // instruction length
    EXPECT_EQ(rd(pl + 5, 1), 2u);                           // access: execute
    EXPECT_EQ(rd(pl + 24, 8), 0x401000u);                   // RIP
    EXPECT_EQ(rd(pl + 40, 8), 0x80000002u);                 // RAX
    EXPECT_EQ(rd(pl + 48, 8), 0u);                          // RCX
    EXPECT_EQ(rd(pl + 56, 8), 0x2222u);                     // RDX
    EXPECT_EQ(rd(pl + 64, 8), 0x3333u);                     // RBX
    EXPECT_EQ(rd(pl + 72, 8), 0x11111111u);                 // default RAX
    EXPECT_EQ(rd(pl + 80, 8), 0x33333333u);                 // default RCX
    EXPECT_EQ(rd(pl + 88, 8), 0x44444444u);                 // default RDX
    EXPECT_EQ(rd(pl + 96, 8), 0x22222222u);                 // default RBX
    EXPECT_EQ(cvp->state, HV_VP_INTERCEPT_SUSPENDED);       // waits for the root
}

// HVMSG_X64_EXCEPTION_INTERCEPT for a child's INT3 (software #BP): hvhdk.h offsets in the
// payload — vector 40, info 42, instruction byte count 43, error code 44, parameter 48,
// instruction bytes 64, DS 80, SS 96, RAX..R15 at 112 + 8 k; total 240.
TEST(HvInterceptException, Int3MessageBytes)
{
    hvf_reset();
    struct hv_vp *root = hvf_root_vp();
    synic_vp_init(root);
    ASSERT_EQ(synic_wrmsr(root, HV_X64_MSR_SIMP, SIMP_GPA | 1), 0);
    ASSERT_EQ(synic_wrmsr(root, HV_X64_MSR_SCONTROL, 1), 0);
    ASSERT_EQ(synic_wrmsr(root, HV_X64_MSR_SINT0, 0x40), 0);
    uint64_t id = hvf_make_child("c1", 16);
    struct hv_input_create_vp cv;
    std::memset(&cv, 0, sizeof(cv));
    cv.partition_id = id;
    ASSERT_EQ(hvf_root_call(hv_hypercall_input(HVCALL_CREATE_VP, 0, 0, 0), &cv, sizeof(cv)),
              (uint64_t)HV_STATUS_SUCCESS);
    struct hv_vp *cvp = hv_part_get(id)->vp[0];
    struct hv_vp_context *c = &cvp->ctx;
    for (unsigned k = 0; k < 16; k++)
        c->gpr[k] = 0x1000 + k;
    c->rip = 0x402000;
    c->cr0 = 0x80010033;
    c->efer = 0x500;
    c->cs = { 0, 0xFFFFFFFF, 0x08, 0xA09B };
    c->ss = { 0, 0xFFFFFFFF, 0x10, 0xC093 };
    c->ds = { 0x5000, 0xFFFF, 0x18, 0xC093 };
    cvp->state = HV_VP_INTERCEPT_SUSPENDED;
    struct hv_intercept ii;
    std::memset(&ii, 0, sizeof(ii));
    ii.type = HVMSG_X64_EXCEPTION_INTERCEPT;
    ii.insn_len = 1;
    ii.access = HV_INTERCEPT_ACCESS_EXECUTE;
    ii.exc_vector = 3;
    ii.exc_info = HV_X64_EXCEPTION_INFO_SOFTWARE;
    ii.insn_byte_count = 1;
    ii.insn_bytes[0] = 0xCC;
    synic_intercept(cvp, &ii);
    const uint8_t *s = (const uint8_t *)hvf_ptr(SIMP_GPA);
    auto rd = [](const uint8_t *p, unsigned n) {
        uint64_t v = 0;
        std::memcpy(&v, p, n);
        return v;
    };
    EXPECT_EQ(rd(s, 4), 0x80010003u);
    EXPECT_EQ(rd(s + 4, 1), 240u);
    const uint8_t *pl = s + 16;
    EXPECT_EQ(rd(pl + 4, 1) & 0xF, 1u);
    EXPECT_EQ(rd(pl + 24, 8), 0x402000u);
    EXPECT_EQ(rd(pl + 40, 2), 3u);                          // vector
    EXPECT_EQ(rd(pl + 42, 1), 2u);                          // software exception
    EXPECT_EQ(rd(pl + 43, 1), 1u);
    EXPECT_EQ(rd(pl + 44, 4), 0u);
    EXPECT_EQ(rd(pl + 48, 8), 0u);
    EXPECT_EQ(rd(pl + 64, 1), 0xCCu);
    EXPECT_EQ(rd(pl + 80, 8), 0x5000u);                     // DS base
    EXPECT_EQ(rd(pl + 92, 2), 0x18u);                       // DS selector
    EXPECT_EQ(rd(pl + 108, 2), 0x10u);                      // SS selector
    for (unsigned k = 0; k < 16; k++)
        EXPECT_EQ(rd(pl + 112 + 8 * k, 8), 0x1000u + k) << k;
}

} // namespace
