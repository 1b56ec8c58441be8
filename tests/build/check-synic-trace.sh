#!/bin/sh
# check-synic-trace.sh — SynIC messages in the trace (docs/TRACE-FORMAT.md `synic_message`) of the
# default scenario (scenarios/default.cfg, default.partcfg). Expected counts come from the
# configuration and the workloads' sources, never from a run:
#   - the partition with the `message` workload posts WL_MSG_COUNT messages of type WL_MSG_TYPE
#     (partitions/child/wl_message.c) to the root's port: partition 1 receives exactly that many
#     synic_message of that type, caused by that partition (`trace stats`: it sent them);
#   - the partition with the `timer` workload gets WL_TIMER_TICKS HVMSG_TIMER_EXPIRED messages
#     (partitions/child/wl_timer.c: it waits for exactly that many ticks, then stops STIMER0);
#   - every intercept of a child reaches the root as one message (hv/synic/intercept.c):
#     HVMSG_X64_IO_PORT_INTERCEPT messages from child P (sender field = P) = P's IO_INSTRUCTION
#     exits in `trace stats`; MSR intercept and unmapped-GPA messages at most its RDMSR+WRMSR and
#     EPT_VIOLATION exits (most of those are the hypervisor's own MSRs and APIC page); no other
#     intercept type; all to partition 1;
#   - the Perfetto export has one `synic` flow start per flow end.
# Partition ids come from the trace's partition-created annotations (their names). Runs from the
# build directory (make check).
hvsim=./hvsim
src=${srcdir:-.}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
pass() { echo "PASS check-synic-trace: $*"; }
bad() { echo "FAIL check-synic-trace: $*"; fail=1; }

for f in hv/hvsim-hv.elf partitions/root/root.elf partitions/child/child.elf; do
    [ -f "$f" ] || { bad "$f is not built"; exit 1; }
done
define() { sed -n "s/^#define $2[ 	]*\([0-9a-fA-Fx]*\)u*.*/\1/p" "$src/partitions/child/$1"; }
nmsg=$(define wl_message.c WL_MSG_COUNT)
mtype=$(printf '%#x' "$(define wl_message.c WL_MSG_TYPE)")
nticks=$(define wl_timer.c WL_TIMER_TICKS)
[ -n "$nmsg" ] && [ -n "$nticks" ] && [ "$mtype" != 0 ] || { bad "constants not found in the sources"; exit 1; }
# the children with the workloads (default.partcfg sections)
child_with() {
    awk -v w="$1" '/^\[partition /{n=$2; sub(/\]$/, "", n)}
        /^workload *=/ && index($0, w) {print n}' "$src/scenarios/default.partcfg" | head -1
}
msg_child=$(child_with message)
tmr_child=$(child_with timer)

timeout 600 "$hvsim" run "$src/scenarios/default.cfg" --trace "$tmp/t" --max-insns 4000M \
    </dev/null >"$tmp/out" 2>"$tmp/err" || { bad "the run failed: $(tail -2 "$tmp/err")"; exit 1; }
"$hvsim" trace dump "$tmp/t" >"$tmp/dump" || { bad "trace dump failed"; exit 1; }
"$hvsim" trace stats --csv "$tmp/t" >"$tmp/stats" || { bad "trace stats failed"; exit 1; }
"$hvsim" trace export "$tmp/t" --format perfetto -o "$tmp/json" || { bad "export failed"; exit 1; }

# partition id of a name: annotation kind 2, a1.. = the name's bytes, little-endian
part_of() {
    hex=$(printf '%s' "$1" | od -An -tx1 | tr -d ' \n' | sed 's/\(..\)/\1 /g' |
          awk '{for (i = NF; i >= 1; i--) printf "%s", $i}' | sed 's/^0*//')
    awk -v h="0x$hex" '/ annotation kind=2 / {
        for (i = 1; i <= NF; i++) { if ($i ~ /^a0=/) id = substr($i, 4); if ($i ~ /^a1=/) a1 = substr($i, 4) }
        if (a1 == h) { print id + 0; exit } }' "$tmp/dump"
}
P_MSG=$(part_of "$msg_child")
P_TMR=$(part_of "$tmr_child")
[ -n "$P_MSG" ] && [ -n "$P_TMR" ] || { bad "no partition-created annotation for $msg_child / $tmr_child"; exit 1; }

