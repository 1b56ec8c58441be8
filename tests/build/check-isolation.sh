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
CHECK=check-isolation
. "${srcdir:-.}/tests/build/scenario_lib.sh"
scenario_run "$src/scenarios/isolation.cfg"
for c in "iso-a 2 a" "iso-b 3 b" "iso-c 4 a"; do
    set -- $c
    line=$(grep "^\[$1\] child $1: xstate: " "$tmp/out")
    if echo "$line" | grep -qE "^\[$1\] child $1: xstate: reset values ok, [1-9][0-9]* syscalls through handler $3, XCR0 0x3, 0 changes seen$"; then
        pass "$1 (partition $2): $line"
    else
        bad "$1 (partition $2): '$line'"
    fi
    expect_summary "$1" "$2" 0
done
expect_no_panic
exit $fail
