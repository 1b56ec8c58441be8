#!/bin/sh
# check-isolation.sh — the guest state the VMCS does not switch (docs/HYPERVISOR.md "Guest state
# on a shared LP"): scenarios/isolation.cfg runs three children with the `xstate` workload on 2
# LPs; partitions 2 (iso-a) and 4 (iso-c) share LP 0 with the root's VP 0 (VP k of partition id
# runs on LP (id + k) mod 2). Expected, from partitions/child/wl_xstate.c and the SDM:
#   - each finds the reset values at its start (STAR, LSTAR, CSTAR, FMASK, KERNEL_GS_BASE,
#     TSC_AUX 0, XCR0 1: SDM Vol. 3 9.1.1) although another child wrote its own before;
#   - its SYSCALLs all go through its own LSTAR: handler a for an even partition id (2, 4),
#     b for an odd one (3), never the other;
#   - XCR0 = 0x3 (x87|SSE: the default CPU model's CPUID.(0DH,0):EAX = 3, XSAVE present);
#   - no read-back of its MSRs, XCR0 or SWAPGS'd GS base differs from what it wrote;
# and the root deletes all three and powers off without a hypervisor panic.
# Runs from the build directory (as `make check` does).
hvsim=./hvsim
src=${srcdir:-.}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
pass() { echo "PASS check-isolation: $*"; }
bad() { echo "FAIL check-isolation: $*"; fail=1; }
for f in hv/hvsim-hv.elf partitions/root/root.elf partitions/child/child.elf; do
    [ -f "$f" ] || { bad "$f is not built"; exit 1; }
done
timeout 600 "$hvsim" run "$src/scenarios/isolation.cfg" --max-insns 4000M </dev/null \
    >"$tmp/out" 2>"$tmp/err"
st=$?
if [ "$st" -eq 0 ] && grep -q '^stopped .*ACPI soft-off' "$tmp/err"; then
    pass "the run ends by ACPI soft-off"
else
    bad "exit status $st, $(grep '^stopped' "$tmp/err")"
fi
for c in "iso-a 2 a" "iso-b 3 b" "iso-c 4 a"; do
    set -- $c
    line=$(grep "^\[$1\] child $1: xstate: " "$tmp/out")
    if echo "$line" | grep -qE "^\[$1\] child $1: xstate: reset values ok, [1-9][0-9]* syscalls through handler $3, XCR0 0x3, 0 changes seen$"; then
        pass "$1 (partition $2): $line"
    else
        bad "$1 (partition $2): '$line'"
    fi
    if grep -qxF "root: summary: $1 (partition $2): finished, status 0; 0 messages; deleted: SUCCESS" "$tmp/out"; then
        pass "$1 finished and deleted"
    else
        bad "$1 summary: $(grep "summary: $1 " "$tmp/out")"
    fi
done
if grep -q 'PANIC' "$tmp/out" "$tmp/err"; then bad "a hypervisor panic"; else pass "no panic"; fi
exit $fail
