# pw-env.sh: a private, headless PipeWire + WirePlumber for integration tests.
# source it, then call pw_env_start; everything lives in a temporary directory (private
# XDG_RUNTIME_DIR, config and state).  the facts behind each setting: PIPEWIRE.md here.
# exits 77 (meson's "skipped") only when the PipeWire programs are not installed.
#
# cleanup: one EXIT trap (pw_env_stop) kills, on any exit, every process the test started
# and registered with pw_env_track (the daemon, the recorder, python helpers; pw_env_run
# registers what it runs), then WirePlumber and PipeWire, and removes the temporary
# directory unless PW_ENV_KEEP is set.  INT and TERM exit through the same trap.
#
# nothing here waits for a fixed time: pw_env_wait polls a condition up to a deadline and
# the recorder helpers (rec_start, rec_wait_seconds, rec_stop) wait for the recorder's link
# and for its file to grow.

PW_ENV_PIDS=""

pw_env_need() {
	for p in "$@"; do
		if ! command -v "$p" >/dev/null 2>&1; then
			echo "pw-env: $p not installed: skipping" >&2
			exit 77
		fi
	done
}

# the test scripts define their own fail (with their logs); this one is for early failures
fail() {
	echo "FAIL: $*" >&2
	[ -n "${PW_ENV:-}" ] && pw_env_logs
	exit 1
}

# --- processes ---------------------------------------------------------------------------

# pw_env_track PID: kill PID on exit unless pw_env_untrack'ed (after the test waited for it)
pw_env_track() {
	PW_ENV_PIDS="$PW_ENV_PIDS $1"
}

pw_env_untrack() {
	_pw_keep=""
	for _pw_p in $PW_ENV_PIDS; do
		[ "$_pw_p" = "$1" ] || _pw_keep="$_pw_keep $_pw_p"
	done
	PW_ENV_PIDS=$_pw_keep
}

