#!/bin/bash
# bench/run.sh: the project's benchmarks, ours against the system
# libvirt-lxc.so.0, in one run. Not part of the test suite.
#
#   bash bench/run.sh            # about 6 minutes on a busy 2-core machine
#
# Builds the project, brings up the live test bed, compiles the C hosts in
# bench/ against the system headers and library (-lvirt-lxc, no rpath), then
# runs every measurement alternately with our library (LD_LIBRARY_PATH=build)
# and the system one (no LD_LIBRARY_PATH). Each host prints the file that
# really provides virDomainLxcOpenNamespace (dladdr); a run that loaded the
# wrong library aborts the whole benchmark. Raw results go to
# build/bench/results.tsv, the explanations (strace, perf, loader
# statistics) beside it, and report.py writes the tables into the generated
# block of docs/PERFORMANCE.md.
#
# Scale with BENCH_SCALE=2 (twice the rounds) or BENCH_SCALE=0.5 for a quick
# look; the documented figures come from the default.
#
# The floor (section 0) is measured in the same run: libvirt's own client
# serving the call from a helper process behind one socketpair (the
# program BENCH_FLOOR_HELPER, by default the project's shared
# floor-helper-hop.c beside the checkout; skipped if absent), a bare hop
# carrying 6 fds, the start of a minimal static C and Go program, and a
# new daemon connection's handshake with the first call.
set -euo pipefail
# Every figure is of logging off (section 9 measures what it costs).
unset LIBVIRT_DEBUG LIBVIRT_LOG_FILTERS LIBVIRT_LOG_OUTPUTS

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../scripts/env.sh
source "$HERE/../scripts/env.sh"

URI=lxc:///system
DOM=lxcgo-plain
OUT="$BUILD/bench"
BIN="$OUT/bin"
RES="$OUT/results.tsv"
SYS_DIR=/usr/lib/x86_64-linux-gnu
SCALE="${BENCH_SCALE:-1}"
FLOOR_HELPER_SRC="${BENCH_FLOOR_HELPER:-$ROOT/../shared/tools/floor-helper-hop.c}"

say() { echo "bench: [${SECONDS}s] $*" >&2; }
die() { echo "bench: ABORT: $*" >&2; exit 1; }
scaled() { python3 -c "import math,sys; print(max(1, math.ceil($1 * float(sys.argv[1]))))" "$SCALE"; }

[ "$(id -u)" = 0 ] || die "must run as root (live daemon, setns, cgroups)"

# --- build -----------------------------------------------------------------
say "test bed"
bash "$ROOT/tests/testbed/up.sh"
say "building the project"
mkdir -p "$(dirname "$OUT")"
if ! build_project >"$OUT.build.log" 2>&1; then
    # The benchmarks need only the library, the Go core and the helper; a
    # test program that does not compile must not stop them.
    say "full build failed (see build/bench/build.log); building the library targets only"
    meson compile -C "$BUILD" virt-lxc libvirt-lxc-core libvirt-lxc-open >>"$OUT.build.log" 2>&1 ||
        { tail -30 "$OUT.build.log" >&2; die "build failed"; }
fi
[ -e "$BUILD/libvirt-lxc.so.0" ] || die "$BUILD/libvirt-lxc.so.0 was not built"
[ -e "$BUILD/libvirt-lxc-core.so" ] || die "$BUILD/libvirt-lxc-core.so was not built"

rm -rf "$OUT"
mkdir -p "$BIN"
mv "$OUT.build.log" "$OUT/build.log"

OURS_LIB="$(realpath "$BUILD/libvirt-lxc.so.0")"

# Ours with its logging compiled out (LXC_LOG_COMPILED_OUT in capi/lib/log.c),
# the library as it was before it logged: section 9's baseline. The Go core
# is the same file (it formats nothing unless a request asks for records).
NOLOG="$OUT/nolog"
say "building ours with logging compiled out"
{ meson setup "$NOLOG" "$ROOT" -Dc_args=-DLXC_LOG_COMPILED_OUT &&
    meson compile -C "$NOLOG" virt-lxc libvirt-lxc-open; } >"$OUT/build-nolog.log" 2>&1 ||
    { tail -30 "$OUT/build-nolog.log" >&2; die "the build without logging failed"; }
