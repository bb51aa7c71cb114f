// every node type: construction (constructor and factory), attributes, a rendered check
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as WebAudio from '../index.mjs';

const W = WebAudio;
const ctx = new W.OfflineAudioContext(2, 128, 48000);

const types = [
	['GainNode', 'createGain', 1, 1],
	['ConstantSourceNode', 'createConstantSource', 0, 1],
	['OscillatorNode', 'createOscillator', 0, 1],
	['AudioBufferSourceNode', 'createBufferSource', 0, 1],
	['BiquadFilterNode', 'createBiquadFilter', 1, 1],
	['DelayNode', 'createDelay', 1, 1],
	['StereoPannerNode', 'createStereoPanner', 1, 1],
	['PannerNode', 'createPanner', 1, 1],
	['DynamicsCompressorNode', 'createDynamicsCompressor', 1, 1],
	['WaveShaperNode', 'createWaveShaper', 1, 1],
	['ConvolverNode', 'createConvolver', 1, 1],
	['AnalyserNode', 'createAnalyser', 1, 1],
	['ChannelSplitterNode', 'createChannelSplitter', 1, 6],
	['ChannelMergerNode', 'createChannelMerger', 6, 1],
];

for (const [type, factory, inputs, outputs] of types) {
	test(`${type}: constructor and ${factory}()`, () => {
		const a = new W[type](ctx), b = ctx[factory]();
		for (const n of [a, b]) {
			assert.ok(n instanceof W[type]);
			assert.ok(n instanceof W.AudioNode);
			assert.ok(n instanceof EventTarget);
			assert.equal(n.context, ctx);
			assert.equal(n.numberOfInputs, inputs);
			assert.equal(n.numberOfOutputs, outputs);
		}
	});
}

test('IIRFilterNode: constructor, factory and frequency response', () => {
	const f = ctx.createIIRFilter([1, 1], [1]);
	const g = new W.IIRFilterNode(ctx, { feedforward: [0.5], feedback: [1] });
	assert.ok(f instanceof W.IIRFilterNode && g instanceof W.IIRFilterNode);
	const freq = new Float32Array([0, 12000, 24000, 30000]);
	const mag = new Float32Array(4), ph = new Float32Array(4);
	f.getFrequencyResponse(freq, mag, ph);
	assert.ok(Math.abs(mag[0] - 2) < 1e-6);
	assert.ok(Math.abs(mag[1] - Math.SQRT2) < 1e-6);
	assert.ok(Math.abs(mag[2]) < 1e-6);
	assert.ok(Number.isNaN(mag[3]));
	assert.throws(() => f.getFrequencyResponse(freq, new Float32Array(3), ph),
		      { name: 'InvalidAccessError' });
});

test('channel attributes: defaults and setters', () => {
	const g = ctx.createGain();
	assert.equal(g.channelCount, 2);
	assert.equal(g.channelCountMode, 'max');
	assert.equal(g.channelInterpretation, 'speakers');
	g.channelCount = 5;
	g.channelCountMode = 'explicit';
	g.channelInterpretation = 'discrete';
	assert.equal(g.channelCount, 5);
	assert.equal(g.channelCountMode, 'explicit');
	assert.equal(g.channelInterpretation, 'discrete');
	const s = ctx.createChannelSplitter(3);
	assert.equal(s.channelCount, 3);
	assert.equal(s.channelCountMode, 'explicit');
	assert.equal(s.channelInterpretation, 'discrete');
	assert.equal(ctx.destination.maxChannelCount, 2);
	assert.equal(ctx.destination.numberOfOutputs, 0);
});

test('node attributes read back', () => {
	const o = new W.OscillatorNode(ctx, { type: 'sawtooth', frequency: 220 });
	assert.equal(o.type, 'sawtooth');
	assert.equal(o.frequency.value, 220);
	assert.equal(o.frequency.maxValue, 24000);
	assert.equal(o.frequency.minValue, -24000);
	const bq = new W.BiquadFilterNode(ctx, { type: 'highpass', Q: 3 });
	assert.equal(bq.type, 'highpass');
	assert.equal(bq.Q.value, 3);
	assert.equal(bq.frequency.maxValue, 24000);
	const d = new W.DelayNode(ctx, { maxDelayTime: 2, delayTime: 0.5 });
	assert.equal(d.delayTime.value, 0.5);
	assert.equal(d.delayTime.maxValue, 2);
	const p = new W.PannerNode(ctx, { distanceModel: 'linear', refDistance: 2 });
	assert.equal(p.panningModel, 'equalpower');
	assert.equal(p.distanceModel, 'linear');
	assert.equal(p.refDistance, 2);
	assert.equal(p.orientationX.value, 1);
	const a = new W.AnalyserNode(ctx, { fftSize: 64 });
	assert.equal(a.fftSize, 64);
	assert.equal(a.frequencyBinCount, 32);
	assert.equal(a.minDecibels, -100);
	const ws = new W.WaveShaperNode(ctx, { curve: [0, 1], oversample: '2x' });
	assert.deepEqual(Array.from(ws.curve), [0, 1]);
	assert.equal(ws.oversample, '2x');
	const dc = new W.DynamicsCompressorNode(ctx);
	assert.equal(dc.threshold.value, -24);
	assert.equal(dc.reduction, 0);
	const l = ctx.listener;
	assert.ok(l instanceof W.AudioListener);
	assert.equal(l.forwardZ.value, -1);
	assert.equal(l.upY.value, 1);
});

