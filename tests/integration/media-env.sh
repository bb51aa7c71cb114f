# media-env.sh: helpers for the MediaStream tests (source after pw-env.sh and
# daemon-env.sh): a second null sink to play a tone into, tones made with sox, players.

# media_null_sink NAME: a null sink NAME (stereo F32, no driver of its own: it follows the
# graph's driver, test-sink), kept after pw-cli exits (object.linger)
media_null_sink() {
	pw-cli create-node adapter "{ factory.name = support.null-audio-sink node.name = $1
		node.description = $1 media.class = Audio/Sink audio.format = F32
		audio.rate = 48000 audio.channels = 2 audio.position = [ FL FR ]
		monitor.channel-volumes = false object.linger = true }" >/dev/null ||
		fail "pw-cli could not make the null sink $1"
	pw_env_wait "pw-cli ls Node | grep -q 'node.name = \"$1\"'" 100 ||
		fail "the null sink $1 did not appear"
}

# media_tone FILE HZ AMPLITUDE SECONDS: a stereo float WAV of a sine
media_tone() {
	sox -n -r 48000 -c 2 -b 32 -e floating-point "$1" synth "$4" sine "$2" vol "$3" ||
		fail "sox could not make $1"
}

# media_play TARGET FILE: plays FILE into node TARGET in the background (MEDIA_PLAY_PID)
media_play() {
	PIPEWIRE_CONFIG_NAME=client-rt.conf pw-play --target "$1" "$2" \
		</dev/null >>"$PW_ENV/pw-play.log" 2>&1 &
	MEDIA_PLAY_PID=$!
	pw_env_track "$MEDIA_PLAY_PID"
}

# media_check FILE HZ AMPLITUDE: wav-analyze says FILE holds a sine of HZ (±1 Hz) at
# AMPLITUDE (±0.5 dB) for at least 2 s
media_check() {
	"$ANALYZE" "$1" >"$1.txt" || fail "no tone in $1"
	cat "$1.txt"
	awk -v hz="$2" -v amp="$3" '
		{ v[$1] = $2 }
		function db(x) { return 20 * log(x / amp) / log(10) }
		function check(ok, what) { if (!ok) { print "FAIL: " what; bad = 1 } }
		END {
			check(v["tone_frames"] >= 2 * 48000, "tone shorter than 2 s: " v["tone_frames"])
			check(v["frequency"] >= hz - 1 && v["frequency"] <= hz + 1,
			      "frequency " v["frequency"] " instead of " hz)
			check(db(v["amplitude"]) >= -0.5 && db(v["amplitude"]) <= 0.5,
			      "level " db(v["amplitude"]) " dB from " amp)
			exit bad
		}' "$1.txt" || fail "$1: not a $2 Hz tone at $3"
}

# media_pw_has KEY VALUE: pw-dump shows an object with the property KEY = VALUE
media_pw_has() {
	pw-dump 2>/dev/null | python3 -c '
import json, sys
k, v = sys.argv[1], sys.argv[2]
for o in json.load(sys.stdin):
    p = (o.get("info") or {}).get("props") or {}
    if str(p.get(k)) == v:
        sys.exit(0)
sys.exit(1)' "$1" "$2"
}

# media_rec_start TARGET FILE [PROPS]: records node TARGET (a source, or with PROPS
# "stream.capture.sink = true" a sink's monitor) into FILE, stereo F32 (MEDIA_REC_PID), and
# returns once frames are being written; exports REC_FILE and REC_BASE like rec_start
media_rec_start() {
	REC_FILE=$2
	PIPEWIRE_CONFIG_NAME=client-rt.conf pw-record --target "$1" --format f32 --rate 48000 \
		--channels 2 -P "{ node.name = audiod-test-rec-$$ ${3:-} }" "$REC_FILE" \
		</dev/null >>"$PW_ENV/pw-record.log" 2>&1 &
	REC_PID=$!
	pw_env_track "$REC_PID"
	pw_env_wait "[ \$(pw_env_size '$REC_FILE') -gt 1024 ]" 600 ||
		fail "recording $1 wrote no frames within 60 s"
	REC_BASE=$(pw_env_size "$REC_FILE")
	export REC_FILE REC_BASE
}