cp "$BUILD/libvirt-lxc-core.so" "$NOLOG/"
NOLOG_LIB="$(realpath "$NOLOG/libvirt-lxc.so.0")"
SYS_LIB="$(realpath "$SYS_DIR/libvirt-lxc.so.0")"
[ "$OURS_LIB" != "$SYS_LIB" ] || die "build/libvirt-lxc.so.0 is the system library"

# PIE so that dladdr() of a function address names the library, not a PLT
# stub; no rpath, so only LD_LIBRARY_PATH decides which library loads.
CFLAGS=(-D_GNU_SOURCE -std=gnu11 -Wall -Wextra -Werror -O2 -fPIE -pie)
cc_host() { # output source libs...
    local out=$1 src=$2; shift 2
    gcc "${CFLAGS[@]}" -o "$BIN/$out" "$HERE/$src" "$@"
}
say "compiling hosts"
cc_host spawn spawn.c
cc_host open_warm open_warm.c -lvirt-lxc -lvirt -lpthread
cc_host open_first open_first.c -lvirt-lxc -lvirt -lpthread
cc_host open_concurrent open_concurrent.c -lvirt-lxc -lvirt -lpthread
cc_host enter enter.c -lvirt-lxc -lvirt -lpthread
cc_host dlopen_core dlopen_core.c -ldl
cc_host first_phases first_phases.c -lvirt -lpthread -ldl
cc_host cgroup_move cgroup_move.c -lvirt
# --no-as-needed keeps the NEEDED entries of libraries that are never called.
cc_host load_lxc load_host.c -DWITH_LXC -Wl,--no-as-needed -lvirt-lxc -lvirt
cc_host load_none load_host.c -Wl,--no-as-needed -lvirt
cc_host oneshot oneshot.c -lvirt-lxc -lvirt -lpthread
cc_host burst burst.c
cc_host floor_hop floor_hop.c -lpthread
cc_host floor_connect floor_connect.c -lvirt-lxc -lvirt -lpthread
# The process-start floor: static, so that no dynamic loading is counted.
gcc -O2 -static -o "$BIN/exit0_c" "$HERE/exit0.c"
(cd "$ROOT" && CGO_ENABLED=0 go build -trimpath -o "$BIN/exit0_go" ./bench/exit0) ||
    die "cannot build bench/exit0"
if [ -f "$FLOOR_HELPER_SRC" ]; then
    # Not ours (a reference program): built as given, without -Werror.
    gcc -O2 -o "$BIN/floor_helper" "$FLOOR_HELPER_SRC" -lvirt-lxc -lvirt ||
        die "cannot build $FLOOR_HELPER_SRC"
else
    say "no $FLOOR_HELPER_SRC: the helper floor is not measured"
fi
for h in open_warm open_first open_concurrent enter load_lxc oneshot floor_connect; do
    readelf -d "$BIN/$h" | grep -q 'RUNPATH\|RPATH' && die "$h has an rpath"
done

DAEMON_PID="$(cat /run/libvirt/lxcgo-libvirtd.pid 2>/dev/null || pgrep -o -x libvirtd || true)"
[ -n "$DAEMON_PID" ] && [ -d "/proc/$DAEMON_PID" ] || die "no libvirtd pid"

# --- running one variant -----------------------------------------------------
# with VARIANT CMD...: runs CMD with our library (ours) or the system one.
with() {
    local v=$1; shift
    case $v in
        ours) env LD_LIBRARY_PATH="$BUILD" "$@" ;;
        nolog) env LD_LIBRARY_PATH="$NOLOG" "$@" ;;
        system) env -u LD_LIBRARY_PATH "$@" ;;
        *) die "variant $v" ;;
    esac
}
expected() {
    case $1 in
        ours) echo "$OURS_LIB" ;;
        nolog) echo "$NOLOG_LIB" ;;
        *) echo "$SYS_LIB" ;;
    esac
}

