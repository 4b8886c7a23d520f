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
# of what clients see when the daemon goes away. Two more settings of the
# daemon, each kept as it is unless given:
#   LXCGO_DAEMON_ACTIVATION=systemd   started by systemd-socket-activate
#                                     (which execs the daemon in its place)
#   LXCGO_DAEMON_ACTIVATION=listener  started by listen-activate.py, which
#                                     stays its parent holding the sockets
#                                     (whose SO_PEERCRED is then its own,
#                                     as under systemd)
#   LXCGO_DAEMON_ACTIVATION=          the daemon listens itself
#   LXCGO_DAEMON_DRIVERS=nolxc        the LXC driver cannot be loaded
#   LXCGO_DAEMON_DRIVERS=             every driver
#   LXCGO_DAEMON_CONF_EXTRA=TEXT      TEXT appended (after a newline) to the
#                                     daemon's config file, which is then
#                                     $STATE/libvirtd-extra.conf
#   LXCGO_DAEMON_CONF_EXTRA=          only the keepalive settings, in
#                                     $STATE/libvirtd.conf
#   LXCGO_DAEMON_CONFIG_ARG=WORDS     how the daemon is given its config
#                                     file: WORDS (split on blanks) with PATH
#                                     replaced by its absolute name and REL
#                                     by its name relative to $STATE, the
#                                     daemon then started in $STATE; e.g.
#                                     "-fPATH", "--conf=PATH", "-f REL",
#                                     "-df PATH" (-d: it daemonizes; its pid
#                                     is then its pid file's, as ever)
#   LXCGO_DAEMON_CONFIG_ARG=          "--config PATH"
# The LXC domains keep running across restarts (without the LXC driver
# they are not looked at). A defined-only QEMU domain, lxcgo-qemu, is there
# for calls on a connection of another driver. A daemon the test bed did
# not start is never touched.
set -euo pipefail

STATE=/run/lxcgo-testbed
URI=lxc:///system
QEMU_URI=qemu:///system
DOMAINS="lxcgo-plain lxcgo-userns lxcgo-off"
QEMU_DOMAIN=lxcgo-qemu
RUN_DIR=/run/libvirt
# What the daemon runs with: "lib=<LD_LIBRARY_PATH> act=<activation>
# drivers=<drivers> extra=<config text, base64> config=<config words>".
MODE_FILE=$STATE/daemon-mode
# The daemon's config files, with and without LXCGO_DAEMON_CONF_EXTRA.
CONF=$STATE/libvirtd.conf
EXTRA_CONF=$STATE/libvirtd-extra.conf
DEFAULT_CONFIG_ARG="--config PATH"
# How many whole seconds older than the daemon its config file must be for
# our library in it to trust that the daemon read what is on disk: more
# than the slack of internal/indaemon/daemonconf.go (startSlack, 100 ms), in
# the seconds date(1) and stat(1) count.
CONF_AGE=1
# Everything the build, the demo and the suite use that a minimal Debian 12
# or 13 (debootstrap --variant=minbase) lacks: gcc does not pull in the C
# library's headers without recommends; Go module downloads need
# ca-certificates. Go itself is not here (scripts/env.sh: require_go).
PACKAGES="libvirt-daemon libvirt-daemon-driver-lxc libvirt-clients libvirt-dev
  libvirt-login-shell python3 python3-libvirt meson ninja-build pkg-config gcc
  libc6-dev binutils strace valgrind util-linux procps ca-certificates
  golang-github-libvirt-libvirt-go-dev libvirt-daemon-driver-qemu
  qemu-system-x86 systemd"

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

# The URI the daemon must answer on in its current drivers setting.
probe_uri() {
    if [ "${DRIVERS:-}" = nolxc ]; then echo "$QEMU_URI"; else echo "$URI"; fi
}

daemon_answers() {
    timeout 10 virsh -q -c "$(probe_uri)" version >/dev/null 2>&1
}

