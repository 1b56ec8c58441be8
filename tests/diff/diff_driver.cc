/* diff_driver.cc — the GoogleTest glue of the differential tests (see diff_driver.h). */
#include "tests/diff/diff_driver.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <map>
#include <set>
#include <string>

#include "tests/diff/diff_gen.h"
#include "tests/diff/diff_run.h"

namespace diff {

uint64_t env_seed()
{
    const char *s = getenv("HVSIM_DIFF_SEED");
    return s && *s ? strtoull(s, nullptr, 0) : DEFAULT_SEED;
}

unsigned env_cases(unsigned def)
{
    const char *s = getenv("HVSIM_DIFF_CASES");
    return s && *s ? (unsigned)strtoul(s, nullptr, 0) : def;
}

static unsigned env_reports()
{
    const char *s = getenv("HVSIM_DIFF_REPORTS");
    return s && *s ? (unsigned)strtoul(s, nullptr, 0) : 3;
}

/* Mnemonics under test in a case (setup instructions excluded). */
static std::set<std::string> tested(const Case &c)
{
    std::set<std::string> m;
    for (const InsnInfo &ii : c.insns)
        if (!ii.setup)
            m.insert(ii.mn);
    return m;
}

/* Case `seed` of group g; a generator error becomes a test failure (returns false). */
static bool build_case(const Group &g, int mode, uint64_t seed, Case &c)
{
    try {
        c = make_case(g, mode, seed);
    } catch (const GenError &e) {
        ADD_FAILURE() << "generator error in group " << g.name << " seed 0x" << std::hex << seed
                      << ": " << e.what();
        return false;
    }
    return true;
}

void run_group(const char *group, int mode, unsigned default_cases)
{
    const Group *g = find_group(group);
    ASSERT_NE(g, nullptr) << "no group " << group;
    const unsigned n = env_cases(default_cases);
    const uint64_t base = env_seed();
    const unsigned max_reports = env_reports();
    UcRunner uc(mode);
    HvRunner hv(mode);
    std::map<std::string, std::pair<unsigned, unsigned>> per_mn;   /* failed, total */
    unsigned failed = 0, reports = 0;
    for (unsigned i = 0; i < n; i++) {
        Case c;
        if (!build_case(*g, mode, case_seed(base, group, mode, i), c)) {
            failed++;
            continue;
        }
        State su = uc.run(c);
        State sh = hv.run(c);
        Diff d = compare(c, sh, su);
        std::set<std::string> mns = tested(c);
        for (const std::string &m : mns)
            per_mn[m].second++;
        if (d.empty())
            continue;
        failed++;
        for (const std::string &m : mns)
            per_mn[m].first++;
        if (reports++ < max_reports)
            ADD_FAILURE() << "hvsim differs from Unicorn\n" << report(c, sh, su, d);
    }
    if (failed) {
        std::string sum;
        for (auto &kv : per_mn)
            if (kv.second.first)
                sum += "  " + kv.first + ": " + std::to_string(kv.second.first) + "/" +
                       std::to_string(kv.second.second) + " cases differ\n";
        ADD_FAILURE() << "group " << group << " (" << mode * 8 << "-bit): " << failed << " of "
                      << n << " cases differ (base seed 0x" << std::hex << base << std::dec
                      << "; " << max_reports << " reports shown, HVSIM_DIFF_REPORTS for more)\n"
                      << "mnemonics in failing cases (failing/total cases containing it):\n"
                      << sum;
    }
}

void run_group_unicorn_only(const char *group, int mode, unsigned cases)
{
    const Group *g = find_group(group);
    ASSERT_NE(g, nullptr) << "no group " << group;
    UcRunner uc(mode);
    const uint64_t base = env_seed();
    unsigned bad = 0;
    for (unsigned i = 0; i < cases && bad < 3; i++) {
        Case c;
        if (!build_case(*g, mode, case_seed(base, group, mode, i), c)) {
            bad++;
            continue;
        }
        State s = uc.run(c);
        bool ok = s.error.empty() && (c.expect_fault ? s.fault >= 0 : s.fault < 0);
        if (!ok) {
            bad++;
            Diff d;
            d.lines.push_back(s.error.empty() ? "unexpected exception outcome" : s.error);
            ADD_FAILURE() << "Unicorn cannot run a generated case\n" << report(c, s, s, d);
        }
    }
}

} // namespace diff