# check VARIANT FILE: the host's "library" line must name the expected file.
check() {
    local got
    got="$(awk '$1 == "library" {print $2; exit}' "$2")"
    [ "$got" = "$(expected "$1")" ] ||
        die "$1 run loaded '${got:-nothing}' instead of $(expected "$1") (see $2)"
}

# record FIGURE VARIANT FILE: append the "key value" lines of FILE.
record() {
    awk -v f="$1" -v v="$2" 'NF == 2 && $2 ~ /^-?[0-9.]+$/ {print f "\t" v "\t" $1 "\t" $2}' "$3" >>"$RES"
}

# Alternate the two variants of PAIR (ours and system but in section 9),
# ABBA, so drift in the machine hits both alike.
PAIR=(ours system)
order() { (( $1 % 2 == 0 )) && echo "${PAIR[0]} ${PAIR[1]}" || echo "${PAIR[1]} ${PAIR[0]}"; }

# alternate FIGURE ROUNDS HOST [ARG...]: ROUNDS runs of a host per library,
# in ABBA order; each run's library checked and its lines recorded.
alternate() {
    local fig=$1 rounds=$2 r v; shift 2
    for r in $(seq "$rounds"); do
        for v in $(order "$r"); do
            with "$v" "$@" >"$T"
            check "$v" "$T"; record "$fig" "$v" "$T"
        done
    done
}

: >"$RES"
T="$OUT/tmp.out"

# --- 0. the floor -------------------------------------------------------------
# What serving a call from another process costs at least, here and now:
# the figures of ours that go through a core process are set against these.
floor() {
    local n r child
    n=$(scaled 3)
    if [ -x "$BIN/floor_helper" ]; then
        say "0. floor: libvirt's client in a helper process behind a socketpair, $n x 1000 calls"
        for r in $(seq "$n"); do
            # It prints "direct D us, through a C helper ... H us (median
            # of N), ratio R"; the helper is its only child, looked at
            # while it serves. env execs, so $! is the program itself.
            env -u LD_LIBRARY_PATH "$BIN/floor_helper" "$DOM" 1000 >"$T" &
            sleep 0.15
            child="$(awk '{print $1}' "/proc/$!/task/$!/children" 2>/dev/null || true)"
            if [ -n "$child" ]; then
                printf 'floor\tsystem\thelper_threads\t%s\n' \
                    "$(awk '/^Threads:/ {print $2}' "/proc/$child/status")" >>"$RES"
                printf 'floor\tsystem\thelper_private_dirty_kb\t%s\n' \
                    "$(awk '/^Private_Dirty:/ {print $2}' "/proc/$child/smaps_rollup")" >>"$RES"
            fi
            wait $! || die "the floor helper failed"
            sed -n 's/^direct \([0-9.]*\) us,.* \([0-9.]*\) us (median.*/\1 \2/p' "$T" |
                awk '{printf "floor\tsystem\thelper_direct_ns\t%s\nfloor\tsystem\thelper_hop_ns\t%s\n", $1 * 1000, $2 * 1000}' >>"$RES"
        done
    fi
    say "0. floor: a bare hop with 6 fds, $n x 2000 round trips"
    for r in $(seq "$n"); do
        "$BIN/floor_hop" 2000 >"$T"; record floor none "$T"
    done
    n=$(scaled 40)
    say "0. floor: exec to exit of a static C and Go program, $n runs each"
    for r in $(seq "$n"); do
        "$BIN/spawn" "$BIN/exit0_c" 2>"$T"; record floor_start_c none "$T"
        "$BIN/spawn" "$BIN/exit0_go" 2>"$T"; record floor_start_go none "$T"
    done
    n=$(scaled 3)
    say "0. floor: a new connection and its first call with libvirt's client, $n x 50"
    for r in $(seq "$n"); do
        with system "$BIN/floor_connect" "$URI" "$DOM" 50 >"$T"
        check system "$T"; record floor system "$T"
    done
}
floor

# --- 1. warm OpenNamespace -------------------------------------------------
ROUNDS=$(scaled 6)
say "1. warm OpenNamespace: $ROUNDS rounds x 10 batches x 100 calls per library"
alternate warm "$ROUNDS" "$BIN/open_warm" "$URI" "$DOM" 200 10 100 "$DAEMON_PID" 200

