#include "tracee.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "grow.h"
#include "thread_states.h"

/* How long a thread may take to stop before the sample gives up on it. */
#define STOP_TIMEOUT_NS 500000000L
/* How long a detached thread of a stopped process may take to stop again. */
#define RESTOP_TIMEOUT_NS 1000000000L
#define SEIZE_OPTIONS (PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC)
/* Threads are listed again until no new one shows up, this many times. */
#define MAX_SEIZE_ROUNDS 100

enum thread_state { RUNNING, STOPPED };

struct thread_slot {
    pid_t tid;
    enum thread_state state;
    int pending_signal; /* to deliver on the next resume */
};

static struct thread_slot *find(struct tracee *t, pid_t tid)
{
    for (size_t i = 0; i < t->nthreads; i++)
        if (t->threads[i].tid == tid)
            return &t->threads[i];
    return NULL;
}

static struct thread_slot *add(struct tracee *t, pid_t tid)
{
    struct thread_slot *s = find(t, tid);
    if (s)
        return s;
    if (grow_array((void **)&t->threads, &t->cap, t->nthreads + 1, sizeof *t->threads) != 0)
        return NULL;
    s = &t->threads[t->nthreads++];
    *s = (struct thread_slot){tid, RUNNING, 0};
    t->generation++;
    return s;
}

static void drop(struct tracee *t, pid_t tid)
{
    struct thread_slot *s = find(t, tid);
    if (s) {
        *s = t->threads[--t->nthreads];
        t->generation++;
    }
}

/* Is `tid` a thread of the target?  A clone() without CLONE_THREAD whose
 * exit signal is not SIGCHLD (and one with CLONE_PTRACE) makes a new
 * process that the kernel attaches to us like a thread: it is not one. */
static bool is_thread_of(const struct tracee *t, pid_t tid)
{
    char path[64];
    struct stat st;
    snprintf(path, sizeof path, "/proc/%d/task/%d", (int)t->pid, (int)tid);
    return tid == t->pid || stat(path, &st) == 0;
}

static bool is_stop_signal(int sig)
{
    return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* Updates the state after waitpid reported `status` for `tid`.  Returns
 * the slot if the thread is now stopped, NULL otherwise. */
static struct thread_slot *handle(struct tracee *t, pid_t tid, int status)
{
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
        drop(t, tid);
        if (tid == t->pid) {
            t->exited = true;
            t->wait_status = status;
            t->nthreads = 0;
            t->generation++;
        }
        return NULL;
    }
    if (!WIFSTOPPED(status))
        return NULL;
    int event = status >> 16;
    if (!find(t, tid) && !is_thread_of(t, tid)) {
        /* A process the target cloned, traced by the kernel's choice, not
         * ours: let it go at its first stop, with the signal it stopped
         * for if any. */
        ptrace(PTRACE_DETACH, tid, 0, (void *)(long)(event ? 0 : WSTOPSIG(status)));
        return NULL;
    }
    struct thread_slot *s = add(t, tid);
    if (!s)
        return NULL;
    s->state = STOPPED;
    if (event == PTRACE_EVENT_CLONE) {
        unsigned long child;
        /* Its first stop may come before or after this event. */
        if (ptrace(PTRACE_GETEVENTMSG, tid, 0, &child) == 0 &&
            is_thread_of(t, (pid_t)child) && add(t, (pid_t)child))
            s = find(t, tid); /* add() may have moved the array */
    } else if (event == PTRACE_EVENT_EXEC && tid == t->pid) {
        /* exec leaves a single thread behind, under the process id. */
        t->execed = true;
        t->nthreads = 0;
        s = add(t, t->pid);
        if (s)
            s->state = STOPPED;
    } else if (event == PTRACE_EVENT_STOP && is_stop_signal(WSTOPSIG(status))) {
        /* A group-stop: the process was stopped by a stop signal and must
         * stay so until SIGCONT, though we keep reading it. */
        t->job_stopped = true;
    } else if (event == 0) {
        /* A signal on its way to the target: hand it on when resumed. */
        s->pending_signal = WSTOPSIG(status);
        if (s->pending_signal == SIGCONT)
            t->job_stopped = false;
    }
    return s;
}

static void resume_one(struct tracee *t, struct thread_slot *s)
{
    if (s->state != STOPPED)
        return;
    if (t->job_stopped && !s->pending_signal)
        ptrace(PTRACE_LISTEN, s->tid, 0, 0); /* stay stopped, hear SIGCONT */
    else
        ptrace(PTRACE_CONT, s->tid, 0, (void *)(long)s->pending_signal);
    s->pending_signal = 0;
    s->state = RUNNING;
}

void tracee_poll(struct tracee *t)
{
    int status;
    pid_t tid;
    while ((tid = waitpid(-1, &status, WNOHANG | __WALL)) > 0) {
        struct thread_slot *s = handle(t, tid, status);
        if (s)
            resume_one(t, s);
    }
}

pid_t tracee_thread_id(const struct tracee *t, size_t i)
{
    return t->threads[i].tid;
}

