#!/usr/bin/env node
// run.mjs: runs WPT webaudio test files converted for Node (the layout of
// b-ma/node-web-audio-api-wpt: resources/testharness.js, webaudio/resources/audit.js and
// webaudio/the-audio-api/**/*.js files doing `import * as WebAudio from 'node-web-audio-api'`)
// against audiod's package and, side by side, node-web-audio-api, and prints the subtests
// passed / total of each.  the suite is third-party and never part of the repo: it is read
// from --suite DIR (or $WPT_DIR); without it the runner says so and exits 77 (skipped).
//
//   node bindings/node/wpt/run.mjs --suite DIR [--nwaa NODE_MODULES] [--filter TEXT]
//        [--jobs N] [--timeout S] [--list] [--json FILE]
//
// each test file runs in its own node process, its cwd a scratch folder that mirrors the
// suite (resources/ and webaudio/ linked) with this folder's testharnessreport.js, which
// prints the results as one JSON line.  the import of 'node-web-audio-api' is rewritten to
// the implementation under test.  a file's total is the larger of the two implementations'
// counts (a file that crashes in one still counts its subtests as failed there).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.resolve(here, '..');

function parseArgs(argv) {
	const o = { suite: process.env.WPT_DIR || '', nwaa: process.env.NWAA_MODULES || '',
		    filter: '', jobs: 2, timeout: 60, list: false, json: '', verbose: false };
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		const v = () => {
			if (i + 1 >= argv.length)
				throw new Error(`${a}: missing value`);
			return argv[++i];
		};
		if (a === '--suite') o.suite = v();
		else if (a === '--nwaa') o.nwaa = v();
		else if (a === '--filter') o.filter = v();
		else if (a === '--jobs') o.jobs = parseInt(v(), 10);
		else if (a === '--timeout') o.timeout = parseFloat(v());
		else if (a === '--json') o.json = v();
		else if (a === '--list') o.list = true;
		else if (a === '-v' || a === '--verbose') o.verbose = true;
		else if (!a.startsWith('-') && !o.suite) o.suite = a;
		else throw new Error(`unknown argument ${a}`);
	}
	return o;
}

function listTests(suite, filter) {
	const root = path.join(suite, 'webaudio', 'the-audio-api');
	const out = [];
	const walk = (d) => {
		for (const e of fs.readdirSync(d, { withFileTypes: true })) {
			const p = path.join(d, e.name);
			if (e.isDirectory())
				walk(p);
			else if (e.name.endsWith('.js') && !d.includes(`${path.sep}resources`))
				out.push(path.relative(suite, p));
		}
	};
	walk(root);
	return out.filter((f) => f.includes(filter)).sort();
}

// a scratch folder mirroring the suite, with our report script
function scratch(suite, impl) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), `audiod-wpt-${impl}-`));
	for (const d of ['resources', 'webaudio'])
		fs.symlinkSync(path.resolve(suite, d), path.join(dir, d));
	fs.copyFileSync(path.join(here, 'testharnessreport.js'), path.join(dir, 'testharnessreport.js'));
	fs.mkdirSync(path.join(dir, 'run'));
	return dir;
}