# --- 2. first call in a new process ---------------------------------------------
N=$(scaled 12)
say "2. first OpenNamespace in a new process: $N processes per library and mode"
for r in $(seq "$N"); do
    for v in $(order "$r"); do
        for kind in mt st server; do
            with "$v" "$BIN/spawn" "$BIN/open_first" "$URI" "$DOM" "$kind" >"$T" 2>&1
            check "$v" "$T"
            record "first_$kind" "$v" "$T"
        done
        with "$v" "$BIN/spawn" /usr/bin/python3 "$HERE/open_py.py" "$URI" "$DOM" 0 0 0 >"$T" 2>&1
        check "$v" "$T"
        record first_py "$v" "$T"
    done
    with ours "$BIN/dlopen_core" "$BUILD/libvirt-lxc-core.so" >"$T"
    record dlopen ours "$T"
    for mode in cold settled; do
        "$BIN/first_phases" "$BUILD/libvirt-lxc-core.so" "$URI" "$DOM" "$mode" >"$T"
        record phases ours "$T"
    done
done

# --- 3. virsh lxc-enter-namespace ----------------------------------------------
# virsh cannot print which library it loaded, so before each timed run the
# dynamic loader is asked, with the same environment, which file it resolves
# (LD_TRACE_LOADED_OBJECTS, untimed); and once per library an strace of a
# real run shows the file opened (and, for ours, the Go core loaded).
virsh_lib() {
    with "$1" env LD_TRACE_LOADED_OBJECTS=1 virsh |
        awk '$1 == "libvirt-lxc.so.0" {print $3}' | xargs -r realpath
}
for v in ours system; do
    [ "$(virsh_lib $v)" = "$(expected $v)" ] || die "virsh with $v resolves $(virsh_lib $v)"
    with "$v" strace -f -e trace=openat -o "$OUT/virsh-openat-$v.txt" \
        virsh -c "$URI" lxc-enter-namespace "$DOM" --noseclabel -- /bin/true
done
grep -q libvirt-lxc-core.so "$OUT/virsh-openat-ours.txt" || die "virsh with ours never loaded the Go core"
# Every virsh run moves a process into the container's cgroups
# (EnterCGroup). The kernel makes such a move wait for an RCU grace period
# (several ms) unless another move finished within about one grace period
# (~20-30 ms here) before: back-to-back runs get it cheap or not depending
# on how long each run takes. Two regimes are therefore measured, both
# real: isolated runs (a user typing the command; each run pays the wait)
# and runs in a loop (a script; each library after itself, so each sees its
# own spacing). cgroup_move measures the wait on its own.
virsh_check() { [ "$(virsh_lib "$1")" = "$(expected "$1")" ] || die "virsh with $1 resolves another library"; }
virsh_run() { # VARIANT (checked before, outside the timed sequence)
    with "$1" "$BIN/spawn" virsh -c "$URI" lxc-enter-namespace "$DOM" --noseclabel -- /bin/true >"$T" 2>&1
    grep -q '^spawn_status 0$' "$T" || { cat "$T" >&2; die "virsh failed"; }
}
N=$(scaled 14)
IDLE=0.2
say "3. virsh lxc-enter-namespace: $N isolated runs per library ($IDLE s apart)"
for r in $(seq "$N"); do
    for v in $(order "$r"); do
        virsh_check "$v"
        sleep "$IDLE"
        virsh_run "$v"; record virsh_isolated "$v" "$T"
    done
done
ROUNDS=$(scaled 2)
BLOCK=10
say "3. virsh lxc-enter-namespace in a loop: $ROUNDS rounds x $BLOCK consecutive runs per library"
for r in $(seq "$ROUNDS"); do
    for v in $(order "$r"); do
        virsh_check "$v"
        sleep "$IDLE"
        for i in $(seq "$BLOCK"); do
            virsh_run "$v"
            # The first run of a block follows a pause or the other library.
            if [ "$i" -gt 1 ]; then record virsh_loop "$v" "$T"; fi
        done
    done
