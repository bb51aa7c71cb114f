// the spec's exception types, thrown synchronously
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as WebAudio from '../index.mjs';

const {
	OfflineAudioContext, GainNode, OscillatorNode, DelayNode, AudioBuffer, ChannelMergerNode,
	ChannelSplitterNode, AnalyserNode, ConstantSourceNode, IIRFilterNode, WaveShaperNode,
	AudioBufferSourceNode, PeriodicWave, StereoPannerNode,
} = WebAudio;

const ctx = new OfflineAudioContext(2, 128, 48000);

test('constructors check the context argument (TypeError)', () => {
	assert.throws(() => new GainNode(), TypeError);
	assert.throws(() => new GainNode({}), TypeError);
	assert.throws(() => new GainNode(ctx, 5), TypeError);
});

test('context construction: NotSupportedError and TypeError', () => {
	assert.throws(() => new OfflineAudioContext(0, 1, 48000), { name: 'NotSupportedError' });
	assert.throws(() => new OfflineAudioContext(33, 1, 48000), { name: 'NotSupportedError' });
	assert.throws(() => new OfflineAudioContext(1, 0, 48000), { name: 'NotSupportedError' });
	assert.throws(() => new OfflineAudioContext(1, 1, 2999), { name: 'NotSupportedError' });
	assert.throws(() => new OfflineAudioContext({ length: 1 }), TypeError);
	assert.throws(() => new OfflineAudioContext(1, 1, NaN), TypeError);
});

test('non-finite numbers are TypeError, bad dictionary enums too', () => {
	const g = new GainNode(ctx);
	assert.throws(() => { g.gain.value = NaN; }, TypeError);
	assert.throws(() => g.gain.setValueAtTime(Infinity, 0), TypeError);
	assert.throws(() => g.gain.setValueAtTime(1, NaN), TypeError);
	assert.throws(() => new GainNode(ctx, { gain: NaN }), TypeError);
	assert.throws(() => new OscillatorNode(ctx, { type: 'sqare' }), TypeError);
	assert.throws(() => new GainNode(ctx, { channelCountMode: 'bogus' }), TypeError);
	assert.throws(() => g.gain.setValueCurveAtTime([1, NaN], 0, 1), TypeError);
});

test('attribute enums: a bad value is ignored', () => {
	const o = new OscillatorNode(ctx);
	o.type = 'bogus';
	assert.equal(o.type, 'sine');
	o.type = 'square';
	assert.equal(o.type, 'square');
	assert.throws(() => { o.type = 'custom'; }, { name: 'InvalidStateError' });
	const g = new GainNode(ctx);
	g.channelInterpretation = 'bogus';
	assert.equal(g.channelInterpretation, 'speakers');
});

test('AudioParam range errors are RangeError', () => {
	const p = new GainNode(ctx).gain;
	assert.throws(() => p.setValueAtTime(1, -1), RangeError);
	assert.throws(() => p.linearRampToValueAtTime(1, -1), RangeError);
	assert.throws(() => p.exponentialRampToValueAtTime(0, 1), RangeError);
	assert.throws(() => p.setTargetAtTime(1, 0, -1), RangeError);
	assert.throws(() => p.cancelScheduledValues(-1), RangeError);
	assert.throws(() => p.setValueCurveAtTime([1, 2], 0, 0), RangeError);
	assert.throws(() => p.setValueCurveAtTime([1], 0, 1), { name: 'InvalidStateError' });
	p.setValueCurveAtTime([1, 2], 1, 1);
	assert.throws(() => p.setValueAtTime(1, 1.5), { name: 'NotSupportedError' });
});

test('connect: IndexSizeError, InvalidAccessError, TypeError; returns the destination', () => {
	const other = new OfflineAudioContext(1, 1, 48000);
	const g = new GainNode(ctx), h = new GainNode(ctx);
	assert.equal(g.connect(h), h);
	assert.throws(() => g.connect(h, 1), { name: 'IndexSizeError' });
	assert.throws(() => g.connect(h, 0, 1), { name: 'IndexSizeError' });
	assert.throws(() => g.connect(new GainNode(other)), { name: 'InvalidAccessError' });
	assert.throws(() => g.connect({}), TypeError);
	const s = new ChannelSplitterNode(ctx, { numberOfOutputs: 2 });
	const m = new ChannelMergerNode(ctx, { numberOfInputs: 2 });
	assert.equal(s.connect(m, 1, 0), m);
	assert.throws(() => s.connect(m, 2, 0), { name: 'IndexSizeError' });
});

