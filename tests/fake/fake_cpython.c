/* A fake CPython process, for the releases no interpreter of which runs
 * here (3.13t, 3.14, 3.14t, 3.15, 3.15t).  Built once per release with
 * -include of the header gen_fake_layout.py makes from that release's
 * facts (facts/ABI.txt, from its own headers), it holds what an
 * out-of-process reader finds in the real one, laid out as that release
 * lays it out: _PyRuntime beginning with the release's _Py_DebugOffsets
 * (in the .PyRuntime section from 3.14), Py_Version, the type objects'
 * symbols, an interpreter, its threads' states, frames on their data
 * stacks (tagged references from 3.14, per-thread bytecode copies in
 * free-threaded 3.14+, the entry and base frames each release has), code
 * objects with their names and PEP 657 line tables, a GIL (off in the
 * free-threaded builds).  It never runs Python: its threads move their
 * frames through fixed chains of calls, as CPython moves them.
 *
 *     fake_cpython_ABI SECONDS [WORKERS]
 *
 * The main thread calls <module> -> a0 -> a1 -> a2, then b0 -> b1 -> b2,
 * then c0 -> ... -> c9, over and over, for SECONDS; each of WORKERS
 * threads calls w0 -> w1.  threading._active names the main thread
 * "MainThread" and worker N "worker-N", as CPython's threading module
 * keeps them: sys.modules, module dicts, int idents, and Thread objects
 * whose attributes are kept inline, as the release lays those out.  Function F's code is at line FIRST(F) of
 * fake_target.py: a caller waits in a call at FIRST + 1, a leaf runs at
 * FIRST + 2, and a frame not yet started is at FIRST.  The test
 * (tests/functional/test_fake_cpython.py) knows no more than this.
 * Prints "ready" once its interpreter is initialised. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default"), used))

/* _PyRuntime: the published table first, then the rest of the state.
 * 3.14+ put it in a section of its own, found without symbols. */
struct runtime {
    uint64_t table[FAKE_TABLE_WORDS];
    unsigned char rest[FAKE_RUNTIME_SIZE - 8 * FAKE_TABLE_WORDS];
};
#if FAKE_VERSION_HEX >= 0x030E0000
__attribute__((section(".PyRuntime"), aligned(32)))
#else
__attribute__((aligned(32)))
#endif
EXPORT struct runtime _PyRuntime = {.table = FAKE_TABLE};

EXPORT const uint32_t Py_Version = FAKE_VERSION_HEX;
/* Where the type objects are is all a reader compares. */
EXPORT unsigned char PyCode_Type[512], PyUnicode_Type[512], PyBytes_Type[512],
    PyDict_Type[512], PyLong_Type[512], _PyNone_Struct[64];

#define MAX_THREADS 8
#define UNITS 8          /* code units of every function */
#define CALL_UNIT 2      /* where a caller waits: line FIRST + 1 */
#define RUN_UNIT 5       /* where a leaf runs: line FIRST + 2 */
#define SLOTS 4          /* local slots of every frame */
#define STACK_BYTES (64 * 1024)

static void put64(void *base, long off, uint64_t v)
{
    memcpy((char *)base + off, &v, sizeof v);
}

static void put32(void *base, long off, uint32_t v)
{
    memcpy((char *)base + off, &v, sizeof v);
}

static void *zalloc(size_t size)
{
    void *p = aligned_alloc(64, (size + 63) & ~(size_t)63);
    if (!p) {
        perror("fake_cpython");
        exit(2);
    }
    return memset(p, 0, size);
}

/* An object of `size` bytes of type `type`, referenced once. */
static void *object(size_t size, const void *type)
{
    unsigned char *o = zalloc(size);
    put64(o, OB_TYPE, (uint64_t)(uintptr_t)type);
    if (!FAKE_FREE_THREADED)
        put64(o, 0, 1); /* ob_refcnt */
    return o;
}

/* A compact ASCII str. */
static void *str(const char *s)
{
    size_t n = strlen(s);
    unsigned char *o = object(ASCII_SIZE + n + 1, PyUnicode_Type);
    put64(o, ASCII_LENGTH, n);
    put32(o, ASCII_STATE,
          1u << STATE_KIND_SHIFT | 1u << STATE_COMPACT_SHIFT | 1u << STATE_ASCII_SHIFT);
    memcpy(o + ASCII_SIZE, s, n + 1);
    return o;
}

