/* Control of the target's threads with ptrace.
 *
 * Every thread is seized (PTRACE_SEIZE: nothing happens to the target until
 * we ask), new threads are seized as they are created (a process the
 * target clones is let go at once, whatever its clone flags), and a sample stops
 * them all (PTRACE_INTERRUPT) so that the stacks read are consistent, or
 * only the one holding the GIL (see stop_policy.c).
 * Signals that arrive while we trace are handed on untouched.  Whatever
 * happens, tracee_detach leaves every thread running and untraced. */
#ifndef PYFLAME_TRACEE_H
#define PYFLAME_TRACEE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct thread_slot;

struct tracee {
    pid_t pid;
    struct thread_slot *threads;
    size_t nthreads, cap;
    uint64_t generation; /* changes whenever a thread comes or goes */
    bool exited;     /* the process is gone; wait_status tells how */
    int wait_status; /* as from waitpid, valid when exited and own child */
    bool execed;     /* it called exec since the flag was last cleared */
    bool job_stopped; /* stopped by SIGSTOP & co.: it stays stopped */
};

/* Seizes every thread of `pid`.  Returns 0, or -1 with errno set (EPERM:
 * not allowed; ESRCH: no such process; EBUSY: already traced). */
int tracee_seize(struct tracee *t, pid_t pid);

/* Starts argv[0] (searched in PATH) as a child, seized before it runs a
 * single instruction of the new program.  Returns 0, or -1 with a message
 * in err and errno set to why the command could not be run. */
int tracee_spawn(struct tracee *t, char *const argv[], char *err,
                 size_t errlen);

/* Stops every thread.  Returns 0, or -1 if the process exited. */
int tracee_stop(struct tracee *t);

/* Stops the one thread `tid`, leaving the others as they are.  Returns 0
 * once it is stopped, or -1 (not one of ours, gone, too slow to stop, or
 * the process exited): tracee_stop then still stops every thread. */
int tracee_stop_thread(struct tracee *t, pid_t tid);

/* Stops the threads tids[n] (those gone meanwhile are passed over),
 * leaving the others as they are.  Returns 0 once they are stopped, or -1
 * (one too slow to stop, or the process exited). */
int tracee_stop_threads(struct tracee *t, const pid_t *tids, size_t n);

/* Lets every stopped thread run again. */
void tracee_resume(struct tracee *t);

/* Handles pending events (new threads, signals, exit) without blocking.
 * Call it whenever SIGCHLD arrives: a thread that received a signal waits
 * in a stop until then. */
void tracee_poll(struct tracee *t);

/* Stops, detaches and frees; the target runs on untraced (or stays
 * stopped, if SIGSTOP or the like stopped it). */
void tracee_detach(struct tracee *t);

/* The id of the target's thread i, 0 <= i < t->nthreads. */
pid_t tracee_thread_id(const struct tracee *t, size_t i);

/* Is `tid` one of the target's threads, as far as we know? */
bool tracee_has_thread(const struct tracee *t, pid_t tid);

/* The first number after "KEY:" in /proc/TID/status, -1 if unreadable. */
long tracee_status_field(pid_t tid, const char *key);

/* The process tracing `tid` (TracerPid in /proc), 0 if none. */
pid_t tracee_tracer_of(pid_t tid);

/* Kills a process we started and reaps it and every thread of it. */
void tracee_kill(struct tracee *t);

#endif
