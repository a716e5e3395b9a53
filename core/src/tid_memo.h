/* Kernel thread ids of the target's threads, by pthread_t.
 *
 * Before 3.11 CPython records a thread by its pthread_t only; the kernel's
 * id is read from glibc's struct pthread, one read per thread per sample.
 * A pthread_t goes to another thread only after its thread exits, so an
 * id read once holds while the target's set of threads stays the same
 * (tracee.generation). */
#ifndef PYFLAME_TID_MEMO_H
#define PYFLAME_TID_MEMO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define TID_MEMO_SLOTS 256 /* power of two */

struct tid_memo {
    struct {
        uint64_t ident, generation; /* generation 0: empty */
        pid_t tid;                  /* 0: could not be read */
    } slots[TID_MEMO_SLOTS];
};

static inline size_t tid_memo_slot(uint64_t ident)
{
    return (size_t)((ident * 0x9E3779B97F4A7C15ull) >> 56) & (TID_MEMO_SLOTS - 1);
}

/* The id kept for `ident` in this generation of threads, if any. */
static inline bool tid_memo_get(const struct tid_memo *m, uint64_t ident, uint64_t generation,
                                pid_t *tid)
{
    size_t i = tid_memo_slot(ident);
    if (m->slots[i].generation != generation || m->slots[i].ident != ident)
        return false;
    *tid = m->slots[i].tid;
    return true;
}

static inline void tid_memo_put(struct tid_memo *m, uint64_t ident, uint64_t generation,
                                pid_t tid)
{
    size_t i = tid_memo_slot(ident);
    m->slots[i].ident = ident;
    m->slots[i].generation = generation;
    m->slots[i].tid = tid;
}

#endif
