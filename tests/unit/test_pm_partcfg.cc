// test_pm_partcfg.cc — the partition configuration parser (partitions/root/partcfg.c): the format
// of docs/HYPERVISOR.md "Partition configuration", its limits, and the exact "partcfg:LINE:
// expected ..." message of every kind of malformed input; module-string matching and the
// workload text passed on a child's command line.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "partitions/root/partcfg.h"
}

namespace {

struct Parsed {
    int rc;
    partcfg cfg;
    std::string err;
};

// Parse exactly the bytes of `text` from a heap copy of that size, so a read past the end is
// caught by ASan in the sanitizer build.
Parsed parse(const std::string &text)
{
    Parsed p;
    std::vector<char> buf(text.begin(), text.end());
    char err[PARTCFG_ERR_MAX];
    p.rc = partcfg_parse(buf.data(), buf.size(), &p.cfg, err, sizeof err);
    p.err = err;
    return p;
}

std::string error_of(const std::string &text)
{
    Parsed p = parse(text);
    EXPECT_EQ(p.rc, -1) << text;
    EXPECT_EQ(p.cfg.n, 0u);
    return p.err;
}

const char *const kTwo =
    "# children of the default scenario\n"
    "[partition child1]\n"
    "image = child.elf          # the module whose string names this file\n"
    "memory = 16M\n"
    "vps = 1\n"
    "workload = compute,timer,message\n"
    "\n"
    "[partition child2]\n"
    "image=child.elf\n"
    "memory=4096K\n"
    "vps=2\n";

}  // namespace

TEST(PmPartcfg, TwoPartitions)
{
    Parsed p = parse(kTwo);
    ASSERT_EQ(p.rc, 0) << p.err;
    EXPECT_EQ(p.err, "");
    ASSERT_EQ(p.cfg.n, 2u);
    EXPECT_STREQ(p.cfg.part[0].name, "child1");
    EXPECT_STREQ(p.cfg.part[0].image, "child.elf");
    EXPECT_EQ(p.cfg.part[0].memory, 16ull << 20);
    EXPECT_EQ(p.cfg.part[0].vps, 1u);
    EXPECT_EQ(p.cfg.part[0].workload,
              (uint32_t)(PARTCFG_WL_COMPUTE | PARTCFG_WL_TIMER | PARTCFG_WL_MESSAGE));
    EXPECT_EQ(p.cfg.part[0].line, 2u);
    EXPECT_STREQ(p.cfg.part[1].name, "child2");
    EXPECT_EQ(p.cfg.part[1].memory, 4096ull << 10);
    EXPECT_EQ(p.cfg.part[1].vps, 2u);
    EXPECT_EQ(p.cfg.part[1].workload, (uint32_t)PARTCFG_WL_COMPUTE);   // the default
    EXPECT_EQ(p.cfg.part[1].line, 8u);
}

TEST(PmPartcfg, LayoutVariants)
{
    // CRLF line ends, tabs, blanks inside the brackets, no final LF, sizes in bytes and G.
    Parsed p = parse("\t[ partition\tA-b_9 ]\r\n image\t=\tdir/c.elf \r\nmemory = 1048576\r\n"
                     "workload = timer , message");
    ASSERT_EQ(p.rc, 0) << p.err;
    ASSERT_EQ(p.cfg.n, 1u);
    EXPECT_STREQ(p.cfg.part[0].name, "A-b_9");
    EXPECT_STREQ(p.cfg.part[0].image, "dir/c.elf");
    EXPECT_EQ(p.cfg.part[0].memory, 1ull << 20);
    EXPECT_EQ(p.cfg.part[0].vps, 1u);
    EXPECT_EQ(p.cfg.part[0].workload, (uint32_t)(PARTCFG_WL_TIMER | PARTCFG_WL_MESSAGE));
    p = parse("[partition x]\nimage=a\nmemory=1g\n");
    ASSERT_EQ(p.rc, 0) << p.err;
    EXPECT_EQ(p.cfg.part[0].memory, 1ull << 30);
}

