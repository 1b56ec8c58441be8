// test_annot.cc — the annotation instruction (traces/annot_abi.h, cpu/ops_nop.c): an
// architectural NOP (registers, flags and memory unchanged, the operand never accessed) that
// costs 0 cycles, and with a trace recorder attached writes an `annotation` event with EAX, RDI,
// RSI, RDX, RCX; a VMCS-identity annotation attributes later events of that VMCS. Near misses of
// the encoding stay ordinary NOPs that cost cost.nop.
#include "tests/unit/test_ops_harness.h"

#include <dirent.h>
#include <unistd.h>

#include <string>

extern "C" {
#include "traces/annot_abi.h"
#include "traces/trace_fmt.h"
#include "traces/trace_reader.h"
#include "traces/tracer.h"
}

using namespace opstest;

namespace {

const std::initializer_list<uint8_t> ANNOT = { 0x0f, 0x1f, 0x84, 0x00, 0x48, 0x56, 0x53, 0x4d };

void rm_dir(const std::string &d)
{
    if (DIR *dp = opendir(d.c_str())) {
        while (dirent *de = readdir(dp))
            if (de->d_name[0] != '.')
                unlink((d + "/" + de->d_name).c_str());
        closedir(dp);
    }
    rmdir(d.c_str());
}

} // namespace

TEST(Annotation, NopThatCostsNothing)
{
    Machine m;
    m.r(R_RAX) = 4;                             // kind: MARK
    m.r(R_RDI) = 0x1111;
    m.set_flags(CF | ZF);
    uint64_t c0 = m.c.ctr.cycles, i0 = m.c.ctr.insns;
    ASSERT_EQ(m.exec(ANNOT), -1);
    EXPECT_EQ(m.r(R_RAX), 4u);
    EXPECT_EQ(m.r(R_RDI), 0x1111u);
    EXPECT_EQ(m.flags() & ARITH, CF | ZF);
    EXPECT_EQ(m.c.cr2, 0u);
    // the annotation and the HLT after it retired; only the HLT's class cost was charged
    EXPECT_EQ(m.c.ctr.insns - i0, 2u);
    uint64_t with = m.c.ctr.cycles - c0;
    Machine n;
    uint64_t d0 = n.c.ctr.cycles;
    ASSERT_EQ(n.exec({ 0x0f, 0x1f, 0x84, 0x00, 0x48, 0x56, 0x53, 0x4e }), -1);   // disp differs
    uint64_t without = n.c.ctr.cycles - d0;
    EXPECT_EQ(without - with, n.c.model->class_cost[CLS_NOP]);
    EXPECT_GT(n.c.model->class_cost[CLS_NOP], 0u);
}

TEST(Annotation, RecordedWithItsRegistersAndVmcsIdentity)
{
    char t[] = "/tmp/hvsim-annot-XXXXXX";
    ASSERT_NE(mkdtemp(t), nullptr);
    std::string dir = t;
    tracer tr;
    char err[256];
    ASSERT_EQ(tracer_open(&tr, dir.c_str(), 1, TRACE_CAT_DEFAULT, 2400000000ull, nullptr, nullptr, nullptr,
                          0, err, sizeof err), 0) << err;
    {
        Machine m;
        m.c.trace = &tr;
        m.r(R_RAX) = HVSIM_ANNOT_VMCS_IDENTITY;
        m.r(R_RDI) = 0x31000;                   // VMCS
        m.r(R_RSI) = 7;                         // partition
        m.r(R_RDX) = 2;                         // VP
        m.r(R_RCX) = 0xdead;
        ASSERT_EQ(m.exec(ANNOT), -1);
        m.c.vmx.vmcs_ptr = 0x31000;             // an event tied to that VMCS is attributed
        tracer_vm_entry(&tr, &m.c, 1);
        m.c.trace = nullptr;
    }
    ASSERT_EQ(tracer_close(&tr, err, sizeof err), 0) << err;
    trace_reader *r = trace_reader_open(dir.c_str(), err, sizeof err);
    ASSERT_NE(r, nullptr) << err;
    trace_event ev;
    ASSERT_EQ(trace_reader_next(r, &ev), 1);
    EXPECT_EQ(ev.id, (unsigned)TEV_ANNOTATION);
    EXPECT_EQ(ev.v[0], (uint64_t)HVSIM_ANNOT_VMCS_IDENTITY);
    EXPECT_EQ(ev.v[1], 0x31000u);
    EXPECT_EQ(ev.v[2], 7u);
    EXPECT_EQ(ev.v[3], 2u);
    EXPECT_EQ(ev.v[4], 0xdeadu);
    EXPECT_EQ(ev.partition, TRACE_ID_NONE);     // root operation: not attributed
    ASSERT_EQ(trace_reader_next(r, &ev), 1);
    EXPECT_EQ(ev.id, (unsigned)TEV_VM_ENTRY);
    EXPECT_EQ(ev.partition, 7u);
    EXPECT_EQ(ev.vp, 2u);
    EXPECT_EQ(ev.v[0], 0x31000u);
    EXPECT_EQ(ev.v[3], 1u);                     // VMLAUNCH
    EXPECT_EQ(trace_reader_next(r, &ev), 0);
    trace_reader_close(r);
    rm_dir(dir);
}