/* An int (positive, up to 90 bits): its digits of 30 bits. */
static void *py_int(uint64_t v)
{
    unsigned char *o = object(LONG_DIGITS + 12, PyLong_Type);
    uint64_t ndigits = 0;
    for (uint64_t rest = v; rest; rest >>= 30)
        put32(o, LONG_DIGITS + 4 * (long)ndigits++, (uint32_t)(rest & 0x3fffffff));
    put64(o, LONG_TAG, ndigits << 3); /* sign bits 0: positive */
    return o;
}

/* A dict of up to DICT_ROOM entries, its keys of every kind (a hash in
 * each entry); the reader goes through the entries, not the index table,
 * which stays empty. */
#define DICT_ROOM 16
#define INDEX_LOG2 4 /* 16 one-byte indices */

static unsigned char *keys_object(void)
{
    unsigned char *k = zalloc(KEYS_INDICES + (1 << INDEX_LOG2) + 24 * DICT_ROOM);
    k[KEYS_LOG2_SIZE] = INDEX_LOG2;
    k[KEYS_LOG2_INDEX_BYTES] = INDEX_LOG2;
    k[KEYS_KIND] = 0; /* general: entries of hash, key and value */
    return k;
}

static void keys_add(unsigned char *k, const void *key, const void *value)
{
    uint64_t n;
    memcpy(&n, k + KEYS_NENTRIES, sizeof n);
    if (n == DICT_ROOM) {
        fprintf(stderr, "fake_cpython: a dict is full\n");
        exit(2);
    }
    unsigned char *entry = k + KEYS_INDICES + (1 << INDEX_LOG2) + 24 * n;
    put64(entry, 0, n + 1);
    put64(entry, 8, (uint64_t)(uintptr_t)key);
    put64(entry, 16, (uint64_t)(uintptr_t)value);
    put64(k, KEYS_NENTRIES, n + 1);
}

static unsigned char *dict(void)
{
    unsigned char *d = object(DICT_VALUES + 8, PyDict_Type);
    put64(d, DICT_KEYS, (uint64_t)(uintptr_t)keys_object());
    return d;
}

static void dict_add(unsigned char *d, const void *key, const void *value)
{
    uint64_t k;
    memcpy(&k, d + DICT_KEYS, sizeof k);
    keys_add((unsigned char *)(uintptr_t)k, key, value);
}

/* threading.Thread: a heap type whose instances keep their attributes
 * inline, after the object, under its cached keys (_name alone here). */
static unsigned char *thread_type;

static void make_thread_type(void)
{
    thread_type = zalloc(HEAPTYPE_CACHED_KEYS + 8);
    put64(thread_type, TYPE_BASICSIZE, OBJECT_SIZE);
    put64(thread_type, TYPE_FLAGS, TPFLAGS_MANAGED_DICT | TPFLAGS_INLINE_VALUES);
    unsigned char *keys = keys_object();
    keys_add(keys, str("_name"), NULL);
    put64(thread_type, HEAPTYPE_CACHED_KEYS, (uint64_t)(uintptr_t)keys);
}

/* A Thread called `name`: no dict of its own (the pointer before the
 * object NULL), its one value inline. */
static void *thread_object(const char *name)
{
    unsigned char *block = zalloc(64 + OBJECT_SIZE + VALUES_VALUES + 8);
    unsigned char *o = block + 64;
    put64(o, OB_TYPE, (uint64_t)(uintptr_t)thread_type);
    put64(o, MANAGED_DICT_OFFSET, 0);
    unsigned char *values = o + OBJECT_SIZE;
    values[VALUES_CAPACITY] = 1;
    values[VALUES_SIZE] = 1;
    values[VALUES_EMBEDDED] = 1;
    values[VALUES_VALID] = 1;
    put64(values, VALUES_VALUES, (uint64_t)(uintptr_t)str(name));
    return o;
}

static void *bytes(const uint8_t *data, size_t n)
{
    unsigned char *o = object(BYTES_SIZE + n + 1, PyBytes_Type);
    put64(o, BYTES_OB_SIZE, n);
    memcpy(o + BYTES_SVAL, data, n);
    return o;
}

/* One entry of a PEP 657 location table without columns: `units` code
 * units (1 to 8) on the line `delta` from the one before. */
static size_t location(uint8_t *out, int units, int delta)
{
    size_t n = 0;
    unsigned v = delta < 0 ? (unsigned)(-delta) << 1 | 1 : (unsigned)delta << 1;
    out[n++] = (uint8_t)(0x80 | LOCATION_NO_COLUMNS << 3 | (units - 1));
    while (v >= 64) {
        out[n++] = (uint8_t)(64 | (v & 63));
        v >>= 6;
    }
    out[n++] = (uint8_t)v;
    return n;
}

