#!/bin/sh
# check-hv-vtimer.sh — the virtual local APIC timer on the real hypervisor (docs/HYPERVISOR.md
# "The timer"; SDM Vol. 3 11.5.4, 11.5.4.1; the TLFS frequency MSRs): hvsim boots
# hv/hvsim-hv.elf with tests/target/hv_vtimer_test.kernel as module 0 (the root partition's
# kernel) on the machine of tests/target/hv_vtimer.cfg. The kernel programs its virtual APIC
# timer (one-shot with each divide path, periodic, masked, initial count 0, TSC-deadline and the
# mode changes) and reads the frequency MSRs, printing one PASS/FAIL line per check with bounds
# derived from the programmed counts (tests/target/hv_vtimer_test.c), then
# "hv_vtimer: N checks passed, M failed", and writes M != 0 to the debug-exit port. Passes when:
# the exit status is 1 (debug-exit value 0), no FAIL line, the summary says 0 failed with N equal
# to the PASS lines and N >= 25, and the hypervisor never panicked. Runs from the build directory.
. "${srcdir:-.}/tests/build/root_test_lib.sh"
root_test check-hv-vtimer tests/target/hv_vtimer_test.kernel tests/target/hv_vtimer.cfg \
    hv_vtimer 25 "virtual APIC timer"