test('disconnect overloads and their errors', () => {
	const g = new GainNode(ctx), h = new GainNode(ctx), k = new GainNode(ctx);
	g.connect(h);
	g.connect(k.gain);
	assert.throws(() => g.disconnect(k), { name: 'InvalidAccessError' });
	assert.throws(() => g.disconnect(1), { name: 'IndexSizeError' });
	g.disconnect(h, 0, 0);
	assert.throws(() => g.disconnect(h), { name: 'InvalidAccessError' });
	g.disconnect(k.gain, 0);
	g.connect(h);
	g.disconnect(0);
	g.disconnect();
});

test('source start/stop: InvalidStateError and RangeError', () => {
	const c = new ConstantSourceNode(ctx);
	assert.throws(() => c.stop(), { name: 'InvalidStateError' });
	assert.throws(() => c.start(-1), RangeError);
	c.start();
	assert.throws(() => c.start(), { name: 'InvalidStateError' });
	c.stop(1);
	const s = new AudioBufferSourceNode(ctx);
	assert.throws(() => s.start(0, -1), RangeError);
});

test('node options: NotSupportedError, IndexSizeError, InvalidStateError', () => {
	assert.throws(() => new DelayNode(ctx, { maxDelayTime: 0 }), { name: 'NotSupportedError' });
	assert.throws(() => new DelayNode(ctx, { maxDelayTime: 180 }), { name: 'NotSupportedError' });
	assert.throws(() => new GainNode(ctx, { channelCount: 0 }), { name: 'NotSupportedError' });
	assert.throws(() => new GainNode(ctx, { channelCount: 33 }), { name: 'NotSupportedError' });
	assert.throws(() => new ChannelMergerNode(ctx, { numberOfInputs: 33 }), { name: 'IndexSizeError' });
	assert.throws(() => new AnalyserNode(ctx, { fftSize: 100 }), { name: 'IndexSizeError' });
	assert.throws(() => new IIRFilterNode(ctx, { feedforward: [0], feedback: [1] }),
		      { name: 'InvalidStateError' });
	assert.throws(() => new IIRFilterNode(ctx, { feedforward: [1] }), TypeError);
	assert.throws(() => new WaveShaperNode(ctx, { curve: [1] }), { name: 'InvalidStateError' });
	assert.throws(() => new StereoPannerNode(ctx, { channelCount: 3 }), { name: 'NotSupportedError' });
	// no AudioWorklet: no processor name is registered
	assert.throws(() => new WebAudio.AudioWorkletNode(ctx, 'x'), { name: 'InvalidStateError' });
	assert.throws(() => new WebAudio.AudioWorkletNode(ctx), TypeError);
	assert.throws(() => new PeriodicWave(ctx, { real: [0, 1], imag: [0, 1, 2] }), { name: 'IndexSizeError' });
	const m = new ChannelMergerNode(ctx);
	assert.throws(() => { m.channelCount = 2; }, { name: 'InvalidStateError' });
	assert.throws(() => { ctx.destination.channelCount = 3; }, { name: 'IndexSizeError' });
});

test('AudioBufferSourceNode.buffer can be set once', () => {
	const b = new AudioBuffer({ length: 10, sampleRate: 48000 });
	const s = new AudioBufferSourceNode(ctx, { buffer: b });
	assert.throws(() => { s.buffer = b; }, { name: 'InvalidStateError' });
	s.buffer = null;
	assert.equal(s.buffer, null);
	assert.throws(() => { s.buffer = {}; }, TypeError);
});

test('a cycle without a DelayNode is allowed (its nodes are muted)', () => {
	const g = new GainNode(ctx), h = new GainNode(ctx);
	g.connect(h);
	assert.equal(h.connect(g), g);
	h.disconnect(g);
});

test('splitter and merger channel options are fixed (InvalidStateError)', () => {
	assert.throws(() => new ChannelSplitterNode(ctx, { numberOfOutputs: 2, channelCount: 3 }),
		      { name: 'InvalidStateError' });
	assert.throws(() => new ChannelSplitterNode(ctx, { channelCountMode: 'max' }),
		      { name: 'InvalidStateError' });
	assert.throws(() => new ChannelMergerNode(ctx, { channelCount: 2 }), { name: 'InvalidStateError' });
	assert.equal(new ChannelSplitterNode(ctx, { numberOfOutputs: 3, channelCount: 3 }).channelCount, 3);
});
