// AudioContext's daemon errors, against a stand-in daemon (a child process speaking the
// protocol's lines): an error reply goes to the promise it was made for, else to the
// context's `error` event (a process warning when nothing listens); a lost connection
// suspends the context and fires `error`.  the real daemon: tests/integration/test-node-live.sh
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as WebAudio from '../index.mjs';

const { AudioContext } = WebAudio;

// accepts every request but: a WaveShaperNode (a quota error), destination.gain once a
// StereoPannerNode was made (so suspend's mute fails), and a DelayNode (the connection is
// dropped)
const daemon = `
const net = require('node:net');
const t0 = Date.now();
const srv = net.createServer((c) => {
	let rest = '', failMute = false;
	c.write(JSON.stringify({ audiod: 1, sampleRate: 48000, channels: 2 }) + '\\n');
	c.on('error', () => {});
	c.on('data', (d) => {
		const parts = (rest + d).split('\\n');
		rest = parts.pop();
		for (const l of parts) {
			const q = JSON.parse(l);
			let r = { ok: true };
			if (q.op === 'time')
				r = { ok: true, currentTime: (Date.now() - t0) / 1000, baseLatency: 0.005,
				      outputLatency: 0.01 };
			else if (q.op === 'create' && q.type === 'WaveShaperNode')
				r = { ok: false, error: { code: 'quota', message: 'too many nodes' } };
			else if (q.op === 'create' && q.type === 'DelayNode')
				return c.destroy();
			else if (q.op === 'create' && q.type === 'StereoPannerNode')
				failMute = true;
			else if (q.op === 'param' && q.target === 'destination.gain' && failMute)
				r = { ok: false, error: { code: 'invalid_state', message: 'no' } };
			c.write(JSON.stringify(r) + '\\n');
		}
	});
});
srv.listen(process.argv[1], () => console.log('ready'));
`;

let dir, child;

before(async () => {
	dir = mkdtempSync(join(tmpdir(), 'audiod-live-test-'));
	process.env.AUDIOD_SOCKET = join(dir, 'socket');
	child = spawn(process.execPath, ['-e', daemon, process.env.AUDIOD_SOCKET],
		      { stdio: ['ignore', 'pipe', 'inherit'] });
	await new Promise((resolve) => child.stdout.once('data', resolve));
});

after(() => {
	child.kill();
	rmSync(dir, { recursive: true, force: true });
});

const running = (ctx) => new Promise((r) => {
	ctx.onstatechange = () => {
		if (ctx.state === 'running')
			r();
	};
});

test('an error reply no promise waits for fires `error`, else warns', async () => {
	const ctx = new AudioContext();
	await running(ctx);
	const ev = new Promise((r) => { ctx.onerror = r; });
	ctx.createWaveShaper();
	const e = await ev;
	assert.equal(e.type, 'error');
	assert.equal(e.error.name, 'InvalidStateError');
	assert.match(e.message, /too many nodes/);
	assert.equal(ctx.state, 'running');

	ctx.onerror = null;
	const warned = new Promise((r) => process.once('warning', r));
	ctx.createWaveShaper();
	const w = await warned;
	assert.equal(w.name, 'AudioContextWarning');
	assert.match(w.message, /too many nodes/);
	await ctx.close();
});

test('suspend() is rejected with the daemon\'s error, and the context runs on', async () => {
	const ctx = new AudioContext();
	await running(ctx);
	ctx.createStereoPanner();
	await assert.rejects(ctx.suspend(), { name: 'InvalidStateError', message: /no/ });
	assert.equal(ctx.state, 'running');
	const t = ctx.currentTime;
	await new Promise((r) => setTimeout(r, 300));
	assert.ok(ctx.currentTime > t, 'currentTime goes on');
	await ctx.close();
	assert.equal(ctx.state, 'closed');
});

test('a lost connection suspends the context and fires `error`; close() still closes', async () => {
	const ctx = new AudioContext();
	await running(ctx);
	const events = [];
	ctx.addEventListener('error', (e) => events.push(`error ${e.error.name}`));
	const suspended = new Promise((r) => {
		ctx.onstatechange = () => {
			events.push(ctx.state);
			r();
		};
	});
	ctx.createDelay();		// the stand-in drops the connection
	const pending = ctx.resume();	// waits for a reply that never comes
	await suspended;
	assert.deepEqual(events, ['error InvalidStateError', 'suspended']);
	await assert.rejects(pending, { name: 'InvalidStateError' });
	await assert.rejects(ctx.resume(), { name: 'InvalidStateError' });
	const t = ctx.currentTime;
	await new Promise((r) => setTimeout(r, 100));
	assert.equal(ctx.currentTime, t, 'currentTime stopped');
	await ctx.close();
	assert.equal(ctx.state, 'closed');
});
