'use strict';
// the Web Audio API on audiod's engine.  every context owns an engine (addon.Engine): each
// call is validated and applied there synchronously, so errors are the spec's exceptions,
// thrown at once.  an OfflineAudioContext renders that engine on a worker thread; an
// AudioContext never renders it and sends each call on to the audiod daemon (live.cjs).
// main thread only.
const addon = require('./addon.cjs');
const {
	FLT_MAX, domError, mapError, toFloat, toDouble, toUnsignedLong, toEnforcedUnsignedLong,
	toEnum, toDict, toFloatSequence, toDoubleSequence,
} = require('./util.cjs');

const kInternal = Symbol('audiod.internal');
const COUNT_MODES = ['max', 'clamped-max', 'explicit'];
const INTERPRETATIONS = ['speakers', 'discrete'];
const AUTOMATION_RATES = ['a-rate', 'k-rate'];
const MAX_CHANNELS = 32;
// engine handles (buffers, waves) -> the AudioBuffer or PeriodicWave they were made for
const handleOwner = new WeakMap();
const MIN_RATE = 3000;
const MAX_RATE = 768000;

// on<event> attributes backed by EventTarget listeners
function eventHandler(proto, name) {
	const slot = Symbol(`on${name}`);
	Object.defineProperty(proto, `on${name}`, {
		configurable: true,
		enumerable: true,
		get() {
			return this[slot] ? this[slot].fn : null;
		},
		set(fn) {
			if (this[slot]) {
				this.removeEventListener(name, this[slot].listener);
				this[slot] = null;
			}
			if (typeof fn === 'function') {
				const listener = (ev) => fn.call(this, ev);
				this[slot] = { fn, listener };
				this.addEventListener(name, listener);
			}
		},
	});
}

// --- AudioBuffer ------------------------------------------------------------------------------

class AudioBuffer {
	constructor(options) {
		if (arguments.length < 1 || options === null || typeof options !== 'object')
			throw new TypeError('AudioBuffer: options with length and sampleRate required');
		if (options.length === undefined)
			throw new TypeError("AudioBuffer: required member 'length' is missing");
		if (options.sampleRate === undefined)
			throw new TypeError("AudioBuffer: required member 'sampleRate' is missing");
		const channels = options.numberOfChannels === undefined ? 1 :
			toUnsignedLong(options.numberOfChannels);
		const length = toUnsignedLong(options.length);
		const rate = Math.fround(toFloat(options.sampleRate, 'AudioBuffer: sampleRate'));

		if (channels < 1 || channels > MAX_CHANNELS)
			throw domError('NotSupportedError',
				       `AudioBuffer: numberOfChannels ${channels} is outside 1..32`);
		if (length < 1)
			throw domError('NotSupportedError', 'AudioBuffer: length must be at least 1');
		if (!(rate >= MIN_RATE && rate <= MAX_RATE))
			throw domError('NotSupportedError',
				       `AudioBuffer: sampleRate ${rate} is outside 3000..768000`);
		this._rate = rate;
		this._length = length;
		this._data = options[kInternal] ||
			Array.from({ length: channels }, () => new Float32Array(length));
		this._handle = null;	// the engine's copy, made when a node acquires the buffer
		this._exposed = false;	// getChannelData handed out a view: copies may differ
	}

	get sampleRate() { return this._rate; }
	get length() { return this._length; }
	get duration() { return this._length / this._rate; }
	get numberOfChannels() { return this._data.length; }

	getChannelData(channel) {
		const c = toUnsignedLong(channel);
		if (c >= this._data.length)
			throw domError('IndexSizeError',
				       `getChannelData: channel ${c} of ${this._data.length}`);
		this._exposed = true;
		return this._data[c];
	}

	copyFromChannel(destination, channelNumber, bufferOffset = 0) {
		if (!(destination instanceof Float32Array) || isShared(destination))
			throw new TypeError('copyFromChannel: destination must be a Float32Array ' +
					    'not on shared memory');
		const c = toUnsignedLong(channelNumber), off = toUnsignedLong(bufferOffset);
		if (c >= this._data.length)
			throw domError('IndexSizeError', `copyFromChannel: channel ${c}`);
		if (off >= this._length)
			return;
		const src = this._data[c];
		const n = Math.min(destination.length, this._length - off);
		destination.set(src.subarray(off, off + n));
	}

	copyToChannel(source, channelNumber, bufferOffset = 0) {
		if (!(source instanceof Float32Array) || isShared(source))
			throw new TypeError('copyToChannel: source must be a Float32Array ' +
					    'not on shared memory');
		const c = toUnsignedLong(channelNumber), off = toUnsignedLong(bufferOffset);
		if (c >= this._data.length)
			throw domError('IndexSizeError', `copyToChannel: channel ${c}`);
		if (off >= this._length)
			return;
		const n = Math.min(source.length, this._length - off);
		this._data[c].set(n === source.length ? source : source.subarray(0, n), off);
		this._handle = null;
	}

	// the engine's copy of the samples as they are now ("acquire the content").  the arrays
	// getChannelData handed out are not detached (as the spec would have it): code reads
	// them back after a start(), as browsers let it; a write to them after that is not heard
	[kInternal]() {
		if (this._handle && !this._exposed)
			return this._handle;
		this._handle = addon.buffer(this._rate, this._data, this._handle);
		handleOwner.set(this._handle, this);
		return this._handle;
	}
}

// WebIDL's typed arrays without [AllowShared]
function isShared(view) {
	return typeof SharedArrayBuffer === 'function' && view.buffer instanceof SharedArrayBuffer;
}

function detach(ab) {
	try {
		structuredClone(ab, { transfer: [ab] });
	} catch (e) {
		// not detachable (an addon's memory): the caller's copy goes its own way
	}
}

// --- PeriodicWave ------------------------------------------------------------------------------

class PeriodicWave {
	constructor(context, options) {
		checkContext(context, 'PeriodicWave');
		const o = toDict(options, 'PeriodicWave');
		const real = o.real === undefined ? null : toFloatSequence(o.real, 'PeriodicWave: real');
		const imag = o.imag === undefined ? null : toFloatSequence(o.imag, 'PeriodicWave: imag');
		try {
			this[kInternal] = addon.wave(real, imag, !!o.disableNormalization);
			handleOwner.set(this[kInternal], this);
		} catch (e) {
			throw mapError(e, 'PeriodicWave');
		}
		this._json = {
			real: real ? Array.from(real) : undefined,
			imag: imag ? Array.from(imag) : undefined,
			disableNormalization: !!o.disableNormalization,
		};
	}
}

