'use strict';
// finds and loads audiod.node, the N-API addon meson builds (bindings/node/meson.build):
// $AUDIOD_NODE_ADDON, else next to this package (an installed copy), else the newest
// build*/bindings/node/audiod.node of the source tree this package sits in.
const fs = require('node:fs');
const path = require('node:path');

function candidates() {
	const pkg = path.resolve(__dirname, '..');
	const root = path.resolve(pkg, '..', '..');
	const out = [];

	if (process.env.AUDIOD_NODE_ADDON)
		return [process.env.AUDIOD_NODE_ADDON];
	out.push(path.join(pkg, 'audiod.node'));
	let builds = [];
	try {
		builds = fs.readdirSync(root).filter((d) => d.startsWith('build'))
			.map((d) => path.join(root, d, 'bindings', 'node', 'audiod.node'))
			.filter((f) => fs.existsSync(f))
			.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
	} catch (e) {
		// no source tree around: only the installed copy
	}
	return out.concat(builds);
}

function load() {
	const tried = [];
	for (const f of candidates()) {
		if (!fs.existsSync(f)) {
			tried.push(f);
			continue;
		}
		return require(f);
	}
	throw new Error('audiod: the addon audiod.node is not built (meson setup build && ' +
			`ninja -C build); looked at ${tried.join(', ') || 'nothing'}; ` +
			'or set AUDIOD_NODE_ADDON to its path');
}

module.exports = load();