TEST(PmPartcfg, Limits)
{
    std::string name23(23, 'n'), image63(63, 'i');
    Parsed p = parse("[partition " + name23 + "]\nimage=" + image63 + "\nmemory=1M\nvps=16\n");
    ASSERT_EQ(p.rc, 0) << p.err;
    EXPECT_STREQ(p.cfg.part[0].name, name23.c_str());
    EXPECT_STREQ(p.cfg.part[0].image, image63.c_str());
    EXPECT_EQ(p.cfg.part[0].vps, 16u);
    EXPECT_EQ(error_of("[partition " + name23 + "n]\n"),
              "partcfg:1: expected a partition name of 1 to 23 letters, digits, '_' or '-'");
    EXPECT_EQ(error_of("[partition a]\nimage=" + image63 + "i\n"),
              "partcfg:2: expected an image name of 1 to 63 characters without blanks");
    // 8 partitions are fine, a 9th is not.
    std::string eight;
    for (int k = 0; k < 8; k++)
        eight += "[partition p" + std::to_string(k) + "]\nimage=c\nmemory=1M\n";
    p = parse(eight);
    ASSERT_EQ(p.rc, 0) << p.err;
    EXPECT_EQ(p.cfg.n, 8u);
    EXPECT_EQ(error_of(eight + "[partition p8]\n"), "partcfg:25: expected at most 8 partitions");
    // A line of 255 characters is fine (a comment pads it), 256 is not.
    std::string l255 = "# " + std::string(253, 'x');
    EXPECT_EQ(parse(l255 + "\n[partition a]\nimage=c\nmemory=1M\n").rc, 0);
    EXPECT_EQ(error_of(l255 + "x\n"), "partcfg:1: expected a line of at most 255 characters");
    // The CR of a CRLF does not count.
    EXPECT_EQ(parse(l255 + "\r\n[partition a]\nimage=c\nmemory=1M\n").rc, 0);
}

TEST(PmPartcfg, MemorySizes)
{
    const char *good[][2] = { { "1M", "1048576" }, { "1024K", "1048576" },
                              { "1052672", "1052672" }, { "1G", "1073741824" },
                              { "1048576k", "1073741824" } };
    for (auto &g : good) {
        Parsed p = parse(std::string("[partition a]\nimage=c\nmemory=") + g[0] + "\n");
        ASSERT_EQ(p.rc, 0) << g[0] << ": " << p.err;
        EXPECT_EQ(std::to_string(p.cfg.part[0].memory), g[1]) << g[0];
    }
    const std::string msg =
        "partcfg:3: expected a memory size (bytes or K, M, G) from 1M to 1G, a multiple of 4K";
    // below 1M, above 1G, not a 4K multiple, junk, empty, huge (overflow), two suffixes, negative
    for (const char *bad : { "1020K", "1025M", "2G", "1048577", "1048580", "16MB", "", "M",
                             "99999999999999999999999", "1 M", "-1M", "0x100000", "16T" })
        EXPECT_EQ(error_of(std::string("[partition a]\nimage=c\nmemory=") + bad + "\n"), msg)
            << bad;
}