bool tracee_has_thread(const struct tracee *t, pid_t tid)
{
    for (size_t i = 0; i < t->nthreads; i++)
        if (t->threads[i].tid == tid)
            return true;
    return false;
}

long tracee_status_field(pid_t tid, const char *key)
{
    char path[64], line[256];
    size_t len = strlen(key);
    snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
    FILE *f = fopen(path, "re");
    long value = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, len) == 0 && line[len] == ':') {
            if (sscanf(line + len + 1, "%ld", &value) != 1)
                value = -1;
            break;
        }
    fclose(f);
    return value;
}

pid_t tracee_tracer_of(pid_t tid)
{
    long tracer = tracee_status_field(tid, "TracerPid");
    return tracer > 0 ? (pid_t)tracer : 0;
}

static bool thread_alive(pid_t pid, pid_t tid)
{
    char state = thread_state_now(pid, tid);
    return state && state != 'Z' && state != 'X';
}

static int seize_all(struct tracee *t)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)t->pid);
    for (int round = 0; round < MAX_SEIZE_ROUNDS; round++) {
        DIR *d = opendir(path);
        if (!d)
            return -1;
        int added = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            pid_t tid = (pid_t)atoi(e->d_name);
            if (tid <= 0 || find(t, tid))
                continue;
            if (ptrace(PTRACE_SEIZE, tid, 0, (void *)(long)SEIZE_OPTIONS) != 0) {
                if (errno == ESRCH && tid != t->pid)
                    continue; /* the thread just exited */
                if (errno == EPERM && tid != t->pid) {
                    /* Threads created by a thread we seized are attached
                     * by the kernel before we list them; an exiting
                     * thread refuses to be traced. */
                    if (tracee_tracer_of(tid) == getpid()) {
                        if (!add(t, tid))
                            break;
                        added++;
                        continue;
                    }
                    if (!thread_alive(t->pid, tid))
                        continue;
                    errno = EPERM;
                }
                int saved = errno;
                closedir(d);
                errno = saved;
                return -1;
            }
            if (!add(t, tid)) {
                closedir(d);
                errno = ENOMEM;
                return -1;
            }
            added++;
        }
        closedir(d);
        if (!added)
            return 0;
    }
    return 0;
}

int tracee_seize(struct tracee *t, pid_t pid)
{
    *t = (struct tracee){.pid = pid};
    if (seize_all(t) == 0)
        return 0;
    int saved = errno;
    tracee_detach(t);
    errno = saved;
    return -1;
}

/* exec's EACCES says "Permission denied" of a directory or of a file
 * without its execute bit: say which. */
static void cannot_run(const char *command, int e, char *err, size_t errlen)
{
    struct stat st;
    const char *why = strerror(e);
    if (e == EACCES && strchr(command, '/') && stat(command, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            why = "it is a directory";
        else if (S_ISREG(st.st_mode) && !(st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)))
            why = "it is not executable (chmod +x it, or name its interpreter: "
                  "pyflame -t python3 SCRIPT)";
    }
    snprintf(err, errlen, "cannot run '%s': %s", command, why);
}

