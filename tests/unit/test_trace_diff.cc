// test_trace_diff.cc — trace comparison (traces/trace_diff.c): identical traces, the first
// differing event with the common events before it, and a trace that ends early.
#include <gtest/gtest.h>

#include <stdlib.h>
#include <unistd.h>

#include <string>

extern "C" {
#include "traces/trace_diff.h"
#include "traces/trace_fmt.h"
#include "traces/trace_writer.h"
}

namespace {

// A trace of n pio events on lp0 at times 10, 20, ...; event `change` (if < n) has value 0xbad.
std::string make(unsigned n, unsigned change)
{
    char t[] = "/tmp/hvsim-diff-XXXXXX";
    EXPECT_NE(mkdtemp(t), nullptr);
    char err[256];
    trace_writer *w = trace_writer_open(t, 1, TRACE_CAT_ALL, nullptr, 0, err, sizeof err);
    EXPECT_NE(w, nullptr) << err;
    for (unsigned k = 0; k < n; k++) {
        uint64_t v[4] = { 0x80, 1, 1, k == change ? 0xbadu : k };
        trace_emit(w, 0, TEV_PIO, 10ull * (k + 1), k, TRACE_ID_NONE, TRACE_ID_NONE, v);
    }
    EXPECT_EQ(trace_writer_close(w, err, sizeof err), 0) << err;
    return t;
}

void rm(const std::string &d)
{
    unlink((d + "/metadata").c_str());
    unlink((d + "/lp0").c_str());
    rmdir(d.c_str());
}

int diff(const std::string &a, const std::string &b, trace_diff *d)
{
    char err[256], which = 0;
    trace_reader *ra = trace_reader_open(a.c_str(), err, sizeof err);
    trace_reader *rb = trace_reader_open(b.c_str(), err, sizeof err);
    EXPECT_TRUE(ra && rb) << err;
    int rc = trace_diff_run(ra, rb, d, &which);
    trace_reader_close(ra);
    trace_reader_close(rb);
    return rc;
}

} // namespace

TEST(TraceDiff, FirstDifferenceWithContext)
{
    std::string a = make(20, 99), b = make(20, 12), c = make(20, 99), e = make(15, 99);
    static trace_diff d;
    EXPECT_EQ(diff(a, c, &d), 0);
    EXPECT_EQ(d.index, 20u);

    ASSERT_EQ(diff(a, b, &d), 1);
    EXPECT_EQ(d.index, 12u);                 // events 0..11 match
    EXPECT_EQ(d.a.v[3], 12u);
    EXPECT_EQ(d.b.v[3], 0xbadu);
    EXPECT_EQ(d.a.ts_ps, 130u);
    ASSERT_EQ(d.nctx, (unsigned)TRACE_DIFF_CONTEXT);
    EXPECT_EQ(d.ctx[0].v[3], 12u - TRACE_DIFF_CONTEXT);   // oldest first: events 4..11
    EXPECT_EQ(d.ctx[TRACE_DIFF_CONTEXT - 1].v[3], 11u);

    ASSERT_EQ(diff(a, e, &d), 1);            // e ends after 15 events
    EXPECT_EQ(d.index, 15u);
    EXPECT_FALSE(d.a_end);
    EXPECT_TRUE(d.b_end);
    for (const std::string &x : { a, b, c, e })
        rm(x);
}
