#!/bin/sh
# determinism.sh — the determinism rule through the `hvsim` binary: the same kernel or program,
# run twice, gives byte-identical guest output and identical run summaries (stop reason,
# instructions, cycles, halted cycles, TLB and exception counts, virtual time). Only the two
# host-measured summary lines (wall time, simulated MIPS) may differ and are left out.
#
# Runs from the build directory (as `make check` does). Prints one PASS/FAIL line per case and
# exits 1 if any case failed.
hvsim=./hvsim
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0

# run_twice NAME ARGS...: run `hvsim ARGS` twice and compare.
run_twice() {
    name=$1; shift
    for k in 1 2; do
        # a hang of the simulator must fail this case, not block the test command
        timeout 300 "$hvsim" "$@" </dev/null >"$tmp/$name.out$k" 2>"$tmp/$name.err$k"
        echo "exit status $?" >>"$tmp/$name.err$k"
        grep -v -e '^wall time' -e '^simulated MIPS' "$tmp/$name.err$k" >"$tmp/$name.sum$k"
    done
    if ! grep -q '^instructions  *[1-9]' "$tmp/$name.sum1"; then
        echo "FAIL determinism $name: no run summary with a nonzero instruction count:"
        cat "$tmp/$name.err1"
        fail=1
    elif ! cmp -s "$tmp/$name.out1" "$tmp/$name.out2"; then
        echo "FAIL determinism $name: the guest output differs between two runs"
        diff "$tmp/$name.out1" "$tmp/$name.out2" | head -20
        fail=1
    elif ! cmp -s "$tmp/$name.sum1" "$tmp/$name.sum2"; then
        echo "FAIL determinism $name: the run summary differs between two runs"
        diff "$tmp/$name.sum1" "$tmp/$name.sum2" | head -20
        fail=1
    else
        echo "PASS determinism $name: $(grep '^instructions' "$tmp/$name.sum1" | tr -s ' '), \
$(grep '^cycles' "$tmp/$name.sum1" | tr -s ' '), identical output and summary"
    fi
}

for k in tests/target/*.kernel; do
    [ -f "$k" ] || continue
    base=$(basename "$k" .kernel)
    cfg=
    [ -f "$srcdir/tests/target/$base.cfg" ] && cfg="$srcdir/tests/target/$base.cfg"
    run_twice "run-$base" run $cfg --kernel "$k" --max-insns 200M
done
# COM1 input from a file and from a replay log: the echo kernel stamps every byte with the TSC
if [ -f tests/target/mb_echo.kernel ]; then
    printf 'hello, determinism\n\004' >"$tmp/input.txt"
    run_twice run-mb_echo-file run --kernel tests/target/mb_echo.kernel --serial-in "$tmp/input.txt"
    printf 'hvsim-serial-log 1\n1000000000 68 69\n2500000000 0a\n2500000001 04\n' >"$tmp/in.replay"
    run_twice run-mb_echo-replay run --kernel tests/target/mb_echo.kernel \
        --serial-replay "$tmp/in.replay"
fi
# Traces (docs/TRACE-FORMAT.md): two recordings of the same multi-processor runs are identical
# byte for byte, and `hvsim trace diff` finds the first difference when an input changes.
trace_twice() {
    name=$1; shift
    for k in 1 2; do
        rm -rf "$tmp/$name.trace$k"
        timeout 300 "$hvsim" run "$@" --quiet --trace "$tmp/$name.trace$k" --trace-events all \
            </dev/null >/dev/null 2>&1
    done
    if [ ! -f "$tmp/$name.trace1/metadata" ]; then
        echo "FAIL determinism trace-$name: no trace was written"
        fail=1
    elif ! diff -r "$tmp/$name.trace1" "$tmp/$name.trace2" >/dev/null; then
        echo "FAIL determinism trace-$name: two recordings differ"
        "$hvsim" trace diff "$tmp/$name.trace1" "$tmp/$name.trace2" | tail -3
        fail=1
    else
        echo "PASS determinism trace-$name: two recordings identical ($(cat "$tmp/$name.trace1"/* |
            wc -c) bytes)"
    fi
}
for k in ipi vmx_sipi; do
    [ -f "tests/target/$k.kernel" ] &&
        trace_twice "$k" "$srcdir/tests/target/$k.cfg" --kernel "tests/target/$k.kernel"
done
if [ -f tests/target/mb_echo.kernel ]; then
    printf 'hvsim-serial-log 1\n1000000000 68 65 6c 6c 6f 0a\n2000000000 04\n' >"$tmp/in1.log"
    printf 'hvsim-serial-log 1\n1000000000 68 65 6c 6c 70 0a\n2000000000 04\n' >"$tmp/in2.log"
    for k in 1 2; do
        timeout 300 "$hvsim" run --kernel tests/target/mb_echo.kernel --serial-replay \
            "$tmp/in$k.log" --quiet --trace "$tmp/echo$k" </dev/null >/dev/null 2>&1
    done
    out=$("$hvsim" trace diff "$tmp/echo1" "$tmp/echo2")
    st=$?
    if [ $st -eq 1 ] && printf '%s\n' "$out" | grep -q "input_serial uart=0 byte=111" &&
       printf '%s\n' "$out" | grep -q "input_serial uart=0 byte=112"; then
        echo "PASS determinism trace-diff: a changed input byte is the first difference"
    else
        echo "FAIL determinism trace-diff: expected the 5th input byte ('o' 111 vs 'p' 112) as" \
             "the first difference, got status $st:"
        printf '%s\n' "$out" | tail -4
        fail=1
    fi
fi
for p in paging smc exceptions; do
    [ -f "tests/target/$p.elf" ] && run_twice "exec-$p" exec --max-insns 200M "tests/target/$p.elf"
done
exit $fail
