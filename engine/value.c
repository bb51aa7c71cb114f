/* names of value types, for error messages.  any thread. */
#include "value.h"

const char *value_type_name(enum value_type t)
{
	switch (t) {
	case VALUE_NULL: return "null";
	case VALUE_NUMBER: return "a number";
	case VALUE_BOOL: return "a boolean";
	case VALUE_STRING: return "a string";
	case VALUE_ARRAY: return "an array of numbers";
	case VALUE_BUFFER: return "a buffer";
	case VALUE_WAVE: return "a PeriodicWave";
	}
	return "?";
}
