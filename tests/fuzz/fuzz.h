/* shared by the fuzz targets (tests/fuzz/README.md): the libFuzzer entry point, which
 * replay.c also calls, and the harness's guards on inputs that are costly by design rather
 * than wrong (gigabyte buffers, files outside the fixture folder, hour-long renders). */
#ifndef AUDIOD_FUZZ_H
#define AUDIOD_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/error.h"

struct json_object;

/* every target defines it; libFuzzer or replay.c's main calls it once per input */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the most samples a buffer may take in one input: bufspec_load's own cap (2^30 samples,
 * 4 GiB) is far beyond what a fuzzing process may allocate per input */
#define FUZZ_MAX_SAMPLES ((double)(1 << 20))

/* the input as a NUL-terminated string in an allocation of exactly size + 1 bytes, so ASan
 * sees any read past it; free() it */
char *fuzz_text(const uint8_t *data, size_t size);

/* false when a BUFSPEC would read a file outside the fixture folder (an absolute path, or
 * one with ".."): the input is then skipped.  specs of the wrong shape pass, so their errors
 * are still exercised. */
bool fuzz_bufspec_file_allowed(struct json_object *spec);
/* the same, and false too when it would generate more than FUZZ_MAX_SAMPLES: for callers of
 * bufspec_load, which has no budget (bufspec_load_max callers pass their own) */
bool fuzz_bufspec_allowed(struct json_object *spec);
/* the same for every value of a document's "buffers" object (anything else passes) */
bool fuzz_buffers_files_allowed(struct json_object *buffers);
bool fuzz_buffers_allowed(struct json_object *buffers);

/* once per process, before the first input: unless FUZZ_HRTF is set, points
 * AUDIOD_HRTF_SOFA at a file that does not exist.  a document loads the 1 MB SOFA dataset
 * into its own cache, so every input with an HRTF panner would read and resample it again
 * (most of the time of such an input); without it they take the io error path. */
void fuzz_setup(void);

/* the fixture folder holding the small sound files file specs may name */
const char *fuzz_files_dir(void);

/* a refused input must carry a protocol code and a message: aborts (a crash for the fuzzer)
 * naming what when it does not */
void fuzz_check_error(const struct error *err, const char *what);

#endif
