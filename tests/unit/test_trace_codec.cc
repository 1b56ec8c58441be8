// test_trace_codec.cc — the trace codec (traces/): schema sizes, the binary packet layout of
// trace_fmt.h checked byte by byte, writer → reader round trips, time-ordered merging, packet
// splitting, categories, determinism, and the reader's errors on damaged input.
#include <gtest/gtest.h>

#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern "C" {
#include "traces/trace_fmt.h"
#include "traces/trace_reader.h"
#include "traces/trace_schema.h"
#include "traces/trace_writer.h"
}

namespace {

// Temporary trace directories, removed when the test program exits.
struct TmpDirs {
    std::vector<std::string> dirs;
    ~TmpDirs()
    {
        for (const std::string &d : dirs) {
            if (DIR *dp = opendir(d.c_str())) {
                while (dirent *de = readdir(dp))
                    if (de->d_name[0] != '.')
                        unlink((d + "/" + de->d_name).c_str());
                closedir(dp);
            }
            rmdir(d.c_str());
        }
    }
} tmp_dirs;

std::string tmpdir()
{
    char t[] = "/tmp/hvsim-trace-XXXXXX";
    EXPECT_NE(mkdtemp(t), nullptr);
    tmp_dirs.dirs.push_back(t);
    return t;
}

std::vector<uint8_t> slurp(const std::string &path)
{
    std::ifstream f(path, std::ios::binary);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), {});
}

void spit(const std::string &path, const std::vector<uint8_t> &d)
{
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char *>(d.data()), (std::streamsize)d.size());
}

uint64_t le(const std::vector<uint8_t> &d, size_t off, unsigned n)
{
    uint64_t v = 0;
    for (unsigned k = 0; k < n; k++)
        v |= (uint64_t)d.at(off + k) << (8 * k);
    return v;
}

const trace_env ENV[] = { { "kernel_sha256", "abc" }, { "config", "cpus = 2\nmem = \"64M\"" } };

trace_writer *open_w(const std::string &dir, unsigned nlp, uint32_t cats = TRACE_CAT_ALL)
{
    char err[256] = "";
    trace_writer *w = trace_writer_open(dir.c_str(), nlp, cats, ENV, 2, err, sizeof err);
    EXPECT_NE(w, nullptr) << err;
    return w;
}

void close_ok(trace_writer *w)
{
    char err[256] = "";
    EXPECT_EQ(trace_writer_close(w, err, sizeof err), 0) << err;
}

std::vector<trace_event> read_all(const std::string &dir, std::string *error = nullptr)
{
    char err[512] = "";
    std::vector<trace_event> out;
    trace_reader *r = trace_reader_open(dir.c_str(), err, sizeof err);
    if (!r) {
        if (error)
            *error = err;
        return out;
    }
    trace_event ev;
    int rc;
    while ((rc = trace_reader_next(r, &ev)) == 1)
        out.push_back(ev);
    if (rc < 0 && error)
        *error = trace_reader_error(r);
    trace_reader_close(r);
    return out;
}

} // namespace

// Payload sizes are the sums of the field sizes declared in trace_schema.c, added by hand here.
TEST(TraceSchema, PayloadSizes)
{
    // vm_exit: vmcs 8, reason 4, qual 8, guest_rip 8, insn_len 1, intr_info 4, gpa 8, cycles 8
    EXPECT_EQ(trace_payload_size(&trace_events[TEV_VM_EXIT]), 49u);
    // hypercall: code 2, fast 1, rep_count 2, rep_start 2, status 2, reps_done 2, latency 8,
    // completed 1
    EXPECT_EQ(trace_payload_size(&trace_events[TEV_HYPERCALL]), 20u);
    // pio: port 2, size 1, write 1, value 4
    EXPECT_EQ(trace_payload_size(&trace_events[TEV_PIO]), 8u);
    EXPECT_EQ(trace_event_by_name("vm_exit"), TEV_VM_EXIT);
    EXPECT_EQ(trace_event_by_name("no_such_event"), -1);
    EXPECT_EQ(trace_field_by_name(&trace_events[TEV_VM_EXIT], "qual"), 2);
    for (unsigned id = 0; id < TRACE_NEVENTS; id++)
        for (unsigned k = 0; k < trace_events[id].nfields; k++) {
            unsigned s = trace_events[id].f[k].size;
            EXPECT_TRUE(s == 1 || s == 2 || s == 4 || s == 8) << trace_events[id].name;
        }
}

