#!/bin/bash
# Runs the README's two commands as a new user would, in a fresh minimal
# Debian root of the given release, cut off from this machine:
#
#   bash scripts/fresh-root.sh bookworm|trixie [COMMAND]
#
# Without COMMAND: `bash scripts/demo.sh`, then `bash scripts/test.sh`, in the
# project's directory there; exits non-zero when either failed. COMMAND (a
# bash command line; `bash` gives a shell) runs there instead. Needs root;
# installs debootstrap and slirp4netns on this host when they are missing.
# LXCGO_DEBIAN_MIRROR overrides the mirror (default: this host's apt's).
#
# Hazards, and what is done about each:
# - This host's libvirtd (the test bed's or the system's), its domains and its
#   cgroups must never be seen or touched: the root gets its own mount, pid,
#   network, ipc, uts and cgroup namespaces, and its own /run, where no daemon
#   of the host has a socket.
# - Nothing of an earlier run may make a run pass: the root is made with
#   debootstrap --variant=minbase in a new directory every time (about a
#   minute; a cached root or package set would save that minute but would
#   let an earlier run's packages, build or test bed in, and go stale), and
#   the project enters it as committed: this checkout's HEAD, fetched with
#   git (uncommitted changes stay out; a warning says so).
# - The root must be a mount point, as on a real machine, or `unshare
#   --propagation private` in there (up.sh's libvirtd, login-shell.sh) fails
#   ("cannot change root filesystem propagation").
# - pivot_root, not chroot: the kernel refuses a new user namespace to a
#   chrooted process, so a domain with <idmap> would fail ("Kernel doesn't
#   support user namespace").
# - libvirt names container cgroups lxc-PID-NAME.libvirt-lxc, and the PIDs of
#   another pid namespace repeat the host's: the root's cgroup hierarchies are
#   rooted (cgroup namespace) in a cgroup of this run's own in each of the
#   host's, removed at the end.
# - Network through user-mode NAT (slirp4netns, its DNS forwarder too): no
#   interface, route or firewall rule of the host changes.
# - A network that intercepts TLS needs this host's extra CA files
#   (/usr/local/share/ca-certificates) for Go module downloads: they are
#   copied in, where the ca-certificates package up.sh installs takes them up.
# - No init system runs there: policy-rc.d keeps package scripts from
#   starting services (up.sh starts its own libvirtd), as in Debian's
#   container images; /etc/hosts is written as the installer would.
# - Nothing of this host's software enters the root, its Go included: the
#   scripts there install Debian's Go as on any machine without one
#   (scripts/env.sh: require_go).
# - The host's /dev is bound in for its devices; ptys (devpts), /dev/shm and
#   /run are instances of the root's own.
# When it ends, everything started there dies with the pid namespace, the
# mounts go with the mount namespace, and the cgroups and the root directory
# are removed (all but the suite's logs, kept in _build-fresh-root-SUITE/).
# Only a SIGKILL of this script leaves the directory /var/tmp/lxcgo-root.*
# and the cgroups lxcgo-root-* behind.
set -euo pipefail
SELF=$(readlink -f "$0")
log() { echo "fresh-root: $*" >&2; }
die() { log "FAILED: $*"; exit 1; }

# Second stage, in the new namespaces, as their pid 1 (this bash reaps every
# orphan, as an init would): mounts, pivot_root, then the command.
if [ "${1:-}" = --inner ]; then
    R=$2 CMD=$3
    shift 3
    for _ in $(seq 200); do ip -4 -o addr show tap0 2>&1 | grep -q inet && break; sleep 0.05; done
    ip -4 -o addr show tap0 | grep -q inet || die "no network: slirp4netns configured no tap0"
    ip link set lo up
    cat "$R/etc/hostname" >/proc/sys/kernel/hostname
    mount --bind "$R" "$R"
    mount -t proc proc "$R/proc"
    mount -t sysfs sysfs "$R/sys"
    # "mountpoint fstype options": the host's cgroup hierarchies, rooted in
    # this run's cgroups by the cgroup namespace.
    if [ "${1%% *}" != /sys/fs/cgroup ]; then
        mount -t tmpfs -o mode=755 cgroup "$R/sys/fs/cgroup"
    fi
    for h in "$@"; do
        read -r mp fstype opts <<<"$h"
        mkdir -p "$R$mp"
        mount -t "$fstype" -o "$opts" "$fstype" "$R$mp"
    done
    mount --bind /dev "$R/dev"
    mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$R/dev/pts"
    mount --bind "$R/dev/pts/ptmx" "$R/dev/ptmx"
    mount -t tmpfs -o mode=1777 shm "$R/dev/shm"
    mount -t tmpfs -o mode=755 run "$R/run"
    mkdir -p "$R/run/lock"
    cd "$R"
    pivot_root . .
    umount -l .
    cd /
    /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" LANG=C.UTF-8 \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        /bin/bash -c "cd /root/proj && $CMD" <&3 &
    rc=0
    wait $! || rc=$?
    exit $rc
