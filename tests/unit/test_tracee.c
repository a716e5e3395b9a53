/* test_tracee: control of a target's threads with ptrace (tracee.c),
 * against children this test forks and commands through a pipe.
 *
 * Every thread is seized, threads made later too; a thread stopped alone
 * leaves the others running; signals reach the target's handlers; a stop
 * signal keeps it stopped until SIGCONT; exit and exec are noticed; a
 * process the target clones is let go; a detached target runs on,
 * untraced.  A command is started seized, or its failure told the way a
 * shell would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "thread_states.h"
#include "tracee.h"

/* How long a wait for the child may take before the test fails: long, for
 * a busy machine; a test that passes never waits that long. */
#define PATIENCE_MS 30000

/* A child: it reads one-letter commands on `cmd` and answers on `ack`. */
struct child {
    pid_t pid;
    int cmd, ack;
};

static int ack_fd; /* the child's end of its ack pipe */

static void say(const void *what, size_t len)
{
    if (write(ack_fd, what, len) != (ssize_t)len)
        _exit(99);
}

static void on_usr1(int sig)
{
    (void)sig;
    say("u", 1);
}

/* A thread that tells its id, then sleeps or spins for good. */
static void *sleeper(void *arg)
{
    (void)arg;
    pid_t tid = (pid_t)syscall(SYS_gettid);
    say(&tid, sizeof tid);
    for (;;)
        pause();
    return NULL;
}

static void *spinner(void *arg)
{
    (void)arg;
    pid_t tid = (pid_t)syscall(SYS_gettid);
    say(&tid, sizeof tid);
    for (volatile unsigned long n = 0;; n++)
        ;
    return NULL;
}

static int cloned(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return 0;
}

static void start_thread(void *(*fn)(void *))
{
    pthread_t t;
    if (pthread_create(&t, NULL, fn, NULL) != 0)
        _exit(98);
}

/* Commands: p(ing), t (a sleeping thread), s (a spinning one), c (a
 * process cloned with no exit signal: not a thread), e(xec), x (exit 7). */
static void child_main(int cmd)
{
    signal(SIGUSR1, on_usr1);
    for (;;) {
        char c;
        if (read(cmd, &c, 1) != 1)
            _exit(0);
        if (c == 'p') {
            say("p", 1);
        } else if (c == 't') {
            start_thread(sleeper);
        } else if (c == 's') {
            start_thread(spinner);
        } else if (c == 'c') {
            size_t size = 64 * 1024;
            char *stack = malloc(size);
            pid_t pid = stack ? clone(cloned, stack + size, 0, NULL) : -1;
            say(&pid, sizeof pid);
        } else if (c == 'e') {
            execl("/bin/sleep", "sleep", "1000", (char *)NULL);
            _exit(97);
        } else if (c == 'x') {
            _exit(7);
        }
    }
}

static struct child fork_child(void)
{
    int cmd[2], ack[2];
    assert_int_equal(pipe(cmd), 0);
    assert_int_equal(pipe(ack), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* A failed test must not leave it behind, holding ctest's pipe. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        close(cmd[1]);
        close(ack[0]);
        ack_fd = ack[1];
        child_main(cmd[0]);
    }
    close(cmd[0]);
    close(ack[1]);
    return (struct child){.pid = pid, .cmd = cmd[1], .ack = ack[0]};
}

static void command(const struct child *c, char what)
{
    assert_int_equal(write(c->cmd, &what, 1), 1);
}

/* Reads len bytes of the child's answer, handling the tracee's events
 * (when t is not NULL) while waiting: a traced child waits for them. */
static void answer(const struct child *c, struct tracee *t, void *buf, size_t len)
{
    size_t got = 0;
    for (int ms = 0; got < len; ms++) {
        assert_true(ms < PATIENCE_MS);
        if (t)
            tracee_poll(t);
        struct pollfd p = {.fd = c->ack, .events = POLLIN};
        if (poll(&p, 1, 1) == 1) {
            ssize_t n = read(c->ack, (char *)buf + got, len - got);
            assert_true(n > 0);
            got += (size_t)n;
        }
    }
}