test('splitter and merger route channels', async () => {
	const c = new W.OfflineAudioContext(2, 128, 8000);
	const src = new W.ConstantSourceNode(c, { offset: 1 });
	const src2 = new W.ConstantSourceNode(c, { offset: 2 });
	const m = new W.ChannelMergerNode(c, { numberOfInputs: 2 });
	const s = new W.ChannelSplitterNode(c, { numberOfOutputs: 2 });
	src.connect(m, 0, 0);
	src2.connect(m, 0, 1);
	m.connect(s);
	const m2 = new W.ChannelMergerNode(c, { numberOfInputs: 2 });
	s.connect(m2, 0, 1);
	s.connect(m2, 1, 0);
	m2.connect(c.destination);
	src.start();
	src2.start();
	const r = await c.startRendering();
	assert.equal(r.getChannelData(0)[5], 2);
	assert.equal(r.getChannelData(1)[5], 1);
});

test('StereoPannerNode pans a mono source hard left', async () => {
	const c = new W.OfflineAudioContext(2, 128, 8000);
	const src = new W.ConstantSourceNode(c);
	const p = new W.StereoPannerNode(c, { pan: -1 });
	src.connect(p).connect(c.destination);
	src.start();
	const r = await c.startRendering();
	assert.ok(Math.abs(r.getChannelData(0)[10] - 1) < 1e-6);
	assert.ok(Math.abs(r.getChannelData(1)[10]) < 1e-6);
});

test('DelayNode delays by delayTime', async () => {
	const c = new W.OfflineAudioContext(1, 256, 8000);
	const src = new W.ConstantSourceNode(c);
	const d = new W.DelayNode(c, { delayTime: 10 / 8000 });
	src.connect(d).connect(c.destination);
	src.start();
	const r = (await c.startRendering()).getChannelData(0);
	assert.equal(r[9], 0);
	assert.equal(r[10], 1);
});

test('WaveShaperNode maps through its curve', async () => {
	const c = new W.OfflineAudioContext(1, 128, 8000);
	const src = new W.ConstantSourceNode(c, { offset: 0.5 });
	const ws = new W.WaveShaperNode(c, { curve: new Float32Array([-1, 0, 3]) });
	src.connect(ws).connect(c.destination);
	src.start();
	const r = (await c.startRendering()).getChannelData(0);
	assert.equal(r[3], 1.5);
});

test('custom PeriodicWave and setPeriodicWave', async () => {
	const c = new W.OfflineAudioContext(1, 128, 48000);
	const w = c.createPeriodicWave(new Float32Array([0, 0]), new Float32Array([0, 1]));
	assert.ok(w instanceof W.PeriodicWave);
	const o = new W.OscillatorNode(c, { frequency: 1000 });
	o.setPeriodicWave(w);
	assert.equal(o.type, 'custom');
	o.connect(c.destination);
	o.start();
	const r = (await c.startRendering()).getChannelData(0);
	assert.ok(Math.abs(r[12] - 1) < 1e-4);
});

test('BiquadFilterNode frequency response: lowpass passes DC', () => {
	const bq = new W.BiquadFilterNode(ctx, { frequency: 1000 });
	const mag = new Float32Array(2), ph = new Float32Array(2);
	bq.getFrequencyResponse(new Float32Array([0, 24000]), mag, ph);
	assert.ok(Math.abs(mag[0] - 1) < 1e-6);
	assert.ok(mag[1] < 1e-6);
});

test('AnalyserNode reads the time domain at the end of the render', async () => {
	const c = new W.OfflineAudioContext(1, 256, 8000);
	const src = new W.ConstantSourceNode(c, { offset: 0.5 });
	const a = new W.AnalyserNode(c, { fftSize: 32 });
	src.connect(a);
	src.start();
	await c.startRendering();
	const t = new Float32Array(32), bytes = new Uint8Array(32);
	a.getFloatTimeDomainData(t);
	a.getByteTimeDomainData(bytes);
	assert.ok(t.every((v) => v === 0.5));
	assert.ok(bytes.every((v) => v === 192));
});
