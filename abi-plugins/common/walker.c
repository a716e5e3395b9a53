#include "walker.h"

#include <stdbool.h>
#include <stdlib.h>

#include <pyflame/abi.h>

#include "code_cache.h"
#include "cycle.h"
#include "frame.h"
#include "interpreter.h"
#include "linetable.h"
#include "published_layout.h"
#include "remote.h"
#include "read_cache.h"
#include "reason.h"
#include "thread_names.h"
#include "torn_check.h"

struct walker {
    const struct py_layout *layout; /* &own */
    /* The plugin's table, with what the target publishes of its own
     * layout (3.13+) in place of the table's offsets. */
    struct py_layout own;
    const pyflame_host *host;
    /* The GIL-holder probe's own lines: read afresh by each probe, all in
     * one batch (those the last probe used), and never a sample's lines. */
    struct read_cache *probe_lines;
    const pyflame_host *probe_host;
    struct py_anchors anchors;
    struct read_cache *lines; /* w->host reads through it once open */
    struct code_cache *codes;
    struct thread_names *names;
    size_t tstate_read; /* bytes of PyThreadState holding what we use */
    size_t frame_size;  /* bytes of a frame holding what we use */
    pyflame_frame *frames; /* WALK_MAX_FRAMES */
    pyflame_thread *threads; /* WALK_MAX_THREADS */
    pyflame_thread holder;   /* of PYFLAME_SAMPLE_GIL_HOLDER_ONLY: threads[] stay */
    struct torn_check *torn; /* from the first --nonblocking walk */
};

/* Frame pushed at the root of a stack cut at WALK_MAX_DEPTH. */
static const char TRUNCATED[] = "(truncated)";

void *pyflame_walker_open(const struct py_layout *layout, const pyflame_host *host,
                          int *status, char *err, size_t errlen)
{
    struct walker *w = calloc(1, sizeof *w);
    if (!w) {
        *status = PYFLAME_ERR_NOMEM;
        return NULL;
    }
    w->own = *layout;
    w->layout = layout = &w->own;
    w->host = host;
    if ((*status = pyflame_anchors_find(layout, host, &w->anchors, err, errlen)) != PYFLAME_OK ||
        (*status = pyflame_layout_follow_published(&w->own, host, w->anchors.runtime, err,
                                                   errlen)) != PYFLAME_OK ||
        (*status = pyflame_layout_sound(layout, err, errlen)) != PYFLAME_OK ||
        (*status = pyflame_anchors_ready(layout, host, &w->anchors, err, errlen)) != PYFLAME_OK)
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
    pyflame_torn_check_free(w->torn);
    free(w);
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

/* Walks the frames of one thread state into w->frames[*used...], noting
 * them in `torn` unless NULL (--nonblocking). */
static int walk_thread(struct walker *w, const uint8_t *ts, pyflame_thread *t,
                       size_t *used, struct torn_check *torn)
{
    const struct py_layout *l = w->layout;
    uint64_t fp = field_ptr(ts, l->tstate.frame);
    if (torn)
        pyflame_torn_begin(torn, fp);
    if (pyflame_frame_running(l, w->host, &fp) != PYFLAME_OK)
        return PYFLAME_ERR_READ;

    pyflame_frame *frames = w->frames + *used;
    size_t room = WALK_MAX_FRAMES - *used;
    if (room > WALK_MAX_DEPTH + 1)
        room = WALK_MAX_DEPTH + 1;
    size_t n = 0;
    struct cycle cyc = CYCLE_INIT;
    /* The frame read last, if a Python one: the one this frame called. */
    bool called = false;

    while (fp) {
        if (cycle_seen(&cyc, fp))
            return PYFLAME_ERR_READ;
        struct frame_view v;
        /* The leaf's slots change as it runs: only its callers' count. */
        if (pyflame_frame_read(l, w->frame_size, w->host, fp, &v,
                               torn && pyflame_torn_noted(torn) > 0) != PYFLAME_OK)
            return PYFLAME_ERR_READ;
        if (torn && called && !v.skip && !calls(&v)) {
            /* The frames walked so far had returned: begin here. */
            n = 0;
            pyflame_torn_restart(torn);
        }
        if (torn)
            pyflame_torn_note(torn, fp, &v);
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
        if (torn && l->frame_model == PY_FRAMES_INTERPRETER && v.offset >= 0 &&
            (uint64_t)v.offset >= ci->code_bytes)
            return PYFLAME_ERR_TORN;
        if (torn && n == 0 && returned(w, &v, ci)) {
            pyflame_torn_restart(torn); /* the leaf had returned: its caller is the leaf */
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
    /* Made by the first --nonblocking walk: stop mode needs none. */
    if (!w->torn && !(w->torn = pyflame_torn_check_new(l, w->frame_size, w->lines)))
        return PYFLAME_ERR_READ;
    int rc = walk_thread(w, ts, t, used, w->torn);
    /* A running target: a stack that changed under the walk is torn, and
     * so is most often a walk that failed.  A walk that called what it
     * read torn, read again the same, is not: what it objected to is in
     * the target's memory as it stands, corrupted. */
    int now = pyflame_torn_check(w->torn, tstate);
    if (now != PYFLAME_OK)
        return now;
    return rc == PYFLAME_ERR_TORN ? PYFLAME_ERR_READ : rc;
}

static int sample_all(struct walker *w, uint64_t interp, uint32_t flags,
                      pyflame_sample *out)
{
    const struct py_layout *l = w->layout;
    size_t used = 0, nthreads = 0;
    struct cycle icyc = CYCLE_INIT;
    for (int i = 0; interp && i < WALK_MAX_INTERPRETERS; i++) {
        if (cycle_seen(&icyc, interp))
            return PYFLAME_ERR_READ;
        struct thread_ctx c = {.interp = interp, .flags = flags};
        uint64_t tstate;
        if (pyflame_gil_holder(w->layout, &w->anchors, w->host, interp, &c.gil_holder, NULL) != PYFLAME_OK ||
            remote_read_ptr(w->host, interp + (uint64_t)l->interp.threads_head,
                            &tstate) != 0)
            return PYFLAME_ERR_READ;
        struct cycle tcyc = CYCLE_INIT;
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
    if (pyflame_gil_holder(w->layout, &w->anchors, w->host, interp, &c.gil_holder, NULL) != PYFLAME_OK)
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
    if (pyflame_first_interpreter(w->layout, &w->anchors, h, &interp) != 0)
        return PYFLAME_ERR_READ;
    if (!interp)
        return PYFLAME_IDLE; /* finalizing */
    if (pyflame_gil_holder(w->layout, &w->anchors, h, interp, &holder, &gil) != PYFLAME_OK)
        return PYFLAME_ERR_READ;
    int differ = pyflame_gils_differ(w->layout, h, interp, gil);
    if (!differ)
        differ = pyflame_gil_off(w->layout, h, interp);
    if (differ < 0)
        return PYFLAME_ERR_READ;
    if (differ)
        return PYFLAME_ERR_UNSUPPORTED; /* more than one GIL, or none: no one holder */
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
    int rc, off = 0;
    if (pyflame_first_interpreter(w->layout, &w->anchors, w->host, &interp) != 0)
        rc = PYFLAME_ERR_READ;
    else if (!interp)
        rc = PYFLAME_IDLE; /* finalizing */
    else if ((off = pyflame_gil_off(w->layout, w->host, interp)) < 0)
        rc = PYFLAME_ERR_READ;
    else if ((flags & PYFLAME_SAMPLE_ALL_THREADS) || off)
        /* Without a GIL, no thread is the one running: every thread is
         * read, and the core keeps those the kernel says run. */
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
