// test_trace_export.cc — `hvsim trace export` (traces/trace_export.c) on hand-made traces: exact
// microsecond times from picoseconds, JSON string escaping, the CSV header and cells, and the
// Perfetto JSON lines (exit slices paired with the next entry on the same processor, exit
// counters, interrupt flow arrows with coalescing, hypercall slices, names from annotations).
// Every expected value is computed by hand in the comments.
#include <gtest/gtest.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <sstream>
#include <string>
#include <vector>

extern "C" {
#include "traces/trace_export.h"
#include "traces/trace_fmt.h"
#include "traces/trace_reader.h"
#include "traces/trace_writer.h"
}

namespace {

void rm_trace(const std::string &d)
{
    for (const char *f : { "/metadata", "/lp0", "/lp1", "/machine" })
        unlink((d + f).c_str());
    rmdir(d.c_str());
}

// Runs fn(FILE*) into a string.
template <typename F> std::string capture(F fn)
{
    char *buf = nullptr;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fn(f);
    fclose(f);
    std::string s(buf, len);
    free(buf);
    return s;
}

std::vector<std::string> split(const std::string &s, char sep)
{
    std::vector<std::string> out;
    std::string cur;
    std::istringstream in(s);
    while (std::getline(in, cur, sep))
        out.push_back(cur);
    if (!s.empty() && s.back() == sep)
        out.push_back("");
    return out;
}

struct Trace {
    std::string dir;
    trace_writer *w = nullptr;
    Trace()
    {
        char t[] = "/tmp/hvsim-export-XXXXXX";
        EXPECT_NE(mkdtemp(t), nullptr);
        dir = t;
        char err[256];
        w = trace_writer_open(dir.c_str(), 2, TRACE_CAT_ALL, nullptr, 0, err, sizeof err);
        EXPECT_NE(w, nullptr) << err;
    }
    ~Trace() { rm_trace(dir); }
    std::string export_as(trace_export_format fmt)
    {
        char err[256];
        EXPECT_EQ(trace_writer_close(w, err, sizeof err), 0) << err;
        trace_reader *r = trace_reader_open(dir.c_str(), err, sizeof err);
        EXPECT_NE(r, nullptr) << err;
        int rc = 0;
        std::string s = capture([&](FILE *f) { rc = trace_export(r, fmt, f, err, sizeof err); });
        EXPECT_EQ(rc, 0) << err;
        trace_reader_close(r);
        return s;
    }
};

const uint16_t NONE = TRACE_ID_NONE;

bool has_line(const std::string &out, const std::string &line)
{
    for (const std::string &l : split(out, '\n'))
        if (l == line || l == line + ",")
            return true;
    return false;
}

unsigned count(const std::string &out, const std::string &needle)
{
    unsigned n = 0;
    for (size_t p = out.find(needle); p != std::string::npos; p = out.find(needle, p + 1))
        n++;
    return n;
}

} // namespace

TEST(TraceExport, MicrosecondsFromPicosecondsExactly)
{
    EXPECT_EQ(capture([](FILE *f) { trace_export_print_us(f, 0); }), "0.000000");
    EXPECT_EQ(capture([](FILE *f) { trace_export_print_us(f, 1); }), "0.000001");
    EXPECT_EQ(capture([](FILE *f) { trace_export_print_us(f, 1234567); }), "1.234567");
    EXPECT_EQ(capture([](FILE *f) { trace_export_print_us(f, 10000000); }), "10.000000");
    // 2^64 - 1 ps = 18446744073709551615 ps: no rounding through a double
    EXPECT_EQ(capture([](FILE *f) { trace_export_print_us(f, UINT64_MAX); }),
              "18446744073709.551615");
}

TEST(TraceExport, JsonStringsAreEscaped)
{
    const char s[] = "a\"b\\c\n\x01\xff/";
    EXPECT_EQ(capture([&](FILE *f) { trace_export_json_string(f, s, sizeof s - 1); }),
              "\"a\\\"b\\\\c\\u000a\\u0001\\u00ff/\"");
    const char z[] = { 'x', 0, 'y' };   // an embedded NUL is data, not the end
    EXPECT_EQ(capture([&](FILE *f) { trace_export_json_string(f, z, 3); }), "\"x\\u0000y\"");
}

