#include "walker.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pyflame/abi.h>

#include "code_cache.h"
#include "linetable.h"
#include "remote.h"
#include "read_cache.h"
#include "reason.h"
#include "thread_names.h"

#define MAX_STRUCT_READ 256
/* --nonblocking: how far below the running frame the torn check looks for
 * the frame a walk began with.  The target may have called that deep
 * while it was read. */
#define TORN_LOOKBACK 32
/* --nonblocking: frames one walk may read and still be checked, skipped
 * ones (C-stack shims, non-code) included. */
#define SEEN_MAX (2 * WALK_MAX_DEPTH)
/* --nonblocking: bytes of a frame's live slots the check compares, at
 * most: its first locals, where what changes as it runs mostly is. */
#define SLOTS_MAX 128

struct walker {
    const struct py_layout *layout;
    const pyflame_host *host;
    /* The GIL-holder probe's own lines: read afresh by each probe, all in
     * one batch (those the last probe used), and never a sample's lines. */
    struct read_cache *probe_lines;
    const pyflame_host *probe_host;
    uint64_t runtime; /* &_PyRuntime, 0 before 3.7 */
    uint64_t interp_head;    /* &interp_head (2.7, 3.6), 0 if absent */
    uint64_t tstate_current; /* &_PyThreadState_Current (2.7, 3.6) */
    struct read_cache *lines; /* w->host reads through it once open */
    struct code_cache *codes;
    struct thread_names *names;
    size_t tstate_read; /* bytes of PyThreadState holding what we use */
    size_t frame_size;  /* bytes of a frame holding what we use */
    pyflame_frame *frames; /* WALK_MAX_FRAMES */
    pyflame_thread *threads; /* WALK_MAX_THREADS */
    pyflame_thread holder;   /* of PYFLAME_SAMPLE_GIL_HOLDER_ONLY: threads[] stay */
    struct seen_frame *seen; /* SEEN_MAX, from the first --nonblocking walk */
    struct span *spans;      /* SEEN_MAX, likewise */
};

/* Frame pushed at the root of a stack cut at WALK_MAX_DEPTH. */
static const char TRUNCATED[] = "(truncated)";

/* Checks that the target is the release the layout describes, as far as
 * the target lets us tell. */
static int check_version(const struct walker *w, char *err, size_t errlen)
{
    const struct py_layout *l = w->layout;
    const pyflame_host *h = w->host;
    uint64_t py_version = h->find_symbol(h->ctx, "Py_Version");
    uint32_t hex;
    if (py_version && remote_read(h, py_version, &hex, sizeof hex) == 0) {
        int major = (int)(hex >> 24), minor = (int)((hex >> 16) & 0xff);
        if (major != l->major || minor != l->minor) {
            reason(err, errlen, "target is CPython %d.%d, not %d.%d", major,
                   minor, l->major, l->minor);
            return PYFLAME_ERR_UNSUPPORTED;
        }
    }
    if (w->runtime && l->runtime.debug_cookie >= 0) {
        static const char zero[8];
        char cookie[8];
        /* Unreadable or still zero: the loader is mapping the library. */
        if (remote_read(h, w->runtime + (uint64_t)l->runtime.debug_cookie,
                        cookie, sizeof cookie) != 0 ||
            memcmp(cookie, zero, sizeof zero) == 0) {
            reason(err, errlen, "_PyRuntime cannot be read yet");
            return PYFLAME_ERR_NOT_READY;
        }
        if (memcmp(cookie, "xdebugpy", 8) != 0) {
            reason(err, errlen, "_PyRuntime has no debug cookie: not CPython %d.%d",
                   l->major, l->minor);
            return PYFLAME_ERR_UNSUPPORTED;
        }
    }
    return PYFLAME_OK;
}

/* Finds the runtime's anchors: _PyRuntime (3.7+), or the current thread
 * state and interpreter list (2.7, 3.6). */