fi

# First stage, on this host, in one group that bash reads whole before
# running any of it: the checkout may change while a run takes its minutes.
{
[ $# -ge 1 ] && [ $# -le 2 ] || { sed -n '2,11s/^# \{0,1\}//p' "$SELF" >&2; exit 2; }
SUITE=$1
case $SUITE in *[!a-z]* | "") die "SUITE must be a Debian release name such as bookworm or trixie, not '$SUITE'" ;; esac
CMD=${2:-'rc=0
for c in "bash scripts/demo.sh" "bash scripts/test.sh"; do
    echo "fresh-root: $c"; start=$SECONDS; r=0
    $c || r=$?
    echo "fresh-root: $c: exit $r after $((SECONDS - start)) s"
    [ $r = 0 ] || rc=1
done
exit $rc'}
[ "$(id -u)" = 0 ] || die "must run as root"
source "$(dirname "$SELF")/env.sh"
exec 3<&0
t0=$SECONDS
step() { log "$* ($((SECONDS - t0)) s since start)"; }

step "host tools"
need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v slirp4netns >/dev/null || need+=(slirp4netns)
command -v ip >/dev/null || need+=(iproute2)
command -v git >/dev/null || need+=(git)
if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]} on this host"
    apt-get update -qq || die "apt-get update (its output is above)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" ||
        die "apt-get install ${need[*]} (its output is above)"
fi
commit=$(git -C "$ROOT" rev-parse HEAD) || die "$ROOT is not a git checkout with a commit"
if [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no)" ]; then
    log "warning: uncommitted changes in $ROOT are not in the root; it gets commit $commit"