done
say "3. virsh domid (floor) and the kernel's cgroup move"
for r in $(seq "$N"); do
    for v in $(order "$r"); do
        with "$v" "$BIN/spawn" virsh -c "$URI" domid "$DOM" >"$T" 2>&1
        record virsh_domid "$v" "$T"
    done
done
"$BIN/cgroup_move" 200 "$(scaled 10)" >"$T"
record cgroup none "$T"

# --- 4. load cost ---------------------------------------------------------------
N=$(scaled 30)
say "4. load cost: $N runs of each host"
for r in $(seq "$N"); do
    for v in $(order "$r"); do
        with "$v" "$BIN/spawn" "$BIN/load_lxc" >"$T" 2>&1
        check "$v" "$T"; record load "$v" "$T"
    done
    "$BIN/spawn" "$BIN/load_none" >"$T" 2>&1
    record load none "$T"
done
for v in ours system; do
    with "$v" env LD_DEBUG=statistics "$BIN/load_lxc" >"$OUT/ld-statistics-$v.txt" 2>&1
done
env LD_DEBUG=statistics "$BIN/load_none" >"$OUT/ld-statistics-none.txt" 2>&1

# --- 5. EnterNamespace, EnterCGroup ------------------------------------------
N=$(scaled 2)
say "5. EnterNamespace / EnterCGroup: $N processes x 100 children per call per library"
alternate enter "$N" "$BIN/enter" "$URI" "$DOM" 100

# --- 7. concurrent callers -----------------------------------------------------
# With ours, each process also reports its core process at rest after its
# first call and after the burst (threads, private dirty memory).
ROUNDS=$(scaled 2)
say "7. 16 threads x 1000 OpenNamespace calls at once: $ROUNDS processes per library"
alternate concurrent "$ROUNDS" "$BIN/open_concurrent" "$URI" "$DOM" 16 1000

# 300 one-shot callers started at once, each connecting, calling once and
# exiting; every one must succeed, and every one must have loaded the
# library of its variant.
BURST=300
ROUNDS=$(scaled 2)
say "7. $BURST one-shot callers at once: $ROUNDS bursts per library"
for r in $(seq "$ROUNDS"); do
    for v in $(order "$r"); do
        with "$v" "$BIN/burst" "$BURST" "$BIN/oneshot" "$URI" "$DOM" >"$T" 2>"$OUT/burst-$v.err"
        check "$v" "$T"
        [ "$(awk '$1 == "library"' "$T" | sort -u | wc -l)" = 1 ] ||
            die "a burst with $v loaded more than one library (see $T)"
        record burst "$v" "$T"
    done
done

# --- 8. per kind of host ------------------------------------------------------------
# The same warm loop in each kind of host (bench_host_start() in common.h):
# the multi-threaded one is section 1's; a plain Python script is
# single-threaded. Ours serves them all through their core process.
ROUNDS=$(scaled 4)
say "8. warm OpenNamespace per kind of host: $ROUNDS rounds x 10 batches x 100 calls"
alternate warm_st "$ROUNDS" "$BIN/open_warm" "$URI" "$DOM" 200 10 100 "$DAEMON_PID" 0 st
alternate warm_server "$ROUNDS" "$BIN/open_warm" "$URI" "$DOM" 200 10 100 "$DAEMON_PID" 0 server
alternate warm_py "$ROUNDS" /usr/bin/python3 "$HERE/open_py.py" "$URI" "$DOM" 200 10 100