TEST(PmPartcfg, VpsAndWorkload)
{
    for (const char *bad : { "0", "17", "", "1x", "001", "-1", "99" })
        EXPECT_EQ(error_of(std::string("[partition a]\nvps=") + bad + "\n"),
                  "partcfg:2: expected a VP count from 1 to 16")
            << bad;
    for (const char *bad : { "", "compute,", ",timer", "compute,,timer", "Compute", "sleep",
                             "compute timer" })
        EXPECT_EQ(error_of(std::string("[partition a]\nworkload=") + bad + "\n"),
                  "partcfg:2: expected workload items compute, timer, message, smp, hostile, "
                  "xstate, apic, mmio, cpuid or int3 separated by commas")
            << bad;
    Parsed p = parse("[partition a]\nimage=c\nmemory=1M\nworkload=message,message\n");
    ASSERT_EQ(p.rc, 0);
    EXPECT_EQ(p.cfg.part[0].workload, (uint32_t)PARTCFG_WL_MESSAGE);
    // smp: its own bit, written back between message and hostile (the child's run order)
    p = parse("[partition a]\nimage=c\nmemory=1M\nvps=2\nworkload=hostile,smp,compute\n");
    ASSERT_EQ(p.rc, 0);
    EXPECT_EQ(p.cfg.part[0].workload,
              (uint32_t)(PARTCFG_WL_HOSTILE | PARTCFG_WL_SMP | PARTCFG_WL_COMPUTE));
    char wl[40];
    partcfg_workload_text(p.cfg.part[0].workload, wl, sizeof wl);
    EXPECT_STREQ(wl, "compute,smp,hostile");
    Parsed h = parse("[partition h]\nimage=c\nmemory=1M\nworkload = hostile, compute\n");
    ASSERT_EQ(h.rc, 0);
    EXPECT_EQ(h.cfg.part[0].workload, (uint32_t)(PARTCFG_WL_HOSTILE | PARTCFG_WL_COMPUTE));
    // mmio: its own bit, written back last (after apic)
    Parsed m = parse("[partition m]\nimage=c\nmemory=1M\nworkload = mmio,compute\n");
    ASSERT_EQ(m.rc, 0);
    EXPECT_EQ(m.cfg.part[0].workload, (uint32_t)(PARTCFG_WL_MMIO | PARTCFG_WL_COMPUTE));
    partcfg_workload_text(m.cfg.part[0].workload, wl, sizeof wl);
    EXPECT_STREQ(wl, "compute,mmio");
    // cpuid: its own bit, written back after mmio
    Parsed c = parse("[partition c]\nimage=c\nmemory=1M\nworkload = cpuid , mmio\n");
    ASSERT_EQ(c.rc, 0);
    EXPECT_EQ(c.cfg.part[0].workload, (uint32_t)(PARTCFG_WL_CPUID | PARTCFG_WL_MMIO));
    partcfg_workload_text(c.cfg.part[0].workload, wl, sizeof wl);
    EXPECT_STREQ(wl, "mmio,cpuid");
    // int3: its own bit, written back after cpuid
    c = parse("[partition c]\nimage=c\nmemory=1M\nworkload = int3,cpuid\n");
    ASSERT_EQ(c.rc, 0);
    EXPECT_EQ(c.cfg.part[0].workload, (uint32_t)(PARTCFG_WL_INT3 | PARTCFG_WL_CPUID));
    partcfg_workload_text(c.cfg.part[0].workload, wl, sizeof wl);
    EXPECT_STREQ(wl, "cpuid,int3");
}

TEST(PmPartcfg, StructureErrors)
{
    EXPECT_EQ(error_of(""), "partcfg:1: expected at least one '[partition NAME]'");
    EXPECT_EQ(error_of("# nothing\n\n"), "partcfg:2: expected at least one '[partition NAME]'");
    EXPECT_EQ(error_of("image = c\n"),
              "partcfg:1: expected '[partition NAME]' before the first key");
    EXPECT_EQ(error_of("hello\n"),
              "partcfg:1: expected 'key = value' or '[partition NAME]'");
    for (const char *bad : { "[partition a", "[partition]", "[partitiona]", "[part a]", "[]",
                             "[", "[partition a] x" })
        EXPECT_EQ(error_of(std::string("\n") + bad + "\n"),
                  "partcfg:2: expected '[partition NAME]'")
            << bad;
    EXPECT_EQ(error_of("[partition a b]\n"),
              "partcfg:1: expected a partition name of 1 to 23 letters, digits, '_' or '-'");
    EXPECT_EQ(error_of("[partition a.b]\n"),
              "partcfg:1: expected a partition name of 1 to 23 letters, digits, '_' or '-'");
    EXPECT_EQ(error_of("[partition a]\ncolour = red\n"),
              "partcfg:2: expected a key image, memory, vps or workload");
    EXPECT_EQ(error_of("[partition a]\n= c\n"),
              "partcfg:2: expected a key image, memory, vps or workload");
    EXPECT_EQ(error_of("[partition a]\nimage=c\nimage=d\n"),
              "partcfg:3: expected each key once per partition");
    EXPECT_EQ(error_of("[partition a]\nimage=c d\n"),
              "partcfg:2: expected an image name of 1 to 63 characters without blanks");
    EXPECT_EQ(error_of("[partition a]\nimage=\n"),
              "partcfg:2: expected an image name of 1 to 63 characters without blanks");
    // Required keys are checked at the section's header line, when the section ends.
    EXPECT_EQ(error_of("\n[partition a]\nmemory=1M\n[partition b]\n"),
              "partcfg:2: expected an 'image' line in partition 'a'");
    EXPECT_EQ(error_of("[partition a]\nimage=c\n"),
              "partcfg:1: expected a 'memory' line in partition 'a'");
    EXPECT_EQ(error_of("[partition a]\nimage=c\nmemory=1M\n[partition a]\n"),
              "partcfg:4: expected a partition name not used before, not 'a'");
}

