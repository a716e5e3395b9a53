/* What the walker promises whatever the target holds: the fuzzers' oracle.
 * A broken promise aborts, so that libFuzzer keeps the input. */
#ifndef PYFLAME_FUZZ_SAMPLE_CHECK_H
#define PYFLAME_FUZZ_SAMPLE_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pyflame/pyflame.h>

/* Remembers which file and name each frame key came with, for as long as
 * one walker stays open (the promise of pyflame_frame.key). */
struct frame_keys;

struct frame_keys *frame_keys_new(void);
void frame_keys_free(struct frame_keys *keys);
/* Aborts if `f`'s key was seen before with another file or name. */
void frame_keys_check(struct frame_keys *keys, const pyflame_frame *f);

/* Checks what pyflame_walker_open returned. */
void open_check(const void *state, int status, const char *err, size_t errlen);

/* Checks a sample taken with `flags` that pyflame_walker_sample answered `rc`:
 * bounds, valid UTF-8, flags, and the frame keys.  `changed`: the target
 * changed while the sample read it, which alone lets it be torn. */
void sample_check(const pyflame_sample *s, int rc, uint32_t flags, bool changed,
                  struct frame_keys *keys);

#endif
