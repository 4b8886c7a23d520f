#!/bin/bash
# Installs the project into a throw-away prefix (meson install, and again
# with DESTDIR), then checks what a user of the installed library sees:
# pkg-config resolves to ours, a C program builds against it and, linked to
# the installed libvirt-lxc.so.0, gets namespace fds from a live domain
# through the installed Go core and helper.
# usage: check-install.sh SOURCE_DIR
set -euo pipefail
src=$(cd "$1" && pwd)
source "$src/scripts/env.sh"
"$src/tests/testbed/up.sh"
tmp=$(mktemp -d /tmp/lxcgo-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

prefix=$tmp/prefix
libdir=lib/custom-libdir
logged "meson setup" meson setup "$tmp/build" "$src" --prefix="$prefix" --libdir="$libdir"
logged "meson compile" meson compile -C "$tmp/build"
logged "meson install" meson install -C "$tmp/build"
logged "meson install with DESTDIR" meson install -C "$tmp/build" --destdir "$tmp/destdir"

# Named and versioned after the libvirt it was built against, as libvirt's
# own library is: MAJOR.MINOR.MICRO gives libvirt-lxc.so.0.<MAJOR*1000+MINOR>.<MICRO>.
libvirt_version=$(pkg-config --modversion libvirt)
IFS=. read -r major minor micro <<<"$libvirt_version"
real=libvirt-lxc.so.0.$((major * 1000 + minor)).$micro
[ "$(readlink "$prefix/$libdir/libvirt-lxc.so.0")" = "$real" ] ||
    fail "libvirt-lxc.so.0 links to $(readlink "$prefix/$libdir/libvirt-lxc.so.0"), want $real (libvirt $libvirt_version)"
for f in "$libdir/$real" "$libdir/libvirt-lxc.so.0" "$libdir/libvirt-lxc.so" \
         "$libdir/libvirt-lxc-go/libvirt-lxc-core.so" "$libdir/libvirt-lxc-go/libvirt-lxc-open" \
         "$libdir/pkgconfig/libvirt-lxc.pc" include/libvirt/libvirt-lxc.h; do
    [ -e "$prefix/$f" ] || fail "meson install did not install $prefix/$f"
    [ -e "$tmp/destdir$prefix/$f" ] || fail "DESTDIR install did not install $tmp/destdir$prefix/$f"
done
echo "installed: $(cd "$prefix" && find . -type f -o -type l | sort | tr '\n' ' ')"

export PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig
flags=$(pkg-config --cflags --libs libvirt-lxc)
echo "pkg-config --cflags --libs libvirt-lxc: $flags"
case "$flags" in *"-I$prefix/include"*) ;; *) fail "pkg-config cflags do not name $prefix/include";; esac
case "$flags" in *"-L$prefix/$libdir"*) ;; *) fail "pkg-config libs do not name $prefix/$libdir";; esac
pkg-config --print-requires libvirt-lxc | grep -qx libvirt || fail "libvirt-lxc.pc must require libvirt"
[ "$(pkg-config --modversion libvirt-lxc)" = "$libvirt_version" ] ||
    fail "libvirt-lxc.pc has version $(pkg-config --modversion libvirt-lxc), want libvirt's $libvirt_version"

cat >"$tmp/user.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libvirt/libvirt-lxc.h>

static void *idle(void *arg) { pause(); return arg; }

/* argv[2] "mt": a second thread first; either way the installed core
 * process serves the call and the Go core is never loaded here. */
int main(int argc, char **argv)
{
    pthread_t t;
    char line[256];
    FILE *maps;
    int core = 0;
    Dl_info info;
    virConnectPtr conn = virConnectOpen("lxc:///system");
    virDomainPtr dom = conn ? virDomainLookupByName(conn, argv[1]) : NULL;
    int *fds = NULL, n, i;

    if (!dom)
        return 2;
    if (argc > 2 && strcmp(argv[2], "mt") == 0)
        pthread_create(&t, NULL, idle, NULL);
    n = virDomainLxcOpenNamespace(dom, &fds, 0);
    dladdr((void *)virDomainLxcOpenNamespace, &info);
    if ((maps = fopen("/proc/self/maps", "r"))) {
        while (fgets(line, sizeof(line), maps))
            if (strstr(line, "libvirt-lxc-go/libvirt-lxc-core.so"))
                core = 1;
        fclose(maps);
    }
    printf("lib %s\nfds %d\ncore-in-process %d\n", info.dli_fname, n, core);
    for (i = 0; i < n; i++)
        close(fds[i]);
    free(fds);
    virDomainFree(dom);
    virConnectClose(conn);
    return n == 6 ? 0 : 1;
}
C
# shellcheck disable=SC2086
cc -Wall -Wextra -Werror -o "$tmp/user" "$tmp/user.c" $flags -ldl -lpthread
for mode in st mt; do
    out=$(LD_LIBRARY_PATH="$prefix/$libdir" "$tmp/user" lxcgo-plain $mode) ||
        fail "installed library did not return 6 fds ($mode): $out"
    echo "$mode: $(tr '\n' ' ' <<<"$out")"
    lib=$(sed -n 's/^lib //p' <<<"$out")
    [ "$(readlink -f "$lib")" = "$(readlink -f "$prefix/$libdir/libvirt-lxc.so.0")" ] ||
        fail "the program did not use the installed library ($lib)"
    grep -qx "core-in-process 0" <<<"$out" ||
        fail "$mode: the Go core was loaded in the caller"
done
echo "ok: prefix and DESTDIR installs; pkg-config and a C program use the installed library"
