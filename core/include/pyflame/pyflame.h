/* pyflame plugin API: the types shared by the core and every plugin.
 *
 * A plugin is a shared object that exports one constant struct (see
 * pyflame/abi.h and pyflame/output.h).  The first field of every such struct
 * is the API version it was built against; pyflame refuses a plugin whose
 * version it does not speak, before touching any other field.  Fields are
 * only ever appended, so a newer host can keep loading older plugins.
 *
 * Everything a plugin may do to the outside world goes through the host
 * services below: a plugin never calls ptrace, opens /proc or prints to the
 * terminal itself.
 *
 * Licensed under the Apache License, Version 2.0. */
#ifndef PYFLAME_PYFLAME_H
#define PYFLAME_PYFLAME_H

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The API these headers describe.  Bumped when a field is appended to a
 * plugin struct (the new field says which version brought it) or a new
 * value may be returned; pyflame loads plugins built for any version from
 * PYFLAME_API_OLDEST up to its own. */
#define PYFLAME_API_VERSION 5
#define PYFLAME_API_OLDEST 1

/* Results of plugin calls.  Negative values are errors. */
enum pyflame_status {
    PYFLAME_OK = 0,
    /* sample(): no thread was running Python code. */
    PYFLAME_IDLE = 1,
    /* Target memory could not be read, or what was read made no sense. */
    PYFLAME_ERR_READ = -1,
    /* abi open(): the interpreter exists but is not initialised yet. */
    PYFLAME_ERR_NOT_READY = -2,
    /* abi open(): the target is not the CPython version this plugin reads. */
    PYFLAME_ERR_UNSUPPORTED = -3,
    PYFLAME_ERR_NOMEM = -4,
    /* output: writing failed (see errno). */
    PYFLAME_ERR_IO = -5,
    /* API 2, abi sample() with PYFLAME_SAMPLE_NONBLOCKING: the target
     * changed while it was read, so the stacks may mix two moments.  The
     * core retries, then counts the sample as failed: output plugins never
     * see this value. */
    PYFLAME_ERR_TORN = -6,
};

/* pyflame_frame.flags */
/* Not Python code but a label the core adds, e.g. "thread MainThread
 * (12345)" at the root of each thread with --thread-names: print its name
 * alone.  Its file is "". */
#define PYFLAME_FRAME_LABEL 0x1u
/* API 4, with PYFLAME_FRAME_LABEL: "(idle)", the leaf of an idle thread's
 * stack under its thread's label (--thread-names), which stands for the
 * time that thread did not run. */
#define PYFLAME_FRAME_IDLE 0x2u

/* One Python frame.  Strings are UTF-8 and never NULL. */
typedef struct pyflame_frame {
    const char *file;
    const char *name; /* function name (co_name) */
    uint32_t line;    /* line being executed, 0 when unknown or with -n */
    uint32_t flags;   /* PYFLAME_FRAME_* */
    /* Non-zero value that the ABI plugin gives only to frames with the same
     * file and name, for as long as its state stays open; lets the core
     * skip comparing strings.  0: no promise. */
    uint64_t key;
} pyflame_frame;

/* pyflame_thread.flags */
#define PYFLAME_THREAD_HOLDS_GIL 0x1u
/* Not running Python code.  Plugins set it for threads without frames
 * and for threads without the GIL; the core then sets or clears it from
 * the kernel's word on whether the thread runs, or with --gil keeps it.
 * Output plugins see the core's verdict, and (API 4) an idle thread's
 * frames are the core's labels alone: none, or with --thread-names its
 * label and a PYFLAME_FRAME_IDLE leaf.  A thread with frames is a stack
 * to show. */
#define PYFLAME_THREAD_IDLE 0x2u

/* One thread in a sample. */
typedef struct pyflame_thread {
    uint64_t os_tid; /* kernel thread id, 0 when unknown */
    uint64_t ident;  /* threading.get_ident(), 0 when unknown */
    const char *name; /* Python thread name, NULL when unknown */
    uint32_t flags;   /* PYFLAME_THREAD_* */
    uint32_t nframes;
    const pyflame_frame *frames; /* leaf first */
} pyflame_thread;

