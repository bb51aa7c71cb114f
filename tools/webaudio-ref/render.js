// Browser side of the Web Audio reference renderer (dev tool, not part of the build or CI).
// Loaded by page.html in headless Chromium; exposes window.renderDocument(doc, files), which
// renders an audiod graph document (PROTOCOL.md §6) in a real OfflineAudioContext.
'use strict';

(function () {
	// xorshift32 noise as PROTOCOL.md §6 specifies: one stream, channel after channel
	function fillNoise(chans, len, seed, decayPow) {
		let x = seed >>> 0;
		for (const ch of chans) {
			for (let i = 0; i < len; i++) {
				x = (x ^ (x << 13)) >>> 0;
				x = (x ^ (x >>> 17)) >>> 0;
				x = (x ^ (x << 5)) >>> 0;
				let v = x / 4294967296 * 2 - 1;
				if (decayPow !== undefined)
					v *= Math.pow(1 - i / len, decayPow);
				ch[i] = v;
			}
		}
	}

	function b64ToBytes(s) {
		const bin = atob(s);
		const out = new Uint8Array(bin.length);
		for (let i = 0; i < bin.length; i++)
			out[i] = bin.charCodeAt(i);
		return out;
	}

	function bytesToB64(u8) {
		let s = '';
		const step = 0x8000;
		for (let i = 0; i < u8.length; i += step)
			s += String.fromCharCode.apply(null, u8.subarray(i, i + step));
		return btoa(s);
	}

	// files: { PATH: {b64, sampleRate} } prepared by the node side
	async function makeBuffer(ctx, spec, files) {
		const rate = ctx.sampleRate;
		if (spec.generate !== undefined) {
			const len = spec.length;
			const nch = spec.numberOfChannels !== undefined ? spec.numberOfChannels : 1;
			const sr = spec.sampleRate !== undefined ? spec.sampleRate : rate;
			const buf = new AudioBuffer({ numberOfChannels: nch, length: len, sampleRate: sr });
			const chans = [];
			for (let c = 0; c < nch; c++)
				chans.push(new Float32Array(len));
			switch (spec.generate) {
			case 'noise':
				fillNoise(chans, len, spec.seed, spec.decayPow);
				break;
			case 'impulse': {
				const at = spec.at !== undefined ? spec.at : 0;
				const v = spec.value !== undefined ? spec.value : 1;
				for (const ch of chans)
					ch[at] = v;
				break;
			}
			case 'dc': {
				const v = spec.value !== undefined ? spec.value : 1;
				for (const ch of chans)
					ch.fill(v);
				break;
			}
			case 'sine':
				for (let i = 0; i < len; i++)
					chans[0][i] = Math.sin(2 * Math.PI * spec.frequency * i / sr);
				for (let c = 1; c < nch; c++)
					chans[c].set(chans[0]);
				break;
			default:
				throw new Error('unknown generator ' + spec.generate);
			}
			chans.forEach((ch, c) => buf.copyToChannel(ch, c));
			return buf;
		}
		if (spec.file !== undefined) {
			const f = files[spec.file];
			if (!f)
				throw new Error('file not supplied: ' + spec.file);
			const bytes = b64ToBytes(f.b64);
			// decodeAudioData resamples to its context's rate: decode in a context at the
			// file's own rate to keep it (createBuffer semantics)
			const dctx = spec.resample ? ctx :
				new OfflineAudioContext(1, 1, f.sampleRate);
			return await dctx.decodeAudioData(bytes.buffer);
		}
		if (spec.channels !== undefined) {
			const len = spec.channels.length ? spec.channels[0].length : 0;
			const sr = spec.sampleRate !== undefined ? spec.sampleRate : rate;
			const buf = new AudioBuffer({ numberOfChannels: spec.channels.length, length: len,
				sampleRate: sr });
			spec.channels.forEach((ch, c) => buf.copyToChannel(Float32Array.from(ch), c));
			return buf;
		}
		throw new Error('bad BUFSPEC ' + JSON.stringify(spec));
	}

	function makeWave(ctx, w) {
		const real = w.real !== undefined ? Float32Array.from(w.real) : undefined;
		const imag = w.imag !== undefined ? Float32Array.from(w.imag) : undefined;
		const o = { disableNormalization: !!w.disableNormalization };
		if (real !== undefined)
			o.real = real;
		if (imag !== undefined)
			o.imag = imag;
		return new PeriodicWave(ctx, o);
	}

	function typeName(t) {
		return t.endsWith('Node') ? t : t + 'Node';
	}

	// Chromium's OfflineAudioContext.suspend(): frame = floor(t*rate), rounded up to a quantum
	function quantumFrame(t, rate) {
		const f = Math.floor(t * rate);
		return Math.ceil(f / 128) * 128;
	}

	async function renderDocument(doc, files) {
		const rate = doc.sampleRate !== undefined ? doc.sampleRate : 48000;
		const nch = doc.channels !== undefined ? doc.channels : 2;
		const ctx = new OfflineAudioContext({ numberOfChannels: nch, length: doc.length,
			sampleRate: rate });
		const buffers = {};
		for (const [name, spec] of Object.entries(doc.buffers || {}))
			buffers[name] = await makeBuffer(ctx, spec, files || {});
		const nodes = { destination: ctx.destination };
		// where a node's output connections start (differs from nodes[] only for the
		// ConvolverNode calibration fix below)
		const outs = {};
		const log = [];
		const specFix = !doc._noSpecFix;

		// Chromium bug (tests/vectors/convolver.meta.json, "C3"): normalization scale uses
		// 10^(-58/20) = 0.00125893 where the spec's GainCalibration is 0.00125.  Follow the spec
		// by a GainNode after every normalizing ConvolverNode.
		const CONV_FIX = 0.00125 / Math.pow(10, -58 / 20);
		function convFix(id) {
			const n = nodes[id];
			if (specFix && n instanceof ConvolverNode && outs[id])
				outs[id].gain.value = n.normalize && n.buffer ? CONV_FIX : 1;
		}

		function value(key, v) {
			if (key === 'buffer')
				return v === null ? null : buffers[v];
			if (key === 'curve')
				return v === null ? null : Float32Array.from(v);
			return v;
		}

		function setAttr(id, key, v) {
			const node = nodes[id];
			if (key === 'periodicWave') {
				node.setPeriodicWave(makeWave(ctx, v));
				return;
			}
			node[key] = value(key, v);
			convFix(id);
		}

		function paramOf(target) {
			const dot = target.indexOf('.');
			const owner = target.slice(0, dot);
			const name = target.slice(dot + 1);
			const obj = owner === 'listener' ? ctx.listener : nodes[owner];
			if (!obj || !(obj[name] instanceof AudioParam))
				throw new Error('no AudioParam ' + target);
			return obj[name];
		}

		function paramCall(p, call) {
			const [method, ...args] = call;
			if (method === 'value') {
				p.value = args[0];
			} else if (method === 'automationRate') {
				p.automationRate = args[0];
			} else if (method === 'setValueCurveAtTime') {
				p.setValueCurveAtTime(Float32Array.from(args[0]), args[1], args[2]);
			} else {
				p[method](...args);
			}
		}

		// a connection target: a node, or "node.param"
		function target(name) {
			if (name === undefined || name === null)
				return undefined;
			if (nodes[name])
				return nodes[name];
			return paramOf(name);
		}

		function connect(from, to, output, input) {
			const src = outs[from] || nodes[from];
			const dst = target(to);
			if (dst instanceof AudioParam)
				src.connect(dst, output !== undefined ? output : 0);
			else
				src.connect(dst, output !== undefined ? output : 0,
					input !== undefined ? input : 0);
		}

		function disconnect(from, to, output, input) {
			const src = outs[from] || nodes[from];
			if (to === undefined || to === null) {
				if (output === undefined)
					src.disconnect();
				else
					src.disconnect(output);
				return;
			}
			const dst = target(to);
			if (output === undefined)
				src.disconnect(dst);
			else if (input === undefined || dst instanceof AudioParam)
				src.disconnect(dst, output);
			else
				src.disconnect(dst, output, input);
		}

		function start(id, when, offset, duration) {
			const n = nodes[id];
			if (duration !== undefined && duration !== null)
				n.start(when || 0, offset || 0, duration);
			else if (offset !== undefined && offset !== null)
				n.start(when || 0, offset);
			else
				n.start(when || 0);
		}

		for (const nd of doc.nodes || []) {
			const opts = Object.assign({}, nd.options || {});
			if (nd.buffer !== undefined)
				opts.buffer = value('buffer', nd.buffer);
			if (nd.curve !== undefined)
				opts.curve = value('curve', nd.curve);
			if (nd.periodicWave !== undefined) {
				opts.periodicWave = makeWave(ctx, nd.periodicWave);
				opts.type = 'custom';
			}
			if (opts.buffer !== undefined && typeof opts.buffer === 'string')
				opts.buffer = buffers[opts.buffer];
			if (opts.curve !== undefined && Array.isArray(opts.curve))
				opts.curve = Float32Array.from(opts.curve);
			const ctor = window[typeName(nd.type)];
			if (typeof ctor !== 'function')
				throw new Error('unknown node type ' + nd.type);
			const node = new ctor(ctx, opts);
			nodes[nd.id] = node;
			if (specFix && node instanceof ConvolverNode) {
				outs[nd.id] = new GainNode(ctx, { channelCountMode: 'max' });
				node.connect(outs[nd.id]);
				convFix(nd.id);
			}
			for (const [k, v] of Object.entries(nd.props || {}))
				setAttr(nd.id, k, v);
			for (const [pn, calls] of Object.entries(nd.params || {})) {
				const p = node[pn];
				if (!(p instanceof AudioParam))
					throw new Error(nd.id + ' has no AudioParam ' + pn);
				for (const c of calls)
					paramCall(p, c);
			}
		}
		for (const [pn, calls] of Object.entries(doc.listener || {}))
			for (const c of calls)
				paramCall(ctx.listener[pn], c);
		for (const c of doc.connections || [])
			connect(c[0], c[1], c[2], c[3]);
		for (const nd of doc.nodes || []) {
			if (nd.start !== undefined) {
				if (Array.isArray(nd.start))
					start(nd.id, nd.start[0], nd.start[1], nd.start[2]);
				else
					start(nd.id, nd.start);
			}
			if (nd.stop !== undefined)
				nodes[nd.id].stop(nd.stop);
		}

		function runAction(a) {
			const [op, ...r] = a;
			switch (op) {
			case 'connect':
				connect(r[0], r[1], r[2], r[3]);
				break;
			case 'disconnect':
				disconnect(r[0], r[1], r[2], r[3]);
				break;
			case 'set':
				setAttr(r[0], r[1], r[2]);
				break;
			case 'param':
				paramCall(paramOf(r[0]), r.slice(1));
				break;
			case 'start':
				start(r[0], r[1], r[2], r[3]);
				break;
			case 'stop':
				if (r[1] !== undefined)
					nodes[r[0]].stop(r[1]);
				else
					nodes[r[0]].stop();
				break;
			case 'delete':
				(outs[r[0]] || nodes[r[0]]).disconnect();
				for (const n of Object.values(nodes)) {
					try { n.disconnect(nodes[r[0]]); } catch (e) { /* not connected */ }
				}
				delete nodes[r[0]];
				break;
			default:
				throw new Error('unknown action ' + op);
			}
		}

		// group events and probes by the quantum they happen in (stable: document order)
		const byFrame = new Map();
		const slot = (f) => {
			if (!byFrame.has(f))
				byFrame.set(f, { actions: [], probes: [] });
			return byFrame.get(f);
		};
		(doc.events || []).forEach((ev) => {
			slot(quantumFrame(ev.time, rate)).actions.push(...ev.actions);
		});
		const probeOut = [];
		(doc.probes || []).forEach((pr, i) => {
			slot(quantumFrame(pr.time, rate)).probes.push([i, pr]);
		});

		function runSlot(f, s) {
			for (const a of s.actions) {
				try {
					runAction(a);
				} catch (e) {
					log.push('frame ' + f + ' ' + JSON.stringify(a) + ': ' + e.message);
				}
			}
			for (const [i, pr] of s.probes) {
				const an = nodes[pr.node];
				const freq = pr.method.indexOf('Frequency') >= 0;
				const n = freq ? an.frequencyBinCount : an.fftSize;
				const arr = pr.method.indexOf('Byte') >= 0 ? new Uint8Array(n) :
					new Float32Array(n);
				an[pr.method](arr);
				probeOut[i] = { time: pr.time, node: pr.node, method: pr.method,
					actualTime: f / rate, data: Array.from(arr) };
			}
		}

		for (const [f, s] of [...byFrame.entries()].sort((a, b) => a[0] - b[0])) {
			if (f === 0) {
				runSlot(f, s);
			} else if (f < doc.length) {
				ctx.suspend(f / rate).then(() => {
					runSlot(f, s);
					ctx.resume();
				});
			}
		}
		const out = await ctx.startRendering();
		const chans = [];
		for (let c = 0; c < out.numberOfChannels; c++) {
			const d = out.getChannelData(c);
			chans.push(bytesToB64(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)));
		}
		return { channels: chans, probes: probeOut, log, userAgent: navigator.userAgent };
	}

	window.renderDocument = renderDocument;
})();
