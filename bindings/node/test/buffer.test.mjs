// AudioBuffer and AudioBufferSourceNode playback
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as WebAudio from '../index.mjs';

const { OfflineAudioContext, AudioBuffer, AudioBufferSourceNode, ConvolverNode } = WebAudio;

test('attributes and getChannelData', () => {
	const b = new AudioBuffer({ numberOfChannels: 3, length: 100, sampleRate: 44100 });
	assert.equal(b.numberOfChannels, 3);
	assert.equal(b.length, 100);
	assert.equal(b.sampleRate, 44100);
	assert.equal(b.duration, 100 / 44100);
	assert.ok(b.getChannelData(2) instanceof Float32Array);
	assert.equal(b.getChannelData(0), b.getChannelData(0));
	assert.throws(() => b.getChannelData(3), { name: 'IndexSizeError' });
	assert.throws(() => new AudioBuffer({ length: 0, sampleRate: 44100 }), { name: 'NotSupportedError' });
	assert.throws(() => new AudioBuffer({ length: 1 }), TypeError);
});

test('copyFromChannel and copyToChannel with offsets', () => {
	const b = new AudioBuffer({ numberOfChannels: 2, length: 8, sampleRate: 8000 });
	b.copyToChannel(new Float32Array([1, 2, 3]), 1, 6);
	assert.deepEqual(Array.from(b.getChannelData(1)), [0, 0, 0, 0, 0, 0, 1, 2]);
	const d = new Float32Array(4);
	b.copyFromChannel(d, 1, 5);
	assert.deepEqual(Array.from(d), [0, 1, 2, 0]);
	assert.throws(() => b.copyFromChannel(d, 2), { name: 'IndexSizeError' });
	assert.throws(() => b.copyToChannel([1], 0), TypeError);
	// no [AllowShared]: views on shared memory are a TypeError
	const shared = new Float32Array(new SharedArrayBuffer(16));
	assert.throws(() => b.copyFromChannel(shared, 0), TypeError);
	assert.throws(() => b.copyToChannel(shared, 0), TypeError);
});

test('a buffer plays back sample for sample, with loop', async () => {
	const ctx = new OfflineAudioContext(1, 20, 8000);
	const b = ctx.createBuffer(1, 4, 8000);
	b.copyToChannel(new Float32Array([1, 2, 3, 4]), 0);
	const s = new AudioBufferSourceNode(ctx, { buffer: b, loop: true });
	s.connect(ctx.destination);
	s.start(2 / 8000);
	const d = (await ctx.startRendering()).getChannelData(0);
	assert.deepEqual(Array.from(d.slice(0, 11)), [0, 0, 1, 2, 3, 4, 1, 2, 3, 4, 1]);
});

test('the content is acquired at start(): later writes are not heard', async () => {
	const ctx = new OfflineAudioContext(1, 4, 8000);
	const b = ctx.createBuffer(1, 4, 8000);
	const data = b.getChannelData(0);
	data.set([1, 1, 1, 1]);
	const s = new AudioBufferSourceNode(ctx);
	s.buffer = b;
	data[1] = 5;
	s.connect(ctx.destination);
	s.start();
	data[2] = 7;
	const d = (await ctx.startRendering()).getChannelData(0);
	assert.deepEqual(Array.from(d), [1, 5, 1, 1]);
});

test('mono buffer upmixes to stereo output', async () => {
	const ctx = new OfflineAudioContext(2, 4, 8000);
	const b = new AudioBuffer({ length: 4, sampleRate: 8000 });
	b.copyToChannel(new Float32Array([0.5, 0.5, 0.5, 0.5]), 0);
	const s = new AudioBufferSourceNode(ctx, { buffer: b });
	s.connect(ctx.destination);
	s.start();
	const r = await ctx.startRendering();
	assert.deepEqual(Array.from(r.getChannelData(1)), [0.5, 0.5, 0.5, 0.5]);
});

test('ConvolverNode with an impulse passes the signal (normalize off)', async () => {
	const ctx = new OfflineAudioContext(1, 8, 8000);
	const ir = new AudioBuffer({ length: 2, sampleRate: 8000 });
	ir.copyToChannel(new Float32Array([0, 1]), 0);
	const b = new AudioBuffer({ length: 3, sampleRate: 8000 });
	b.copyToChannel(new Float32Array([1, 2, 3]), 0);
	const conv = new ConvolverNode(ctx, { buffer: ir, disableNormalization: true });
	assert.equal(conv.normalize, false);
	assert.equal(conv.buffer, ir);
	const s = new AudioBufferSourceNode(ctx, { buffer: b });
	s.connect(conv).connect(ctx.destination);
	s.start();
	const d = (await ctx.startRendering()).getChannelData(0);
	assert.ok(Math.abs(d[0]) < 1e-6);
	assert.ok(Math.abs(d[1] - 1) < 1e-6 && Math.abs(d[2] - 2) < 1e-6 && Math.abs(d[3] - 3) < 1e-6);
});