struct function {
    const char *name;
    int first;           /* its first line */
    unsigned char *code; /* the code object */
    unsigned char *copies[MAX_THREADS + 1]; /* bytecode each thread runs */
};

/* Code of UNITS units: two at FIRST, two at FIRST + 1, the rest at
 * FIRST + 2.  Free-threaded 3.14+: a copy of the bytecode per thread. */
static void make_code(struct function *f, void *filename)
{
    uint8_t table[32];
    size_t n = location(table, 2, 0);
    n += location(table + n, 2, 1);
    n += location(table + n, UNITS - 4, 1);
    unsigned char *c = object(CODE_SIZE + UNITS * 2, PyCode_Type);
    put64(c, OB_SIZE, UNITS);
    put64(c, CODE_FILENAME, (uint64_t)(uintptr_t)filename);
    put64(c, CODE_NAME, (uint64_t)(uintptr_t)str(f->name));
    put64(c, CODE_QUALNAME, (uint64_t)(uintptr_t)str(f->name));
    put32(c, CODE_FIRSTLINENO, (uint32_t)f->first);
    put64(c, CODE_LINETABLE, (uint64_t)(uintptr_t)bytes(table, n));
    f->code = c;
    f->copies[0] = c + CODE_ADAPTIVE;
    if (CODE_TLBC < 0)
        return;
    unsigned char *array = zalloc((size_t)CODE_ARRAY_ENTRIES + 8 * (MAX_THREADS + 1));
    put64(array, CODE_ARRAY_SIZE, MAX_THREADS + 1);
    for (int i = 0; i <= MAX_THREADS; i++) {
        if (i > 0)
            f->copies[i] = memcpy(zalloc(UNITS * 2), f->copies[0], UNITS * 2);
        put64(array, CODE_ARRAY_ENTRIES + 8 * i, (uint64_t)(uintptr_t)f->copies[i]);
    }
    put64(c, CODE_TLBC, (uint64_t)(uintptr_t)array);
}

static struct function module = {"<module>", 1, 0, {0}};
static struct function chain_a[] = {{"a0", 10, 0, {0}}, {"a1", 20, 0, {0}}, {"a2", 30, 0, {0}}};
static struct function chain_b[] = {{"b0", 40, 0, {0}}, {"b1", 50, 0, {0}}, {"b2", 60, 0, {0}}};
static struct function chain_c[10];
static struct function chain_w[] = {{"w0", 300, 0, {0}}, {"w1", 310, 0, {0}}};
static const char *c_names[10] = {"c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"};

struct thread {
    int index;           /* 0: main; its bytecode copy in free-threaded 3.14+ */
    unsigned char *ts;   /* its thread state */
    unsigned char *stack; /* its frames, one after another */
    unsigned char *top;   /* where the next frame goes */
    unsigned char *frame; /* the current one */
};

static unsigned char *interp;
static pthread_mutex_t gil = PTHREAD_MUTEX_INITIALIZER;
static atomic_int stop;

static unsigned char *gil_state(void)
{
    return interp + INTERP_GIL;
}

static uint64_t ref(const void *object)
{
    return (uint64_t)(uintptr_t)object | REF_TAG;
}

/* The frame at the bottom of a thread's stack that runs no Python: the
 * thread state's base frame (3.15), else an entry frame owned by the
 * interpreter (3.14) or the C stack (3.13). */
static void entry_frame(struct thread *t)
{
    unsigned char *f;
    if (TSTATE_BASE_FRAME >= 0) {
        f = t->ts + TSTATE_BASE_FRAME;
    } else {
        f = t->top;
        t->top += FRAME_LOCALSPLUS;
    }
    put64(f, FRAME_EXECUTABLE, ref(_PyNone_Struct));
    f[FRAME_OWNER] = (unsigned char)(OWNED_BY_INTERPRETER >= 0 ? OWNED_BY_INTERPRETER
                                                               : OWNED_BY_CSTACK);
    t->frame = f;
    put64(t->ts, TSTATE_FRAME, (uint64_t)(uintptr_t)f);
}

static void set_instr(struct thread *t, unsigned char *frame, const struct function *fn, int unit)
{
    int copy = FRAME_TLBC_INDEX >= 0 ? t->index : 0;
    put64(frame, FRAME_INSTR, (uint64_t)(uintptr_t)(fn->copies[copy] + 2 * unit));
}