# A driver directory without the LXC driver (LIBVIRT_DRIVER_DIR, which
# libvirt's module loader honours: src/util/virfile.c
# virFileFindResourceFull).
nolxc_driver_dir() {
    local dir=$STATE/drivers-nolxc src f
    src=$(dirname "$(ls /usr/lib/*/libvirt/connection-driver/libvirt_driver_qemu.so | head -1)")
    rm -rf "$dir"
    mkdir -p "$dir"
    for f in "$src"/*.so; do
        case $(basename "$f") in libvirt_driver_lxc.so) continue ;; esac
        ln -s "$f" "$dir/"
    done
    echo "$dir"
}

# write_conf FILE TEXT: FILE holds TEXT, and is old enough (CONF_AGE) for
# our library in the daemon to trust it; rewritten only when it differs,
# so that the usual daemon's restarts wait for nothing.
write_conf() {
    local f=$1 text
    text=$(printf %s "$2") # as cat gives it back: no trailing newlines
    if [ "$(cat "$f" 2>/dev/null)" != "$text" ]; then
        printf '%s\n' "$text" >"$f"
    fi
    while [ $(($(date +%s) - $(stat -c %Z "$f"))) -le "$CONF_AGE" ]; do sleep 0.5; done
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
    local conf=$CONF text
    text=$(printf 'keepalive_interval = 1\nkeepalive_count = 2\n')
    [ -n "$EXTRA" ] && { conf=$EXTRA_CONF; text+=$'\n'$EXTRA; }
    write_conf "$conf" "$text"
    # The config file argument, and the directory the daemon starts in
    # (unchanged unless a relative name is asked for).
    local confargs=() w dir=.
    for w in ${CONFIG_ARG:-$DEFAULT_CONFIG_ARG}; do
        case $w in *REL*) dir=$STATE ;; esac
        w=${w//PATH/$conf}
        confargs+=("${w//REL/${conf#"$STATE"/}}")
    done
    local activate=() envs=()
    [ -n "$LIB" ] && envs+=("LD_LIBRARY_PATH=$LIB")
    [ "$DRIVERS" = nolxc ] && envs+=("LIBVIRT_DRIVER_DIR=$(nolxc_driver_dir)")
    # The socket names libvirtd looks for (src/remote/remote_daemon.c).
    local socks=("libvirtd.socket=$RUN_DIR/libvirt-sock" "libvirtd-ro.socket=$RUN_DIR/libvirt-sock-ro"
        "libvirtd-admin.socket=$RUN_DIR/libvirt-admin-sock")
    case $ACT in
    systemd)
        local s names=""
        for s in "${socks[@]}"; do
            activate+=(-l "${s#*=}")
            names=${names:+$names:}${s%%=*}
        done
        # It passes the daemon only the environment it is told to.
        for s in "${envs[@]}" PATH; do activate+=(-E "${s%%=*}"); done
        activate=(systemd-socket-activate "${activate[@]}" --fdname="$names")
        ;;
    listener) activate=(python3 "$(cd "$(dirname "$0")" && pwd)/listen-activate.py" "${socks[@]}" --) ;;
    "") ;;
    *) log "unknown LXCGO_DAEMON_ACTIVATION '$ACT'"; exit 1 ;;
    esac
    case $DRIVERS in nolxc | "") ;; *) log "unknown LXCGO_DAEMON_DRIVERS '$DRIVERS'"; exit 1 ;; esac
    # An activator binds the sockets itself; a previous daemon's files stay.
    [ -n "$ACT" ] && rm -f "${socks[@]#*=}"
    log "starting a private libvirtd (lib='$LIB' activation='$ACT' drivers='$DRIVERS' config: ${confargs[*]}${EXTRA:+, with extra settings})"
    # The daemon outlives this script: it must hold no fd of whoever ran
    # it (a lock of theirs, a CI log pipe), only its own stdio.
    (
        for fd in $(ls /proc/$BASHPID/fd); do
            [ "$fd" -gt 2 ] && eval "exec $fd>&-"
        done
        cd "$dir"
        exec setsid env "${envs[@]}" \
            unshare -m --propagation private /bin/sh -c '
            if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified; fi
            exec "$@"
        ' sh "${activate[@]}" /usr/sbin/libvirtd --pid-file /run/libvirt/lxcgo-libvirtd.pid "${confargs[@]}"
    ) </dev/null >>/var/log/libvirt/lxcgo-libvirtd.log 2>&1 &
    mode_line >"$MODE_FILE"
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
    local name=$1 f attempt
    # domuuid, not dominfo: dominfo also reads the domain's cgroups, and
    # fails for a running domain whose container is not right.
    if ! virsh -q -c "$URI" domuuid "$name" >/dev/null 2>&1; then
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
    [ "$(virsh -q -c "$URI" domstate "$name")" = running ] && return
    for attempt in 1 2 3; do
        virsh -q -c "$URI" start "$name" >/dev/null
        grep -qx "$name" "$STATE/started" 2>/dev/null || echo "$name" >>"$STATE/started"
        domain_enterable "$name" && return
        log "$name started but cannot be entered (libvirtd: $(domain_enter_error "$name")); restarting it"
        virsh -q -c "$URI" destroy "$name" >/dev/null 2>&1 || true
    done
    log "FAILED: $name cannot be entered after 3 starts"
    exit 1
}

# "virsh start" returns before the LXC controller has told the daemon the
# container's init pid; until then OpenNamespace fails with "Init pid is
# not yet available" (libvirt's src/lxc/lxc_driver.c). Seen in a fresh
# Debian 13 root under load (libvirt 11.3): a user-namespace container whose
# daemon never learnt it at all. So a domain this script starts is ready
# once libvirt's own library enters it; one that cannot be entered within
# 20 s is started again.
enter_domain() {
    env -u LD_LIBRARY_PATH virsh -q -c "$URI" lxc-enter-namespace "$1" --noseclabel -- /bin/true
}

domain_enter_error() {
    enter_domain "$1" 2>&1 >/dev/null | tr '\n' ' '
}

domain_enterable() {
    local _
    for _ in $(seq 40); do
        enter_domain "$1" >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    return 1
}

our_daemon_pid() {
    local pid
    pid=$(cat /run/libvirt/lxcgo-libvirtd.pid 2>/dev/null) || return 1
    [ -f "$STATE/daemon" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# The settings asked for: each one given, else the running daemon's.
want_mode() {
    local pid have_lib="" have_act="" have_drv="" have_extra="" have_config="" mode
    if pid=$(our_daemon_pid) && [ -f "$MODE_FILE" ]; then
        read -r mode <"$MODE_FILE"
        have_lib=$(sed -n 's/^lib=\(.*\) act=.*/\1/p' <<<"$mode")
        have_act=$(sed -n 's/.* act=\(.*\) drivers=.*/\1/p' <<<"$mode")
        have_drv=$(sed -n 's/.* drivers=\(.*\) extra=.*/\1/p' <<<"$mode")
        have_extra=$(sed -n 's/.* extra=\([^ ]*\) config=.*/\1/p' <<<"$mode" | base64 -d)
        have_config=$(sed -n 's/.* config=\(.*\)$/\1/p' <<<"$mode")
    elif pid=$(our_daemon_pid); then
        have_lib=$(tr '\0' '\n' </proc/"$pid"/environ | sed -n 's/^LD_LIBRARY_PATH=//p')
    fi
    LIB=${LXCGO_DAEMON_LIBRARY_PATH-$have_lib}
    ACT=${LXCGO_DAEMON_ACTIVATION-$have_act}
    DRIVERS=${LXCGO_DAEMON_DRIVERS-$have_drv}
    EXTRA=${LXCGO_DAEMON_CONF_EXTRA-$have_extra}
    CONFIG_ARG=${LXCGO_DAEMON_CONFIG_ARG-$have_config}
}

