#!/bin/bash
# The main job: sets everything up (packages, a libvirtd with real LXC
# domains), builds libvirt-lxc.so.0, and runs unchanged clients into each
# running test domain, once with the system libvirt-lxc.so.0 and once with
# ours, comparing: virsh `lxc-enter-namespace` (proving from the dynamic
# loader's own trace which library was loaded, and that our Go core was
# not: the caller's core process runs it) and
# virt-login-shell's helper (proving it from the file the kernel mapped).
set -euo pipefail
source "$(dirname "$0")/env.sh"
require_go
"$ROOT/tests/testbed/up.sh"
logged "building the project (meson setup, meson compile)" build_project

URI=lxc:///system
SYS=$(readlink -f /usr/lib/x86_64-linux-gnu/libvirt-lxc.so.0)
INSIDE='echo "hostname: $(hostname)"; for n in user ipc uts net pid mnt; do echo "$n: $(readlink /proc/self/ns/$n)"; done; echo "uid map: $(head -c 40 /proc/self/uid_map | tr -s " ")"'
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0

# run LABEL LD_LIBRARY_PATH DOMAIN: virsh with the loader tracing into a file
run() {
    local label=$1 llp=$2 dom=$3 rc=0
    env ${llp:+LD_LIBRARY_PATH=$llp} LD_DEBUG=libs LD_DEBUG_OUTPUT="$tmp/ld.$label" \
        virsh -q -c "$URI" lxc-enter-namespace "$dom" --noseclabel -- /bin/sh -c "$INSIDE" \
        >"$tmp/out.$label" 2>"$tmp/err.$label" || rc=$?
    echo "$rc" >"$tmp/rc.$label"
    # The loader's own record of which libvirt-lxc.so.0 it mapped (when
    # there is none, the checks below say so).
    cat "$tmp"/ld."$label".* | grep -oE "calling init: [^ ]*libvirt-lxc(-core)?\.so[.0-9]*" |
        sed "s/^calling init: //" | xargs -r -n1 readlink -f | sort -u >"$tmp/libs.$label" || true
    rm -f "$tmp"/ld."$label".*
}

# indent PREFIX FILE: FILE's lines after PREFIX, or a line saying it is missing.
indent() {
    if [ -f "$2" ]; then sed "s/^/$1/" "$2"; else echo "$1(no ${2##*/}: not written)"; fi
}

for dom in lxcgo-plain lxcgo-userns; do
    echo "=== virsh -c $URI lxc-enter-namespace $dom --noseclabel -- /bin/sh -c '...'"
    run system "" "$dom"
    run ours "$BUILD" "$dom"
    for label in system ours; do
        echo "--- with $( [ $label = ours ] && echo our || echo the system ) library (exit $(cat "$tmp/rc.$label")); loaded:"
        sed 's/^/      /' "$tmp/libs.$label"
        sed 's/^/    /' "$tmp/out.$label"
        [ -s "$tmp/err.$label" ] && sed 's/^/    stderr: /' "$tmp/err.$label"
    done
    # Ours, and never the Go core in virsh itself: its core process serves
    # the call.
    if ! grep -qx "$(readlink -f "$BUILD/libvirt-lxc.so.0")" "$tmp/libs.ours" ||
       grep -q "libvirt-lxc-core.so" "$tmp/libs.ours"; then
        echo "FAIL: virsh did not load our library, or loaded its Go core"; fail=1
    fi
    if ! grep -qx "$SYS" "$tmp/libs.system" || grep -q "$BUILD" "$tmp/libs.system"; then
        echo "FAIL: the system run did not load $SYS"; fail=1
    fi
    if cmp -s "$tmp/out.system" "$tmp/out.ours" && [ "$(cat "$tmp/rc.system")" = 0 ] &&
       [ "$(cat "$tmp/rc.ours")" = 0 ]; then
        echo "=== $dom: identical output, exit 0 with both libraries"
    elif cmp -s "$tmp/out.system" "$tmp/out.ours"; then
        echo "FAIL: $dom: same output, but exit $(cat "$tmp/rc.system") (system) and $(cat "$tmp/rc.ours") (ours)"; fail=1
    else
        echo "FAIL: $dom: outputs differ"; diff "$tmp/out.system" "$tmp/out.ours" || true; fail=1
    fi
    echo
done

# virt-login-shell's helper logs a user into the domain named after them.
# tests/clients/login-shell.sh runs it in a private mount namespace with a
# throw-away user and config, and ours put in the system library's place
# (the loader ignores LD_LIBRARY_PATH for setuid programs); nothing on the
# host changes.
uid=60990
for dom in lxcgo-plain lxcgo-userns; do
    echo "=== virt-login-shell-helper as user $dom -c '...'"
    for label in system ours; do
        build=""; [ $label = ours ] && build=$BUILD
        mkdir -p "$tmp/ls.$label"
        rc=0
        "$ROOT/tests/clients/login-shell.sh" "$tmp/ls.$label" "$build" "$dom" $uid $uid \
            "$INSIDE; echo \"id: \$(id -u)\"" || rc=$?
        [ "$rc" = 0 ] || { echo "FAIL: tests/clients/login-shell.sh exited $rc"; fail=1; }
        echo "--- with $( [ $label = ours ] && echo our || echo the system ) library (exit $(indent "" "$tmp/ls.$label/rc")); mapped:"
        indent '      ' "$tmp/ls.$label/mapped"
        indent '    ' "$tmp/ls.$label/stdout"
        if [ -s "$tmp/ls.$label/stderr" ]; then sed 's/^/    stderr: /' "$tmp/ls.$label/stderr"; fi
    done
    read -r sys_lib _ <"$tmp/ls.system/mapped" || true
    read -r _ our_sum <"$tmp/ls.ours/mapped" || true
    if [ "$our_sum" != "$(sha256sum "$BUILD/libvirt-lxc.so.0" | cut -d' ' -f1)" ] ||
       [ "$(readlink -f "$sys_lib")" != "$SYS" ]; then
        echo "FAIL: virt-login-shell-helper did not map the intended libraries"; fail=1
    fi
    if [ "$(indent "" "$tmp/ls.system/rc")" = 0 ] && [ "$(indent "" "$tmp/ls.ours/rc")" = 0 ] &&
       cmp -s "$tmp/ls.system/stdout" "$tmp/ls.ours/stdout"; then
        echo "=== $dom: identical output, exit 0 with both libraries"
    else
        echo "FAIL: $dom: virt-login-shell outputs differ"; fail=1
    fi
    echo
done
exit $fail