// One pio event on lp0: the packet header, context and event bytes at the offsets of trace_fmt.h.
TEST(TraceWriter, PacketLayoutByteByByte)
{
    std::string dir = tmpdir();
    trace_writer *w = open_w(dir, 1);
    uint64_t v[] = { 0x3f8, 1, 1, 0x41 };
    trace_emit(w, 0, TEV_PIO, 1234567, 99, 3, 1, v);
    close_ok(w);
    std::vector<uint8_t> d = slurp(dir + "/lp0");
    // 24 header + 44 context + 10 event header + 12 event context + 8 payload
    ASSERT_EQ(d.size(), 98u);
    EXPECT_EQ(d[0], 0xc1); EXPECT_EQ(d[1], 0x1f); EXPECT_EQ(d[2], 0xfc); EXPECT_EQ(d[3], 0xc1);
    EXPECT_EQ(le(d, 20, 4), 0u);                // stream_id
    EXPECT_EQ(le(d, 24, 8), 1234567u);          // timestamp_begin
    EXPECT_EQ(le(d, 32, 8), 1234567u);          // timestamp_end
    EXPECT_EQ(le(d, 40, 8), 98u * 8);           // content_size in bits
    EXPECT_EQ(le(d, 48, 8), 98u * 8);           // packet_size
    EXPECT_EQ(le(d, 56, 8), 0u);                // packet_seq_num
    EXPECT_EQ(le(d, 64, 4), 0u);                // cpu_id
    EXPECT_EQ(le(d, 68, 2), (uint64_t)TEV_PIO);
    EXPECT_EQ(le(d, 70, 8), 1234567u);
    EXPECT_EQ(le(d, 78, 8), 99u);               // cycles
    EXPECT_EQ(le(d, 86, 2), 3u);                // partition
    EXPECT_EQ(le(d, 88, 2), 1u);                // vp
    EXPECT_EQ(le(d, 90, 2), 0x3f8u);
    EXPECT_EQ(d[92], 1); EXPECT_EQ(d[93], 1);
    EXPECT_EQ(le(d, 94, 4), 0x41u);
    // no events on the machine stream: no file
    EXPECT_NE(access((dir + "/machine").c_str(), F_OK), 0);
    std::string meta(reinterpret_cast<const char *>(slurp(dir + "/metadata").data()),
                     slurp(dir + "/metadata").size());
    EXPECT_EQ(meta.rfind("/* CTF 1.8 */", 0), 0u);
    EXPECT_NE(meta.find("hvsim_schema = 3;"), std::string::npos);
    EXPECT_NE(meta.find("freq = 1000000000000;"), std::string::npos);
    EXPECT_NE(meta.find("CPUID = 10,"), std::string::npos);        // SDM Appendix C
    EXPECT_NE(meta.find("EPT_VIOLATION = 48,"), std::string::npos);
}

