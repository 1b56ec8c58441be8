#!/usr/bin/env bash
# hvsim.sh — the two commands of the README quick start (and of CI):
#
#   ./hvsim.sh run    install what is missing, build, run the default scenario (scenarios/)
#   ./hvsim.sh test   install what is missing, build with -Werror, run every test (unit tests,
#                     differential tests, target test programs and kernels), then again in an
#                     ASan+UBSan build; ends with the line "N passed, M failed"
#
# Works on a fresh Debian 12 machine as root (or with sudo). Builds out of tree in build/ and
# build-san/. Logs of every test part are kept in build/test-logs/.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
JOBS=${JOBS:-2}
MAX_INSNS=${MAX_INSNS:-500M}     # per target test program
DEPS="build-essential autoconf automake libtool pkg-config libunicorn-dev libcapstone-dev
      libelf-dev libsdl2-dev libgtest-dev babeltrace2"

say() { printf '%s\n' "hvsim.sh: $*" >&2; }
die() { say "$*"; exit 2; }

# ---- dependencies -------------------------------------------------------------------------
install_deps() {
    local missing=()
    for p in $DEPS; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing missing Debian packages: ${missing[*]}"
    local SUDO=""
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null || die "need root (or sudo) to install: ${missing[*]}"
        SUDO=sudo
    fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q </dev/null || die "apt-get update failed"
    $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null ||
        die "apt-get install failed for: ${missing[*]}"
}

# ---- build --------------------------------------------------------------------------------
bootstrap() {
    mkdir -p "$ROOT/build" || die "cannot create build/"
    (cd "$ROOT" && autoreconf -fi) >"$ROOT/build/autoreconf.log" 2>&1 ||
        { cat "$ROOT/build/autoreconf.log" >&2; die "autoreconf failed"; }
}

# configure DIR ARGS...: (re)configure the build directory DIR with ARGS.
configure_in() {
    local dir=$1; shift
    mkdir -p "$dir" || die "cannot create $dir"
    (cd "$dir" && "$ROOT/configure" "$@") >"$dir/configure.log" 2>&1 ||
        { tail -30 "$dir/configure.log" >&2; die "configure $* failed (log: $dir/configure.log)"; }
}

# ---- run ----------------------------------------------------------------------------------
cmd_run() {
    install_deps
    if [ ! -x "$ROOT/configure" ] || [ ! -f "$ROOT/build/Makefile" ]; then
        bootstrap
        configure_in "$ROOT/build"
    fi
    say "building (make -j$JOBS in build/)"
    make -C "$ROOT/build" -j"$JOBS" >"$ROOT/build/make.log" 2>&1 ||
        { tail -40 "$ROOT/build/make.log" >&2; die "build failed (log: build/make.log)"; }
    # the product: the hypervisor, the root partition and its children (scenarios/default.cfg);
    # the root powers the machine off by ACPI S5 once every child has finished (exit status 0)
    say "running: build/hvsim run scenarios/default.cfg --trace build/default.trace"
    rm -rf "$ROOT/build/default.trace"
    "$ROOT/build/hvsim" run "$ROOT/scenarios/default.cfg" --trace "$ROOT/build/default.trace"
    local st=$?
    if [ $st -ne 0 ]; then
        say "the default scenario ended with exit status $st (want 0: ACPI soft-off)"
        return 1
    fi
    say "build/hvsim trace stats build/default.trace"
    "$ROOT/build/hvsim" trace stats "$ROOT/build/default.trace"
}

# ---- test ---------------------------------------------------------------------------------
PASSED=0
FAILED=0
LOGDIR=""
FAIL_NOTES=()

note_fail() { FAIL_NOTES+=("$1"); say "FAILED: $1"; }

