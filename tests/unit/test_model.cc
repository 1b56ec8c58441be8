// test_model.cc — the CPU model (cpu/model.c): the built-in default model and its embedding,
// the text format's errors (file:line and what was expected), inheritance, and CPUID lookup with
// Intel's out-of-range rule (SDM Vol. 2 CPUID).
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "cpu/model.h"

namespace {

std::string parse_err(const char *text)
{
    struct cpu_model m;
    char err[256] = "";
    EXPECT_EQ(model_parse(&m, text, "t.model", err, sizeof err), -1) << text;
    return err;
}

uint32_t le32(const char *s)
{
    uint32_t v;
    memcpy(&v, s, 4);
    return v;
}

TEST(Model, DefaultIsSkylakeSP)
{
    const cpu_model *m = model_default();
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->max_phys_bits, 46u);
    EXPECT_EQ(m->max_lin_bits, 48u);
    EXPECT_EQ(m->itlb.entries, 128u);
    EXPECT_EQ(m->itlb.ways, 8u);
    EXPECT_EQ(m->dtlb.entries, 64u);
    EXPECT_EQ(m->dtlb.ways, 4u);
    EXPECT_EQ(m->stlb.entries, 1536u);
    EXPECT_EQ(m->stlb.ways, 12u);
    EXPECT_EQ(m->class_cost[CLS_ALU], 1u);
    EXPECT_EQ(m->class_cost[CLS_MUL], 3u);
    EXPECT_EQ(m->class_cost[CLS_SERIAL], 100u);
    EXPECT_EQ(m->mem_access, 4u);
    EXPECT_EQ(m->class_cost[CLS_DIV] + m->div_extra[0], 23u);    // DIV r8
    EXPECT_EQ(m->class_cost[CLS_DIV] + m->div_extra[3], 40u);    // DIV r64
    EXPECT_EQ(m->mxcsr_mask, 0xffffu);
    for (int k = 0; k < CLS_COUNT; k++)
        EXPECT_GT(m->class_cost[k], 0u) << "class " << k;
}

TEST(Model, CpuidVendorSignatureAndWidths)
{
    const cpu_model *m = model_default();
    uint32_t r[4];
    model_cpuid(m, 0, 0, r);
    EXPECT_EQ(r[0], 0xdu);
    EXPECT_EQ(r[1], le32("Genu"));
    EXPECT_EQ(r[3], le32("ineI"));
    EXPECT_EQ(r[2], le32("ntel"));
    model_cpuid(m, 1, 0, r);
    EXPECT_EQ(r[0], 0x50654u);                      // family 6, model 0x55, stepping 4
    EXPECT_EQ((r[0] >> 8 & 0xf) | 0, 6u);
    EXPECT_EQ(((r[0] >> 4) & 0xf) | ((r[0] >> 12) & 0xf0), 0x55u);
    EXPECT_TRUE(r[2] & (1u << 5)) << "VMX (docs/VMX.md)";
    EXPECT_TRUE(r[2] & (1u << 26)) << "XSAVE";
    EXPECT_TRUE(r[3] & (1u << 11)) << "SEP";
    model_cpuid(m, 0x80000008u, 0, r);
    EXPECT_EQ(r[0] & 0xffff, 0x302eu);              // 46 physical, 48 linear bits
    model_cpuid(m, 0x80000001u, 0, r);
    EXPECT_TRUE(r[3] & (1u << 29)) << "LM";
    EXPECT_TRUE(r[3] & (1u << 20)) << "NX";
    char brand[49] = {};
    for (int k = 0; k < 3; k++) {
        model_cpuid(m, 0x80000002u + k, 0, r);
        memcpy(brand + 16 * k, r, 16);
    }
    EXPECT_STREQ(brand, "hvsim Skylake-SP class CPU @ 2.40GHz");
}

TEST(Model, CpuidSubleavesAndOutOfRange)
{
    const cpu_model *m = model_default();
    uint32_t r[4], hi[4];
    model_cpuid(m, 4, 2, r);                         // L2: 16 ways, 1024 sets
    EXPECT_EQ(r[0] & 0x1f, 3u);
    EXPECT_EQ((r[1] >> 22) + 1, 16u);
    EXPECT_EQ(r[2] + 1, 1024u);
    model_cpuid(m, 4, 9, r);                         // no such cache level: zeros
    EXPECT_EQ(r[0], 0u);
    model_cpuid(m, 5, 0, r);                         // in range, not listed: zeros
    EXPECT_EQ(r[0] | r[1] | r[2] | r[3], 0u);
    // above the maximum basic / extended leaf: the highest basic leaf's data
    model_cpuid(m, 0xd, 0, hi);
    model_cpuid(m, 0x40, 0, r);
    EXPECT_EQ(memcmp(r, hi, sizeof r), 0);
    model_cpuid(m, 0x80000009u, 0, r);
    EXPECT_EQ(memcmp(r, hi, sizeof r), 0);
}

