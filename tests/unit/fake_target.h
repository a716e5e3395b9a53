/* A made-up target for the unit tests of the tick's code (stop_policy.c,
 * sampler.c, thread_ids.c, sample_view.c): a test links fake_target.c in
 * place of tracee.c, thread_states.c, memory.c and python_runtime.c, whose
 * functions it provides over the fields below.  Each finds its
 * fake_target from the struct it is handed, which lives inside one. */
#ifndef PYFLAME_TEST_FAKE_TARGET_H
#define PYFLAME_TEST_FAKE_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "memory.h"
#include "python_runtime.h"
#include "thread_states.h"
#include "tracee.h"

#define FAKE_MAX_THREADS 16
#define FAKE_MAX_WORDS 16
#define FAKE_FIRST_TID 101 /* thread i is FAKE_FIRST_TID + i */

struct fake_target {
    struct tracee tracee;         /* pid: this process; nthreads */
    struct thread_states states;
    struct target_memory mem;
    struct python_runtime rt;     /* major, minor */
    /* The kernel's word on thread i: 'R', 'S', ... */
    char state[FAKE_MAX_THREADS];
    /* What this look read of thread i, '\0': nothing. */
    char seen[FAKE_MAX_THREADS];
    /* Memory: 4-byte words at addresses (glibc's thread ids), and
     * whether any other read succeeds (with zeros). */
    struct {
        uint64_t addr;
        int32_t value;
    } words[FAKE_MAX_WORDS];
    size_t nwords;
    bool all_readable;
    /* What fails. */
    bool stop_thread_fails, stop_threads_fails;
    bool exits_when_stopped; /* tracee_stop finds the target gone */
    bool gone;               /* memory_gone: it exited or called exec */
    /* What happened. */
    unsigned stops, thread_stops, threads_stops, resumes, looks, state_reads, reads;
    pid_t thread_stopped;
    pid_t threads_stopped[FAKE_MAX_THREADS];
    size_t nthreads_stopped;
    /* Each stop moves this clock on by stop_cost_ns, if set. */
    uint64_t *clock;
    uint64_t stop_cost_ns;
};

/* A target of strlen(states) threads, thread i in state states[i],
 * running CPython major.minor. */
void fake_target_init(struct fake_target *f, const char *states, int major, int minor);

/* The id of thread i. */
static inline pid_t fake_tid(size_t i)
{
    return (pid_t)(FAKE_FIRST_TID + i);
}

/* Thread `tid`'s state as the kernel has it now. */
void fake_set_state(struct fake_target *f, pid_t tid, char state);

/* A word of memory: `value` at `addr`. */
void fake_set_word(struct fake_target *f, uint64_t addr, int32_t value);

#endif
