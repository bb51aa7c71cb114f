#!/usr/bin/env node
// Dev tool, not part of the build or CI: writes random short graph documents (PROTOCOL.md §6)
// covering every node type and automation kind, with a NAME.meta.json tolerance for
// compare.js (and a NAME.chromium.json where Chromium needs a spec-equivalent graph).
//
//   node gen.js OUTDIR [COUNT=300] [SEED=1]
'use strict';

const fs = require('fs');
const path = require('path');

let rngState = 1;
function rnd() {	// mulberry32: reproducible from the seed
	rngState = (rngState + 0x6D2B79F5) >>> 0;
	let t = rngState;
	t = Math.imul(t ^ (t >>> 15), t | 1);
	t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
	return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (a) => a[Math.floor(rnd() * a.length)];
const uni = (a, b) => a + (b - a) * rnd();
const int = (a, b) => Math.floor(uni(a, b + 1));
const r4 = (x) => Math.round(x * 1e4) / 1e4;
const seed = () => int(1, 2 ** 31);

const RATES = [44100, 48000, 22050, 96000, 16000];

// tolerance classes, from the public vectors' choices for the same features
const TOL = {
	exact: { abs: 1e-5, rel: 1e-5, snr_db: 90 },
	analytic: { abs: 1e-4, rel: 1e-5, snr_db: 80 },
	tight: { abs: 2e-4, rel: 0, snr_db: 70 },
	filter: { abs: 5e-4, rel: 1e-4, snr_db: 80 },
	frac: { abs: 0.02, rel: 0, snr_db: 40 },
	resample: { abs: 0.05, rel: 0, snr_db: 40 },
	bandlimited: { abs: 2, rel: 0, snr_db: 10 },
	oversample: { abs: 0.05, rel: 0, snr_db: 30, max_lag: 128 },
};

function base(nch) {
	const sampleRate = pick(RATES);
	const length = Math.round(sampleRate * uni(0.1, 0.3));
	return { sampleRate, length, channels: nch, buffers: {}, nodes: [], connections: [] };
}
const T = (d) => d.length / d.sampleRate;	// duration

function merger(d, n) {
	d.nodes.push({ id: 'mrg', type: 'ChannelMergerNode', options: { numberOfInputs: n } });
	d.connections.push(['mrg', 'destination']);
}
function noise(d, name, ch, len, extra) {
	d.buffers[name] = Object.assign({ generate: 'noise', seed: seed(), length: len || d.length,
		numberOfChannels: ch || 1 }, extra || {});
}
function src(d, id, buf, start) {
	d.nodes.push({ id, type: 'AudioBufferSourceNode', buffer: buf, start: start || 0 });
}

// a random automation sequence for a param whose useful range is [lo, hi]
function automation(d, lo, hi, opts) {
	opts = opts || {};
	const dur = T(d), ev = [];
	let t = r4(uni(0, dur * 0.2));
	const val = () => r4(uni(lo, hi));
	const pos = () => r4(uni(Math.max(lo, 1e-3 * Math.abs(hi)), hi) || 0.1);
	if (rnd() < 0.8)
		ev.push(['setValueAtTime', val(), t]);
	const n = int(1, 4);
	for (let i = 0; i < n && t < dur; i++) {
		t = r4(t + uni(0.01, dur / n));
		const k = pick(opts.noExp ? ['lin', 'set', 'target', 'curve'] :
			['lin', 'exp', 'set', 'target', 'curve']);
		if (k === 'lin')
			ev.push(['linearRampToValueAtTime', val(), t]);
		else if (k === 'exp' && lo * hi > 0)
			ev.push(['exponentialRampToValueAtTime', pos(), t]);
		else if (k === 'exp')
			ev.push(['exponentialRampToValueAtTime', r4(uni(0.01, Math.abs(hi))), t]);
		else if (k === 'set')
			ev.push(['setValueAtTime', val(), t]);
		else if (k === 'target')
			ev.push(['setTargetAtTime', val(), t, r4(uni(0.002, 0.05))]);
		else {
			const m = int(2, 8), c = [];
			for (let j = 0; j < m; j++)
				c.push(val());
			const du = r4(uni(0.01, dur / n));
			ev.push(['setValueCurveAtTime', c, t, du]);
			t = r4(t + du);
		}
	}
	if (opts.cancel && rnd() < 0.7)
		ev.push([pick(['cancelScheduledValues', 'cancelAndHoldAtTime']), r4(uni(0, dur)) ]);
	if (opts.cancel && rnd() < 0.5)
		ev.push([pick(['linearRampToValueAtTime', 'setTargetAtTime']), val(), r4(uni(t, dur))]
			.concat(ev[ev.length - 1][0] === 'setTargetAtTime' ? [] : []));
	// setTargetAtTime needs a time constant
	for (const e of ev)
		if (e[0] === 'setTargetAtTime' && e.length === 3)
			e.push(r4(uni(0.005, 0.05)));
	if (opts.krate && rnd() < 0.3)
		ev.unshift(['automationRate', 'k-rate']);
	return ev;
}

const gens = {
	osc(d) {
		d = base(3);
		merger(d, 3);
		let tol = 'tight';
		for (let i = 0; i < 3; i++) {
			const type = pick(['sine', 'sine', 'square', 'sawtooth', 'triangle']);
			if (type !== 'sine')
				tol = 'bandlimited';
			const n = { id: 'o' + i, type: 'OscillatorNode',
				options: { type, frequency: r4(pick([uni(30, 3000), -uni(30, 1000),
					uni(d.sampleRate * 0.4, d.sampleRate * 0.6)])), detune: r4(pick([0, uni(-1200, 1200)])) },
				start: r4(uni(0, 0.02)) };
			if (rnd() < 0.5)
				n.stop = r4(uni(0.05, T(d)));
			// Chromium emits a garbage first sample for a negative frequency started between
			// frames (cases/osc-negative-subsample-start.json): start on a frame then
			if (n.options.frequency < 0)
				n.start = Math.round(n.start * d.sampleRate) / d.sampleRate;
			d.nodes.push(n);
			d.connections.push([n.id, 'mrg', 0, i]);
		}
		return [d, tol];
	},
	oscAuto(d) {
		d = base(2);
		merger(d, 2);
		for (let i = 0; i < 2; i++) {
			const n = { id: 'o' + i, type: 'OscillatorNode', options: { frequency: r4(uni(100, 2000)) },
				params: {}, start: 0 };
			if (rnd() < 0.8)
				n.params.frequency = automation(d, 50, 4000, { krate: true });
			if (rnd() < 0.6)
				n.params.detune = automation(d, -1200, 1200, { krate: true, noExp: true });
			d.nodes.push(n);
			d.connections.push([n.id, 'mrg', 0, i]);
		}
		return [d, 'tight'];
	},
	oscCustom(d) {
		d = base(2);
		merger(d, 2);
		let tol = 'tight';
		for (let i = 0; i < 2; i++) {
			const N = pick([1, 2, 3, 5, 8, 16, 64, 256, 2048]);
			const real = [0], imag = [0];
			for (let k = 1; k < N + 1; k++) {
				real.push(rnd() < 0.5 ? r4(uni(-1, 1) / k) : 0);
				imag.push(r4(uni(-1, 1) / k));
			}
			const f = r4(uni(40, 1500));
			if (f * N > d.sampleRate / 4)
				tol = 'resample';
			const n = { id: 'o' + i, type: 'OscillatorNode', options: { frequency: f },
				periodicWave: { real, imag, disableNormalization: rnd() < 0.5 }, start: 0 };
			if (rnd() < 0.3)
				n.periodicWave = { imag, disableNormalization: n.periodicWave.disableNormalization };
			if (rnd() < 0.4)
				n.params = { frequency: automation(d, f / 2, f * 1.5) };
			d.nodes.push(n);
			d.connections.push([n.id, 'mrg', 0, i]);
		}
		return [d, tol];
	},
	absLoop(d) {
		d = base(3);
		merger(d, 3);
		const blen = int(200, 3000);
		noise(d, 'n', 1, blen);
		const bd = blen / d.sampleRate;
		let tol = 'tight';
		for (let i = 0; i < 3; i++) {
			const n = { id: 'b' + i, type: 'AudioBufferSourceNode', buffer: 'n', props: {}, params: {} };
			if (rnd() < 0.7) {
				n.props.loop = true;
				const edge = pick(['normal', 'normal', 'zeroEnd', 'startAfterEnd', 'endPast',
					'equal', 'frac', 'negStart']);
				let ls = r4(uni(0, bd * 0.5)), le = r4(uni(bd * 0.5, bd));
				if (edge === 'normal') {
					ls = Math.round(ls * d.sampleRate) / d.sampleRate;
					le = Math.round(le * d.sampleRate) / d.sampleRate;
				}
				if (edge === 'zeroEnd')
					le = 0;
				if (edge === 'startAfterEnd')
					[ls, le] = [le, ls];
				if (edge === 'endPast')
					le = r4(bd * 2);
				if (edge === 'equal')
					le = ls;
				if (edge === 'negStart')
					ls = -0.01;
				if (edge === 'frac')
					tol = 'frac';
				n.props.loopStart = ls;
				n.props.loopEnd = le;
			}
			const pr = pick([1, 1, 0.5, 2, 0.75, 1.25, -1, 0]);
			if (pr !== 1) {
				n.options = { playbackRate: pr };
				if (Math.abs(pr) !== 1 && pr !== 2 && pr !== 0.5)
					tol = tol === 'tight' ? 'tight' : tol;
			}
			if (rnd() < 0.3)
				n.params.playbackRate = automation(d, 0.25, 2);	// Chromium rejects even "k-rate" here
			if (rnd() < 0.3)
				n.params.detune = automation(d, -1200, 1200, { noExp: true });
			const form = pick(['plain', 'offset', 'offdur', 'offdur']);
			const w = r4(uni(0, 0.03));
			n.start = form === 'plain' ? w : form === 'offset' ? [w, r4(uni(0, bd * 1.2))] :
				[w, r4(uni(0, bd)), r4(uni(0.001, bd * 3))];
			if (rnd() < 0.3)
				n.stop = r4(uni(w, T(d)));
			d.nodes.push(n);
			d.connections.push([n.id, 'mrg', 0, i]);
		}
		return [d, tol];
	},
	absRate(d) {
		d = base(2);
		merger(d, 2);
		const br = pick(RATES.filter((r) => r !== d.sampleRate).concat([38000, 8000]));
		d.buffers.s = { generate: 'sine', frequency: r4(uni(100, Math.min(br, d.sampleRate) / 8)),
			length: Math.round(br * uni(0.05, 0.3)), numberOfChannels: 1, sampleRate: br };
		for (let i = 0; i < 2; i++) {
			const n = { id: 'b' + i, type: 'AudioBufferSourceNode', buffer: 's',
				start: r4(uni(0, 0.02)) };
			if (i === 1) {
				n.props = { loop: true, loopStart: r4(uni(0, 0.02)), loopEnd: r4(uni(0.03, 0.05)) };
				n.options = { playbackRate: pick([1, 0.5, 1.5]) };
			}
			d.nodes.push(n);
			d.connections.push([n.id, 'mrg', 0, i]);
		}
		return [d, 'resample'];
	},
	gain(d) {
		d = base(2);
		merger(d, 2);
		noise(d, 'n');
		src(d, 's', 'n');
		d.nodes.push({ id: 'c', type: 'ConstantSourceNode', options: { offset: 1 }, start: 0 });
		for (let i = 0; i < 2; i++) {
			d.nodes.push({ id: 'g' + i, type: 'GainNode', options: { gain: r4(uni(-1, 2)) },
				params: { gain: automation(d, -1, 2, { cancel: true, krate: true }) } });
			d.connections.push([i ? 'c' : 's', 'g' + i], ['g' + i, 'mrg', 0, i]);
		}
		return [d, 'analytic'];
	},
	automation(d) {
		d = base(4);
		merger(d, 4);
		for (let i = 0; i < 4; i++) {
			d.nodes.push({ id: 'a' + i, type: 'ConstantSourceNode', options: { offset: 0 },
				params: { offset: automation(d, -1, 1, { cancel: true, krate: true }) }, start: 0 });
			d.connections.push(['a' + i, 'mrg', 0, i]);
		}
		return [d, 'analytic'];
	},
	delay(d) {
		d = base(3);
		merger(d, 3);
		noise(d, 'n', 1, Math.round(d.sampleRate * 0.05));
		d.buffers.t = { generate: 'sine', frequency: r4(uni(100, 1000)), length: d.length,
			numberOfChannels: 1 };
		src(d, 's', 'n');
		src(d, 't', 't');
		const fi = int(0, 400);
		d.nodes.push({ id: 'd0', type: 'DelayNode', options: { delayTime: fi / d.sampleRate, maxDelayTime: 0.1 } });
		d.nodes.push({ id: 'd1', type: 'DelayNode', options: { delayTime: r4(uni(0, 0.02)), maxDelayTime: 0.05 } });
		d.nodes.push({ id: 'd2', type: 'DelayNode', options: { maxDelayTime: 0.1 },
			params: { delayTime: automation(d, 0, 0.08, { noExp: true, krate: true }) } });
		d.connections.push(['s', 'd0'], ['d0', 'mrg', 0, 0], ['s', 'd1'], ['d1', 'mrg', 0, 1],
			[pick(['s', 't']), 'd2'], ['d2', 'mrg', 0, 2]);
		return [d, 'frac', [TOL.exact, null, null]];
	},
	delayCycle(d) {
		d = base(1);
		noise(d, 'n', 1, Math.round(d.sampleRate * 0.03));
		src(d, 's', 'n');
		const frames = int(128, 2000);
		const dopt = { delayTime: frames / d.sampleRate, maxDelayTime: 0.1 };
		const g = r4(uni(-0.9, 0.9));
		const fbParams = rnd() < 0.4 ? { gain: automation(d, -0.9, 0.9, { noExp: true }) } : undefined;
		d.nodes.push({ id: 'd', type: 'DelayNode', options: dopt });
		d.nodes.push({ id: 'fb', type: 'GainNode', options: { gain: g }, params: fbParams });
		d.connections.push(['s', 'd'], ['d', 'fb'], ['fb', 'd'], ['d', 'destination']);
		if (rnd() < 0.5)
			d.connections.push(['s', 'destination']);
		// Chromium adds a quantum of delay in cycles (tests/vectors "C1"): unroll the loop
		const c = JSON.parse(JSON.stringify(d));
		c.nodes = c.nodes.filter((n) => n.id !== 'd' && n.id !== 'fb');
		c.connections = c.connections.filter((x) => x[0] === 's' && x[1] === 'destination');
		const K = Math.min(60, Math.ceil(d.length / frames) + 1);
		for (let k = 0; k < K; k++) {
			c.nodes.push({ id: 'd' + k, type: 'DelayNode', options: dopt });
			c.connections.push([k ? 'fb' + (k - 1) : 's', 'd' + k], ['d' + k, 'destination']);
			c.nodes.push({ id: 'fb' + k, type: 'GainNode', options: { gain: g }, params: fbParams });
			c.connections.push(['d' + k, 'fb' + k]);
		}
		return [d, 'analytic', null, c];
	},
	biquad(d) {
		d = base(2);
		merger(d, 2);
		noise(d, 'n');
		src(d, 's', 'n');
		for (let i = 0; i < 2; i++) {
			const type = pick(['lowpass', 'highpass', 'bandpass', 'lowshelf', 'highshelf', 'peaking',
				'notch', 'allpass']);
			const ny = d.sampleRate / 2;
			const n = { id: 'f' + i, type: 'BiquadFilterNode', options: { type,
				frequency: r4(uni(20, ny * 0.9)), Q: r4(uni(-5, 20)), gain: r4(uni(-20, 20)),
				detune: r4(pick([0, uni(-1200, 1200)])) }, params: {} };
			const which = pick(['frequency', 'Q', 'gain', 'detune', 'all']);
			if (which === 'frequency' || which === 'all')
				n.params.frequency = automation(d, 30, ny * 0.9, { krate: true });
			if (which === 'Q' || which === 'all')
				n.params.Q = automation(d, 0.1, 20, { krate: true });
			if (which === 'gain' || which === 'all')
				n.params.gain = automation(d, -20, 20, { noExp: true, krate: true });
			if (which === 'detune' || which === 'all')
				n.params.detune = automation(d, -1200, 1200, { noExp: true });
			d.nodes.push(n);
			d.connections.push(['s', n.id], [n.id, 'mrg', 0, i]);
		}
		return [d, 'filter'];
	},
	iir(d) {
		d = base(2);
		noise(d, 'n', 2);
		src(d, 's', 'n');
		const order = int(1, 4);
		// random stable poles: real or conjugate pairs inside r < 0.95
		let fb = [1];
		for (let k = 0; k < order; k++) {
			const p = uni(-0.95, 0.95);
			fb = fb.concat([0]).map((v, j) => v - p * (j ? fb[j - 1] : 0));
		}
		const g0 = pick([1, 1, 2, 0.5]);
		fb = fb.map((v) => r4(v * g0));
		const ff = [];
		for (let k = 0; k <= int(0, order); k++)
			ff.push(r4(uni(-1, 1)));
		d.nodes.push({ id: 'f', type: 'IIRFilterNode', options: { feedforward: ff, feedback: fb } });
		d.connections.push(['s', 'f'], ['f', 'destination']);
		return [d, 'analytic'];
	},
	waveshaper(d) {
		d = base(2);
		merger(d, 2);
		const n = int(2, 40), curve = [];
		for (let i = 0; i < n; i++)
			curve.push(r4(Math.tanh(uni(-3, 3))));
		curve.sort((a, b) => a - b);
		const os = pick(['none', 'none', '2x', '4x']);
		d.nodes.push({ id: 'o', type: 'OscillatorNode', options: { frequency: r4(uni(50, 1000)) }, start: 0 });
		d.nodes.push({ id: 'amp', type: 'GainNode', options: { gain: r4(uni(0.3, 2)) } });
		noise(d, 'n');
		src(d, 's', 'n');
		d.nodes.push({ id: 'w0', type: 'WaveShaperNode', options: { oversample: os }, curve });
		d.nodes.push({ id: 'w1', type: 'WaveShaperNode', options: { oversample: os }, curve });
		d.connections.push(['o', 'amp'], ['amp', 'w0'], ['w0', 'mrg', 0, 0], ['s', 'w1'], ['w1', 'mrg', 0, 1]);
		return [d, os === 'none' ? 'tight' : 'oversample'];
	},
	stereoPanner(d) {
		d = base(2);
		noise(d, 'st', 2);
		noise(d, 'mo', 1);
		src(d, 'a', pick(['st', 'mo']));
		d.nodes.push({ id: 'p', type: 'StereoPannerNode', options: { pan: r4(uni(-1, 1)) },
			params: { pan: automation(d, -1, 1, { noExp: true, krate: true }) } });
		d.connections.push(['a', 'p'], ['p', 'destination']);
		if (rnd() < 0.5) {
			src(d, 'b', 'mo');
			d.nodes.push({ id: 'p2', type: 'StereoPannerNode', options: { pan: r4(uni(-1.5, 1.5)),
				channelCount: 1 } });
			d.connections.push(['b', 'p2'], ['p2', 'destination']);
		}
		return [d, 'exact'];
	},
	panner(d) {
		d = base(2);
		noise(d, 'n', pick([1, 2]));
		src(d, 's', 'n');
		const dm = pick(['inverse', 'linear', 'exponential']);
		const o = { panningModel: 'equalpower', distanceModel: dm,
			positionX: r4(uni(-5, 5)), positionY: r4(uni(-2, 2)), positionZ: r4(uni(-5, 5)),
			refDistance: r4(uni(0.5, 3)), maxDistance: r4(uni(5, 50)), rolloffFactor: r4(uni(0, dm === 'linear' ? 1 : 3)) };
		if (rnd() < 0.5)
			Object.assign(o, { orientationX: r4(uni(-1, 1)), orientationY: r4(uni(-1, 1)), orientationZ: r4(uni(-1, 1)),
				coneInnerAngle: r4(uni(0, 360)), coneOuterAngle: r4(uni(0, 360)), coneOuterGain: r4(uni(0, 1)) });
		const n = { id: 'p', type: 'PannerNode', options: o, params: {} };
		for (const k of ['positionX', 'positionY', 'positionZ', 'orientationX'])
			if (rnd() < 0.3)
				n.params[k] = automation(d, -5, 5, { noExp: true, krate: true });
		d.nodes.push(n);
		d.connections.push(['s', 'p'], ['p', 'destination']);
		if (rnd() < 0.5) {
			d.listener = {};
			for (const k of ['positionX', 'positionZ', 'forwardX', 'forwardZ', 'upY', 'upX'])
				if (rnd() < 0.4)
					d.listener[k] = automation(d, -3, 3, { noExp: true });
		}
		return [d, 'analytic'];
	},
	convolver(d) {
		d = base(2);
		const irc = pick([1, 2, 4]);
		noise(d, 'x', pick([1, 2]), Math.round(d.sampleRate * 0.05));
		noise(d, 'ir', irc, int(10, 3000), { decayPow: r4(uni(0.5, 4)) });
		src(d, 's', 'x');
		d.nodes.push({ id: 'c', type: 'ConvolverNode', buffer: 'ir',
			options: { disableNormalization: rnd() < 0.5 } });
		d.connections.push(['s', 'c'], ['c', 'destination']);
		return [d, 'filter'];
	},
	compressor(d) {
		d = base(2);
		noise(d, 'n', 2);
		src(d, 's', 'n');
		d.nodes.push({ id: 'g', type: 'GainNode', params: { gain: [['setValueAtTime', 0.1, 0],
			['linearRampToValueAtTime', r4(uni(1, 3)), r4(T(d) / 2)]] } });
		d.nodes.push({ id: 'c', type: 'DynamicsCompressorNode', options: {
			threshold: r4(uni(-50, -5)), knee: r4(uni(0, 40)), ratio: r4(uni(1, 20)),
			attack: r4(uni(0, 0.1)), release: r4(uni(0.01, 0.5)) } });
		d.connections.push(['s', 'g'], ['g', 'c'], ['c', 'destination']);
		return [d, 'stats'];
	},
	channels(d) {
		const outc = pick([1, 2, 4, 6]);
		d = base(outc);
		const inc = pick([1, 2, 3, 4, 5, 6]);
		noise(d, 'n', inc);
		src(d, 's', 'n');
		const g = { id: 'g', type: 'GainNode', options: { gain: 0.5,
			channelCount: pick([1, 2, 3, 4, 6]), channelCountMode: pick(['max', 'clamped-max', 'explicit']),
			channelInterpretation: pick(['speakers', 'speakers', 'discrete']) } };
		d.nodes.push(g);
		d.connections.push(['s', 'g']);
		if (rnd() < 0.5) {
			const k = int(1, 6);
			d.nodes.push({ id: 'sp', type: 'ChannelSplitterNode', options: { numberOfOutputs: k } });
			d.nodes.push({ id: 'mg', type: 'ChannelMergerNode', options: { numberOfInputs: k } });
			d.connections.push(['g', 'sp']);
			for (let i = 0; i < k; i++)
				if (rnd() < 0.8)
					d.connections.push(['sp', 'mg', i, int(0, k - 1)]);
			d.connections.push(['mg', 'destination']);
		} else {
			d.connections.push(['g', 'destination']);
		}
		d.destinationInterp = pick(['speakers', 'discrete']);
		if (d.destinationInterp === 'discrete') {
			// destination interpretation can't be set by a document: route through a gain
			d.nodes.push({ id: 'dg', type: 'GainNode', options: { channelCount: outc,
				channelCountMode: 'explicit', channelInterpretation: 'discrete' } });
			d.connections = d.connections.map((c) => c[1] === 'destination' ? [c[0], 'dg'].concat(c.slice(2)) : c);
			d.connections.push(['dg', 'destination']);
		}
		delete d.destinationInterp;
		return [d, 'exact'];
	},
	paramMod(d) {
		d = base(3);
		merger(d, 3);
		noise(d, 'n');
		d.nodes.push({ id: 'lfo', type: 'OscillatorNode', options: { frequency: r4(uni(1, 200)) }, start: 0 });
		d.nodes.push({ id: 'amt', type: 'GainNode', options: { gain: r4(uni(0.1, 100)) } });
		d.connections.push(['lfo', 'amt']);
		const tgt = pick(['g.gain', 'o.frequency', 'o.detune', 'b.playbackRate', 'b.detune', 'sp.pan',
			'dl.delayTime', 'f.frequency', 'f.Q', 'c.offset']);
		d.nodes.push({ id: 'o', type: 'OscillatorNode', options: { frequency: r4(uni(100, 1000)) }, start: 0 });
		d.nodes.push({ id: 'g', type: 'GainNode', options: { gain: r4(uni(0, 1)) } });
		src(d, 'b', 'n');
		d.nodes.push({ id: 'sp', type: 'StereoPannerNode' });
		d.nodes.push({ id: 'dl', type: 'DelayNode', options: { delayTime: 0.01, maxDelayTime: 0.1 } });
		d.nodes.push({ id: 'f', type: 'BiquadFilterNode', options: { frequency: 1000 } });
		d.nodes.push({ id: 'c', type: 'ConstantSourceNode', options: { offset: 0.2 }, start: 0 });
		d.connections.push(['o', 'g'], ['g', 'sp'], ['sp', 'mrg', 0, 0], ['b', 'dl'], ['dl', 'f'],
			['f', 'mrg', 0, 1], ['c', 'mrg', 0, 2]);
		let amt = 1;
		if (tgt === 'g.gain' || tgt === 'sp.pan' || tgt === 'c.offset' || tgt === 'b.playbackRate')
			amt = r4(uni(0.05, 0.9));
		if (tgt === 'dl.delayTime')
			amt = r4(uni(0.0001, 0.009));
		if (tgt === 'f.Q')
			amt = r4(uni(0.5, 5));
		d.nodes.find((n) => n.id === 'amt').options.gain = tgt.endsWith('frequency') || tgt.endsWith('detune') ?
			r4(uni(10, 300)) : amt;
		d.connections.push(['amt', tgt]);
		const frac = tgt === 'dl.delayTime' || tgt === 'b.playbackRate' || tgt === 'b.detune';
		return [d, frac ? 'frac' : 'tight'];
	},
	subsample(d) {
		d = base(3);
		merger(d, 3);
		noise(d, 'n', 1, 800);
		const sr = d.sampleRate, fr = () => (int(10, 2000) + pick([0.25, 0.5, 0.75, 0.1, 0.9])) / sr;
		d.nodes.push({ id: 'c', type: 'ConstantSourceNode', options: { offset: 0.5 },
			params: { offset: [['setValueAtTime', 1, fr()], ['linearRampToValueAtTime', -1, fr() + 0.01]] },
			start: fr(), stop: fr() + 0.04 });
		d.nodes.push({ id: 'o', type: 'OscillatorNode', options: { frequency: r4(uni(100, 1000)) },
			start: fr(), stop: fr() + 0.05 });
		d.nodes.push({ id: 'b', type: 'AudioBufferSourceNode', buffer: 'n',
			start: pick([fr(), [fr(), 0, fr()], [fr(), fr()]]) });
		d.connections.push(['c', 'mrg', 0, 0], ['o', 'mrg', 0, 1], ['b', 'mrg', 0, 2]);
		return [d, 'tight'];
	},
	events(d) {
		d = base(2);
		noise(d, 'n', 1, 3000);
		const q = 128 / d.sampleRate, dur = T(d);
		const at = () => pick([Math.floor(uni(1, dur / q)) * q, r4(uni(0.001, dur))]);
		d.nodes.push({ id: 'o', type: 'OscillatorNode', options: { frequency: r4(uni(100, 1000)) }, start: 0 });
		d.nodes.push({ id: 'o2', type: 'OscillatorNode', options: { frequency: r4(uni(100, 1000)) } });
		d.nodes.push({ id: 'b', type: 'AudioBufferSourceNode', buffer: 'n' });
		d.nodes.push({ id: 'g', type: 'GainNode', options: { gain: 0.5 } });
		d.nodes.push({ id: 'g2', type: 'GainNode', options: { gain: 0.3 } });
		d.nodes.push({ id: 'f', type: 'BiquadFilterNode', options: { frequency: 2000 } });
		d.connections.push(['o', 'g'], ['g', 'destination'], ['g2', 'f'], ['f', 'destination', 0, 0]);
		const acts = [
			() => ['connect', 'o2', pick(['g', 'g2', 'f'])],
			() => ['start', 'o2', 0],
			() => ['start', 'b', 0],
			() => ['connect', 'b', pick(['g', 'g2'])],
			() => ['disconnect', 'o', pick(['g', null])],
			() => ['disconnect', 'g2'],
			() => ['connect', 'g2', 'destination'],
			() => ['set', 'b', 'loop', rnd() < 0.5],
			() => ['set', 'o', 'type', pick(['sine', 'triangle'])],
			() => ['set', 'f', 'type', pick(['highpass', 'bandpass'])],
			() => ['param', 'g.gain', 'setValueAtTime', r4(uni(0, 1)), 0],
			() => ['param', 'g2.gain', 'linearRampToValueAtTime', r4(uni(0, 1)), 0],
			() => ['param', 'g.gain', 'cancelAndHoldAtTime'],
			() => ['stop', 'o', 0],
			() => ['connect', 'o2', 'g.gain'],
		];
		d.events = [];
		const used = new Set();
		const ne = int(1, 5);
		for (let i = 0; i < ne; i++) {
			const t = at();
			const actions = [];
			for (let k = int(1, 3); k > 0; k--) {
				const a = pick(acts)();
				// times inside actions: the event's own time (plus a bit for ramps)
				if (a[0] === 'param' && a[2] === 'cancelAndHoldAtTime')
					a[3] = t;
				else if (a[0] === 'param')
					a[4] = a[2] === 'linearRampToValueAtTime' ? t + 0.02 : t;
				// start() twice is an error in both engines
				if (a[0] === 'start' && used.has(a[1]))
					continue;
				if (a[0] === 'start')
					used.add(a[1]);
				if (a[0] === 'start' || a[0] === 'stop')
					a[2] = t + pick([0, 0.003]);
				if (a[0] === 'disconnect' && a[2] === null)
					a.length = 2;
				actions.push(a);
			}
			d.events.push({ time: t, actions });
		}
		d.events.sort((a, b) => a.time - b.time);
		return [d, 'tight'];
	},
	analyser(d) {
		d = base(1);
		d.nodes.push({ id: 'o', type: 'OscillatorNode', options: { frequency: r4(uni(100, d.sampleRate / 4)) }, start: 0 });
		noise(d, 'n');
		src(d, 's', 'n');
		d.nodes.push({ id: 'g', type: 'GainNode', options: { gain: r4(uni(0.01, 0.5)) } });
		const fft = pick([32, 64, 128, 256, 512, 1024, 2048]);
		d.nodes.push({ id: 'an', type: 'AnalyserNode', options: { fftSize: fft,
			smoothingTimeConstant: r4(uni(0, 0.95)), minDecibels: r4(uni(-120, -60)), maxDecibels: r4(uni(-50, 0)) } });
		d.connections.push(['o', 'an'], ['s', 'g'], ['g', 'an'], ['an', 'destination']);
		d.probes = [];
		const q = 128 / d.sampleRate;
		for (let i = 0; i < 3; i++) {
			const t = Math.ceil(uni(fft / 128, d.length / 128 - 1)) * q;
			for (const m of ['getFloatTimeDomainData', 'getFloatFrequencyData', 'getByteFrequencyData',
				'getByteTimeDomainData'])
				if (rnd() < 0.6)
					d.probes.push({ time: t, node: 'an', method: m });
		}
		d.probes.sort((a, b) => a.time - b.time);
		return [d, 'tight'];
	},
	constant(d) {
		d = base(2);
		merger(d, 2);
		for (let i = 0; i < 2; i++) {
			d.nodes.push({ id: 'c' + i, type: 'ConstantSourceNode', options: { offset: r4(uni(-1, 1)) },
				params: rnd() < 0.5 ? { offset: automation(d, -1, 1, { krate: true }) } : {},
				start: r4(uni(0, 0.05)), stop: r4(uni(0.05, T(d))) });
			d.connections.push(['c' + i, 'mrg', 0, i]);
		}
		return [d, 'analytic'];
	},
};

function main() {
	const out = process.argv[2];
	const count = +(process.argv[3] || 300);
	rngState = +(process.argv[4] || 1);
	if (!out) {
		console.error('usage: gen.js OUTDIR [COUNT] [SEED]');
		process.exit(2);
	}
	fs.mkdirSync(out, { recursive: true });
	const names = Object.keys(gens);
	for (let i = 0; i < count; i++) {
		const kind = names[i % names.length];
		const [doc, tol, chTol, cdoc] = gens[kind]();
		const name = `${kind}-${String(i).padStart(3, '0')}`;
		const meta = tol === 'stats' ? { reference: 'stats', tolerance: { rms_db: 2 } } :
			{ tolerance: TOL[tol] };
		meta.class = tol;
		if (chTol)
			meta.channel_tolerance = chTol;
		fs.writeFileSync(path.join(out, name + '.json'), JSON.stringify(doc));
		fs.writeFileSync(path.join(out, name + '.meta.json'), JSON.stringify(meta));
		if (cdoc)
			fs.writeFileSync(path.join(out, name + '.chromium.json'), JSON.stringify(cdoc));
	}
	console.log(`${count} documents in ${out}`);
}

main();
