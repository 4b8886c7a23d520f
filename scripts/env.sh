# Sourced by the project's scripts: a predictable environment for go and
# meson, whatever shell or CI runs them.
export PATH="$PATH:/usr/local/go/bin:/usr/sbin:/sbin"
export HOME="${HOME:-/root}"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
export CGO_ENABLED=1
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build"

# Configure (or reconfigure) and compile the build tree.
build_project() {
    if [ -f "$BUILD/build.ninja" ]; then
        meson setup --reconfigure "$BUILD" "$ROOT" >/dev/null
    else
        meson setup "$BUILD" "$ROOT"
    fi
    meson compile -C "$BUILD"
}
