// audiod's Web Audio API for Node.js, as an ES module: import * as WebAudio from '.../index.mjs'
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const m = require('./index.cjs');

export const {
	AudioContext, BaseAudioContext, OfflineAudioContext, OfflineAudioCompletionEvent,
	AudioNode, AudioScheduledSourceNode, AudioParam, AudioBuffer, PeriodicWave,
	AudioDestinationNode, AudioListener, AnalyserNode, AudioBufferSourceNode,
	BiquadFilterNode, ChannelMergerNode, ChannelSplitterNode, ConstantSourceNode,
	ConvolverNode, DelayNode, DynamicsCompressorNode, GainNode, IIRFilterNode,
	OscillatorNode, PannerNode, StereoPannerNode, WaveShaperNode, AudioWorkletNode,
	ScriptProcessorNode,
} = m;
export default m;
