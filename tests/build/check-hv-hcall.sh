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
hvsim=./hvsim
hv=hv/hvsim-hv.elf
kern=tests/target/hv_hcall_test.kernel
src=${srcdir:-.}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
for f in "$hv" "$kern"; do
    if [ ! -f "$f" ]; then
        echo "FAIL check-hv-hcall: $f is not built"
        exit 1
    fi
done
timeout 300 "$hvsim" run "$src/tests/target/hv_hcall.cfg" --kernel "$hv" --module "$kern" \
    --quiet --max-insns 2000M >"$tmp/out" 2>&1 </dev/null
st=$?
np=$(grep -c '^PASS ' "$tmp/out")
nf=$(grep -c '^FAIL ' "$tmp/out")
sum=$(sed -n 's/^hv_hcall: \([0-9]*\) checks passed, \([0-9]*\) failed$/\1 \2/p' "$tmp/out")
if [ "$st" -eq 1 ] && [ "$nf" -eq 0 ] && [ "$sum" = "$np 0" ] && [ "$np" -ge 100 ] &&
   ! grep -q 'PANIC' "$tmp/out"; then
    echo "PASS check-hv-hcall: $np checks passed, 0 failed (hypercalls, SynIC, timers)"
    exit 0
fi
echo "FAIL check-hv-hcall: exit status $st (want 1), $np PASS and $nf FAIL lines, summary '$sum'"
grep -E '^(FAIL |# |hv: PANIC|root: exception)' "$tmp/out" | head -30
exit 1
