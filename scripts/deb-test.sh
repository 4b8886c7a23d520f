#!/bin/bash
# The Debian package, as a sysadmin gets it, on this Debian 12 or 13 machine
# (meant for a fresh root: bash scripts/fresh-root.sh trixie 'bash scripts/deb-test.sh'):
#
#   1. builds it with dpkg-buildpackage, Build-Depends from Debian (Debian
#      12: Go and golang.org/x/sys from bookworm-backports), with no network
#      for the build (unshare -n);
#   2. installs it and runs the real clients against the system's
#      libvirt-lxc.so.0, which must now be ours: virsh lxc-enter-namespace,
#      virt-login-shell (its setuid wrapper, as the domain's user, and its
#      helper through tests/clients/login-shell.sh), Python's libvirt_lxc
#      (tests/clients/pylxc.py), the Go binding (tests/clients/gobinding);
#   3. reinstalls libvirt0, runs ldconfig, and runs them again; on Debian 12
#      upgrades libvirt to bookworm-backports' release and runs them again;
#   4. removes and purges it: libvirt0's library is back, `dpkg --verify
#      libvirt0` is clean, nothing of ours is left.
# Needs root; starts the test bed (tests/testbed/up.sh) when none runs.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
export DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
PKG=libvirt-lxc-go
URI=lxc:///system
DOMS="lxcgo-plain lxcgo-userns"
INSIDE='hostname; for n in user ipc uts net pid mnt; do readlink /proc/self/ns/$n; done'
WORK=$(mktemp -d /var/tmp/deb-test.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
trap 'echo "deb-test: FAILED: line $LINENO: $BASH_COMMAND"' ERR
t0=$SECONDS
failures=0
step() { echo "deb-test: == $* ($((SECONDS - t0)) s)"; }
ok() { echo "deb-test: ok   $*"; }
bad() { echo "deb-test: FAIL $*"; failures=$((failures + 1)); }
apt_install() { logged "apt-get install $*" apt-get install -y -q --no-install-recommends "$@"; }
codename=$(. /etc/os-release && echo "$VERSION_CODENAME")

# The domain's namespaces, from its init (the controller's only child).
init_ns() {
    local ctl kid n
    ctl=$(virsh -q -c "$URI" domid "$1")
    kid=$(cat "/proc/$ctl/task/$ctl/children")
    echo "$1"
    for n in user ipc uts net pid mnt; do readlink "/proc/${kid// /}/ns/$n"; done
}

# The file the soname link leads to, which must be one of our package's
# files, with the contents it installed (libvirt0 may list the same name:
# its file is diverted aside).
ours_file() {
    local f
    f=$(readlink -f "$SONAME_LINK")
    dpkg-query -L "$PKG" | grep -qxF "$f" || return 1
    [ -z "$(dpkg --verify "$PKG")" ] || return 1
    echo "$f"
}

# loader_inits REGEX: the real paths of the libraries matching REGEX that
# the loader initialised, by the LD_DEBUG=libs traces in $WORK/ld.*.
loader_inits() {
    grep -h "calling init: .*$1" "$WORK"/ld.* | sed 's/.*calling init: //' | xargs -r readlink -f | sort -u
}

# check_clients WHEN: every client, into both domains, must get ours.
check_clients() {
    local when=$1 ours dom out uid
    step "clients ($when)"
    if ! ours=$(ours_file); then
        bad "$when: $SONAME_LINK leads to $(readlink -f "$SONAME_LINK"), which is not $PKG's"
        return
    fi
    ok "$when: $SONAME_LINK -> $ours ($PKG's)"
    for dom in $DOMS; do
        # virsh: its output is the domain's init's namespaces; the loader
        # initialised ours and never our Go core (the installed core
        # process runs it).
        out=$(LD_DEBUG=libs LD_DEBUG_OUTPUT="$WORK/ld" virsh -q -c "$URI" \
            lxc-enter-namespace "$dom" --noseclabel -- /bin/sh -c "$INSIDE" 2>&1) || true
        # (The loader names them by the path it found, /lib/... on a
        # merged /usr: compared by their real paths.)
        if [ "$out" = "$(init_ns "$dom")" ] &&
            [ -z "$(loader_inits 'libvirt-lxc-core\.so')" ] &&
            [ "$(loader_inits 'libvirt-lxc\.so')" = "$ours" ]; then
            ok "$when: virsh lxc-enter-namespace $dom"
        else
            bad "$when: virsh lxc-enter-namespace $dom: $(echo $out); loader: $(loader_inits libvirt-lxc | tr "\n" " ")"
        fi
        rm -f "$WORK"/ld.*

        # virt-login-shell's helper (tests/clients/login-shell.sh, system
        # library): the kernel's record of what it mapped.
        uid=$((60900 + ${#dom}))
        mkdir -p "$WORK/ls"
        if tests/clients/login-shell.sh "$WORK/ls" "" "$dom" "$uid" "$uid" "sleep 0.2; $INSIDE" &&
            [ "$(cat "$WORK/ls/rc")" = 0 ] &&
            [ "$(cat "$WORK/ls/stdout")" = "$(init_ns "$dom")" ] &&
            [ "$(cat "$WORK/ls/mapped")" = "$ours $(sha256sum <"$ours" | cut -d' ' -f1)" ]; then
            ok "$when: virt-login-shell-helper (login-shell.sh) into $dom"
        else
            bad "$when: virt-login-shell-helper into $dom: $(cat "$WORK"/ls/{mapped,stdout,stderr} 2>&1)"
        fi
        rm -rf "$WORK/ls"

        # virt-login-shell itself, setuid root, as the domain's user.
        login_shell "$when" "$dom" "$ours"
    done

    # Python's libvirt_lxc: what the interpreter mapped, and its calls.
    if python3 tests/clients/pylxc.py >"$WORK/py.json" 2>"$WORK/py.err" &&
        python3 - "$WORK/py.json" "$ours" <<'EOF'; then
import json, sys
m = json.load(open(sys.argv[1]))
ours = sys.argv[2]
assert m["lib"] == [ours] and m["lib_after"] == [ours] and m["ctypes_lib"] == ours, m["lib"]
for dom in ("plain", "userns"):
    assert m["open_" + dom]["ret"] == 6, m["open_" + dom]
    assert m["enterns_" + dom]["ret"] == 0, m["enterns_" + dom]
    assert m["enterns_" + dom]["inside"]["hostname"] == "lxcgo-" + dom
assert m["open_off"]["code"] == 55, m["open_off"]
EOF
        ok "$when: python3 libvirt_lxc (pylxc.py)"
    else
        bad "$when: python3 libvirt_lxc: $(cat "$WORK/py.err")"
    fi

    # The Go binding (linked -lvirt-lxc): ours mapped, calls that work.
    if "$WORK/gobinding" -repeat 5 -goroutines 2 >"$WORK/go.json" 2>"$WORK/go.err" &&
        python3 - "$WORK/go.json" "$ours" <<'EOF'; then
import json, sys
m = json.load(open(sys.argv[1]))
ours = sys.argv[2]
assert m["lib"] == ours and m["lib_after"] == ours, (m["lib"], m["lib_after"])
assert not m["core"] and not m["core_after"], "our Go core in a Go program"
assert m["repeat_ok"] == m["repeat_total"] > 0, m
assert m["concurrent_ok"] == m["concurrent_total"] > 0, m
EOF
        ok "$when: Go binding (gobinding)"
    else
        bad "$when: Go binding: $(cat "$WORK/go.err")"
    fi
}

# login_shell WHEN DOM OURS: /usr/bin/virt-login-shell (setuid root) run by
# a user named after the domain, allowed in virt-login-shell.conf; the user
# and the setting exist only for the run.
login_shell() {
    local when=$1 dom=$2 ours=$3 conf=/etc/libvirt/virt-login-shell.conf pid out line=""
    cp "$conf" "$WORK/vls.conf"
    useradd -M -d / -s /bin/sh -u 60950 "$dom"
    echo "allowed_users = [ \"$dom\" ]" >>"$conf"
    setpriv --reuid="$dom" --regid="$dom" --clear-groups \
        virt-login-shell -c "sleep 0.5; $INSIDE" >"$WORK/vls.out" 2>&1 </dev/null &
    pid=$!
    for _ in $(seq 200); do
        line=$(grep -m1 'libvirt-lxc\.so' "/proc/$pid/maps" 2>/dev/null) && break
        sleep 0.01
    done
    wait "$pid" && out=$(cat "$WORK/vls.out") || out="exit $?: $(cat "$WORK/vls.out")"
    userdel "$dom"
    cp "$WORK/vls.conf" "$conf"
    if [ "$out" = "$(init_ns "$dom")" ] && [ "${line##* }" = "$ours" ]; then
        ok "$when: virt-login-shell (setuid) as $dom, mapped ${line##* }"
    else
        bad "$when: virt-login-shell as $dom: mapped '${line##* }'; $out"
    fi
}

step "the test bed (libvirtd and the domains)"
bash tests/testbed/up.sh
apt_install libvirt-login-shell util-linux passwd
MA=$(gcc -print-multiarch)
SONAME_LINK=/usr/lib/$MA/libvirt-lxc.so.0
# Debian ships it without its setuid bit, which it needs to work at all; an
# admin who wants it gives it that bit the way dpkg keeps across upgrades.
if [ ! -u /usr/bin/virt-login-shell ]; then
    echo "deb-test: virt-login-shell: dpkg-statoverride --update --add root root 4755 (as an admin would)"
    dpkg-statoverride --update --add root root 4755 /usr/bin/virt-login-shell
fi
sys_file=$(readlink -f "$SONAME_LINK")
ok "libvirt0's $SONAME_LINK -> $sys_file"

step "Build-Depends, from Debian"
apt_install build-essential fakeroot lintian
enable_backports
if [ "$codename" = bookworm ]; then
    # The releases Build-Depends asks for: bookworm-backports' (apt takes
    # another release's version only when named).
    apt_install -t bookworm-backports golang-1.23-go golang-golang-x-sys-dev
fi
logged "apt-get build-dep ./" apt-get build-dep -y -q ./
# (dpkg-query fails for the alternatives not installed.)
{ dpkg-query -W -f '${Package} ${Version}\n' golang-go golang-1.23-go golang-1.22-go \
    golang-golang-x-sys-dev golang-github-google-go-cmp-dev 2>/dev/null || true; } |
    sed 's/^/deb-test: build with /'

step "dpkg-buildpackage -us -uc -b, without network"
mkdir "$WORK/src"
# A copy of the checkout without what builds leave in it.
tar --exclude=./.git --exclude=./build --exclude='./_build*' --exclude='./obj-*' -cf - . |
    tar -xf - -C "$WORK/src"
if ! (cd "$WORK/src" && unshare -n dpkg-buildpackage -us -uc -b >"$WORK/build.log" 2>&1); then
    tail -40 "$WORK/build.log"
    bad "dpkg-buildpackage"
    exit 1
fi
grep -E '^(dpkg-deb: building|Program go found)' "$WORK/build.log" | sed 's/^/deb-test: /'
deb=$(ls "$WORK"/${PKG}_*.deb)
ok "built $(basename "$deb")"
lintian --tag-display-limit 0 "$WORK"/${PKG}_*.changes >"$WORK/lintian" 2>&1 || true
sed 's/^/deb-test: lintian: /' "$WORK/lintian"
if grep -q '^E: ' "$WORK/lintian"; then bad "lintian reports errors"; else ok "lintian: no error"; fi

step "install"
apt_install "$deb"
dpkg-divert --list '*libvirt-lxc*' | sed 's/^/deb-test: /'
# The Go binding's client, built as tests/live does (GOPATH mode, Debian's
# copy of the binding), with the Go the package was built with.
require_go
(cd tests/clients/gobinding && GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS=-buildvcs=false \
    GOCACHE="$WORK/gocache" go build -o "$WORK/gobinding" .)
check_clients "installed"

step "apt-get install --reinstall libvirt0; ldconfig"
logged "reinstall libvirt0" apt-get install -y -q --reinstall libvirt0
ldconfig
check_clients "libvirt0 reinstalled, ldconfig"

if [ "$codename" = bookworm ]; then
    step "libvirt upgraded to bookworm-backports' release"
    libvirt_pkgs=$(dpkg-query -W -f '${db:Status-Abbrev} ${binary:Package} ${source:Package}\n' |
        awk '$1 == "ii" && $3 == "libvirt" {print $2}')
    logged "apt-get install -t bookworm-backports libvirt" \
        apt-get install -y -q --no-install-recommends -t bookworm-backports $libvirt_pkgs
    echo "deb-test: libvirt0 $(dpkg-query -W -f '${Version}' libvirt0)"
    ldconfig
    LXCGO_DAEMON_RESTART=1 bash tests/testbed/up.sh
    dpkg-divert --list '*libvirt-lxc*' | sed 's/^/deb-test: /'
    check_clients "libvirt upgraded to $(dpkg-query -W -f '${Version}' libvirt0), ldconfig"
fi

step "remove, purge"
logged "apt-get remove $PKG" apt-get remove -y -q "$PKG"
logged "apt-get purge $PKG" apt-get purge -y -q "$PKG"
ldconfig
now=$(readlink -f "$SONAME_LINK")
if dpkg-query -S "$now" | grep -q '^libvirt0:'; then ok "$SONAME_LINK -> $now (libvirt0's)"; else bad "$SONAME_LINK -> $now"; fi
if out=$(dpkg --verify libvirt0 2>&1) && [ -z "$out" ]; then ok "dpkg --verify libvirt0: clean"; else bad "dpkg --verify libvirt0: $out"; fi
if [ -z "$(dpkg-divert --list '*libvirt-lxc*')" ]; then ok "no diversion left"; else bad "diversions left: $(dpkg-divert --list '*libvirt-lxc*')"; fi
left=$(ls -d /usr/lib/"$MA"/libvirt-lxc-go* 2>/dev/null || true)
if [ -z "$left" ] && ! dpkg-query -W "$PKG" 2>/dev/null | grep -q .; then ok "nothing of $PKG left"; else bad "left: $left $(dpkg-query -W "$PKG" 2>&1)"; fi
out=$(LD_DEBUG=libs LD_DEBUG_OUTPUT="$WORK/ld" virsh -q -c "$URI" lxc-enter-namespace lxcgo-plain \
    --noseclabel -- /bin/sh -c "$INSIDE" 2>&1) || true
if [ "$out" = "$(init_ns lxcgo-plain)" ] && [ "$(loader_inits 'libvirt-lxc')" = "$now" ]; then
    ok "virsh lxc-enter-namespace with libvirt's library again"
else
    bad "virsh after removal: $out"
fi

step "done: $failures failure(s)"
[ "$failures" = 0 ]
