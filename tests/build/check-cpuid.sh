#!/bin/sh
# check-cpuid.sh — CPUID and exception intercepts (HvCallInstallIntercept, docs/HYPERVISOR.md
# "Intercepts"): scenarios/cpuid.cfg runs the child `cpu-id` (workloads cpuid and int3,
# partitions/child/wl_cpuid.c, wl_int3.c),
# whose leaves 80000002H-80000004H the root intercepts and answers with the brand string
# "hvsim child cpu-id" (partitions/root/pm_cpuid.h), next to a child `plain`. Required: all 5
# checks of wl_cpuid.c pass (the 48 brand bytes as the SDM packs them, NUL-terminated,
# zero-extended registers, leaves 1 and 40000001H still the hypervisor's), the brand is printed
# as that string; all 4 checks of wl_int3.c pass (the #BP intercepted, the root skips each of
# its 4 INT3s: 4 `pm: cpu-id: INT3 at ...: skipped` lines); the root stops no child, both
# finish (`plain` is partition 2, `cpu-id` 3), and the run ends by ACPI soft-off without a
# hypervisor panic.
# Runs from the build directory (as `make check` does).
CHECK=check-cpuid
. "${srcdir:-.}/tests/build/scenario_lib.sh"
scenario_run "$src/scenarios/cpuid.cfg"
expect_child_checks cpu-id cpuid 5 "CPUID intercepts"
expect '[cpu-id] child cpu-id: cpuid: brand "hvsim child cpu-id"'
expect_child_checks cpu-id int3 4 "exception intercepts"
n=$(grep -cE '^pm: cpu-id: INT3 at RIP 0x[0-9a-f]+ \(VP 0\): skipped$' "$tmp/out")
if [ "$n" -eq 4 ]; then
    pass "the root skipped 4 INT3s"
else
    bad "the root skipped $n INT3s, want 4"
fi
if grep -qE '^pm: .*(stopped|failed)' "$tmp/out"; then
    bad "the root: $(grep -E '^pm: .*(stopped|failed)' "$tmp/out" | head -1)"
else
    pass "every CPUID and INT3 intercept was completed"
fi
for c in "plain 2" "cpu-id 3"; do
    set -- $c
    expect_summary "$1" "$2" 0
done
expect_no_panic
exit $fail
