#!/usr/bin/env node
// Dev helper: print audiod and Chromium samples of one channel around a frame.
//   node dump.js DOC.json CHANNEL FRAME [RADIUS=4]
'use strict';
const fs = require('fs');
const path = require('path');
const { Chromium, renderAudiod } = require('./lib');
(async () => {
	const [file, ch, frame, rad] = process.argv.slice(2);
	const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
	const cfile = file.replace(/\.json$/, '.chromium.json');
	const c = await new Chromium().open();
	const rc = await c.render(fs.existsSync(cfile) ? JSON.parse(fs.readFileSync(cfile, 'utf8')) : doc,
		path.dirname(file));
	await c.close();
	const ra = renderAudiod(file);
	if (ra.error)
		throw new Error(ra.error);
	const r = +(rad || 4);
	for (let i = Math.max(0, +frame - r); i <= +frame + r && i < doc.length; i++)
		console.log(i, ra.channels[+ch][i], rc.channels[+ch][i],
			(ra.channels[+ch][i] - rc.channels[+ch][i]).toExponential(2));
})().catch((e) => { console.error(e); process.exit(1); });
