#!/bin/sh
# check-hostile.sh — isolation (docs/HYPERVISOR.md "The hostile child"): scenarios/hostile.cfg
# runs one normal child (compute, message) and one hostile child. Every attempt of the hostile
# child must fail with the status the TLFS specifies, written here by hand:
#   CreatePartition, DepositMemory, MapGpaPages (into the root, into its neighbour):
#     HV_STATUS_ACCESS_DENIED (0x6): the caller lacks CreatePartitions / AccessMemoryPool
#     (TLFS "Partition privileges"; a child never has them);
#   PostMessage on a connection id that is not one of its own (0x1000 is the normal child's,
#     0x1001 and 0 exist nowhere): HV_STATUS_INVALID_CONNECTION_ID (0x12);
#   a read of GPA 0x7000000 (outside its RAM): an unmapped-GPA intercept; the root stops it (the
#     read never completes: no "read GPA" line).
# Meanwhile the normal child must run to its end, the root must delete both and power off (ACPI
# soft-off, exit status 0), and the hypervisor must not panic.
# Runs from the build directory (as `make check` does).
CHECK=check-hostile
. "${srcdir:-.}/tests/build/scenario_lib.sh"
scenario_run "$src/scenarios/hostile.cfg"
h="[hostile] child hostile: hostile:"
expect "$h CreatePartition: ACCESS_DENIED"
expect "$h DepositMemory into itself: ACCESS_DENIED"
expect "$h MapGpaPages into the root: ACCESS_DENIED"
expect "$h MapGpaPages into its neighbour: ACCESS_DENIED"
expect "$h PostMessage on connection 0x1000: INVALID_CONNECTION_ID"
expect "$h PostMessage on connection 0x1001: INVALID_CONNECTION_ID"
expect "$h PostMessage on connection 0x0: INVALID_CONNECTION_ID"
# an MSR the hypervisor does not handle: intercepts the root completes (reads 0, writes dropped)
expect "[hostile] msr read 0x1a0"
expect "$h rdmsr 0x1a0: 0x0"
expect "[hostile] msr write 0x1a0 = 0x1"
expect "$h wrmsr 0x1a0 done"
expect "$h reading GPA 0x7000000 (outside its RAM)"
if grep -q '^pm: hostile: read of GPA 0x7000000 outside its memory (VP 0, RIP 0x[0-9a-f]*): stopped$' \
        "$tmp/out" && ! grep -q 'hostile: read GPA' "$tmp/out"; then
    pass "the read outside its memory stops the hostile child"
else
    bad "the foreign read: $(grep 'GPA 0x7000000' "$tmp/out")"
fi
expect "[normal] child normal: compute: 2262 primes below 20000, sum 21171191"
expect "[normal] child normal: done"
expect_summary normal 2 3
expect "root: summary: hostile (partition 3): stopped: read of GPA 0x7000000 outside its memory; 0 messages; deleted: SUCCESS"
expect_no_panic
exit $fail