# pw_env_alive PID: PID is a child of this shell that has not exited (a zombie has)
pw_env_alive() {
	_pw_stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	_pw_rest=${_pw_stat##*) }
	_pw_state=${_pw_rest%% *}
	_pw_rest=${_pw_rest#* }
	[ "$_pw_state" != Z ] && [ "${_pw_rest%% *}" = "$$" ]
}

# pw_env_run CMD ARGS...: runs CMD in the background (stdin, stdout and stderr as given to
# pw_env_run, so a here-document works), tracked, and waits for it: a signal to the test
# interrupts the wait and the EXIT trap kills CMD.  returns CMD's status.
pw_env_run() {
	exec 3<&0
	"$@" <&3 3<&- &
	_pw_pid=$!
	exec 3<&-
	pw_env_track "$_pw_pid"
	wait "$_pw_pid"
	_pw_rc=$?
	pw_env_untrack "$_pw_pid"
	return $_pw_rc
}

# TERM to every tracked process still running, KILL to those alive 5 s later, then reap
pw_env_kill_tracked() {
	for _pw_p in $PW_ENV_PIDS; do
		pw_env_alive "$_pw_p" && kill -TERM "$_pw_p" 2>/dev/null
	done
	_pw_n=0
	while [ "$_pw_n" -lt 50 ]; do
		_pw_any=
		for _pw_p in $PW_ENV_PIDS; do
			pw_env_alive "$_pw_p" && _pw_any=1
		done
		[ -z "$_pw_any" ] && break
		sleep 0.1
		_pw_n=$((_pw_n + 1))
	done
	for _pw_p in $PW_ENV_PIDS; do
		pw_env_alive "$_pw_p" && kill -KILL "$_pw_p" 2>/dev/null
	done
	for _pw_p in $PW_ENV_PIDS; do
		wait "$_pw_p" 2>/dev/null
	done
	PW_ENV_PIDS=
	return 0
}

# --- the server ----------------------------------------------------------------------------

pw_env_config() {
	cat > "$PW_ENV/pipewire.conf" <<'CONF'
context.properties = {
    log.level = 2
    core.daemon = true
    core.name = pipewire-0
    default.clock.rate = 48000
}
context.spa-libs = {
    audio.convert.* = audioconvert/libspa-audioconvert
    support.*       = support/libspa-support
}
context.modules = [
    { name = libpipewire-module-rt flags = [ ifexists nofail ] }
    { name = libpipewire-module-protocol-native }
    { name = libpipewire-module-profiler }
    { name = libpipewire-module-metadata }
    { name = libpipewire-module-spa-node-factory }
    { name = libpipewire-module-client-node }
    { name = libpipewire-module-access }
    { name = libpipewire-module-adapter }
    { name = libpipewire-module-link-factory }
    { name = libpipewire-module-session-manager }
]
context.objects = [
    { factory = spa-node-factory
      args = { factory.name = support.node.driver node.name = Dummy-Driver
               node.group = pipewire.dummy priority.driver = 20000 } }
    { factory = spa-node-factory
      args = { factory.name = support.node.driver node.name = Freewheel-Driver
               priority.driver = 19000 node.group = pipewire.freewheel node.freewheel = true } }
    { factory = adapter
      args = { factory.name = support.null-audio-sink node.name = test-sink
               node.description = "test sink" media.class = Audio/Sink
               audio.format = F32 audio.rate = 48000 audio.channels = 2
               audio.position = [ FL FR ] monitor.channel-volumes = false
               node.driver = true priority.driver = 30000 } }
]
CONF
	mkdir -p "$XDG_CONFIG_HOME/wireplumber/main.lua.d" \
		"$XDG_CONFIG_HOME/wireplumber/bluetooth.lua.d"
	# no D-Bus here: WirePlumber quits unless device reservation and portals are off
	cat > "$XDG_CONFIG_HOME/wireplumber/main.lua.d/51-headless.lua" <<'LUA'
alsa_monitor.enabled = false
alsa_monitor.properties["alsa.reserve"] = false
default_access.properties["enable-flatpak-portal"] = false
v4l2_monitor.enabled = false
libcamera_monitor.enabled = false
LUA
	echo 'bluez_monitor.enabled = false' \
		> "$XDG_CONFIG_HOME/wireplumber/bluetooth.lua.d/51-headless.lua"
}

# pw_env_wait COMMAND TENTHS: polls COMMAND (eval'ed) every 0.1 s until it succeeds; fails
# after TENTHS polls.  deadlines are generous: a loaded machine only makes the wait longer.
pw_env_wait() {
	_pw_w=0
	while ! eval "$1" >/dev/null 2>&1; do
		_pw_w=$((_pw_w + 1))
		[ "$_pw_w" -ge "$2" ] && return 1
		sleep 0.1
	done
}

pw_env_start_server() {
	pipewire -c "$PW_ENV/pipewire.conf" >>"$PW_ENV/pipewire.log" 2>&1 </dev/null &
	PW_ENV_PW_PID=$!
	pw_env_wait "test -S '$XDG_RUNTIME_DIR/pipewire-0'" 600 || return 1
	wireplumber >>"$PW_ENV/wireplumber.log" 2>&1 </dev/null &
	PW_ENV_WP_PID=$!
	# WirePlumber is ready once it has chosen the default sink
	pw_env_wait "pw-metadata -n default 0 default.audio.sink | grep -q test-sink" 600
}

pw_env_start() {
	pw_env_need pipewire wireplumber pw-record pw-metadata pw-cli pw-link
	PW_ENV=$(mktemp -d "${TMPDIR:-/tmp}/audiod-pw.XXXXXX")
	export XDG_RUNTIME_DIR="$PW_ENV/run" XDG_STATE_HOME="$PW_ENV/state"
	export XDG_CONFIG_HOME="$PW_ENV/config"
	mkdir -p -m 700 "$XDG_RUNTIME_DIR" "$XDG_STATE_HOME" "$XDG_CONFIG_HOME"
	unset DBUS_SESSION_BUS_ADDRESS PIPEWIRE_REMOTE PIPEWIRE_CONFIG_NAME PIPEWIRE_LATENCY
	trap pw_env_stop EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	pw_env_config
	if ! pw_env_start_server; then
		echo "pw-env: PipeWire or WirePlumber did not come up" >&2
		pw_env_logs
		exit 1
	fi
}

# pw_env_end PID: TERM, up to 10 s for it to exit, then KILL; reaps it
pw_env_end() {
	pw_env_alive "$1" || { wait "$1" 2>/dev/null; return 0; }
	kill -TERM "$1" 2>/dev/null
	pw_env_wait "! pw_env_alive $1" 100 || kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# kills the server (TERM) and its session manager, as when PipeWire goes away
pw_env_kill_server() {
	[ -n "${PW_ENV_WP_PID:-}" ] && pw_env_end "$PW_ENV_WP_PID"
	[ -n "${PW_ENV_PW_PID:-}" ] && pw_env_end "$PW_ENV_PW_PID"
	PW_ENV_WP_PID= PW_ENV_PW_PID=
	return 0
}

pw_env_logs() {
	for f in "$PW_ENV"/*.log; do
		[ -s "$f" ] && { echo "--- $f"; tail -n 30 "$f"; }
	done >&2
}

# the EXIT trap: the test's processes first, then the server, then the directory
pw_env_stop() {
	trap '' INT TERM
	pw_env_kill_tracked
	[ -n "${PW_ENV:-}" ] || return 0
	pw_env_kill_server 2>/dev/null
	if [ -n "${PW_ENV_KEEP:-}" ]; then
		echo "pw-env: kept $PW_ENV" >&2
	else
		rm -rf "$PW_ENV"
	fi
	PW_ENV=
}

# --- links and the recorder ----------------------------------------------------------------

# pw_env_linked OUT IN: `pw-link -l` shows port OUT<ch> linked to a port IN<ch>... for both
# channels FL and FR (e.g. pw_env_linked test-sink:monitor_ audiod-test-recorder:input_)
pw_env_linked() {
	pw-link -l 2>/dev/null | awk -v out="$1" -v in_="$2" '
		/^[^ \t]/ { port = $1; next }
		$1 == "|->" && index(port, out) == 1 && index($2, in_) == 1 {
			ch = substr(port, length(out) + 1)
			if (substr($2, length(in_) + 1) == ch) seen[ch] = 1
		}
		END { exit !(("FL" in seen) && ("FR" in seen)) }'
}

pw_env_size() {
	stat -c %s "$1" 2>/dev/null || echo 0
}

REC_NODE=audiod-test-recorder
REC_FRAME_BYTES=8	# 2 channels of 32-bit floats

# rec_start FILE: records test-sink's monitor into FILE with no time limit (REC_PID) and
# returns only once the recorder is capturing: its stream is linked to both monitor ports
# and, after that, its file has grown past the header (frames are being written).  exports
# REC_FILE and REC_BASE (the file's size at that moment) for audiod_test.Recording.
# real time for the recorder (PIPEWIRE.md): client-rt.conf makes its data thread SCHED_FIFO,
# and chrt its main thread, where pw-record takes the buffers and writes them: left
# SCHED_OTHER, a busy machine delays it and PipeWire drops whole quanta of the recording.
rec_start() {
	REC_FILE=$1
	if [ -z "${REC_RT+set}" ]; then
		REC_RT=
		if chrt -f 50 true 2>/dev/null; then
			REC_RT="chrt -f 50"
		else
			echo "pw-env: cannot make the recorder SCHED_FIFO (chrt): it may drop quanta" >&2
		fi
	fi
	PIPEWIRE_CONFIG_NAME=client-rt.conf $REC_RT pw-record --target test-sink --format f32 \
		--rate 48000 --channels 2 \
		-P "{ stream.capture.sink = true node.name = $REC_NODE }" "$REC_FILE" \
		</dev/null >"$PW_ENV/pw-record.log" 2>&1 &
	REC_PID=$!
	pw_env_track "$REC_PID"
	pw_env_wait "pw_env_linked test-sink:monitor_ $REC_NODE:input_" 600 ||
		fail "the recorder was not linked to test-sink's monitor within 60 s"
	_rec_linked=$(pw_env_size "$REC_FILE")
	[ "$_rec_linked" -lt 1024 ] && _rec_linked=1024	# the WAV header is 88 bytes
	pw_env_wait "[ \$(pw_env_size '$REC_FILE') -gt $_rec_linked ]" 600 ||
		fail "the recorder is linked but wrote no frames within 60 s"
	REC_BASE=$(pw_env_size "$REC_FILE")
	export REC_FILE REC_BASE
	echo "recorder capturing (pid $REC_PID, $REC_BASE bytes)"
}

# rec_wait_seconds S: waits until the recording has grown by S seconds of frames since
# rec_start confirmed it (deadline: S + 60 s)
rec_wait_seconds() {
	_rec_want=$(awk -v s="$1" -v b="$REC_BASE" -v f="$REC_FRAME_BYTES" \
		'BEGIN { printf "%d", b + s * 48000 * f }')
	_rec_tenths=$(awk -v s="$1" 'BEGIN { printf "%d", (s + 60) * 10 }')
	pw_env_wait "[ \$(pw_env_size '$REC_FILE') -ge $_rec_want ]" "$_rec_tenths" ||
		fail "the recording did not grow by $1 s (stalled recorder?)"
}

# rec_stop: SIGINT (pw-record then completes the WAV header; 0.3.65 exits 1 for it) and wait
rec_stop() {
	kill -INT "$REC_PID" 2>/dev/null
	wait "$REC_PID"
	pw_env_untrack "$REC_PID"
	[ -s "$REC_FILE" ] || fail "the recorder left no file"
	echo "recorder stopped: $(pw_env_size "$REC_FILE") bytes"
}