/* Calls fn from the current frame: the caller waits at its call, with
 * its value stack as a call leaves it; the new frame, not yet started, is
 * made on the data stack, then becomes the thread's, then starts. */
static void call(struct thread *t, const struct function *caller, const struct function *fn)
{
    unsigned char *f = t->top;
    if (caller) {
        set_instr(t, t->frame, caller, CALL_UNIT);
        if (FRAME_STACKPOINTER >= 0)
            put64(t->frame, FRAME_STACKPOINTER,
                  (uint64_t)(uintptr_t)(t->frame + FRAME_LOCALSPLUS + 8 * 2));
        if (FRAME_STACKTOP >= 0)
            put32(t->frame, FRAME_STACKTOP, 2);
    }
    put64(f, FRAME_EXECUTABLE, ref(fn->code));
    put64(f, FRAME_PREVIOUS, (uint64_t)(uintptr_t)t->frame);
    set_instr(t, f, fn, 0);
    f[FRAME_OWNER] = (unsigned char)OWNED_BY_THREAD;
    if (FRAME_TLBC_INDEX >= 0)
        put32(f, FRAME_TLBC_INDEX, (uint32_t)t->index);
    if (FRAME_STACKPOINTER >= 0)
        put64(f, FRAME_STACKPOINTER, (uint64_t)(uintptr_t)(f + FRAME_LOCALSPLUS));
    if (FRAME_STACKTOP >= 0)
        put32(f, FRAME_STACKTOP, 0);
    for (int i = 0; i < SLOTS; i++)
        put64(f, FRAME_LOCALSPLUS + 8 * i, 0);
    t->top = f + FRAME_LOCALSPLUS + 8 * SLOTS;
    atomic_signal_fence(memory_order_seq_cst);
    t->frame = f;
    put64(t->ts, TSTATE_FRAME, (uint64_t)(uintptr_t)f);
    atomic_signal_fence(memory_order_seq_cst);
    set_instr(t, f, fn, RUN_UNIT);
    if (FRAME_STACKTOP >= 0)
        put32(f, FRAME_STACKTOP, -1); /* running */
}

/* Returns to the caller: its frame becomes the thread's again and runs
 * on; the returned one's bytes stay as they were. */
static void ret(struct thread *t, const struct function *caller)
{
    uint64_t previous;
    memcpy(&previous, t->frame + FRAME_PREVIOUS, sizeof previous);
    t->top = t->frame;
    t->frame = (unsigned char *)(uintptr_t)previous;
    put64(t->ts, TSTATE_FRAME, previous);
    atomic_signal_fence(memory_order_seq_cst);
    if (caller) {
        set_instr(t, t->frame, caller, RUN_UNIT);
        if (FRAME_STACKTOP >= 0)
            put32(t->frame, FRAME_STACKTOP, -1);
    }
}

static void spin(long ns)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    do
        clock_gettime(CLOCK_MONOTONIC, &b);
    while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < ns);
}

static void take_gil(struct thread *t)
{
    if (FAKE_FREE_THREADED)
        return;
    pthread_mutex_lock(&gil);
    put64(gil_state(), GIL_HOLDER, (uint64_t)(uintptr_t)t->ts);
    put32(gil_state(), GIL_LOCKED, 1);
}

static void drop_gil(void)
{
    if (FAKE_FREE_THREADED)
        return;
    put32(gil_state(), GIL_LOCKED, 0);
    pthread_mutex_unlock(&gil);
}

/* Runs the chain fn[0..n) from <module>, the leaf for leaf_ns. */
static void run_chain(struct thread *t, const struct function *fn, int n, long leaf_ns)
{
    take_gil(t);
    const struct function *caller = &module;
    for (int i = 0; i < n; i++) {
        call(t, caller, &fn[i]);
        spin(20000);
        caller = &fn[i];
    }
    spin(leaf_ns);
    for (int i = n - 1; i >= 0; i--) {
        ret(t, i ? &fn[i - 1] : &module);
        spin(20000);
    }
    drop_gil();
    /* A while asleep between calls: another thread takes the GIL, and
     * this one is idle, as a thread waiting for it is. */
    struct timespec pause = {0, 50000};
    nanosleep(&pause, NULL);
}

static unsigned char *thread_state(void)
{
    unsigned char *ts = zalloc(TSTATE_SIZE);
    put64(ts, TSTATE_INTERP, (uint64_t)(uintptr_t)interp);
    put64(ts, TSTATE_THREAD_ID, (uint64_t)pthread_self());
    put64(ts, TSTATE_NATIVE_ID, (uint64_t)syscall(SYS_gettid));
    return ts;
}