int tracee_spawn(struct tracee *t, char *const argv[], char *err, size_t errlen)
{
    *t = (struct tracee){0};
    int go[2], exec_err[2];
    if (pipe2(go, O_CLOEXEC) != 0)
        goto fail_errno;
    if (pipe2(exec_err, O_CLOEXEC) != 0) {
        close(go[0]);
        close(go[1]);
        goto fail_errno;
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(go[0]);
        close(go[1]);
        close(exec_err[0]);
        close(exec_err[1]);
        goto fail_errno;
    }
    if (pid == 0) {
        /* Child: wait until seized, then become the command, with the
         * signal dispositions pyflame changed back to their defaults
         * (an ignored signal would survive exec). */
        char c;
        signal(SIGPIPE, SIG_DFL);
        signal(SIGXFSZ, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        close(go[1]);
        close(exec_err[0]);
        if (read(go[0], &c, 1) != 1)
            _exit(127);
        execvp(argv[0], argv);
        int e = errno;
        if (write(exec_err[1], &e, sizeof e) < 0)
            _exit(127);
        _exit(127);
    }
    close(go[0]);
    close(exec_err[1]);
    t->pid = pid;
    int seized = ptrace(PTRACE_SEIZE, pid, 0, (void *)(long)SEIZE_OPTIONS) == 0 &&
                 add(t, pid) != NULL;
    int seize_errno = errno;
    /* Only a seized child may run the command; otherwise closing the pipe
     * unwritten makes it exit without running anything. */
    if (seized && write(go[1], "g", 1) != 1)
        seized = 0;
    close(go[1]);
    int child_errno = 0;
    ssize_t n;
    do {
        n = read(exec_err[0], &child_errno, sizeof child_errno);
    } while (n < 0 && errno == EINTR);
    close(exec_err[0]);
    if (n == (ssize_t)sizeof child_errno) {
        cannot_run(argv[0], child_errno, err, errlen);
        tracee_kill(t);
        errno = child_errno;
        return -1;
    }
    if (!seized) {
        snprintf(err, errlen, "cannot trace '%s': %s", argv[0], strerror(seize_errno));
        tracee_kill(t);
        return -1;
    }
    return 0;
fail_errno:
    snprintf(err, errlen, "cannot start '%s': %s", argv[0], strerror(errno));
    return -1;
}

/* Waits until `tid` is stopped, exited, or the timeout passes. */
static int wait_stopped(struct tracee *t, pid_t tid)
{
    uint64_t start = now_ns(CLOCK_MONOTONIC);
    unsigned spins = 0;
    for (;;) {
        struct thread_slot *s = find(t, tid);
        if (!s || s->state == STOPPED)
            return 0;
        int status;
        pid_t got = waitpid(tid, &status, WNOHANG | __WALL);
        if (got == tid) {
            s = handle(t, tid, status);
            if (s && s->pending_signal) {
                /* Stopped for a signal before our interrupt: deliver it;
                 * the interrupt then stops the thread again. */
                resume_one(t, s);
            }
            continue;
        }
        if (got < 0 && errno == ECHILD) {
            drop(t, tid); /* gone without a word */
            return 0;
        }
        if (now_ns(CLOCK_MONOTONIC) - start > STOP_TIMEOUT_NS)
            return -1;
        if (++spins > 64) {
            struct timespec nap = {0, 20000};
            nanosleep(&nap, NULL);
        }
    }
}

int tracee_stop(struct tracee *t)
{
    tracee_poll(t);
    for (size_t i = 0; i < t->nthreads; i++)
        if (t->threads[i].state == RUNNING)
            ptrace(PTRACE_INTERRUPT, t->threads[i].tid, 0, 0);
    /* New threads may appear while we wait: they stop by themselves.  A
     * thread that exits is dropped, and the last one takes its place. */
    size_t i = 0;
    while (i < t->nthreads && !t->exited) {
        pid_t tid = t->threads[i].tid;
        wait_stopped(t, tid);
        if (i < t->nthreads && t->threads[i].tid == tid)
            i++;
    }
    return t->exited ? -1 : 0;
}

int tracee_stop_threads(struct tracee *t, const pid_t *tids, size_t n)
{
    tracee_poll(t);
    for (size_t i = 0; i < n && !t->exited; i++) {
        struct thread_slot *s = find(t, tids[i]);
        if (s && s->state == RUNNING)
            ptrace(PTRACE_INTERRUPT, tids[i], 0, 0);
    }
    for (size_t i = 0; i < n && !t->exited; i++)
        if (wait_stopped(t, tids[i]) != 0)
            return -1;
    return t->exited ? -1 : 0;
}

int tracee_stop_thread(struct tracee *t, pid_t tid)
{
    if (!find(t, tid) || tracee_stop_threads(t, &tid, 1) != 0)
        return -1;
    struct thread_slot *s = find(t, tid);
    return s && s->state == STOPPED ? 0 : -1;
}

void tracee_resume(struct tracee *t)
{
    for (size_t i = 0; i < t->nthreads; i++)
        resume_one(t, &t->threads[i]);
}

void tracee_kill(struct tracee *t)
{
    if (t->pid <= 0)
        return;
    kill(t->pid, SIGKILL);
    /* Traced threads turn into zombies that only we can reap; the process
     * is gone once its leader is reported. */
    int status;
    pid_t got;
    while ((got = waitpid(-1, &status, __WALL)) != 0) {
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 || (got == t->pid && (WIFEXITED(status) || WIFSIGNALED(status))))
            break;
    }
    t->exited = true;
    free(t->threads);
    t->threads = NULL;
    t->nthreads = t->cap = 0;
}

/* A thread of a stopped process, once detached, goes back to its stop by
 * itself, but only when it next gets a CPU: until then the kernel calls it
 * running.  Wait for that (bounded), so that whoever looks once pyflame
 * has exited finds the process as it was. */
static void wait_stopped_again(const struct tracee *t)
{
    uint64_t start = now_ns(CLOCK_MONOTONIC);
    for (size_t i = 0; i < t->nthreads; i++)
        while (thread_state_now(t->pid, t->threads[i].tid) == 'R' &&
               now_ns(CLOCK_MONOTONIC) - start < RESTOP_TIMEOUT_NS) {
            struct timespec nap = {0, 100000};
            nanosleep(&nap, NULL);
        }
}

void tracee_detach(struct tracee *t)
{
    if (!t->exited && t->nthreads) {
        tracee_stop(t);
        for (size_t i = 0; i < t->nthreads; i++) {
            struct thread_slot *s = &t->threads[i];
            if (s->state == STOPPED)
                ptrace(PTRACE_DETACH, s->tid, 0, (void *)(long)s->pending_signal);
        }
        if (t->job_stopped)
            wait_stopped_again(t);
    }
    free(t->threads);
    t->threads = NULL;
    t->nthreads = t->cap = 0;
}
