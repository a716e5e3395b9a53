/* The kernel ids of the threads a sample names, as pyflame's /proc knows
 * them: a plugin gives the id the target knows (3.11+), or only the
 * thread's pthread_t, from which glibc's id is read (glibc_pthread.c). */
#ifndef PYFLAME_THREAD_IDS_H
#define PYFLAME_THREAD_IDS_H

#include <stdint.h>

#include <pyflame/pyflame.h>

#include "namespaces.h"
#include "tid_memo.h"

struct tracee;
struct target_memory;

struct thread_ids {
    const struct tracee *tracee;
    struct target_memory *mem;
    struct ns_tids ns;     /* the target's thread ids -> the host's */
    struct tid_memo memo;  /* pthread_t -> the host's thread id */
};

/* Sets t->os_tid to the host's id of thread t, or 0 when it cannot be
 * told.  An id read through the pthread_t counts only if it is one of the
 * target's threads and not that of a thread of done[0..ndone), the threads
 * resolved before it in the same sample. */
void thread_ids_resolve(struct thread_ids *ids, pyflame_thread *t, const pyflame_thread *done,
                        uint32_t ndone);

void thread_ids_free(struct thread_ids *ids);

#endif
