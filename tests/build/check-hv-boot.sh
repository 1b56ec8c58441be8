#!/bin/sh
# check-hv-boot.sh — the hypervisor boots on every logical processor (docs/HYPERVISOR.md "Boot";
# hv/boot, hv/arch). hvsim boots hv/hvsim-hv.elf on the machine of tests/target/hv_boot.cfg
# (mem = 128M, append = "pool=8M") with tests/target/hv_root_test.kernel as module 0, with 2 and
# with 4 processors. What the log on port 0xE9 (stdout) must say follows from that configuration
# and from hvsim's platform (docs/BOOT.md memory map; sim/acpi.c: one enabled MADT processor per
# CPU, APIC ID = CPU index), not from an earlier run:
#   - "hv: N LPs in the ACPI MADT", then "hv: LP k (APIC ID k) online" for k = 0 .. N-1 in this
#     order (APs start one at a time), then "hv: all N LPs online";
#   - the pool is the top 8 MiB of RAM: "hv: pool [0x7800000, 0x8000000) 8 MiB";
#   - the trampoline is the highest free page below 9F000H: 0x9e000 (RAM [0, A0000H) is
#     available and the loader puts nothing below 1 MiB);
#   - no PANIC line.
# Malformed boot input ends in one clean panic line on LP 0 and no LP online:
#   - module 0 not an ELF file (tests/target/data/hello.txt): the panic names the module;
#   - pool=1G on a 128 MiB machine: the panic names the size.
# With `x2apic` on the command line (4 CPUs) the hypervisor switches every LP's local APIC to
# x2APIC mode (CPUID.1:ECX[21] is set in hvsim's model; SDM Vol. 3 11.12.5) and logs so; every
# LP still starts (INIT-SIPI-SIPI through the 64-bit ICR, MSR 830H) and the root runs.
# A fault inside the hypervisor (hv_selftest=ud2: the BSP executes UD2 once all 4 LPs are online)
# is a panic with the vector's name (#UD, 6, no error code: SDM Vol. 3 6.15) and a RIP inside
# hv_main (from the image's symbol table), and the NMI it sends stops every other LP, so the
# machine ends with all processors halted.
# Runs from the build directory (as `make check` does).
hvsim=./hvsim
NM=${NM:-nm}
src=${srcdir:-.}
hv=hv/hvsim-hv.elf
root=tests/target/hv_root_test.kernel
cfg=$src/tests/target/hv_boot.cfg
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
pass() { echo "PASS check-hv-boot: $*"; }
bad() { echo "FAIL check-hv-boot: $*"; fail=1; }

for f in "$hv" "$root"; do
    if [ ! -f "$f" ]; then
        bad "$f is not built"
        exit 1
    fi
done

# expect_line FILE LINE WHAT: FILE has LINE exactly
expect_line() {
    if grep -qxF -- "$2" "$1"; then pass "$3"; else bad "$3: no line '$2'"; fi
}

for n in 2 4; do
    out=$tmp/boot$n
    timeout 300 "$hvsim" run "$cfg" --kernel "$hv" --module "$root" --cpus "$n" --quiet \
        --max-insns 500M >"$out" 2>&1 </dev/null
    grep '^hv: ' "$out" >"$out.hv"
    expect_line "$out.hv" "hv: $n LPs in the ACPI MADT" "$n CPUs: the MADT's processors found"
    k=0
    : >"$tmp/want"
    while [ $k -lt $n ]; do
        echo "hv: LP $k (APIC ID $k) online" >>"$tmp/want"
        k=$((k + 1))
    done
    grep -E '^hv: LP [0-9]+ \(APIC ID [0-9]+\) online$' "$out.hv" >"$tmp/got"
    if cmp -s "$tmp/want" "$tmp/got"; then
        pass "$n CPUs: LP 0 .. $((n - 1)) online in order"
    else
        bad "$n CPUs: online lines differ: want $(tr '\n' ';' <"$tmp/want")" \
            "got $(tr '\n' ';' <"$tmp/got")"
    fi
    expect_line "$out.hv" "hv: all $n LPs online" "$n CPUs: all online"
    expect_line "$out.hv" "hv: pool [0x7800000, 0x8000000) 8 MiB" "$n CPUs: pool at the top of RAM"
    if grep -q '^hv: image \[0x1000000, 0x[0-9a-f]*), AP trampoline at 0x9e000$' "$out.hv"; then
        pass "$n CPUs: image at 16 MiB, trampoline at 0x9e000"
    else
        bad "$n CPUs: image/trampoline line: $(grep '^hv: image' "$out.hv")"
    fi
    if grep -q 'PANIC' "$out"; then
        bad "$n CPUs: $(grep PANIC "$out")"
    else
        pass "$n CPUs: no panic"
    fi
    expect_line "$out.hv" "hv: local APIC in xAPIC mode" "$n CPUs: xAPIC mode (the firmware's)"
