#!/bin/sh
# check-child-apic.sh — the virtual local APIC seen from a child partition (docs/HYPERVISOR.md
# "Virtual local APIC"): scenarios/apic.cfg runs the child `apic` (partitions/child/wl_apic.c,
# whose checks carry their expected values from the SDM Vol. 3 chapter 11 and the TLFS) next to
# a 2-VP child `busy`. Required: every check of `apic` passes, and all 32 ran (28, plus 4 of
# TSC-deadline mode, which the default CPU model reports in CPUID.1:ECX[24]), its
# IA32_TSC_DEADLINE accesses never reach the root as MSR intercepts (no "[apic] msr" line), both
# children finish and the run ends by ACPI soft-off without a hypervisor panic.
# Runs from the build directory (as `make check` does).
CHECK=check-child-apic
. "${srcdir:-.}/tests/build/scenario_lib.sh"
scenario_run "$src/scenarios/apic.cfg"
expect_child_checks apic apic 32 "the child's APIC"
if grep -q '^\[apic\] msr ' "$tmp/out"; then
    bad "an MSR of the APIC went to the root: $(grep '^\[apic\] msr ' "$tmp/out" | head -1)"
else
    pass "no APIC MSR reached the root as an intercept"
fi
for c in "apic 2" "busy 3"; do
    set -- $c
    expect_summary "$1" "$2" 0
done
expect_no_panic
exit $fail
