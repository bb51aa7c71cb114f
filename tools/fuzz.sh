#!/bin/bash
# builds the libFuzzer build of tests/fuzz (clang, ASan, UBSan) in build-fuzz/ and runs one
# target over its seed corpus for RUNS executions (default 100000; 0 only replays the corpus),
# then prints the executions, their rate and the coverage reached.  see tests/fuzz/README.md.
#   [FUZZ_SANITIZE=undefined] tools/fuzz.sh codec|document|bufspec [RUNS] [libFuzzer options...]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
usage() { echo "usage: tools/fuzz.sh codec|document|bufspec [RUNS] [libFuzzer options...]" >&2; exit 2; }
[ $# -ge 1 ] || usage
target=$1; shift
case $target in codec|document|bufspec) ;; *) usage ;; esac
runs=100000
if [ $# -ge 1 ] && [[ $1 =~ ^-?[0-9]+$ ]]; then runs=$1; shift; fi

# FUZZ_SANITIZE=undefined: without AddressSanitizer, about 3.5 times the executions a second,
# for long runs; replay what they found with the default build (RUNS 0) afterwards
sanitize=${FUZZ_SANITIZE:-address,undefined}
if [ "$sanitize" = address,undefined ]; then
	build=${FUZZ_BUILD:-$root/build-fuzz}
else
	build=${FUZZ_BUILD:-$root/build-fuzz-${sanitize//,/-}}
fi
command -v clang >/dev/null || { echo "fuzz.sh: needs clang: apt-get install -y clang libclang-rt-14-dev" >&2; exit 1; }
if [ ! -d "$build/meson-private" ]; then
	CC=clang meson setup "$build" "$root" -Dfuzz=enabled -Dtests=enabled \
		-Dfuzz_sanitize="$sanitize" --buildtype=debugoptimized
fi
ninja -C "$build" "tests/fuzz/fuzz-$target"

# what the run finds goes to the build folder; the seed corpus in the tree is only read
work=$build/fuzz-work/$target
mkdir -p "$work/corpus" "$work/artifacts" "$work/tmp"
log=$work/last.log
export TMPDIR=$work/tmp
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:quarantine_size_mb=16:malloc_context_size=4}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

# -rss_limit_mb: the targets keep buffers to a few MiB (a budget, or the harness's cap where
# the loader has none), so a process this large is a finding.  -timeout: one input taking
# seconds is a hang worth a look.
set +e
start=$(date +%s.%N)
"$build/tests/fuzz/fuzz-$target" "$work/corpus" "$root/tests/fuzz/corpus/$target" \
	-dict="$root/tests/fuzz/audiod.dict" -runs="$runs" -rss_limit_mb=2048 -timeout=10 \
	-artifact_prefix="$work/artifacts/" -print_final_stats=1 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
end=$(date +%s.%N)
set -e

# the summary: executions, time, rate, coverage, and what was found
python3 - "$log" "$target" "$status" "$work/artifacts" "$start" "$end" <<'PY'
import os, re, sys
log, target, status, artifacts = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
wall = float(sys.argv[6]) - float(sys.argv[5])
text = open(log, errors="replace").read()
cov = re.findall(r"#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)", text)
stat = dict(re.findall(r"stat::(\w+):\s+(\d+)", text))
done = re.findall(r"Done (\d+) runs in (\d+) second", text)
execs = int(stat.get("number_of_executed_units", done[-1][0] if done else 0))
# libFuzzer's own rate rounds its seconds down: the wall clock is more honest for short runs
rate = round(execs / wall) if wall > 0 else "?"
found = sorted(f for f in os.listdir(artifacts)) if os.path.isdir(artifacts) else []
line = f"fuzz.sh: {target}: {execs} executions in {wall:.0f} s, {rate} exec/s"
if cov:
    line += f", cov {cov[-1][1]} edges, ft {cov[-1][2]}, corpus {cov[-1][3]}"
line += f", exit {status}"
print(line)
for f in found:
    print(f"fuzz.sh: artifact {os.path.join(artifacts, f)}")
PY
exit "$status"
