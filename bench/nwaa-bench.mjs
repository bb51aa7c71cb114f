#!/usr/bin/env node
// nwaa-bench: renders the benchmark graph documents (bench/data) with node-web-audio-api's
// OfflineAudioContext and prints the median render time per case as JSON, so bench/compare.sh
// (or `bench --nwaa FILE`) can put audiod and the Rust engine side by side on one machine.
//
// A development tool, not part of the build.  node-web-audio-api is not vendored: install it
// outside the repo and say where its node_modules is:
//
//   mkdir -p /work/nwaa && cd /work/nwaa && npm init -y && npm install node-web-audio-api@2.2.0
//   NWAA_MODULES=/work/nwaa/node_modules node bench/nwaa-bench.mjs [--runs K] [--case N]
//       [--short] [--dir DIR] [--modules DIR]
//
// Each document (protocol/PROTOCOL.md §12) is rebuilt as Web Audio calls in the order the
// document loader uses (buffers, nodes with props and params, listener, connections, then
// start/stop); only startRendering() is timed, like bench.c times only document_render.
// A document using something this script cannot express in node-web-audio-api is reported
// with "unsupported": REASON instead of a time.
//
// Output (stdout): {"engine":"node-web-audio-api 2.2.0","runs":K,"cases":[{"id":1,"name":...,
// "ms":12.3} or {"id":..,"unsupported":"..."}]}.  Progress goes to stderr (not with --quiet).
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

const here = dirname(fileURLToPath(import.meta.url));

class Unsupported extends Error {}

function parseArgs(argv) {
	const o = { dir: join(here, 'data'), runs: 3, only: 0, short: false,
		    modules: process.env.NWAA_MODULES || '' };

	for (let i = 0; i < argv.length; i++) {
		const a = argv[i], v = argv[i + 1];

		if (a === '--short') { o.short = true; continue; }
		if (a === '-q' || a === '--quiet') { o.quiet = true; continue; }
		if (a === '-h' || a === '--help') { o.help = true; continue; }
		if (v === undefined) throw new Error(`${a}: missing value`);
		i++;
		if (a === '--dir') o.dir = v;
		else if (a === '--runs') o.runs = parseInt(v, 10);
		else if (a === '--case') o.only = parseInt(v, 10);
		else if (a === '--modules') o.modules = v;
		else throw new Error(`unknown option ${a}`);
	}
	if (o.short) o.dir = join(o.dir, 'short');
	if (!(o.runs >= 1 && o.runs <= 100)) throw new Error('--runs: 1..100');
	return o;
}

export async function loadNwaa(modules) {
	if (!modules)
		throw new Error('say where node-web-audio-api is: NWAA_MODULES=DIR or --modules DIR ' +
				'(DIR is a node_modules folder)');
	const pkgDir = join(resolve(modules), 'node-web-audio-api');
	const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
	const api = await import(pathToFileURL(join(pkgDir, 'index.js')).href);

	return { api, version: pkg.version };
}

// --- buffers (BUFSPEC, PROTOCOL.md §13) ---

// a minimal RIFF/WAVE reader: PCM 8/16/24/32 and IEEE float 32/64, scaled as libsndfile
// scales integers to float (divided by 2^(bits-1)), keeping the file's own sample rate
function readWav(path) {
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

function generate(spec, ctxRate) {
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

async function caseTime(api, path, runs) {
	const doc = JSON.parse(readFileSync(path, 'utf8')), t = [];

	for (let r = 0; r < runs; r++) {
		const ctx = await build(api, doc, dirname(path));
		const t0 = performance.now();
		await ctx.startRendering();
		t.push(performance.now() - t0);
	}
	t.sort((a, b) => a - b);
	return runs % 2 ? t[runs >> 1] : (t[runs / 2 - 1] + t[runs / 2]) / 2;
}

async function main() {
	let o;
	try {
		o = parseArgs(process.argv.slice(2));
	} catch (e) {
		console.error(`nwaa-bench: ${e.message}`);
		o = { help: true, bad: true };
	}
	if (o.help) {
		console.error('usage: NWAA_MODULES=DIR node bench/nwaa-bench.mjs [--modules DIR] ' +
			      '[--dir DIR] [--short] [--case N] [--runs K] [--quiet]');
		process.exit(o.bad ? 2 : 0);
	}
	const { api, version } = await loadNwaa(o.modules);
	const index = JSON.parse(readFileSync(join(o.dir, 'index.json'), 'utf8'));
	const out = { engine: `node-web-audio-api ${version}`, dir: o.dir, runs: o.runs, cases: [] };

	for (const c of index.cases) {
		if (o.only && c.id !== o.only) continue;
		const row = { id: c.id, name: c.name };
		try {
			row.ms = await caseTime(api, join(o.dir, c.file), o.runs);
		} catch (e) {
			if (!(e instanceof Unsupported)) throw e;
			row.unsupported = e.message;
		}
		if (!o.quiet)
			console.error(`nwaa ${String(c.id).padStart(3)}  ` +
				      `${c.name.padEnd(62).slice(0, 62)} ` +
				      (row.ms !== undefined ? `${row.ms.toFixed(1)} ms` : row.unsupported));
		out.cases.push(row);
	}
	process.stdout.write(JSON.stringify(out) + '\n');
}

// run as a script; imported, it only lends build() and loadNwaa() (to check renders)
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
	main().catch((e) => {
		console.error(`nwaa-bench: ${e.stack ?? e}`);
		process.exit(1);
	});
}