# part_gtest NAME DIR BINARY: run a GoogleTest binary from its build directory DIR (as `make
# check` does) and add its counts: passed from "[  PASSED  ] N tests", failed = ran - passed -
# skipped.
part_gtest() {
    local name=$1 dir=$2 bin=$3 log="$LOGDIR/$1.log" t=$SECONDS
    (cd "$dir" && "./$bin" --gtest_brief=1 --gtest_color=no) </dev/null >"$log" 2>&1
    local st=$? p f ran skipped
    ran=$(sed -n 's/^\[==========\] \([0-9]*\) tests\{0,1\} from .* ran\..*/\1/p' "$log" | tail -1)
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) tests\{0,1\}\..*/\1/p' "$log" | tail -1)
    skipped=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) tests\{0,1\}, listed below:.*/\1/p' "$log" | tail -1)
    f=""
    [ -n "$ran" ] && f=$((ran - ${p:-0} - ${skipped:-0}))
    if [ -z "$p" ] && [ -z "$f" ]; then
        # no gtest summary: maybe a runner of our own that prints "N passed, M failed"
        p=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1/p' "$log" | tail -1)
        f=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' "$log" | tail -1)
    fi
    p=${p:-0}
    f=${f:-0}
    if [ "$st" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
        note_fail "$name: exit status $st without a failure count (crash?); see $log"
        tail -20 "$log" >&2
    elif [ "$f" -gt 0 ]; then
        note_fail "$name: $f failing tests; see $log"
        grep -E '^\[  FAILED  \]|Failure|error:' "$log" | head -40 >&2
    fi
    PASSED=$((PASSED + p))
    FAILED=$((FAILED + f))
    say "part $name: $p pass, $f fail ($((SECONDS - t)) s)"
}

# part_target NAME HVSIM DIR: run every target test program under hvsim and count PASS/FAIL
# lines; a program must end through the debug-exit port with 0 (all passed) or 1 (some failed).
part_target() {
    local name=$1 hvsim=$2 dir=$3 p=0 f=0
    local t=$SECONDS
    for elf in "$dir"/*.elf; do
        [ -f "$elf" ] || continue
        local prog log st np nf
        prog=$(basename "$elf" .elf)
        log="$LOGDIR/$name-$prog.log"
        timeout 300 "$hvsim" exec --max-insns "$MAX_INSNS" "$elf" </dev/null >"$log" 2>&1
        st=$?
        np=$(grep -c '^PASS ' "$log")
        nf=$(grep -c '^FAIL ' "$log")
        if [ "$np" -eq 0 ] && [ "$nf" -eq 0 ]; then
            # a program without checks (the demo) passes if it exits with 0
            if [ $st -eq 1 ]; then np=1; else nf=1; fi
        fi
        local want=1
        [ "$nf" -gt 0 ] && want=3
        if [ $st -ne $want ]; then
            nf=$((nf + 1))
            note_fail "$name/$prog: ended abnormally (exit status $st); see $log"
            grep -E '^(FAIL |stopped |hvsim)' "$log" | head -20 >&2
        elif [ "$nf" -gt 0 ]; then
            note_fail "$name/$prog: $nf FAIL lines; see $log"
            grep '^FAIL ' "$log" | head -40 >&2
        fi
        p=$((p + np))
        f=$((f + nf))
    done
    PASSED=$((PASSED + p))
    FAILED=$((FAILED + f))
    say "part $name: $p pass, $f fail ($((SECONDS - t)) s)"
}

# part_kernels NAME HVSIM DIR: boot every Multiboot test kernel DIR/K.kernel that has a
# configuration tests/target/K.cfg (`hvsim run K.cfg --kernel K.kernel`) and count the PASS/FAIL
# lines of its COM1 output as part_target does: a kernel must end through the debug-exit port with
# 0 (all passed, status 1) or 1 (some failed, status 3). A .cfg line "# expect-exit-status: N"
# declares the status the run must end with instead (that check counts as one pass).
part_kernels() {
    local name=$1 hvsim=$2 dir=$3 p=0 f=0
    local t=$SECONDS
    for kernel in "$dir"/*.kernel; do
        [ -f "$kernel" ] || continue
        local kn cfg log st np nf want expect
        kn=$(basename "$kernel" .kernel)
        cfg="$ROOT/tests/target/$kn.cfg"
        [ -f "$cfg" ] || continue
        log="$LOGDIR/$name-$kn.log"
        timeout 300 "$hvsim" run "$cfg" --kernel "$kernel" --quiet --max-insns "$MAX_INSNS" \
            </dev/null >"$log" 2>&1
        st=$?
        np=$(grep -c '^PASS ' "$log")
        nf=$(grep -c '^FAIL ' "$log")
        expect=$(sed -n 's/^# *expect-exit-status: *\([0-9][0-9]*\).*/\1/p' "$cfg" | head -n 1)
        if [ -n "$expect" ]; then
            want=$expect
            [ $st -eq "$want" ] && np=$((np + 1))
        else
            if [ "$np" -eq 0 ] && [ "$nf" -eq 0 ]; then
                # a kernel without checks (the demo) passes if it exits with 0
                if [ $st -eq 1 ]; then np=1; else nf=1; fi
            fi
            want=1
            [ "$nf" -gt 0 ] && want=3
        fi
        if [ $st -ne "$want" ]; then
            nf=$((nf + 1))
            note_fail "$name/$kn: ended with exit status $st, want $want; see $log"
            grep -E '^(FAIL |stopped |hvsim)' "$log" | head -20 >&2
        elif [ "$nf" -gt 0 ]; then
            note_fail "$name/$kn: $nf FAIL lines; see $log"
            grep '^FAIL ' "$log" | head -40 >&2
        fi
        p=$((p + np))
        f=$((f + nf))
    done
    PASSED=$((PASSED + p))
    FAILED=$((FAILED + f))
    say "part $name: $p pass, $f fail ($((SECONDS - t)) s)"
}