static int find_runtime(struct walker *w, char *err, size_t errlen)
{
    const struct py_layout *l = w->layout;
    const pyflame_host *h = w->host;
    if (l->symbols.runtime) {
        w->runtime = h->find_symbol(h->ctx, l->symbols.runtime);
        if (!w->runtime) {
            reason(err, errlen, "no %s symbol", l->symbols.runtime);
            return PYFLAME_ERR_UNSUPPORTED;
        }
        return PYFLAME_OK;
    }
    w->tstate_current = h->find_symbol(h->ctx, l->symbols.tstate_current);
    if (!w->tstate_current || h->find_symbol(h->ctx, "_PyRuntime")) {
        reason(err, errlen, "no %s symbol, or a newer runtime", l->symbols.tstate_current);
        return PYFLAME_ERR_UNSUPPORTED;
    }
    /* A static symbol: only where .symtab survived.  Without it, the
     * interpreter is found through the thread holding the GIL. */
    w->interp_head = h->find_symbol(h->ctx, l->symbols.interp_head);
    return PYFLAME_OK;
}

/* Is the interpreter initialised?  Before, its stacks are not worth
 * reading (trace mode waits for this). */
static int check_ready(struct walker *w, char *err, size_t errlen)
{
    const struct py_layout *l = w->layout;
    int32_t initialized = 1;
    uint64_t interp = 1;
    int rc = 0;
    if (w->runtime)
        rc = remote_read(w->host, w->runtime + (uint64_t)l->runtime.initialized,
                         &initialized, sizeof initialized) |
             remote_read_ptr(w->host, w->runtime + (uint64_t)l->runtime.interp_head, &interp);
    else if (w->interp_head)
        rc = remote_read_ptr(w->host, w->interp_head, &interp);
    if (rc != 0) {
        reason(err, errlen, "cannot read the interpreter's state");
        return PYFLAME_ERR_READ;
    }
    if (!initialized || !interp) {
        reason(err, errlen, "the interpreter is not initialised yet");
        return PYFLAME_ERR_NOT_READY;
    }
    return PYFLAME_OK;
}

void *pyflame_walker_open(const struct py_layout *layout, const pyflame_host *host,
                          int *status, char *err, size_t errlen)
{
    struct walker *w = calloc(1, sizeof *w);
    if (!w) {
        *status = PYFLAME_ERR_NOMEM;
        return NULL;
    }
    w->layout = layout;
    w->host = host;
    if ((*status = find_runtime(w, err, errlen)) != PYFLAME_OK ||
        (*status = check_version(w, err, errlen)) != PYFLAME_OK ||
        (*status = check_ready(w, err, errlen)) != PYFLAME_OK)
        goto fail;

    const int32_t toffs[] = {layout->tstate.next, layout->tstate.interp,
                             layout->tstate.frame, layout->tstate.thread_id,
                             layout->tstate.native_thread_id};
    w->tstate_read = fields_end(toffs, sizeof toffs / sizeof *toffs, 8);
    if (!(w->lines = pyflame_read_cache_new(host)) ||
        !(w->probe_lines = pyflame_read_cache_new(host))) {
        *status = PYFLAME_ERR_NOMEM;
        reason(err, errlen, "out of memory");
        goto fail;
    }
    w->probe_host = pyflame_read_cache_host(w->probe_lines);
    host = w->host = pyflame_read_cache_host(w->lines);
    struct code_types types = {
        .code = host->find_symbol(host->ctx, layout->symbols.code_type),
        .str = host->find_symbol(host->ctx, layout->symbols.str_type),
        .bytes = host->find_symbol(host->ctx, layout->symbols.bytes_type),
    };
    w->codes = pyflame_code_cache_new(host, layout, types);
    struct py_objects objects = {
        .host = host,
        .layout = layout,
        .str_type = types.str,
        .dict_type = host->find_symbol(host->ctx, layout->symbols.dict_type),
        .long_type = host->find_symbol(host->ctx, layout->symbols.long_type),
        .int_type = layout->symbols.int_type
                        ? host->find_symbol(host->ctx, layout->symbols.int_type) : 0,
    };
    w->names = pyflame_thread_names_new(&objects);
    w->frames = calloc(WALK_MAX_FRAMES, sizeof *w->frames);
    w->threads = calloc(WALK_MAX_THREADS, sizeof *w->threads);
    int32_t frame_size = layout->frame_model == PY_FRAMES_OBJECTS ? layout->frame.size
                                                                 : layout->iframe.size;
    w->frame_size = frame_size > 0 ? (size_t)frame_size : 0;
    if (w->tstate_read > MAX_STRUCT_READ || frame_size <= 0 || frame_size > MAX_STRUCT_READ) {
        *status = PYFLAME_ERR_UNSUPPORTED;
        reason(err, errlen, "the layout table of this plugin is out of bounds");
        goto fail;
    }
    if (!w->codes || !w->names || !w->frames || !w->threads) {
        *status = PYFLAME_ERR_NOMEM;
        reason(err, errlen, "out of memory");
        goto fail;
    }
    *status = PYFLAME_OK;
    return w;
fail:
    pyflame_walker_close(w);
    return NULL;
}

