#!/bin/sh
# check-hv-hcall.sh — hypercalls, SynIC messages and event flags, and synthetic timers on the
# real hypervisor (docs/HYPERVISOR.md "Hypercalls", "Synthetic features"; TLFS 6.0): hvsim boots
# hv/hvsim-hv.elf with tests/target/hv_hcall_test.kernel as module 0 (the root partition's
# kernel) on the machine of tests/target/hv_hcall.cfg. The kernel makes every call with good and
# bad inputs and prints one PASS/FAIL line per check, the expected values written from the TLFS
# (tests/target/hv_hcall_test.c), then "hv_hcall: N checks passed, M failed", and writes M != 0
# to the debug-exit port. Passes when: the exit status is 1 (debug-exit value 0), no FAIL line,
# the summary says 0 failed with N equal to the PASS lines and N >= 100, and the hypervisor never
# panicked. Runs from the build directory (as `make check` does).
. "${srcdir:-.}/tests/build/root_test_lib.sh"
root_test check-hv-hcall tests/target/hv_hcall_test.kernel tests/target/hv_hcall.cfg \
    hv_hcall 100 "hypercalls, SynIC, timers"