# count DST TYPE [SENDER]: synic_message events to partition DST of type TYPE (as dumped)
count() {
    awk -v d="dst_partition=$1" -v t="$2" -v s="${3:-}" '
        / synic_message / {
            ok = 0; okt = 0; oks = (s == "")
            for (i = 1; i <= NF; i++) {
                if ($i == d) ok = 1
                if ($i == "msg_type=" t || index($i, "msg_type=" t "(") == 1) okt = 1
                if (s != "" && $i == "sender=" s) oks = 1
            }
            if (ok && okt && oks) n++
        }
        END { print n + 0 }' "$tmp/dump"
}
exits() {   # exits PARTITION REASON (trace stats --csv)
    awk -F, -v g="partition $1" -v r="$2" '$1 == "exit" && $2 == g && $3 == r {print $4}' \
        "$tmp/stats" | head -1 | sed 's/^$/0/;s/^\([0-9]*\)$/\1/' | awk '{print $1 + 0}'
}

n=$(count 1 "$mtype")
if [ "$n" -eq "$nmsg" ]; then pass "partition 1 received $n messages of type $mtype (WL_MSG_COUNT)"
else bad "partition 1 received $n messages of type $mtype, expected $nmsg"; fi
sent=$(awk -F, -v g="partition $P_MSG" '$1 == "synic_sent" && $2 == g && $3 == "messages" {print $4}' "$tmp/stats")
[ -n "$sent" ] && [ "$sent" -ge "$nmsg" ] && pass "partition $P_MSG ($msg_child) is counted as their sender" ||
    bad "partition $P_MSG sent ${sent:-no} messages by trace stats"

n=$(count "$P_TMR" HVMSG_TIMER_EXPIRED)
if [ "$n" -eq "$nticks" ]; then pass "partition $P_TMR ($tmr_child) received $n HVMSG_TIMER_EXPIRED (WL_TIMER_TICKS)"
else bad "partition $P_TMR received $n timer messages, expected $nticks"; fi
n=$(grep ' synic_message ' "$tmp/dump" | grep -c 'HVMSG_TIMER_EXPIRED')
[ "$n" -eq "$nticks" ] && pass "no other timer message" || bad "$n timer messages in all, expected $nticks"

for p in $(awk '/ annotation kind=2 /{for(i=1;i<=NF;i++) if($i ~ /^a0=/) print substr($i,4)+0}' "$tmp/dump" | sort -u); do
    [ "$p" = 1 ] && continue
    io=$(exits "$p" IO_INSTRUCTION)
    msr=$(( $(exits "$p" RDMSR) + $(exits "$p" WRMSR) ))
    ept=$(exits "$p" EPT_VIOLATION)
    sx=$(printf '%#x' "$p")
    nio=$(count 1 HVMSG_X64_IO_PORT_INTERCEPT "$sx")
    nmsr=$(count 1 HVMSG_X64_MSR_INTERCEPT "$sx")
    ngpa=$(count 1 HVMSG_UNMAPPED_GPA "$sx")
    if [ "$io" -gt 0 ] && [ "$nio" -eq "$io" ]; then
        pass "partition $p: $nio I/O intercept messages to partition 1 = its IO_INSTRUCTION exits"
    else bad "partition $p: $nio I/O intercept messages, $io IO_INSTRUCTION exits"; fi
    [ "$nmsr" -le "$msr" ] && [ "$ngpa" -le "$ept" ] &&
        pass "partition $p: $nmsr MSR intercepts <= $msr MSR exits, $ngpa unmapped GPA <= $ept EPT violations" ||
        bad "partition $p: $nmsr MSR intercepts ($msr exits), $ngpa unmapped GPA ($ept exits)"
    other=$(grep ' synic_message ' "$tmp/dump" | grep "sender=$sx " | grep 'msg_type=HVMSG_\(X64\|UNMAPPED\|GPA\)' |
            grep -v 'dst_partition=1 ' | wc -l)
    [ "$other" -eq 0 ] && pass "partition $p: every intercept message goes to partition 1" ||
        bad "partition $p: $other intercept messages to another partition"
done

ns=$(grep -o '"name":"synic","cat":"annot","ph":"s"' "$tmp/json" | wc -l)
nf=$(grep -o '"name":"synic","cat":"annot","ph":"f"' "$tmp/json" | wc -l)
[ "$ns" -gt 0 ] && [ "$ns" -eq "$nf" ] && pass "perfetto: $ns synic flows, each with its end" ||
    bad "perfetto: $ns flow starts, $nf ends"
exit $fail
