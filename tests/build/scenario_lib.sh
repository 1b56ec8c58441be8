# scenario_lib.sh — sourced by the scripts that run a scenario of the hypervisor stack and check
# its console (check-hostile.sh, check-isolation.sh, check-child-apic.sh). Before sourcing, set
# CHECK to the script's name; then:
#   scenario_run CFG      run `hvsim run CFG` (stdin empty, at most 4000M instructions): the
#                         console in $tmp/out, the run summary in $tmp/err; PASS if it ends by
#                         ACPI soft-off with exit status 0
#   expect LINE           PASS if the console has LINE exactly
#   expect_summary NAME ID MESSAGES
#                         the root's summary says child NAME (partition ID) finished with status
#                         0, MESSAGES messages, and was deleted
#   expect_no_panic       no hypervisor panic on the console or in the summary
#   expect_child_checks CHILD WORKLOAD N WHAT
#                         child CHILD's workload WORKLOAD printed no FAIL line, exactly N PASS
#                         lines and "N checks passed, 0 failed" ("[CHILD] child CHILD:
#                         WORKLOAD: ..." lines, as partitions/child/wl_apic.c writes them)
# pass/bad print "PASS|FAIL $CHECK: ..." and bad sets fail=1; the script ends with `exit $fail`.
# Runs from the build directory (as `make check` does); $src is the source directory.
hvsim=./hvsim
src=${srcdir:-.}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
pass() { echo "PASS $CHECK: $*"; }
bad() { echo "FAIL $CHECK: $*"; fail=1; }

scenario_run() {
    for f in hv/hvsim-hv.elf partitions/root/root.elf partitions/child/child.elf; do
        [ -f "$f" ] || { bad "$f is not built"; exit 1; }
    done
    timeout 600 "$hvsim" run "$1" --max-insns 4000M </dev/null >"$tmp/out" 2>"$tmp/err"
    st=$?
    if [ "$st" -eq 0 ] && grep -q '^stopped .*ACPI soft-off' "$tmp/err"; then
        pass "the run ends by ACPI soft-off"
    else
        bad "exit status $st, $(grep '^stopped' "$tmp/err")"
    fi
}

expect() {
    if grep -qxF -- "$1" "$tmp/out"; then pass "$1"; else bad "missing line: $1"; fi
}

expect_summary() {
    expect "root: summary: $1 (partition $2): finished, status 0; $3 messages; deleted: SUCCESS"
}

expect_no_panic() {
    if grep -q 'PANIC' "$tmp/out" "$tmp/err"; then bad "a hypervisor panic"; else pass "no panic"; fi
}

expect_child_checks() {
    p="[$1] child $1: $2:"
    grep -F "$p FAIL " "$tmp/out" >"$tmp/fails"
    while read -r l; do bad "$l"; done <"$tmp/fails"
    n=$(grep -cF "$p PASS " "$tmp/out")
    if grep -qxF "$p $n checks passed, 0 failed" "$tmp/out" && [ "$n" -eq "$3" ]; then
        pass "$4: $n checks passed"
    else
        bad "$4: $(grep -F "$p " "$tmp/out" | grep 'checks passed') ($n PASS lines, want $3)"
    fi
}
