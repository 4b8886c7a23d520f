#!/bin/bash
# Undoes what up.sh did, and only that: stops the domains it started,
# undefines the ones it defined, and stops the daemon if it started it.
set -uo pipefail
STATE=/run/lxcgo-testbed
URI=lxc:///system
[ -d "$STATE" ] || exit 0
exec 9>"$STATE/lock"
flock 9
if [ -f "$STATE/started" ]; then
    while read -r d; do virsh -q -c "$URI" destroy "$d" >/dev/null; done <"$STATE/started"
fi
if [ -f "$STATE/defined" ]; then
    while read -r d; do virsh -q -c "$URI" undefine "$d" >/dev/null; done <"$STATE/defined"
fi
if [ -f "$STATE/defined-qemu" ]; then
    while read -r d; do virsh -q -c qemu:///system undefine "$d" >/dev/null; done <"$STATE/defined-qemu"
fi
if [ -f "$STATE/daemon" ]; then
    pid=$(cat /run/libvirt/lxcgo-libvirtd.pid 2>/dev/null || true)
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    for _ in $(seq 50); do [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
fi
rm -f "$STATE/started" "$STATE/defined" "$STATE/defined-qemu" "$STATE/daemon" "$STATE/daemon-mode"
