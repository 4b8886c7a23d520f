#!/bin/bash
# Compares the ABI of our libvirt-lxc.so.0 with the system library's:
# defined dynamic symbols with their versions, soname, version definitions.
# Also checks what must never creep in: a link to libvirt's per-release
# private version node, or to the Go core (it is loaded on demand only).
# usage: check-abi.sh OUR_LIB GO_CORE
set -uo pipefail
ours=$1 core=$2
sys=/usr/lib/x86_64-linux-gnu/libvirt-lxc.so.0
fail=0
bad() { echo "FAIL: $*"; fail=1; }

defined() { # name version, one per line, sorted
    objdump -T "$1" | awk '$0 ~ / g / && $0 !~ /\*UND\*/ {print $NF, $(NF-1)}' | sort
}
verdefs() { # version definitions with their parents
    readelf -V "$1" | sed -n '/.gnu.version_d/,/^$/p' |
        grep -oE '(Name|Parent [0-9]+): [^ ]+' | sed 's/Parent [0-9]*/Parent/' |
        sed "s/$(basename "$(readlink -f "$1")")/SONAME-FILE/"
}
soname() { readelf -d "$1" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p'; }

[ -f "$sys" ] || { echo "FAIL: system library $sys missing (apt-get install libvirt0)"; exit 1; }

d=$(diff <(defined "$sys") <(defined "$ours")) || bad "defined symbols differ (< system, > ours):"$'\n'"$d"
d=$(diff <(verdefs "$sys") <(verdefs "$ours")) || bad "version definitions differ:"$'\n'"$d"
[ "$(soname "$ours")" = libvirt-lxc.so.0 ] || bad "soname is '$(soname "$ours")'"
[ "$(soname "$ours")" = "$(soname "$sys")" ] || bad "soname differs from the system library's"
# Both named after the libvirt they are built against (9.0.0:
# libvirt-lxc.so.0.9000.0), here the same release.
[ "$(basename "$(readlink -f "$ours")")" = "$(basename "$(readlink -f "$sys")")" ] ||
    bad "file $(basename "$(readlink -f "$ours")") is not named like the system's $(basename "$(readlink -f "$sys")")"
[ "$(defined "$ours" | wc -l)" -eq 7 ] || bad "expected 4 functions + 3 version nodes"
if readelf -V "$ours" | grep -q LIBVIRT_PRIVATE; then
    bad "linked against a private libvirt version node (resolve by name at run time)"
fi
if readelf -d "$ours" | grep NEEDED | grep -qi core; then
    bad "the Go core is a NEEDED library; it must be loaded on demand"
fi
size=$(stat -c %s "$core")
[ "$size" -le $((5 * 1024 * 1024 / 2)) ] || bad "stripped Go core is $size bytes (limit 2.5 MiB)"

echo "system:"; defined "$sys" | sed 's/^/  /'
echo "ours:";   defined "$ours" | sed 's/^/  /'
echo "Go core: $size bytes"
[ $fail = 0 ] && echo "ABI identical"
exit $fail
