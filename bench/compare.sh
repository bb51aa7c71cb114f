#!/bin/sh
# compare.sh: audiod against node-web-audio-api on the benchmark documents, on this machine,
# in one table (case, audiod ms, nwaa ms, audiod/nwaa, geometric mean).  a development tool.
#
#   NWAA_MODULES=/work/nwaa/node_modules bench/compare.sh [BUILD_DIR] [bench options]
#
# BUILD_DIR (default build) holds bench/bench; the options (--runs K, --case N, --short,
# --dir DIR) are bench's.  bench times each case in node-web-audio-api (bench/nwaa-bench.mjs,
# in a child process) right before timing it in audiod, never both at once, so the two
# figures of a row see the same machine load.  node-web-audio-api is installed outside the
# repo, never vendored:
#   mkdir -p /work/nwaa && cd /work/nwaa && npm init -y && npm install node-web-audio-api@2.2.0
# on a shared machine run it under `nice` and with --runs 3 or more (medians).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
build=build
case "${1:-}" in
-*|'') ;;
*) build=$1; shift ;;
esac
bench=$build/bench/bench
[ -x "$bench" ] || { echo "compare.sh: $bench not found (build first)" >&2; exit 2; }
[ -n "${NWAA_MODULES:-}" ] || { echo "compare.sh: set NWAA_MODULES to a node_modules folder" \
	"holding node-web-audio-api" >&2; exit 2; }
[ -d "$NWAA_MODULES/node-web-audio-api" ] || { echo "compare.sh: no node-web-audio-api in" \
	"$NWAA_MODULES" >&2; exit 2; }
case "$here$NWAA_MODULES" in
*\'*) echo "compare.sh: paths with a single quote are not supported" >&2; exit 2 ;;
esac

exec "$bench" --nwaa-cmd "node '$here/nwaa-bench.mjs' --quiet --modules '$NWAA_MODULES'" "$@"
