#!/bin/sh
# wpt.sh: the Web Platform Tests for webaudio, converted for Node (the layout of
# b-ma/node-web-audio-api-wpt), run against audiod's Node package (bindings/node) and, side by
# side, node-web-audio-api; prints each file's subtests passed and the totals.
#
#   tools/wpt.sh [SUITE_DIR] [--filter TEXT] [--jobs N] [--json FILE] [-v]
#
# SUITE_DIR (or $WPT_DIR) is a checkout kept outside the repo (third-party: never committed),
# e.g. git clone https://github.com/b-ma/node-web-audio-api-wpt /work/wpt-cache/b-ma.
# node-web-audio-api is compared when $NWAA_MODULES names a node_modules folder holding it.
# the addon is found as bindings/node/lib/addon.cjs says ($AUDIOD_NODE_ADDON, or the newest
# build*/bindings/node/audiod.node).  without a suite it says so and exits 77 (skipped).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
suite=${WPT_DIR:-}
case "${1:-}" in
-*|'') ;;
*) suite=$1; shift ;;
esac
if [ -z "$suite" ] || [ ! -f "$suite/resources/testharness.js" ]; then
	echo "wpt.sh: skipped: no WPT suite (give SUITE_DIR or WPT_DIR; a checkout of" \
		"b-ma/node-web-audio-api-wpt outside the repo)"
	exit 77
fi
set -- --suite "$suite" "$@"
[ -n "${NWAA_MODULES:-}" ] && set -- "$@" --nwaa "$NWAA_MODULES"
exec node "$root/bindings/node/wpt/run.mjs" "$@"
