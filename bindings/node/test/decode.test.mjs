// decodeAudioData: libsndfile off the main thread, resampled to the context's rate
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as WebAudio from '../index.mjs';

const { OfflineAudioContext, AudioBuffer } = WebAudio;
const root = process.env.AUDIOD_SOURCE_ROOT ||
	join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

// a 16-bit PCM WAV in memory
function wav(rate, channels, frames) {
	const b = Buffer.alloc(44 + frames * channels * 2);
	b.write('RIFF', 0); b.writeUInt32LE(36 + frames * channels * 2, 4); b.write('WAVE', 8);
	b.write('fmt ', 12); b.writeUInt32LE(16, 16); b.writeUInt16LE(1, 20);
	b.writeUInt16LE(channels, 22); b.writeUInt32LE(rate, 24);
	b.writeUInt32LE(rate * channels * 2, 28); b.writeUInt16LE(channels * 2, 32);
	b.writeUInt16LE(16, 34); b.write('data', 36); b.writeUInt32LE(frames * channels * 2, 40);
	for (let i = 0; i < frames; i++)
		for (let c = 0; c < channels; c++)
			b.writeInt16LE(c === 0 ? 16384 : -8192, 44 + (i * channels + c) * 2);
	return b.buffer.slice(b.byteOffset, b.byteOffset + b.length);
}

test('decodes a WAV at the context rate exactly', async () => {
	const ctx = new OfflineAudioContext(1, 1, 8000);
	const ab = wav(8000, 2, 100);
	const b = await ctx.decodeAudioData(ab);
	assert.ok(b instanceof AudioBuffer);
	assert.equal(b.numberOfChannels, 2);
	assert.equal(b.length, 100);
	assert.equal(b.sampleRate, 8000);
	assert.equal(b.getChannelData(0)[50], 0.5);
	assert.equal(b.getChannelData(1)[50], -0.25);
	assert.equal(ab.byteLength, 0);	// detached
});

test('resamples to the context rate, callbacks too', async () => {
	const ctx = new OfflineAudioContext(1, 1, 16000);
	let viaCallback = null;
	const b = await ctx.decodeAudioData(wav(8000, 1, 800), (x) => { viaCallback = x; });
	assert.equal(b, viaCallback);
	assert.equal(b.sampleRate, 16000);
	assert.equal(b.length, 1600);
	assert.ok(Math.abs(b.getChannelData(0)[800] - 0.5) < 1e-3);
});

test('undecodable data rejects with EncodingError', async () => {
	const ctx = new OfflineAudioContext(1, 1, 8000);
	let err = null;
	await assert.rejects(ctx.decodeAudioData(new ArrayBuffer(16), null, (e) => { err = e; }),
			     { name: 'EncodingError' });
	assert.equal(err.name, 'EncodingError');
	await assert.rejects(ctx.decodeAudioData('x'), TypeError);
});

test('decodes the bench sample', async () => {
	const ctx = new OfflineAudioContext(1, 1, 48000);
	const f = readFileSync(join(root, 'bench', 'data', 'samples', 'music-mono-48000.wav'));
	const b = await ctx.decodeAudioData(f.buffer.slice(f.byteOffset, f.byteOffset + f.length));
	assert.equal(b.numberOfChannels, 1);
	assert.equal(b.length, (f.length - 44) / 2);
});