// the test file as a classic script, as a browser runs it: the converter's ES module header
// (the WebAudio import, __filename) goes, and each `await import(X)` of a helper script
// becomes a synchronous classic-script load, so the helpers' top-level functions and the
// test's own top-level variables are globals they share, as in a page
function convert(src, origDir) {
	const mark = src.indexOf('// import scripts from test');
	let body = mark >= 0 ? src.slice(src.indexOf('\n', mark) + 1) : src;
	body = body.replace(/await import\(\s*path\.join\(\s*cwd\s*,\s*(['"])([^'"]+)\1\s*\)\s*\)/g,
			    (m, q, p) => `__wptScript(${JSON.stringify(path.join('.', p))})`);
	body = body.replace(/await import\(\s*(['"])([^'"]+)\1\s*\)/g,
			    (m, q, p) => `__wptScript(${JSON.stringify(path.resolve(origDir, p))})`);
	return body;
}

function wrapper(entry, bodyPath, file) {
	return `import * as WebAudio from ${JSON.stringify(entry)};
import { runInThisContext } from 'node:vm';
import fs from 'node:fs';
import path from 'node:path';
for (const name in WebAudio)
	if (name !== 'default' && name !== 'load' && name !== 'mediaDevices')
		globalThis[name] = WebAudio[name];
globalThis.self = globalThis;	// a page's global names itself (testharness.js reads self)
globalThis.path = path;
globalThis.cwd = process.cwd();
globalThis.__wptScript = (p) => runInThisContext(fs.readFileSync(p, 'utf8'), { filename: p });
process.testName = ${JSON.stringify(path.basename(file, '.js'))};
__wptScript(${JSON.stringify(bodyPath)});
`;
}

function runOne(dir, file, suite, entry, timeout) {
	const src = fs.readFileSync(path.join(suite, file), 'utf8');
	const sub = path.join(dir, 'run', path.dirname(file));
	fs.mkdirSync(sub, { recursive: true });
	const body = path.join(sub, path.basename(file));
	const target = body.replace(/\.js$/, '.mjs');
	fs.writeFileSync(body, convert(src, path.dirname(path.join(suite, file))));
	fs.writeFileSync(target, wrapper(entry, body, file));
	return new Promise((resolve) => {
		const child = spawn(process.execPath, [target], { cwd: dir,
			stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WPT_FILE: file } });
		let out = '', err = '', timedOut = false;
		child.stdout.on('data', (d) => { out += d; });
		child.stderr.on('data', (d) => { err += d; });
		const timer = setTimeout(() => {
			timedOut = true;
			child.kill('SIGKILL');
		}, timeout * 1000);
		child.on('close', (code) => {
			clearTimeout(timer);
			const line = out.split('\n').find((l) => l.startsWith('@@WPT '));
			let r = null;
			if (line) {
				try {
					r = JSON.parse(line.slice(6));
				} catch (e) {
					r = null;
				}
			}
			resolve({ file, result: r, code, timedOut, stderr: err.slice(-2000) });
		});
	});
}

async function runAll(impl, entry, files, o) {
	const dir = scratch(o.suite, impl);
	const results = new Map();
	let next = 0;
	const worker = async () => {
		while (next < files.length) {
			const f = files[next++];
			const r = await runOne(dir, f, o.suite, entry, o.timeout);
			results.set(f, r);
			if (o.verbose) {
				const t = r.result ? r.result.tests : [];
				process.stderr.write(`${impl} ${f}: ${t.filter((x) => x.status === 0).length}/` +
						     `${t.length}${r.timedOut ? ' (timeout)' : ''}\n`);
			}
		}
	};
	await Promise.all(Array.from({ length: Math.max(1, o.jobs) }, worker));
	fs.rmSync(dir, { recursive: true, force: true });
	return results;
}

function counts(r) {
	const t = r && r.result ? r.result.tests : [];
	return { pass: t.filter((x) => x.status === 0).length, total: t.length };
}

async function main() {
	let o;
	try {
		o = parseArgs(process.argv.slice(2));
	} catch (e) {
		console.error(`wpt: ${e.message}`);
		process.exit(2);
	}
	if (!o.suite || !fs.existsSync(path.join(o.suite, 'resources', 'testharness.js')) ||
	    !fs.existsSync(path.join(o.suite, 'webaudio', 'the-audio-api'))) {
		console.log('wpt: skipped: no WPT suite (give --suite DIR or WPT_DIR: a checkout of ' +
			    'b-ma/node-web-audio-api-wpt, kept outside the repo)');
		process.exit(77);
	}
	o.suite = path.resolve(o.suite);
	const files = listTests(o.suite, o.filter);
	if (o.list) {
		files.forEach((f) => console.log(f));
		return;
	}
	const impls = [['audiod', pathToFileURL(path.join(pkg, 'index.mjs')).href]];
	const nwaaEntry = o.nwaa && path.join(path.resolve(o.nwaa), 'node-web-audio-api', 'index.js');
	if (nwaaEntry && fs.existsSync(nwaaEntry))
		impls.push(['nwaa', pathToFileURL(nwaaEntry).href]);
	else if (o.nwaa)
		console.error(`wpt: no node-web-audio-api in ${o.nwaa}; running audiod alone`);

	const all = {};
	for (const [impl, entry] of impls)
		all[impl] = await runAll(impl, entry, files, o);

	const sum = Object.fromEntries(impls.map(([i]) => [i, 0]));
	let total = 0;
	const rows = [];
	for (const f of files) {
		const c = Object.fromEntries(impls.map(([i]) => [i, counts(all[i].get(f))]));
		const t = Math.max(...Object.values(c).map((x) => x.total));
		total += t;
		for (const [i] of impls)
			sum[i] += c[i].pass;
		rows.push({ file: f, total: t, ...Object.fromEntries(impls.map(([i]) => [i, c[i].pass])) });
		const name = f.replace(/^webaudio\/the-audio-api\//, '');
		console.log(`${name.padEnd(78).slice(0, 78)} ` +
			    impls.map(([i]) => `${String(c[i].pass).padStart(4)}`).join(' ') +
			    ` /${String(t).padStart(4)}`);
	}
	console.log('');
	console.log(`subtests: ${impls.map(([i]) => `${i} ${sum[i]}`).join(', ')} of ${total} ` +
		    `(${files.length} files)`);
	if (o.json) {
		const detail = {};
		for (const [i] of impls)
			detail[i] = Object.fromEntries([...all[i]].map(([f, r]) => [f, r.result ?
				r.result.tests.map((t) => [t.name, t.status, t.message]) :
				{ code: r.code, timedOut: r.timedOut, stderr: r.stderr }]));
		fs.writeFileSync(o.json, JSON.stringify({ total, sum, rows, detail }, null, 1));
	}
}

main().catch((e) => {
	console.error(`wpt: ${e.stack || e}`);
	process.exit(1);
});
