#!/bin/sh
# check-babeltrace.sh — the standard CTF tools read hvsim's traces (docs/TRACE-FORMAT.md): a real
# run of a multi-processor kernel is recorded with every category, and babeltrace2 (Debian's,
# installed by ./hvsim.sh test) must print exactly as many events as hvsim's own reader, with the
# same count for each event name. Runs from the build directory (as `make check` does).
hvsim=./hvsim
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
if ! command -v babeltrace2 >/dev/null 2>&1; then
    echo "FAIL check-babeltrace: babeltrace2 is not installed (./hvsim.sh test installs it)"
    exit 1
fi
fail=0
for k in ipi vmx_ept; do
    kern=tests/target/$k.kernel
    [ -f "$kern" ] || { echo "FAIL check-babeltrace $k: $kern is not built"; fail=1; continue; }
    timeout 300 "$hvsim" run "${srcdir:-.}/tests/target/$k.cfg" --kernel "$kern" --quiet \
        --trace "$tmp/$k" --trace-events all >/dev/null </dev/null
    ours=$("$hvsim" trace dump "$tmp/$k" | awk '{ for (i = 1; i <= NF; i++)
        if ($i !~ /=/ && i > 2 && $i !~ /^cycles/) { print $i; break } }' | sort | uniq -c)
    theirs=$(babeltrace2 "$tmp/$k" 2>"$tmp/bt.err" | sed -n 's/^\[[^]]*\] ([^)]*) \([a-z_0-9]*\):.*/\1/p' |
        sort | uniq -c)
    n=$(printf '%s\n' "$ours" | awk '{ s += $1 } END { print s + 0 }')
    if [ "$n" -eq 0 ]; then
        echo "FAIL check-babeltrace $k: the trace has no events"
        fail=1
    elif [ "$ours" != "$theirs" ]; then
        echo "FAIL check-babeltrace $k: babeltrace2 and hvsim trace dump disagree"
        printf 'hvsim:\n%s\nbabeltrace2:\n%s\n' "$ours" "$theirs" | head -40
        head -5 "$tmp/bt.err"
        fail=1
    else
        echo "PASS check-babeltrace $k: babeltrace2 reads all $n events, per event name as hvsim"
    fi
done
# Software annotations (traces/annot_abi.h): vmx_basic names its first VMCS partition 1, VP 0;
# every VM entry and exit with that VMCS must carry that identity, the others none.
kern=tests/target/vmx_basic.kernel
if [ -f "$kern" ]; then
    timeout 300 "$hvsim" run "${srcdir:-.}/tests/target/vmx_basic.cfg" --kernel "$kern" --quiet \
        --trace "$tmp/basic" >/dev/null </dev/null
    ann=$("$hvsim" trace dump "$tmp/basic" --event annotation | grep -c 'kind=1 ')
    vmcs=$("$hvsim" trace dump "$tmp/basic" --event annotation | sed -n 's/.* a0=\(0x[0-9a-f]*\) .*/\1/p')
    tagged=$("$hvsim" trace dump "$tmp/basic" --event vm_entry,vm_exit --partition 1 |
        grep -c " part=1 vp=0 .* vmcs=$vmcs ")
    same=$("$hvsim" trace dump "$tmp/basic" --event vm_entry,vm_exit | grep -c " vmcs=$vmcs ")
    bt=$(babeltrace2 "$tmp/basic" 2>/dev/null | grep -c 'partition = 1, vp = 0 }, { vmcs')
    if [ "$ann" -eq 1 ] && [ "$tagged" -gt 0 ] && [ "$tagged" -eq "$same" ] && [ "$bt" -eq "$tagged" ]
    then
        echo "PASS check-babeltrace annotations: the VMCS identity tags all $tagged entries/exits" \
             "of VMCS $vmcs (babeltrace2 agrees)"
    else
        echo "FAIL check-babeltrace annotations: $ann identity annotation(s), $tagged of $same" \
             "entries/exits of VMCS '$vmcs' tagged partition 1, babeltrace2 saw $bt"
        fail=1
    fi
fi
exit $fail
