#!/bin/sh
# check-root-bare.sh — the root partition kernel on a machine without a hypervisor
# (docs/HYPERVISOR.md "The root partition kernel", "Partition configuration"). hvsim boots
# partitions/root/root.elf as a Multiboot2 kernel with child.elf and a configuration as modules.
# What it must print follows from the configuration and hvsim's platform, not from an earlier
# run:
#   - scenarios/default.partcfg: two partitions, child1 16 MiB (16384 KiB) with workload
#     compute,timer,message and child2 8 MiB (8192 KiB), 2 VPs, with compute,smp, both images
#     found;
#   - CPUID.1:ECX[31] is 0 on bare hvsim: "no hypervisor", nothing started (no partition and
#     none of the root's own VPs);
#   - power-off through ACPI S5 with hvsim's PM block (docs/DEVICES.md: PM1_CNT at 0x604,
#     \_S5 SLP_TYP 7), and hvsim stops with the soft-off reason;
#   - a malformed configuration prints its exact "partcfg:LINE: expected ..." message, a missing
#     image and a missing configuration module are named; each still powers off cleanly.
# Runs from the build directory (as `make check` does).
hvsim=./hvsim
src=${srcdir:-.}
root=partitions/root/root.elf
child=partitions/child/child.elf
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
pass() { echo "PASS check-root-bare: $*"; }
bad() { echo "FAIL check-root-bare: $*"; fail=1; }

for f in "$root" "$child"; do
    [ -f "$f" ] || { bad "$f is not built"; exit 1; }
done

# run NAME MODULE... : boot the root with these modules, output in $tmp/NAME
run() {
    name=$1
    shift
    args=
    for m in "$@"; do args="$args --module $m"; done
    # shellcheck disable=SC2086
    $hvsim run --kernel "$root" $args --max-insns 50M </dev/null >"$tmp/$name" 2>&1
}
# expect NAME LINE : LINE appears verbatim in the output of NAME
expect() {
    if grep -qxF -- "$2" "$tmp/$1"; then pass "$1: $2"; else bad "$1: missing line: $2"; fi
}
soft_off() {
    expect "$1" "root: power off (ACPI S5: PM1a_CNT 0x604, SLP_TYP 7)"
    if grep -q '^stopped .*ACPI soft-off' "$tmp/$1"; then pass "$1: soft off"
    else bad "$1: the machine did not stop by ACPI soft-off"; fi
}

run default "$child,child.elf" "$src/scenarios/default.partcfg,partcfg"
expect default "root: partition configuration \"$src/scenarios/default.partcfg partcfg\": 2 partitions"
expect default "root: child1: image child.elf (found), 16384 KiB, 1 VP, workload compute,timer,message"
expect default \
    "root: child2: image child.elf (found), 8192 KiB, 2 VPs, workload compute,smp"
expect default "root: no hypervisor (CPUID.1:ECX[31] = 0): the 2 partitions are not started"
soft_off default
# without a hypervisor the root starts no VP of its own (docs/HYPERVISOR.md "VPs online")
if grep -q '^root: .*VPs* .*online' "$tmp/default"; then bad "default: the root tried to start VPs"
else pass "default: no VP started"; fi

printf '# bad\n[partition a]\nimage = child.elf\nvps = 99\n' >"$tmp/bad.partcfg"
run badcfg "$child,child.elf" "$tmp/bad.partcfg"
expect badcfg "root: $tmp/bad.partcfg: partcfg:4: expected a VP count from 1 to 16"
soft_off badcfg

printf '[partition a]\nimage = other.elf\nmemory = 2M\n' >"$tmp/missing.partcfg"
run missing "$child,child.elf" "$tmp/missing.partcfg"
expect missing "root: a: image other.elf (NOT FOUND), 2048 KiB, 1 VP, workload compute"
soft_off missing

run nocfg "$child,child.elf"
expect nocfg "root: no partition configuration module (a string with \"partcfg\")"
soft_off nocfg

exit $fail