void pyflame_walker_close(void *state)
{
    struct walker *w = state;
    if (!w)
        return;
    pyflame_code_cache_free(w->codes);
    pyflame_thread_names_free(w->names);
    pyflame_read_cache_free(w->lines);
    pyflame_read_cache_free(w->probe_lines);
    free(w->frames);
    free(w->threads);
    free(w->seen);
    free(w->spans);
    free(w);
}

/* Brent's cycle detection over a chain of addresses: O(1) memory. */
struct cycle {
    uint64_t saved;
    unsigned power, steps;
};

static int cycle_seen(struct cycle *c, uint64_t addr)
{
    if (addr == c->saved)
        return 1;
    if (++c->steps == c->power) {
        c->saved = addr;
        c->power *= 2;
        c->steps = 0;
    }
    return 0;
}

/* One frame, as both frame models describe it. */
struct frame_view {
    uint64_t code;   /* code object (or something else: skipped) */
    long offset;     /* byte offset of the instruction, -1 before the first */
    uint64_t next;   /* the calling frame, 0 at the root */
    bool skip;       /* not a Python frame (C-stack shim) */
    bool running;    /* runs, not suspended in a call (3.12+: stacktop -1) */
    uint64_t slots;  /* --nonblocking: a hash of its live slots */
    size_t extent;   /* --nonblocking: bytes from the frame's start read */
};

/* A hash of len bytes (a multiple of 8): FNV-1a over words. */
static uint64_t hash_words(const uint8_t *p, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i + 8 <= len; i += 8) {
        uint64_t word;
        memcpy(&word, p + i, 8);
        h = (h ^ word) * 0x100000001b3ull;
    }
    return h;
}

/* --nonblocking: the live slots of frame f[] at fp (locals, cells and the
 * value stack), as a hash into v.  A caller's stay as they are while it
 * waits on its callee: a caller read twice with other slots ran between
 * the reads.  Its position alone cannot tell that: a target that goes
 * round a loop calls the same functions from the same places, but its
 * loop variable, its iterator's state on the value stack, move on.  The
 * slots of a running frame (3.12+: stacktop -1) are not kept and not read;
 * slots that cannot be read hash to a value of their own. */
static void read_slots(const struct walker *w, const pyflame_host *h, uint64_t fp,
                       const uint8_t *f, struct frame_view *v)
{
    const struct py_layout *l = w->layout;
    int64_t n = -1;
    int32_t base = 0;
    if (l->frame_model == PY_FRAMES_OBJECTS && l->frame.localsplus >= 0) {
        base = l->frame.localsplus;
        n = field_i64(f, PY_OB_SIZE);
    } else if (l->frame_model == PY_FRAMES_INTERPRETER && l->iframe.slots >= 0) {
        base = l->iframe.size;
        n = field_i32(f, l->iframe.slots);
    }
    if (n <= 0)
        return;
    size_t len = n > SLOTS_MAX / 8 ? SLOTS_MAX : (size_t)n * 8;
    uint8_t buf[SLOTS_MAX];
    if (remote_read(h, fp + (uint64_t)base, buf, len) != 0) {
        v->slots = 1;
        return;
    }
    v->slots = hash_words(buf, len) ^ (uint64_t)n;
    v->extent = (size_t)base + len;
}

