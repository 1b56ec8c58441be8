// test_trace_verify.cc — on-the-fly comparison with a reference trace (traces/trace_verify.c):
// a run identical to the reference, the first differing event and its stream, context, a run
// that stops early or goes on, streams without events, field truncation, and references that
// do not fit the machine.
#include <gtest/gtest.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

extern "C" {
#include "traces/trace_fmt.h"
#include "traces/trace_verify.h"
#include "traces/trace_writer.h"
}

namespace {

// The events of the reference: on lp0, pio events at 10, 20, ... with value k; on the machine
// stream, irq_eoi events at 15, 25, ... with vector 0x20 + k. lp1 has none (no file).
void events(unsigned n, void (*emit)(void *, unsigned, unsigned, uint64_t, uint64_t,
                                      const uint64_t *), void *opaque)
{
    for (unsigned k = 0; k < n; k++) {
        uint64_t pio[4] = { 0x80, 1, 1, k };
        emit(opaque, 0, TEV_PIO, 10ull * (k + 1), 100 + k, pio);
        uint64_t eoi[1] = { 0x20u + k };
        emit(opaque, TRACE_STREAM_MACHINE, TEV_IRQ_EOI, 10ull * (k + 1) + 5, 0, eoi);
    }
}

void to_writer(void *w, unsigned lp, unsigned id, uint64_t ts, uint64_t cy, const uint64_t *v)
{
    trace_emit(static_cast<trace_writer *>(w), lp, id, ts, cy, TRACE_ID_NONE, TRACE_ID_NONE, v);
}

std::string make_ref(unsigned nlp, unsigned n)
{
    char t[] = "/tmp/hvsim-verify-XXXXXX";
    EXPECT_NE(mkdtemp(t), nullptr);
    char err[256];
    trace_writer *w = trace_writer_open(t, nlp, TRACE_CAT_ALL, nullptr, 0, err, sizeof err);
    EXPECT_NE(w, nullptr) << err;
    events(n, to_writer, w);
    EXPECT_EQ(trace_writer_close(w, err, sizeof err), 0) << err;
    return t;
}

void rm(const std::string &d)
{
    for (const char *f : { "metadata", "lp0", "lp1", "machine" })
        unlink((d + "/" + f).c_str());
    rmdir(d.c_str());
}

struct feed { trace_verify *v; int diverged; };

void to_verify(void *o, unsigned lp, unsigned id, uint64_t ts, uint64_t cy, const uint64_t *v)
{
    feed *f = static_cast<feed *>(o);
    f->diverged += trace_verify_event(f->v, lp, id, ts, cy, TRACE_ID_NONE, TRACE_ID_NONE, v);
}

std::string report(trace_verify *v)
{
    char *buf = nullptr;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    trace_verify_report(v, f);
    fclose(f);
    std::string s(buf, len);
    free(buf);
    return s;
}

} // namespace

TEST(TraceVerify, IdenticalRunMatchesEveryEvent)
{
    std::string ref = make_ref(2, 6);
    char err[256];
    trace_verify *v = trace_verify_open(ref.c_str(), 2, 4, err, sizeof err);
    ASSERT_NE(v, nullptr) << err;
    EXPECT_EQ(trace_verify_cats(v), 0u);      // written without env: the categories are unknown
    feed f = { v, 0 };
    events(6, to_verify, &f);
    EXPECT_EQ(f.diverged, 0);
    EXPECT_EQ(trace_verify_finish(v), 0);
    EXPECT_EQ(trace_verify_diverged(v), 0);
    EXPECT_EQ(trace_verify_matched(v), 12u);
    EXPECT_EQ(report(v), "");
    trace_verify_close(v);
    rm(ref);
}

TEST(TraceVerify, FirstDifferenceIsReportedWithItsStreamAndContext)
{
    std::string ref = make_ref(2, 6);
    char err[256];
    trace_verify *v = trace_verify_open(ref.c_str(), 2, 2, err, sizeof err);
    ASSERT_NE(v, nullptr) << err;
    // lp0 events 0..3 and machine events 0..3 as recorded, then lp0's event 4 reads port 0x81
    for (unsigned k = 0; k < 4; k++) {
        uint64_t pio[4] = { 0x80, 1, 1, k };
        EXPECT_EQ(trace_verify_event(v, 0, TEV_PIO, 10ull * (k + 1), 100 + k, TRACE_ID_NONE,
                                     TRACE_ID_NONE, pio), 0);
        uint64_t eoi[1] = { 0x20u + k };
        EXPECT_EQ(trace_verify_event(v, TRACE_STREAM_MACHINE, TEV_IRQ_EOI, 10ull * (k + 1) + 5,
                                     0, TRACE_ID_NONE, TRACE_ID_NONE, eoi), 0);
    }
    uint64_t bad[4] = { 0x81, 1, 1, 4 };
    EXPECT_EQ(trace_verify_event(v, 0, TEV_PIO, 50, 104, TRACE_ID_NONE, TRACE_ID_NONE, bad), 1);
    // only the first divergence counts
    EXPECT_EQ(trace_verify_event(v, 0, TEV_PIO, 60, 105, TRACE_ID_NONE, TRACE_ID_NONE, bad), 0);
    EXPECT_EQ(trace_verify_diverged(v), 1);
    EXPECT_EQ(trace_verify_stream(v), 0u);
    EXPECT_EQ(trace_verify_matched(v), 8u);
    std::string r = report(v);
    EXPECT_NE(r.find("stream lp0, its event 5 "), std::string::npos) << r;
    EXPECT_NE(r.find("8 events of all streams matched"), std::string::npos) << r;
    // two context events: lp0's events 2 and 3 (times 30 and 40)
    EXPECT_NE(r.find("last 2 events of lp0"), std::string::npos) << r;
    EXPECT_NE(r.find("    30 lp0 cycles=102 pio port=0x80 size=1 write=1 value=0x2"),
              std::string::npos) << r;
    EXPECT_NE(r.find("    40 lp0 cycles=103 pio port=0x80 size=1 write=1 value=0x3"),
              std::string::npos) << r;
    EXPECT_EQ(r.find("    20 lp0"), std::string::npos) << r;
    EXPECT_NE(r.find("reference: 50 lp0 cycles=104 pio port=0x80 size=1 write=1 value=0x4"),
              std::string::npos) << r;
    EXPECT_NE(r.find("this run:  50 lp0 cycles=104 pio port=0x81 size=1 write=1 value=0x4"),
              std::string::npos) << r;
    EXPECT_EQ(trace_verify_finish(v), 1);      // stays diverged
    trace_verify_close(v);
    rm(ref);
}

