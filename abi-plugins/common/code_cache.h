/* Code objects of the target, cached by address.
 *
 * A frame names its code object by address; the file name, function name
 * and line table behind it cost several reads, so they are kept here.  On
 * every use the code object's fixed header is read again (one read) and the
 * cached entry is trusted only if the pointers it was built from are still
 * the same: a freed and reused address gets a fresh entry.
 *
 * Memory is bounded: a fixed table with a few ways per bucket, and a cap on
 * the bytes of names and line tables it holds.  Entries used by the sample
 * being built are never evicted; when a bucket is full of them, a temporary
 * entry is used and freed at the next sample.  (The core's per-sample read
 * budget bounds what one sample can add.) */
#ifndef PYFLAME_ABI_CODE_CACHE_H
#define PYFLAME_ABI_CODE_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include <pyflame/pyflame.h>

#include "layout.h"

/* Bytes of a code object's fixed header read, at most (layout code.size). */
#define CODE_HEAD_MAX 512

struct code_info {
    uint64_t addr;
    /* What the entry was built from, compared on every use. */
    uint64_t filename_ptr, name_ptr, linetable_ptr;
    int32_t firstlineno;
    /* What a frame needs. */
    uint64_t code_bytes; /* length of the bytecode */
    char *file, *name;
    uint8_t *lines;
    size_t nlines;
    uint64_t key; /* unique per fill, for pyflame_frame.key */
    /* The last line asked for: a caller's frame stays on one instruction
     * from sample to sample. */
    long memo_offset;
    int memo_line;
    uint64_t epoch; /* last sample that used it */
    struct code_info *next_temp;
};

struct code_types {
    uint64_t code, str, bytes; /* type object addresses, 0 when unknown */
};

struct code_cache;

struct code_cache *pyflame_code_cache_new(const pyflame_host *host,
                                          const struct py_layout *layout,
                                          struct code_types types);
void pyflame_code_cache_free(struct code_cache *cache);

/* Starts a new sample: entries of the previous one may be evicted again. */
void pyflame_code_cache_begin_sample(struct code_cache *cache);

/* Result of pyflame_code_cache_get besides PYFLAME_OK and PYFLAME_ERR_READ. */
#define CODE_NOT_CODE 1 /* a readable object that is not a code object */

/* Looks up the code object at `addr`, reading and caching it if needed. */
int pyflame_code_cache_get(struct code_cache *cache, uint64_t addr,
                           struct code_info **out);

/* The line of the instruction at byte `offset` of the code (-1: before the
 * first), 0 when the offset is past its end. */
int pyflame_code_info_line(struct code_info *ci, enum py_line_format format, long offset);

#endif