/* Reads the frame at fp into v; with `slots`, its live slots too. */
static int read_frame(const struct walker *w, const pyflame_host *h, uint64_t fp,
                      struct frame_view *v, bool slots)
{
    const struct py_layout *l = w->layout;
    v->slots = 0;
    v->extent = w->frame_size;
    uint8_t f[MAX_STRUCT_READ];
    if (remote_read(h, fp, f, w->frame_size) != 0)
        return PYFLAME_ERR_READ;
    if (l->frame_model == PY_FRAMES_OBJECTS) {
        /* A frame object returned from is kept for reuse with no
         * references, its f_back linking the free list: read while the
         * target returns, it would end the stack early. */
        if (field_i64(f, PY_OB_REFCNT) <= 0)
            return PYFLAME_ERR_READ;
        int32_t lasti = field_i32(f, l->frame.lasti);
        v->code = field_ptr(f, l->frame.code);
        v->offset = lasti < 0 ? -1 : (long)lasti * l->frame.lasti_unit;
        v->next = field_ptr(f, l->frame.back);
        v->skip = false;
        v->running = false;
        if (slots)
            read_slots(w, h, fp, f, v);
        return PYFLAME_OK;
    }
    v->code = field_ptr(f, l->iframe.code);
    /* The instruction pointer counts from the first code unit; before
     * the first instruction it points one unit before it (3.11, 3.12). */
    uint64_t instr = field_ptr(f, l->iframe.instr), first = v->code + (uint64_t)l->code.code;
    v->offset = instr < first ? -1 : (long)(instr - first);
    v->next = field_ptr(f, l->iframe.previous);
    v->skip = (int)(signed char)f[l->iframe.owner] == l->iframe.owner_cstack;
    v->running = l->iframe.stacktop >= 0 && field_i32(f, l->iframe.stacktop) < 0;
    if (slots)
        read_slots(w, h, fp, f, v);
    return PYFLAME_OK;
}

/* The frame a thread runs, given its thread state's frame field: that
 * frame itself, or (3.11, 3.12) the cframe whose current frame it is. */
static int running_frame(const struct walker *w, const pyflame_host *h, uint64_t *fp)
{
    int32_t cframe_frame = w->layout->tstate.cframe_frame;
    if (cframe_frame >= 0 && *fp &&
        remote_read_ptr(h, *fp + (uint64_t)cframe_frame, fp) != 0)
        return PYFLAME_ERR_READ;
    return PYFLAME_OK;
}

/* A frame a walk read: where, and what it held. */
struct seen_frame {
    uint64_t fp;
    struct frame_view v;
};

/* What a --nonblocking walk read, to be checked: its thread state's frame
 * field, and every frame in order, leaf first. */
struct walk_record {
    uint64_t anchor;
    size_t n; /* may exceed SEEN_MAX: then only the first are kept */
};

static bool same_frame(const struct frame_view *a, const struct frame_view *b, bool leaf)
{
    /* The leaf runs on: only its code and caller must stay. */
    return a->code == b->code && a->next == b->next &&
           (leaf || (a->offset == b->offset && a->skip == b->skip &&
                     a->running == b->running && a->slots == b->slots));
}

/* --nonblocking: reads again, in one batched read, every frame the walk
 * read, and at the end of that batch where the thread's stack ends.  The
 * walk's first frame must still be on the stack there, and every frame
 * below it exactly as the walk read it, its live slots too: then the stack
 * read existed as a whole, and is no mix of two moments.  The thread state
 * and the cframe are not read again in the batch (each range costs the
 * kernel as much as pages of copying): the walk's cframe must simply still
 * be the thread's.  Without a version number in the frames this cannot
 * exclude a target that changed and changed back, slots and all, while it
 * was read; the batch keeps that window to a few microseconds. */