TEST(TraceExport, FormatNames)
{
    trace_export_format f;
    EXPECT_EQ(trace_export_format_parse("perfetto", &f), 0);
    EXPECT_EQ(f, TRACE_EXPORT_PERFETTO);
    EXPECT_EQ(trace_export_format_parse("csv", &f), 0);
    EXPECT_EQ(f, TRACE_EXPORT_CSV);
    EXPECT_EQ(trace_export_format_parse("CSV", &f), -1);
    EXPECT_EQ(trace_export_format_parse("", &f), -1);
    EXPECT_EQ(trace_export_format_parse(nullptr, &f), -1);
}

TEST(TraceExport, CsvHeaderAndCells)
{
    Trace t;
    uint64_t deliver[3] = { 48, 0, 0x1000 };
    trace_emit(t.w, 1, TEV_IRQ_DELIVER, 1500, 3, NONE, NONE, deliver);
    uint64_t exit[8] = { 0x2000, 10, 0, 0x400000, 2, 0, 0, 77 };
    trace_emit(t.w, 0, TEV_VM_EXIT, 2000, 4, 1, 0, exit);
    uint64_t raise[5] = { 0x30, TRACE_SRC_IOAPIC, 4, 1, 0 };
    trace_emit(t.w, TRACE_STREAM_MACHINE, TEV_IRQ_RAISE, 2500, 0, NONE, NONE, raise);
    std::vector<std::string> lines = split(t.export_as(TRACE_EXPORT_CSV), '\n');
    ASSERT_EQ(lines.size(), 5u);        // header, 3 rows, the empty string after the last '\n'
    EXPECT_EQ(lines[4], "");
    // the fixed columns, then each field name of the schema once, in schema order
    // (docs/TRACE-FORMAT.md "Events": vm_entry, vm_exit, vm_inject, hypercall, ...)
    EXPECT_EQ(lines[0],
              "ts_ps,cpu,cycles,partition,vp,event,"
              "vmcs,guest_rip,root_cycles,launch,"                          // vm_entry
              "reason,qual,insn_len,intr_info,gpa,guest_cycles,"            // vm_exit
              "vector,type,error,has_error,"                                // vm_inject
              "code,fast,rep_count,rep_start,status,reps_done,latency_cycles,"  // hypercall
              "completed,"
              "rip,"                                                        // exception
              "source,source_id,target,level,"                              // irq_raise
              "kind,"                                                       // irq_deliver
              "delivery_mode,shorthand,dest,logical,"                       // ipi
              "mode,initial,divide,deadline_ps,"                            // apic_timer_arm
              "lp,"                                                         // apic_timer_fire
              "port,size,write,value,"                                      // pio
              "addr,"                                                       // mmio
              "a0,a1,a2,a3,"                                                // annotation
              "uart,byte,insns,"                                            // input_serial
              "dst_partition,dst_vp,sint,msg_type,sender,seq,queued,"       // synic_message
              "flag");                                                      // synic_event
    std::vector<std::string> head = split(lines[0], ',');
    ASSERT_EQ(head.size(), 6u + 57u);
    auto cell = [&](unsigned row, const char *col) {
        std::vector<std::string> c = split(lines[row], ',');
        EXPECT_EQ(c.size(), head.size()) << lines[row];
        for (size_t k = 0; k < head.size() && k < c.size(); k++)
            if (head[k] == col)
                return c[k];
        return std::string("<no column>");
    };
    // row 1: the delivery, 1500 ps on lp1, unknown partition and vp: empty cells
    EXPECT_EQ(lines[1].substr(0, 25), "1500,1,3,,,irq_deliver,,,");
    EXPECT_EQ(cell(1, "vector"), "48");
    EXPECT_EQ(cell(1, "kind"), "0");
    EXPECT_EQ(cell(1, "rip"), "4096");  // decimal: 0x1000
    EXPECT_EQ(cell(1, "reason"), "");
    unsigned filled = 0;
    for (const std::string &c : split(lines[1], ','))
        filled += !c.empty();
    EXPECT_EQ(filled, 3u + 3u + 1u);    // ts, cpu, cycles, 3 fields, the event name
    // row 2: the exit of partition 1, vp 0
    EXPECT_EQ(lines[2].substr(0, 19), "2000,0,4,1,0,vm_exi");
    EXPECT_EQ(cell(2, "vmcs"), "8192");
    EXPECT_EQ(cell(2, "reason"), "10");
    EXPECT_EQ(cell(2, "guest_rip"), "4194304");
    EXPECT_EQ(cell(2, "insn_len"), "2");
    EXPECT_EQ(cell(2, "guest_cycles"), "77");
    // row 3: the machine stream
    EXPECT_EQ(cell(3, "cpu"), "machine");
    EXPECT_EQ(cell(3, "source"), "2");  // TRACE_SRC_IOAPIC
    EXPECT_EQ(cell(3, "source_id"), "4");
    EXPECT_EQ(cell(3, "target"), "1");
}

