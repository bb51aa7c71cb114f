'use strict';
// audiod's Web Audio API for Node.js (CommonJS entry; index.mjs is the ES module one).
// OfflineAudioContext renders in-process with audiod's engine; AudioContext plays through
// the audiod daemon.  see README.md.
const w = require('./lib/webaudio.cjs');
const { AudioContext } = require('./lib/live.cjs');

module.exports = {
	AudioContext,
	BaseAudioContext: w.BaseAudioContext,
	OfflineAudioContext: w.OfflineAudioContext,
	OfflineAudioCompletionEvent: w.OfflineAudioCompletionEvent,
	AudioNode: w.AudioNode,
	AudioScheduledSourceNode: w.AudioScheduledSourceNode,
	AudioParam: w.AudioParam,
	AudioBuffer: w.AudioBuffer,
	PeriodicWave: w.PeriodicWave,
	AudioDestinationNode: w.AudioDestinationNode,
	AudioListener: w.AudioListener,
	AnalyserNode: w.AnalyserNode,
	AudioBufferSourceNode: w.AudioBufferSourceNode,
	BiquadFilterNode: w.BiquadFilterNode,
	ChannelMergerNode: w.ChannelMergerNode,
	ChannelSplitterNode: w.ChannelSplitterNode,
	ConstantSourceNode: w.ConstantSourceNode,
	ConvolverNode: w.ConvolverNode,
	DelayNode: w.DelayNode,
	DynamicsCompressorNode: w.DynamicsCompressorNode,
	GainNode: w.GainNode,
	IIRFilterNode: w.IIRFilterNode,
	OscillatorNode: w.OscillatorNode,
	PannerNode: w.PannerNode,
	StereoPannerNode: w.StereoPannerNode,
	WaveShaperNode: w.WaveShaperNode,
	AudioWorkletNode: w.AudioWorkletNode,
	ScriptProcessorNode: w.ScriptProcessorNode,
};
