// test_trace_stats.cc — trace statistics (traces/trace_stats.c) on hand-made traces: an exit's
// handling time is the root_cycles of the next entry on the same processor, groups by partition,
// hypercall latencies, interrupt deliveries; values computed by hand below.
#include <gtest/gtest.h>

#include <stdlib.h>
#include <unistd.h>

#include <string>

extern "C" {
#include "traces/trace_fmt.h"
#include "traces/trace_reader.h"
#include "traces/trace_stats.h"
#include "traces/trace_writer.h"
}

namespace {

void rm_trace(const std::string &d)
{
    for (const char *f : { "/metadata", "/lp0", "/lp1", "/machine" })
        unlink((d + f).c_str());
    rmdir(d.c_str());
}

void exit_ev(trace_writer *w, unsigned lp, uint64_t t, uint16_t part, uint32_t reason)
{
    uint64_t v[8] = { 0x1000, reason, 0, 0x400000, 2, 0, 0, 0 };
    trace_emit(w, lp, TEV_VM_EXIT, t, t, part, 0, v);
}

void entry_ev(trace_writer *w, unsigned lp, uint64_t t, uint16_t part, uint64_t root)
{
    uint64_t v[4] = { 0x1000, 0x400002, root, 0 };
    trace_emit(w, lp, TEV_VM_ENTRY, t, t, part, 0, v);
}

} // namespace

TEST(TraceStats, ExitsPairedWithTheNextEntryOnTheSameProcessor)
{
    char t[] = "/tmp/hvsim-stats-XXXXXX";
    ASSERT_NE(mkdtemp(t), nullptr);
    std::string dir = t;
    char err[256];
    trace_writer *w = trace_writer_open(dir.c_str(), 2, TRACE_CAT_ALL, nullptr, 0, err, sizeof err);
    ASSERT_NE(w, nullptr) << err;
    // lp0, partition 1: CPUID handled in 100 and 300 cycles; lp1, partition 2: CPUID in 50,
    // interleaved in time so that pairing by processor matters
    exit_ev(w, 0, 10, 1, 10);
    exit_ev(w, 1, 11, 2, 10);
    entry_ev(w, 1, 12, 2, 50);
    entry_ev(w, 0, 20, 1, 100);
    exit_ev(w, 0, 30, 1, 10);
    entry_ev(w, 0, 40, 1, 300);
    // an entry failure (bit 31) and an exit left open at the end (time unknown)
    exit_ev(w, 1, 50, 2, 0x80000021u);
    entry_ev(w, 1, 60, 2, 7);
    exit_ev(w, 0, 70, 1, 48);
    uint64_t hc[8] = { 0x5c, 0, 0, 0, 0, 0, 900, 1 };
    trace_emit(w, 0, TEV_HYPERCALL, 80, 80, 1, 0, hc);
    hc[6] = 1100;
    trace_emit(w, 0, TEV_HYPERCALL, 90, 90, 1, 0, hc);
    // interrupt latency: raised for lp1 at 91 (and again at 93: coalesced), delivered at 95 -> 4 ps;
    // a fixed physical IPI from lp0 to lp1 (vector 0x41) at 96, delivered at 99 -> 3 ps; an NMI
    // delivery (kind 1) is not paired
    uint64_t raise[5] = { 0x30, TRACE_SRC_IOAPIC, 4, 1, 0 };
    trace_emit(w, TRACE_STREAM_MACHINE, TEV_IRQ_RAISE, 91, 0, TRACE_ID_NONE, TRACE_ID_NONE, raise);
    trace_emit(w, TRACE_STREAM_MACHINE, TEV_IRQ_RAISE, 93, 0, TRACE_ID_NONE, TRACE_ID_NONE, raise);
    uint64_t irq[3] = { 0x30, 0, 0 };
    trace_emit(w, 1, TEV_IRQ_DELIVER, 95, 95, 2, 0, irq);
    uint64_t ipi[5] = { 0x41, 0, 0, 1, 0 };
    trace_emit(w, 0, TEV_IPI, 96, 96, 1, 0, ipi);
    uint64_t d2[3] = { 0x41, 0, 0 };
    trace_emit(w, 1, TEV_IRQ_DELIVER, 99, 99, 2, 0, d2);
    uint64_t nmi[3] = { 2, 1, 0 };
    trace_emit(w, 1, TEV_IRQ_DELIVER, 100, 100, 2, 0, nmi);
    ASSERT_EQ(trace_writer_close(w, err, sizeof err), 0) << err;

    trace_reader *r = trace_reader_open(dir.c_str(), err, sizeof err);
    ASSERT_NE(r, nullptr) << err;
    trace_stats *st = (trace_stats *)malloc(sizeof *st);
    ASSERT_EQ(trace_stats_compute(r, st), 0);
    EXPECT_EQ(st->events, 17u);
    EXPECT_EQ(st->first_ts, 10u);
    EXPECT_EQ(st->last_ts, 100u);
    EXPECT_EQ(st->all.irq_latency[0x30].timed, 1u);
    EXPECT_EQ(st->all.irq_latency[0x30].total, 4u);
    EXPECT_EQ(st->all.irq_latency[0x41].total, 3u);
    EXPECT_EQ(st->all.irq[2], 1u);
    EXPECT_EQ(st->all.irq_latency[2].timed, 0u);
    const trace_minmax &cpuid = st->all.exits[10];
    EXPECT_EQ(cpuid.count, 3u);
    EXPECT_EQ(cpuid.timed, 3u);
    EXPECT_EQ(cpuid.total, 450u);       // 100 + 50 + 300
    EXPECT_EQ(cpuid.min, 50u);
    EXPECT_EQ(cpuid.max, 300u);
    EXPECT_EQ(st->all.exits[TRACE_STATS_REASONS - 1].count, 1u);  // the entry failure
    EXPECT_EQ(st->all.exits[TRACE_STATS_REASONS - 1].total, 7u);
    EXPECT_EQ(st->all.exits[48].count, 1u);                      // EPT violation, open
    EXPECT_EQ(st->all.exits[48].timed, 0u);
    // partition 1 VP 0, partition 1, partition 2 VP 0, partition 2, and "unknown" (the raises)
    ASSERT_EQ(st->ngroups, 5u);
    EXPECT_EQ(st->groups[4].partition, TRACE_ID_NONE);
    EXPECT_EQ(st->groups[0].partition, 1u);
    EXPECT_EQ(st->groups[0].vp, 0u);
    EXPECT_EQ(st->groups[1].partition, 1u);
    EXPECT_EQ(st->groups[1].vp, TRACE_ID_NONE);
    EXPECT_EQ(st->groups[1].exits[10].total, 400u);
    EXPECT_EQ(st->groups[0].exits[10].total, 400u);     // its only VP
    EXPECT_EQ(st->groups[3].exits[10].total, 50u);
    EXPECT_EQ(st->all.hcalls[0x5c].count, 2u);
    EXPECT_EQ(st->all.hcalls[0x5c].total, 2000u);
    EXPECT_EQ(st->all.hcalls[0x5c].min, 900u);
    EXPECT_EQ(st->groups[3].irq[0x30], 1u);
    EXPECT_EQ(st->groups[2].irq[0x30], 1u);
    EXPECT_EQ(st->groups[1].irq[0x30], 0u);
    trace_stats_free(st);
    free(st);
    trace_reader_close(r);
    rm_trace(dir);
}

