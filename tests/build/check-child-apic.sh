#!/bin/sh
# check-child-apic.sh — the virtual local APIC seen from a child partition (docs/HYPERVISOR.md
# "Virtual local APIC"): scenarios/apic.cfg runs the child `apic` (partitions/child/wl_apic.c,
# whose checks carry their expected values from the SDM Vol. 3 chapter 11 and the TLFS) next to
# a 2-VP child `busy`. Required: every check of `apic` passes, and all 32 ran (28, plus 4 of
# TSC-deadline mode, which the default CPU model reports in CPUID.1:ECX[24]), its
# IA32_TSC_DEADLINE accesses never reach the root as MSR intercepts (no "[apic] msr" line), both
# children finish and the run ends by ACPI soft-off without a hypervisor panic.
# Runs from the build directory (as `make check` does).
hvsim=./hvsim
src=${srcdir:-.}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
pass() { echo "PASS check-child-apic: $*"; }
bad() { echo "FAIL check-child-apic: $*"; fail=1; }
for f in hv/hvsim-hv.elf partitions/root/root.elf partitions/child/child.elf; do
    [ -f "$f" ] || { bad "$f is not built"; exit 1; }
done
timeout 600 "$hvsim" run "$src/scenarios/apic.cfg" --max-insns 4000M </dev/null \
    >"$tmp/out" 2>"$tmp/err"
st=$?
if [ "$st" -eq 0 ] && grep -q '^stopped .*ACPI soft-off' "$tmp/err"; then
    pass "the run ends by ACPI soft-off"
else
    bad "exit status $st, $(grep '^stopped' "$tmp/err")"
fi
grep '^\[apic\] child apic: apic: FAIL ' "$tmp/out" | while read -r l; do bad "$l"; done
n=$(grep -c '^\[apic\] child apic: apic: PASS ' "$tmp/out")
if grep -qxF "[apic] child apic: apic: $n checks passed, 0 failed" "$tmp/out" && [ "$n" -eq 32 ]; then
    pass "the child's APIC: $n checks passed"
else
    bad "the child's APIC: $(grep 'child apic: apic: [0-9]' "$tmp/out") ($n PASS lines)"
fi
if grep -q '^\[apic\] msr ' "$tmp/out"; then
    bad "an MSR of the APIC went to the root: $(grep '^\[apic\] msr ' "$tmp/out" | head -1)"
else
    pass "no APIC MSR reached the root as an intercept"
fi
for c in "apic 2" "busy 3"; do
    set -- $c
    if grep -qxF "root: summary: $1 (partition $2): finished, status 0; 0 messages; deleted: SUCCESS" "$tmp/out"; then
        pass "$1 finished and deleted"
    else
        bad "$1 summary: $(grep "summary: $1 " "$tmp/out")"
    fi
done
if grep -q 'PANIC' "$tmp/out" "$tmp/err"; then bad "a hypervisor panic"; else pass "no panic"; fi
exit $fail