/* A thread's state, its data stack, and <module> running on it. */
static void start_thread(struct thread *t, int index)
{
    t->index = index;
    t->ts = thread_state();
    t->stack = t->top = zalloc(STACK_BYTES);
    entry_frame(t);
    call(t, NULL, &module);
}

static struct thread threads[MAX_THREADS];
static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t list_changed = PTHREAD_COND_INITIALIZER;
static int listed;

/* New thread states go first, as CPython links them. */
static void link_thread(struct thread *t)
{
    pthread_mutex_lock(&list_lock);
    uint64_t head;
    memcpy(&head, interp + INTERP_THREADS_HEAD, sizeof head);
    put64(t->ts, TSTATE_NEXT, head);
    put64(interp + INTERP_THREADS_HEAD, 0, (uint64_t)(uintptr_t)t->ts);
    listed++;
    pthread_cond_broadcast(&list_changed);
    pthread_mutex_unlock(&list_lock);
}

static void *worker(void *arg)
{
    struct thread *t = arg;
    start_thread(t, t->index);
    link_thread(t);
    while (!atomic_load(&stop))
        run_chain(t, chain_w, 2, 300000);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s SECONDS [WORKERS]\n", argv[0]);
        return 2;
    }
    double seconds = atof(argv[1]);
    int workers = argc == 3 ? atoi(argv[2]) : 0;
    if (workers < 0 || workers >= MAX_THREADS) {
        fprintf(stderr, "fake_cpython: WORKERS is 0 to %d\n", MAX_THREADS - 1);
        return 2;
    }

    void *filename = str("fake_target.py");
    make_code(&module, filename);
    for (size_t i = 0; i < 3; i++) {
        make_code(&chain_a[i], filename);
        make_code(&chain_b[i], filename);
    }
    for (int i = 0; i < 10; i++) {
        chain_c[i] = (struct function){c_names[i], 100 + 10 * i, 0, {0}};
        make_code(&chain_c[i], filename);
    }
    for (size_t i = 0; i < 2; i++)
        make_code(&chain_w[i], filename);

    interp = zalloc(INTERP_SIZE);
    put64(interp, INTERP_GIL_PTR, (uint64_t)(uintptr_t)gil_state());
    if (GIL_ENABLED >= 0)
        put32(gil_state(), GIL_ENABLED, 0); /* free-threaded: no GIL */
    struct thread *main_thread = &threads[0];
    start_thread(main_thread, 0);
    link_thread(main_thread);
    pthread_t ids[MAX_THREADS];
    for (int i = 1; i <= workers; i++) {
        threads[i].index = i;
        pthread_create(&ids[i], NULL, worker, &threads[i]);
    }
    pthread_mutex_lock(&list_lock);
    while (listed < workers + 1)
        pthread_cond_wait(&list_changed, &list_lock);
    pthread_mutex_unlock(&list_lock);

    /* sys.modules["threading"]._active: each thread's ident to its Thread. */
    make_thread_type();
    unsigned char *modules = dict(), *threading = object(MODULE_DICT + 8, NULL);
    unsigned char *threading_dict = dict(), *active = dict();
    put64(threading, MODULE_DICT, (uint64_t)(uintptr_t)threading_dict);
    dict_add(modules, str("threading"), threading);
    dict_add(threading_dict, str("_active"), active);
    for (int i = 0; i <= workers; i++) {
        char name[32];
        uint64_t ident;
        memcpy(&ident, threads[i].ts + TSTATE_THREAD_ID, sizeof ident);
        snprintf(name, sizeof name, i ? "worker-%d" : "MainThread", i);
        dict_add(active, py_int(ident), thread_object(name));
    }
    put64(interp, INTERP_MODULES, (uint64_t)(uintptr_t)modules);

    put64(&_PyRuntime, RT_INTERP_HEAD, (uint64_t)(uintptr_t)interp);
    atomic_signal_fence(memory_order_seq_cst);
    put32(&_PyRuntime, RT_INITIALIZED, 1);
    printf("ready\n");
    fflush(stdout);

    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    do {
        run_chain(main_thread, chain_a, 3, 300000);
        run_chain(main_thread, chain_b, 3, 300000);
        run_chain(main_thread, chain_c, 10, 300000);
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((double)(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 < seconds);
    atomic_store(&stop, 1);
    for (int i = 1; i <= workers; i++)
        pthread_join(ids[i], NULL);
    return 0;
}
