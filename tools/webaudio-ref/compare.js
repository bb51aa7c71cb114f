#!/usr/bin/env node
// Dev tool, not part of the build or CI: renders graph documents with Chromium's
// OfflineAudioContext and with `audioctl render`, and prints per channel the max abs error
// (and its frame) and the SNR of audiod against Chromium.
//
//   node compare.js [--json OUT.json] [--quiet] DOC.json...
//
// Tolerances come from DOC.meta.json when present ({"tolerance":{abs,rel,snr_db},
// "channel_tolerance":[...], "max_lag":N}), otherwise abs 1e-4, snr 80 dB.  A DOC.chromium.json
// beside the document is rendered in Chromium instead (to work around a known Chromium bug, e.g.
// a delay feedback cycle unrolled into a chain).  Exit status 1 when any document fails.
'use strict';

const fs = require('fs');
const path = require('path');
const { Chromium, renderAudiod, compareChannel } = require('./lib');

const DEFAULT_TOL = { abs: 1e-4, rel: 0, snr_db: 80 };

function fmt(x) {
	if (typeof x !== 'number')
		return String(x);
	if (!isFinite(x))
		return String(x);
	return Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(3);
}

function probeDiff(a, c) {
	const out = [];
	for (let i = 0; i < c.length; i++) {
		const x = a[i], y = c[i];
		if (!x || !y || !x.data || !y.data) {
			out.push({ i, error: 'missing probe' });
			continue;
		}
		let worst = 0, at = -1;
		const freq = y.method === 'getFloatFrequencyData';
		const peak = freq ? Math.max(...y.data.filter(isFinite)) : 0;
		for (let k = 0; k < y.data.length; k++) {
			const ya = y.data[k], xa = x.data[k] === null ? -Infinity : x.data[k];
			if (freq && !(ya >= peak - 60))
				continue;
			const d = Math.abs(xa - ya);
			if (!(d <= worst)) {
				worst = d;
				at = k;
			}
		}
		out.push({ i, method: y.method, time: y.time, worst, at,
			actualTime: [x.actualTime, y.actualTime] });
	}
	return out;
}

async function compareOne(chrome, file, quiet) {
	const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
	const base = file.replace(/\.json$/, '');
	const meta = fs.existsSync(base + '.meta.json') ?
		JSON.parse(fs.readFileSync(base + '.meta.json', 'utf8')) : {};
	const cdoc = fs.existsSync(base + '.chromium.json') ?
		JSON.parse(fs.readFileSync(base + '.chromium.json', 'utf8')) : doc;
	const res = { file, ok: true, channels: [], notes: [] };
	let c;
	try {
		c = await chrome.render(cdoc, path.dirname(file));
	} catch (e) {
		res.ok = false;
		res.chromiumError = e.message.split('\n')[0];
	}
	const a = renderAudiod(file);
	if (a.error) {
		res.ok = false;
		res.audiodError = a.error.trim();
	}
	if (c && c.log.length)
		res.notes.push('chromium: ' + c.log.join('; '));
	if (c && !a.error) {
		if (a.channels.length !== c.channels.length ||
		    a.channels[0].length !== c.channels[0].length) {
			res.ok = false;
			res.notes.push(`shape: audiod ${a.channels.length}x${a.channels[0].length}, ` +
				`chromium ${c.channels.length}x${c.channels[0].length}`);
		}
		c.channels.forEach((e, ch) => {
			const tol = Object.assign({}, DEFAULT_TOL, meta.tolerance || {},
				(meta.channel_tolerance && meta.channel_tolerance[ch]) || {});
			const m = compareChannel(a.channels[ch] || new Float32Array(0), e, tol,
				tol.max_lag || meta.max_lag);
			if (meta.reference === 'stats') {
				// only the level is graded (e.g. DynamicsCompressorNode)
				m.rmsDb = 20 * Math.log10(m.rmsA / m.rmsE);
				m.fail = !(Math.abs(m.rmsDb) <= (tol.rms_db || 2));
			} else {
				// a silent reference with a tiny residue passes on the sample bound alone
				m.fail = m.fails > 0 || (m.rmsE > 0 && m.snr < tol.snr_db);
			}
			m.tol = tol;
			if (m.fail)
				res.ok = false;
			res.channels.push(m);
		});
		if (cdoc.probes && cdoc.probes.length) {
			res.probes = probeDiff(a.probes, c.probes);
			const pt = Object.assign({ time_abs: 2e-4, byte_abs: 1, freq_db: 1 },
				meta.probe_tolerance || {});
			for (const p of res.probes) {
				const t = p.method === 'getFloatFrequencyData' ? pt.freq_db :
					p.method && p.method.indexOf('Byte') >= 0 ? pt.byte_abs : pt.time_abs;
				p.fail = p.error !== undefined || !(p.worst <= t);
				if (p.fail)
					res.ok = false;
			}
		}
	}
	if (!quiet || !res.ok) {
		console.log(`${res.ok ? 'ok  ' : 'FAIL'} ${file}`);
		if (res.chromiumError)
			console.log('  chromium error: ' + res.chromiumError);
		if (res.audiodError)
			console.log('  audiod error: ' + res.audiodError);
		for (const n of res.notes)
			console.log('  ' + n);
		res.channels.forEach((m, ch) => {
			console.log(`  ch${ch}: max |a-c| ${fmt(m.maxErr)} @frame ${m.maxAt}, ` +
				`SNR ${fmt(m.snr)} dB` + (m.lag ? `, lag ${m.lag}` : '') +
				`, rms a ${fmt(m.rmsA)} c ${fmt(m.rmsE)}` +
				(m.rmsDb !== undefined ? ` (${fmt(m.rmsDb)} dB, stats only)` : '') +
				(m.fail ? `  FAIL (${m.fails} over tol abs ${m.tol.abs} rel ${m.tol.rel || 0}` +
					` snr ${m.tol.snr_db}; first @${m.firstFail})` : ''));
		});
		for (const p of res.probes || [])
			console.log(`  probe ${p.i} ${p.method} @${p.time}: ` +
				(p.error ? p.error : `max diff ${fmt(p.worst)} at bin ${p.at}` +
					` (actualTime audiod ${p.actualTime[0]}, chromium ${p.actualTime[1]})`) +
				(p.fail ? '  FAIL' : ''));
	}
	return res;
}

async function main() {
	const argv = process.argv.slice(2);
	let jsonOut = null, quiet = false;
	const files = [];
	for (let i = 0; i < argv.length; i++) {
		if (argv[i] === '--json')
			jsonOut = argv[++i];
		else if (argv[i] === '--quiet')
			quiet = true;
		else if (!/\.(meta|probes|chromium)\.json$/.test(argv[i]))
			files.push(argv[i]);
	}
	if (files.length === 0) {
		console.error('usage: compare.js [--json OUT.json] [--quiet] DOC.json...');
		process.exit(2);
	}
	const chrome = await new Chromium().open();
	const all = [];
	let failed = 0;
	for (const f of files) {
		const r = await compareOne(chrome, f, quiet);
		if (!r.ok)
			failed++;
		all.push(r);
	}
	await chrome.close();
	console.log(`${files.length - failed}/${files.length} documents within tolerance`);
	if (jsonOut)
		fs.writeFileSync(jsonOut, JSON.stringify(all, (k, v) =>
			typeof v === 'number' && !isFinite(v) ? String(v) : v, 1));
	process.exit(failed ? 1 : 0);
}

main().catch((e) => {
	console.error(e);
	process.exit(2);
});
