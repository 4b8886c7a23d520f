#!/bin/bash
# The main job: sets everything up (packages, a libvirtd with real LXC
# domains), builds libvirt-lxc.so.0, and runs an unchanged virsh
# `lxc-enter-namespace` into each running test domain, once with the system
# libvirt-lxc.so.0 and once with ours, proving from the dynamic loader's own
# trace which library (and whether our Go core) was loaded, and comparing.
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$ROOT/tests/testbed/up.sh"
build_project >/dev/null

URI=lxc:///system
SYS=$(readlink -f /usr/lib/x86_64-linux-gnu/libvirt-lxc.so.0)
INSIDE='echo "hostname: $(hostname)"; for n in user ipc uts net pid mnt; do echo "$n: $(readlink /proc/self/ns/$n)"; done; echo "uid map: $(head -c 40 /proc/self/uid_map | tr -s " ")"'
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0

# run LABEL LD_LIBRARY_PATH DOMAIN: virsh with the loader tracing into a file
run() {
    local label=$1 llp=$2 dom=$3
    env ${llp:+LD_LIBRARY_PATH=$llp} LD_DEBUG=libs LD_DEBUG_OUTPUT="$tmp/ld.$label" \
        virsh -q -c "$URI" lxc-enter-namespace "$dom" --noseclabel -- /bin/sh -c "$INSIDE" \
        >"$tmp/out.$label" 2>"$tmp/err.$label"
    echo $? >"$tmp/rc.$label"
    # The loader's own record of which libvirt-lxc.so.0 it mapped.
    cat "$tmp"/ld."$label".* 2>/dev/null | grep -oE "calling init: [^ ]*libvirt-lxc(-core)?\.so[.0-9]*" |
        sed "s/^calling init: //" | xargs -r -n1 readlink -f | sort -u >"$tmp/libs.$label"
    rm -f "$tmp"/ld."$label".*
}

for dom in lxcgo-plain lxcgo-userns; do
    echo "=== virsh -c $URI lxc-enter-namespace $dom --noseclabel -- /bin/sh -c '...'"
    run system "" "$dom"
    run ours "$BUILD" "$dom"
    for label in system ours; do
        echo "--- with the $label library (exit $(cat "$tmp/rc.$label")); loaded:"
        sed 's/^/      /' "$tmp/libs.$label"
        sed 's/^/    /' "$tmp/out.$label"
        [ -s "$tmp/err.$label" ] && sed 's/^/    stderr: /' "$tmp/err.$label"
    done
    if ! grep -qx "$(readlink -f "$BUILD/libvirt-lxc.so.0")" "$tmp/libs.ours" ||
       ! grep -q "libvirt-lxc-core.so" "$tmp/libs.ours"; then
        echo "FAIL: virsh did not load our library and its Go core"; fail=1
    fi
    if ! grep -qx "$SYS" "$tmp/libs.system" || grep -q "$BUILD" "$tmp/libs.system"; then
        echo "FAIL: the system run did not load $SYS"; fail=1
    fi
    if cmp -s "$tmp/out.system" "$tmp/out.ours" && [ "$(cat "$tmp/rc.system")" = 0 ] &&
       [ "$(cat "$tmp/rc.ours")" = 0 ]; then
        echo "=== $dom: identical output, exit 0 with both libraries"
    else
        echo "FAIL: $dom: outputs differ"; diff "$tmp/out.system" "$tmp/out.ours" || true; fail=1
    fi
    echo
done
exit $fail
