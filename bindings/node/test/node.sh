#!/bin/sh
# runs the node meson found (AUDIOD_NODE, set by meson.build), or $NODE when it is set, so
# the suite can run on another node without a new build directory:
#   NODE=/path/to/node meson test -C build --suite node
# the node used is named on stderr.
node=${NODE:-$AUDIOD_NODE}
# never this script itself (a caller that passed it on as NODE)
[ "$(readlink -f "$node")" = "$(readlink -f "$0")" ] && node=$AUDIOD_NODE
echo "node.sh: $node" >&2
exec "$node" "$@"
