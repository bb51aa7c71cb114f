'use strict';
// AudioContext: plays through the audiod daemon, one ephemeral session per context.  every
// call is validated synchronously on a local model of the graph (an engine that is never
// rendered), then sent on the daemon's socket as the protocol request that does the same
// (protocol/PROTOCOL.md §4), without waiting for the reply.  times are context times: the
// daemon's, counted from the moment the context was made.  an error reply goes to the
// promise its request was made for (suspend, resume, close) or else to the context's `error`
// event; a lost connection is the spec's audio system resource error.
// main thread only.
const net = require('node:net');
const { getEventListeners } = require('node:events');
const { performance } = require('node:perf_hooks');
const addon = require('./addon.cjs');
const { domError, mapError, toDict, toEnum } = require('./util.cjs');
const w = require('./webaudio.cjs');

const QUANTUM = 128;
const TIME_POLL_MS = 250;
let serial = 0;

// the socket path as libaudiod finds it (client/libaudiod.c audiod_socket_path)
function socketPath() {
	if (process.env.AUDIOD_SOCKET)
		return process.env.AUDIOD_SOCKET;
	if (process.env.XDG_RUNTIME_DIR)
		return `${process.env.XDG_RUNTIME_DIR}/audiod/socket`;
	throw domError('InvalidStateError',
		       'AudioContext: no audiod socket (set AUDIOD_SOCKET or XDG_RUNTIME_DIR)');
}

function reply(line, what) {
	const r = JSON.parse(line);
	if (r.ok === false)
		throw domError('InvalidStateError', `AudioContext: ${what}: ${r.error.message}`);
	return r;
}

// a daemon's error reply ({ code, message }) as the spec's exception
function daemonError(err, what) {
	const e = Object.assign(new Error(err.message), { code: err.code });
	const m = mapError(e, `AudioContext: ${what}`);
	return m === e ? domError('InvalidStateError', `AudioContext: ${what}: ${err.message}`) : m;
}

// the `error` event of an AudioContext: a plain Event, as the spec fires it, that also
// tells what went wrong (as an ErrorEvent would)
class AudioContextErrorEvent extends Event {
	constructor(error) {
		super('error');
		this.error = error;
		this.message = error.message;
	}
}

// the arguments of a param method that are times, by position
const TIME_ARGS = {
	setValueAtTime: [1], linearRampToValueAtTime: [1], exponentialRampToValueAtTime: [1],
	setTargetAtTime: [1], setValueCurveAtTime: [0], cancelScheduledValues: [0],
	cancelAndHoldAtTime: [0],
};

class AudioContext extends w.BaseAudioContext {
	constructor(options) {
		const o = toDict(options, 'AudioContext');
		if (o.latencyHint !== undefined && typeof o.latencyHint !== 'number')
			toEnum(o.latencyHint, ['balanced', 'interactive', 'playback'],
			       'AudioContext: latencyHint');
		const session = `node-${process.pid}-${++serial}`;
		const lines = addon.liveConnect(socketPath(), [
			JSON.stringify({ op: 'hello', client: `node ${process.pid}` }),
			JSON.stringify({ op: 'session', name: session, ephemeral: true }),
			JSON.stringify({ op: 'subscribe', events: ['ended'] }),
			JSON.stringify({ op: 'time' }),
		], 5000);
		const hello = JSON.parse(lines[1]);
		reply(lines[3], 'session');
		const time = reply(lines[5], 'time');
		if (o.sampleRate !== undefined && Number(o.sampleRate) !== hello.sampleRate) {
			require('node:fs').closeSync(lines[0]);
			throw domError('NotSupportedError', `AudioContext: sampleRate ${o.sampleRate}: ` +
				       `audiod runs at ${hello.sampleRate} Hz`);
		}
		super(w.kInternal, hello.sampleRate, hello.channels, hello.channels, true);
		this._session = session;
		this._origin = time.currentTime;	// daemon time of this context's 0
		this._sync(time);
		this._frozen = null;			// context time while suspended
		this._buffers = new WeakMap();		// engine buffer handle -> daemon name
		this._bufferSerial = 0;
		this._pending = 0;
		this._sock = new net.Socket({ fd: lines[0], readable: true, writable: true });
		this._sock.setEncoding('utf8');
		let rest = '';
		this._sock.on('data', (d) => {
			const parts = (rest + d).split('\n');
			rest = parts.pop();
			for (const l of parts)
				if (l)
					this._onLine(JSON.parse(l));
		});
		this._sock.on('error', () => this._lost());
		this._sock.on('close', () => this._lost());
		this._connected = true;
		this._timer = setInterval(() => this._send({ op: 'time' }, (r) => this._sync(r)),
					  TIME_POLL_MS);
		this._replies = [];		// per request sent: { then, fail } or null
		// allowed to start: running as soon as the session is there
		setImmediate(() => {
			if (this._state === 'suspended' && this._frozen === null)
				this._setState('running');
		});
	}

