#!/bin/sh
# check-exception-trace.sh — the trace records exceptions, software interrupts and the
# VMX-preemption timer (docs/TRACE-FORMAT.md "Events": `exception` with its interruption type,
# `preempt_timer`). tests/target/trace_exc.kernel raises each event once at a labelled
# instruction; the expected vector, type, error code and RIP of each come from its source (see
# trace_exc.c) and the addresses from its symbol table, never from an earlier run:
#   type 6 software exception (INT3), 4 software interrupt (INT n), 5 privileged software
#   exception (INT1), 3 hardware exception (faults, the single-step #DB trap) — SDM Vol. 3 24.8.3.
# tests/target/vmx_preempt.kernel: its source causes 7 preemption-timer exits (value 0, values
# 1, 10, 1000, 20000, the saved value 50, the timer in HLT): 7 `preempt_timer` events, each
# directly before its exit (reason 52) on the same processor, at the same time, same VMCS.
# Runs from the build directory (as `make check` does).
hvsim=./hvsim
NM=${NM:-nm}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
pass() { echo "PASS check-exception-trace: $*"; }
bad() { echo "FAIL check-exception-trace: $*"; fail=1; }

kern=tests/target/trace_exc.kernel
if [ ! -f "$kern" ]; then
    bad "$kern is not built"
    exit 1
fi
timeout 300 "$hvsim" run "${srcdir:-.}/tests/target/trace_exc.cfg" --kernel "$kern" --quiet \
    --trace "$tmp/exc" >"$tmp/out" </dev/null
grep -q '^FAIL' "$tmp/out" && bad "the kernel's own checks failed: $(grep '^FAIL' "$tmp/out")"
# lp0's events without time and cycles: "NAME field=value ..."
"$hvsim" trace dump "$tmp/exc" | sed -n 's/^[0-9]* lp0 cycles=[0-9]* //p' >"$tmp/dump"
"$hvsim" trace dump "$tmp/exc" | awk '$2 == "lp0"' >"$tmp/full"

# the address of a symbol of the kernel, as the dump prints hex fields (0x, no leading zeros)
addr() {
    a=$("$NM" "$kern" | awk -v s="$1" '$3 == s { print $1 }')
    [ -n "$a" ] && printf '0x%x' "0x$a"
}
# expect LABEL VECTOR ERROR HAS_ERROR TYPE [OFFSET]: one exception event at LABEL (+OFFSET)
expect() {
    a=$(addr "$1") || { bad "no symbol $1 in $kern"; return; }
    a=$(printf '0x%x' $((a + ${6:-0})))
    line="exception vector=$2 error=$3 has_error=$4 rip=$a type=$5"
    n=$(grep -cx "$line" "$tmp/dump")
    if [ "$n" -eq 1 ]; then
        pass "$1: $line"
    else
        bad "$1: $n events '$line' (want 1); the exception events:"
        grep '^exception' "$tmp/dump" | head -20
    fi
}
expect te_int3_insn 3 0 0 6             # INT3: software exception
expect te_intn_insn 49 0 0 4            # INT 0x31: software interrupt
expect te_step_insn 1 0 0 3             # single-step trap after the NOP: hardware exception
expect te_icebp_insn 1 0 0 5            # INT1: privileged software exception
expect te_np_insn 129 0 0 4             # INT 0x81, then its delivery faults:
expect te_np_insn 11 0x40a 1 3          #   #NP(0x81 * 8 + 2)
expect te_into_insn 6 0 0 3             # INTO in 64-bit mode: #UD (a fault)
expect g_te_int3 3 0 0 6                # the guest's INT3, before its VM exit

# follows TEXT REGEX NAME [same]: the event of lp0 after the one containing TEXT matches REGEX
# (with "same": at the same time — the VM exit an event causes)
follows() {
    got=$(awk -v want="$1" 'found { print; exit } index($0, want) { found = 1 }' "$tmp/full")
    t1=$(grep -F -m1 "$1" "$tmp/full" | cut -d' ' -f1)
    if printf '%s\n' "$got" | grep -Eq "$2" && { [ "$4" != same ] || [ "${got%% *}" = "$t1" ]; }
    then
        pass "$3"
    else
        bad "$3: after '$1' came '$got'"
    fi
}
follows "exception vector=129 " " exception vector=11 error=0x40a has_error=1 " \
    "INT 0x81 is followed by the #NP of its delivery"
follows "exception vector=3 error=0 has_error=0 rip=$(addr g_te_int3) type=6" \
    " vm_exit .*reason=[A-Z_]*\(0\) .*intr_info=0x80000603 " \
    "the guest's INT3 is followed at once by its VM exit (reason 0, information 0x80000603)" same
n=$(grep -c '^preempt_timer ' "$tmp/dump")
if [ "$n" -eq 1 ]; then
    pass "one preempt_timer event in trace_exc"
else
    bad "$n preempt_timer events in trace_exc (want 1)"
fi
vmcs=$(sed -n 's/^preempt_timer vmcs=\(0x[0-9a-f]*\)$/\1/p' "$tmp/dump")
follows "preempt_timer vmcs=$vmcs" " vm_exit vmcs=$vmcs reason=[A-Z_]*\(52\) " \
    "preempt_timer is followed at once by its VM exit (reason 52, VMCS $vmcs)" same
if command -v babeltrace2 >/dev/null 2>&1; then
    n=$(babeltrace2 "$tmp/exc" 2>/dev/null | grep -c ' exception: .* type = [3-6] }')
    m=$(grep -c '^exception ' "$tmp/dump")
    if [ "$n" -eq "$m" ] && [ "$n" -ge 8 ]; then
        pass "babeltrace2 reads the type of all $n exception events"
    else
        bad "babeltrace2 shows $n exception events with a type 3..6, hvsim $m"
    fi
fi

kern=tests/target/vmx_preempt.kernel
if [ -f "$kern" ]; then
    timeout 300 "$hvsim" run "${srcdir:-.}/tests/target/vmx_preempt.cfg" --kernel "$kern" \
        --quiet --trace "$tmp/pre" >/dev/null </dev/null
    "$hvsim" trace dump "$tmp/pre" --event preempt_timer,vm_exit >"$tmp/pre.txt"
    # each preempt_timer line and the line after it: same lp and time, reason 52, same VMCS
    pairs=$(awk '{ split($0, f, " ") }
        prev != "" { split(prev, p, " ");
            if (f[1] == p[1] && f[2] == p[2] && f[4] == "vm_exit" && $0 ~ /reason=[A-Z_]*\(52\)/ &&
                f[5] == p[5]) ok++; prev = "" }
        $4 == "preempt_timer" { prev = $0; n++ }
        END { print n + 0, ok + 0 }' "$tmp/pre.txt")
    exits=$(grep -c 'reason=[A-Z_]*(52)' "$tmp/pre.txt")
    if [ "$pairs" = "7 7" ] && [ "$exits" -eq 7 ]; then
        pass "vmx_preempt: 7 preempt_timer events, each right before its exit 52"
    else
        bad "vmx_preempt: preempt_timer events, paired with their exit: $pairs;" \
            "exits 52: $exits (want 7 7, 7)"
    fi
else
    bad "$kern is not built"
fi
exit $fail
