// webaudio-doc: rebuilds a graph document (protocol/PROTOCOL.md §12) as Web Audio API calls on
// any implementation of it (node-web-audio-api, audiod's bindings/node), in the order the
// document loader uses: buffers, nodes with props and params, listener, connections, then
// start/stop.  shared by nwaa-bench.mjs and node-bench.mjs.  a development tool.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

// a document using something the script cannot express in the API under test
export class Unsupported extends Error {}

// --- buffers (BUFSPEC, PROTOCOL.md §13) ---

// a minimal RIFF/WAVE reader: PCM 8/16/24/32 and IEEE float 32/64, scaled as libsndfile
// scales integers to float (divided by 2^(bits-1)), keeping the file's own sample rate
export function readWav(path) {
	const b = readFileSync(path);
	if (b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE')
		throw new Unsupported(`${path}: only WAV files are read by this script`);
	let fmt = null, data = null;
	for (let p = 12; p + 8 <= b.length;) {
		const id = b.toString('ascii', p, p + 4), size = b.readUInt32LE(p + 4);
		if (id === 'fmt ') {
			fmt = { tag: b.readUInt16LE(p + 8), channels: b.readUInt16LE(p + 10),
				rate: b.readUInt32LE(p + 12), bits: b.readUInt16LE(p + 22) };
			if (fmt.tag === 0xfffe) fmt.tag = b.readUInt16LE(p + 32);
		} else if (id === 'data') {
			data = { off: p + 8, size: Math.min(size, b.length - p - 8) };
		}
		p += 8 + size + (size & 1);
	}
	if (!fmt || !data) throw new Unsupported(`${path}: no fmt or data chunk`);
	const bps = fmt.bits / 8, frames = Math.floor(data.size / (bps * fmt.channels));
	const ch = Array.from({ length: fmt.channels }, () => new Float32Array(frames));
	const read = fmt.tag === 3 ? (fmt.bits === 32 ? (o) => b.readFloatLE(o) : (o) => b.readDoubleLE(o))
		: fmt.bits === 8 ? (o) => (b.readUInt8(o) - 128) / 128
		: fmt.bits === 16 ? (o) => b.readInt16LE(o) / 32768
		: fmt.bits === 24 ? (o) => b.readIntLE(o, 3) / 8388608
		: (o) => b.readInt32LE(o) / 2147483648;
	for (let i = 0, o = data.off; i < frames; i++)
		for (let c = 0; c < fmt.channels; c++, o += bps)
			ch[c][i] = read(o);
	return { rate: fmt.rate, channels: ch };
}

export function generate(spec, ctxRate) {
	const n = spec.length, nch = spec.numberOfChannels ?? 1, rate = spec.sampleRate ?? ctxRate;
	const ch = Array.from({ length: nch }, () => new Float32Array(n));

	if (spec.generate === 'noise') {
		let x = spec.seed >>> 0;
		const p = spec.decayPow;
		for (let c = 0; c < nch; c++)
			for (let i = 0; i < n; i++) {
				x ^= x << 13; x >>>= 0;
				x ^= x >>> 17;
				x ^= x << 5; x >>>= 0;
				let v = x / 4294967296 * 2 - 1;
				if (p !== undefined) v *= Math.pow(1 - i / n, p);
				ch[c][i] = v;
			}
	} else if (spec.generate === 'impulse') {
		for (const a of ch) a[spec.at ?? 0] = spec.value ?? 1;
	} else if (spec.generate === 'dc') {
		for (const a of ch) a.fill(spec.value ?? 1);
	} else if (spec.generate === 'sine') {
		for (const a of ch)
			for (let i = 0; i < n; i++) a[i] = Math.sin(2 * Math.PI * spec.frequency * i / rate);
	} else {
		throw new Unsupported(`buffer generator ${spec.generate}`);
	}
	return { rate, channels: ch };
}

async function makeBuffer(api, ctx, spec, docDir) {
	let s;

	if ('generate' in spec) {
		s = generate(spec, ctx.sampleRate);
	} else if ('file' in spec) {
		const path = resolve(docDir, spec.file);
		if (spec.resample)
			return await ctx.decodeAudioData(readFileSync(path).buffer.slice(0));
		s = readWav(path);
	} else {
		s = { rate: spec.sampleRate ?? ctx.sampleRate,
		      channels: spec.channels.map((a) => Float32Array.from(a)) };
	}
	const buf = new api.AudioBuffer({ numberOfChannels: s.channels.length,
					  length: s.channels[0].length, sampleRate: s.rate });
	s.channels.forEach((a, c) => buf.copyToChannel(a, c));
	return buf;
}

// --- nodes ---

function wave(ctx, w) {
	const n = Math.max(w.real?.length ?? 0, w.imag?.length ?? 0);
	return ctx.createPeriodicWave(Float32Array.from(w.real ?? new Array(n).fill(0)),
				      Float32Array.from(w.imag ?? new Array(n).fill(0)),
				      { disableNormalization: !!w.disableNormalization });
}

function paramCalls(param, calls, what) {
	for (const [method, ...args] of calls) {
		if (method === 'value') param.value = args[0];
		else if (method === 'automationRate') param.automationRate = args[0];
		else if (method === 'setValueCurveAtTime')
			param.setValueCurveAtTime(Float32Array.from(args[0]), args[1], args[2]);
		else if (typeof param[method] === 'function') param[method](...args);
		else throw new Unsupported(`${what}: ${method}`);
	}
}

function makeNode(api, ctx, n, buffers) {
	const ctor = api[n.type];
	if (typeof ctor !== 'function') throw new Unsupported(`node type ${n.type}`);
	const opts = { ...(n.options ?? {}) };

	if (n.buffer !== undefined) opts.buffer = n.buffer === null ? null : buffers[n.buffer];
	if (n.curve !== undefined) opts.curve = n.curve === null ? null : Float32Array.from(n.curve);
	if (n.periodicWave !== undefined) opts.periodicWave = wave(ctx, n.periodicWave);
	if (opts.feedforward) opts.feedforward = Float64Array.from(opts.feedforward);
	if (opts.feedback) opts.feedback = Float64Array.from(opts.feedback);
	const node = new ctor(ctx, opts);
	for (const [k, v] of Object.entries(n.props ?? {}))
		node[k] = k === 'buffer' ? buffers[v] : v;
	for (const [p, calls] of Object.entries(n.params ?? {})) {
		if (!(node[p] instanceof api.AudioParam)) throw new Unsupported(`${n.type}.${p}`);
		paramCalls(node[p], calls, `${n.id}.${p}`);
	}
	return node;
}

function startStop(node, n) {
	if (n.start !== undefined) node.start(...(Array.isArray(n.start) ? n.start : [n.start]));
	if (n.stop !== undefined) node.stop(n.stop);
}

// builds the whole document on a fresh context; returns the context, ready to render
export async function build(api, doc, docDir) {
	if (doc.events?.length) throw new Unsupported('timed "events" (not rebuilt by this script)');
	if (doc.probes?.length) throw new Unsupported('"probes"');
	const ctx = new api.OfflineAudioContext({ numberOfChannels: doc.channels ?? 2,
						   length: doc.length,
						   sampleRate: doc.sampleRate ?? 48000 });
	const buffers = {}, nodes = { destination: ctx.destination };

	for (const [name, spec] of Object.entries(doc.buffers ?? {}))
		buffers[name] = await makeBuffer(api, ctx, spec, docDir);
	for (const n of doc.nodes ?? [])
		nodes[n.id] = makeNode(api, ctx, n, buffers);
	for (const [p, calls] of Object.entries(doc.listener ?? {}))
		paramCalls(ctx.listener[p], calls, `listener.${p}`);
	for (const [from, to, output = 0, input = 0] of doc.connections ?? []) {
		const dot = to.lastIndexOf('.');
		if (!(to in nodes) && dot > 0)
			nodes[from].connect(nodes[to.slice(0, dot)][to.slice(dot + 1)], output);
		else
			nodes[from].connect(nodes[to], output, input);
	}
	for (const n of doc.nodes ?? [])
		startStop(nodes[n.id], n);
	return ctx;
}