static int check_walk(struct walker *w, uint64_t tstate, const struct walk_record *rec)
{
    const struct py_layout *l = w->layout;
    if (rec->n == 0)
        return PYFLAME_OK;
    if (rec->n > SEEN_MAX)
        return PYFLAME_ERR_READ; /* too deep to check: hostile or corrupted */
    for (size_t i = 0; i < rec->n; i++)
        w->spans[i] = (struct span){w->seen[i].fp, w->seen[i].v.extent};
    /* Where the stack ends once the frames are copied.  With cframes
     * (3.11, 3.12) the walk's cframe must still be the thread's, and the
     * frame it runs is where the stack ends. */
    bool cframes = l->tstate.cframe_frame >= 0;
    uint64_t end_after[2] = {0, 0};
    pyflame_read after[2] = {
        {tstate + (uint64_t)l->tstate.frame, &end_after[0], 8},
        {rec->anchor + (uint64_t)l->tstate.cframe_frame, &end_after[1], 8},
    };
    if (pyflame_read_cache_refresh(w->lines, w->spans, rec->n, after, cframes ? 2 : 1) != 0 ||
        (cframes && end_after[0] != rec->anchor))
        return PYFLAME_ERR_TORN;
    uint64_t fp = end_after[cframes ? 1 : 0];
    /* The walk's first frame must still be on the stack: had it returned,
     * the frames below it could have run on and no longer call it. */
    int i = 0;
    for (; fp && fp != w->seen[0].fp && i < TORN_LOOKBACK; i++) {
        struct frame_view v;
        if (read_frame(w, w->host, fp, &v, false) != PYFLAME_OK)
            return PYFLAME_ERR_TORN;
        fp = v.next;
    }
    if (fp != w->seen[0].fp)
        return PYFLAME_ERR_TORN;
    for (size_t k = 0; k < rec->n; k++) {
        struct frame_view v;
        if (read_frame(w, w->host, w->seen[k].fp, &v, k > 0) != PYFLAME_OK ||
            !same_frame(&v, &w->seen[k].v, k == 0))
            return PYFLAME_ERR_TORN;
    }
    return PYFLAME_OK;
}

/* --nonblocking, 3.11+: the top of a stack read while it runs.  A
 * thread's frames lie side by side in its data stack, and one read copies
 * them in address order, the caller first, within nanoseconds: what they
 * hold is one moment.  But the walk takes its leaf from a pointer read at
 * another moment, and may begin above the frame then running, in slots
 * holding frames already returned from (their links intact: a frame is
 * never wiped).  Such frames are left out, so that the stack read begins
 * at the frame that ran when its slots were copied.  The frame under a
 * returned one is told by how it looks: it has not started, or (3.12+)
 * runs rather than waits on a call (stacktop -1). */
static bool calls(const struct frame_view *v)
{
    return v->offset >= 0 && !v->running;
}

/* 3.11 keeps no stacktop to tell that: there a leaf whose instruction is
 * its RETURN_VALUE, the last one a returned frame ran, is left out.  (A
 * leaf really at that instruction is gone a few nanoseconds later, its
 * caller still at the call: that is the stack printed.) */
static bool returned(const struct walker *w, const struct frame_view *v,
                     const struct code_info *ci)
{
    const struct py_layout *l = w->layout;
    uint8_t op;
    if (l->iframe.return_op < 0 || v->offset < 0 || (uint64_t)v->offset >= ci->code_bytes)
        return false;
    return remote_read(w->host, v->code + (uint64_t)l->code.code + (uint64_t)v->offset,
                       &op, 1) == 0 &&
           op == l->iframe.return_op;
}

