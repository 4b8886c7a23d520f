#!/bin/bash
# Brings up the live test bed, idempotently: Debian packages, a libvirtd (a
# private one when none answers), and three LXC domains:
#   lxcgo-plain   running, private network namespace, host user namespace
#   lxcgo-userns  running, own user namespace (uid/gid 0 -> 100000, 65536)
#   lxcgo-off     defined, never started
# What this script starts is recorded under $STATE so that down.sh stops only
# that. Safe to run concurrently (flock). Needs root.
#
# LXCGO_DAEMON_LIBRARY_PATH=DIR makes the daemon run with that
# LD_LIBRARY_PATH (so libvirtd loads our libvirt-lxc.so.0 from DIR); the
# test bed's own daemon is restarted to match, and LXCGO_DAEMON_LIBRARY_PATH=
# (empty) restarts it with the system library. LXCGO_DAEMON_RESTART=1
# restarts it in any case (same library path unless one is given), for tests
# of what clients see when the daemon goes away. The domains keep running
# across the restart. A daemon the test bed did not start is never touched.
set -euo pipefail

STATE=/run/lxcgo-testbed
URI=lxc:///system
DOMAINS="lxcgo-plain lxcgo-userns lxcgo-off"
# Everything the build, the demo and the suite use that a minimal Debian 12
# or 13 (debootstrap --variant=minbase) lacks: gcc does not pull in the C
# library's headers without recommends; Go module downloads need
# ca-certificates. Go itself is not here (scripts/env.sh: require_go).
PACKAGES="libvirt-daemon libvirt-daemon-driver-lxc libvirt-clients libvirt-dev
  libvirt-login-shell python3 python3-libvirt meson ninja-build pkg-config gcc
  libc6-dev binutils strace valgrind util-linux procps ca-certificates
  golang-github-libvirt-libvirt-go-dev"

log() { echo "testbed: $*" >&2; }

[ "$(id -u)" = 0 ] || { log "must run as root"; exit 1; }
mkdir -p "$STATE"
exec 9>"$STATE/lock"
flock 9

install_packages() {
    local missing=()
    for p in $PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || { log "FAILED: apt-get update (its output is above)"; exit 1; }
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
        { log "FAILED: apt-get install ${missing[*]} (its output is above)"; exit 1; }
}

daemon_answers() {
    timeout 10 virsh -q -c "$URI" version >/dev/null 2>&1
}

start_daemon() {
    # libvirtd exits at start-up without these.
    getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
    getent passwd libvirt-qemu >/dev/null ||
        useradd -r -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
    mkdir -p /var/log/libvirt /var/lib/libvirt/lxc /run/libvirt
    # In a private mount namespace without the cgroup2 mount at
    # /sys/fs/cgroup/unified: with it, containers fail to start ("Unable to
    # create directory /sys/fs/cgroup/unified") on these hybrid hosts.
    # Keepalive every second, a client dropped after 2 unanswered: an hour
    # of idling, for a client that asked for keepalive and then does not
    # answer, takes seconds here (tests/live/coreproc_test.go). Otherwise
    # the defaults, as with no configuration file.
    printf 'keepalive_interval = 1\nkeepalive_count = 2\n' >"$STATE/libvirtd.conf"
    log "starting a private libvirtd"
    # The daemon outlives this script: it must hold no fd of whoever ran
    # it (a lock of theirs, a CI log pipe), only its own stdio.
    (
        for fd in $(ls /proc/$BASHPID/fd); do
            [ "$fd" -gt 2 ] && eval "exec $fd>&-"
        done
        exec setsid env ${LXCGO_DAEMON_LIBRARY_PATH:+LD_LIBRARY_PATH=$LXCGO_DAEMON_LIBRARY_PATH} \
            unshare -m --propagation private /bin/sh -c '
            if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified; fi
            exec /usr/sbin/libvirtd --pid-file /run/libvirt/lxcgo-libvirtd.pid \
                --config /run/lxcgo-testbed/libvirtd.conf
        '
    ) </dev/null >>/var/log/libvirt/lxcgo-libvirtd.log 2>&1 &
    for _ in $(seq 100); do
        daemon_answers && { echo "$!" >"$STATE/daemon"; return; }
        sleep 0.2
    done
    log "libvirtd did not answer; see /var/log/libvirt/lxcgo-libvirtd.log"
    tail -20 /var/log/libvirt/lxcgo-libvirtd.log >&2 || true
    exit 1
}

domain_xml() {
    local name=$1 idmap=""
    if [ "$name" = lxcgo-userns ]; then
        idmap="<idmap><uid start='0' target='100000' count='65536'/><gid start='0' target='100000' count='65536'/></idmap>"
    fi
    cat <<XML
<domain type='lxc'>
  <name>$name</name>
  <memory unit='MiB'>128</memory>
  <os><type>exe</type><init>/bin/sleep</init><initarg>infinity</initarg></os>
  <features><privnet/></features>
  $idmap
  <devices><console type='pty'/></devices>
</domain>
XML
}

ensure_domain() {
    local name=$1 f
    if ! virsh -q -c "$URI" dominfo "$name" >/dev/null 2>&1; then
        f=$(mktemp)
        domain_xml "$name" >"$f"
        virsh -q -c "$URI" define "$f" >/dev/null
        rm -f "$f"
        echo "$name" >>"$STATE/defined"
    fi
    [ "$name" = lxcgo-off ] && {
        if [ "$(virsh -q -c "$URI" domstate "$name")" = running ]; then
            virsh -q -c "$URI" destroy "$name" >/dev/null
        fi
        return
    }
    if [ "$(virsh -q -c "$URI" domstate "$name")" != running ]; then
        virsh -q -c "$URI" start "$name" >/dev/null
        echo "$name" >>"$STATE/started"
    fi
}

our_daemon_pid() {
    local pid
    pid=$(cat /run/libvirt/lxcgo-libvirtd.pid 2>/dev/null) || return 1
    [ -f "$STATE/daemon" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# Restart our daemon when it runs with another library path than asked for,
# or when a restart is asked for.
match_daemon_library() {
    local pid want have restart=${LXCGO_DAEMON_RESTART:-}
    [ "${LXCGO_DAEMON_LIBRARY_PATH+set}" = set ] || [ "$restart" = 1 ] || return 0
    if ! pid=$(our_daemon_pid); then
        daemon_answers || return 0
        log "LXCGO_DAEMON_LIBRARY_PATH or LXCGO_DAEMON_RESTART is set but the running libvirtd was not started by the test bed"
        exit 1
    fi
    have=$(tr '\0' '\n' </proc/"$pid"/environ | sed -n 's/^LD_LIBRARY_PATH=//p')
    want=${LXCGO_DAEMON_LIBRARY_PATH-$have}
    [ "$have" = "$want" ] && [ "$restart" != 1 ] && return 0
    log "restarting libvirtd (pid $pid) with LD_LIBRARY_PATH='$want'"
    kill "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    LXCGO_DAEMON_LIBRARY_PATH=$want start_daemon
}

install_packages
match_daemon_library
daemon_answers || start_daemon
for d in $DOMAINS; do ensure_domain "$d"; done
log "ready: $(virsh -q -c "$URI" list --all | awk '/lxcgo-/ {printf "%s(%s) ", $2, $1}')"