	get baseLatency() { return this._baseLatency; }
	get outputLatency() { return this._outputLatency; }

	get currentTime() {
		if (this._frozen !== null)
			return this._frozen;
		const t = this._ref.time + (performance.now() - this._ref.at) / 1000;
		return Math.floor(Math.max(t, this._ref.time) * this.sampleRate / QUANTUM) * QUANTUM /
			this.sampleRate;
	}

	getOutputTimestamp() {
		return { contextTime: this.currentTime, performanceTime: performance.now() };
	}

	// a `time` reply: where the daemon's clock is now
	_sync(r) {
		this._ref = { time: r.currentTime - this._origin, at: performance.now() };
		this._baseLatency = r.baseLatency;
		this._outputLatency = r.outputLatency;
	}

	// sends one request; its reply goes to then, an error reply to fail (the error as
	// the daemon spelled it), else to the `error` event.  false when it could not be sent
	_send(req, then, fail) {
		if (!this._connected || this._state === 'closed')
			return false;
		this._replies.push(then || fail ? { then, fail } : null);
		this._sock.write(JSON.stringify(req) + '\n');
		return true;
	}

	// requests made for a promise (suspend, resume, close), then a sync: done() once the
	// daemon has done them all; else failed() with the first error, or the lost connection
	_batch(what, reqs, done, failed) {
		let first = null;
		const fail = (err) => {
			first = first || daemonError(err, what);
		};
		for (const [req, then] of reqs)
			this._send(req, then, fail);
		const sent = this._send({ op: 'sync' }, () => (first ? failed(first) : done()),
					(err) => failed(first || daemonError(err, what)));
		if (!sent)
			failed(domError('InvalidStateError', `AudioContext: ${what}: ` +
					'the connection to audiod is gone'));
	}

	// an error no promise waits for: the `error` event; a process warning when nothing
	// listens to it
	_error(e) {
		if (getEventListeners(this, 'error').length === 0) {
			process.emitWarning(`audiod: ${e.message}`, 'AudioContextWarning');
			return;
		}
		this.dispatchEvent(new AudioContextErrorEvent(e));
	}

	// the daemon's connection is gone (the daemon stopped, or the session was dropped): the
	// spec's error of the audio system resources. the context is suspended and `error` fires;
	// what waited for a reply gets the error. only close() can follow.
	_lost() {
		if (!this._connected)
			return;
		this._connected = false;
		clearInterval(this._timer);
		if (this._frozen === null)
			this._frozen = this.currentTime;
		const waiting = this._replies;
		this._replies = [];
		if (this._sock)
			this._sock.destroy();
		if (this._state === 'closed')
			return;
		const err = { code: 'disconnected', message: 'the connection to audiod is gone' };
		for (const r of waiting)
			if (r && r.fail)
				r.fail(err);
		this._error(domError('InvalidStateError', `AudioContext: ${err.message}`));
		this._setState('suspended');
	}

	_onLine(m) {
		if (m.event === 'ended') {
			if (m.session !== this._session)
				return;
			const node = this._nodes.get(m.id);
			if (node)
				node.dispatchEvent(new Event('ended'));
			return;
		}
		if (m.event !== undefined)
			return;
		const r = this._replies.shift();
		if (m.ok === false) {
			if (r && r.fail)
				r.fail(m.error);
			else
				this._error(daemonError(m.error, `${m.error.code}`));
		} else if (r && r.then) {
			r.then(m);
		}
	}

	// a context time as the daemon's
	_t(t) {
		return t + this._origin;
	}

	// an engine option or attribute value as the protocol spells it
	_value(v) {
		if (v instanceof Float64Array || v instanceof Float32Array)
			return Array.from(v);
		const owner = v !== null && typeof v === 'object' ? w.handleOwner.get(v) : undefined;
		if (owner instanceof w.PeriodicWave)
			return owner._json;
		if (owner instanceof w.AudioBuffer)
			return this._bufferName(v, owner);
		return v;
	}

