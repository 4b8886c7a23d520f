# Sourced by the project's scripts: a predictable environment for go and
# meson, whatever shell or CI runs them.
export PATH="$PATH:/usr/sbin:/sbin"
export HOME="${HOME:-/root}"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
export CGO_ENABLED=1
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build"

# logged WHAT COMMAND...: runs COMMAND with its output kept aside, for steps
# whose output is noise when they work; when it fails, says what failed and
# shows that output.
logged() {
    local what=$1 out rc=0
    shift
    out=$(mktemp /tmp/lxcgo-step.XXXXXX)
    "$@" >"$out" 2>&1 || rc=$?
    if [ "$rc" != 0 ]; then
        echo "FAILED: $what (exit $rc): $*; its output:" >&2
        sed 's/^/    /' "$out" >&2
    fi
    rm -f "$out"
    return "$rc"
}

# enable_backports: on Debian 12, adds bookworm-backports to apt's sources
# (its Go and golang.org/x/sys are the releases go.mod needs; Debian 12's
# own are older), saying so; elsewhere nothing.
enable_backports() {
    local list=/etc/apt/sources.list.d/bookworm-backports.list
    [ "$(. /etc/os-release && echo "${VERSION_CODENAME:-}")" = bookworm ] || return 0
    grep -rqs '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/ && return 0
    echo "note: enabling Debian's bookworm-backports in $list (Debian 12's Go is too old)" >&2
    echo "deb http://deb.debian.org/debian bookworm-backports main" >"$list"
    apt-get update -qq
}

# go_ok GO: GO is a Go binary of at least go.mod's release. Asked outside the
# module with GOTOOLCHAIN=local: the version of that binary, never of a
# toolchain it would switch to.
go_ok() {
    local want have
    want=$(sed -n 's/^go //p' "$ROOT/go.mod")
    [ -x "$1" ] || return 1
    have=$(cd / && GOTOOLCHAIN=local "$1" env GOVERSION 2>/dev/null) || return 1
    have=${have#go}
    [ "$(printf '%s\n' "$want" "${have%% *}" | sort -V | head -1)" = "$want" ]
}

# require_go: a Go of at least go.mod's release first in PATH, and never a
# downloaded toolchain (GOTOOLCHAIN=local): the one in PATH, else
# /usr/local/go, else Debian's newest /usr/lib/go-1.N; when there is none,
# Debian's is installed (golang-go on Debian 13, golang-1.23-go from
# bookworm-backports on Debian 12).
require_go() {
    local g pkg
    export GOTOOLCHAIN=local
    for g in "$(command -v go)" /usr/local/go/bin/go $(ls -d /usr/lib/go-1.*/bin/go 2>/dev/null | sort -rV); do
        if [ -n "$g" ] && go_ok "$g"; then
            export PATH="$(dirname "$g"):$PATH"
            return 0
        fi
    done
    enable_backports || return
    pkg=golang-go
    [ "$(. /etc/os-release && echo "${VERSION_CODENAME:-}")" = bookworm ] && pkg=golang-1.23-go
    echo "note: no Go $(sed -n 's/^go //p' "$ROOT/go.mod") or newer here; installing Debian's $pkg" >&2
    logged "apt-get install $pkg" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "$pkg" || return
    for g in /usr/bin/go $(ls -d /usr/lib/go-1.*/bin/go 2>/dev/null | sort -rV); do
        if go_ok "$g"; then
            export PATH="$(dirname "$g"):$PATH"
            return 0
        fi
    done
    echo "FAILED: Debian's $pkg gave no Go $(sed -n 's/^go //p' "$ROOT/go.mod") or newer" >&2
    return 1
}

# Configure (or reconfigure) and compile the build tree.
build_project() {
    if [ -f "$BUILD/build.ninja" ]; then
        logged "meson setup --reconfigure" meson setup --reconfigure "$BUILD" "$ROOT" || return
    else
        meson setup "$BUILD" "$ROOT" || return
    fi
    meson compile -C "$BUILD"
}