/* Walks the frames of one thread state into w->frames[*used...]. */
static int walk_thread(struct walker *w, const uint8_t *ts, pyflame_thread *t,
                       size_t *used, struct walk_record *rec)
{
    const struct py_layout *l = w->layout;
    uint64_t fp = field_ptr(ts, l->tstate.frame);
    if (rec)
        rec->anchor = fp;
    if (running_frame(w, w->host, &fp) != PYFLAME_OK)
        return PYFLAME_ERR_READ;

    pyflame_frame *frames = w->frames + *used;
    size_t room = WALK_MAX_FRAMES - *used;
    if (room > WALK_MAX_DEPTH + 1)
        room = WALK_MAX_DEPTH + 1;
    size_t n = 0;
    struct cycle cyc = {0, 1, 0};
    /* The frame read last, if a Python one: the one this frame called. */
    bool called = false;

    while (fp) {
        if (cycle_seen(&cyc, fp))
            return PYFLAME_ERR_READ;
        struct frame_view v;
        /* The leaf's slots change as it runs: only its callers' count. */
        if (read_frame(w, w->host, fp, &v, rec && rec->n > 0) != PYFLAME_OK)
            return PYFLAME_ERR_READ;
        if (rec && called && !v.skip && !calls(&v)) {
            /* The frames walked so far had returned: begin here. */
            n = 0;
            rec->n = 0;
        }
        if (rec && rec->n++ < SEEN_MAX)
            w->seen[rec->n - 1] = (struct seen_frame){fp, v};
        fp = v.next;
        called = false;
        if (v.skip)
            continue;

        struct code_info *ci;
        int rc = pyflame_code_cache_get(w->codes, v.code, &ci);
        if (rc == CODE_NOT_CODE)
            continue;
        if (rc != PYFLAME_OK)
            return PYFLAME_ERR_READ;
        /* A frame being set up has its new code and the last one's
         * instruction pointer for a moment: past its code, torn. */
        if (rec && l->frame_model == PY_FRAMES_INTERPRETER && v.offset >= 0 &&
            (uint64_t)v.offset >= ci->code_bytes)
            return PYFLAME_ERR_TORN;
        if (rec && n == 0 && returned(w, &v, ci)) {
            rec->n = 0; /* the leaf had returned: its caller is the leaf */
            continue;
        }
        if (n + 1 >= room) {
            /* A Python frame left with no room: keep the leaf end and mark
             * the cut at the root.  Frames that are not Python ones (the
             * C-stack shim under <module>, 3.12+) cut nothing. */
            if (n < room)
                frames[n++] = (pyflame_frame){TRUNCATED, TRUNCATED, 0, 0, 0};
            break;
        }
        called = l->frame_model == PY_FRAMES_INTERPRETER;
        int line = pyflame_code_info_line(ci, l->line_format, v.offset);
        frames[n++] = (pyflame_frame){ci->file, ci->name, (uint32_t)line, 0,
                                      ci->key};
    }
    t->frames = frames;
    t->nframes = (uint32_t)n;
    *used += n;
    if (n == 0)
        t->flags |= PYFLAME_THREAD_IDLE;
    return PYFLAME_OK;
}

/* Where a thread is read: its interpreter, the GIL holder, the flags of
 * the sample. */
struct thread_ctx {
    uint64_t interp, gil_holder;
    uint32_t flags;
};

/* The arrays check_walk needs, made by the first --nonblocking walk; both
 * or neither. */
static int alloc_check(struct walker *w)
{
    if (w->seen)
        return 0;
    w->seen = malloc(SEEN_MAX * sizeof *w->seen);
    w->spans = malloc(SEEN_MAX * sizeof *w->spans);
    if (w->seen && w->spans)
        return 0;
    free(w->seen);
    free(w->spans);
    w->seen = NULL;
    w->spans = NULL;
    return -1;
}

/* A thread's ids from its thread state ts[], frames still to read. */
static pyflame_thread thread_of(const struct py_layout *l, const uint8_t *ts, uint32_t flags)
{
    return (pyflame_thread){
        /* Before 3.11 the core finds it from the pthread_t (ident). */
        .os_tid = l->tstate.native_thread_id >= 0 ? field_ptr(ts, l->tstate.native_thread_id) : 0,
        .ident = field_ptr(ts, l->tstate.thread_id),
        .flags = flags,
    };
}

static int read_thread(struct walker *w, uint64_t tstate, const struct thread_ctx *c,
                       pyflame_thread *t, uint64_t *next, size_t *used)
{
    const struct py_layout *l = w->layout;
    uint8_t ts[MAX_STRUCT_READ];
    if (remote_read(w->host, tstate, ts, w->tstate_read) != 0)
        return PYFLAME_ERR_READ;
    *t = thread_of(l, ts, tstate == c->gil_holder ? PYFLAME_THREAD_HOLDS_GIL
                                                   : PYFLAME_THREAD_IDLE);
    if (c->flags & PYFLAME_SAMPLE_THREAD_NAMES)
        t->name = pyflame_thread_names_get(w->names, c->interp, t->ident);
    *next = field_ptr(ts, l->tstate.next);
    if (!(c->flags & PYFLAME_SAMPLE_NONBLOCKING))
        return walk_thread(w, ts, t, used, NULL);
    if (alloc_check(w) != 0)
        return PYFLAME_ERR_READ;
    struct walk_record rec = {0};
    int rc = walk_thread(w, ts, t, used, &rec);
    /* A running target: a stack that changed under the walk is torn, and
     * so is most often a walk that failed.  A walk that called what it
     * read torn, read again the same, is not: what it objected to is in
     * the target's memory as it stands, corrupted. */
    int now = check_walk(w, tstate, &rec);
    if (now != PYFLAME_OK)
        return now;
    return rc == PYFLAME_ERR_TORN ? PYFLAME_ERR_READ : rc;
}