function checkContext(ctx, what) {
	if (!(ctx instanceof BaseAudioContext))
		throw new TypeError(`${what}: the first argument must be a BaseAudioContext`);
}

// --- AudioParam ---------------------------------------------------------------------------------

class AudioParam {
	constructor(token, node, name, target) {
		if (token !== kInternal)
			throw new TypeError('Illegal constructor');
		const ctx = node._ctx;
		const info = ctx._engine.paramInfo(target);
		this._ctx = ctx;
		this._node = node;
		this._name = name;
		this._target = target;
		this._default = info[0];
		this._min = info[1];
		this._max = info[2];
		this._rate = info[3];
		this._fixedRate = info[4];
		this._value = ctx._engine.paramValue(target);	// the initial value
		this._setFrame = -1;	// frame at which value was last set
	}

	get defaultValue() { return this._default; }
	get minValue() { return this._min; }
	get maxValue() { return this._max; }
	get automationRate() { return this._rate; }

	set automationRate(v) {
		const s = String(v);
		if (!AUTOMATION_RATES.includes(s))
			return;
		if (this._fixedRate && s !== this._rate)
			throw domError('InvalidStateError',
				       `automationRate of ${this._target} cannot be changed`);
		this._ctx._call('param', this._target, 'automationRate', [], null, s);
		this._rate = s;
	}

	get value() {
		const ctx = this._ctx;
		if (ctx._live)
			return Math.fround(ctx._engine.paramModelValue(this._target, ctx.currentTime));
		if (ctx._engine.frame() > this._setFrame && ctx._engine.frame() > 0)
			return Math.fround(ctx._engine.paramValue(this._target));
		return this._value;
	}

	set value(v) {
		const x = toFloat(v, 'AudioParam.value');
		this._ctx._now();
		this._ctx._call('param', this._target, 'value', [x], null, null);
		this._value = x;
		this._setFrame = this._ctx._engine.frame();
	}

	_method(method, args) {
		this._ctx._now();
		this._ctx._call('param', this._target, method, args, null, null);
		return this;
	}

	setValueAtTime(value, startTime) {
		if (arguments.length < 2)
			throw new TypeError('setValueAtTime: 2 arguments required');
		return this._method('setValueAtTime', [toFloat(value, 'setValueAtTime: value'),
			toDouble(startTime, 'setValueAtTime: startTime')]);
	}

	linearRampToValueAtTime(value, endTime) {
		if (arguments.length < 2)
			throw new TypeError('linearRampToValueAtTime: 2 arguments required');
		return this._method('linearRampToValueAtTime', [
			toFloat(value, 'linearRampToValueAtTime: value'),
			toDouble(endTime, 'linearRampToValueAtTime: endTime')]);
	}

	exponentialRampToValueAtTime(value, endTime) {
		if (arguments.length < 2)
			throw new TypeError('exponentialRampToValueAtTime: 2 arguments required');
		return this._method('exponentialRampToValueAtTime', [
			toFloat(value, 'exponentialRampToValueAtTime: value'),
			toDouble(endTime, 'exponentialRampToValueAtTime: endTime')]);
	}

	setTargetAtTime(target, startTime, timeConstant) {
		if (arguments.length < 3)
			throw new TypeError('setTargetAtTime: 3 arguments required');
		return this._method('setTargetAtTime', [toFloat(target, 'setTargetAtTime: target'),
			toDouble(startTime, 'setTargetAtTime: startTime'),
			toFloat(timeConstant, 'setTargetAtTime: timeConstant')]);
	}

	setValueCurveAtTime(values, startTime, duration) {
		if (arguments.length < 3)
			throw new TypeError('setValueCurveAtTime: 3 arguments required');
		const curve = toFloatSequence(values, 'setValueCurveAtTime: values');
		const t = toDouble(startTime, 'setValueCurveAtTime: startTime');
		const d = toDouble(duration, 'setValueCurveAtTime: duration');
		this._ctx._now();
		this._ctx._call('param', this._target, 'setValueCurveAtTime', [t, d], curve, null);
		return this;
	}

	cancelScheduledValues(cancelTime) {
		if (arguments.length < 1)
			throw new TypeError('cancelScheduledValues: 1 argument required');
		return this._method('cancelScheduledValues',
				    [toDouble(cancelTime, 'cancelScheduledValues: cancelTime')]);
	}

	cancelAndHoldAtTime(cancelTime) {
		if (arguments.length < 1)
			throw new TypeError('cancelAndHoldAtTime: 1 argument required');
		return this._method('cancelAndHoldAtTime',
				    [toDouble(cancelTime, 'cancelAndHoldAtTime: cancelTime')]);
	}
}

// --- AudioNode ----------------------------------------------------------------------------------

// the AudioNodeOptions members, checked as the dictionary conversion does (TypeError for
// bad enums), into engine options
function channelOptions(o, out) {
	if (o.channelCount !== undefined)
		out.channelCount = toUnsignedLong(o.channelCount);
	if (o.channelCountMode !== undefined)
		out.channelCountMode = toEnum(o.channelCountMode, COUNT_MODES, 'channelCountMode');
	if (o.channelInterpretation !== undefined)
		out.channelInterpretation = toEnum(o.channelInterpretation, INTERPRETATIONS,
						   'channelInterpretation');
	return out;
}

// float params given as options
function paramOptions(o, names, out, what) {
	for (const p of names)
		if (o[p] !== undefined)
			out[p] = toFloat(o[p], `${what}: ${p}`);
	return out;
}