TEST(Model, EmbeddedTextIsTheFile)
{
    const char *srcdir = getenv("srcdir");
    std::string path = std::string(srcdir ? srcdir : "..") + "/cpu/models/default.model";
    struct cpu_model m;
    char err[256];
    ASSERT_EQ(model_load(&m, path.c_str(), err, sizeof err), 0) << err;
    EXPECT_EQ(memcmp(&m, model_default(), sizeof m), 0)
        << "the built-in model differs from " << path << ": rebuild cpu/model_default_text.c";
}

TEST(Model, InheritOverridesOneConstant)
{
    struct cpu_model m;
    char err[256];
    ASSERT_EQ(model_parse(&m, "inherit = default\ncost.alu = 2   # slower ALU\n"
                              "cpuid 0x6 = 4 0 0 0\n", "x", err, sizeof err), 0) << err;
    EXPECT_EQ(m.class_cost[CLS_ALU], 2u);
    EXPECT_EQ(m.class_cost[CLS_MUL], 3u);
    uint32_t r[4];
    model_cpuid(&m, 6, 0, r);
    EXPECT_EQ(r[0], 4u);
    model_cpuid(&m, 1, 0, r);
    EXPECT_EQ(r[0], 0x50654u);
}

TEST(Model, ErrorsNameFileLineAndExpectation)
{
    EXPECT_EQ(parse_err("inherit = default\nfoo\n"), "t.model:2: expected 'key = value', got 'foo'");
    EXPECT_EQ(parse_err("inherit = default\n\ncost.alu = x\n"),
              "t.model:3: expected a number for cost.alu, got 'x'");
    EXPECT_EQ(parse_err("inherit = default\ncpuid 1 = 1 2 3\n"),
              "t.model:2: expected a number for EDX, got 'end of line'");
    EXPECT_EQ(parse_err("inherit = default\nbogus.key = 1\n"),
              "t.model:2: unknown key 'bogus.key' (see docs/CYCLE-MODEL.md for the keys)");
    EXPECT_EQ(parse_err("inherit = default\ntlb.dtlb = 96 8\n"),
              "t.model:2: tlb.dtlb: entries/ways must be a power of two (sets are indexed by bits)");
    EXPECT_EQ(parse_err("name = x\n"), "t.model: missing required key 'max_phys_bits'");
    EXPECT_EQ(parse_err("cost.alu = 1\ninherit = default\n"),
              "t.model:2: inherit must be the first statement of the file");
    EXPECT_EQ(parse_err("inherit = default\nvendor = AMD\n"),
              "t.model:2: vendor must be exactly 12 characters (e.g. GenuineIntel)");
    EXPECT_EQ(parse_err("inherit = default\ncpuid 0x80000008 = 0x3030 0 0 0\n"),
              "t.model: cpuid 0x80000008 EAX[15:0]=0x3030 disagrees with max_phys_bits/"
              "max_lin_bits (expected 0x302e)");
    EXPECT_EQ(parse_err("inherit = default\ncost.mul = 3 4\n"),
              "t.model:2: unexpected '4' after cost.mul");
}

TEST(Model, LoadReportsMissingFile)
{
    struct cpu_model m;
    char err[256];
    EXPECT_EQ(model_load(&m, "/nonexistent/x.model", err, sizeof err), -1);
    EXPECT_EQ(std::string(err).rfind("/nonexistent/x.model: cannot open", 0), 0u) << err;
}

TEST(Model, NumbersMayBeOrOfBits)
{
    struct cpu_model m;
    char err[256];
    // '|' joins numbers, with or without spaces around it
    ASSERT_EQ(model_parse(&m, "inherit = default\ncpuid 0x7.0 = 0 0x1|0x80 | 4 2 0\n", "x", err,
                          sizeof err), 0) << err;
    uint32_t r[4];
    model_cpuid(&m, 7, 0, r);
    EXPECT_EQ(r[1], 0x85u);
    EXPECT_EQ(r[2], 2u);
}

}  // namespace
