/* test_thread_ids: the host's kernel ids of a real child's threads
 * (thread_ids.c, glibc_pthread.c, reading with memory.c), from what CPython
 * records of a thread: its own kernel id (3.11+) or its pthread_t, through
 * glibc's struct pthread.  The child tells each thread's pthread_t and
 * kernel id; the ids read must be the ones it told. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "glibc_pthread.h"
#include "memory.h"
#include "thread_ids.h"
#include "tracee.h"

/* What a thread of the child tells of itself. */
struct told {
    uint64_t pthread_self;
    pid_t tid;
};

static int tell_fd;

static void tell(void)
{
    struct told me = {(uint64_t)pthread_self(), (pid_t)syscall(SYS_gettid)};
    if (write(tell_fd, &me, sizeof me) != (ssize_t)sizeof me)
        _exit(99);
}

static void *thread_main(void *arg)
{
    (void)arg;
    tell();
    for (;;)
        pause();
    return NULL;
}

/* A child of two threads, each of which tells, into told[2], who it is. */
static pid_t fork_child(struct told told[2])
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        tell_fd = p[1];
        tell();
        pthread_t t;
        if (pthread_create(&t, NULL, thread_main, NULL) != 0)
            _exit(98);
        for (;;)
            pause();
    }
    close(p[1]);
    for (int i = 0; i < 2; i++)
        assert_int_equal(read(p[0], &told[i], sizeof told[i]), (ssize_t)sizeof told[i]);
    close(p[0]);
    return pid;
}

static void end_child(pid_t pid)
{
    kill(pid, SIGKILL);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
}

/* glibc keeps each thread's kernel id where pyflame reads it. */
static void glibc_keeps_the_kernel_id(void **state)
{
    (void)state;
    struct told told[2];
    pid_t pid = fork_child(told);
    struct target_memory mem;
    memory_init(&mem, pid);
    for (int i = 0; i < 2; i++) {
        pid_t tid = 0;
        assert_true(glibc_pthread_tid(&mem, told[i].pthread_self, &tid));
        assert_int_equal(tid, told[i].tid);
    }
    pid_t tid;
    assert_false(glibc_pthread_tid(&mem, 0, &tid)); /* unreadable */
    memory_close(&mem);
    end_child(pid);
}

static void resolved_from_either_id(void **state)
{
    (void)state;
    struct told told[2];
    pid_t pid = fork_child(told);
    struct tracee t;
    assert_int_equal(tracee_seize(&t, pid), 0);
    struct target_memory mem;
    memory_init(&mem, pid);
    struct thread_ids ids = {.tracee = &t, .mem = &mem};
    for (int i = 0; i < 2; i++) {
        /* Before 3.11: the pthread_t alone. */
        pyflame_thread th = {.ident = told[i].pthread_self};
        thread_ids_resolve(&ids, &th, NULL, 0);
        assert_int_equal(th.os_tid, told[i].tid);
        /* 3.11+: the thread's own kernel id, the same in one namespace. */
        th = (pyflame_thread){.os_tid = (uint64_t)told[i].tid};
        thread_ids_resolve(&ids, &th, NULL, 0);
        assert_int_equal(th.os_tid, told[i].tid);
    }
    /* An id taken already by a thread of the sample is not taken again. */
    pyflame_thread first = {.os_tid = (uint64_t)told[1].tid};
    pyflame_thread th = {.ident = told[1].pthread_self};
    thread_ids_resolve(&ids, &th, &first, 1);
    assert_int_equal(th.os_tid, 0);
    /* Neither id known: none. */
    th = (pyflame_thread){0};
    thread_ids_resolve(&ids, &th, NULL, 0);
    assert_int_equal(th.os_tid, 0);
    thread_ids_free(&ids);
    memory_close(&mem);
    tracee_detach(&t);
    end_child(pid);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(glibc_keeps_the_kernel_id),
        cmocka_unit_test(resolved_from_either_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