class AudioNode extends EventTarget {
	constructor(context, type, engineOptions, params, token) {
		if (token !== kInternal)
			throw new TypeError('Illegal constructor');
		super();
		this._ctx = context;
		this._type = type;
		if (type === 'AudioDestinationNode') {
			this._name = 'destination';
		} else if (type === 'AudioListener') {
			this._name = 'listener';
		} else {
			this._name = context._newName();
			context._call('create', type, this._name, engineOptions);
		}
		context._nodes.set(this._name, this);
		if (type !== 'AudioListener') {
			const info = context._engine.info(this._name);
			this._inputs = info[0];
			this._outputs = info[1];
		}
		this._p = {};
		for (const p of params || [])
			this._p[p] = new AudioParam(kInternal, this, p, `${this._name}.${p}`);
	}

	get context() { return this._ctx; }
	get numberOfInputs() { return this._inputs; }
	get numberOfOutputs() { return this._outputs; }
	get channelCount() { return this._ctx._engine.info(this._name)[2]; }
	get channelCountMode() { return this._ctx._engine.info(this._name)[3]; }
	get channelInterpretation() { return this._ctx._engine.info(this._name)[4]; }

	set channelCount(v) {
		this._ctx._call('set', this._name, 'channelCount', toUnsignedLong(v));
	}

	set channelCountMode(v) {
		const s = String(v);
		if (COUNT_MODES.includes(s))
			this._ctx._call('set', this._name, 'channelCountMode', s);
	}

	set channelInterpretation(v) {
		const s = String(v);
		if (INTERPRETATIONS.includes(s))
			this._ctx._call('set', this._name, 'channelInterpretation', s);
	}

	connect(destination, output = 0, input = 0) {
		const ctx = this._ctx;
		if (destination instanceof AudioParam) {
			const out = toUnsignedLong(output);
			if (destination._ctx !== ctx)
				throw domError('InvalidAccessError',
					       'connect: the AudioParam belongs to another context');
			if (out >= this._outputs)
				throw domError('IndexSizeError', `connect: output ${out} out of range`);
			ctx._call('connect', this._name, destination._target, out, null);
			return undefined;
		}
		if (!(destination instanceof AudioNode))
			throw new TypeError('connect: the destination must be an AudioNode or AudioParam');
		const out = toUnsignedLong(output), inp = toUnsignedLong(input);
		if (destination._ctx !== ctx)
			throw domError('InvalidAccessError', 'connect: the node belongs to another context');
		if (out >= this._outputs)
			throw domError('IndexSizeError', `connect: output ${out} out of range`);
		if (inp >= destination._inputs)
			throw domError('IndexSizeError', `connect: input ${inp} out of range`);
		// a cycle without a DelayNode is allowed: the engine mutes its nodes while it exists
		try {
			ctx._engine.connect(this._name, destination._name, out, inp);
			ctx._forward('connect', [this._name, destination._name, out, inp]);
		} catch (e) {
			throw mapError(e, 'connect');
		}
		return destination;
	}

	disconnect(destination, output, input) {
		const ctx = this._ctx;
		const n = arguments.length;

		if (n === 0 || (n === 1 && destination === undefined)) {
			ctx._call('disconnect', this._name, null, null, null);
			return;
		}
		if (!(destination instanceof AudioNode) && !(destination instanceof AudioParam)) {
			const out = toUnsignedLong(destination);
			if (out >= this._outputs)
				throw domError('IndexSizeError', `disconnect: output ${out} out of range`);
			ctx._call('disconnect', this._name, null, out, null);
			return;
		}
		if (destination._ctx !== ctx)
			throw domError('InvalidAccessError', 'disconnect: not connected to that destination');
		const out = n >= 2 ? toUnsignedLong(output) : null;
		const inp = n >= 3 && destination instanceof AudioNode ? toUnsignedLong(input) : null;
		if (out !== null && out >= this._outputs)
			throw domError('IndexSizeError', `disconnect: output ${out} out of range`);
		if (inp !== null && inp >= destination._inputs)
			throw domError('IndexSizeError', `disconnect: input ${inp} out of range`);
		const to = destination instanceof AudioParam ? destination._target : destination._name;
		try {
			ctx._engine.disconnect(this._name, to, out, inp);
			ctx._forward('disconnect', [this._name, to, out, inp]);
		} catch (e) {
			if (e.code === 'invalid_state')
				throw domError('InvalidAccessError', `disconnect: ${e.message}`);
			throw mapError(e, 'disconnect');
		}
	}
}

class AudioScheduledSourceNode extends AudioNode {
	constructor(context, type, engineOptions, params, token) {
		super(context, type, engineOptions, params, token);
		this._started = false;
		this._stopped = false;
	}

	start(when = 0) {
		const w = toDouble(when, 'start: when');
		if (w < 0)
			throw new RangeError(`start: when ${w} is negative`);
		if (this._started)
			throw domError('InvalidStateError', 'start: already called');
		this._ctx._now();
		this._ctx._call('start', this._name, w, NaN, NaN);
		this._started = true;
	}

	stop(when = 0) {
		const w = toDouble(when, 'stop: when');
		if (w < 0)
			throw new RangeError(`stop: when ${w} is negative`);
		if (!this._started)
			throw domError('InvalidStateError', 'stop: start() was not called');
		this._ctx._now();
		this._ctx._call('stop', this._name, w);
	}
}
eventHandler(AudioScheduledSourceNode.prototype, 'ended');

// --- node types ----------------------------------------------------------------------------------

function paramGetters(cls, names) {
	for (const p of names)
		Object.defineProperty(cls.prototype, p, {
			configurable: true, enumerable: true, get() { return this._p[p]; },
		});
}

class GainNode extends AudioNode {
	constructor(context, options) {
		checkContext(context, 'GainNode');
		const o = toDict(options, 'GainNode');
		super(context, 'GainNode', paramOptions(o, ['gain'], channelOptions(o, {}), 'GainNode'),
		      ['gain'], kInternal);
	}
}
paramGetters(GainNode, ['gain']);

class ConstantSourceNode extends AudioScheduledSourceNode {
	constructor(context, options) {
		checkContext(context, 'ConstantSourceNode');
		const o = toDict(options, 'ConstantSourceNode');
		super(context, 'ConstantSourceNode', paramOptions(o, ['offset'], {}, 'ConstantSourceNode'),
		      ['offset'], kInternal);
	}
}
paramGetters(ConstantSourceNode, ['offset']);

const OSC_TYPES = ['sine', 'square', 'sawtooth', 'triangle', 'custom'];

