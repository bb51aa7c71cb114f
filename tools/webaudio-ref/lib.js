// Node side of the Web Audio reference tool (dev tool, not part of the build or CI): drives
// headless Chromium (playwright-core) to render graph documents with page.html/render.js,
// runs `audioctl render` on the same documents, and compares the two.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const HERE = __dirname;
const ROOT = path.resolve(HERE, '../..');

const CHROMIUM_FLAGS = [
	'--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	'--disable-background-networking', '--disable-component-update', '--disable-sync',
	'--allow-file-access-from-files',
];

// one browser for the whole run; renderDocument() opens a fresh page per document
class Chromium {
	async open() {
		const { chromium } = require('playwright-core');
		this.userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'webaudio-ref-'));
		this.ctx = await chromium.launchPersistentContext(this.userDir, {
			executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
			headless: true, args: CHROMIUM_FLAGS,
		});
		this.page = await this.ctx.newPage();
		this.page.on('pageerror', (e) => console.error('page error:', e.message));
		await this.page.goto('file://' + path.join(HERE, 'page.html'));
		await this.page.waitForFunction(() => typeof window.renderDocument === 'function');
		return this;
	}

	// -> { channels: [Float32Array...], probes, log, userAgent }
	async render(doc, docDir) {
		const files = {};
		for (const spec of Object.values(doc.buffers || {})) {
			if (spec.file === undefined)
				continue;
			const bytes = fs.readFileSync(path.resolve(docDir || '.', spec.file));
			files[spec.file] = { b64: bytes.toString('base64'), sampleRate: wavRate(bytes) };
		}
		const r = await this.page.evaluate(([d, f]) => window.renderDocument(d, f), [doc, files]);
		r.channels = r.channels.map((b64) => {
			const b = Buffer.from(b64, 'base64');
			return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
		});
		return r;
	}

	async close() {
		await this.ctx.close();
		fs.rmSync(this.userDir, { recursive: true, force: true });
	}
}

function wavRate(bytes) {
	if (bytes.toString('ascii', 0, 4) !== 'RIFF')
		return 0;
	for (let p = 12; p + 8 <= bytes.length;) {
		const id = bytes.toString('ascii', p, p + 4);
		const n = bytes.readUInt32LE(p + 4);
		if (id === 'fmt ')
			return bytes.readUInt32LE(p + 12);
		p += 8 + n + (n & 1);
	}
	return 0;
}

// 32-bit float (or 16-bit PCM) WAV -> planar Float32Arrays
function readWav(file) {
	const b = fs.readFileSync(file);
	let fmt = null, data = null;
	for (let p = 12; p + 8 <= b.length;) {
		const id = b.toString('ascii', p, p + 4);
		let n = b.readUInt32LE(p + 4);
		if (id === 'fmt ')
			fmt = { tag: b.readUInt16LE(p + 8), ch: b.readUInt16LE(p + 10),
				rate: b.readUInt32LE(p + 12), bits: b.readUInt16LE(p + 22) };
		if (id === 'data') {
			if (p + 8 + n > b.length)
				n = b.length - p - 8;
			data = b.subarray(p + 8, p + 8 + n);
		}
		p += 8 + n + (n & 1);
	}
	if (!fmt || !data)
		throw new Error(file + ': not a WAV file');
	if (fmt.tag === 0xfffe)
		fmt.tag = fmt.bits === 32 ? 3 : 1;
	const bps = fmt.bits / 8, frames = Math.floor(data.length / (bps * fmt.ch));
	const chans = [];
	for (let c = 0; c < fmt.ch; c++)
		chans.push(new Float32Array(frames));
	for (let i = 0; i < frames; i++) {
		for (let c = 0; c < fmt.ch; c++) {
			const o = (i * fmt.ch + c) * bps;
			chans[c][i] = fmt.tag === 3 ? data.readFloatLE(o) : data.readInt16LE(o) / 32768;
		}
	}
	return { rate: fmt.rate, channels: chans };
}

function audioctlPath() {
	if (process.env.AUDIOCTL)
		return process.env.AUDIOCTL;
	for (const d of ['build-ref', 'build'])
		if (fs.existsSync(path.join(ROOT, d, 'client/audioctl')))
			return path.join(ROOT, d, 'client/audioctl');
	throw new Error('no audioctl: build with meson setup build-ref && ninja -C build-ref');
}

// -> { channels, probes } or { error }
function renderAudiod(docPath) {
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'webaudio-ref-a-'));
	const wav = path.join(tmp, 'out.wav'), pj = path.join(tmp, 'probes.json');
	try {
		execFileSync(audioctlPath(), ['render', docPath, '-o', wav, '--probes', pj],
			{ stdio: ['ignore', 'pipe', 'pipe'], timeout: 120000 });
		const w = readWav(wav);
		const probes = fs.existsSync(pj) ? JSON.parse(fs.readFileSync(pj, 'utf8')) : [];
		return { channels: w.channels, probes };
	} catch (e) {
		return { error: (e.stderr ? e.stderr.toString() : '') || e.message };
	} finally {
		fs.rmSync(tmp, { recursive: true, force: true });
	}
}

function readF32(file, nch) {
	const b = fs.readFileSync(file);
	const n = b.length / 4 / nch, chans = [];
	for (let c = 0; c < nch; c++)
		chans.push(new Float32Array(n));
	for (let i = 0; i < n; i++)
		for (let c = 0; c < nch; c++)
			chans[c][i] = b.readFloatLE((i * nch + c) * 4);
	return chans;
}

// per-channel comparison of actual a against expected e, optionally after the best integer
// alignment within +-maxLag frames
function compareChannel(a, e, tol, maxLag) {
	let best = null;
	for (let lag = -(maxLag || 0); lag <= (maxLag || 0); lag++) {
		let maxErr = 0, maxAt = -1, se = 0, sd = 0, fails = 0, firstFail = -1;
		for (let i = 0; i < e.length; i++) {
			const j = i + lag;
			const av = j >= 0 && j < a.length ? a[j] : 0;
			const d = Math.abs(av - e[i]);
			se += e[i] * e[i];
			sd += d * d;
			if (d > maxErr) {
				maxErr = d;
				maxAt = i;
			}
			if (tol && d > Math.max(tol.abs || 0, (tol.rel || 0) * Math.abs(e[i]))) {
				fails++;
				if (firstFail < 0)
					firstFail = i;
			}
		}
		const snr = sd === 0 ? Infinity : se === 0 ? -Infinity : 10 * Math.log10(se / sd);
		const r = { lag, maxErr, maxAt, snr, fails, firstFail,
			rmsA: rms(a), rmsE: rms(e) };
		if (!best || sd < best._sd)
			best = Object.assign(r, { _sd: sd });
	}
	delete best._sd;
	return best;
}

function rms(x) {
	let s = 0;
	for (const v of x)
		s += v * v;
	return Math.sqrt(s / Math.max(1, x.length));
}

module.exports = { Chromium, readWav, readF32, renderAudiod, compareChannel, rms, ROOT };
