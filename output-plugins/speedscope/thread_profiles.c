/* The profile that each sample of a thread goes to: one per thread.
 *
 * Threads are told apart by kernel thread id and ident together: either
 * alone may be reused by a later thread (glibc hands a new thread the
 * pthread_t of one that ended).  The core may fail to find the kernel id of
 * a thread that it found before (e.g. while the thread ends): such a sample
 * goes to the latest thread with the same ident, and a thread first seen
 * without its kernel id takes it on when it shows up. */
#include "grow.h"
#include "speedscope.h"

struct thread_key {
    uint64_t os_tid, ident;
};

static bool tid_eq(const void *ctx, uint32_t i, const void *key)
{
    const struct speedscope *s = ctx;
    const struct thread_key *k = key;
    return s->profiles[i].os_tid == k->os_tid && s->profiles[i].ident == k->ident;
}

static bool ident_eq(const void *ctx, uint32_t i, const void *key)
{
    const struct speedscope *s = ctx;
    return s->profiles[i].ident == *(const uint64_t *)key;
}

struct profile *profile_for(struct speedscope *s, uint64_t os_tid, uint64_t ident)
{
    struct thread_key key = {os_tid, ident};
    uint32_t htid = index_hash_u64(os_tid * 0x9e3779b97f4a7c15ull ^ ident);
    uint32_t hident = index_hash_u64(ident);
    size_t tslot = 0, islot = 0;
    uint32_t i = INDEX_SET_NONE, latest = INDEX_SET_NONE;
    if (!os_tid && !ident) {
        i = s->threadless;
    } else {
        if (os_tid)
            i = index_set_find(&s->tid_set, htid, tid_eq, s, &key, &tslot);
        if (ident)
            latest = index_set_find(&s->ident_set, hident, ident_eq, s, &ident, &islot);
        if (i == INDEX_SET_NONE && latest != INDEX_SET_NONE && !s->profiles[latest].os_tid) {
            i = latest; /* the same thread, its kernel id found at last */
            if (os_tid) {
                if (index_set_put(&s->tid_set, tslot, htid, i) != 0)
                    return NULL;
                s->profiles[i].os_tid = os_tid;
            }
        }
        if (i == INDEX_SET_NONE && !os_tid)
            i = latest;
    }
    if (i == INDEX_SET_NONE) {
        /* A new profile goes into both sets or neither: room first, in
         * both, then its slots again (room may have moved them). */
        if ((os_tid && index_set_reserve(&s->tid_set) != 0) ||
            (ident && index_set_reserve(&s->ident_set) != 0) ||
            grow_array((void **)&s->profiles, &s->capprofiles, s->nprofiles + 1,
                       sizeof *s->profiles) != 0)
            return NULL;
        if (os_tid)
            index_set_find(&s->tid_set, htid, tid_eq, s, &key, &tslot);
        if (ident)
            index_set_find(&s->ident_set, hident, ident_eq, s, &ident, &islot);
        i = (uint32_t)s->nprofiles++;
        s->profiles[i] = (struct profile){.os_tid = os_tid, .ident = ident};
        /* Cannot fail: room was made. */
        if (os_tid)
            index_set_put(&s->tid_set, tslot, htid, i);
        if (ident)
            index_set_put(&s->ident_set, islot, hident, i);
        if (!os_tid && !ident)
            s->threadless = i;
    }
    return &s->profiles[i];
}
