# pw-env.sh: a private, headless PipeWire + WirePlumber for integration tests.
# source it, then call pw_env_start; everything lives in a temporary directory (private
# XDG_RUNTIME_DIR, config and state) and pw_env_stop (run on exit) kills and removes it.
# measured facts behind each setting: /work/shared/notes/pipewire-headless.md.
# exits 77 (meson's "skipped") only when the PipeWire programs are not installed.

pw_env_need() {
	for p in "$@"; do
		if ! command -v "$p" >/dev/null 2>&1; then
			echo "pw-env: $p not installed: skipping" >&2
			exit 77
		fi
	done
}

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

# waits up to $2 tenths of a second for command $1 to succeed
pw_env_wait() {
	n=0
	while ! eval "$1" >/dev/null 2>&1; do
		n=$((n + 1))
		[ "$n" -ge "$2" ] && return 1
		sleep 0.1
	done
}

pw_env_start_server() {
	pipewire -c "$PW_ENV/pipewire.conf" >>"$PW_ENV/pipewire.log" 2>&1 &
	PW_ENV_PW_PID=$!
	pw_env_wait "test -S '$XDG_RUNTIME_DIR/pipewire-0'" 50 || return 1
	wireplumber >>"$PW_ENV/wireplumber.log" 2>&1 &
	PW_ENV_WP_PID=$!
	# WirePlumber is ready once it has chosen the default sink
	pw_env_wait "pw-metadata -n default 0 default.audio.sink | grep -q test-sink" 100
}

pw_env_start() {
	pw_env_need pipewire wireplumber pw-record pw-metadata pw-cli
	PW_ENV=$(mktemp -d "${TMPDIR:-/tmp}/audiod-pw.XXXXXX")
	export XDG_RUNTIME_DIR="$PW_ENV/run" XDG_STATE_HOME="$PW_ENV/state"
	export XDG_CONFIG_HOME="$PW_ENV/config"
	mkdir -p -m 700 "$XDG_RUNTIME_DIR" "$XDG_STATE_HOME" "$XDG_CONFIG_HOME"
	unset DBUS_SESSION_BUS_ADDRESS PIPEWIRE_REMOTE PIPEWIRE_CONFIG_NAME PIPEWIRE_LATENCY
	trap pw_env_stop EXIT
	trap 'exit 130' INT TERM
	pw_env_config
	if ! pw_env_start_server; then
		echo "pw-env: PipeWire or WirePlumber did not come up" >&2
		pw_env_logs
		exit 1
	fi
}

# kills the server (TERM) and its session manager, as when PipeWire goes away
pw_env_kill_server() {
	[ -n "${PW_ENV_WP_PID:-}" ] && kill "$PW_ENV_WP_PID" 2>/dev/null && wait "$PW_ENV_WP_PID"
	[ -n "${PW_ENV_PW_PID:-}" ] && kill "$PW_ENV_PW_PID" 2>/dev/null && wait "$PW_ENV_PW_PID"
	PW_ENV_WP_PID= PW_ENV_PW_PID=
	return 0
}

pw_env_logs() {
	for f in "$PW_ENV"/*.log; do
		[ -s "$f" ] && { echo "--- $f"; tail -n 30 "$f"; }
	done >&2
}

pw_env_stop() {
	[ -n "${PW_ENV:-}" ] || return 0
	pw_env_kill_server 2>/dev/null
	[ -n "${PW_ENV_KEEP:-}" ] || rm -rf "$PW_ENV"
	PW_ENV=
}
