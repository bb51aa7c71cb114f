// OfflineAudioContext: rendering with the engine, suspend/resume, events, state
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as WebAudio from '../index.mjs';

const { OfflineAudioContext, ConstantSourceNode, OscillatorNode, GainNode } = WebAudio;

test('renders a constant source exactly', async () => {
	const ctx = new OfflineAudioContext(2, 300, 48000);
	const c = new ConstantSourceNode(ctx, { offset: 0.25 });
	c.connect(ctx.destination);
	c.start();
	const b = await ctx.startRendering();
	assert.equal(b.length, 300);
	assert.equal(b.numberOfChannels, 2);
	assert.equal(b.sampleRate, 48000);
	for (let ch = 0; ch < 2; ch++)
		assert.ok(b.getChannelData(ch).every((v) => v === 0.25));
});

test('a 1 kHz sine at 48 kHz has the expected samples', async () => {
	const ctx = new OfflineAudioContext({ numberOfChannels: 1, length: 128, sampleRate: 48000 });
	const o = new OscillatorNode(ctx, { frequency: 1000 });
	o.connect(ctx.destination);
	o.start();
	const d = (await ctx.startRendering()).getChannelData(0);
	assert.equal(d[0], 0);
	assert.equal(d[12], Math.fround(Math.sin(2 * Math.PI * 12 / 48)));
	assert.ok(Math.abs(d[1] - Math.sin(2 * Math.PI / 48)) < 1e-6);
});

test('start and stop are sample accurate and onended fires', async () => {
	const ctx = new OfflineAudioContext(1, 512, 48000);
	const c = new ConstantSourceNode(ctx);
	c.connect(ctx.destination);
	c.start(100 / 48000);
	c.stop(200 / 48000);
	let ended = 0;
	c.onended = () => ended++;
	const d = (await ctx.startRendering()).getChannelData(0);
	assert.equal(d[99], 0);
	assert.equal(d[100], 1);
	assert.equal(d[199], 1);
	assert.equal(d[200], 0);
	assert.equal(ended, 1);
});

test('a cycle without a DelayNode is muted until a disconnect breaks it', async () => {
	const ctx = new OfflineAudioContext(1, 512, 48000);
	const c = new ConstantSourceNode(ctx, { offset: 0.5 });
	const g = new GainNode(ctx), h = new GainNode(ctx);
	c.connect(g).connect(h).connect(ctx.destination);
	assert.equal(h.connect(g), g);
	h.connect(h.gain);
	c.start();
	ctx.suspend(256 / 48000).then(() => {
		h.disconnect(g);
		h.disconnect(h.gain);
		ctx.resume();
	});
	const d = (await ctx.startRendering()).getChannelData(0);
	assert.ok(d.subarray(0, 256).every((v) => v === 0));
	assert.ok(d.subarray(256).every((v) => v === 0.5));
});

test('state goes suspended -> running -> closed, complete event fires', async () => {
	const ctx = new OfflineAudioContext(1, 128, 8000);
	const states = [];
	ctx.onstatechange = () => states.push(ctx.state);
	assert.equal(ctx.state, 'suspended');
	const done = new Promise((r) => { ctx.oncomplete = (e) => r(e.renderedBuffer); });
	const rendering = ctx.startRendering();
	assert.equal(ctx.state, 'running');
	assert.deepEqual(states, []);		// queued: a listener added now still hears it
	let settled = false;
	rendering.then(() => { settled = true; });
	const closed = new Promise((r) => ctx.addEventListener('statechange', () => {
		if (ctx.state === 'closed')
			r();
	}));
	await closed;
	assert.equal(settled, true);		// resolved before the event was fired
	const b = await rendering;
	assert.equal(await done, b);
	assert.deepEqual(states, ['running', 'closed']);
	await assert.rejects(ctx.startRendering(), { name: 'InvalidStateError' });
});

test('suspend(t) stops at the quantum boundary and lets the graph change', async () => {
	const ctx = new OfflineAudioContext(1, 1024, 48000);
	const c = new ConstantSourceNode(ctx);
	const g = new GainNode(ctx, { gain: 0.5 });
	c.connect(g).connect(ctx.destination);
	c.start();
	ctx.suspend(300 / 48000).then(() => {
		assert.equal(ctx.currentTime, 384 / 48000);
		assert.equal(ctx.state, 'suspended');
		g.gain.value = 2;
		ctx.resume();
	});
	await assert.rejects(ctx.suspend(300 / 48000), { name: 'InvalidStateError' });
	await assert.rejects(ctx.suspend(2), { name: 'InvalidStateError' });
	const d = (await ctx.startRendering()).getChannelData(0);
	assert.equal(d[383], 0.5);
	assert.equal(d[384], 2);
	assert.equal(d[1023], 2);
});

test('currentTime follows the render and param values read back after it', async () => {
	const ctx = new OfflineAudioContext(1, 256, 48000);
	const g = new GainNode(ctx);
	const c = new ConstantSourceNode(ctx);
	c.connect(g).connect(ctx.destination);
	c.start();
	g.gain.setValueAtTime(0.5, 0);
	g.gain.linearRampToValueAtTime(1, 256 / 48000);
	assert.equal(ctx.currentTime, 0);
	assert.equal(g.gain.value, 1);
	await ctx.startRendering();
	assert.equal(ctx.currentTime, 256 / 48000);
	assert.equal(g.gain.value, Math.fround(0.5 + 0.5 * 128 / 256));
});
