#!/bin/sh
# check-symbols.sh — hvsim's library must not define a global symbol that libunicorn also
# exports: the dynamic linker would bind Unicorn's internal calls to ours (this happened with
# cpu_reset, which QEMU code inside libunicorn calls). Prints PASS/FAIL and exits 0/1.
lib=${1:-libhvsim.a}
uc=$(pkg-config --variable=libdir unicorn 2>/dev/null)/libunicorn.so
[ -f "$uc" ] || uc=$(ls /usr/lib/*/libunicorn.so* 2>/dev/null | head -n 1)
if [ ! -f "$lib" ] || [ ! -f "$uc" ]; then
    echo "FAIL check-symbols: missing $lib or libunicorn ($uc)"
    exit 1
fi
ours=$(mktemp) theirs=$(mktemp)
nm --defined-only "$lib" 2>/dev/null | awk 'NF == 3 && $2 ~ /^[TDBR]$/ { print $3 }' | sort -u > "$ours"
nm -D --defined-only "$uc" | awk '{ print $3 }' | sort -u > "$theirs"
clash=$(comm -12 "$ours" "$theirs")
rm -f "$ours" "$theirs"
if [ -n "$clash" ]; then
    echo "FAIL check-symbols: symbols also exported by libunicorn: $clash"
    exit 1
fi
echo "PASS check-symbols: no global symbol of $lib clashes with libunicorn"