class OscillatorNode extends AudioScheduledSourceNode {
	constructor(context, options) {
		checkContext(context, 'OscillatorNode');
		const o = toDict(options, 'OscillatorNode');
		const eo = paramOptions(o, ['frequency', 'detune'], channelOptions(o, {}),
					'OscillatorNode');
		const type = o.type === undefined ? 'sine' : toEnum(o.type, OSC_TYPES, 'OscillatorNode: type');
		if (o.periodicWave !== undefined && !(o.periodicWave instanceof PeriodicWave))
			throw new TypeError('OscillatorNode: periodicWave must be a PeriodicWave');
		if (type === 'custom' && !o.periodicWave)
			throw domError('InvalidStateError',
				       'OscillatorNode: type "custom" needs a periodicWave');
		if (o.periodicWave)
			eo.periodicWave = o.periodicWave[kInternal];
		else
			eo.type = type;
		super(context, 'OscillatorNode', eo, ['frequency', 'detune'], kInternal);
		this._wave = o.periodicWave || null;
	}

	get type() { return this._ctx._engine.get(this._name, 'type'); }

	set type(v) {
		const s = String(v);
		if (!OSC_TYPES.includes(s))
			return;
		if (s === 'custom')
			throw domError('InvalidStateError', 'OscillatorNode.type: use setPeriodicWave()');
		this._ctx._call('set', this._name, 'type', s);
	}

	setPeriodicWave(wave) {
		if (!(wave instanceof PeriodicWave))
			throw new TypeError('setPeriodicWave: expected a PeriodicWave');
		this._ctx._call('set', this._name, 'periodicWave', wave[kInternal], wave);
		this._wave = wave;
	}
}
paramGetters(OscillatorNode, ['frequency', 'detune']);

class AudioBufferSourceNode extends AudioScheduledSourceNode {
	constructor(context, options) {
		checkContext(context, 'AudioBufferSourceNode');
		const o = toDict(options, 'AudioBufferSourceNode');
		const eo = paramOptions(o, ['playbackRate', 'detune'], {}, 'AudioBufferSourceNode');
		if (o.buffer !== undefined && o.buffer !== null && !(o.buffer instanceof AudioBuffer))
			throw new TypeError('AudioBufferSourceNode: buffer must be an AudioBuffer');
		if (o.loop !== undefined)
			eo.loop = !!o.loop;
		if (o.loopStart !== undefined)
			eo.loopStart = toDouble(o.loopStart, 'AudioBufferSourceNode: loopStart');
		if (o.loopEnd !== undefined)
			eo.loopEnd = toDouble(o.loopEnd, 'AudioBufferSourceNode: loopEnd');
		super(context, 'AudioBufferSourceNode', eo, ['playbackRate', 'detune'], kInternal);
		this._buffer = o.buffer || null;
		this._bufferSet = !!o.buffer;
		this._loop = !!eo.loop;
		this._loopStart = eo.loopStart || 0;
		this._loopEnd = eo.loopEnd || 0;
	}

	get buffer() { return this._buffer; }

	set buffer(b) {
		if (b !== null && !(b instanceof AudioBuffer))
			throw new TypeError('AudioBufferSourceNode.buffer: expected an AudioBuffer or null');
		if (b !== null && this._bufferSet)
			throw domError('InvalidStateError',
				       'AudioBufferSourceNode.buffer: already set (only null may follow)');
		if (b !== null)
			this._bufferSet = true;
		// the content is acquired at start(); once started, at once
		if (this._started)
			this._ctx._call('set', this._name, 'buffer', b ? b[kInternal]() : null, b);
		this._buffer = b;
	}

	get loop() { return this._loop; }
	set loop(v) {
		this._loop = !!v;
		this._ctx._call('set', this._name, 'loop', this._loop);
	}

	get loopStart() { return this._loopStart; }
	set loopStart(v) {
		const x = toDouble(v, 'loopStart');
		this._ctx._call('set', this._name, 'loopStart', x);
		this._loopStart = x;
	}

	get loopEnd() { return this._loopEnd; }
	set loopEnd(v) {
		const x = toDouble(v, 'loopEnd');
		this._ctx._call('set', this._name, 'loopEnd', x);
		this._loopEnd = x;
	}

	start(when = 0, offset, duration) {
		const w = toDouble(when, 'start: when');
		const off = offset === undefined ? NaN : toDouble(offset, 'start: offset');
		const dur = duration === undefined ? NaN : toDouble(duration, 'start: duration');
		if (w < 0 || off < 0 || dur < 0)
			throw new RangeError('start: when, offset and duration must not be negative');
		if (this._started)
			throw domError('InvalidStateError', 'start: already called');
		if (this._buffer)
			this._ctx._call('set', this._name, 'buffer', this._buffer[kInternal](), this._buffer);
		this._ctx._now();
		this._ctx._call('start', this._name, w, off, dur);
		this._started = true;
	}
}
paramGetters(AudioBufferSourceNode, ['playbackRate', 'detune']);

const BIQUAD_TYPES = ['lowpass', 'highpass', 'bandpass', 'lowshelf', 'highshelf', 'peaking',
	'notch', 'allpass'];

function frequencyResponse(node, freq, mag, phase) {
	if (!(freq instanceof Float32Array) || !(mag instanceof Float32Array) ||
	    !(phase instanceof Float32Array))
		throw new TypeError('getFrequencyResponse: expected three Float32Arrays');
	if (mag.length !== freq.length || phase.length !== freq.length)
		throw domError('InvalidAccessError',
			       'getFrequencyResponse: the arrays must have the same length');
	node._ctx._engine.response(node._name, freq, mag, phase);
}

class BiquadFilterNode extends AudioNode {
	constructor(context, options) {
		checkContext(context, 'BiquadFilterNode');
		const o = toDict(options, 'BiquadFilterNode');
		const eo = paramOptions(o, ['frequency', 'detune', 'Q', 'gain'], channelOptions(o, {}),
					'BiquadFilterNode');
		if (o.type !== undefined)
			eo.type = toEnum(o.type, BIQUAD_TYPES, 'BiquadFilterNode: type');
		super(context, 'BiquadFilterNode', eo, ['frequency', 'detune', 'Q', 'gain'], kInternal);
	}

