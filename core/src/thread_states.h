/* What the kernel says each of the target's threads is doing: the state
 * letter of /proc/PID/task/TID/stat.  R is running or waiting for a CPU,
 * S asleep, D asleep in the kernel for a device (disk I/O), t stopped by a
 * tracer, Z and X gone.  pyflame calls a thread idle unless it is R.
 *
 * A sample reads the states it needs in one "look", before it stops any
 * thread (a stopped thread reads t).  Each thread's file stays open and is
 * read again with pread: one system call per thread per look. */
#ifndef PYFLAME_THREAD_STATES_H
#define PYFLAME_THREAD_STATES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct thread_state_slot;

struct thread_states {
    pid_t pid;
    struct thread_state_slot *slots;
    size_t n, cap;
    size_t nopen; /* slots whose file is open */
    uint64_t look; /* the look under way; slots read in an older one are stale */
};

void thread_states_init(struct thread_states *ts, pid_t pid);
void thread_states_free(struct thread_states *ts);

/* Begins a new look: what earlier looks read is forgotten. */
void thread_states_begin(struct thread_states *ts);

/* Thread `tid`'s state, read now unless this look read it already; '\0'
 * when it cannot be read (the thread is gone). */
char thread_states_read(struct thread_states *ts, pid_t tid);

/* The state this look read for `tid`, '\0' if it read none. */
char thread_states_seen(const struct thread_states *ts, pid_t tid);

/* Thread `tid` of process `pid`'s state, read once, '\0' if unreadable. */
char thread_state_now(pid_t pid, pid_t tid);

/* Is a thread in `state` running (or ready to, waiting for a CPU)? */
static inline bool thread_state_running(char state)
{
    return state == 'R';
}

/* A word for a state letter: "running", "sleeping", ... */
const char *thread_state_name(char state);

#endif