/* The thread holding the GIL of interpreter `interp`, 0 if it is free;
 * where that GIL is into *at unless NULL (0: found by tstate_current).
 * Read through h. */
static int gil_holder(const struct walker *w, const pyflame_host *h, uint64_t interp,
                      uint64_t *holder, uint64_t *at)
{
    const struct py_layout *l = w->layout;
    uint64_t gil = 0;
    if (at)
        *at = 0;
    if (w->tstate_current)
        return remote_read_ptr(h, w->tstate_current, holder) == 0
                   ? PYFLAME_OK : PYFLAME_ERR_READ;
    if (l->runtime.gil >= 0)
        gil = w->runtime + (uint64_t)l->runtime.gil;
    else if (remote_read_ptr(h, interp + (uint64_t)l->interp.gil_ptr, &gil) != 0)
        return PYFLAME_ERR_READ;
    uint8_t g[32];
    size_t len = (size_t)(l->gil.locked > l->gil.last_holder ? l->gil.locked + 4
                                                             : l->gil.last_holder + 8);
    if (len > sizeof g || remote_read(h, gil, g, len) != 0)
        return PYFLAME_ERR_READ;
    *holder = field_i32(g, l->gil.locked) ? field_ptr(g, l->gil.last_holder) : 0;
    if (at)
        *at = gil;
    return PYFLAME_OK;
}

static int sample_all(struct walker *w, uint64_t interp, uint32_t flags,
                      pyflame_sample *out)
{
    const struct py_layout *l = w->layout;
    size_t used = 0, nthreads = 0;
    struct cycle icyc = {0, 1, 0};
    for (int i = 0; interp && i < WALK_MAX_INTERPRETERS; i++) {
        if (cycle_seen(&icyc, interp))
            return PYFLAME_ERR_READ;
        struct thread_ctx c = {.interp = interp, .flags = flags};
        uint64_t tstate;
        if (gil_holder(w, w->host, interp, &c.gil_holder, NULL) != PYFLAME_OK ||
            remote_read_ptr(w->host, interp + (uint64_t)l->interp.threads_head,
                            &tstate) != 0)
            return PYFLAME_ERR_READ;
        struct cycle tcyc = {0, 1, 0};
        while (tstate && nthreads < WALK_MAX_THREADS) {
            if (cycle_seen(&tcyc, tstate))
                return PYFLAME_ERR_READ;
            int rc = read_thread(w, tstate, &c, &w->threads[nthreads], &tstate, &used);
            if (rc != PYFLAME_OK)
                return rc;
            nthreads++;
        }
        if (remote_read_ptr(w->host, interp + (uint64_t)l->interp.next, &interp) != 0)
            return PYFLAME_ERR_READ;
    }
    out->threads = w->threads;
    out->nthreads = (uint32_t)nthreads;
    for (size_t i = 0; i < nthreads; i++)
        if (!(w->threads[i].flags & PYFLAME_THREAD_IDLE))
            return PYFLAME_OK;
    return PYFLAME_IDLE;
}

static int sample_gil_holder(struct walker *w, uint64_t interp, uint32_t flags,
                             pyflame_sample *out)
{
    struct thread_ctx c = {.interp = interp, .flags = flags};
    uint64_t next;
    size_t used = 0;
    if (gil_holder(w, w->host, interp, &c.gil_holder, NULL) != PYFLAME_OK)
        return PYFLAME_ERR_READ;
    if (!c.gil_holder)
        return PYFLAME_IDLE;
    int rc = read_thread(w, c.gil_holder, &c, &w->threads[0], &next, &used);
    if (rc != PYFLAME_OK)
        return rc;
    out->threads = w->threads;
    out->nthreads = 1;
    return w->threads[0].nframes ? PYFLAME_OK : PYFLAME_IDLE;
}

/* The first interpreter: from _PyRuntime, from interp_head, or else from
 * the thread holding the GIL (0 when none does). */