# part_scripts NAME DIR: the script tests (fuzz corpora, build checks) through automake's harness
# in DIR; counts from its "# PASS:" / "# FAIL:" / "# ERROR:" summary.
part_scripts() {
    local name=$1 dir=$2 log="$LOGDIR/$1.log" t=$SECONDS tests p f e
    tests=$(make -s -C "$dir" print-script-tests 2>/dev/null | tail -n 1)
    [ -n "$tests" ] || return 0
    make -C "$dir" check TESTS="$tests" </dev/null >"$log" 2>&1
    p=$(sed -n 's/^# PASS: *\([0-9]*\).*/\1/p' "$log" | tail -1)
    f=$(sed -n 's/^# FAIL: *\([0-9]*\).*/\1/p' "$log" | tail -1)
    e=$(sed -n 's/^# ERROR: *\([0-9]*\).*/\1/p' "$log" | tail -1)
    p=${p:-0}
    f=$(( ${f:-0} + ${e:-0} ))
    if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
        f=1
    fi
    if [ "$f" -gt 0 ]; then
        note_fail "$name: $f failing script tests; see $log and $dir/test-suite.log"
        grep -E '^(FAIL|ERROR):' "$log" | head -20 >&2
    fi
    PASSED=$((PASSED + p))
    FAILED=$((FAILED + f))
    say "part $name: $p pass, $f fail ($((SECONDS - t)) s)"
}

# built DIR TARGET: true if TARGET is (now) built in DIR: a no-op make when it is, a fast
# failure when it cannot be built (its error is already in DIR/make.log).
built() { make -C "$1" -j"$JOBS" "$2" >>"$1/make-check.log" 2>&1; }

# build_in DIR TARGETS...: make the given targets (keep going on errors); log in DIR/make.log.
build_in() {
    local dir=$1 t=$SECONDS; shift
    say "building in $(basename "$dir")/: make -j$JOBS $*"
    make -C "$dir" -k -j"$JOBS" "$@" >"$dir/make.log" 2>&1
    local st=$?
    say "  ... $((SECONDS - t)) s"
    [ $st -eq 0 ] || {
        note_fail "build in $(basename "$dir")/ had errors; see $dir/make.log"
        FAILED=$((FAILED + 1))
        grep -E 'error|Error' "$dir/make.log" | head -30 >&2
    }
}