fi
# The Debian mirror this host's apt uses, else Debian's own.
mirror=${LXCGO_DEBIAN_MIRROR:-}
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list.d/debian.sources ]; then
    mirror=$(awk '$1 == "URIs:" && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
fi
mirror=${mirror:-http://deb.debian.org/debian}

# Everything below is undone by cleanup, whatever stopped the run; the
# suite's logs are kept here (the build tree in the root goes with it).
logs=$ROOT/_build-fresh-root-$SUITE
R="" upid="" spid="" cgdirs=()
cleanup() {
    local d i
    if [ -n "$upid" ]; then kill "$upid" && wait "$upid" || true; fi
    if [ -n "$spid" ]; then kill "$spid" && wait "$spid" || true; fi
    # Deepest first: what the root's libvirt made, then ours. The killed
    # processes leave their cgroups asynchronously.
    for d in "${cgdirs[@]}"; do
        for i in $(seq 50); do
            [ -d "$d" ] || break
            find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || sleep 0.1
        done
        [ -d "$d" ] && log "FAILED: could not remove the cgroup $d"
    done
    if [ -n "$R" ] && [ -d "$R/root/proj/build/meson-logs" ]; then
        rm -rf "$logs"
        mkdir -p "$logs"
        cp -a "$R/root/proj/build/meson-logs" "$logs/"
        log "the suite's full logs: $logs/meson-logs"
    fi
    if [ -n "$R" ] && [ -d "$R" ]; then
        if awk -v r="$R" 'index($5, r) == 1 {bad = 1} END {exit !bad}' /proc/self/mountinfo; then
            log "FAILED: something is mounted under $R on this host; not removing it"
        else
            rm -rf --one-file-system "$R"
        fi
        rm -f "$R.slirp4netns.log"
    fi
    step "done, cleaned up"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

step "debootstrap --variant=minbase $SUITE from $mirror"
R=$(mktemp -d "/var/tmp/lxcgo-root.$SUITE.XXXXXX")
chmod 755 "$R" # the root's /: every user there must get through it
logged "debootstrap --variant=minbase $SUITE" debootstrap --variant=minbase "$SUITE" "$R" "$mirror" ||
    die "debootstrap $SUITE into $R"

step "the root's machine set-up and the project at $commit"
echo "lxcgo-$SUITE" >"$R/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tlxcgo-%s\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
    "$SUITE" >"$R/etc/hosts"
echo "nameserver 10.0.2.3" >"$R/etc/resolv.conf" # slirp4netns's DNS forwarder
printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"
chmod 755 "$R/usr/sbin/policy-rc.d"
mkdir -p "$R/usr/local/share/ca-certificates"
for c in /usr/local/share/ca-certificates/*.crt; do
    [ -f "$c" ] && cp "$c" "$R/usr/local/share/ca-certificates/"
done
git init -q "$R/root/proj"
# The commit taken at the start, even if HEAD moved on meanwhile: fetched
# with every branch, since a bare commit id cannot be asked for.
logged "git fetch of $ROOT" git -C "$R/root/proj" fetch -q "$ROOT" HEAD \
    '+refs/heads/*:refs/remotes/src/*' || die "git fetch"
logged "checkout of $commit" git -C "$R/root/proj" checkout -q --detach "$commit" ||
    die "the commit $commit is on no branch of $ROOT"
[ "$(git -C "$R/root/proj" rev-parse HEAD)" = "$commit" ] || die "the root's checkout is not $commit"

# The host's cgroup hierarchies under /sys/fs/cgroup, as "mountpoint fstype
# options", and in each a cgroup of this run's own.
cg=lxcgo-root-$SUITE-$$
hier=()
while read -r _ _ _ _ mp _ rest; do
    post=" $rest"
    post=${post#* - }
    read -r fstype _ opts <<<"$post"
    case $fstype in cgroup | cgroup2) ;; *) continue ;; esac
    case $mp in /sys/fs/cgroup | /sys/fs/cgroup/*) ;; *) continue ;; esac
    opts=$(tr , '\n' <<<"$opts" | { grep -vxE 'rw|ro' || true; } | paste -sd, -)
    if [ "$fstype" = cgroup2 ]; then
        path=$(sed -n 's/^0:://p' /proc/self/cgroup)
    else
        ctl=$(tr , '\n' <<<"$opts" |
            { grep -vxE 'xattr|noprefix|clone_children|cpuset_v2_mode|release_agent=.*' || true; } | paste -sd, -)
        path=$(awk -F: -v c="$ctl" '$2 == c {print $3}' /proc/self/cgroup)
    fi
    d="$mp${path%/}/$cg"
    mkdir "$d"
    cgdirs+=("$d")
    if [ -f "$d/cpuset.cpus" ]; then # v1 cpuset: no task joins an empty set
        cat "$(dirname "$d")/cpuset.cpus" >"$d/cpuset.cpus"
        cat "$(dirname "$d")/cpuset.mems" >"$d/cpuset.mems"
    fi
    hier+=("$mp $fstype ${opts:-defaults}")
done </proc/self/mountinfo
[ ${#hier[@]} -gt 0 ] || die "no cgroup hierarchy under /sys/fs/cgroup on this host"

step "into the namespaces: $(tr '\n' ' ' <<<"${2:-bash scripts/demo.sh; bash scripts/test.sh}")"
# Join this run's cgroups, then unshare: the cgroup namespace is rooted where
# the process is at that moment.
(
    for d in "${cgdirs[@]}"; do echo "$BASHPID" >"$d/cgroup.procs"; done
    exec unshare -m -p -f -C -n -i -u --propagation private --mount-proc --kill-child \
        bash "$SELF" --inner "$R" "$CMD" "${hier[@]}"
) <&3 &
upid=$!
# Connect its network namespace once it has one of its own.
host_net=$(readlink /proc/self/ns/net)
for _ in $(seq 200); do
    n=$(readlink "/proc/$upid/ns/net") || break
    [ "$n" != "$host_net" ] && break
    sleep 0.05
done
[ "$(readlink "/proc/$upid/ns/net")" != "$host_net" ] || die "the namespaces did not come up"
slirp4netns --configure --mtu=65520 --disable-host-loopback "$upid" tap0 >"$R.slirp4netns.log" 2>&1 &
spid=$!
rc=0
wait "$upid" || rc=$?
upid=""
if [ "$rc" != 0 ] && [ -s "$R.slirp4netns.log" ]; then
    log "slirp4netns's log:"
    sed 's/^/    /' "$R.slirp4netns.log" >&2
fi
step "$SUITE: exit $rc"
exit $rc
}
