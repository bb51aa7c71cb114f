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

import { Unsupported, build } from './webaudio-doc.mjs';

export { build };

const here = dirname(fileURLToPath(import.meta.url));

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
