# root_test_lib.sh — sourced by the scripts that boot a root test kernel on the real hypervisor
# (check-hv-hcall.sh, check-hv-vtimer.sh): hvsim boots hv/hvsim-hv.elf with the kernel as its
# module 0 (the root partition's kernel); the kernel prints one PASS/FAIL line per check and
# "PREFIX: N checks passed, M failed" (tests/target/hv_check.c) and writes M != 0 to the
# debug-exit port.
#   root_test CHECK KERNEL CFG PREFIX MIN WHAT
# passes (and exits 0) when the exit status is 1 (debug-exit value 0), there is no FAIL line,
# the summary says 0 failed with N equal to the PASS lines and N >= MIN, and the hypervisor never
# panicked; otherwise it prints the FAIL lines and exits 1. Runs from the build directory.
root_test() {
    check=$1 kern=$2 cfg=$3 prefix=$4 min=$5 what=$6
    hv=hv/hvsim-hv.elf
    tmp=$(mktemp -d) || exit 1
    trap 'rm -rf "$tmp"' EXIT
    for f in "$hv" "$kern"; do
        if [ ! -f "$f" ]; then
            echo "FAIL $check: $f is not built"
            exit 1
        fi
    done
    timeout 300 ./hvsim run "${srcdir:-.}/$cfg" --kernel "$hv" --module "$kern" \
        --quiet --max-insns 2000M >"$tmp/out" 2>&1 </dev/null
    st=$?
    np=$(grep -c '^PASS ' "$tmp/out")
    nf=$(grep -c '^FAIL ' "$tmp/out")
    sum=$(sed -n "s/^$prefix: \([0-9]*\) checks passed, \([0-9]*\) failed\$/\1 \2/p" "$tmp/out")
    if [ "$st" -eq 1 ] && [ "$nf" -eq 0 ] && [ "$sum" = "$np 0" ] && [ "$np" -ge "$min" ] &&
       ! grep -q 'PANIC' "$tmp/out"; then
        echo "PASS $check: $np checks passed, 0 failed ($what)"
        exit 0
    fi
    echo "FAIL $check: exit status $st (want 1), $np PASS and $nf FAIL lines, summary '$sum'"
    grep -E '^(FAIL |# |hv: PANIC|root: exception)' "$tmp/out" | head -30
    exit 1
}
