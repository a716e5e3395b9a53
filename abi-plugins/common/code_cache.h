/* Code objects of the target, cached by address.
 *
 * A frame names its code object by address; the file name, function name
 * and line table behind it cost several reads, so they are kept here.  On
 * use the code object's fixed header is read again (one read) and the
 * cached entry is trusted only if the pointers it was built from are still
 * the same: a freed and reused address gets a fresh entry.  That check is
 * made at most every CODE_RECHECK_NS per entry: at the default rate every
 * sample still makes it; faster samplers share one, as each read of a new
 * place costs the kernel as much as a small object is worth.
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

/* How long a code object checked against the target stays trusted. */
#define CODE_RECHECK_NS 1000000ull

struct code_info {
    uint64_t addr;
    uint64_t checked_ns; /* when its header was last compared */
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

struct read_cache;

/* `lines`, if not NULL, is the line cache `host` reads through: a trusted
 * entry due for its check by the next sample has its header's lines read
 * ahead there, so that the check costs no read of its own. */
struct code_cache *code_cache_new(const pyflame_host *host,
                                  const struct py_layout *layout,
                                  struct code_types types, struct read_cache *lines);
void code_cache_free(struct code_cache *cache);

/* Starts a new sample at now_ns (CLOCK_MONOTONIC): entries of the previous
 * one may be evicted again. */
void code_cache_begin_sample(struct code_cache *cache, uint64_t now_ns);

/* Result of code_cache_get besides PYFLAME_OK and PYFLAME_ERR_READ. */
#define CODE_NOT_CODE 1 /* a readable object that is not a code object */

/* Looks up the code object at `addr`, reading and caching it if needed. */
int code_cache_get(struct code_cache *cache, uint64_t addr,
                   struct code_info **out);

/* The line of the instruction at byte `offset` of the code (-1: before the
 * first), 0 when the offset is past its end. */
int code_info_line(struct code_info *ci, enum py_line_format format, long offset);

#endif