# --- 9. libvirtd's threads ------------------------------------------------------
# libvirtd itself loads libvirt-lxc.so.0 and calls OpenNamespace for its
# clients: its threads after serving calls, with each library in the daemon,
# less its worker pools (which grow with load alike).
daemon_fixed_threads() {
    local pid pool
    pid="$(cat /run/libvirt/lxcgo-libvirtd.pid)"
    pool="$(virt-admin srv-threadpool-info libvirtd | awk -F: '/nWorkers|prioWorkers/ {n += $2} END {print n}')"
    echo "$(( $(awk '/^Threads:/ {print $2}' "/proc/$pid/status") - pool ))"
}
if [ -f /run/lxcgo-testbed/daemon ]; then
    say "9. libvirtd's threads after serving 200 calls, with each library in the daemon"
    for v in system ours; do
        lp=""; [ "$v" = ours ] && lp="$BUILD"
        LXCGO_DAEMON_LIBRARY_PATH="$lp" bash "$ROOT/tests/testbed/up.sh" >/dev/null 2>&1 ||
            die "could not restart the test bed's libvirtd with the $v library"
        printf 'daemon\t%s\tfixed_threads_before\t%s\n' "$v" "$(daemon_fixed_threads)" >>"$RES"
        "$BIN/open_warm" "$URI" "$DOM" 100 1 100 "$(cat /run/libvirt/lxcgo-libvirtd.pid)" 0 >/dev/null
        printf 'daemon\t%s\tfixed_threads_after\t%s\n' "$v" "$(daemon_fixed_threads)" >>"$RES"
        # The daemon's side of a warm call: the same client (libvirt's
        # library) against the daemon running each library, which serves
        # the call through its core process (after the checks of the
        # daemon's LXC driver lock and config) or libvirt's driver.
        with system "$BIN/open_warm" "$URI" "$DOM" 200 10 100 "$(cat /run/libvirt/lxcgo-libvirtd.pid)" 0 >"$T"
        check system "$T"
        record daemon_warm "$v" "$T"
    done
    LXCGO_DAEMON_LIBRARY_PATH= bash "$ROOT/tests/testbed/up.sh" >/dev/null 2>&1
    DAEMON_PID="$(cat /run/libvirt/lxcgo-libvirtd.pid)"
else
    say "9. skipped: the running libvirtd is not the test bed's own, which this run may not restart"
fi

# --- 6. sizes -------------------------------------------------------------------
say "6. stripped sizes"
stripped_size() {
    strip --strip-all -o "$OUT/stripped.tmp" "$1"
    stat -c %s "$OUT/stripped.tmp"
    rm -f "$OUT/stripped.tmp"
}
{
    printf 'size\tours\tlib_bytes\t%s\n' "$(stripped_size "$OURS_LIB")"
    printf 'size\tours\tcore_bytes\t%s\n' "$(stripped_size "$BUILD/libvirt-lxc-core.so")"
    printf 'size\tours\tlib_file_bytes\t%s\n' "$(stat -c %s "$OURS_LIB")"
    printf 'size\tours\tcore_file_bytes\t%s\n' "$(stat -c %s "$BUILD/libvirt-lxc-core.so")"
    printf 'size\tsystem\tlib_bytes\t%s\n' "$(stripped_size "$SYS_LIB")"
    printf 'size\tsystem\tlib_file_bytes\t%s\n' "$(stat -c %s "$SYS_LIB")"
} >>"$RES"

# --- explanations: what dominates ------------------------------------------------
# --- 9. logging off --------------------------------------------------------------
# Section 1's warm loop, ours against ours with logging compiled out: what
# the logging costs a call while it is off (issue 17: nothing, within noise).
ROUNDS=$(scaled 6)
say "9. warm OpenNamespace, logging off: ours and ours without logging, $ROUNDS rounds"
PAIR=(ours nolog)
alternate warm_nolog "$ROUNDS" "$BIN/open_warm" "$URI" "$DOM" 200 10 100 "$DAEMON_PID" 200
PAIR=(ours system)