done

# x2APIC mode chosen on the command line
out=$tmp/x2apic
timeout 300 "$hvsim" run "$cfg" --kernel "$hv" --module "$root" --cpus 4 --quiet \
    --append "pool=8M x2apic" --max-insns 500M >"$out" 2>&1 </dev/null
expect_line "$out" "hv: local APIC in x2APIC mode" "x2apic: the local APICs in x2APIC mode"
expect_line "$out" "hv: LP 3 (APIC ID 3) online" "x2apic: LP 3 online"
expect_line "$out" "hv: all 4 LPs online" "x2apic: all 4 LPs online"
if grep -q '^PASS hv_root: entry: EAX holds the boot magic$' "$out" && ! grep -q PANIC "$out"; then
    pass "x2apic: the root runs, no panic"
else
    bad "x2apic: $(grep -E 'PANIC|hv_root: entry' "$out" | head -3)"
fi

# malformed: module 0 is not ELF
out=$tmp/notelf
timeout 300 "$hvsim" run "$cfg" --kernel "$hv" --module "$src/tests/target/data/hello.txt,root x" \
    --quiet --max-insns 500M >"$out" 2>&1 </dev/null
mod="$src/tests/target/data/hello.txt root x"
expect_line "$out" \
    "hv: PANIC on LP 0: module 0 \"$mod\" (the root kernel): not an ELF file (no \\177ELF magic)" \
    "module 0 not ELF: a panic naming it"
no_online() {
    if grep -q 'online' "$1"; then bad "$2: an LP came online"; else pass "$2: no LP online"; fi
}
no_online "$out" "module 0 not ELF"

# malformed: a pool larger than RAM
out=$tmp/bigpool
timeout 300 "$hvsim" run "$cfg" --kernel "$hv" --module "$root" --append "pool=1G" \
    --quiet --max-insns 500M >"$out" 2>&1 </dev/null
if grep -q '^hv: PANIC on LP 0: no available memory for a pool of 1024 MiB' "$out"; then
    pass "pool=1G on 128 MiB: a panic naming the size"
else
    bad "pool=1G on 128 MiB: $(grep '^hv:' "$out" | tail -1)"
fi
no_online "$out" "pool=1G"

# a fault in the hypervisor
out=$tmp/ud2
timeout 300 "$hvsim" run "$cfg" --kernel "$hv" --module "$root" --cpus 4 \
    --append "pool=8M hv_selftest=ud2" --max-insns 500M >"$out" 2>&1 </dev/null
expect_line "$out" "hv: PANIC on LP 0: exception 6 (#UD invalid opcode), error code 0" \
    "UD2 in the hypervisor: a panic naming #UD"
rip=$(sed -n 's/^  RIP 0x\([0-9a-f]*\) CS 0x8 .*/\1/p' "$out")
main=$("$NM" -S "$hv" | awk '$4 == "hv_main" { print $1, $2 }')
if [ -n "$rip" ] && [ -n "$main" ] &&
    [ $((0x$rip >= 0x${main% *} && 0x$rip < 0x${main% *} + 0x${main#* })) = 1 ]; then
    pass "UD2 in the hypervisor: RIP $rip inside hv_main"
else
    bad "UD2 in the hypervisor: RIP '$rip' not inside hv_main ($main)"
fi
if grep -q '^stopped.*all processors halted' "$out"; then
    pass "UD2 in the hypervisor: every LP stopped"
else
    bad "UD2 in the hypervisor: $(grep '^stopped' "$out")"
fi

exit $fail