	// the daemon's name of an engine buffer, sending its samples the first time
	_bufferName(handle, buf) {
		let name = this._buffers.get(handle);
		if (name)
			return name;
		name = `b${++this._bufferSerial}`;
		this._buffers.set(handle, name);
		this._send({ op: 'buffer', name, spec: { sampleRate: buf.sampleRate,
			channels: buf._data.map((c) => Array.from(c)) } });
		return name;
	}

	_forward(method, args) {
		switch (method) {
		case 'create': {
			const [type, id, opts] = args;
			const options = {};
			for (const [k, v] of Object.entries(opts || {}))
				options[k] = this._value(v);
			this._send({ op: 'create', type, id, options });
			break;
		}
		case 'remove':
			this._send({ op: 'delete', id: args[0] });
			break;
		case 'connect':
		case 'disconnect': {
			const req = { op: method, from: args[0] };
			if (args[1] !== null)
				req.to = args[1];
			if (args[2] !== null && args[2] !== undefined)
				req.output = args[2];
			if (args[3] !== null && args[3] !== undefined)
				req.input = args[3];
			this._send(req);
			break;
		}
		case 'set':
			this._send({ op: 'set', id: args[0], attr: args[1],
				     value: this._value(args[2]) });
			break;
		case 'param': {
			const [target, m, a, curve, rate] = args;
			let out;
			if (m === 'automationRate')
				out = [rate];
			else if (m === 'setValueCurveAtTime')
				out = [Array.from(curve), this._t(a[0]), a[1]];
			else
				out = a.map((x, i) => (TIME_ARGS[m] || []).includes(i) ? this._t(x) : x);
			this._send({ op: 'param', target, method: m, args: out });
			break;
		}
		case 'start': {
			const [id, when, offset, duration] = args;
			const req = { op: 'start', id, when: this._t(when) };
			if (!Number.isNaN(offset))
				req.offset = offset;
			if (!Number.isNaN(duration))
				req.duration = duration;
			this._send(req);
			break;
		}
		case 'stop':
			this._send({ op: 'stop', id: args[0], when: this._t(args[1]) });
			break;
		default:
			break;
		}
	}

	// the time the local model takes for "now": the context's
	_now() {
		this._engine.setNow(this.currentTime);
	}

	// suspend: the session's bus is muted and currentTime stops; resume: both go on (what
	// was scheduled meanwhile keeps its daemon time)
	suspend() {
		if (this._state === 'closed')
			return Promise.reject(domError('InvalidStateError', 'suspend: the context is closed'));
		if (!this._connected)	// already suspended by the lost connection
			return Promise.resolve();
		const reqs = [];
		const muted = this._frozen === null;
		if (muted) {
			this._frozen = this.currentTime;
			reqs.push([{ op: 'param', target: 'destination.gain', method: 'value',
				     args: [0] }]);
		}
		// a rejected suspend leaves the context running, its time going on
		return new Promise((resolve, reject) => this._batch('suspend', reqs, () => {
			resolve();
			this._setState('suspended');
		}, (e) => {
			if (muted && this._connected)
				this._frozen = null;
			reject(e);
		}));
	}

	// a rejected resume leaves the context suspended, its time stopped
	resume() {
		if (this._state === 'closed')
			return Promise.reject(domError('InvalidStateError', 'resume: the context is closed'));
		const reqs = [];
		const frozen = this._frozen;
		if (frozen !== null) {
			reqs.push([{ op: 'param', target: 'destination.gain', method: 'value', args: [1] }]);
			// the context's time goes on from where it stopped
			reqs.push([{ op: 'time' }, (r) => {
				this._origin = r.currentTime - frozen;
				this._sync(r);
			}]);
		}
		return new Promise((resolve, reject) => this._batch('resume', reqs, () => {
			this._frozen = null;
			resolve();
			this._setState('running');
		}, reject));
	}

	// the session goes with the connection; a lost connection is closed all the same
	close() {
		if (this._state === 'closed')
			return Promise.reject(domError('InvalidStateError', 'close: already closed'));
		return new Promise((resolve) => {
			const done = () => {
				resolve();
				this._closed();
			};
			this._batch('close', [], done, done);
		});
	}

	_closed() {
		if (this._state === 'closed')
			return;
		if (this._frozen === null)
			this._frozen = this.currentTime;
		this._connected = false;
		clearInterval(this._timer);
		if (this._sock)
			this._sock.end();
		this._setState('closed');
	}
}

w.eventHandler(AudioContext.prototype, 'error');

module.exports = { AudioContext };
