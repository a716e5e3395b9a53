#include "thread_states.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grow.h"

/* Files kept open at most: a target of more threads has the others'
 * files opened for each read, rather than pyflame run out of descriptors. */
#define MAX_OPEN 256
/* A thread not looked at for this many looks has its file closed (it may
 * be gone: only its next read would tell). */
#define STALE_LOOKS 1024

struct thread_state_slot {
    pid_t tid;
    int fd; /* -1: opened for each read */
    char state;
    uint64_t look;
};

void thread_states_init(struct thread_states *ts, pid_t pid)
{
    *ts = (struct thread_states){.pid = pid, .look = 1};
}

static void close_slot(struct thread_states *ts, struct thread_state_slot *s)
{
    if (s->fd >= 0) {
        close(s->fd);
        ts->nopen--;
    }
    s->fd = -1;
}

static void drop(struct thread_states *ts, size_t i)
{
    close_slot(ts, &ts->slots[i]);
    memmove(&ts->slots[i], &ts->slots[i + 1], (ts->n - i - 1) * sizeof *ts->slots);
    ts->n--;
}

void thread_states_free(struct thread_states *ts)
{
    while (ts->n)
        drop(ts, ts->n - 1);
    free(ts->slots);
    ts->slots = NULL;
    ts->cap = 0;
}

void thread_states_begin(struct thread_states *ts)
{
    if (++ts->look % STALE_LOOKS)
        return;
    for (size_t i = ts->n; i-- > 0;)
        if (ts->slots[i].look + STALE_LOOKS < ts->look)
            drop(ts, i);
}

/* The slot of `tid` (slots are sorted by tid), or where it would go. */
static size_t find(const struct thread_states *ts, pid_t tid)
{
    size_t lo = 0, hi = ts->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ts->slots[mid].tid < tid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int open_stat(pid_t pid, pid_t tid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
    return open(path, O_RDONLY | O_CLOEXEC);
}

/* The state in a stat line: it follows the command name, which may hold
 * anything, ')' too, and ends with the line's last ')'. */
static char parse_state(int fd)
{
    char buf[512];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return '\0';
    buf[n] = '\0';
    const char *close_paren = strrchr(buf, ')');
    return close_paren && close_paren[1] == ' ' ? close_paren[2] : '\0';
}

char thread_state_now(pid_t pid, pid_t tid)
{
    int fd = open_stat(pid, tid);
    if (fd < 0)
        return '\0';
    char state = parse_state(fd);
    close(fd);
    return state;
}

/* Opens tid's file for s, unless too many are open. */
static void open_slot(struct thread_states *ts, struct thread_state_slot *s)
{
    if (ts->nopen < MAX_OPEN && (s->fd = open_stat(ts->pid, s->tid)) >= 0)
        ts->nopen++;
}

/* Reads s's state now: from its open file, or from a file opened again
 * (the thread may be gone, and its id taken by a new thread since). */
static char read_slot(struct thread_states *ts, struct thread_state_slot *s)
{
    char state = s->fd >= 0 ? parse_state(s->fd) : '\0';
    if (state)
        return state;
    close_slot(ts, s);
    open_slot(ts, s);
    return s->fd >= 0 ? parse_state(s->fd) : thread_state_now(ts->pid, s->tid);
}

char thread_states_read(struct thread_states *ts, pid_t tid)
{
    size_t i = find(ts, tid);
    if (i == ts->n || ts->slots[i].tid != tid) {
        if (grow_array((void **)&ts->slots, &ts->cap, ts->n + 1, sizeof *ts->slots))
            return thread_state_now(ts->pid, tid);
        memmove(&ts->slots[i + 1], &ts->slots[i], (ts->n - i) * sizeof *ts->slots);
        ts->slots[i] = (struct thread_state_slot){.tid = tid, .fd = -1};
        ts->n++;
    } else if (ts->slots[i].look == ts->look) {
        return ts->slots[i].state;
    }
    struct thread_state_slot *s = &ts->slots[i];
    char state = read_slot(ts, s);
    if (!state) {
        drop(ts, i);
        return '\0';
    }
    s->state = state;
    s->look = ts->look;
    return state;
}

char thread_states_seen(const struct thread_states *ts, pid_t tid)
{
    size_t i = find(ts, tid);
    return i < ts->n && ts->slots[i].tid == tid && ts->slots[i].look == ts->look
               ? ts->slots[i].state : '\0';
}

const char *thread_state_name(char state)
{
    switch (state) {
    case 'R': return "running";
    case 'S': return "sleeping";
    case 'D': return "in disk sleep";
    case 'T': return "stopped";
    case 't': return "stopped by a tracer";
    case 'Z': case 'X': return "exited";
    case 'I': return "idle";
    default: return "state unknown";
    }
}