TEST(PmPartcfg, BytesAreChecked)
{
    EXPECT_EQ(error_of(std::string("[partition a]\nimage=c\0d\n", 24)),
              "partcfg:2: expected printable ASCII text");
    EXPECT_EQ(error_of("[partition a]\nimage=c\x7f\n"), "partcfg:2: expected printable ASCII text");
    EXPECT_EQ(error_of("[partition a]\nimage=\xc3\xa9\n"),
              "partcfg:2: expected printable ASCII text");
    // UTF-8 is fine in a comment, not before it; DEL and other control bytes nowhere.
    EXPECT_EQ(parse("# caf\xc3\xa9 \xe2\x80\x94 ok\n[partition a] # \xff\nimage=c\nmemory=1M\n").rc, 0);
    EXPECT_EQ(error_of("[partition a]\nimage=c # \x7f\n"), "partcfg:2: expected printable ASCII text");
    EXPECT_EQ(error_of("[partition a]\n\x01# x\n"), "partcfg:2: expected printable ASCII text");
    // A CR elsewhere than before the LF, even inside a comment.
    EXPECT_EQ(error_of("# a\rb\n"), "partcfg:1: expected printable ASCII text");
    // Only len bytes are read: a valid prefix of a longer buffer parses alone.
    const char text[] = "[partition a]\nimage=c\nmemory=1M\nvps=BAD";
    partcfg cfg;
    char err[PARTCFG_ERR_MAX];
    ASSERT_EQ(partcfg_parse(text, sizeof text - 1 - 7, &cfg, err, sizeof err), 0) << err;
    EXPECT_EQ(cfg.part[0].vps, 1u);
}

TEST(PmPartcfg, ErrorBufferTruncation)
{
    partcfg cfg;
    char err[12];
    memset(err, 'Z', sizeof err);
    EXPECT_EQ(partcfg_parse("x", 1, &cfg, err, sizeof err), -1);
    EXPECT_STREQ(err, "partcfg:1: ");   // 11 characters and the NUL
    EXPECT_EQ(partcfg_parse("x", 1, &cfg, nullptr, 0), -1);   // no buffer: still fails cleanly
}

TEST(PmPartcfg, ModuleMatches)
{
    EXPECT_TRUE(partcfg_module_matches("child.elf", "child.elf"));
    EXPECT_TRUE(partcfg_module_matches("partitions/child/child.elf child.elf", "child.elf"));
    EXPECT_TRUE(partcfg_module_matches("/boot/child.elf", "child.elf"));
    EXPECT_TRUE(partcfg_module_matches("scenarios/default.partcfg partcfg", "partcfg"));
    EXPECT_TRUE(partcfg_module_matches("  a   child.elf  ", "child.elf"));
    EXPECT_FALSE(partcfg_module_matches("mychild.elf", "child.elf"));
    EXPECT_FALSE(partcfg_module_matches("child.elf2", "child.elf"));
    EXPECT_FALSE(partcfg_module_matches("child.elf/x", "child.elf"));
    EXPECT_FALSE(partcfg_module_matches("", "child.elf"));
    EXPECT_FALSE(partcfg_module_matches("hild.elf", "child.elf"));
    EXPECT_FALSE(partcfg_module_matches("child.elf", ""));
}

TEST(PmPartcfg, WorkloadText)
{
    char out[32];
    EXPECT_EQ(partcfg_workload_text(PARTCFG_WL_COMPUTE | PARTCFG_WL_TIMER | PARTCFG_WL_MESSAGE,
                                    out, sizeof out), 21u);
    EXPECT_STREQ(out, "compute,timer,message");
    EXPECT_EQ(partcfg_workload_text(PARTCFG_WL_MESSAGE, out, sizeof out), 7u);
    EXPECT_STREQ(out, "message");
    EXPECT_EQ(partcfg_workload_text(PARTCFG_WL_COMPUTE | PARTCFG_WL_TIMER, out, 8), 7u);
    EXPECT_STREQ(out, "compute");   // truncated to 7 characters + NUL
    EXPECT_EQ(partcfg_workload_text(PARTCFG_WL_HOSTILE | PARTCFG_WL_COMPUTE, out, sizeof out),
              15u);
    EXPECT_STREQ(out, "compute,hostile");   // table order, not the file's
}
