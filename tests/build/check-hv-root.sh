#!/bin/sh
# check-hv-root.sh — the hypervisor starts its root partition (docs/HYPERVISOR.md "Boot" step 4,
# "Running VPs"): hv/hvsim-hv.elf is booted by hvsim with tests/target/hv_root_test.kernel as
# module 0 (the root's kernel, string "first=1 second") and data/hello.txt as module 1 (string
# "hello module"), on the machine of tests/target/hv_root.cfg. The test kernel checks its entry
# state, boot information, memory map, devices, CPUID, the #GP on hypervisor memory and the
# virtual xAPIC and ends through the debug-exit port: every check must pass (exit status 1).
# Then, with --trace, every VM exit of the run must belong to partition 1 VP 0 (the hypervisor's
# VMCS_IDENTITY annotation), and the exits must include CPUID (10) and EPT violations (48): the
# test kernel executes CPUID and touches the hypervisor's memory and the APIC page.
# Last, a root kernel whose segment lies on the hypervisor (the hypervisor image itself as module
# 0: a valid ELF64 file linked at 16 MiB) ends in one panic naming the module and the segment.
# Runs from the build directory (as `make check` does).
hvsim=./hvsim
hv=hv/hvsim-hv.elf
kern=tests/target/hv_root_test.kernel
src=${srcdir:-.}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
for f in "$hv" "$kern"; do
    if [ ! -f "$f" ]; then
        echo "FAIL check-hv-root: $f is not built"
        exit 1
    fi
done
fail=0
timeout 300 "$hvsim" run "$src/tests/target/hv_root.cfg" --kernel "$hv" \
    --module "$kern,first=1 second" --module "$src/tests/target/data/hello.txt,hello module" \
    --quiet --max-insns 500M --trace "$tmp/t" >"$tmp/out" 2>&1 </dev/null
st=$?
np=$(grep -c '^PASS ' "$tmp/out")
nf=$(grep -c '^FAIL ' "$tmp/out")
if [ "$st" -eq 1 ] && [ "$nf" -eq 0 ] && [ "$np" -ge 20 ]; then
    echo "PASS check-hv-root: the root test kernel passed its $np checks under the hypervisor"
else
    echo "FAIL check-hv-root: exit status $st (want 1), $np PASS and $nf FAIL lines"
    grep -E '^(FAIL |hv|vmx|root|stopped|hvsim)' "$tmp/out" | head -20
    fail=1
fi
"$hvsim" trace dump "$tmp/t" --event vm_exit >"$tmp/dump" 2>&1 || fail=1
total=$(grep -c . "$tmp/dump")
mine=$(grep -c 'part=1 vp=0 ' "$tmp/dump")
cpuid=$(grep -c 'reason=[A-Z_]*(10) ' "$tmp/dump")
ept=$(grep -c 'reason=[A-Z_]*(48) ' "$tmp/dump")
if [ "$total" -gt 0 ] && [ "$mine" -eq "$total" ] && [ "$cpuid" -gt 0 ] && [ "$ept" -gt 0 ]; then
    echo "PASS check-hv-root: all $total VM exits carry partition 1 / VP 0 ($cpuid CPUID," \
         "$ept EPT violation)"
else
    echo "FAIL check-hv-root: $mine of $total exits carry part=1 vp=0; $cpuid CPUID, $ept EPT" \
         "violation exits"
    head -5 "$tmp/dump"
    fail=1
fi
# module 0 = the hypervisor image: its first PT_LOAD segment starts at 16 MiB, its own image
# (no --quiet: the run summary has a "VM entries" line once any VM entry happened)
timeout 300 "$hvsim" run "$src/tests/target/hv_root.cfg" --kernel "$hv" --module "$hv,x" \
    --max-insns 500M >"$tmp/clash" 2>&1 </dev/null
want="^hv: PANIC on LP 0: root: $hv x: segment 0 \\[0x1000000, 0x[0-9a-f]*) overlaps"
want="$want the hypervisor's image\$"
if grep -q "$want" "$tmp/clash" && ! grep -q 'VM entries' "$tmp/clash"; then
    echo "PASS check-hv-root: a root kernel on the hypervisor's image: a panic naming it, no entry"
else
    echo "FAIL check-hv-root: module 0 over the hypervisor:" \
         "$(grep -E 'PANIC|VM entries' "$tmp/clash")"
    fail=1
fi
exit $fail
