#!/bin/sh
# check-manpage.sh — the manual page documents the program as it is: every long option that
# `hvsim run|exec|replay|trace --help` print appears in docs/hvsim.1
# (as \-\-NAME, the man escape of --NAME) and every option the page describes is one the program
# accepts. When groff is
# installed, the page must also render without warnings. Runs from the build directory.
page="${srcdir:-.}/docs/hvsim.1"
hvsim=./hvsim
fail=0
[ -f "$page" ] || { echo "FAIL check-manpage: $page is missing"; exit 1; }
for cmd in run exec replay trace; do
    opts=$("$hvsim" "$cmd" --help | grep -o -- '--[a-z][a-z-]*' | sort -u)
    [ -n "$opts" ] || { echo "FAIL check-manpage: 'hvsim $cmd --help' lists no options"; fail=1; }
    for o in $opts; do
        esc=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
        if ! grep -q -- "$esc" "$page"; then
            echo "FAIL check-manpage: hvsim $cmd $o is not described in docs/hvsim.1"
            fail=1
        fi
    done
done
# the other direction: options in the page that neither command accepts
for esc in $(grep -o '\\-\\-[a-z][a-z\\-]*' "$page" | sort -u); do
    o=$(printf '%s' "$esc" | sed 's/\\-/-/g')
    case "$o" in --version|--help) continue ;; esac
    if ! { "$hvsim" run --help; "$hvsim" exec --help; "$hvsim" replay --help;
           "$hvsim" trace --help; } |
            grep -q -- "$o\\b"; then
        echo "FAIL check-manpage: docs/hvsim.1 describes $o, which no hvsim command accepts"
        fail=1
    fi
done
if command -v groff >/dev/null 2>&1; then
    warn=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
    if [ -n "$warn" ]; then
        echo "FAIL check-manpage: groff warns about docs/hvsim.1: $warn"
        fail=1
    fi
fi
[ $fail -eq 0 ] && echo "PASS check-manpage: docs/hvsim.1 describes exactly the options of hvsim run, exec, replay and trace"
exit $fail
