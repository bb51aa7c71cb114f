# bash completion for audioctl(1): subcommands, options, Web Audio node types, node names
# asked of the running daemon (`audioctl ls --names`, silent when it is not running), and the
# installed LV2 plugins' URIs (`audioctl plugins`, for `plugins URI` and LV2Node's uri=).

_audioctl_nodes()
{
	local -a global=()
	local i
	# keep --session/--socket so names come from the session being worked on
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--session | --socket | --stream | --stream-role | --stream-target) global+=("${COMP_WORDS[i]}" "${COMP_WORDS[i + 1]}") ;;
		esac
	done
	audioctl "${global[@]}" ls --names 2>/dev/null
}

_audioctl_plugins()
{
	audioctl plugins 2>/dev/null | awk 'NR > 1 { print $1 }'
}

# uri=URI of `create LV2Node`: URIs hold ':' (a word break), so complete the whole word and
# trim what bash keeps before the last ':'
_audioctl_uri()
{
	local word=$cur
	type _get_comp_words_by_ref &>/dev/null && _get_comp_words_by_ref -n =: -c word
	[[ $word == uri=* ]] || return
	COMPREPLY=($(compgen -P uri= -W "$(_audioctl_plugins)" -- "${word#uri=}"))
	type __ltrim_colon_completions &>/dev/null && __ltrim_colon_completions "$word"
}

_audioctl()
{
	local cur prev cmd i
	_init_completion 2>/dev/null || {
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
	}
	local commands="send create delete connect disconnect set param start stop buffer
		free-buffer get analyser batch ls save load graph sync wait time stats sessions
		close-session play watch top plugins render help"
	local types="AnalyserNode AudioBufferSourceNode BiquadFilterNode ChannelMergerNode
		ChannelSplitterNode ConstantSourceNode ConvolverNode DelayNode
		DynamicsCompressorNode GainNode IIRFilterNode LV2Node MediaStreamAudioDestinationNode
		MediaStreamAudioSourceNode OscillatorNode PannerNode StereoPannerNode WaveShaperNode"
	local methods="value automationRate setValueAtTime linearRampToValueAtTime
		exponentialRampToValueAtTime setTargetAtTime setValueCurveAtTime
		cancelScheduledValues cancelAndHoldAtTime"
	local global="--session --ephemeral --stream --stream-role --stream-target --socket --json
		--help --version"

	case $prev in
	--session) COMPREPLY=($(compgen -W "$(audioctl sessions --json 2>/dev/null |
		grep -o '"name":"[^"]*"' | cut -d'"' -f4)" -- "$cur")); return ;;
	--socket) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--stream | --stream-target) return ;;
	--stream-role) COMPREPLY=($(compgen -W "Music Movie Game Notification Communication
		Accessibility Production Test" -- "$cur")); return ;;
	--when | --offset | --duration | --at | --gain | --output | --input) return ;;
	esac

	# the subcommand is the first word that is not a global option or its value
	cmd= i=1
	while ((i < COMP_CWORD)); do
		case ${COMP_WORDS[i]} in
		--session | --socket | --stream | --stream-role | --stream-target) ((i += 2)); continue ;;
		-*) ((i++)); continue ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "$commands $global" -- "$cur"))
		return
	fi
	# the position of cur among the subcommand's arguments (1 = first)
	local n=$((COMP_CWORD - i))

	if [[ $cur == --* ]]; then
		local opts="--help"
		case $cmd in
		send | -) opts+=" --keep-going" ;;
		create | delete | set | param) opts+=" --at" ;;
		connect | disconnect) opts+=" --output --input --at" ;;
		start) opts+=" --when --offset --duration --at" ;;
		stop) opts+=" --when --at" ;;
		buffer) opts+=" --native-rate" ;;
		ls) opts+=" --names" ;;
		load) opts+=" --replace" ;;
		graph) opts+=" --dot" ;;
		play) opts+=" --no-wait --loop --gain" ;;
		top) opts+=" --once" ;;
		plugins) opts+=" --all" ;;
		render) opts+=" --output --probes --format --max-buffer-mb --quiet" ;;
		esac
		COMPREPLY=($(compgen -W "$opts $global" -- "$cur"))
		return
	fi

	case $cmd in
	help) ((n == 1)) && COMPREPLY=($(compgen -W "$commands" -- "$cur")) ;;
	create)
		if ((n == 1)); then
			COMPREPLY=($(compgen -W "$types" -- "$cur"))
		elif [[ ${COMP_WORDS[i + 1]} == LV2Node ]]; then
			_audioctl_uri
		fi ;;
	plugins)
		((n == 1)) && COMPREPLY=($(compgen -W "$(_audioctl_plugins)" -- "$cur"))
		type __ltrim_colon_completions &>/dev/null && __ltrim_colon_completions "$cur" ;;
	delete | get | start | stop | analyser | disconnect)
		((n <= 2)) && COMPREPLY=($(compgen -W "$(_audioctl_nodes)" -- "$cur")) ;;
	connect) COMPREPLY=($(compgen -W "$(_audioctl_nodes) destination" -- "$cur")) ;;
	set) ((n == 1)) && COMPREPLY=($(compgen -W "$(_audioctl_nodes)" -- "$cur")) ;;
	param)
		if ((n == 1)); then
			COMPREPLY=($(compgen -W "$(_audioctl_nodes | sed 's/$/./')" -- "$cur"))
			compopt -o nospace 2>/dev/null
		elif ((n == 2)); then
			COMPREPLY=($(compgen -W "$methods" -- "$cur"))
		fi ;;
	watch) COMPREPLY=($(compgen -W "ended xrun session meter" -- "$cur")) ;;
	buffer) ((n == 2)) && COMPREPLY=($(compgen -f -W "noise impulse dc sine" -- "$cur")) ;;
	play | load | save | batch | render) COMPREPLY=($(compgen -f -- "$cur")) ;;
	esac
}

complete -F _audioctl audioctl
