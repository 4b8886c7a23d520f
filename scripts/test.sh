#!/bin/bash
# Runs the whole test suite: installs what it needs, brings up the live test
# bed (a libvirtd with real LXC domains), builds, and runs every suite.
set -euo pipefail
source "$(dirname "$0")/env.sh"
require_go
"$ROOT/tests/testbed/up.sh"
build_project
rc=0
# --setup full: every suite, the slow one too (tests/meson.build).
meson test -C "$BUILD" --setup full --print-errorlogs "$@" || rc=$?
# One closing line in a form any CI log reader understands.
# (meson names the log after the setup: testlog-full.json.)
python3 - "$BUILD/meson-logs/testlog-full.json" <<'PY' || true
import json, sys
ok = bad = skip = 0
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    if r == "OK": ok += 1
    elif r == "SKIP": skip += 1
    else: bad += 1
print(f"meson: {ok} passed, {bad} failed" + (f", {skip} skipped" if skip else ""))
PY
exit $rc
