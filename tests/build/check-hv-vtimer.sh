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
hvsim=./hvsim
hv=hv/hvsim-hv.elf
kern=tests/target/hv_vtimer_test.kernel
src=${srcdir:-.}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
for f in "$hv" "$kern"; do
    if [ ! -f "$f" ]; then
        echo "FAIL check-hv-vtimer: $f is not built"
        exit 1
    fi
done
timeout 300 "$hvsim" run "$src/tests/target/hv_vtimer.cfg" --kernel "$hv" --module "$kern" \
    --quiet --max-insns 2000M >"$tmp/out" 2>&1 </dev/null
st=$?
np=$(grep -c '^PASS ' "$tmp/out")
nf=$(grep -c '^FAIL ' "$tmp/out")
sum=$(sed -n 's/^hv_vtimer: \([0-9]*\) checks passed, \([0-9]*\) failed$/\1 \2/p' "$tmp/out")
if [ "$st" -eq 1 ] && [ "$nf" -eq 0 ] && [ "$sum" = "$np 0" ] && [ "$np" -ge 25 ] &&
   ! grep -q 'PANIC' "$tmp/out"; then
    echo "PASS check-hv-vtimer: $np checks passed, 0 failed (virtual APIC timer)"
    exit 0
fi
echo "FAIL check-hv-vtimer: exit status $st (want 1), $np PASS and $nf FAIL lines, summary '$sum'"
grep -E '^(FAIL |# |hv: PANIC|root: exception)' "$tmp/out" | head -30
exit 1
