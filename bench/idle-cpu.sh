#!/bin/bash
# idle-cpu: what an idle audiod costs.  starts a private headless PipeWire and audiod, builds
# a small graph whose sources are stopped (so nothing can sound), waits until audiod reports
# it has suspended its stream, then reads the daemon's CPU time (utime + stime of every
# thread, /proc/PID/stat) over SECONDS and prints it as a share of one core.  the same with
# suspension turned off (--idle-suspend 0) is the figure it is compared with.
# usage: bench/idle-cpu.sh [SECONDS=20]   (after a build in build/)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
seconds=${1:-20}
ctl=$build/client/audioctl

. "$root/tests/integration/pw-env.sh"
pw_env_start
export AUDIOD_SOCKET=$PW_ENV/audiod.sock
audiod=
trap 'kill $audiod 2>/dev/null; wait $audiod 2>/dev/null; pw_env_stop' EXIT

# clock ticks of CPU time the process has used, all threads
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# measure LABEL AUDIOD-ARGS...: prints the share of one core over $seconds
measure() {
	local label=$1 t0 t1 state n=0
	shift
	"$build/daemon/audiod" --socket "$AUDIOD_SOCKET" "$@" >"$PW_ENV/audiod.log" 2>&1 &
	audiod=$!
	pw_env_wait "'$ctl' time" 100
	"$ctl" create OscillatorNode osc frequency=440 >/dev/null
	"$ctl" create BiquadFilterNode f >/dev/null
	"$ctl" create GainNode g gain=0.2 >/dev/null
	"$ctl" connect osc f >/dev/null; "$ctl" connect f g >/dev/null
	"$ctl" connect g destination >/dev/null
	"$ctl" start osc >/dev/null; "$ctl" stop osc --when +0.2 >/dev/null
	# until the daemon says it is idle (or, with suspension off, the tone has ended)
	until state=$("$ctl" --json stats | sed -n 's/.*"state":"\([a-z]*\)".*/\1/p') &&
	      { [ "$state" = suspended ] || { [ "$label" = running ] && [ $n -ge 40 ]; }; }; do
		n=$((n + 1))
		[ $n -lt 200 ] || { echo "idle-cpu: audiod never suspended" >&2; exit 1; }
		sleep 0.1
	done
	t0=$(cpu_ticks "$audiod")
	sleep "$seconds"
	t1=$(cpu_ticks "$audiod")
	state=$("$ctl" --json stats | sed -n 's/.*"state":"\([a-z]*\)".*/\1/p')
	awk -v l="$label" -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v s="$seconds" \
		-v st="$state" 'BEGIN { printf "%-10s %6.3f %% of a core over %d s (%d ticks; state %s)\n",
			l, 100 * d / hz / s, s, d, st }'
	kill -TERM "$audiod"; wait "$audiod" || true
	audiod=
}

measure suspended
measure running --idle-suspend 0
