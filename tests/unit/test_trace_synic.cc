// test_trace_synic.cc — SynIC deliveries in the trace (docs/TRACE-FORMAT.md, schema version 3):
// the tracer turns the hypervisor's annotations of kinds 5 and 6 (traces/annot_abi.h) into
// `synic_message` / `synic_event` events with the current VMCS's identity; the dump names TLFS
// message types; stats count messages received by type and sent by their cause; the Perfetto
// export draws a flow from a message to the receiving VP's next injection of its vector.
// Expected values come from the packing documented in annot_abi.h and hand-built events.
#include "tests/unit/test_ops_harness.h"

#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

extern "C" {
#include "traces/annot_abi.h"
#include "traces/trace_diff.h"
#include "traces/trace_export.h"
#include "traces/trace_fmt.h"
#include "traces/trace_names.h"
#include "traces/trace_reader.h"
#include "traces/trace_stats.h"
#include "traces/trace_writer.h"
#include "traces/tracer.h"
}

using namespace opstest;

namespace {

std::string tmpdir()
{
    char t[] = "/tmp/hvsim-synic-XXXXXX";
    EXPECT_NE(mkdtemp(t), nullptr);
    return t;
}

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

std::vector<trace_event> read_all(const std::string &dir)
{
    char err[256];
    std::vector<trace_event> out;
    trace_reader *r = trace_reader_open(dir.c_str(), err, sizeof err);
    EXPECT_NE(r, nullptr) << err;
    if (!r)
        return out;
    trace_event ev;
    while (trace_reader_next(r, &ev) == 1)
        out.push_back(ev);
    trace_reader_close(r);
    return out;
}

constexpr uint64_t VMCS_CHILD = 0x41000;

// Record the annotations a hypervisor on lp0 executes while VMCS_CHILD (partition 2, VP 0) is
// current: a message and an event flag for the root's VP 0.
std::vector<trace_event> record(uint32_t cats)
{
    std::string dir = tmpdir();
    tracer tr;
    Machine m;
    char err[256];
    EXPECT_EQ(tracer_open(&tr, dir.c_str(), 1, cats, 2400000000ull, nullptr, nullptr, nullptr,
                          0, err, sizeof err), 0) << err;
    m.c.trace = &tr;
    m.c.vmx.nonroot = false;
    m.c.vmx.vmcs_ptr = VMCS_CHILD;
    m.c.ctr.cycles = 100;
    tracer_annotation(&tr, &m.c, HVSIM_ANNOT_VMCS_IDENTITY, VMCS_CHILD, 2, 0, 0);
    m.c.ctr.cycles = 200;
    tracer_annotation(&tr, &m.c, HVSIM_ANNOT_SYNIC_MESSAGE, 1,
                      HVSIM_ANNOT_SYNIC_A1(0, 0, 0x40, 0),
                      HVSIM_ANNOT_SYNIC_A2(0x80010000u, 41), 2);
    m.c.ctr.cycles = 300;
    tracer_annotation(&tr, &m.c, HVSIM_ANNOT_SYNIC_EVENT, 1, HVSIM_ANNOT_SYNIC_A1(0, 5, 0x45, 0),
                      700, 0);
    m.c.trace = nullptr;
    EXPECT_EQ(tracer_close(&tr, err, sizeof err), 0) << err;
    std::vector<trace_event> evs = read_all(dir);
    rm_dir(dir);
    return evs;
}

TEST(TraceSynic, AnnotationsBecomeTypedEventsOfTheCurrentVmcs)
{
    std::vector<trace_event> evs = record(TRACE_CAT_DEFAULT);
    ASSERT_EQ(evs.size(), 3u);
    EXPECT_EQ(evs[0].id, (unsigned)TEV_ANNOTATION);         // the identity stays an annotation
    const trace_event &m = evs[1], &e = evs[2];
    ASSERT_EQ(m.id, (unsigned)TEV_SYNIC_MESSAGE);
    EXPECT_STREQ(m.desc->name, "synic_message");
    EXPECT_EQ(m.cpu_id, 0u);
    EXPECT_EQ(m.cycles, 200u);
    EXPECT_EQ(m.partition, 2u);                             // VMCS_CHILD's identity
    EXPECT_EQ(m.vp, 0u);
    const uint64_t want_m[8] = { 1, 0, 0, 0x40, 0x80010000u, 2, 41, 0 };
    for (unsigned k = 0; k < 8; k++)
        EXPECT_EQ(m.v[k], want_m[k]) << m.desc->f[k].name;
    ASSERT_EQ(e.id, (unsigned)TEV_SYNIC_EVENT);
    EXPECT_STREQ(e.desc->name, "synic_event");
    EXPECT_EQ(e.partition, 2u);
    const uint64_t want_e[5] = { 1, 0, 5, 0x45, 700 };
    for (unsigned k = 0; k < 5; k++)
        EXPECT_EQ(e.v[k], want_e[k]) << e.desc->f[k].name;
}

TEST(TraceSynic, NotRecordedWithoutTheAnnotCategory)
{
    std::vector<trace_event> evs = record(TRACE_CAT_VMX | TRACE_CAT_INTR);
    EXPECT_EQ(evs.size(), 0u);
}

TEST(TraceSynic, SchemaFieldsAndVersion)
{
    EXPECT_EQ(TRACE_SCHEMA_VERSION, 3);
    EXPECT_EQ(trace_event_by_name("synic_message"), TEV_SYNIC_MESSAGE);
    EXPECT_EQ(trace_event_by_name("synic_event"), TEV_SYNIC_EVENT);
    // dst_partition 2, dst_vp 2, sint 1, vector 1, msg_type 4, sender 8, seq 4, queued 1
    EXPECT_EQ(trace_payload_size(&trace_events[TEV_SYNIC_MESSAGE]), 23u);
    EXPECT_EQ(trace_payload_size(&trace_events[TEV_SYNIC_EVENT]), 8u);
    EXPECT_EQ(trace_field_by_name(&trace_events[TEV_SYNIC_MESSAGE], "msg_type"), 4);
}

TEST(TraceSynic, MessageTypeNames)
{
    EXPECT_STREQ(trace_hvmsg_name(0x80000010u), "HVMSG_TIMER_EXPIRED");
    EXPECT_STREQ(trace_hvmsg_name(0x80010000u), "HVMSG_X64_IO_PORT_INTERCEPT");
    EXPECT_STREQ(trace_hvmsg_name(0x80010001u), "HVMSG_X64_MSR_INTERCEPT");
    EXPECT_STREQ(trace_hvmsg_name(0x80000000u), "HVMSG_UNMAPPED_GPA");
    EXPECT_EQ(trace_hvmsg_name(0x100u), nullptr);
    char buf[48];
    trace_hvmsg_label(0x100u, buf, sizeof buf);
    EXPECT_STREQ(buf, "message type 0x100");
    trace_hvmsg_label(0x80000010u, buf, sizeof buf);
    EXPECT_STREQ(buf, "HVMSG_TIMER_EXPIRED");
}

std::string dump_line(const trace_event &ev)
{
    char *buf = nullptr;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    trace_event_print(f, &ev);
    fclose(f);
    std::string s(buf, len);
    free(buf);
    return s;
}

TEST(TraceSynic, DumpNamesTlfsTypes)
{
    trace_event ev{};
    ev.id = TEV_SYNIC_MESSAGE;
    ev.desc = &trace_events[TEV_SYNIC_MESSAGE];
    ev.partition = 2;
    ev.vp = 0;
    const uint64_t v[8] = { 2, 0, 1, 0x50, 0x80000010u, 0, 9, 0 };
    for (unsigned k = 0; k < 8; k++)
        ev.v[k] = v[k];
    std::string s = dump_line(ev);
    EXPECT_NE(s.find("synic_message dst_partition=2 dst_vp=0 sint=1 vector=80 "
                     "msg_type=HVMSG_TIMER_EXPIRED(0x80000010) sender=0 seq=9 queued=0"),
              std::string::npos) << s;
    ev.v[4] = 0x100;
    s = dump_line(ev);
    EXPECT_NE(s.find(" msg_type=0x100 "), std::string::npos) << s;
}

// Hand-built trace: partition 2 (VP 0) on lp0 causes an I/O intercept message to the root
// (partition 1, VP 0, vector 0x40), posts a message of type 0x100 (vector 0x41), and its timer
// message is written while the root's VMCS is current on lp0; a queued intercept of partition
// 3 is delivered at the root's EOM; partition 3 signals an event flag of the root.
std::string synic_trace()
{
    std::string dir = tmpdir();
    char err[256];
    trace_writer *w = trace_writer_open(dir.c_str(), 1, TRACE_CAT_ALL, nullptr, 0, err,
                                        sizeof err);
    EXPECT_NE(w, nullptr) << err;
    uint64_t io[8] = { 1, 0, 0, 0x40, 0x80010000u, 2, 0, 0 };
    trace_emit(w, 0, TEV_SYNIC_MESSAGE, 1000, 10, 2, 0, io);
    uint64_t post[8] = { 1, 0, 3, 0x41, 0x100, 5, 1, 0 };
    trace_emit(w, 0, TEV_SYNIC_MESSAGE, 2000, 20, 2, 0, post);
    uint64_t tmr[8] = { 2, 0, 1, 0x50, 0x80000010u, 0, 2, 0 };
    trace_emit(w, 0, TEV_SYNIC_MESSAGE, 3000, 30, 1, 0, tmr);
    uint64_t queued[8] = { 1, 0, 0, 0x40, 0x80010000u, 3, 3, 1 };
    trace_emit(w, 0, TEV_SYNIC_MESSAGE, 4000, 40, 1, 0, queued);
    uint64_t flag[5] = { 1, 0, 2, 0x42, 7 };
    trace_emit(w, 0, TEV_SYNIC_EVENT, 5000, 50, 3, 0, flag);
    // the root's VP 0 gets vector 0x40 injected (ends the first flow; the queued message's
    // 0x40 coalesced into it), then 0x41; vector 0x99 has no flow
    uint64_t inj[4] = { 0x40, 0, 0, 0 };
    trace_emit(w, 0, TEV_VM_INJECT, 6000, 60, 1, 0, inj);
    inj[0] = 0x41;
    trace_emit(w, 0, TEV_VM_INJECT, 7000, 70, 1, 0, inj);
    inj[0] = 0x99;
    trace_emit(w, 0, TEV_VM_INJECT, 8000, 80, 1, 0, inj);
    EXPECT_EQ(trace_writer_close(w, err, sizeof err), 0) << err;
    return dir;
}

const trace_group *find_group(const trace_stats *st, uint16_t part)
{
    for (unsigned k = 0; k < st->ngroups; k++)
        if (st->groups[k].partition == part && st->groups[k].vp == TRACE_ID_NONE)
            return &st->groups[k];
    return nullptr;
}

uint64_t rx(const trace_group *g, uint32_t type)
{
    for (unsigned k = 0; k < TRACE_STATS_MSG_TYPES; k++)
        if (g->msg_rx[k].n && g->msg_rx[k].type == type)
            return g->msg_rx[k].n;
    return 0;
}

TEST(TraceSynic, StatsCountReceivedByTypeAndSentByCause)
{
    std::string dir = synic_trace();
    char err[256];
    trace_reader *r = trace_reader_open(dir.c_str(), err, sizeof err);
    ASSERT_NE(r, nullptr) << err;
    trace_stats *st = (trace_stats *)malloc(sizeof *st);
    ASSERT_EQ(trace_stats_compute(r, st), 0);
    EXPECT_EQ(rx(&st->all, 0x80010000u), 2u);
    EXPECT_EQ(rx(&st->all, 0x100u), 1u);
    EXPECT_EQ(rx(&st->all, 0x80000010u), 1u);
    EXPECT_EQ(st->all.ev_rx, 1u);
    EXPECT_EQ(st->all.msg_tx, 4u);
    EXPECT_EQ(st->all.ev_tx, 1u);
    const trace_group *p1 = find_group(st, 1), *p2 = find_group(st, 2), *p3 = find_group(st, 3);
    ASSERT_TRUE(p1 && p2 && p3);
    EXPECT_EQ(rx(p1, 0x80010000u), 2u);
    EXPECT_EQ(rx(p1, 0x100u), 1u);
    EXPECT_EQ(rx(p1, 0x80000010u), 0u);
    EXPECT_EQ(p1->ev_rx, 1u);
    EXPECT_EQ(p1->msg_tx, 0u);      // the timer and the queued intercept are not the root's
    EXPECT_EQ(rx(p2, 0x80000010u), 1u);
    EXPECT_EQ(p2->msg_tx, 3u);      // its intercept, its PostMessage, its own timer
    EXPECT_EQ(p3->msg_tx, 1u);      // the queued intercept, by its sender field
    EXPECT_EQ(p3->ev_tx, 1u);
    trace_stats_free(st);
    free(st);
    trace_reader_close(r);
    rm_dir(dir);
}

TEST(TraceSynic, PerfettoFlowsToTheReceivingVpsInjection)
{
    std::string dir = synic_trace();
    char err[256];
    trace_reader *r = trace_reader_open(dir.c_str(), err, sizeof err);
    ASSERT_NE(r, nullptr) << err;
    char *buf = nullptr;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ASSERT_EQ(trace_export_perfetto(r, f, err, sizeof err), 0) << err;
    fclose(f);
    std::string js(buf, len);
    free(buf);
    trace_reader_close(r);
    rm_dir(dir);
    auto count = [&](const std::string &needle) {
        size_t n = 0;
        for (size_t at = js.find(needle); at != std::string::npos; at = js.find(needle, at + 1))
            n++;
        return n;
    };
    // flows: 0x40 (first intercept, 1.000 ns, from partition 2 VP 0 = pid 3 tid 0) and 0x41
    // (PostMessage, 2.000 ns, pid 3); the event flag's 0x42 is never injected: no flow
    EXPECT_EQ(count("\"name\":\"synic\",\"cat\":\"annot\",\"ph\":\"s\""), 2u) << js;
    EXPECT_EQ(count("\"name\":\"synic\",\"cat\":\"annot\",\"ph\":\"f\""), 2u) << js;
    EXPECT_NE(js.find("\"ph\":\"s\",\"ts\":0.001000,\"pid\":3,\"tid\":0,\"id\":1"),
              std::string::npos) << js;
    EXPECT_NE(js.find("\"ph\":\"f\",\"ts\":0.006000,\"pid\":2,\"tid\":0,\"bp\":\"e\",\"id\":1"),
              std::string::npos) << js;
    EXPECT_NE(js.find("\"ph\":\"s\",\"ts\":0.002000,\"pid\":3,\"tid\":0,\"id\":2"),
              std::string::npos) << js;
    // the timer message is drawn on its receiver's track (partition 2 VP 0: pid 3), although
    // the root's VMCS was current
    EXPECT_NE(js.find("\"name\":\"synic_message\",\"cat\":\"annot\",\"ph\":\"X\",\"ts\":0.003000,"
                      "\"pid\":3,\"tid\":0"), std::string::npos) << js;
    // the injections that end flows are slices, the other an instant
    EXPECT_EQ(count("\"name\":\"vm_inject\",\"cat\":\"vmx\",\"ph\":\"X\""), 2u) << js;
    EXPECT_EQ(count("\"name\":\"vm_inject\",\"cat\":\"vmx\",\"ph\":\"i\""), 1u) << js;
}

} // namespace
