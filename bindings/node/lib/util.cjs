'use strict';
// WebIDL conversions and the spec's exceptions, shared by the package's classes.
// main thread only, as all of the package's JavaScript.

const FLT_MAX = 3.4028234663852886e38;

function domError(name, msg) {
	return new DOMException(msg, name);
}

// an engine error (Error with .code, the protocol's spelling) as the spec's exception
function mapError(e, what) {
	if (!e || typeof e.code !== 'string' || e instanceof DOMException)
		return e;
	const msg = what ? `${what}: ${e.message}` : e.message;
	switch (e.code) {
	case 'invalid_value': return new RangeError(msg);
	case 'index_size': return domError('IndexSizeError', msg);
	case 'invalid_state': return domError('InvalidStateError', msg);
	case 'not_supported': return domError('NotSupportedError', msg);
	case 'io': return domError('EncodingError', msg);
	case 'bad_request': case 'unknown_param': case 'unknown_attr': case 'unknown_type':
	case 'unknown_node': return new TypeError(msg);
	default: return e;
	}
}

function toNumber(v) {
	if (typeof v === 'bigint')
		throw new TypeError('cannot convert a BigInt to a number');
	return Number(v);
}

// restricted float / double: TypeError for NaN and infinities
function toFloat(v, what) {
	const n = Math.fround(toNumber(v));
	if (!Number.isFinite(n))
		throw new TypeError(`${what}: the value is not a finite floating-point value`);
	return n;
}

function toDouble(v, what) {
	const n = toNumber(v);
	if (!Number.isFinite(n))
		throw new TypeError(`${what}: the value is not a finite floating-point value`);
	return n;
}

function toUnrestrictedFloat(v) {
	return Math.fround(toNumber(v));
}

// unsigned long without [EnforceRange]: modulo 2^32
function toUnsignedLong(v) {
	let n = toNumber(v);
	if (!Number.isFinite(n))
		return 0;
	n = Math.trunc(n) % 4294967296;
	return n < 0 ? n + 4294967296 : n + 0;
}

// unsigned long with [EnforceRange]
function toEnforcedUnsignedLong(v, what) {
	let n = toNumber(v);
	if (!Number.isFinite(n))
		throw new TypeError(`${what}: not a finite number`);
	n = Math.trunc(n);
	if (n < 0 || n > 4294967295)
		throw new TypeError(`${what}: ${n} is outside the range of unsigned long`);
	return n + 0;
}

function toEnum(v, values, what) {
	const s = String(v);
	if (!values.includes(s))
		throw new TypeError(`${what}: "${s}" is not a valid value (${values.join(', ')})`);
	return s;
}

// a dictionary argument: undefined and null are an empty one
function toDict(v, what) {
	if (v === undefined || v === null)
		return {};
	if (typeof v !== 'object' && typeof v !== 'function')
		throw new TypeError(`${what}: expected an object`);
	return v;
}

// sequence<float> (TypeError for non-finite members) as a Float32Array
function toFloatSequence(v, what) {
	if (v === null || typeof v !== 'object' || typeof v[Symbol.iterator] !== 'function')
		throw new TypeError(`${what}: expected a sequence of numbers`);
	const a = Float32Array.from(v, (x) => toFloat(x, what));
	return a;
}

function toDoubleSequence(v, what) {
	if (v === null || typeof v !== 'object' || typeof v[Symbol.iterator] !== 'function')
		throw new TypeError(`${what}: expected a sequence of numbers`);
	return Float64Array.from(v, (x) => toDouble(x, what));
}

module.exports = {
	FLT_MAX, domError, mapError, toFloat, toDouble, toUnrestrictedFloat, toUnsignedLong,
	toEnforcedUnsignedLong, toEnum, toDict, toFloatSequence, toDoubleSequence,
};