TEST(TraceExport, PerfettoSlicesFlowsCountersNames)
{
    Trace t;
    // lp0 -- partition 1 gets a name: "root" = bytes 72 6f 6f 74 little-endian in a1
    uint64_t ann[5] = { 2, 1, 0x746f6f72, 0, 0 };
    trace_emit(t.w, 0, TEV_ANNOTATION, 5000000, 12000, NONE, NONE, ann);
    // a CPUID exit (reason 10) of partition 1 vp 0 at 10 us, resumed at 12.5 us
    uint64_t exit[8] = { 0x2000, 10, 0, 0x400000, 2, 0, 0, 77 };
    trace_emit(t.w, 0, TEV_VM_EXIT, 10000000, 24000, 1, 0, exit);
    uint64_t entry[4] = { 0x2000, 0x400002, 6000, 0 };
    trace_emit(t.w, 0, TEV_VM_ENTRY, 12500000, 30000, 1, 0, entry);
    // fixed IPIs, vector 0x40 to lp1 by physical destination: two before the delivery coalesce
    uint64_t ipi[5] = { 0x40, 0, 0, 1, 0 };
    trace_emit(t.w, 0, TEV_IPI, 20000000, 48000, NONE, NONE, ipi);
    trace_emit(t.w, 0, TEV_IPI, 20500000, 49200, NONE, NONE, ipi);
    trace_emit(t.w, 0, TEV_IPI, 22000000, 52800, NONE, NONE, ipi);
    // a hypercall completing at 30 us after 1000 cycles; 72000 cycles in 30 us = 2.4 GHz, so
    // 1000 cycles = 1000 * 30000000 / 72000 = 416666.67 -> 416666 ps: starts at 29583334 ps
    uint64_t hc[8] = { 0x5c, 1, 0, 0, 0, 0, 1000, 1 };
    trace_emit(t.w, 0, TEV_HYPERCALL, 30000000, 72000, 1, 0, hc);
    // lp1: deliveries of 0x40 (after the first two IPIs, then after the third), 0x30 (after the
    // I/O APIC raise below), 0x50 (never raised: no arrow), then an HLT exit never resumed
    uint64_t d40[3] = { 0x40, 0, 0x1000 };
    trace_emit(t.w, 1, TEV_IRQ_DELIVER, 21000001, 50400, NONE, NONE, d40);
    trace_emit(t.w, 1, TEV_IRQ_DELIVER, 23000000, 55200, NONE, NONE, d40);
    uint64_t d30[3] = { 0x30, 0, 0x1010 };
    trace_emit(t.w, 1, TEV_IRQ_DELIVER, 25000000, 60000, NONE, NONE, d30);
    uint64_t d50[3] = { 0x50, 0, 0x1020 };
    trace_emit(t.w, 1, TEV_IRQ_DELIVER, 26000000, 62400, NONE, NONE, d50);
    uint64_t hlt[8] = { 0x3000, 12, 0, 0x500000, 1, 0, 0, 5 };
    trace_emit(t.w, 1, TEV_VM_EXIT, 27000000, 64800, 1, 1, hlt);
    // machine: the I/O APIC raises 0x30 towards lp1 (pin 4)
    uint64_t raise[5] = { 0x30, TRACE_SRC_IOAPIC, 4, 1, 0 };
    trace_emit(t.w, TRACE_STREAM_MACHINE, TEV_IRQ_RAISE, 24000000, 0, NONE, NONE, raise);
    std::string out = t.export_as(TRACE_EXPORT_PERFETTO);

    EXPECT_EQ(out.rfind("{\"displayTimeUnit\":\"ns\",\"otherData\":{", 0), 0u);
    EXPECT_EQ(out.substr(out.size() - 4), "\n]}\n");
    // the exit slice: partition 1 = pid 2, vp 0 = tid 0, from 10 us for 2.5 us
    EXPECT_TRUE(has_line(out,
        "{\"name\":\"CPUID\",\"cat\":\"vmx\",\"ph\":\"X\",\"ts\":10.000000,\"pid\":2,\"tid\":0,"
        "\"dur\":2.500000,\"args\":{\"cycles\":24000,\"vmcs\":\"0x2000\",\"reason\":10,"
        "\"reason_name\":\"CPUID\",\"qual\":\"0\",\"guest_rip\":\"0x400000\",\"insn_len\":2,"
        "\"intr_info\":\"0\",\"gpa\":\"0\",\"guest_cycles\":77,\"root_cycles\":6000,"
        "\"launch\":0}}")) << out;
    // its counter: the first CPUID exit of pid 2
    EXPECT_TRUE(has_line(out, "{\"name\":\"vm_exits\",\"cat\":\"vmx\",\"ph\":\"C\","
                              "\"ts\":10.000000,\"pid\":2,\"tid\":0,\"args\":{\"CPUID\":1}}"));
    // the HLT exit (reason 12) never resumed: an instant on pid 2 tid 1; counter HLT = 1
    EXPECT_EQ(count(out, "{\"name\":\"HLT\",\"cat\":\"vmx\",\"ph\":\"i\",\"ts\":27.000000,"
                         "\"pid\":2,\"tid\":1,\"s\":\"t\","), 1u);
    EXPECT_TRUE(has_line(out, "{\"name\":\"vm_exits\",\"cat\":\"vmx\",\"ph\":\"C\","
                              "\"ts\":27.000000,\"pid\":2,\"tid\":0,\"args\":{\"HLT\":1}}"));
    // the paired entry makes no event of its own
    EXPECT_EQ(count(out, "\"name\":\"vm_entry\""), 0u);
    // flows: first IPI (20 us, lp0) -> delivery at 21.000001 us on lp1, id 1; the second IPI
    // coalesced (no arrow); third IPI (22 us) -> delivery at 23 us, id 2; I/O APIC raise on the
    // devices thread (24 us) -> delivery at 25 us, id 3; 0x50 has no arrow
    EXPECT_TRUE(has_line(out, "{\"name\":\"irq\",\"cat\":\"intr\",\"ph\":\"s\",\"ts\":20.000000,"
                              "\"pid\":0,\"tid\":0,\"id\":1}"));
    EXPECT_TRUE(has_line(out, "{\"name\":\"irq\",\"cat\":\"intr\",\"ph\":\"f\",\"ts\":21.000001,"
                              "\"pid\":0,\"tid\":1,\"bp\":\"e\",\"id\":1}"));
    EXPECT_TRUE(has_line(out, "{\"name\":\"irq\",\"cat\":\"intr\",\"ph\":\"s\",\"ts\":22.000000,"
                              "\"pid\":0,\"tid\":0,\"id\":2}"));
    EXPECT_TRUE(has_line(out, "{\"name\":\"irq\",\"cat\":\"intr\",\"ph\":\"f\",\"ts\":23.000000,"
                              "\"pid\":0,\"tid\":1,\"bp\":\"e\",\"id\":2}"));
    EXPECT_TRUE(has_line(out, "{\"name\":\"irq\",\"cat\":\"intr\",\"ph\":\"s\",\"ts\":24.000000,"
                              "\"pid\":0,\"tid\":1000000,\"id\":3}"));
    EXPECT_TRUE(has_line(out, "{\"name\":\"irq\",\"cat\":\"intr\",\"ph\":\"f\",\"ts\":25.000000,"
                              "\"pid\":0,\"tid\":1,\"bp\":\"e\",\"id\":3}"));
    EXPECT_EQ(count(out, "\"ph\":\"s\""), 3u);
    EXPECT_EQ(count(out, "\"ph\":\"f\""), 3u);
    // flow endpoints are zero-length slices
    EXPECT_EQ(count(out, "{\"name\":\"ipi\",\"cat\":\"intr\",\"ph\":\"X\""), 3u);
    EXPECT_EQ(count(out, "{\"name\":\"irq_deliver\",\"cat\":\"intr\",\"ph\":\"X\""), 4u);
    // the hypercall slice: 29.583334 us for 0.416666 us
    EXPECT_EQ(count(out, "{\"name\":\"hypercall 0x5c\",\"cat\":\"hcall\",\"ph\":\"X\","
                         "\"ts\":29.583334,\"pid\":2,\"tid\":0,\"dur\":0.416666,"
                         "\"args\":{\"cycles\":72000,\"code\":92,\"fast\":1,"), 1u);
    // names, once each
    EXPECT_TRUE(has_line(out, "{\"name\":\"process_name\",\"ph\":\"M\",\"ts\":0,\"pid\":0,"
                              "\"tid\":0,\"args\":{\"name\":\"machine\"}}"));
    EXPECT_TRUE(has_line(out, "{\"name\":\"process_name\",\"ph\":\"M\",\"ts\":0,\"pid\":2,"
                              "\"tid\":0,\"args\":{\"name\":\"partition 1 root\"}}"));
    EXPECT_TRUE(has_line(out, "{\"name\":\"thread_name\",\"ph\":\"M\",\"ts\":0,\"pid\":0,"
                              "\"tid\":1000000,\"args\":{\"name\":\"devices\"}}"));
    EXPECT_TRUE(has_line(out, "{\"name\":\"thread_name\",\"ph\":\"M\",\"ts\":0,\"pid\":2,"
                              "\"tid\":1,\"args\":{\"name\":\"vp 1\"}}"));
    EXPECT_EQ(count(out, "\"process_name\""), 2u);
    // threads: pid 0: lp 0, lp 1, devices; pid 2: vp 0, vp 1
    EXPECT_EQ(count(out, "\"thread_name\""), 5u);
}