# run_parts DIR LABEL: run the parts that exist in build directory DIR.
run_parts() {
    local dir=$1 label=$2 what
    for what in "unit:tests/unit/hvsim_unit" "diff:tests/diff/hvsim_diff"; do
        local name=${what%%:*} bin=${what#*:}
        if built "$dir" "$bin"; then
            part_gtest "$label$name" "$dir" "$bin"
        elif [ "$name" = unit ] || grep -q "hvsim_diff" "$dir/Makefile" 2>/dev/null; then
            note_fail "$label$name: $bin could not be built"
            FAILED=$((FAILED + 1))
        fi
    done
    if built "$dir" hvsim; then
        part_target "${label}target" "$dir/hvsim" "$dir/tests/target"
        part_kernels "${label}kernels" "$dir/hvsim" "$dir/tests/target"
    else
        note_fail "${label}target: hvsim could not be built"
        FAILED=$((FAILED + 1))
    fi
    part_scripts "${label}scripts" "$dir"
}

cmd_test() {
    local t0=$SECONDS
    install_deps
    bootstrap
    mkdir -p "$ROOT/build/test-logs"
    LOGDIR="$ROOT/build/test-logs"
    rm -f "$LOGDIR"/*.log

    # The C++ test sources (GoogleTest) compile at -O0: that is 2.5 times faster to build than
    # the default -O2 and the tests run in seconds either way; the C code (the simulator, what
    # the tests test) keeps configure's -O2.
    configure_in "$ROOT/build" --enable-werror CXXFLAGS="-g -O0"
    build_in "$ROOT/build" all check TESTS=
    run_parts "$ROOT/build" ""

    if [ "${HVSIM_SKIP_SAN:-0}" != 1 ]; then
        # ASan/UBSan at -O2 made this build take 4 times longer than at -O0 (C++) / -O1 (C)
        configure_in "$ROOT/build-san" --enable-sanitizers --enable-werror CFLAGS="-g -O1" \
            CXXFLAGS="-g -O0"
        local san_targets="hvsim tests/unit/hvsim_unit"
        grep -q "hvsim_diff" "$ROOT/build-san/Makefile" && san_targets+=" tests/diff/hvsim_diff"
        # target programs come from build/ (they are data; sanitizers do not apply to them)
        build_in "$ROOT/build-san" $san_targets
        export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
        export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
        local dir="$ROOT/build-san"
        if built "$dir" tests/unit/hvsim_unit; then
            part_gtest "san-unit" "$dir" tests/unit/hvsim_unit
        else
            note_fail "san-unit: could not be built"; FAILED=$((FAILED + 1))
        fi
        if grep -q "hvsim_diff" "$dir/Makefile"; then
            if built "$dir" tests/diff/hvsim_diff; then
                part_gtest "san-diff" "$dir" tests/diff/hvsim_diff
            else
                note_fail "san-diff: could not be built"; FAILED=$((FAILED + 1))
            fi
        fi
        if built "$dir" hvsim; then
            part_target "san-target" "$dir/hvsim" "$ROOT/build/tests/target"
            part_kernels "san-kernels" "$dir/hvsim" "$ROOT/build/tests/target"
        else
            note_fail "san-target: hvsim could not be built"; FAILED=$((FAILED + 1))
        fi
    fi

    say "test run took $((SECONDS - t0)) s; logs in build/test-logs/"
    if [ ${#FAIL_NOTES[@]} -gt 0 ]; then
        say "failures:"
        for n in "${FAIL_NOTES[@]}"; do printf '  %s\n' "$n" >&2; done
    fi
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
}

case "${1:-}" in
run) cmd_run ;;
test) cmd_test ;;
*)
    echo "usage: ./hvsim.sh run    build and run the default scenario (hypervisor, root, children) on hvsim"
    echo "       ./hvsim.sh test   build and run every test; ends with 'N passed, M failed'"
    exit 2
    ;;
esac
