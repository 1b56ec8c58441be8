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
exit $fail