TEST(TraceExport, PerfettoPartitionNameIsEscaped)
{
    Trace t;
    // partition 3 named 'a"\' + byte 0x01: a1 = 61 22 5c 01
    uint64_t ann[5] = { 2, 3, 0x015c2261, 0, 0 };
    trace_emit(t.w, 0, TEV_ANNOTATION, 100, 1, NONE, NONE, ann);
    uint64_t exc[5] = { 6, 0, 0, 0x1234, 3 };
    trace_emit(t.w, 0, TEV_EXCEPTION, 200, 2, 3, NONE, exc);   // VP unknown: tid 100000 + lp
    std::string out = t.export_as(TRACE_EXPORT_PERFETTO);
    EXPECT_TRUE(has_line(out, "{\"name\":\"process_name\",\"ph\":\"M\",\"ts\":0,\"pid\":4,"
                              "\"tid\":0,\"args\":{\"name\":\"partition 3 a\\\"\\\\\\u0001\"}}"))
        << out;
    EXPECT_TRUE(has_line(out, "{\"name\":\"thread_name\",\"ph\":\"M\",\"ts\":0,\"pid\":4,"
                              "\"tid\":100000,\"args\":{\"name\":\"lp 0 (vp unknown)\"}}"));
    EXPECT_EQ(count(out, "{\"name\":\"exception\",\"cat\":\"intr\",\"ph\":\"i\","
                         "\"ts\":0.000200,\"pid\":4,\"tid\":100000,\"s\":\"t\","), 1u);
}
