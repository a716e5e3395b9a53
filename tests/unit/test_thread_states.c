/* test_thread_states: the kernel's word on this process's own threads
 * (thread_states.c).
 *
 * A thread that spins is R, one blocked on a pipe is S, whatever its name
 * holds (a ')' and spaces, which the stat line does not escape); a thread
 * that exited reads '\0' and its slot goes; a look reads a thread once;
 * more threads than files kept open are still read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "thread_states.h"

struct worker {
    pthread_t thread;
    atomic_int tid;
    atomic_bool stop;
    int pipe[2]; /* a blocked worker reads pipe[0] until it is closed */
    bool spin;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    /* A name that looks like the end of the command field. */
    pthread_setname_np(pthread_self(), w->spin ? ") R (x" : ") S z)");
    atomic_store(&w->tid, (int)syscall(SYS_gettid));
    if (w->spin) {
        while (!atomic_load(&w->stop))
            ;
    } else {
        char c;
        while (read(w->pipe[0], &c, 1) > 0)
            ;
    }
    return NULL;
}

static void start(struct worker *w, bool spin)
{
    memset(w, 0, sizeof *w);
    w->spin = spin;
    assert_int_equal(pipe(w->pipe), 0);
    assert_int_equal(pthread_create(&w->thread, NULL, work, w), 0);
    while (!atomic_load(&w->tid))
        sched_yield();
}

static void finish(struct worker *w)
{
    atomic_store(&w->stop, true);
    close(w->pipe[1]);
    pthread_join(w->thread, NULL);
    close(w->pipe[0]);
}

/* Waits (up to 10 s) until tid's state, read afresh each look, is `want`. */
static char wait_for_state(struct thread_states *ts, pid_t tid, char want)
{
    char state = '?';
    for (int i = 0; i < 10000 && state != want; i++) {
        thread_states_begin(ts);
        state = thread_states_read(ts, tid);
        if (state != want) {
            struct timespec nap = {0, 1000000};
            nanosleep(&nap, NULL);
        }
    }
    return state;
}

static void running_and_sleeping(void **state)
{
    (void)state;
    struct thread_states ts;
    thread_states_init(&ts, getpid());
    struct worker spinner, blocked;
    start(&spinner, true);
    start(&blocked, false);
    /* A spinning thread is always R (on a CPU, or waiting for one). */
    assert_int_equal(wait_for_state(&ts, spinner.tid, 'R'), 'R');
    assert_int_equal(wait_for_state(&ts, blocked.tid, 'S'), 'S');
    thread_states_begin(&ts);
    assert_int_equal(thread_states_read(&ts, spinner.tid), 'R');
    assert_int_equal(thread_states_read(&ts, blocked.tid), 'S');
    assert_true(thread_state_running(thread_states_seen(&ts, spinner.tid)));
    assert_false(thread_state_running(thread_states_seen(&ts, blocked.tid)));
    assert_string_equal(thread_state_name('R'), "running");
    assert_string_equal(thread_state_name('S'), "sleeping");
    assert_int_equal(thread_state_now(getpid(), blocked.tid), 'S');

    /* A look reads each thread once: the spinner, now blocked... */
    thread_states_begin(&ts);
    assert_int_equal(thread_states_read(&ts, spinner.tid), 'R');
    finish(&spinner);
    assert_int_equal(thread_states_read(&ts, spinner.tid), 'R');
    /* ...is gone at a later look (pthread_join returns a moment before
     * the kernel takes the thread out of /proc), and its slot with it. */
    assert_int_equal(wait_for_state(&ts, spinner.tid, '\0'), '\0');
    assert_int_equal(thread_states_seen(&ts, spinner.tid), '\0');
    assert_int_equal(ts.n, 1);
    /* What a look did not read, it has not seen. */
    assert_int_equal(thread_states_seen(&ts, blocked.tid), '\0');
    finish(&blocked);
    thread_states_free(&ts);
    assert_int_equal(ts.n, 0);
}

/* More threads than files kept open (256): each still read, files closed
 * for the rest, none left open after free. */
#define MANY 300

static void more_threads_than_open_files(void **state)
{
    (void)state;
    static struct worker w[MANY];
    struct thread_states ts;
    thread_states_init(&ts, getpid());
    for (int i = 0; i < MANY; i++)
        start(&w[i], false);
    for (int round = 0; round < 2; round++) {
        thread_states_begin(&ts);
        for (int i = 0; i < MANY; i++) {
            char s = thread_states_read(&ts, w[i].tid);
            assert_true(s == 'S' || s == 'R');
        }
        assert_int_equal(ts.n, MANY);
        assert_true(ts.nopen <= 256);
    }
    for (int i = 0; i < MANY; i++)
        finish(&w[i]);
    thread_states_free(&ts);
    assert_int_equal(ts.nopen, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(running_and_sleeping),
        cmocka_unit_test(more_threads_than_open_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