static int first_interpreter(const struct walker *w, const pyflame_host *h, uint64_t *interp)
{
    const struct py_layout *l = w->layout;
    if (w->runtime)
        return remote_read_ptr(h, w->runtime + (uint64_t)l->runtime.interp_head,
                               interp);
    if (w->interp_head)
        return remote_read_ptr(h, w->interp_head, interp);
    uint64_t tstate;
    if (remote_read_ptr(h, w->tstate_current, &tstate) != 0)
        return -1;
    *interp = 0;
    return tstate ? remote_read_ptr(h, tstate + (uint64_t)l->tstate.interp, interp) : 0;
}

/* Do all the interpreters after `interp` share its GIL, at `gil`?  Always
 * before 3.12; since, one made with its own GIL runs its threads beside
 * the main GIL's holder.  0: yes, 1: no, or PYFLAME_ERR_READ. */
static int gils_differ(const struct walker *w, const pyflame_host *h, uint64_t interp,
                       uint64_t gil)
{
    const struct py_layout *l = w->layout;
    uint64_t other;
    struct cycle cyc = {0, 1, 0};
    if (l->interp.gil_ptr < 0)
        return 0;
    for (int i = 0; i < WALK_MAX_INTERPRETERS; i++) {
        if (cycle_seen(&cyc, interp) ||
            remote_read_ptr(h, interp + (uint64_t)l->interp.next, &interp) != 0)
            return PYFLAME_ERR_READ;
        if (!interp)
            return 0;
        if (remote_read_ptr(h, interp + (uint64_t)l->interp.gil_ptr, &other) != 0)
            return PYFLAME_ERR_READ;
        if (other != gil)
            return 1;
    }
    return PYFLAME_ERR_READ; /* more interpreters than any walk reads */
}

/* PYFLAME_SAMPLE_GIL_HOLDER_ONLY: reads through the probe's own lines, so
 * that the samples' caches stay as the last full sample left them, into a
 * thread of its own (PYFLAME_ABI_PROBES_GIL_HOLDER).  A steady target
 * costs one batched read: the lines the last probe used.  The batch goes
 * in address order, so the holder's thread state may be copied before
 * the GIL that names it; a holder guessed wrong that way costs a stop,
 * never a wrong sample (the sample reads the holder again). */
static int probe_gil_holder(struct walker *w, pyflame_sample *out)
{
    const pyflame_host *h = w->probe_host;
    uint64_t interp, holder, gil;
    uint8_t ts[MAX_STRUCT_READ];
    pyflame_read_cache_begin_sample(w->probe_lines);
    if (first_interpreter(w, h, &interp) != 0)
        return PYFLAME_ERR_READ;
    if (!interp)
        return PYFLAME_IDLE; /* finalizing */
    if (gil_holder(w, h, interp, &holder, &gil) != PYFLAME_OK)
        return PYFLAME_ERR_READ;
    int differ = gils_differ(w, h, interp, gil);
    if (differ < 0)
        return PYFLAME_ERR_READ;
    if (differ)
        return PYFLAME_ERR_UNSUPPORTED; /* more than one GIL: no one holder */
    if (!holder)
        return PYFLAME_IDLE;
    if (remote_read(h, holder, ts, w->tstate_read) != 0)
        return PYFLAME_ERR_READ;
    w->holder = thread_of(w->layout, ts, PYFLAME_THREAD_HOLDS_GIL);
    out->threads = &w->holder;
    out->nthreads = 1;
    return PYFLAME_OK;
}

int pyflame_walker_sample(void *state, uint32_t flags, pyflame_sample *out)
{
    struct walker *w = state;
    out->threads = NULL;
    out->nthreads = 0;
    if (flags & PYFLAME_SAMPLE_GIL_HOLDER_ONLY)
        return out->status = probe_gil_holder(w, out); /* threads set on OK only */
    pyflame_read_cache_begin_sample(w->lines);
    pyflame_code_cache_begin_sample(w->codes);
    pyflame_thread_names_begin_sample(w->names);

    uint64_t interp;
    int rc;
    if (first_interpreter(w, w->host, &interp) != 0)
        rc = PYFLAME_ERR_READ;
    else if (!interp)
        rc = PYFLAME_IDLE; /* finalizing */
    else if (flags & PYFLAME_SAMPLE_ALL_THREADS)
        rc = sample_all(w, interp, flags, out);
    else
        rc = sample_gil_holder(w, interp, flags, out);
    if (rc < 0) {
        out->threads = NULL;
        out->nthreads = 0;
    }
    out->status = rc;
    return rc;
}