	get type() { return this._ctx._engine.get(this._name, 'type'); }
	set type(v) {
		const s = String(v);
		if (BIQUAD_TYPES.includes(s))
			this._ctx._call('set', this._name, 'type', s);
	}

	getFrequencyResponse(frequencyHz, magResponse, phaseResponse) {
		frequencyResponse(this, frequencyHz, magResponse, phaseResponse);
	}
}
paramGetters(BiquadFilterNode, ['frequency', 'detune', 'Q', 'gain']);

class IIRFilterNode extends AudioNode {
	constructor(context, options) {
		checkContext(context, 'IIRFilterNode');
		const o = toDict(options, 'IIRFilterNode');
		if (o.feedforward === undefined || o.feedback === undefined)
			throw new TypeError('IIRFilterNode: feedforward and feedback are required');
		const eo = channelOptions(o, {});
		eo.feedforward = toDoubleSequence(o.feedforward, 'IIRFilterNode: feedforward');
		eo.feedback = toDoubleSequence(o.feedback, 'IIRFilterNode: feedback');
		super(context, 'IIRFilterNode', eo, [], kInternal);
	}

	getFrequencyResponse(frequencyHz, magResponse, phaseResponse) {
		frequencyResponse(this, frequencyHz, magResponse, phaseResponse);
	}
}

class DelayNode extends AudioNode {
	constructor(context, options) {
		checkContext(context, 'DelayNode');
		const o = toDict(options, 'DelayNode');
		const eo = paramOptions(o, ['delayTime'], channelOptions(o, {}), 'DelayNode');
		if (o.maxDelayTime !== undefined)
			eo.maxDelayTime = toDouble(o.maxDelayTime, 'DelayNode: maxDelayTime');
		super(context, 'DelayNode', eo, ['delayTime'], kInternal);
	}
}
paramGetters(DelayNode, ['delayTime']);

class StereoPannerNode extends AudioNode {
	constructor(context, options) {
		checkContext(context, 'StereoPannerNode');
		const o = toDict(options, 'StereoPannerNode');
		super(context, 'StereoPannerNode', paramOptions(o, ['pan'], channelOptions(o, {}),
								'StereoPannerNode'), ['pan'], kInternal);
	}
}
paramGetters(StereoPannerNode, ['pan']);

const PANNER_PARAMS = ['positionX', 'positionY', 'positionZ', 'orientationX', 'orientationY',
	'orientationZ'];
const PANNING_MODELS = ['equalpower', 'HRTF'];
const DISTANCE_MODELS = ['linear', 'inverse', 'exponential'];
const PANNER_NUMBERS = ['refDistance', 'maxDistance', 'rolloffFactor', 'coneInnerAngle',
	'coneOuterAngle', 'coneOuterGain'];

class PannerNode extends AudioNode {
	constructor(context, options) {
		checkContext(context, 'PannerNode');
		const o = toDict(options, 'PannerNode');
		const eo = paramOptions(o, PANNER_PARAMS, channelOptions(o, {}), 'PannerNode');
		if (o.panningModel !== undefined)
			eo.panningModel = toEnum(o.panningModel, PANNING_MODELS, 'PannerNode: panningModel');
		if (o.distanceModel !== undefined)
			eo.distanceModel = toEnum(o.distanceModel, DISTANCE_MODELS,
						  'PannerNode: distanceModel');
		for (const k of PANNER_NUMBERS)
			if (o[k] !== undefined)
				eo[k] = toDouble(o[k], `PannerNode: ${k}`);
		super(context, 'PannerNode', eo, PANNER_PARAMS, kInternal);
	}

	get panningModel() { return this._ctx._engine.get(this._name, 'panningModel'); }
	set panningModel(v) {
		const s = String(v);
		if (PANNING_MODELS.includes(s))
			this._ctx._call('set', this._name, 'panningModel', s);
	}

	get distanceModel() { return this._ctx._engine.get(this._name, 'distanceModel'); }
	set distanceModel(v) {
		const s = String(v);
		if (DISTANCE_MODELS.includes(s))
			this._ctx._call('set', this._name, 'distanceModel', s);
	}

	setPosition(x, y, z) {
		this.positionX.value = x;
		this.positionY.value = y;
		this.positionZ.value = z;
	}

	setOrientation(x, y, z) {
		this.orientationX.value = x;
		this.orientationY.value = y;
		this.orientationZ.value = z;
	}
}
paramGetters(PannerNode, PANNER_PARAMS);
for (const k of PANNER_NUMBERS)
	Object.defineProperty(PannerNode.prototype, k, {
		configurable: true, enumerable: true,
		get() { return this._ctx._engine.get(this._name, k); },
		set(v) { this._ctx._call('set', this._name, k, toDouble(v, `PannerNode.${k}`)); },
	});

const COMPRESSOR_PARAMS = ['threshold', 'knee', 'ratio', 'attack', 'release'];

class DynamicsCompressorNode extends AudioNode {
	constructor(context, options) {
		checkContext(context, 'DynamicsCompressorNode');
		const o = toDict(options, 'DynamicsCompressorNode');
		super(context, 'DynamicsCompressorNode', paramOptions(o, COMPRESSOR_PARAMS,
			channelOptions(o, {}), 'DynamicsCompressorNode'), COMPRESSOR_PARAMS, kInternal);
	}

	get reduction() { return Math.fround(this._ctx._engine.get(this._name, 'reduction')); }
}
paramGetters(DynamicsCompressorNode, COMPRESSOR_PARAMS);

const OVERSAMPLE = ['none', '2x', '4x'];

class WaveShaperNode extends AudioNode {
	constructor(context, options) {
		checkContext(context, 'WaveShaperNode');
		const o = toDict(options, 'WaveShaperNode');
		const eo = channelOptions(o, {});
		let curve = null;
		if (o.curve !== undefined && o.curve !== null) {
			curve = toFloatSequence(o.curve, 'WaveShaperNode: curve');
			eo.curve = curve;
		}
		if (o.oversample !== undefined)
			eo.oversample = toEnum(o.oversample, OVERSAMPLE, 'WaveShaperNode: oversample');
		super(context, 'WaveShaperNode', eo, [], kInternal);
		this._curve = curve;
	}

