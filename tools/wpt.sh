#!/bin/sh
# wpt.sh: the Web Platform Tests for webaudio, converted for Node (the layout of
# b-ma/node-web-audio-api-wpt), run against audiod's Node package (bindings/node) and, side by
# side, node-web-audio-api; prints each file's subtests passed and the totals.
#
#   tools/wpt.sh [--daemon AUDIOD] [SUITE_DIR] [--filter TEXT] [--jobs N] [--json FILE] [-v]
#
# --daemon AUDIOD: the files that make an AudioContext get a live daemon (AUDIOD, e.g.
# build/daemon/audiod) on a private headless PipeWire (tests/integration/pw-env.sh) for the
# run; without it they fail where a context is made, as they do without an audio device.
#
# SUITE_DIR (or $WPT_DIR) is a checkout kept outside the repo (third-party: never committed),
# e.g. git clone https://github.com/b-ma/node-web-audio-api-wpt /work/wpt-cache/b-ma.
# node-web-audio-api is compared when $NWAA_MODULES names a node_modules folder holding it.
# the addon is found as bindings/node/lib/addon.cjs says ($AUDIOD_NODE_ADDON, or the newest
# build*/bindings/node/audiod.node).  $NODE names the node that runs them (default: node).
# without a suite it says so and exits 77 (skipped).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
daemon=
if [ "${1:-}" = --daemon ]; then
	daemon=$2
	shift 2
fi
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
if [ -z "$daemon" ]; then
	exec "${NODE:-node}" "$root/bindings/node/wpt/run.mjs" "$@"
fi
# a private PipeWire and audiod (its socket in the private runtime folder), ended on exit
set +e
. "$root/tests/integration/pw-env.sh"
pw_env_start
export AUDIOD_SOCKET="$PW_ENV/audiod.sock"
"$daemon" --socket "$AUDIOD_SOCKET" --no-persist >"$PW_ENV/audiod.log" 2>&1 </dev/null &
pw_env_track $!
pw_env_wait "test -S '$AUDIOD_SOCKET'" 600 || { cat "$PW_ENV/audiod.log"; exit 1; }
"${NODE:-node}" "$root/bindings/node/wpt/run.mjs" "$@"
