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
# Replay and verify (docs/TRACE-FORMAT.md "Replay", "Verifying a run"): `hvsim replay` re-runs a
# recorded trace from its inputs and reproduces it byte for byte, including input that arrived
# live from the host at times only the trace knows; `hvsim run --verify` names the first event a
# changed input alters; a changed image is refused by replay.
replay_ok() {
    name=$1; trace=$2
    out=$(timeout 300 "$hvsim" replay "$trace" --quiet </dev/null 2>&1 >/dev/null)
    st=$?
    if [ $st -eq 0 ] && printf '%s\n' "$out" | grep -q "reproduced byte for byte"; then
        echo "PASS determinism replay-$name: $(printf '%s\n' "$out" | tail -1)"
    else
        echo "FAIL determinism replay-$name: status $st"
        printf '%s\n' "$out" | tail -12
        fail=1
    fi
}
for k in ipi vmx_sipi; do
    [ -f "$tmp/$k.trace1/metadata" ] && replay_ok "$k" "$tmp/$k.trace1"
done
if [ -f tests/target/mb_echo.kernel ]; then
    # live input through a pipe: its arrival times depend on the host, the trace records them
    (printf 'hel'; sleep 0.2; printf 'lo\n\004') |
        timeout 300 "$hvsim" run --kernel tests/target/mb_echo.kernel --serial-in stdio --quiet \
            --trace "$tmp/live" >/dev/null 2>&1
    replay_ok live-input "$tmp/live"
    replay_ok serial-replay-input "$tmp/echo1"
    out=$(timeout 300 "$hvsim" run --kernel tests/target/mb_echo.kernel --serial-replay \
        "$tmp/in1.log" --quiet --verify "$tmp/echo1" </dev/null 2>&1 >/dev/null)
    st=$?
    if [ $st -eq 1 ] && printf '%s\n' "$out" | grep -q "14 events identical"; then
        echo "PASS determinism verify-same: the same run matches its trace"
    else
        echo "FAIL determinism verify-same: status $st (expected the guest's 1), output:"
        printf '%s\n' "$out" | tail -5
        fail=1
    fi
    out=$(timeout 300 "$hvsim" run --kernel tests/target/mb_echo.kernel --serial-replay \
        "$tmp/in2.log" --quiet --verify "$tmp/echo1" </dev/null 2>&1 >/dev/null)
    st=$?
    if [ $st -eq 16 ] &&
       printf '%s\n' "$out" | grep -q "reference: 1000000000 machine .*input_serial uart=0 byte=111" &&
       printf '%s\n' "$out" | grep -q "this run:  1000000000 machine .*input_serial uart=0 byte=112" &&
       printf '%s\n' "$out" | grep -q "registers of lp0 at the divergence"; then
        echo "PASS determinism verify-changed-input: the changed byte is the divergence"
    else
        echo "FAIL determinism verify-changed-input: expected status 16 and input byte 111 vs" \
             "112, got status $st:"
        printf '%s\n' "$out" | tail -12
        fail=1
    fi
    cp tests/target/mb_echo.kernel "$tmp/echo.kernel"
    timeout 300 "$hvsim" run --kernel "$tmp/echo.kernel" --quiet --trace "$tmp/echo-k" \
        </dev/null >/dev/null 2>&1
    printf '\0' >>"$tmp/echo.kernel"
    out=$(timeout 300 "$hvsim" replay "$tmp/echo-k" --quiet </dev/null 2>&1 >/dev/null)
    st=$?
    if [ $st -eq 2 ] && printf '%s\n' "$out" | grep -q "kernel $tmp/echo.kernel: SHA-256"; then
        echo "PASS determinism replay-changed-image: refused, naming the kernel"
    else
        echo "FAIL determinism replay-changed-image: status $st: $out"
        fail=1
    fi
fi
for p in paging smc exceptions; do
    [ -f "tests/target/$p.elf" ] && run_twice "exec-$p" exec --max-insns 200M "tests/target/$p.elf"
done
exit $fail
