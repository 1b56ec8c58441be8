#!/bin/sh
# check-hv-stimer.sh — synthetic timers and the idle LP's wake-up on the target
# (docs/HYPERVISOR.md "Synthetic timers"): scenarios/default.cfg, whose child1 runs the `timer`
# workload (STIMER0 periodic, 10 ms, message mode on SINT 1, 5 expiries, halting in between),
# once with the default CPU model (TSC-deadline mode, CPUID.1:ECX[24] = 1) and once with a copy
# of the model without TSC-deadline (the calibrated one-shot mode), and that one-shot run again
# with the hypervisor's local APIC in x2APIC mode (`x2apic` on its command line: the timer's
# registers are then MSRs 832H-83EH, SDM Vol. 3 11.12.1.2). Each run must:
#   - end by ACPI soft-off with child1's line "timer: 5 ticks of STIMER0 (period 10000 us,
#     SINT 1), T ms of reference time" where 50.000 <= T < 50.100: the fifth expiry is due 50 ms
#     after the timer starts (T can't be less: no expiry is delivered early), and an expiry that
#     finds its LP idle is delivered within microseconds (the APIC timer at the deadline), not
#     at some later event (100 us is 1% of a period);
#   - show the local APIC timer in the expected mode (trace apic_timer_arm mode=2 TSC-deadline,
#     mode=0 one-shot) firing vector 241 (F1H, HV_VECTOR_TIMER) at least once, and every such
#     interrupt delivered in the hypervisor (RIP inside its image), never to a partition.
# Runs from the build directory (as `make check` does).
hvsim=./hvsim
src=${srcdir:-.}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
pass() { echo "PASS check-hv-stimer: $*"; }
bad() { echo "FAIL check-hv-stimer: $*"; fail=1; }

for f in hv/hvsim-hv.elf partitions/root/root.elf partitions/child/child.elf; do
    [ -f "$f" ] || { bad "$f is not built"; exit 1; }
done

# the default model without TSC-deadline (CPUID.1:ECX bit 24, written 0x1000000 in leaf 1 ECX)
model="$src/cpu/models/default.model"
sed '/^cpuid 0x1 /s/|0x1000000|0x4000000 /|0x4000000 /' "$model" >"$tmp/oneshot.model"
if grep '^cpuid 0x1 ' "$tmp/oneshot.model" | awk '{ print $6 }' | grep -q 0x1000000; then
    bad "could not remove TSC-deadline from a copy of $model"
    exit 1
fi
for m in deadline oneshot oneshot-x2apic; do
    {
        echo "kernel = @build/hv/hvsim-hv.elf"
        echo "module = @build/partitions/root/root.elf"
        echo "module = @build/partitions/child/child.elf,child.elf"
        echo "module = $(cd "$src/scenarios" && pwd)/default.partcfg,partcfg"
        echo "mem = 128M"
        echo "cpus = 2"
        [ $m != deadline ] && echo "cycle-model = $tmp/oneshot.model"
        [ $m = oneshot-x2apic ] && echo 'append = "x2apic"'
    } >"$tmp/$m.cfg"
done

check() {   # check NAME MODE
    name=$1
    mode=$2
    timeout 600 "$hvsim" run "$tmp/$name.cfg" --trace "$tmp/t-$name" --max-insns 4000M \
        </dev/null >"$tmp/out-$name" 2>&1
    st=$?
    if [ $st != 0 ] || ! grep -q 'root: power off' "$tmp/out-$name"; then
        bad "$name: the run ended with status $st without the root's power-off:"
        tail -20 "$tmp/out-$name"
        return
    fi
    line=$(grep 'child child1: timer:' "$tmp/out-$name")
    ms=$(echo "$line" | sed -n \
        's/.*timer: 5 ticks of STIMER0 (period 10000 us, SINT 1), \([0-9]*\.[0-9]*\) ms of reference time$/\1/p')
    if [ -z "$ms" ]; then
        bad "$name: child1's timer line: '$line'"
    elif awk -v t="$ms" 'BEGIN { exit !(t >= 50.000 && t < 50.100) }'; then
        pass "$name: 5 expiries of 10 ms in $ms ms of reference time"
    else
        bad "$name: 5 expiries of 10 ms took $ms ms of reference time (expected [50.000, 50.100))"
    fi
    "$hvsim" trace dump "$tmp/t-$name" >"$tmp/dump-$name" 2>/dev/null
    arms=$(grep -c "apic_timer_arm mode=$mode " "$tmp/dump-$name")
    other=$(grep apic_timer_arm "$tmp/dump-$name" | grep -vc "apic_timer_arm mode=$mode ")
    fires=$(grep -c 'apic_timer_fire vector=241 ' "$tmp/dump-$name")
    if [ "$arms" -gt 0 ] && [ "$other" = 0 ] && [ "$fires" -gt 0 ]; then
        pass "$name: $arms arms of the APIC timer in mode $mode, $fires expiries on vector 241"
    else
        bad "$name: APIC timer: $arms arms in mode $mode, $other in other modes, $fires fires"
    fi
    # the image range from the hypervisor's log line "hv: image [0x..., 0x...)"
    range=$(sed -n 's/^hv: image \[\(0x[0-9a-f]*\), \(0x[0-9a-f]*\)).*/\1 \2/p' "$tmp/out-$name")
    outside=0
    if [ -n "$range" ]; then
        lo=$((${range% *}))
        hi=$((${range#* }))
        for rip in $(grep 'irq_deliver vector=241 ' "$tmp/dump-$name" |
                     sed -n 's/.* rip=\(0x[0-9a-fA-F]*\).*/\1/p'); do
            if [ $((rip)) -lt $lo ] || [ $((rip)) -ge $hi ]; then
                outside=$((outside + 1))
            fi
        done
    fi
    delivered=$(grep -c 'irq_deliver vector=241 ' "$tmp/dump-$name")
    if [ -n "$range" ] && [ "$outside" = 0 ] && [ "$delivered" = "$fires" ]; then
        pass "$name: every vector-241 interrupt ($delivered) taken by the hypervisor [$range)"
    else
        bad "$name: vector 241: $delivered delivered for $fires fires, $outside outside the" \
            "hypervisor's image [$range)"
    fi
}

check deadline 2
check oneshot 0
check oneshot-x2apic 0
if grep -q '^hv: local APIC in x2APIC mode$' "$tmp/out-oneshot-x2apic" &&
    grep -q '^hv: local APIC in xAPIC mode$' "$tmp/out-oneshot"; then
    pass "oneshot-x2apic: the hypervisor drives its local APICs in x2APIC mode"
else
    bad "oneshot-x2apic: $(grep '^hv: local APIC' "$tmp/out-oneshot-x2apic")"
fi
exit $fail