say "explaining: strace -c and perf of the warm loop, strace -c of Enter*"
for v in ours system; do
    # 1 batch of 1000 calls after 1 warm-up call, no floor loop: nearly all
    # syscalls counted are the 1000 calls'.
    with "$v" strace -f -c -o "$OUT/strace-warm-$v.txt" \
        "$BIN/open_warm" "$URI" "$DOM" 1 1 1000 "$DAEMON_PID" 0 >/dev/null
    with "$v" strace -f -c -o "$OUT/strace-enter-$v.txt" \
        "$BIN/enter" "$URI" "$DOM" 20 >/dev/null
    # Where CPU goes on the whole machine (client, daemon, kernel) during a
    # warm loop.
    if command -v perf >/dev/null; then
        with "$v" perf record -q -a -F 2000 -o "$OUT/perf-warm-$v.data" -- \
            "$BIN/open_warm" "$URI" "$DOM" 200 5 200 "$DAEMON_PID" 0 >/dev/null 2>&1 || true
        # Only the client and the daemon (its threads are named libvirtd
        # and rpc-libvirtd): the machine may be running other work.
        perf report -i "$OUT/perf-warm-$v.data" --no-children --sort comm,dso \
            --comms open_warm,libvirtd,rpc-libvirtd --percentage relative \
            --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | grep '%' | head -15 \
            >"$OUT/perf-warm-$v.txt" || true
        perf report -i "$OUT/perf-warm-$v.data" --no-children --sort comm,sym \
            --comms open_warm,libvirtd,rpc-libvirtd --percentage relative \
            --stdio -g none 2>/dev/null | grep -v '^#' | grep '%' | head -25 \
            >"$OUT/perf-warm-sym-$v.txt" || true
        rm -f "$OUT/perf-warm-$v.data"
    fi
done

# --- optional Go benchmark ----------------------------------------------------------
if grep -qs 'func BenchmarkOpenNamespaceWarm' "$ROOT"/internal/core/*_test.go; then
    say "Go benchmark BenchmarkOpenNamespaceWarm"
    (cd "$ROOT" && LXCGO_BUILDDIR="$BUILD" go test -tags live -run '^$' \
        -bench OpenNamespaceWarm -benchtime 2000x -count 5 ./internal/core) \
        >"$OUT/go-bench.txt" 2>&1 || say "Go benchmark failed (see $OUT/go-bench.txt)"
    awk '/^BenchmarkOpenNamespaceWarm/ {print "gobench\tours\tns_per_op\t" $3}' \
        "$OUT/go-bench.txt" >>"$RES"
fi

# --- 8. a Go program using the Go libvirt binding ---------------------------------
# tests/clients/gobinding: the binding's linked mode (cgo, -lvirt -lvirt-lxc,
# no rpath), built in GOPATH mode against Debian's copy of the binding, which
# tests/testbed/up.sh installs (see the program's main.go for why).
go_binding() {
    local n r v
    say "8. Go binding: building tests/clients/gobinding"
    (cd "$ROOT/tests/clients/gobinding" &&
        GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS=-buildvcs=false go build -o "$BIN/gobinding" .) ||
        die "cannot build tests/clients/gobinding"
    readelf -d "$BIN/gobinding" | grep -q 'RUNPATH\|RPATH' && die "gobinding has an rpath"
    n=$(scaled 6)
    say "8. Go binding, warm OpenNamespace: $n rounds x 10 batches x 100 calls per library"
    alternate gobinding_warm "$n" "$BIN/gobinding" -bench warm -warmup 200 -batches 10 -per 100
    n=$(scaled 12)
    say "8. Go binding, first OpenNamespace in a new process: $n processes per library"
    for r in $(seq "$n"); do
        for v in $(order "$r"); do
            with "$v" "$BIN/spawn" "$BIN/gobinding" -bench first >"$T" 2>&1
            check "$v" "$T"; record gobinding_first "$v" "$T"
        done
    done
}
go_binding

rm -f "$T"
{
    echo "nproc $(nproc)"
    echo "kernel $(uname -r)"
    echo "cpu $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
    echo "libvirt $(dpkg-query -W -f='${Version}' libvirt0 2>/dev/null)"
    echo "go $(go version | awk '{print $3}')"
    echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet HEAD -- capi internal cmd 2>/dev/null || echo '+dirty')"
    echo "date $(date -u +%Y-%m-%dT%H:%MZ)"
    echo "scale $SCALE"
    # libvirtd may itself load a libvirt-lxc.so.0 (the test bed can run it
    # with ours); the daemon side is shared by both variants, but say which.
    echo "daemon_ld_library_path $(tr '\0' '\n' <"/proc/$DAEMON_PID/environ" 2>/dev/null | sed -n 's/^LD_LIBRARY_PATH=//p')"
} >"$OUT/machine.txt"

say "report"
python3 "$HERE/report.py" "$OUT" "$ROOT/docs/PERFORMANCE.md"