TEST(TraceStats, PerVirtualProcessorGroups)
{
    char t[] = "/tmp/hvsim-stats-XXXXXX";
    ASSERT_NE(mkdtemp(t), nullptr);
    std::string dir = t;
    char err[256];
    trace_writer *w = trace_writer_open(dir.c_str(), 2, TRACE_CAT_ALL, nullptr, 0, err, sizeof err);
    ASSERT_NE(w, nullptr) << err;
    // partition 3: VP 0 on lp0 (HLT handled in 70 cycles), VP 1 on lp1 (two I/O exits, 20 and 40
    // cycles; one hypercall of latency 500); the exits interleave in time
    uint64_t x[8] = { 0x1000, 12, 0, 0, 1, 0, 0, 0 };
    trace_emit(w, 0, TEV_VM_EXIT, 10, 10, 3, 0, x);
    x[1] = 30;
    trace_emit(w, 1, TEV_VM_EXIT, 11, 11, 3, 1, x);
    uint64_t e[4] = { 0x1000, 0, 20, 0 };
    trace_emit(w, 1, TEV_VM_ENTRY, 12, 12, 3, 1, e);
    e[2] = 70;
    trace_emit(w, 0, TEV_VM_ENTRY, 13, 13, 3, 0, e);
    trace_emit(w, 1, TEV_VM_EXIT, 14, 14, 3, 1, x);
    e[2] = 40;
    trace_emit(w, 1, TEV_VM_ENTRY, 15, 15, 3, 1, e);
    uint64_t hc[8] = { 0x46, 0, 0, 0, 0, 0, 500, 1 };
    trace_emit(w, 1, TEV_HYPERCALL, 16, 16, 3, 1, hc);
    ASSERT_EQ(trace_writer_close(w, err, sizeof err), 0) << err;
    trace_reader *r = trace_reader_open(dir.c_str(), err, sizeof err);
    ASSERT_NE(r, nullptr) << err;
    trace_stats *st = (trace_stats *)malloc(sizeof *st);
    ASSERT_EQ(trace_stats_compute(r, st), 0);
    ASSERT_EQ(st->ngroups, 3u);                 // (3, 0), (3, 1), (3, all)
    const trace_group &vp0 = st->groups[0], &vp1 = st->groups[1], &p3 = st->groups[2];
    EXPECT_EQ(vp0.vp, 0u);
    EXPECT_EQ(vp1.vp, 1u);
    EXPECT_EQ(p3.vp, TRACE_ID_NONE);
    EXPECT_EQ(vp0.exits[12].count, 1u);
    EXPECT_EQ(vp0.exits[12].total, 70u);
    EXPECT_EQ(vp0.exits[30].count, 0u);
    EXPECT_EQ(vp1.exits[30].count, 2u);
    EXPECT_EQ(vp1.exits[30].total, 60u);
    EXPECT_EQ(vp1.exits[30].min, 20u);
    EXPECT_EQ(vp1.exits[30].max, 40u);
    EXPECT_EQ(vp1.hcalls[0x46].total, 500u);
    EXPECT_EQ(vp0.hcalls[0x46].count, 0u);
    EXPECT_EQ(p3.exits[30].count, 2u);
    EXPECT_EQ(p3.exits[12].total, 70u);
    trace_stats_free(st);
    free(st);
    trace_reader_close(r);
    rm_trace(dir);
}
