/* diff_driver.h — runs a group's cases on both simulators and turns mismatches into GoogleTest
 * failures with full reports and a per-mnemonic summary.
 *
 * Environment: HVSIM_DIFF_SEED (base seed, decimal or 0x-hex; default fixed) and
 * HVSIM_DIFF_CASES (cases per group; default per group) override the defaults for exploratory
 * runs. HVSIM_DIFF_REPORTS limits the number of full reports per group (default 3).
 */
#ifndef HVSIM_DIFF_DRIVER_H
#define HVSIM_DIFF_DRIVER_H

#include <stdint.h>

namespace diff {

constexpr uint64_t DEFAULT_SEED = 0x6876'7369'6d5f'6466ull;    /* "hvsim_df" */
constexpr unsigned DEFAULT_CASES = 500;

uint64_t env_seed();
unsigned env_cases(unsigned def);

/* Differential run of `group` in mode 4/8: every case must match. */
void run_group(const char *group, int mode, unsigned default_cases = DEFAULT_CASES);
/* Harness self-test: every case of `group` runs on Unicorn alone without error and, unless it is
 * a fault case, without an exception. */
void run_group_unicorn_only(const char *group, int mode, unsigned cases);

} // namespace diff
#endif
