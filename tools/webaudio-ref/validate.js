#!/usr/bin/env node
// Self-check of the reference renderer (dev tool): renders tests/vectors/*.json in Chromium and
// grades the result against NAME.expected.f32 with the vector's own tolerances, exactly as the
// conformance grader grades audiod.  Usage: node validate.js [VECTOR.json...]
'use strict';

const fs = require('fs');
const path = require('path');
const { Chromium, readF32, compareChannel, ROOT } = require('./lib');

function fmt(x) {
	return typeof x === 'number' ? (Math.abs(x) === Infinity ? String(x) : x.toPrecision(3)) : x;
}

function probeCheck(got, want, tol) {
	const out = [];
	for (let i = 0; i < want.length; i++) {
		const w = want[i], g = got[i];
		if (!g) {
			out.push(`probe ${i}: missing`);
			continue;
		}
		let worst = 0;
		if (w.method === 'getFloatFrequencyData') {
			const peak = Math.max(...w.data.filter((v) => v !== null));
			for (let k = 0; k < w.data.length; k++)
				if (w.data[k] !== null && w.data[k] >= peak - tol.freq_range_db)
					worst = Math.max(worst, Math.abs(g.data[k] - w.data[k]));
			out.push(`probe ${i} ${w.method}: ${fmt(worst)} dB (tol ${tol.freq_db})` +
				(worst > tol.freq_db ? ' FAIL' : ''));
		} else {
			for (let k = 0; k < w.data.length; k++)
				worst = Math.max(worst, Math.abs(g.data[k] - w.data[k]));
			const t = w.method.indexOf('Byte') >= 0 ? tol.byte_abs : tol.time_abs;
			out.push(`probe ${i} ${w.method}: ${fmt(worst)} (tol ${t})` + (worst > t ? ' FAIL' : ''));
		}
	}
	return out;
}

async function main() {
	let files = process.argv.slice(2);
	if (files.length === 0) {
		const dir = path.join(ROOT, 'tests/vectors');
		files = fs.readdirSync(dir).filter((f) => f.endsWith('.json') && !f.endsWith('.meta.json') &&
			!f.endsWith('.probes.json')).map((f) => path.join(dir, f));
	}
	const chrome = await new Chromium().open();
	let pass = 0, fail = 0;
	for (const f of files) {
		const base = f.replace(/\.json$/, '');
		const doc = JSON.parse(fs.readFileSync(f, 'utf8'));
		const meta = JSON.parse(fs.readFileSync(base + '.meta.json', 'utf8'));
		const expected = readF32(base + '.expected.f32', doc.channels);
		const r = await chrome.render(doc, path.dirname(f));
		let ok = true;
		const lines = [];
		r.channels.forEach((a, c) => {
			const tol = Object.assign({}, meta.tolerance,
				(meta.channel_tolerance && meta.channel_tolerance[c]) || {});
			if (meta.reference === 'stats') {
				const ra = Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
				const re = Math.sqrt(expected[c].reduce((s, v) => s + v * v, 0) / a.length);
				const db = 20 * Math.log10(ra / re);
				const bad = !(Math.abs(db) <= tol.rms_db);
				ok = ok && !bad;
				lines.push(`  ch${c}: rms ${fmt(db)} dB (tol ${tol.rms_db})${bad ? ' FAIL' : ''}`);
				return;
			}
			const m = compareChannel(a, expected[c], tol, tol.max_lag || meta.max_lag);
			const bad = m.fails > 0 || (tol.snr_db !== undefined && m.snr < tol.snr_db);
			ok = ok && !bad;
			lines.push(`  ch${c}: max ${fmt(m.maxErr)} @${m.maxAt} snr ${fmt(m.snr)} dB` +
				(m.lag ? ` lag ${m.lag}` : '') + ` (tol abs ${tol.abs} rel ${tol.rel || 0}` +
				` snr ${tol.snr_db})` + (bad ? ` FAIL (${m.fails} samples, first @${m.firstFail})` : ''));
		});
		if (fs.existsSync(base + '.probes.json')) {
			const want = JSON.parse(fs.readFileSync(base + '.probes.json', 'utf8'));
			for (const l of probeCheck(r.probes, want, meta.probe_tolerance)) {
				ok = ok && !l.endsWith('FAIL');
				lines.push('  ' + l);
			}
		}
		if (r.log.length)
			lines.push('  log: ' + r.log.join('; '));
		const note = meta.class === 'disputed' && meta.reference !== 'chromium' ?
			` [disputed, reference ${meta.reference}: ${meta.dispute.reason}]` : '';
		console.log(`${ok ? 'PASS' : 'FAIL'} ${path.basename(f)} (${meta.class})${note}`);
		console.log(lines.join('\n'));
		if (ok)
			pass++;
		else
			fail++;
	}
	console.log(`${pass} passed, ${fail} failed; ${r0ua(chrome)}`);
	await chrome.close();
}

function r0ua(c) {
	return c.page ? 'chromium' : '';
}

main().catch((e) => {
	console.error(e);
	process.exit(1);
});