// Events of three streams come back merged by time; ties go to the lower stream (lp0, lp1,
// machine); values are truncated to their field size; env values survive escaping.
TEST(TraceReader, RoundTripMergedInTimeOrder)
{
    std::string dir = tmpdir();
    trace_writer *w = open_w(dir, 2);
    uint64_t a[] = { 0x1234, 0, 0, 0, 0 };      // irq_eoi.vector is 1 byte: 0x34
    trace_emit(w, 1, TEV_IRQ_EOI, 100, 5, TRACE_ID_NONE, TRACE_ID_NONE, a);
    trace_emit(w, 0, TEV_IRQ_EOI, 200, 6, 0, 0, a);
    uint64_t m[] = { 0xfee000b0, 4, 1, 0 };
    trace_emit(w, TRACE_STREAM_MACHINE, TEV_MMIO, 100, 0, TRACE_ID_NONE, TRACE_ID_NONE, m);
    trace_emit(w, 0, TEV_IRQ_EOI, 50, 1, 0, 0, a);
    // 50 < 200 on lp0: a decreasing time on one stream is reported at close
    char err[256] = "";
    EXPECT_EQ(trace_writer_close(w, err, sizeof err), -1);
    EXPECT_NE(std::string(err).find("/lp0"), std::string::npos) << err;

    dir = tmpdir();
    w = open_w(dir, 2);
    trace_emit(w, 1, TEV_IRQ_EOI, 100, 5, TRACE_ID_NONE, TRACE_ID_NONE, a);
    trace_emit(w, 0, TEV_IRQ_EOI, 200, 6, 0, 0, a);
    trace_emit(w, TRACE_STREAM_MACHINE, TEV_MMIO, 100, 0, TRACE_ID_NONE, TRACE_ID_NONE, m);
    trace_emit(w, 0, TEV_IRQ_EOI, 250, 7, 0, 0, a);
    EXPECT_EQ(trace_writer_count(w), 4u);
    close_ok(w);

    std::string e;
    std::vector<trace_event> ev = read_all(dir, &e);
    ASSERT_EQ(ev.size(), 4u) << e;
    EXPECT_EQ(ev[0].ts_ps, 100u); EXPECT_EQ(ev[0].cpu_id, 1u); EXPECT_EQ(ev[0].v[0], 0x34u);
    EXPECT_EQ(ev[1].ts_ps, 100u); EXPECT_EQ(ev[1].cpu_id, TRACE_CPU_MACHINE);
    EXPECT_EQ(ev[1].id, (unsigned)TEV_MMIO); EXPECT_EQ(ev[1].v[0], 0xfee000b0u);
    EXPECT_EQ(ev[2].ts_ps, 200u); EXPECT_EQ(ev[2].cycles, 6u); EXPECT_EQ(ev[2].cpu_id, 0u);
    EXPECT_EQ(ev[3].ts_ps, 250u); EXPECT_EQ(ev[3].partition, 0u);
    EXPECT_EQ(ev[0].partition, TRACE_ID_NONE);

    char err2[256];
    trace_reader *r = trace_reader_open(dir.c_str(), err2, sizeof err2);
    ASSERT_NE(r, nullptr) << err2;
    EXPECT_STREQ(trace_reader_env(r, "kernel_sha256"), "abc");
    EXPECT_STREQ(trace_reader_env(r, "config"), "cpus = 2\nmem = \"64M\"");
    EXPECT_STREQ(trace_reader_env(r, "hvsim_schema"), "3");
    EXPECT_EQ(trace_reader_env(r, "nope"), nullptr);
    ASSERT_EQ(trace_reader_nstreams(r), 3u);
    EXPECT_STREQ(trace_reader_stream_name(r, 0), "lp0");
    EXPECT_STREQ(trace_reader_stream_name(r, 2), "machine");
    trace_reader_close(r);
}

// More than a packet's worth of events: packets split at TRACE_PKT_MAX, numbered 0, 1, ...,
// and every event comes back in order.
TEST(TraceReader, ManyPacketsInOrder)
{
    std::string dir = tmpdir();
    trace_writer *w = open_w(dir, 1);
    const unsigned n = 10000;     // 10000 * (22 + 36) bytes of annotation events > 64 KiB
    for (unsigned k = 0; k < n; k++) {
        uint64_t v[] = { k, k * 3ull, ~0ull - k, 0, 7 };
        trace_emit(w, 0, TEV_ANNOTATION, 1000ull * k, k, 1, 2, v);
    }
    close_ok(w);
    std::vector<uint8_t> d = slurp(dir + "/lp0");
    unsigned per = (TRACE_PKT_MAX - TRACE_PKT_PREAMBLE) / 58;     // events per packet
    unsigned pkts = (n + per - 1) / per;
    EXPECT_EQ(d.size(), (size_t)pkts * TRACE_PKT_PREAMBLE + (size_t)n * 58);
    EXPECT_EQ(le(d, TRACE_PKT_PREAMBLE + per * 58 + 56, 8), 1u);   // second packet's seq
    std::vector<trace_event> ev = read_all(dir);
    ASSERT_EQ(ev.size(), n);
    for (unsigned k = 0; k < n; k += 997) {
        EXPECT_EQ(ev[k].v[0], k);
        EXPECT_EQ(ev[k].v[2], ~0ull - k);
        EXPECT_EQ(ev[k].ts_ps, 1000ull * k);
    }
}

