/* The host's kernel ids of a sample's threads (thread_ids.h). */
#include "thread_ids.h"

#include "glibc_pthread.h"
#include "tracee.h"

/* The host's id of the thread whose pthread_t is `ident`, 0 if unknown;
 * read once for each set of the target's threads. */
static pid_t tid_of_pthread(struct thread_ids *ids, uint64_t ident)
{
    const struct tracee *tr = ids->tracee;
    pid_t tid;
    if (!tid_memo_get(&ids->memo, ident, tr->generation, &tid)) {
        pid_t own;
        tid = glibc_pthread_tid(ids->mem, ident, &own) ? ns_tids_host(&ids->ns, tr->pid, own)
                                                       : 0;
        tid_memo_put(&ids->memo, ident, tr->generation, tid);
    }
    return tid;
}

void thread_ids_resolve(struct thread_ids *ids, pyflame_thread *t, const pyflame_thread *done,
                        uint32_t ndone)
{
    /* Both ids are the target's own: in a container, not the host's. */
    if (t->os_tid) {
        t->os_tid = t->os_tid > INT32_MAX
                        ? 0
                        : (uint64_t)ns_tids_host(&ids->ns, ids->tracee->pid, (pid_t)t->os_tid);
        return;
    }
    if (!t->ident)
        return;
    pid_t tid = tid_of_pthread(ids, t->ident);
    if (tid <= 0 || !tracee_has_thread(ids->tracee, tid))
        return;
    /* A thread state made for a new thread carries its creator's id until
     * the thread runs: an id goes to one thread only. */
    for (uint32_t i = 0; i < ndone; i++)
        if (done[i].os_tid == (uint64_t)tid)
            return;
    t->os_tid = (uint64_t)tid;
}

void thread_ids_free(struct thread_ids *ids)
{
    ns_tids_free(&ids->ns);
}
