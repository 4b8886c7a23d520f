# Sourced by the project's scripts: a predictable environment for go and
# meson, whatever shell or CI runs them.
export PATH="$PATH:/usr/local/go/bin:/usr/sbin:/sbin"
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

# Go is not installed by the scripts: Debian's golang packages are older than
# the release go.mod asks for. The check runs in the module, so a go that
# switches toolchains (GOTOOLCHAIN=auto) reports the one it will use.
require_go() {
    local want have
    want=$(sed -n 's/^go //p' "$ROOT/go.mod")
    if ! command -v go >/dev/null; then
        echo "FAILED: Go $want or newer (go.mod) is needed, as /usr/local/go/bin/go or in PATH," \
            "and none was found; install it from https://go.dev/dl/" >&2
        return 1
    fi
    have=$(cd "$ROOT" && go env GOVERSION 2>&1) ||
        { echo "FAILED: $(command -v go) env GOVERSION: $have" >&2; return 1; }
    have=${have#go}
    if [ "$(printf '%s\n' "$want" "${have%% *}" | sort -V | head -1)" != "$want" ]; then
        echo "FAILED: Go $want or newer (go.mod) is needed; $(command -v go) is go$have" >&2
        return 1
    fi
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