// Categories not enabled write nothing; input events are always recorded.
TEST(TraceWriter, Categories)
{
    std::string dir = tmpdir();
    trace_writer *w = open_w(dir, 1, TRACE_CAT_VMX);
    EXPECT_TRUE(trace_writer_wants(w, TRACE_CAT_VMX));
    EXPECT_FALSE(trace_writer_wants(w, TRACE_CAT_IO));
    EXPECT_TRUE(trace_writer_wants(w, TRACE_CAT_INPUT));
    uint64_t v[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    trace_emit(w, 0, TEV_PIO, 1, 1, 0, 0, v);
    trace_emit(w, 0, TEV_VM_EXIT, 2, 2, 0, 0, v);
    trace_emit(w, 0, TEV_INPUT_SERIAL, 3, 3, 0, 0, v);
    close_ok(w);
    std::vector<trace_event> ev = read_all(dir);
    ASSERT_EQ(ev.size(), 2u);
    EXPECT_EQ(ev[0].id, (unsigned)TEV_VM_EXIT);
    EXPECT_EQ(ev[1].id, (unsigned)TEV_INPUT_SERIAL);
}

// The same calls give the same bytes (determinism rule): metadata and streams.
TEST(TraceWriter, Deterministic)
{
    std::string d1 = tmpdir(), d2 = tmpdir();
    for (const std::string &dir : { d1, d2 }) {
        trace_writer *w = open_w(dir, 2);
        for (unsigned k = 0; k < 500; k++) {
            uint64_t v[] = { 0x1000ull * k, k % 65, k, 0x401000 + k, 3, 0, 0, k };
            trace_emit(w, k & 1, TEV_VM_EXIT, 10ull * k, k, 1, (uint16_t)(k & 1), v);
        }
        close_ok(w);
    }
    for (const char *f : { "/metadata", "/lp0", "/lp1" })
        EXPECT_EQ(slurp(d1 + f), slurp(d2 + f)) << f;
    // a different input changes the uuid
    trace_env other[] = { { "kernel_sha256", "abd" }, { "config", "" } };
    char err[256];
    std::string d3 = tmpdir();
    trace_writer *w = trace_writer_open(d3.c_str(), 1, TRACE_CAT_ALL, other, 2, err, sizeof err);
    ASSERT_NE(w, nullptr);
    close_ok(w);
    EXPECT_NE(slurp(d1 + "/metadata"), slurp(d3 + "/metadata"));
}

// Damaged traces: each error names the file and the offset and says what was expected.
TEST(TraceReader, ErrorsNameFileAndOffset)
{
    std::string dir = tmpdir();
    trace_writer *w = open_w(dir, 1);
    uint64_t v[] = { 0x3f8, 1, 1, 0x41 };
    trace_emit(w, 0, TEV_PIO, 10, 1, 0, 0, v);
    trace_emit(w, 0, TEV_PIO, 20, 2, 0, 0, v);
    close_ok(w);
    std::vector<uint8_t> good = slurp(dir + "/lp0");
    std::string e;

    std::vector<uint8_t> d = good;
    d.resize(d.size() - 3);                     // cut the last event; content_size now too big
    spit(dir + "/lp0", d);
    read_all(dir, &e);
    EXPECT_NE(e.find("lp0: offset 40"), std::string::npos) << e;

    d = good;
    d[0] ^= 1;                                  // magic
    spit(dir + "/lp0", d);
    read_all(dir, &e);
    EXPECT_NE(e.find("lp0: offset 0: packet magic"), std::string::npos) << e;

    d = good;
    d[10] ^= 0x80;                              // uuid
    spit(dir + "/lp0", d);
    read_all(dir, &e);
    EXPECT_NE(e.find("uuid differs"), std::string::npos) << e;

    d = good;
    d[68 + 30] = 0xff; d[68 + 31] = 0x7f;       // second event's id (offset 98)
    spit(dir + "/lp0", d);
    std::vector<trace_event> ev = read_all(dir, &e);
    EXPECT_EQ(ev.size(), 1u);
    EXPECT_NE(e.find("lp0: offset 98: event id 32767"), std::string::npos) << e;

    d = good;
    d[68 + 30 + 2] = 5;                         // second event's time 5 < 10
    for (int k = 1; k < 8; k++) d[68 + 30 + 2 + k] = 0;
    spit(dir + "/lp0", d);
    read_all(dir, &e);
    EXPECT_NE(e.find("lp0: offset 100: event time 5"), std::string::npos) << e;

    spit(dir + "/lp0", good);
    std::vector<uint8_t> meta = slurp(dir + "/metadata");
    std::string m(meta.begin(), meta.end());
    size_t at = m.find("hvsim_schema = 3;");
    ASSERT_NE(at, std::string::npos);
    m[at + 15] = '7';
    spit(dir + "/metadata", std::vector<uint8_t>(m.begin(), m.end()));
    read_all(dir, &e);
    EXPECT_NE(e.find("hvsim_schema = 7, expected 3"), std::string::npos) << e;

    spit(dir + "/metadata", std::vector<uint8_t>{ 'h', 'i' });
    read_all(dir, &e);
    EXPECT_NE(e.find("metadata: offset 0: expected the text \"/* CTF 1.8 */\""),
              std::string::npos) << e;

    read_all(dir + "/nonexistent", &e);
    EXPECT_NE(e.find("nonexistent/metadata"), std::string::npos) << e;
}
