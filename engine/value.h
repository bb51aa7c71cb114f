/* a tagged value: node options and attribute values as the engine receives them.
 * plain data; the caller owns whatever the pointers point to. */
#ifndef AUDIOD_VALUE_H
#define AUDIOD_VALUE_H

#include <stdbool.h>
#include <stddef.h>

struct audio_buffer;
struct periodic_wave;

enum value_type {
	VALUE_NULL,
	VALUE_NUMBER,
	VALUE_BOOL,
	VALUE_STRING,
	VALUE_ARRAY,	/* numbers: curve, feedforward, feedback */
	VALUE_BUFFER,	/* an AudioBuffer (reference counted by the caller) */
	VALUE_WAVE,	/* a PeriodicWave */
};

struct value {
	enum value_type type;
	union {
		double num;
		bool b;
		const char *str;
		struct {
			const double *v;
			size_t n;
		} arr;
		struct audio_buffer *buf;
		struct periodic_wave *wave;
	};
};

/* one `name: value` of a node's options dictionary */
struct option {
	const char *name;
	struct value value;
};

const char *value_type_name(enum value_type t);

#endif