TEST(TraceVerify, RunStoppingEarlyOrGoingOnDiverges)
{
    std::string ref = make_ref(1, 3);
    char err[256];
    // stops early: the machine stream's third event is still in the reference
    trace_verify *v = trace_verify_open(ref.c_str(), 1, 8, err, sizeof err);
    ASSERT_NE(v, nullptr) << err;
    feed f = { v, 0 };
    events(2, to_verify, &f);
    uint64_t pio[4] = { 0x80, 1, 1, 2 };
    EXPECT_EQ(trace_verify_event(v, 0, TEV_PIO, 30, 102, TRACE_ID_NONE, TRACE_ID_NONE, pio), 0);
    EXPECT_EQ(trace_verify_finish(v), 1);
    EXPECT_EQ(trace_verify_stream(v), 1u);     // the machine stream of a 1-processor machine
    std::string r = report(v);
    EXPECT_NE(r.find("reference: 35 machine cycles=0 irq_eoi vector=34"), std::string::npos) << r;
    EXPECT_NE(r.find("this run:  (stopped before this event)"), std::string::npos) << r;
    trace_verify_close(v);
    // goes on: a fourth lp0 event the reference does not have
    v = trace_verify_open(ref.c_str(), 1, 8, err, sizeof err);
    ASSERT_NE(v, nullptr) << err;
    f = { v, 0 };
    events(3, to_verify, &f);
    EXPECT_EQ(f.diverged, 0);
    uint64_t more[4] = { 0x80, 1, 1, 3 };
    EXPECT_EQ(trace_verify_event(v, 0, TEV_PIO, 40, 103, TRACE_ID_NONE, TRACE_ID_NONE, more), 1);
    r = report(v);
    EXPECT_NE(r.find("reference: (the stream ends here)"), std::string::npos) << r;
    trace_verify_close(v);
    rm(ref);
}

TEST(TraceVerify, ValuesAreComparedAsStoredInTheirFieldSize)
{
    std::string ref = make_ref(1, 1);
    char err[256];
    trace_verify *v = trace_verify_open(ref.c_str(), 1, 8, err, sizeof err);
    ASSERT_NE(v, nullptr) << err;
    // port is a 2-byte field: 0x10080 is stored as 0x0080, as the reference holds it
    uint64_t pio[4] = { 0x10080, 1, 1, 0 };
    EXPECT_EQ(trace_verify_event(v, 0, TEV_PIO, 10, 100, TRACE_ID_NONE, TRACE_ID_NONE, pio), 0);
    // the time is 8 bytes: one picosecond later is a difference
    uint64_t eoi[1] = { 0x20 };
    EXPECT_EQ(trace_verify_event(v, TRACE_STREAM_MACHINE, TEV_IRQ_EOI, 16, 0, TRACE_ID_NONE,
                                 TRACE_ID_NONE, eoi), 1);
    trace_verify_close(v);
    rm(ref);
}

TEST(TraceVerify, ReferenceOfAnotherMachineIsRefused)
{
    std::string ref = make_ref(2, 2);           // files lp0 and machine
    char err[256];
    // one processor is fine too (lp1 has no file); a machine without lp0 is not
    trace_verify *v = trace_verify_open(ref.c_str(), 1, 8, err, sizeof err);
    EXPECT_NE(v, nullptr) << err;
    trace_verify_close(v);
    v = trace_verify_open(ref.c_str(), 0, 8, err, sizeof err);
    EXPECT_EQ(v, nullptr);
    EXPECT_NE(std::string(err).find("stream file 'lp0' does not belong to a machine with 0 "
                                    "processors"), std::string::npos) << err;
    v = trace_verify_open(ref.c_str(), 2, 0, err, sizeof err);
    EXPECT_EQ(v, nullptr);
    EXPECT_NE(std::string(err).find("context 0"), std::string::npos) << err;
    v = trace_verify_open("/nonexistent-hvsim-trace", 2, 8, err, sizeof err);
    EXPECT_EQ(v, nullptr);
    EXPECT_NE(std::string(err).find("/nonexistent-hvsim-trace/metadata"), std::string::npos);
    rm(ref);
}
