#!/bin/sh
# check-hcall-trace.sh — hypercall events (docs/TRACE-FORMAT.md "Hypercalls"): the trace of
# tests/target/vmx_hcall.kernel, a tiny TLFS hypervisor, must hold exactly the hypercalls its
# source defines, decoded by the simulator from the VMCALL exits and the entries that return.
# The expected values are written here by hand from tests/target/vmx_hcall.c:
#   1. HC_SLOW_IN 0x0046 (70), memory form: SUCCESS
#   2. HC_FAST_IN 0x1005d: code 0x5d (93), fast: SUCCESS
#   3. HC_REP_IN 0x400000003: code 3, rep count 4, start 0; the handler does HC_REP_FIRST = 2
#      reps and continues (RIP kept, start index 2): completed=0, reps_done=2, status 0 ...
#   4. ... the re-issued call, start 2: SUCCESS with 4 reps completed
#   5. HC_BAD_IN 0x0007: HV_STATUS_INVALID_HYPERCALL_CODE (2)
# each of partition 1, VP 0 (the kernel's annotation), with latency_cycles > 0. Runs from the
# build directory (as `make check` does).
hvsim=./hvsim
kern=tests/target/vmx_hcall.kernel
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
if [ ! -f "$kern" ]; then
    echo "FAIL check-hcall-trace: $kern is not built"
    exit 1
fi
fail=0
timeout 300 "$hvsim" run "${srcdir:-.}/tests/target/vmx_hcall.cfg" --kernel "$kern" --quiet \
    --trace "$tmp/t" >"$tmp/out" </dev/null
if ! grep -q '^# vmx_hcall: end, [0-9]* checks passed, 0 checks failed' "$tmp/out"; then
    echo "FAIL check-hcall-trace: the kernel's own checks failed"
    grep '^FAIL' "$tmp/out" | head -10
    fail=1
fi
# code fast rep_count rep_start status reps_done completed
cat >"$tmp/want" <<'EOF'
part=1 vp=0 code=70 fast=0 rep_count=0 rep_start=0 status=0 reps_done=0 completed=1
part=1 vp=0 code=93 fast=1 rep_count=0 rep_start=0 status=0 reps_done=0 completed=1
part=1 vp=0 code=3 fast=0 rep_count=4 rep_start=0 status=0 reps_done=2 completed=0
part=1 vp=0 code=3 fast=0 rep_count=4 rep_start=2 status=0 reps_done=4 completed=1
part=1 vp=0 code=7 fast=0 rep_count=0 rep_start=0 status=2 reps_done=0 completed=1
EOF
"$hvsim" trace dump "$tmp/t" --event hypercall >"$tmp/dump" || fail=1
# keep the named fields in a fixed order, whatever else a line holds; a value printed with its
# name, NAME(N), counts as N
awk '{ delete f
       for (i = 1; i <= NF; i++) if (split($i, kv, "=") == 2) {
           v = kv[2]
           if (match(v, /\([0-9]+\)$/)) v = substr(v, RSTART + 1, RLENGTH - 2)
           f[kv[1]] = v
       }
       printf "part=%s vp=%s code=%s fast=%s rep_count=%s rep_start=%s status=%s",
              f["part"], f["vp"], f["code"], f["fast"], f["rep_count"], f["rep_start"], f["status"]
       printf " reps_done=%s completed=%s\n", f["reps_done"], f["completed"] }' "$tmp/dump" >"$tmp/got"
if cmp -s "$tmp/want" "$tmp/got"; then
    echo "PASS check-hcall-trace: the 5 hypercall events match vmx_hcall.c (code, fast, reps," \
         "status, continuation)"
else
    echo "FAIL check-hcall-trace: hypercall events differ from vmx_hcall.c"
    diff "$tmp/want" "$tmp/got" | head -20
    fail=1
fi
lat=$(sed -n 's/.* latency_cycles=\([0-9]*\).*/\1/p' "$tmp/dump")
n=$(printf '%s\n' "$lat" | grep -c '^[1-9][0-9]*$')
if [ "$n" -eq 5 ]; then
    echo "PASS check-hcall-trace: every hypercall has a latency > 0 cycles"
else
    echo "FAIL check-hcall-trace: $n of 5 hypercalls have a latency > 0: $(echo $lat)"
    fail=1
fi
# with the hcall category off the trace has no hypercall event
timeout 300 "$hvsim" run "${srcdir:-.}/tests/target/vmx_hcall.cfg" --kernel "$kern" --quiet \
    --trace "$tmp/off" --trace-events vmx >/dev/null </dev/null
off=$("$hvsim" trace dump "$tmp/off" --event hypercall | wc -l)
exits=$("$hvsim" trace dump "$tmp/off" --event vm_exit | wc -l)
if [ "$off" -eq 0 ] && [ "$exits" -eq 6 ]; then
    echo "PASS check-hcall-trace: --trace-events vmx records the 6 VMCALL exits, no hypercall"
else
    echo "FAIL check-hcall-trace: --trace-events vmx: $off hypercall events, $exits exits" \
         "(want 0, 6)"
    fail=1
fi
exit $fail