/* Does thread t have a stack to show: Python code it ran, or (API 4,
 * --thread-names) its "(idle)" under its label?  Else it counts as idle
 * (or, in a sample that failed, as failed). */
static inline int pyflame_thread_shown(const pyflame_thread *t)
{
    return t->nframes > 0 &&
           (!(t->flags & PYFLAME_THREAD_IDLE) || (t->frames[0].flags & PYFLAME_FRAME_IDLE));
}

/* Writes how pyflame names a thread into buf[len]: "thread NAME (TID)",
 * "thread (TID)" without a Python name, and the ident in hex, "thread NAME
 * (0x7f...)", without a kernel thread id.  strlen(name) + 48 bytes always
 * suffice.  The core labels stacks with it (--thread-names); formats that
 * name threads themselves use it to name them alike. */
static inline void pyflame_thread_label(char *buf, size_t len, const char *name,
                                        uint64_t os_tid, uint64_t ident)
{
    const char *sep = name && *name ? " " : "";
    if (os_tid)
        snprintf(buf, len, "thread %s%s(%" PRIu64 ")", name ? name : "", sep, os_tid);
    else
        snprintf(buf, len, "thread %s%s(0x%" PRIx64 ")", name ? name : "", sep, ident);
}

/* One sample of the target.  Filled by the ABI plugin, time-stamped by the
 * core; valid until the plugin's next sample() call. */
typedef struct pyflame_sample {
    uint64_t time_ns; /* CLOCK_REALTIME when the sample was taken */
    /* PYFLAME_OK, PYFLAME_IDLE or PYFLAME_ERR_READ; from an ABI plugin
     * also (API 2) PYFLAME_ERR_TORN, and PYFLAME_ERR_UNSUPPORTED for a GIL
     * probe (see pyflame/abi.h).  Output plugins see the first three only:
     * the core hands them any other status as PYFLAME_ERR_READ, and never
     * a probe. */
    int status;
    uint32_t nthreads;
    const pyflame_thread *threads;
} pyflame_sample;

/* One read of a batch: len bytes at addr in the target, into buf. */
typedef struct pyflame_read {
    uint64_t addr;
    void *buf;
    size_t len;
} pyflame_read;

/* Services the core hands to every plugin.  `ctx` is the first argument of
 * each function.  Functions marked "ABI only" are NULL for output plugins. */
typedef struct pyflame_host {
    uint32_t api_version; /* PYFLAME_API_VERSION of the running core */
    void *ctx;
    /* ABI only.  Copy `len` bytes at `addr` in the target into `buf`.
     * Returns 0, or -1 if any byte could not be read. */
    int (*read_memory)(void *ctx, uint64_t addr, void *buf, size_t len);
    /* ABI only.  Address of a symbol of the Python runtime in the target
     * (libpython or the executable), load bias applied; 0 if absent. */
    uint64_t (*find_symbol)(void *ctx, const char *name);
    /* Report a problem to the user (printf-style, no trailing newline). */
    void (*warn)(void *ctx, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
    /* API 2, ABI only; absent when api_version is 1, and may be NULL.
     * The n reads of reads[], in one system call where the kernel allows:
     * cheaper than n calls of read_memory, and a running target is seen at
     * nearly one moment.  The reads are made in the order given, so a read
     * placed last sees the target no earlier than those before it.  Returns
     * how many reads, from the first, were done in full; read the rest one
     * by one if needed. */
    size_t (*read_many)(void *ctx, const pyflame_read *reads, size_t n);
    /* API 4, output only; absent when api_version is below 4.  Tell why
     * the call under way fails, when the cause is not the output stream
     * (the plugin's own temporary files, say), printf-style, no trailing
     * newline: the one error line the user sees for the failure; the call
     * then returns an error status.  A failure of the output stream itself
     * the core reports.  Only the first error of a run is shown. */
    void (*error)(void *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
} pyflame_host;

#ifdef __cplusplus
}
#endif

#endif
