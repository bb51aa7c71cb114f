#!/usr/bin/env node
// node-bench: the benchmark documents (bench/data) rendered three ways on this machine, one
// table: audiod's engine as `audioctl render` runs it (bench/bench, the render call), audiod's
// Node package (bindings/node: OfflineAudioContext.startRendering on the same engine) and
// node-web-audio-api's OfflineAudioContext.  a development tool, not part of the build.
//
//   node bench/node-bench.mjs [--build DIR] [--nwaa NODE_MODULES] [--short] [--case N]
//        [--runs K]
//
// DIR (default build) holds bench/bench and bindings/node/audiod.node; NODE_MODULES (or
// $NWAA_MODULES) holds node-web-audio-api (installed outside the repo; without it that
// column is left out).  each document is rebuilt as Web Audio calls by webaudio-doc.mjs and
// only startRendering() is timed, as bench.c times only document_render.  the three are
// timed one after the other per case (never at once), median of K runs each; the engine
// and the package take turns run by run, so both see the same load.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { Unsupported, build } from './webaudio-doc.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

function parseArgs(argv) {
	const o = { build: join(root, 'build'), nwaa: process.env.NWAA_MODULES || '',
		    short: false, only: 0, runs: 5 };
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		const v = () => {
			if (i + 1 >= argv.length)
				throw new Error(`${a}: missing value`);
			return argv[++i];
		};
		if (a === '--build') o.build = resolve(v());
		else if (a === '--nwaa') o.nwaa = v();
		else if (a === '--short') o.short = true;
		else if (a === '--case') o.only = parseInt(v(), 10);
		else if (a === '--runs') o.runs = parseInt(v(), 10);
		else throw new Error(`unknown argument ${a}`);
	}
	o.dir = join(here, 'data', o.short ? 'short' : '');
	return o;
}