static void ping(const struct child *c, struct tracee *t)
{
    char reply;
    command(c, 'p');
    answer(c, t, &reply, 1);
    assert_int_equal(reply, 'p');
}

/* Waits for cond(t, arg), handling the tracee's events meanwhile. */
static void wait_for(struct tracee *t, bool (*cond)(struct tracee *, long), long arg)
{
    for (int ms = 0; !cond(t, arg); ms++) {
        assert_true(ms < PATIENCE_MS);
        tracee_poll(t);
        struct timespec nap = {0, 1000000};
        nanosleep(&nap, NULL);
    }
}

static bool has_threads(struct tracee *t, long n)
{
    return t->nthreads == (size_t)n;
}

static bool exited(struct tracee *t, long unused)
{
    (void)unused;
    return t->exited;
}

static bool execed(struct tracee *t, long unused)
{
    (void)unused;
    return t->execed;
}

static bool job_stopped(struct tracee *t, long want)
{
    return t->job_stopped == (bool)want;
}

static bool untraced(struct tracee *t, long pid)
{
    (void)t;
    return tracee_tracer_of((pid_t)pid) == 0;
}

static char state_of(pid_t pid, pid_t tid)
{
    return thread_state_now(pid, tid);
}

/* Waits until the thread is in the given state: a detached thread that
 * stays group-stopped is woken by the detach and stops again, and shows
 * 'R' meanwhile. */
static void wait_for_state(pid_t pid, pid_t tid, char want)
{
    for (int ms = 0; state_of(pid, tid) != want; ms++) {
        assert_true(ms < PATIENCE_MS);
        struct timespec nap = {0, 1000000};
        nanosleep(&nap, NULL);
    }
}

/* Ends a child that is not traced any more. */
static void end_child(struct child *c)
{
    kill(c->pid, SIGKILL);
    int status;
    assert_int_equal(waitpid(c->pid, &status, 0), c->pid);
    close(c->cmd);
    close(c->ack);
}

static void seize_stop_resume_detach(void **state)
{
    (void)state;
    struct child c = fork_child();
    ping(&c, NULL);
    struct tracee t;
    assert_int_equal(tracee_seize(&t, c.pid), 0);
    assert_int_equal(t.nthreads, 1);
    assert_int_equal(tracee_thread_id(&t, 0), c.pid);
    assert_true(tracee_has_thread(&t, c.pid));
    assert_false(tracee_has_thread(&t, c.pid + 100000));
    assert_int_equal(tracee_tracer_of(c.pid), getpid());
    /* Seizing changes nothing: it still answers. */
    ping(&c, &t);
    assert_int_equal(tracee_stop(&t), 0);
    assert_int_equal(state_of(c.pid, c.pid), 't');
    tracee_resume(&t);
    ping(&c, &t);
    assert_true(state_of(c.pid, c.pid) != 't');
    tracee_detach(&t);
    assert_int_equal(t.nthreads, 0);
    assert_int_equal(tracee_tracer_of(c.pid), 0);
    ping(&c, NULL);
    end_child(&c);
}

/* Threads there before and threads made since are all seized. */
static void every_thread_is_followed(void **state)
{
    (void)state;
    struct child c = fork_child();
    pid_t tid[3];
    command(&c, 't');
    answer(&c, NULL, &tid[0], sizeof tid[0]);
    struct tracee t;
    assert_int_equal(tracee_seize(&t, c.pid), 0);
    assert_int_equal(t.nthreads, 2);
    assert_true(tracee_has_thread(&t, tid[0]));
    uint64_t generation = t.generation;
    command(&c, 't');
    answer(&c, &t, &tid[1], sizeof tid[1]);
    wait_for(&t, has_threads, 3);
    assert_true(tracee_has_thread(&t, tid[1]));
    assert_true(t.generation != generation);
    assert_int_equal(tracee_tracer_of(tid[1]), getpid());
    /* A stop stops them all. */
    assert_int_equal(tracee_stop(&t), 0);
    for (size_t i = 0; i < t.nthreads; i++)
        assert_int_equal(state_of(c.pid, tracee_thread_id(&t, i)), 't');
    tracee_resume(&t);
    tracee_detach(&t);
    assert_int_equal(tracee_tracer_of(tid[1]), 0);
    ping(&c, NULL);
    end_child(&c);
}

