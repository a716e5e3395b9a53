/* A made-up target for unit tests (fake_target.h). */
#include "fake_target.h"

#include <pyflame/pyflame.h>
#include <string.h>
#include <unistd.h>

#define FAKE_OF(ptr, member) \
    ((struct fake_target *)(void *)((char *)(ptr) - offsetof(struct fake_target, member)))

void fake_target_init(struct fake_target *f, const char *states, int major, int minor)
{
    memset(f, 0, sizeof *f);
    f->tracee.pid = getpid(); /* the same PID namespace: ids map to themselves */
    f->tracee.nthreads = strlen(states);
    f->tracee.generation = 1;
    memcpy(f->state, states, f->tracee.nthreads);
    f->rt.major = major;
    f->rt.minor = minor;
}

static int index_of(const struct fake_target *f, pid_t tid)
{
    int i = (int)(tid - FAKE_FIRST_TID);
    return i >= 0 && (size_t)i < f->tracee.nthreads ? i : -1;
}

void fake_set_state(struct fake_target *f, pid_t tid, char state)
{
    f->state[index_of(f, tid)] = state;
}

void fake_set_word(struct fake_target *f, uint64_t addr, int32_t value)
{
    f->words[f->nwords].addr = addr;
    f->words[f->nwords++].value = value;
}

static void advance_clock(struct fake_target *f)
{
    if (f->clock)
        *f->clock += f->stop_cost_ns;
}

/* ---- tracee.h ---- */

int tracee_stop(struct tracee *t)
{
    struct fake_target *f = FAKE_OF(t, tracee);
    f->stops++;
    advance_clock(f);
    if (f->exits_when_stopped)
        t->exited = true;
    return t->exited ? -1 : 0;
}

int tracee_stop_thread(struct tracee *t, pid_t tid)
{
    struct fake_target *f = FAKE_OF(t, tracee);
    f->thread_stops++;
    f->thread_stopped = tid;
    advance_clock(f);
    return f->stop_thread_fails || index_of(f, tid) < 0 ? -1 : 0;
}

int tracee_stop_threads(struct tracee *t, const pid_t *tids, size_t n)
{
    struct fake_target *f = FAKE_OF(t, tracee);
    f->threads_stops++;
    memcpy(f->threads_stopped, tids, n * sizeof *tids);
    f->nthreads_stopped = n;
    advance_clock(f);
    return f->stop_threads_fails ? -1 : 0;
}

void tracee_resume(struct tracee *t)
{
    FAKE_OF(t, tracee)->resumes++;
}

pid_t tracee_thread_id(const struct tracee *t, size_t i)
{
    (void)t;
    return fake_tid(i);
}

bool tracee_has_thread(const struct tracee *t, pid_t tid)
{
    return index_of(FAKE_OF(t, tracee), tid) >= 0;
}

/* ---- thread_states.h ---- */

void thread_states_begin(struct thread_states *ts)
{
    struct fake_target *f = FAKE_OF(ts, states);
    f->looks++;
    memset(f->seen, 0, sizeof f->seen);
}

char thread_states_read(struct thread_states *ts, pid_t tid)
{
    struct fake_target *f = FAKE_OF(ts, states);
    int i = index_of(f, tid);
    f->state_reads++;
    if (i < 0)
        return '\0';
    if (!f->seen[i])
        f->seen[i] = f->state[i];
    return f->seen[i];
}

char thread_states_seen(const struct thread_states *ts, pid_t tid)
{
    const struct fake_target *f = FAKE_OF(ts, states);
    int i = index_of(f, tid);
    return i < 0 ? '\0' : f->seen[i];
}

/* ---- memory.h ---- */

int memory_read(struct target_memory *m, uint64_t addr, void *buf, size_t len)
{
    struct fake_target *f = FAKE_OF(m, mem);
    f->reads++;
    for (size_t i = 0; i < f->nwords; i++)
        if (f->words[i].addr == addr && len == sizeof f->words[i].value) {
            memcpy(buf, &f->words[i].value, len);
            return 0;
        }
    if (!f->all_readable)
        return -1;
    memset(buf, 0, len);
    return 0;
}

size_t memory_read_many(struct target_memory *m, const struct pyflame_read *reads, size_t n)
{
    size_t done = 0;
    while (done < n && memory_read(m, reads[done].addr, reads[done].buf, reads[done].len) == 0)
        done++;
    return done;
}

bool memory_gone(struct target_memory *m)
{
    return FAKE_OF(m, mem)->gone;
}

/* ---- python_runtime.h ---- */

uint64_t python_runtime_symbol(const struct python_runtime *rt, const char *name)
{
    (void)rt;
    return strcmp(name, "_PyRuntime") == 0 ? 0x1000 : 0;
}
