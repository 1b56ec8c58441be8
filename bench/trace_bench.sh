#!/bin/bash
# trace_bench.sh — `make trace-bench`: what recording a trace with the default categories costs
# (issue 6: "with the default categories the whole run is at most 10% slower than without
# tracing, and a trace of a billion-instruction run fits comfortably on disk";
# docs/PERFORMANCE.md "Trace overhead").
#
# Two long workloads, each run REPS times without and REPS times with `--trace DIR`, alternating
# (off, on, off, on, ...) so that a change of the host's load hits both alike:
#   vmx  bench/vmx_bench.kernel iters=V: VMCALL and CPUID loops of V iterations each, every
#        iteration a VM exit and a VM entry (the exit-dense worst case), 1 processor;
#   mp   bench/mp_bench.kernel rounds=M: 4 processors computing, with a periodic APIC timer
#        (20 us) and IPIs on each, no VMX.
# For each: the whole process's wall-clock seconds (best of REPS) and CPU seconds (user + sys,
# best of REPS: less sensitive to other processes on a shared machine), the overhead of tracing
# in both, the simulated instructions, the trace's size and events, and the size scaled to 10^9
# instructions. The simulated run is deterministic, so every repetition runs the same
# instructions and writes the same trace.
#
# Usage: trace_bench.sh [-s SRCDIR] [-r REPS] [-v VMX_ITERS] [-m MP_ROUNDS] [-k] (from the build
# directory; -k keeps the last traces in ./trace-bench.out).
set -u
src=.
reps=3
viters=100000
mrounds=20000
keep=0
while getopts s:r:v:m:k o; do
    case $o in
    s) src=$OPTARG ;;
    r) reps=$OPTARG ;;
    v) viters=$OPTARG ;;
    m) mrounds=$OPTARG ;;
    k) keep=1 ;;
    *) echo "usage: $0 [-s SRCDIR] [-r REPS] [-v VMX_ITERS] [-m MP_ROUNDS] [-k]" >&2; exit 2 ;;
    esac
done
hvsim=./hvsim
for f in "$hvsim" bench/vmx_bench.kernel bench/mp_bench.kernel; do
    [ -e "$f" ] || { echo "trace_bench: $f is not built (make trace-bench builds it)" >&2; exit 2; }
done
if [ $keep = 1 ]; then
    tmp=trace-bench.out
    rm -rf "$tmp" && mkdir -p "$tmp" || exit 1
else
    tmp=$(mktemp -d) || exit 1
    trap 'rm -rf "$tmp"' EXIT
fi

# run NAME CFG KERNEL APPEND TRACE(0/1): one run; prints "wall cpu"; keeps its summary
run() {
    local name=$1 cfg=$2 kern=$3 app=$4 tr=$5 t
    local args=(run "$src/$cfg" --kernel "$kern" --append "$app")
    [ "$tr" = 1 ] && { rm -rf "$tmp/$name.trace"; args+=(--trace "$tmp/$name.trace"); }
    TIMEFORMAT='%R %U %S'
    t=$( { time "$hvsim" "${args[@]}" </dev/null >"$tmp/$name.$tr.out" 2>&1; } 2>&1 )
    if ! grep -q 'checks failed' "$tmp/$name.$tr.out" || grep -q '^FAIL' "$tmp/$name.$tr.out"; then
        echo "trace_bench: $name (trace $tr) did not complete:" >&2
        tail -5 "$tmp/$name.$tr.out" >&2
        exit 1
    fi
    echo "$t" | awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }'
}

# bench NAME CFG KERNEL APPEND: the table row
bench() {
    local name=$1 off_w=1e9 off_c=1e9 on_w=1e9 on_c=1e9 r w c
    for ((r = 0; r < reps; r++)); do
        read -r w c < <(run "$@" 0) || exit 1
        off_w=$(awk -v a="$off_w" -v b="$w" 'BEGIN { print (b < a ? b : a) }')
        off_c=$(awk -v a="$off_c" -v b="$c" 'BEGIN { print (b < a ? b : a) }')
        read -r w c < <(run "$@" 1) || exit 1
        on_w=$(awk -v a="$on_w" -v b="$w" 'BEGIN { print (b < a ? b : a) }')
        on_c=$(awk -v a="$on_c" -v b="$c" 'BEGIN { print (b < a ? b : a) }')
    done
    local insns exits bytes events
    insns=$(awk '$1 == "instructions" { print $2; exit }' "$tmp/$name.0.out")
    exits=$(awk '$1 == "VM" && $2 == "exits" { print $3; exit }' "$tmp/$name.0.out")
    events=$(sed -n 's/^trace .*: \([0-9]*\) events.*/\1/p' "$tmp/$name.1.out")
    bytes=$(cat "$tmp/$name.trace"/* | wc -c)
    awk -v n="$name" -v i="$insns" -v x="${exits:-0}" -v ow="$off_w" -v nw="$on_w" \
        -v oc="$off_c" -v nc="$on_c" -v b="$bytes" -v e="${events:-?}" 'BEGIN {
        printf "%-4s %12d %8d %8.3f %8.3f %+7.1f%% %8.3f %8.3f %+7.1f%% %11d %9s %12.0f\n",
            n, i, x, ow, nw, (nw / ow - 1) * 100, oc, nc, (nc / oc - 1) * 100, b, e,
            b * 1e9 / i }'
}

echo "# trace_bench: $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)," \
     "best of $reps, vmx iters=$viters, mp rounds=$mrounds"
echo "#                             wall-clock s              CPU s (user+sys)          trace"
echo "# run  instructions    exits      off       on overhead      off       on overhead" \
     "      bytes    events bytes/10^9insn"
bench vmx bench/vmx_bench.cfg bench/vmx_bench.kernel "vmx_bench iters=$viters"
bench mp bench/mp_bench.cfg bench/mp_bench.kernel "mp_bench rounds=$mrounds"