/* A thread stopped alone: the others run on. */
static void one_thread_stopped_alone(void **state)
{
    (void)state;
    struct child c = fork_child();
    pid_t spin;
    command(&c, 's');
    answer(&c, NULL, &spin, sizeof spin);
    struct tracee t;
    assert_int_equal(tracee_seize(&t, c.pid), 0);
    assert_int_equal(tracee_stop_thread(&t, spin), 0);
    assert_int_equal(state_of(c.pid, spin), 't');
    assert_true(state_of(c.pid, c.pid) != 't');
    ping(&c, &t); /* the main thread still answers */
    tracee_resume(&t);
    assert_int_equal(tracee_stop_threads(&t, &c.pid, 1), 0);
    assert_int_equal(state_of(c.pid, c.pid), 't');
    assert_true(state_of(c.pid, spin) != 't');
    tracee_resume(&t);
    /* Not one of ours: nothing stopped. */
    assert_int_equal(tracee_stop_thread(&t, getpid()), -1);
    tracee_detach(&t);
    end_child(&c);
}

/* A signal that arrives while traced reaches the target's handler. */
static void signals_are_handed_on(void **state)
{
    (void)state;
    struct child c = fork_child();
    ping(&c, NULL);
    struct tracee t;
    assert_int_equal(tracee_seize(&t, c.pid), 0);
    kill(c.pid, SIGUSR1);
    char got;
    answer(&c, &t, &got, 1);
    assert_int_equal(got, 'u');
    /* Also when it arrives while the target is stopped. */
    assert_int_equal(tracee_stop(&t), 0);
    kill(c.pid, SIGUSR1);
    tracee_resume(&t);
    answer(&c, &t, &got, 1);
    assert_int_equal(got, 'u');
    tracee_detach(&t);
    end_child(&c);
}

/* SIGSTOP keeps the target stopped, though we stop and resume it, and
 * after we let it go; SIGCONT then wakes it. */
static void stop_signal_keeps_it_stopped(void **state)
{
    (void)state;
    struct child c = fork_child();
    ping(&c, NULL);
    struct tracee t;
    assert_int_equal(tracee_seize(&t, c.pid), 0);
    kill(c.pid, SIGSTOP);
    wait_for(&t, job_stopped, true);
    assert_int_equal(tracee_stop(&t), 0);
    tracee_resume(&t);
    tracee_poll(&t);
    assert_true(t.job_stopped);
    command(&c, 'p');
    struct pollfd p = {.fd = c.ack, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 50), 0); /* stopped: no answer */
    tracee_detach(&t);
    assert_int_equal(tracee_tracer_of(c.pid), 0);
    wait_for_state(c.pid, c.pid, 'T');
    assert_int_equal(poll(&p, 1, 50), 0); /* still no answer */
    kill(c.pid, SIGCONT);
    char reply;
    answer(&c, NULL, &reply, 1);
    assert_int_equal(reply, 'p');
    end_child(&c);
}

/* The target's exit is noticed, with its status; nothing is left to stop. */
static void exit_is_noticed(void **state)
{
    (void)state;
    struct child c = fork_child();
    struct tracee t;
    assert_int_equal(tracee_seize(&t, c.pid), 0);
    command(&c, 'x');
    wait_for(&t, exited, 0);
    assert_true(WIFEXITED(t.wait_status));
    assert_int_equal(WEXITSTATUS(t.wait_status), 7);
    assert_int_equal(t.nthreads, 0);
    assert_int_equal(tracee_stop(&t), -1);
    tracee_detach(&t);
    errno = 0;
    assert_int_equal(waitpid(c.pid, NULL, WNOHANG), -1); /* reaped */
    close(c.cmd);
    close(c.ack);
}