# The one line of MODE_FILE for the settings asked for.
mode_line() {
    echo "lib=$LIB act=$ACT drivers=$DRIVERS extra=$(printf %s "$EXTRA" | base64 -w0) config=$CONFIG_ARG"
}

# Restart our daemon when it runs with other settings than asked for, or
# when a restart is asked for.
match_daemon() {
    local pid restart=${LXCGO_DAEMON_RESTART:-}
    if ! pid=$(our_daemon_pid); then
        [ -n "${LXCGO_DAEMON_LIBRARY_PATH+set}${LXCGO_DAEMON_ACTIVATION+set}${LXCGO_DAEMON_DRIVERS+set}${LXCGO_DAEMON_CONF_EXTRA+set}${LXCGO_DAEMON_CONFIG_ARG+set}" ] ||
            [ "$restart" = 1 ] || return 0
        daemon_answers || return 0
        log "LXCGO_DAEMON_* is set but the running libvirtd was not started by the test bed"
        exit 1
    fi
    [ "$restart" != 1 ] && [ "$(cat "$MODE_FILE" 2>/dev/null)" = "$(mode_line)" ] &&
        return 0
    log "restarting libvirtd (pid $pid)"
    kill "$pid"
    # Until it is gone: a new daemon started beside it would fail on its pid
    # file, and the old one, exiting later, would take that file along.
    for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { log "libvirtd (pid $pid) did not exit within 60 s"; exit 1; }
    # An activator that outlived its daemon would keep the sockets.
    for _ in $(seq 50); do pgrep -f listen-activate.py >/dev/null || break; sleep 0.1; done
    start_daemon
}

# The defined-only QEMU domain: no KVM needed, the emulator is only probed.
ensure_qemu_domain() {
    virsh -q -c "$QEMU_URI" dominfo "$QEMU_DOMAIN" >/dev/null 2>&1 && return
    local f
    f=$(mktemp)
    cat >"$f" <<XML
<domain type='qemu'>
  <name>$QEMU_DOMAIN</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64'>hvm</type></os>
  <devices><emulator>$(command -v qemu-system-x86_64)</emulator></devices>
</domain>
XML
    virsh -q -c "$QEMU_URI" define "$f" >/dev/null || { rm -f "$f"; log "FAILED: defining $QEMU_DOMAIN"; exit 1; }
    rm -f "$f"
    echo "$QEMU_DOMAIN" >>"$STATE/defined-qemu"
}

install_packages
want_mode
match_daemon
daemon_answers || start_daemon
ensure_qemu_domain
if [ "$DRIVERS" = nolxc ]; then
    log "ready without the LXC driver: $QEMU_DOMAIN"
    exit 0
fi
for d in $DOMAINS; do ensure_domain "$d"; done
log "ready: $(virsh -q -c "$URI" list --all | awk '/lxcgo-/ {printf "%s(%s) ", $2, $1}')"
