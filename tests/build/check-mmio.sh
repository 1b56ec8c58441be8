#!/bin/sh
# check-mmio.sh — the device page the root emulates for a child (docs/HYPERVISOR.md "The
# child's device page"): scenarios/mmio.cfg runs the child `mmio` (partitions/child/wl_mmio.c,
# whose checks carry their expected values from the device's register map and SDM Vol. 1
# 3.4.1.1) next to a child `busy`; `mmio` is partition 3, on LP 1: the root's VP 1 completes
# its accesses. Required: all 22 checks of `mmio` pass, the line it writes byte by byte through
# the DATA register appears as its own console line (`[mmio] ...`, like its COM1 output), no
# access to the page stops it, both children finish, the root prints its summary and the run
# ends by ACPI soft-off without a hypervisor panic.
# Runs from the build directory (as `make check` does).
CHECK=check-mmio
. "${srcdir:-.}/tests/build/scenario_lib.sh"
scenario_run "$src/scenarios/mmio.cfg"
expect_child_checks mmio mmio 22 "the device page"
expect "[mmio] child mmio: mmio: a line through DATA"
if grep -qE '^pm: mmio: .*stopped' "$tmp/out"; then
    bad "the root stopped mmio: $(grep -E '^pm: mmio: .*stopped' "$tmp/out" | head -1)"
else
    pass "every access to the device page was completed"
fi
for c in "busy 2" "mmio 3"; do
    set -- $c
    expect_summary "$1" "$2" 0
done
expect_no_panic
exit $fail