function median(t) {
	t.sort((a, b) => a - b);
	const n = t.length;
	return n % 2 ? t[n >> 1] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

// collects what earlier runs left (their output buffers) before the next, as bench.c frees
// its output between runs: each run then finds memory the process already touched
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');
async function settle() {
	for (let i = 0; i < 2; i++) {
		gc();
		await new Promise((r) => setTimeout(r, 20));
	}
}

// one run: ms of startRendering()
async function timeApiOnce(api, doc, dir) {
	await settle();
	const ctx = await build(api, doc, dir);
	const t0 = performance.now();
	await ctx.startRendering();
	return performance.now() - t0;
}

// a warm-up run, then the median of `runs`
async function timeApi(api, path, runs) {
	const doc = JSON.parse(readFileSync(path, 'utf8')), t = [];
	for (let r = -1; r < runs; r++) {
		const ms = await timeApiOnce(api, doc, dirname(path));
		if (r >= 0)
			t.push(ms);
	}
	return median(t);
}

// the engine (bench/bench, one run each) and this package, run for run in turn so that both
// see the same machine load: [engine ms, node ms], medians
async function timeEngineAndNode(o, id, api, path) {
	const doc = JSON.parse(readFileSync(path, 'utf8')), te = [], tn = [];
	await timeApiOnce(api, doc, dirname(path));
	for (let r = 0; r < o.runs; r++) {
		te.push(timeEngine(o, id, 1));
		tn.push(await timeApiOnce(api, doc, dirname(path)));
	}
	return [median(te), median(tn)];
}

// the whole `audioctl render DOC -o WAV` command (load, render, write), wall time
function timeAudioctl(o, path, runs) {
	const out = join(tmpdir(), `node-bench-${process.pid}.wav`), t = [];
	for (let r = 0; r < runs; r++) {
		const t0 = performance.now();
		const p = spawnSync(join(o.build, 'client', 'audioctl'), ['render', path, '-o', out, '-q']);
		t.push(performance.now() - t0);
		if (p.status !== 0)
			throw new Error(`audioctl render ${path}: ${p.stderr}`);
	}
	rmSync(out, { force: true });
	return median(t);
}

// the engine's own figure: bench/bench's median of document_render for one case
function timeEngine(o, id, runs) {
	const r = spawnSync(join(o.build, 'bench', 'bench'),
			    ['--dir', o.dir, '--case', String(id), '--runs', String(runs)],
			    { encoding: 'utf8' });
	const line = (r.stdout || '').split('\n').find((l) => new RegExp(`^\\s*${id}\\s{2}`).test(l));
	if (!line)
		throw new Error(`bench --case ${id}: ${r.stderr || r.stdout}`);
	return parseFloat(line.slice(67));
}

async function main() {
	const o = parseArgs(process.argv.slice(2));
	if (!existsSync(join(o.build, 'bench', 'bench')))
		throw new Error(`${o.build}/bench/bench not found: build first (or --build DIR)`);
	process.env.AUDIOD_NODE_ADDON ||= join(o.build, 'bindings', 'node', 'audiod.node');
	const audiod = await import(pathToFileURL(join(root, 'bindings', 'node', 'index.mjs')).href);
	let nwaa = null;
	if (o.nwaa && existsSync(join(o.nwaa, 'node-web-audio-api')))
		nwaa = await import(pathToFileURL(join(resolve(o.nwaa), 'node-web-audio-api',
							 'index.js')).href);
	const index = JSON.parse(readFileSync(join(o.dir, 'index.json'), 'utf8'));

	console.log(`${o.dir}, median ms of ${o.runs} run(s).  engine: bench/bench, the render call ` +
		    'audioctl render makes; audioctl: the whole audioctl render command (load, render, ' +
		    'write the WAV); node: this package, startRendering(); nwaa: node-web-audio-api, ' +
		    'startRendering().  ratios below 1: the Node package is faster');
	console.log(`${'id'.padStart(3)}  ${'name'.padEnd(44)} ${'engine'.padStart(8)} ` +
		    `${'audioctl'.padStart(8)} ${'node'.padStart(8)} ${'nwaa'.padStart(8)} ` +
		    `${'node/engine'.padStart(11)} ${'node/actl'.padStart(9)} ${'node/nwaa'.padStart(9)}`);
	let worstEngine = 0, worstCtl = 0, slowerNwaa = 0, n = 0;
	for (const c of index.cases) {
		if (o.only && c.id !== o.only)
			continue;
		const path = join(o.dir, c.file);
		const [engine, node] = await timeEngineAndNode(o, c.id, audiod, path);
		const actl = timeAudioctl(o, path, Math.min(o.runs, 3));
		let ms = NaN;
		if (nwaa) {
			try {
				ms = await timeApi(nwaa, path, o.runs);
			} catch (e) {
				if (!(e instanceof Unsupported))
					throw e;
			}
		}
		const re = node / engine, rc = node / actl, rn = node / ms;
		worstEngine = Math.max(worstEngine, re);
		worstCtl = Math.max(worstCtl, rc);
		if (!(rn < 1) && nwaa)
			slowerNwaa++;
		n++;
		console.log(`${String(c.id).padStart(3)}  ${c.name.padEnd(44).slice(0, 44)} ` +
			    `${engine.toFixed(1).padStart(8)} ${actl.toFixed(1).padStart(8)} ` +
			    `${node.toFixed(1).padStart(8)} ${(nwaa ? ms.toFixed(1) : '-').padStart(8)} ` +
			    `${re.toFixed(3).padStart(11)} ${rc.toFixed(3).padStart(9)} ` +
			    `${(nwaa ? rn.toFixed(3) : '-').padStart(9)}`);
	}
	console.log(`${n} cases: the Node package takes at most ${worstEngine.toFixed(3)}x the ` +
		    `engine's render call and ${worstCtl.toFixed(3)}x the audioctl render command` +
		    (nwaa ? `; slower than node-web-audio-api on ${slowerNwaa}` : ''));
}

main().catch((e) => {
	console.error(`node-bench: ${e.message}`);
	process.exit(1);
});
