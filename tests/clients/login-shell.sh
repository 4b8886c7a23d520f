#!/bin/bash
# Runs virt-login-shell's helper, unchanged, for one test domain, with either
# the system libvirt-lxc.so.0 or ours, without touching the host:
#
#   login-shell.sh OUTDIR BUILDDIR|"" USER UID GID CMD
#
# Everything happens in a private mount namespace that dies with this script:
# - the helper looks up the domain named after the user, and only allows
#   users listed in /etc/libvirt/virt-login-shell.conf, so copies of
#   /etc/passwd, /etc/group and that file with the test user added are
#   bind-mounted over the originals;
# - with BUILDDIR, our library is put in the system's place: the loader
#   ignores LD_LIBRARY_PATH for setuid programs (how virt-login-shell is
#   meant to be installed), and our library finds its core and helper next
#   to itself (<libdir>/libvirt-lxc-go/), so a read-only overlay on top of
#   /usr/lib/x86_64-linux-gnu adds ours in the installed layout.
#
# Writes OUTDIR/{stdout,stderr,rc,mapped,ld.*}: "mapped" is the kernel's
# record of the libvirt-lxc.so.0 mapped by the running helper (path and
# sha256 of the mapped file, read through /proc/PID/map_files), ld.* the
# dynamic loader's trace of the helper and its children.
set -euo pipefail
if [ "${LXCGO_IN_NS:-}" != 1 ]; then
    LXCGO_IN_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
out=$1 build=$2 user=$3 uid=$4 gid=$5 cmd=$6
libdir=/usr/lib/x86_64-linux-gnu
helper=/usr/lib/libvirt/virt-login-shell-helper

getent passwd "$uid" >/dev/null && { echo "uid $uid is taken" >&2; exit 90; }
getent passwd "$user" >/dev/null && { echo "user $user exists" >&2; exit 90; }
tmp=$(mktemp -d)
# Lazily: the bind mounts keep the tmpfs busy until this namespace is gone.
trap 'umount -l "$tmp"; rmdir "$tmp"' EXIT
# The files live in a tmpfs of this namespace only.
mount -t tmpfs -o mode=0755 lxcgo "$tmp"
cp /etc/passwd "$tmp/passwd"
cp /etc/group "$tmp/group"
echo "$user:x:$uid:$gid::/:/bin/sh" >>"$tmp/passwd"
echo "$user:x:$gid:" >>"$tmp/group"
echo "allowed_users = [ \"$user\" ]" >"$tmp/virt-login-shell.conf"
mount --bind "$tmp/passwd" /etc/passwd
mount --bind "$tmp/group" /etc/group
mount --bind "$tmp/virt-login-shell.conf" /etc/libvirt/virt-login-shell.conf

# The system library's file, named after its libvirt release
# (libvirt-lxc.so.0.9000.0 for 9.0.0), from its soname link.
real=$(readlink -f "$libdir/libvirt-lxc.so.0")
[ -f "$real" ] || { echo "no system $libdir/libvirt-lxc.so.0" >&2; exit 90; }
real=$(basename "$real")
if [ -n "$build" ]; then
    mkdir -p "$tmp/lib/libvirt-lxc-go"
    chmod 0755 "$tmp/lib"
    cp "$(readlink -f "$build/libvirt-lxc.so.0")" "$tmp/lib/$real"
    cp "$build/libvirt-lxc-core.so" "$build/libvirt-lxc-open" "$tmp/lib/libvirt-lxc-go/"
    mount -t overlay lxcgo-lib -o "lowerdir=$tmp/lib:$libdir" "$libdir"
fi
sha256sum "$libdir/$real" | cut -d' ' -f1 >"$out/installed"

rc=0
LD_DEBUG=libs LD_DEBUG_OUTPUT="$out/ld" "$helper" -c "$cmd" "$uid" "$gid" \
    >"$out/stdout" 2>"$out/stderr" </dev/null &
pid=$!
# While the helper waits for the command, the kernel shows what it mapped.
for _ in $(seq 300); do
    line=$(grep -m1 'libvirt-lxc\.so' "/proc/$pid/maps" 2>/dev/null) || line=
    if [ -n "$line" ]; then
        range=${line%% *}
        sum=$(sha256sum "/proc/$pid/map_files/$range" | cut -d' ' -f1)
        echo "${line##* } $sum" >"$out/mapped"
        break
    fi
    sleep 0.01
done
wait "$pid" || rc=$?
echo "$rc" >"$out/rc"