	get curve() { return this._curve; }
	set curve(v) {
		if (v !== null && !(v instanceof Float32Array))
			throw new TypeError('WaveShaperNode.curve: expected a Float32Array or null');
		const copy = v === null ? null : Float32Array.from(v);
		this._ctx._call('set', this._name, 'curve', copy);
		this._curve = copy;
	}

	get oversample() { return this._ctx._engine.get(this._name, 'oversample'); }
	set oversample(v) {
		const s = String(v);
		if (OVERSAMPLE.includes(s))
			this._ctx._call('set', this._name, 'oversample', s);
	}
}

class ConvolverNode extends AudioNode {
	constructor(context, options) {
		checkContext(context, 'ConvolverNode');
		const o = toDict(options, 'ConvolverNode');
		const eo = channelOptions(o, {});
		if (o.buffer !== undefined && o.buffer !== null && !(o.buffer instanceof AudioBuffer))
			throw new TypeError('ConvolverNode: buffer must be an AudioBuffer');
		eo.disableNormalization = !!o.disableNormalization;
		if (o.buffer)
			eo.buffer = o.buffer[kInternal]();
		super(context, 'ConvolverNode', eo, [], kInternal);
		this._buffer = o.buffer || null;
		this._normalize = !o.disableNormalization;
	}

	get buffer() { return this._buffer; }
	set buffer(b) {
		if (b !== null && !(b instanceof AudioBuffer))
			throw new TypeError('ConvolverNode.buffer: expected an AudioBuffer or null');
		this._ctx._call('set', this._name, 'buffer', b ? b[kInternal]() : null, b);
		this._buffer = b;
	}

	get normalize() { return this._normalize; }
	set normalize(v) {
		this._normalize = !!v;
		this._ctx._call('set', this._name, 'normalize', this._normalize);
	}
}

class AnalyserNode extends AudioNode {
	constructor(context, options) {
		checkContext(context, 'AnalyserNode');
		const o = toDict(options, 'AnalyserNode');
		const eo = channelOptions(o, {});
		if (o.fftSize !== undefined)
			eo.fftSize = toUnsignedLong(o.fftSize);
		for (const k of ['minDecibels', 'maxDecibels', 'smoothingTimeConstant'])
			if (o[k] !== undefined)
				eo[k] = toDouble(o[k], `AnalyserNode: ${k}`);
		super(context, 'AnalyserNode', eo, [], kInternal);
	}

	get fftSize() { return this._ctx._engine.get(this._name, 'fftSize'); }
	set fftSize(v) { this._ctx._call('set', this._name, 'fftSize', toUnsignedLong(v)); }
	get frequencyBinCount() { return this.fftSize / 2; }

	_read(method, array, type) {
		if (!(array instanceof type))
			throw new TypeError(`${method}: expected a ${type.name}`);
		this._ctx._engine.analyser(this._name, ['getFloatTimeDomainData',
			'getByteTimeDomainData', 'getFloatFrequencyData',
			'getByteFrequencyData'].indexOf(method), array);
	}

	getFloatTimeDomainData(a) { this._read('getFloatTimeDomainData', a, Float32Array); }
	getByteTimeDomainData(a) { this._read('getByteTimeDomainData', a, Uint8Array); }
	getFloatFrequencyData(a) { this._read('getFloatFrequencyData', a, Float32Array); }
	getByteFrequencyData(a) { this._read('getByteFrequencyData', a, Uint8Array); }
}
for (const k of ['minDecibels', 'maxDecibels', 'smoothingTimeConstant'])
	Object.defineProperty(AnalyserNode.prototype, k, {
		configurable: true, enumerable: true,
		get() { return this._ctx._engine.get(this._name, k); },
		set(v) { this._ctx._call('set', this._name, k, toDouble(v, `AnalyserNode.${k}`)); },
	});

class ChannelSplitterNode extends AudioNode {
	constructor(context, options) {
		checkContext(context, 'ChannelSplitterNode');
		const o = toDict(options, 'ChannelSplitterNode');
		const eo = channelOptions(o, {});
		if (o.numberOfOutputs !== undefined)
			eo.numberOfOutputs = toUnsignedLong(o.numberOfOutputs);
		// its channel settings are fixed: channelCount = numberOfOutputs, explicit, discrete
		const outs = eo.numberOfOutputs === undefined ? 6 : eo.numberOfOutputs;
		if ((eo.channelCount !== undefined && eo.channelCount !== outs) ||
		    (eo.channelCountMode !== undefined && eo.channelCountMode !== 'explicit') ||
		    (eo.channelInterpretation !== undefined && eo.channelInterpretation !== 'discrete'))
			throw domError('InvalidStateError',
				       'ChannelSplitterNode: its channel settings cannot be changed');
		super(context, 'ChannelSplitterNode', eo, [], kInternal);
	}
}

class ChannelMergerNode extends AudioNode {
	constructor(context, options) {
		checkContext(context, 'ChannelMergerNode');
		const o = toDict(options, 'ChannelMergerNode');
		const eo = channelOptions(o, {});
		if (o.numberOfInputs !== undefined)
			eo.numberOfInputs = toUnsignedLong(o.numberOfInputs);
		if ((eo.channelCount !== undefined && eo.channelCount !== 1) ||
		    (eo.channelCountMode !== undefined && eo.channelCountMode !== 'explicit'))
			throw domError('InvalidStateError',
				       'ChannelMergerNode: its channel settings cannot be changed');
		super(context, 'ChannelMergerNode', eo, [], kInternal);
	}
}

class AudioDestinationNode extends AudioNode {
	constructor(token, context, maxChannels) {
		if (token !== kInternal)
			throw new TypeError('Illegal constructor');
		super(context, 'AudioDestinationNode', null, [], kInternal);
		this._maxChannels = maxChannels;
	}

	get maxChannelCount() { return this._maxChannels; }

	set channelCount(v) {
		const n = toUnsignedLong(v);
		if (n > this._maxChannels)
			throw domError('IndexSizeError',
				       `channelCount ${n} is above maxChannelCount ${this._maxChannels}`);
		this._ctx._call('set', this._name, 'channelCount', n);
	}

	get channelCount() { return super.channelCount; }
}

