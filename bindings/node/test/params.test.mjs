// AudioParam: attributes, automation methods and their rendered values
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as WebAudio from '../index.mjs';

const { OfflineAudioContext, ConstantSourceNode, GainNode, AudioParam } = WebAudio;

async function renderOffset(setup, length = 512, rate = 8000) {
	const ctx = new OfflineAudioContext(1, length, rate);
	const c = new ConstantSourceNode(ctx, { offset: 0 });
	c.connect(ctx.destination);
	c.start();
	setup(c.offset, ctx);
	return (await ctx.startRendering()).getChannelData(0);
}

test('attributes of a GainNode gain', () => {
	const ctx = new OfflineAudioContext(1, 1, 8000);
	const g = new GainNode(ctx, { gain: -2 });
	assert.ok(g.gain instanceof AudioParam);
	assert.equal(g.gain.defaultValue, 1);
	assert.equal(g.gain.value, -2);
	assert.equal(g.gain.minValue, -3.4028234663852886e38);
	assert.equal(g.gain.maxValue, 3.4028234663852886e38);
	assert.equal(g.gain.automationRate, 'a-rate');
	g.gain.value = 0.1;
	assert.equal(g.gain.value, Math.fround(0.1));
});

test('methods return the param', () => {
	const ctx = new OfflineAudioContext(1, 1, 8000);
	const p = new GainNode(ctx).gain;
	assert.equal(p.setValueAtTime(1, 0), p);
	assert.equal(p.linearRampToValueAtTime(2, 1), p);
	assert.equal(p.exponentialRampToValueAtTime(3, 2), p);
	assert.equal(p.setTargetAtTime(1, 3, 0.1), p);
	assert.equal(p.setValueCurveAtTime([1, 2], 4, 1), p);
	assert.equal(p.cancelScheduledValues(10), p);
	assert.equal(p.cancelAndHoldAtTime(10), p);
});

test('setValueAtTime and linearRampToValueAtTime render exactly', async () => {
	const d = await renderOffset((p) => {
		p.setValueAtTime(1, 0);
		p.setValueAtTime(2, 100 / 8000);
		p.linearRampToValueAtTime(4, 300 / 8000);
	});
	assert.equal(d[0], 1);
	assert.equal(d[99], 1);
	assert.equal(d[100], 2);
	assert.equal(d[200], 3);
	assert.equal(d[300], 4);
	assert.equal(d[511], 4);
});

test('exponentialRampToValueAtTime follows v0 (v1/v0)^t', async () => {
	const d = await renderOffset((p) => {
		p.setValueAtTime(1, 0);
		p.exponentialRampToValueAtTime(16, 400 / 8000);
	});
	assert.ok(Math.abs(d[100] - 2) < 1e-5);
	assert.ok(Math.abs(d[200] - 4) < 1e-5);
	assert.equal(d[400], 16);
});

test('setTargetAtTime approaches the target', async () => {
	const d = await renderOffset((p) => {
		p.setValueAtTime(0, 0);
		p.setTargetAtTime(1, 0, 100 / 8000);
	});
	assert.ok(Math.abs(d[100] - (1 - Math.exp(-1))) < 1e-6);
	assert.ok(Math.abs(d[200] - (1 - Math.exp(-2))) < 1e-6);
});

test('setValueCurveAtTime interpolates the curve', async () => {
	const d = await renderOffset((p) => p.setValueCurveAtTime(new Float32Array([0, 1, 0]), 0, 400 / 8000));
	assert.equal(d[0], 0);
	assert.ok(Math.abs(d[100] - 0.5) < 1e-6);
	assert.ok(Math.abs(d[200] - 1) < 1e-6);
	assert.equal(d[450], 0);
});

test('cancelScheduledValues removes later events, cancelAndHoldAtTime holds', async () => {
	const d = await renderOffset((p) => {
		p.setValueAtTime(1, 0);
		p.linearRampToValueAtTime(3, 400 / 8000);
		p.cancelAndHoldAtTime(200 / 8000);
		p.setValueAtTime(9, 300 / 8000);
		p.cancelScheduledValues(300 / 8000);
	});
	assert.equal(d[100], 1.5);
	assert.equal(d[200], 2);
	assert.equal(d[350], 2);
});

test('audio-rate modulation: a node connected to a param adds to it', async () => {
	const ctx = new OfflineAudioContext(1, 128, 8000);
	const c = new ConstantSourceNode(ctx, { offset: 2 });
	const m = new ConstantSourceNode(ctx, { offset: 0.5 });
	const g = new GainNode(ctx, { gain: 1 });
	c.connect(g).connect(ctx.destination);
	assert.equal(m.connect(g.gain), undefined);
	c.start();
	m.start();
	const d = (await ctx.startRendering()).getChannelData(0);
	assert.equal(d[0], 3);
	assert.equal(d[127], 3);
});

test('automationRate of a fixed param cannot change', () => {
	const ctx = new OfflineAudioContext(1, 1, 8000);
	const s = ctx.createBufferSource();
	assert.equal(s.playbackRate.automationRate, 'k-rate');
	assert.throws(() => { s.playbackRate.automationRate = 'a-rate'; }, { name: 'InvalidStateError' });
	const g = ctx.createGain();
	g.gain.automationRate = 'k-rate';
	assert.equal(g.gain.automationRate, 'k-rate');
	g.gain.automationRate = 'bogus';
	assert.equal(g.gain.automationRate, 'k-rate');
});
