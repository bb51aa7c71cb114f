#!/bin/bash
# builds audiod and runs the test suite: a -Dwerror build running every test (unit, vectors,
# integration), the same under ASan/UBSan, and the threaded parts under TSan.  exit status 0
# only when all pass.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
"$root/tools/deps.sh"

# configures dir with the given options, reusing an existing build tree
setup() {
	local dir=$1; shift
	if [ -d "$dir/meson-private" ]; then
		meson setup --reconfigure "$dir" "$root" "$@"
	else
		meson setup "$dir" "$root" "$@"
	fi
}

status=0

# debugoptimized: assertions stay on in the tests (the project's default build is release)
setup "$root/build-test" -Dwerror=true -Dbuildtype=debugoptimized
ninja -C "$root/build-test"
meson test -C "$root/build-test" --print-errorlogs || status=1

# sanitizers make UB and leaks fail the test instead of printing a warning
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
# gcc leaves float-to-integer overflow out of "undefined": a negative double made unsigned
setup "$root/build-test-asan" -Dwerror=true -Dbuildtype=debugoptimized -Db_sanitize=address,undefined \
	-Dc_args=-fsanitize=float-cast-overflow -Dc_link_args=-fsanitize=float-cast-overflow
ninja -C "$root/build-test-asan"
meson test -C "$root/build-test-asan" --print-errorlogs || status=1

# the threaded parts (queues, render thread, the analyser's lock-free reading) under TSan;
# rtcheck interposes malloc itself, which TSan's own interceptors do not allow
export TSAN_OPTIONS=halt_on_error=1
setup "$root/build-test-tsan" -Dbuildtype=debugoptimized -Db_sanitize=thread	# -Werror=tsan rejects the analyser's fences
ninja -C "$root/build-test-tsan"
meson test -C "$root/build-test-tsan" --print-errorlogs spsc render engine analyser || status=1

# one closing line over both runs: "N passed, M failed" (meson's own summary is per run)
summary() {
	python3 - "$@" <<'PY'
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        continue
    for line in lines:
        r = json.loads(line)["result"]
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
PY
}
if [ $status -eq 0 ]; then echo "test.sh: all passed"; else echo "test.sh: FAILURES (see above)"; fi
summary "$root/build-test/meson-logs/testlog.json" "$root/build-test-asan/meson-logs/testlog.json" \
	"$root/build-test-tsan/meson-logs/testlog.json"
exit $status