const LISTENER_PARAMS = ['positionX', 'positionY', 'positionZ', 'forwardX', 'forwardY',
	'forwardZ', 'upX', 'upY', 'upZ'];

class AudioListener {
	constructor(token, context) {
		if (token !== kInternal)
			throw new TypeError('Illegal constructor');
		this._ctx = context;
		this._name = 'listener';
		this._p = {};
		for (const p of LISTENER_PARAMS)
			this._p[p] = new AudioParam(kInternal, this, p, `listener.${p}`);
	}

	setPosition(x, y, z) {
		this.positionX.value = x;
		this.positionY.value = y;
		this.positionZ.value = z;
	}

	setOrientation(x, y, z, xUp, yUp, zUp) {
		this.forwardX.value = x;
		this.forwardY.value = y;
		this.forwardZ.value = z;
		this.upX.value = xUp;
		this.upY.value = yUp;
		this.upZ.value = zUp;
	}
}
paramGetters(AudioListener, LISTENER_PARAMS);

// --- contexts ------------------------------------------------------------------------------------

class OfflineAudioCompletionEvent extends Event {
	constructor(type, init) {
		super(type, init);
		if (!init || !(init.renderedBuffer instanceof AudioBuffer))
			throw new TypeError('OfflineAudioCompletionEvent: renderedBuffer is required');
		this._buffer = init.renderedBuffer;
	}

	get renderedBuffer() { return this._buffer; }
}

class BaseAudioContext extends EventTarget {
	constructor(token, rate, channels, maxChannels, live) {
		if (token !== kInternal)
			throw new TypeError('Illegal constructor');
		super();
		try {
			this._engine = new addon.Engine(rate, channels);
		} catch (e) {
			throw mapError(e, 'context');
		}
		this._rate = rate;
		this._live = !!live;
		this._state = 'suspended';
		this._nodes = new Map();
		this._serial = 0;
		this._destination = new AudioDestinationNode(kInternal, this, maxChannels);
		this._listener = new AudioListener(kInternal, this);
	}

	get sampleRate() { return this._rate; }
	get currentTime() { return this._engine.frame() / this._rate; }
	get destination() { return this._destination; }
	get listener() { return this._listener; }
	get state() { return this._state; }
	get audioWorklet() { return undefined; }

	_newName() {
		return `n${++this._serial}`;
	}

	// the context time ops prepared now take effect at
	_now() {
		this._engine.setNow(this.currentTime);
	}

	// one engine call, its error as the spec's exception; a live context sends it on
	_call(method, ...args) {
		try {
			this._engine[method](...args);
		} catch (e) {
			throw mapError(e, method);
		}
		this._forward(method, args);
	}

	_forward() {
		// offline: the engine is the renderer
	}

	// the state changes now, and its statechange event is fired now or, queued, as a task.
	// a promise that goes with the change is resolved first (its reactions run after the
	// event's listeners, as the spec's task does)
	_setState(s, queued) {
		if (this._state === s)
			return;
		this._state = s;
		if (queued)
			setImmediate(() => this.dispatchEvent(new Event('statechange')));
		else
			this.dispatchEvent(new Event('statechange'));
	}

	// the engine's `ended` events, dispatched at their nodes
	_dispatchEnded() {
		for (const [name] of this._engine.events()) {
			const node = this._nodes.get(name);
			if (node)
				node.dispatchEvent(new Event('ended'));
		}
	}

	createGain() { return new GainNode(this); }
	createConstantSource() { return new ConstantSourceNode(this); }
	createOscillator() { return new OscillatorNode(this); }
	createBufferSource() { return new AudioBufferSourceNode(this); }
	createBiquadFilter() { return new BiquadFilterNode(this); }
	createDelay(maxDelayTime = 1) {
		return new DelayNode(this, { maxDelayTime });
	}
	createStereoPanner() { return new StereoPannerNode(this); }
	createPanner() { return new PannerNode(this); }
	createDynamicsCompressor() { return new DynamicsCompressorNode(this); }
	createWaveShaper() { return new WaveShaperNode(this); }
	createConvolver() { return new ConvolverNode(this); }
	createAnalyser() { return new AnalyserNode(this); }
	createChannelSplitter(numberOfOutputs = 6) {
		return new ChannelSplitterNode(this, { numberOfOutputs });
	}
	createChannelMerger(numberOfInputs = 6) {
		return new ChannelMergerNode(this, { numberOfInputs });
	}
	createIIRFilter(feedforward, feedback) {
		return new IIRFilterNode(this, { feedforward, feedback });
	}
	createPeriodicWave(real, imag, constraints) {
		const c = toDict(constraints, 'createPeriodicWave');
		return new PeriodicWave(this, { real, imag,
			disableNormalization: !!c.disableNormalization });
	}
	createBuffer(numberOfChannels, length, sampleRate) {
		if (arguments.length < 3)
			throw new TypeError('createBuffer: 3 arguments required');
		return new AudioBuffer({ numberOfChannels, length, sampleRate });
	}
	createScriptProcessor() {
		throw domError('NotSupportedError', 'ScriptProcessorNode is not supported by audiod');
	}

	decodeAudioData(audioData, successCallback, errorCallback) {
		const ok = typeof successCallback === 'function' ? successCallback : null;
		const fail = typeof errorCallback === 'function' ? errorCallback : null;
		if (!(audioData instanceof ArrayBuffer)) {
			const e = new TypeError('decodeAudioData: expected an ArrayBuffer');
			return Promise.reject(e);
		}
		if (audioData.detached || audioData.byteLength === 0 && isDetached(audioData)) {
			const e = domError('DataCloneError', 'decodeAudioData: the ArrayBuffer is detached');
			if (fail)
				queueMicrotask(() => fail(e));
			return Promise.reject(e);
		}
		const bytes = new Uint8Array(audioData.slice(0));
		// the spec detaches the caller's ArrayBuffer
		detach(audioData);
		return new Promise((resolve, reject) => {
			addon.decode(bytes, this._rate, (err, channels) => {
				if (err) {
					const e = domError('EncodingError', `decodeAudioData: ${err}`);
					if (fail)
						fail(e);
					reject(e);
					return;
				}
				const b = new AudioBuffer({ numberOfChannels: channels.length,
					length: channels[0].length, sampleRate: this._rate,
					[kInternal]: channels });
				if (ok)
					ok(b);
				resolve(b);
			});
		});
	}
}
eventHandler(BaseAudioContext.prototype, 'statechange');

