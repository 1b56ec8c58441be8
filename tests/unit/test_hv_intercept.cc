// test_hv_intercept.cc — intercept messages (hv/synic/intercept.c) against the TLFS x64
// intercept layouts as Linux include/hyperv/hvhdk.h declares them (offsets computed by hand
// below), posted to SINT 0 of the root VP on the child VP's LP (HvInterceptLp: VP 0 when that
// VP's SynIC is not ready, the same bytes on either) with header.sender = the child's partition
// id; the partition stops when the root cannot take the message; the unrecoverable-exception
// message; the resume through SetVpRegisters(HvRegisterInterceptSuspend = 0). Fakes:
// hv_fakes.h.
#include <gtest/gtest.h>

#include <cstring>

extern "C" {
#include "hv/abi/tlfs.h"
#include "hv/part/partition.h"
#include "hv/synic/synic.h"
#include "partitions/root/intercept.h"
#include "tests/unit/hv_fakes.h"
}

namespace {

constexpr uint64_t SIMP_GPA = 0x200000;

class HvIntercept : public ::testing::Test {
protected:
    struct hv_vp *root = nullptr, *cvp = nullptr;
    uint64_t id = 0;
    void SetUp() override
    {
        hvf_reset();
        root = hvf_root_vp();
        synic_vp_init(root);
        ASSERT_EQ(synic_wrmsr(root, HV_X64_MSR_SIMP, SIMP_GPA | 1), 0);
        ASSERT_EQ(synic_wrmsr(root, HV_X64_MSR_SCONTROL, 1), 0);
        ASSERT_EQ(synic_wrmsr(root, HV_X64_MSR_SINT0, 0x40), 0);
        id = hvf_make_child("c1", 16);
        ASSERT_NE(id, 0u);
        struct hv_input_create_vp cv;
        std::memset(&cv, 0, sizeof(cv));
        cv.partition_id = id;
        ASSERT_EQ(hvf_root_call(hv_hypercall_input(HVCALL_CREATE_VP, 0, 0, 0), &cv, sizeof(cv)),
                  (uint64_t)HV_STATUS_SUCCESS);
        cvp = hv_part_get(id)->vp[0];
        // a long-mode child at CPL 0 that executed OUT DX, AL (EE) with DX = 3F8H, AL = 'A'
        struct hv_vp_context *c = &cvp->ctx;
        c->gpr[0] = 0x41;
        c->gpr[1] = 3;
        c->gpr[2] = 0x3F8;
        c->gpr[6] = 0x5000;
        c->gpr[7] = 0x6000;
        c->rip = 0x401000;
        c->rflags = 0x202;
        c->cr0 = 0x80010033;
        c->efer = 0x500;
        c->cs = { 0, 0xFFFFFFFF, 0x08, 0xA09B };
        c->ss = c->ds = c->es = { 0, 0xFFFFFFFF, 0x10, 0xC093 };
        cvp->state = HV_VP_INTERCEPT_SUSPENDED;
        hvf_irq_count = 0;
    }
    uint8_t *slot() { return (uint8_t *)hvf_ptr(SIMP_GPA); }
    uint8_t *pl() { return slot() + 16; }
    static uint64_t rd(const uint8_t *p, unsigned n)
    {
        uint64_t v = 0;
        std::memcpy(&v, p, n);
        return v;
    }
    static struct hv_intercept out_3f8()
    {
        struct hv_intercept ii;
        std::memset(&ii, 0, sizeof(ii));
        ii.type = HVMSG_X64_IO_PORT_INTERCEPT;
        ii.insn_len = 1;
        ii.access = HV_INTERCEPT_ACCESS_WRITE;
        ii.port = 0x3F8;
        ii.size = 1;
        ii.insn_byte_count = 1;
        ii.insn_bytes[0] = 0xEE;
        return ii;
    }
};

TEST_F(HvIntercept, OutTo3F8MessageBytes)
{
    struct hv_intercept ii = out_3f8();
    synic_intercept(cvp, &ii);
    // message header: type, payload size 128, no flags, sender = the child's partition id
    EXPECT_EQ(rd(slot(), 4), 0x80010000u);
    EXPECT_EQ(slot()[4], 128);
    EXPECT_EQ(slot()[5], 0);
    EXPECT_EQ(rd(slot() + 8, 8), id);
    // hv_x64_intercept_message_header (40 bytes)
    EXPECT_EQ(rd(pl() + 0, 4), 0u);                     // vp_index
    EXPECT_EQ(pl()[4], 0x01);                           // instruction length 1, CR8 0
    EXPECT_EQ(pl()[5], 1);                              // write
    EXPECT_EQ(rd(pl() + 6, 2), 0x0014u);                // CPL 0, CR0.PE (bit 2), EFER.LMA (bit 4)
    EXPECT_EQ(rd(pl() + 8, 8), 0u);                     // CS base
    EXPECT_EQ(rd(pl() + 16, 4), 0xFFFFFFFFu);           // CS limit
    EXPECT_EQ(rd(pl() + 20, 2), 0x08u);                 // CS selector
    EXPECT_EQ(rd(pl() + 22, 2), 0xA09Bu);               // CS attributes
    EXPECT_EQ(rd(pl() + 24, 8), 0x401000u);             // RIP (not advanced)
    EXPECT_EQ(rd(pl() + 32, 8), 0x202u);                // RFLAGS
    // hv_x64_io_port_intercept_message from offset 40
    EXPECT_EQ(rd(pl() + 40, 2), 0x3F8u);
    EXPECT_EQ(pl()[42], 0x01);                          // size 1, not string, no REP
    EXPECT_EQ(pl()[43], 1);                             // instruction byte count
    EXPECT_EQ(rd(pl() + 44, 4), 0u);
    EXPECT_EQ(rd(pl() + 48, 8), 0x41u);                 // RAX
    EXPECT_EQ(pl()[56], 0xEE);                          // OUT DX, AL
    EXPECT_EQ(rd(pl() + 57, 8), 0u);
    EXPECT_EQ(rd(pl() + 72 + 12, 2), 0x10u);            // DS selector (base 8, limit 4, then it)
    EXPECT_EQ(rd(pl() + 72 + 14, 2), 0xC093u);
    EXPECT_EQ(rd(pl() + 88 + 12, 2), 0x10u);            // ES selector
    EXPECT_EQ(rd(pl() + 104, 8), 3u);                   // RCX
    EXPECT_EQ(rd(pl() + 112, 8), 0x5000u);              // RSI
    EXPECT_EQ(rd(pl() + 120, 8), 0x6000u);              // RDI
    EXPECT_EQ(hvf_last_irq_vector, 0x40);
    EXPECT_EQ(cvp->state, HV_VP_INTERCEPT_SUSPENDED);
    // the root's decoder reads the same message
    struct pm_io io;
    ASSERT_EQ(pm_io_decode(pl(), slot()[4], &io), 0);
    EXPECT_EQ(io.port, 0x3F8);
    EXPECT_TRUE(io.write);
    EXPECT_EQ(io.size, 1);
    EXPECT_EQ(io.rax, 0x41u);
    EXPECT_EQ(io.rip, 0x401000u);
    EXPECT_EQ(io.insn_len, 1);
}

TEST_F(HvIntercept, RepInsbIsDescribedAsStringAndRep)
{
    struct hv_intercept ii = out_3f8();
    ii.access = HV_INTERCEPT_ACCESS_READ;
    ii.string_op = true;
    ii.rep = true;
    ii.insn_len = 2;
    synic_intercept(cvp, &ii);
    EXPECT_EQ(pl()[5], 0);                              // read
    EXPECT_EQ(pl()[42], 0x19);                          // size 1 | string 8 | REP 16
}

TEST_F(HvIntercept, UnmappedGpaMessage)
{
    struct hv_intercept ii;
    std::memset(&ii, 0, sizeof(ii));
    ii.type = HVMSG_UNMAPPED_GPA;
    ii.access = HV_INTERCEPT_ACCESS_WRITE;
    ii.gpa = 0xFEC00010;
    ii.gva = 0xFEC00010;
    ii.gva_valid = true;
    ii.insn_byte_count = 2;
    ii.insn_bytes[0] = 0x89;
    ii.insn_bytes[1] = 0x07;
    synic_intercept(cvp, &ii);
    EXPECT_EQ(rd(slot(), 4), 0x80000000u);
    EXPECT_EQ(slot()[4], 80);
    EXPECT_EQ(pl()[4], 0x00);                           // length unknown for EPT exits
    EXPECT_EQ(pl()[5], 1);
    EXPECT_EQ(pl()[44], 2);                             // instruction byte count
    EXPECT_EQ(pl()[45], 0x01);                          // GVA valid
    EXPECT_EQ(rd(pl() + 48, 8), 0xFEC00010u);           // GVA
    EXPECT_EQ(rd(pl() + 56, 8), 0xFEC00010u);           // GPA
    EXPECT_EQ(pl()[64], 0x89);
    EXPECT_EQ(pl()[65], 0x07);
}

TEST_F(HvIntercept, UnrecoverableExceptionStopsThePartition)
{
    struct hv_intercept ii;
    std::memset(&ii, 0, sizeof(ii));
    ii.type = HVMSG_UNRECOVERABLE_EXCEPTION;
    cvp->state = HV_VP_STOPPED;                         // the exit handler stopped it
    synic_intercept(cvp, &ii);
    EXPECT_EQ(rd(slot(), 4), 0x80000021u);
    EXPECT_EQ(slot()[4], 40);
    EXPECT_EQ(rd(slot() + 8, 8), id);
    EXPECT_EQ(rd(pl() + 24, 8), 0x401000u);
    EXPECT_EQ(cvp->state, HV_VP_STOPPED);
}

TEST_F(HvIntercept, RootNotListeningStopsTheChild)
{
    ASSERT_EQ(synic_wrmsr(root, HV_X64_MSR_SCONTROL, 0), 0);
    struct hv_intercept ii = out_3f8();
    unsigned logs = hvf_log_count;
    synic_intercept(cvp, &ii);
    EXPECT_EQ(cvp->state, HV_VP_STOPPED);
    EXPECT_EQ(hvf_log_count, logs + 1);
    EXPECT_EQ(rd(slot(), 4), 0u);
}

TEST_F(HvIntercept, SecondInterceptWaitsForEom)
{
    struct hv_intercept ii = out_3f8();
    synic_intercept(cvp, &ii);
    cvp->ctx.gpr[0] = 0x42;
    synic_intercept(cvp, &ii);
    EXPECT_EQ(rd(pl() + 48, 8), 0x41u);
    EXPECT_EQ(slot()[5], HV_MESSAGE_FLAG_PENDING);
    std::memset(slot(), 0, 4);                          // the root consumes it, then EOM
    ASSERT_EQ(synic_wrmsr(root, HV_X64_MSR_EOM, 0), 0);
    EXPECT_EQ(rd(pl() + 48, 8), 0x42u);
    EXPECT_EQ(cvp->state, HV_VP_INTERCEPT_SUSPENDED);
}

TEST_F(HvIntercept, ResumeBySetVpRegisters)
{
    struct hv_intercept ii = out_3f8();
    synic_intercept(cvp, &ii);
    cvp->ctx.dirty = false;
    struct {
        struct hv_input_vp_registers h;
        struct hv_register_assoc r[2];
    } in;
    std::memset(&in, 0, sizeof(in));
    in.h.partition_id = id;
    in.r[0].name = HV_X64_REGISTER_RIP;
    in.r[0].value.reg64 = 0x401001;
    in.r[1].name = HV_REGISTER_INTERCEPT_SUSPEND;
    unsigned kicks = hvf_kick_count;
    EXPECT_EQ(hvf_root_call(hv_hypercall_input(HVCALL_SET_VP_REGISTERS, 0, 2, 0), &in, sizeof(in)),
              (uint64_t)HV_STATUS_SUCCESS | (2ull << 32));
    EXPECT_EQ(cvp->state, HV_VP_RUNNABLE);
    EXPECT_TRUE(cvp->ctx.dirty);
    EXPECT_EQ(cvp->ctx.rip, 0x401001u);
    EXPECT_EQ(hvf_kick_count, kicks + 1);
    EXPECT_EQ(hvf_last_kick, cvp);
}

// The intercept delivery rule (hv/synic/intercept.c): the root VP on the child VP's LP if its
// SynIC is ready for SINT 0, else the root's VP 0. The fake root has VP 0 on LP 0 and VP 1 on
// LP 1 (hv_fakes.h), as hv/part/root.c gives the real root VP k on LP k.
class HvInterceptLp : public HvIntercept {
protected:
    static constexpr uint64_t SIMP1_GPA = 0x201000;
    struct hv_vp *root1 = nullptr;
    void SetUp() override
    {
        HvIntercept::SetUp();
        root1 = hv_part_get(HV_PARTITION_ROOT_ID)->vp[1];
        ASSERT_NE(root1, nullptr);
        ASSERT_EQ(root1->lp, 1u);
        synic_vp_init(root1);
        ASSERT_EQ(synic_wrmsr(root1, HV_X64_MSR_SIMP, SIMP1_GPA | 1), 0);
        ASSERT_EQ(synic_wrmsr(root1, HV_X64_MSR_SCONTROL, 1), 0);
        ASSERT_EQ(synic_wrmsr(root1, HV_X64_MSR_SINT0, 0x40), 0);
    }
    uint8_t *slot1() { return (uint8_t *)hvf_ptr(SIMP1_GPA); }
};

TEST_F(HvInterceptLp, ChildVpOnLp1GoesToRootVp1)
{
    cvp->lp = 1;                                        // as vp_create.c: (id + index) mod nlps
    EXPECT_EQ(synic_intercept_target(cvp), root1);
    struct hv_intercept ii = out_3f8();
    synic_intercept(cvp, &ii);
    EXPECT_EQ(rd(slot1(), 4), (uint64_t)HVMSG_X64_IO_PORT_INTERCEPT);
    EXPECT_EQ(rd(slot1() + 8, 8), id);                  // sender = the child's partition id
    EXPECT_EQ(rd(slot(), 4), 0u);                       // nothing for VP 0
    EXPECT_EQ(hvf_irq_count, 1u);
    EXPECT_EQ(hvf_last_irq_vector, 0x40);
    EXPECT_EQ(cvp->state, HV_VP_INTERCEPT_SUSPENDED);
}

TEST_F(HvInterceptLp, ChildVpOnLp0GoesToRootVp0)
{
    cvp->lp = 0;
    EXPECT_EQ(synic_intercept_target(cvp), root);
    struct hv_intercept ii = out_3f8();
    synic_intercept(cvp, &ii);
    EXPECT_EQ(rd(slot(), 4), (uint64_t)HVMSG_X64_IO_PORT_INTERCEPT);
    EXPECT_EQ(rd(slot1(), 4), 0u);
}

// Each of the three conditions alone sends the intercept to VP 0 instead (TLFS 11.8: a SynIC
// with SCONTROL.Enable clear, an SIMP not enabled or a masked SINT delivers nothing).
TEST_F(HvInterceptLp, FallsBackToVp0WhenTheLocalSynicIsNotReady)
{
    for (int which = 0; which < 4; which++) {
        SCOPED_TRACE(which);
        ASSERT_EQ(synic_wrmsr(root1, HV_X64_MSR_SCONTROL, which == 0 ? 0 : 1), 0);
        ASSERT_EQ(synic_wrmsr(root1, HV_X64_MSR_SINT0, which == 1 ? 0x10040 : 0x40), 0);
        if (which == 2) {                               // SIMP never enabled on a fresh SynIC
            synic_vp_init(root1);
            ASSERT_EQ(synic_wrmsr(root1, HV_X64_MSR_SCONTROL, 1), 0);
            ASSERT_EQ(synic_wrmsr(root1, HV_X64_MSR_SINT0, 0x40), 0);
        }
        if (which == 3) {                               // VP 1 ready again (after case 2)
            ASSERT_EQ(synic_wrmsr(root1, HV_X64_MSR_SIMP, SIMP1_GPA | 1), 0);
        }
        std::memset(slot(), 0, 256);
        std::memset(slot1(), 0, 256);
        cvp->lp = 1;
        cvp->state = HV_VP_INTERCEPT_SUSPENDED;
        struct hv_intercept ii = out_3f8();
        synic_intercept(cvp, &ii);
        EXPECT_EQ(cvp->state, HV_VP_INTERCEPT_SUSPENDED);   // delivered: the child waits
        if (which < 3) {
            EXPECT_EQ(synic_intercept_target(cvp), root);
            EXPECT_EQ(rd(slot(), 4), (uint64_t)HVMSG_X64_IO_PORT_INTERCEPT);
            EXPECT_EQ(rd(slot1(), 4), 0u);
        } else {
            EXPECT_EQ(synic_intercept_target(cvp), root1);
            EXPECT_EQ(rd(slot(), 4), 0u);
            EXPECT_EQ(rd(slot1(), 4), (uint64_t)HVMSG_X64_IO_PORT_INTERCEPT);
        }
    }
}

// The same intercept delivered to VP 1 (local) and to VP 0 (fallback) is the same 256 bytes,
// and those are synic_intercept_build's message (whose bytes OutTo3F8MessageBytes checks).
TEST_F(HvInterceptLp, MessageIsTheSameOnEveryRootVp)
{
    struct hv_intercept ii = out_3f8();
    cvp->lp = 1;
    synic_intercept(cvp, &ii);
    ASSERT_EQ(rd(slot1(), 4), (uint64_t)HVMSG_X64_IO_PORT_INTERCEPT);
    ASSERT_EQ(synic_wrmsr(root1, HV_X64_MSR_SINT0, 0x10040), 0);   // mask VP 1's SINT 0
    synic_intercept(cvp, &ii);
    ASSERT_EQ(rd(slot(), 4), (uint64_t)HVMSG_X64_IO_PORT_INTERCEPT);
    EXPECT_EQ(std::memcmp(slot(), slot1(), 256), 0);
    struct hv_message m;
    ASSERT_EQ(synic_intercept_build(cvp, &ii, &m), 0);
    EXPECT_EQ(std::memcmp(slot(), &m, 256), 0);
    struct pm_io io;
    ASSERT_EQ(pm_io_decode(slot1() + 16, rd(slot1() + 4, 1), &io), 0);
    EXPECT_EQ(io.port, 0x3F8);
    EXPECT_EQ(io.rax, 0x41u);
    EXPECT_EQ(io.vp, 0u);
}

} // namespace