/* An exec leaves one thread, under the process id, and says so. */
static void exec_is_noticed(void **state)
{
    (void)state;
    struct child c = fork_child();
    pid_t tid;
    command(&c, 't');
    answer(&c, NULL, &tid, sizeof tid);
    struct tracee t;
    assert_int_equal(tracee_seize(&t, c.pid), 0);
    assert_int_equal(t.nthreads, 2);
    command(&c, 'e');
    wait_for(&t, execed, 0);
    wait_for(&t, has_threads, 1);
    assert_int_equal(tracee_thread_id(&t, 0), c.pid);
    assert_false(t.exited);
    tracee_kill(&t);
    assert_true(t.exited);
    assert_int_equal(waitpid(c.pid, NULL, WNOHANG), -1); /* reaped */
    close(c.cmd);
    close(c.ack);
}

/* A process the target clones (no CLONE_THREAD, no SIGCHLD at its exit:
 * the kernel traces it like a thread) is not one of its threads: it is
 * let go at once. */
static void cloned_process_is_let_go(void **state)
{
    (void)state;
    struct child c = fork_child();
    struct tracee t;
    assert_int_equal(tracee_seize(&t, c.pid), 0);
    pid_t other;
    command(&c, 'c');
    answer(&c, &t, &other, sizeof other);
    assert_true(other > 0);
    wait_for(&t, untraced, other);
    ping(&c, &t);
    assert_int_equal(t.nthreads, 1);
    assert_false(tracee_has_thread(&t, other));
    kill(other, SIGKILL);
    tracee_detach(&t);
    end_child(&c);
}

/* A command runs seized from its first instruction; its exit is seen. */
static void spawn_runs_the_command(void **state)
{
    (void)state;
    char *argv[] = {"/bin/sh", "-c", "exit 3", NULL};
    char err[256] = "";
    struct tracee t;
    assert_int_equal(tracee_spawn(&t, argv, err, sizeof err), 0);
    assert_true(t.pid > 0);
    assert_int_equal(t.nthreads, 1);
    wait_for(&t, exited, 0);
    assert_true(t.execed);
    assert_int_equal(WEXITSTATUS(t.wait_status), 3);
    tracee_detach(&t);
}

/* What cannot be run is told as a shell would, errno set for the status
 * (127 not found, 126 not runnable); nothing is left running. */
static void spawn_tells_why_not(void **state)
{
    (void)state;
    char err[256];
    struct tracee t;
    char *missing[] = {"/nonexistent/pyflame-test-command", NULL};
    assert_int_equal(tracee_spawn(&t, missing, err, sizeof err), -1);
    assert_int_equal(errno, ENOENT);
    assert_string_equal(err, "cannot run '/nonexistent/pyflame-test-command': "
                             "No such file or directory");
    char *dir[] = {"/", NULL};
    assert_int_equal(tracee_spawn(&t, dir, err, sizeof err), -1);
    assert_int_equal(errno, EACCES);
    assert_string_equal(err, "cannot run '/': it is a directory");
    /* A file without its execute bit, in the current directory. */
    char name[] = "./tracee-not-executable-XXXXXX";
    int fd = mkstemp(name);
    assert_true(fd >= 0);
    close(fd);
    char *file[] = {name, NULL};
    assert_int_equal(tracee_spawn(&t, file, err, sizeof err), -1);
    unlink(name);
    assert_int_equal(errno, EACCES);
    assert_non_null(strstr(err, "it is not executable (chmod +x it"));
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1); /* no child left */
}

static void status_fields(void **state)
{
    (void)state;
    assert_int_equal(tracee_status_field(getpid(), "Pid"), getpid());
    assert_int_equal(tracee_status_field(getpid(), "PPid"), getppid());
    assert_int_equal(tracee_status_field(getpid(), "NoSuchField"), -1);
    assert_int_equal(tracee_status_field(getpid(), "Pi"), -1); /* a prefix is no key */
    assert_int_equal(tracee_tracer_of(getpid()), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seize_stop_resume_detach),
        cmocka_unit_test(every_thread_is_followed),
        cmocka_unit_test(one_thread_stopped_alone),
        cmocka_unit_test(signals_are_handed_on),
        cmocka_unit_test(stop_signal_keeps_it_stopped),
        cmocka_unit_test(exit_is_noticed),
        cmocka_unit_test(exec_is_noticed),
        cmocka_unit_test(cloned_process_is_let_go),
        cmocka_unit_test(spawn_runs_the_command),
        cmocka_unit_test(spawn_tells_why_not),
        cmocka_unit_test(status_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
