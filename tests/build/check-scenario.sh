#!/bin/sh
# check-scenario.sh — the product scenario end to end (docs/HYPERVISOR.md "The scenario",
# docs/TESTING.md "Golden files"): scenarios/default.cfg (the hypervisor, the root partition, the
# children of default.partcfg) is run twice with --trace. It must:
#   - end by ACPI soft-off (exit status 0 and the soft-off stop reason), twice;
#   - give byte-identical traces (hvsim trace diff) and identical console output;
#   - show each child's console lines as "[child1] ...", "[child2] ..." (the root's COM1
#     emulation), with the values known independently: pi(20000) = 2262 primes, their sum
#     21171191; child1's three messages on its port; the root's summary line per child
#     ("finished, status 0") and its power-off line;
#   - SMP (docs/HYPERVISOR.md "VPs online"): the root starts its VPs 1..n-1, n = `cpus` of
#     default.cfg (hvsim's MADT gives LP k the APIC ID k: sim/acpi.c), each "online"; child2's
#     `smp` workload over its `vps` VPs (read from default.partcfg) sums the primes below two
#     million: pi(2 000 000) = 148933, sum 142913828922 (Project Euler 10);
#   - root intercepts on every root VP (docs/HYPERVISOR.md "Intercepts": a child VP's intercept
#     goes to the root VP on its LP, VP k runs on LP k): the root's `root: VP k handled N
#     intercepts` lines, one per LP, are compared with an independent count from the trace
#     (`hvsim trace stats`, the hypervisor's own exit records): child VP v of partition P runs
#     on LP (P + v) mod cpus (docs/HYPERVISOR.md "Scheduling"), and each of a child's
#     IO_INSTRUCTION exits is one intercept (the hypervisor emulates no port for a child), so
#     VP k's N must be the sum of the I/O exits of the child VPs on LP k — provided the children
#     had no other intercepts: the root prints a line for each MSR intercept (`[name] msr read`
#     / `msr write`) and for an access outside a child's memory, and any other kind stops the
#     child, so no such line and both summaries "finished" mean none happened. (Every root VP's
#     SynIC is set up before the first child starts, so the hypervisor's fallback to VP 0
#     never applies here.) Child2's VP 0 (partition 3) is on LP 1 with 2 LPs, so VP 1's N must
#     be > 0; the sum of the N must also equal the HVMSG_X64_IO_PORT_INTERCEPT messages the
#     root partition received (trace stats, partition 1);
#   - match tests/golden/default.events exactly: per partition, the sequence of
#     (partition, VP, event, exit reason | hypercall code + status | annotation kind), without
#     times or cycles (`events` below).
# A deliberate change of that sequence: `make golden-update` (or this script with --update, from
# the build directory) rewrites the golden file; review its diff before committing it.
# Runs from the build directory (as `make check` does).
hvsim=./hvsim
src=${srcdir:-.}
golden="$src/tests/golden/default.events"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
pass() { echo "PASS check-scenario: $*"; }
bad() { echo "FAIL check-scenario: $*"; fail=1; }

for f in hv/hvsim-hv.elf partitions/root/root.elf partitions/child/child.elf; do
    [ -f "$f" ] || { bad "$f is not built"; exit 1; }
done

# events TRACE: one line per event of a partition (and per annotation), grouped by partition
# (a stable sort keeps each partition's order): "P VP EVENT DETAIL".
events() {
    "$hvsim" trace dump "$1" | awk '
        {
            part = "-"; vp = "-"; ev = ""; det = ""
            for (i = 2; i <= NF; i++) {
                if ($i ~ /^part=/) part = substr($i, 6)
                else if ($i ~ /^vp=/) vp = substr($i, 4)
                else if (ev == "" && $i !~ /=/ && $i !~ /^lp[0-9]/) ev = $i
                else if ($i ~ /^(reason|code|status|kind)=/) det = det " " $i
            }
            if (ev == "vm_entry" || ev == "") next
            if (part == "-" && ev != "annotation") next
            print part, vp, ev det
        }' | sort -s -k1,1
}

run() {
    timeout 600 "$hvsim" run "$src/scenarios/default.cfg" --trace "$tmp/t$1" \
        --max-insns 4000M </dev/null >"$tmp/out$1" 2>"$tmp/err$1"
    echo $? >"$tmp/st$1"
}

if [ "${1:-}" = "--update" ]; then
    run 1
    if [ "$(cat "$tmp/st1")" != 0 ]; then
        echo "check-scenario --update: the run ended with status $(cat "$tmp/st1"), not 0:" \
             "golden file not written"
        exit 1
    fi
    events "$tmp/t1" >"$golden" && echo "wrote $golden ($(wc -l <"$golden") events)"
    exit 0
fi

run 1
run 2
for k in 1 2; do
    st=$(cat "$tmp/st$k")
    if [ "$st" -eq 0 ] && grep -q '^stopped .*ACPI soft-off' "$tmp/err$k"; then
        pass "run $k ends by ACPI soft-off"
    else
        bad "run $k: exit status $st, $(grep '^stopped' "$tmp/err$k")"
    fi
done
if "$hvsim" trace diff "$tmp/t1" "$tmp/t2" >"$tmp/diff" 2>&1; then
    pass "the two traces are identical"
