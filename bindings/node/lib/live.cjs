'use strict';
// AudioContext: plays through the audiod daemon (placeholder until the socket client lands)
const { domError } = require('./util.cjs');

class AudioContext {
	constructor() {
		throw domError('NotSupportedError', 'AudioContext: not available yet');
	}
}

module.exports = { AudioContext };