function isDetached(ab) {
	try {
		new Uint8Array(ab);
		return false;
	} catch (e) {
		return true;
	}
}

class OfflineAudioContext extends BaseAudioContext {
	constructor(a, b, c) {
		let o;
		if (arguments.length >= 3) {
			o = { numberOfChannels: a, length: b, sampleRate: c };
		} else if (a !== null && typeof a === 'object') {
			o = a;
			if (o.length === undefined)
				throw new TypeError("OfflineAudioContext: required member 'length' is missing");
			if (o.sampleRate === undefined)
				throw new TypeError("OfflineAudioContext: required member 'sampleRate' is missing");
		} else {
			throw new TypeError('OfflineAudioContext: expected options or 3 arguments');
		}
		const channels = o.numberOfChannels === undefined ? 1 : toUnsignedLong(o.numberOfChannels);
		const length = toUnsignedLong(o.length);
		const rate = toFloat(o.sampleRate, 'OfflineAudioContext: sampleRate');
		if (channels < 1 || channels > MAX_CHANNELS)
			throw domError('NotSupportedError',
				       `OfflineAudioContext: numberOfChannels ${channels} is outside 1..32`);
		if (length < 1)
			throw domError('NotSupportedError', 'OfflineAudioContext: length must be at least 1');
		if (!(rate >= MIN_RATE && rate <= MAX_RATE))
			throw domError('NotSupportedError',
				       `OfflineAudioContext: sampleRate ${rate} is outside 3000..768000`);
		super(kInternal, rate, channels, channels, false);
		this._length = length;
		this._channels = channels;
		this._started = false;
		this._suspends = new Map();	// frame -> resolve
		this._rendering = false;
	}

	get length() { return this._length; }

	startRendering() {
		if (this._started)
			return Promise.reject(domError('InvalidStateError',
						       'startRendering: already called'));
		this._started = true;
		const data = Array.from({ length: this._channels }, () => addon.channel(this._length));
		this._buffer = new AudioBuffer({ numberOfChannels: this._channels,
						 length: this._length, sampleRate: this._rate,
						 [kInternal]: data });
		return new Promise((resolve, reject) => {
			this._done = { resolve, reject };
			this._setState('running', true);
			this._renderNext();
		});
	}

	// renders up to the next suspend point, or to the end
	_renderNext() {
		let to = this._length;
		for (const f of this._suspends.keys())
			if (f < to && f >= this._engine.frame())
				to = f;
		this._rendering = true;
		this._engine.render(this._buffer._data, to, (err) => {
			this._rendering = false;
			this._dispatchEnded();
			if (err) {
				this._done.reject(new Error(err));
				return;
			}
			const frame = this._engine.frame();
			if (frame >= this._length) {
				this._finish();
				return;
			}
			const resolve = this._suspends.get(frame);
			if (resolve) {
				this._suspends.delete(frame);
				resolve();
				this._setState('suspended');
				return;
			}
			this._renderNext();
		});
	}

	_finish() {
		const buf = this._buffer;
		this._done.resolve(buf);
		this._setState('closed');
		setImmediate(() => {
			this.dispatchEvent(new OfflineAudioCompletionEvent('complete',
									   { renderedBuffer: buf }));
		});
	}

	suspend(suspendTime) {
		let t;
		try {
			t = toDouble(suspendTime, 'suspend: suspendTime');
		} catch (e) {
			return Promise.reject(e);
		}
		const frame = Math.ceil(Math.round(t * this._rate * 1e6) / 1e6 / 128) * 128;
		if (t < 0)
			return Promise.reject(domError('InvalidStateError', 'suspend: negative time'));
		if (frame <= this._engine.frame() && this._started)
			return Promise.reject(domError('InvalidStateError',
						       'suspend: the time has already passed'));
		if (frame >= this._length)
			return Promise.reject(domError('InvalidStateError',
						       'suspend: the time is past the end of the render'));
		if (this._suspends.has(frame))
			return Promise.reject(domError('InvalidStateError',
						       'suspend: a suspend is already scheduled then'));
		return new Promise((resolve) => this._suspends.set(frame, resolve));
	}

	resume() {
		if (this._state === 'closed')
			return Promise.reject(domError('InvalidStateError', 'resume: the context is closed'));
		if (!this._started)
			return Promise.reject(domError('InvalidStateError',
						       'resume: startRendering() was not called'));
		if (this._state === 'suspended' && !this._rendering) {
			this._setState('running', true);
			this._renderNext();
		}
		return Promise.resolve();
	}
}
eventHandler(OfflineAudioContext.prototype, 'complete');

// no AudioWorklet: no processor name is ever registered, and the constructor throws as the
// spec says for a name that is not
class AudioWorkletNode {
	constructor(context, name) {
		checkContext(context, 'AudioWorkletNode');
		if (arguments.length < 2)
			throw new TypeError('AudioWorkletNode: 2 arguments required');
		throw domError('InvalidStateError', `AudioWorkletNode: no AudioWorkletProcessor ` +
			       `named "${String(name)}" is registered (audiod has no AudioWorklet)`);
	}
}

class ScriptProcessorNode {
	constructor() {
		throw domError('NotSupportedError', 'ScriptProcessorNode is not supported by audiod');
	}
}

module.exports = {
	kInternal, handleOwner, BaseAudioContext, OfflineAudioContext, OfflineAudioCompletionEvent,
	AudioNode, AudioScheduledSourceNode, AudioParam, AudioBuffer, PeriodicWave,
	AudioDestinationNode, AudioListener, GainNode, ConstantSourceNode, OscillatorNode,
	AudioBufferSourceNode, BiquadFilterNode, IIRFilterNode, DelayNode, StereoPannerNode,
	PannerNode, DynamicsCompressorNode, WaveShaperNode, ConvolverNode, AnalyserNode,
	ChannelSplitterNode, ChannelMergerNode, AudioWorkletNode, ScriptProcessorNode,
	mapError, domError, FLT_MAX, toEnforcedUnsignedLong, eventHandler,
};