else
    bad "the traces differ: $(head -3 "$tmp/diff")"
fi
if cmp -s "$tmp/out1" "$tmp/out2"; then pass "the two console outputs are identical"
else bad "the console outputs differ"; fi

# expect LINE : LINE appears verbatim on the console of run 1
expect() {
    if grep -qxF -- "$1" "$tmp/out1"; then pass "$1"; else bad "missing line: $1"; fi
}
expect "[child1] child child1: compute: 2262 primes below 20000, sum 21171191"
expect "[child2] child child2: compute: 2262 primes below 20000, sum 21171191"
for k in 1 2 3; do
    expect "[child1] child child1: message: PostMessage $k on connection 0x1000: SUCCESS"
done
expect "[child1] child child1: done"
expect "[child2] child child2: done"
# the root's VPs: one per LP of the configuration
cpus=$(sed -n 's/^cpus *= *\([0-9][0-9]*\).*/\1/p' "$src/scenarios/default.cfg")
k=1
while [ "$k" -lt "${cpus:-1}" ]; do
    expect "root: VP $k online (APIC ID $k)"
    k=$((k + 1))
done
expect "root: ${cpus:-1} of ${cpus:-1} VPs online"
# child2's VPs and its smp workload
vps2=$(awk '/^\[partition /{ p = $2 } p == "child2]" && $1 == "vps" { print $3 }' \
       "$src/scenarios/default.partcfg")
smp2="[child2] child child2: smp: ${vps2:-1} VPs, 148933 primes below 2000000,"
expect "$smp2 sum 142913828922 (correct)"
if grep -q '^\[child1\] child child1: timer: 5 ticks of STIMER0 (period 10000 us, SINT 1), ' \
        "$tmp/out1"; then
    pass "child1 counted 5 timer ticks"
else
    bad "child1's timer line: $(grep 'timer:' "$tmp/out1")"
fi
n=$(grep -c '^pm: child1: message [123] on port 0x100 (type 0x100, ' "$tmp/out1")
if [ "$n" -eq 3 ]; then pass "the root received child1's 3 messages"
else bad "the root printed $n of child1's 3 messages"; fi
expect "root: summary: child1 (partition 2): finished, status 0; 3 messages; deleted: SUCCESS"
expect "root: summary: child2 (partition 3): finished, status 0; 0 messages; deleted: SUCCESS"
if grep -q '^root: power off (ACPI S5' "$tmp/out1"; then pass "the root powers off"
else bad "no power-off line from the root"; fi

# intercepts per root VP against the children's I/O exits per LP (header)
"$hvsim" trace stats "$tmp/t1" >"$tmp/stats" 2>&1
if grep -qE '^\[child[0-9]*\] msr (read|write) |outside its memory' "$tmp/out1"; then
    bad "a child had MSR or memory intercepts: the I/O-exit relation below does not hold"
fi
k=0
total=0
while [ "$k" -lt "${cpus:-1}" ]; do
    want=$(awk -v lp="$k" -v n="${cpus:-1}" '
        /^partition [0-9]+ vp [0-9]+:/ { p = $2; v = $4 + 0; next }
        /^partition [0-9]+:/ || /^all:/ { p = 0; next }
        p > 1 && $1 == "IO_INSTRUCTION" && (p + v) % n == lp { s += $2 }
        END { print s + 0 }' "$tmp/stats")
    got=$(sed -n "s/^root: VP $k handled \([0-9][0-9]*\) intercepts*\$/\1/p" "$tmp/out1")
    if [ -n "$got" ] && [ "$got" -eq "$want" ]; then
        pass "root VP $k handled $got intercepts = the I/O exits of the child VPs on LP $k"
    else
        bad "root VP $k handled '${got}' intercepts, the child VPs on LP $k made $want I/O exits"
    fi
    total=$((total + ${got:-0}))
    k=$((k + 1))
done
got1=$(sed -n 's/^root: VP 1 handled \([0-9][0-9]*\) intercepts*$/\1/p' "$tmp/out1")
if [ "${cpus:-1}" -ge 2 ] && [ "${got1:-0}" -gt 0 ]; then
    pass "root VP 1 handled child2's intercepts ($got1)"
else
    bad "root VP 1 handled no intercepts (${got1:-no line})"
fi
recv=$(awk '/^partition 1:/ { r = 1 } /^partition [02-9]/ { r = 0 }
            r && $1 == "HVMSG_X64_IO_PORT_INTERCEPT" { print $2; exit }' "$tmp/stats")
if [ "$total" -eq "${recv:--1}" ]; then
    pass "the root VPs' counts add up to the $recv intercept messages the root received"
else
    bad "the root VPs' counts add up to $total, the root received ${recv:-?} intercept messages"
fi

events "$tmp/t1" >"$tmp/events"
if [ ! -f "$golden" ]; then
    bad "no golden file $golden (make golden-update)"
elif cmp -s "$golden" "$tmp/events"; then
    pass "the event sequence matches $golden ($(wc -l <"$golden") events)"
else
    bad "the event sequence differs from $golden (make golden-update if deliberate):"
    diff "$golden" "$tmp/events" | head -10
fi
exit $fail
