/* speedscope's own file format (https://www.speedscope.app/file-format-schema.json):
 *
 *     {"$schema": "https://www.speedscope.app/file-format-schema.json",
 *      "shared": {"frames": [{"name": "f", "file": "x.py", "line": 3}, ...]},
 *      "profiles": [{"type": "sampled", "name": "thread (1234)",
 *                    "unit": "microseconds", "startValue": 0, "endValue": 2000,
 *                    "samples": [[0, 1], [0, 2]], "weights": [1000, 1000]}],
 *      "name": "pyflame (pid 42)", "activeProfileIndex": 0, "exporter": "pyflame"}
 *
 * Frames are shared by every profile and deduplicated by file, function and
 * line ("line" is left out when it is 0: unknown, or -n).  Samples list
 * frame indices root first.  Samples in which no Python code ran use the
 * frame "(idle)", samples that could not be read "(failed)".
 *
 * Profiles: one "sampled" profile per thread, in the order the threads were
 * first seen, named like the core's --thread-names labels: "thread NAME
 * (TID)", "thread (TID)" while the name is unknown, "thread (0xIDENT)" with
 * only threading.get_ident() known.  With --thread-names the label is also
 * the root frame of every stack, written as a frame with a name alone.
 * Without --threads a sample has only the thread holding the GIL, so a
 * thread's profile has the samples in which it held it.  Samples that carry
 * no thread (nobody held the GIL, the read failed) and threads known by no
 * id at all go to a profile named "pyflame".  When the run saw exactly one
 * thread, those samples are merged into its profile, so a single-threaded
 * program keeps one whole timeline.  speedscope opens the profile that ran
 * Python code the longest (activeProfileIndex).
 *
 * Weights are real time in microseconds (see timeline.h); speedscope lays
 * a profile's samples end to end, from startValue (when its first sample
 * was taken, from the first sample of the run) to endValue = startValue +
 * the sum of its weights.
 *
 * Everything is written at the end, since the frames come before the
 * profiles and a sample's weight depends on the next one.  Until then the
 * samples wait on disk, in $TMPDIR (timeline.h, entry_log.h): memory holds
 * the distinct frames, the distinct stacks (a tree of (parent, frame)
 * nodes) and a few KB per thread, however long the run. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pyflame/output.h>

#include "grow.h"
#include "index_set.h"
#include "../common/format.h"
#include "../common/spool.h"
#include "../common/text.h"
#include "entry_log.h"
#include "timeline.h"

#define SCHEMA "https://www.speedscope.app/file-format-schema.json"

struct frame {
    char *file; /* NULL for (idle), (failed) and the core's labels */
    char *name;
    uint32_t line;
};

/* A stack, as a node of a tree: the frame on top of the stack `parent`. */
struct node {
    uint32_t parent; /* INDEX_SET_NONE at the root */
    uint32_t frame;
    uint32_t depth; /* frames in the stack, this one included */
};

struct profile {
    uint64_t os_tid, ident; /* both 0: the "pyflame" profile */
    char *name;             /* the thread's name, NULL while unknown */
    uint32_t mark, pick;    /* in the sample being added: tick + 1, picks[] */
    struct entry_log log;
    struct entry_log merged; /* the threadless samples (merge_threadless) */
};

/* The thread of a sample that stands for a profile. */
struct pick {
    uint32_t profile, thread;
};

struct speedscope {
    const pyflame_host *host;
    FILE *out;
    int pid;

    struct frame *frames;
    size_t nframes, capframes;
    struct index_set frame_set;

    struct node *nodes;
    size_t nnodes, capnodes;
    struct index_set node_set;
    uint32_t idle_node, failed_node;

    struct timeline timeline; /* when each sample was taken */
    struct spool *entries;    /* of every profile's entry_log */
    bool full;                /* warned that no more samples fit */

    struct profile *profiles;
    size_t nprofiles, capprofiles;
    struct index_set tid_set;   /* by (os_tid, ident), for os_tid != 0 */
    struct index_set ident_set; /* the latest profile of each ident */
    uint32_t threadless;        /* the "pyflame" profile, INDEX_SET_NONE until needed */
    struct pick *picks;         /* scratch of speedscope_sample() */
    size_t cappicks;
};

/* ---- frames and stacks ---- */

struct frame_key {
    const char *file, *name;
    uint32_t line;
};

static bool frame_eq(const void *ctx, uint32_t i, const void *key)
{
    const struct speedscope *s = ctx;
    const struct frame_key *k = key;
    const struct frame *f = &s->frames[i];
    if (!k->file || !f->file)
        return k->file == f->file && strcmp(k->name, f->name) == 0;
    return f->line == k->line && strcmp(f->name, k->name) == 0 &&
           strcmp(f->file, k->file) == 0;
}

/* The index of a frame; file NULL for one that is only a name. */
static uint32_t intern_frame(struct speedscope *s, const char *file, const char *name,
                             uint32_t line)
{
    struct frame_key key = {file, name, line};
    uint32_t h = index_hash_str(index_hash_str(0xcbf29ce484222325ull ^ line, name),
                            file ? file : "");
    size_t slot;
    uint32_t i = index_set_find(&s->frame_set, h, frame_eq, s, &key, &slot);
    if (i != INDEX_SET_NONE)
        return i;
    if (s->nframes >= INDEX_SET_NONE - 1) {
        errno = EOVERFLOW;
        return INDEX_SET_NONE;
    }
    if (grow_array((void **)&s->frames, &s->capframes, s->nframes + 1, sizeof *s->frames) != 0)
        return INDEX_SET_NONE;
    size_t nlen = strlen(name) + 1, flen = file ? strlen(file) + 1 : 0;
    char *text = malloc(nlen + flen);
    if (!text || index_set_put(&s->frame_set, slot, h, (uint32_t)s->nframes) != 0) {
        free(text);
        return INDEX_SET_NONE;
    }
    memcpy(text, name, nlen);
    if (file)
        memcpy(text + nlen, file, flen);
    s->frames[s->nframes] = (struct frame){file ? text + nlen : NULL, text, line};
    return (uint32_t)s->nframes++;
}

struct node_key {
    uint32_t parent, frame;
};

static bool node_eq(const void *ctx, uint32_t i, const void *key)
{
    const struct speedscope *s = ctx;
    const struct node_key *k = key;
    return s->nodes[i].parent == k->parent && s->nodes[i].frame == k->frame;
}

/* The stack `parent` with `frame` called on top of it. */
static uint32_t intern_node(struct speedscope *s, uint32_t parent, uint32_t frame)
{
    struct node_key key = {parent, frame};
    uint32_t h = index_hash_u64((uint64_t)parent << 32 | frame);
    size_t slot;
    uint32_t i = index_set_find(&s->node_set, h, node_eq, s, &key, &slot);
    if (i != INDEX_SET_NONE)
        return i;
    if (s->nnodes >= INDEX_SET_NONE - 1) {
        errno = EOVERFLOW;
        return INDEX_SET_NONE;
    }
    if (grow_array((void **)&s->nodes, &s->capnodes, s->nnodes + 1, sizeof *s->nodes) != 0 ||
        index_set_put(&s->node_set, slot, h, (uint32_t)s->nnodes) != 0)
        return INDEX_SET_NONE;
    uint32_t depth = parent == INDEX_SET_NONE ? 1 : s->nodes[parent].depth + 1;
    s->nodes[s->nnodes] = (struct node){parent, frame, depth};
    return (uint32_t)s->nnodes++;
}

/* A stack of one special frame: (idle) or (failed). */
static uint32_t special_node(struct speedscope *s, uint32_t *cache, const char *name)
{
    if (*cache == INDEX_SET_NONE) {
        uint32_t f = intern_frame(s, NULL, name, 0);
        if (f != INDEX_SET_NONE)
            *cache = intern_node(s, INDEX_SET_NONE, f);
    }
    return *cache;
}

/* The node of a thread's stack (its frames come leaf first). */
static uint32_t stack_node(struct speedscope *s, const pyflame_thread *t)
{
    uint32_t node = INDEX_SET_NONE;
    for (uint32_t i = t->nframes; i-- > 0;) {
        const pyflame_frame *fr = &t->frames[i];
        /* A label the core adds (--thread-names): its name alone. */
        bool label = fr->flags & PYFLAME_FRAME_LABEL;
        uint32_t f = intern_frame(s, label ? NULL : fr->file ? fr->file : "",
                                  fr->name ? fr->name : "", label ? 0 : fr->line);
        if (f == INDEX_SET_NONE || (node = intern_node(s, node, f)) == INDEX_SET_NONE)
            return INDEX_SET_NONE;
    }
    return node;
}

/* ---- profiles ---- */

/* Threads are told apart by kernel thread id and ident together: either
 * alone may be reused by a later thread (glibc hands a new thread the
 * pthread_t of one that ended).  The core may fail to find the kernel id of
 * a thread that it found before (e.g. while the thread ends): such a sample
 * goes to the latest thread with the same ident, and a thread first seen
 * without its kernel id takes it on when it shows up. */
struct thread_key {
    uint64_t os_tid, ident;
};

static bool tid_eq(const void *ctx, uint32_t i, const void *key)
{
    const struct speedscope *s = ctx;
    const struct thread_key *k = key;
    return s->profiles[i].os_tid == k->os_tid && s->profiles[i].ident == k->ident;
}

static bool ident_eq(const void *ctx, uint32_t i, const void *key)
{
    const struct speedscope *s = ctx;
    return s->profiles[i].ident == *(const uint64_t *)key;
}

static struct profile *profile_for(struct speedscope *s, uint64_t os_tid, uint64_t ident)
{
    struct thread_key key = {os_tid, ident};
    uint32_t htid = index_hash_u64(os_tid * 0x9e3779b97f4a7c15ull ^ ident);
    uint32_t hident = index_hash_u64(ident);
    size_t tslot = 0, islot = 0;
    uint32_t i = INDEX_SET_NONE, latest = INDEX_SET_NONE;
    if (!os_tid && !ident) {
        i = s->threadless;
    } else {
        if (os_tid)
            i = index_set_find(&s->tid_set, htid, tid_eq, s, &key, &tslot);
        if (ident)
            latest = index_set_find(&s->ident_set, hident, ident_eq, s, &ident, &islot);
        if (i == INDEX_SET_NONE && latest != INDEX_SET_NONE && !s->profiles[latest].os_tid) {
            i = latest; /* the same thread, its kernel id found at last */
            if (os_tid) {
                if (index_set_put(&s->tid_set, tslot, htid, i) != 0)
                    return NULL;
                s->profiles[i].os_tid = os_tid;
            }
        }
        if (i == INDEX_SET_NONE && !os_tid)
            i = latest;
    }
    if (i == INDEX_SET_NONE) {
        /* A new profile goes into both sets or neither: room first, in
         * both, then its slots again (room may have moved them). */
        if ((os_tid && index_set_reserve(&s->tid_set) != 0) ||
            (ident && index_set_reserve(&s->ident_set) != 0) ||
            grow_array((void **)&s->profiles, &s->capprofiles, s->nprofiles + 1,
                       sizeof *s->profiles) != 0)
            return NULL;
        if (os_tid)
            index_set_find(&s->tid_set, htid, tid_eq, s, &key, &tslot);
        if (ident)
            index_set_find(&s->ident_set, hident, ident_eq, s, &ident, &islot);
        i = (uint32_t)s->nprofiles++;
        s->profiles[i] = (struct profile){.os_tid = os_tid, .ident = ident};
        /* Cannot fail: room was made. */
        if (os_tid)
            index_set_put(&s->tid_set, tslot, htid, i);
        if (ident)
            index_set_put(&s->ident_set, islot, hident, i);
        if (!os_tid && !ident)
            s->threadless = i;
    }
    return &s->profiles[i];
}

/* The status of a failure of the spool or of memory (errno), told. */
static int spool_failed(const struct speedscope *s)
{
    if (errno == ENOMEM)
        return PYFLAME_ERR_NOMEM;
    if (s->host)
        spool_report(s->host, "speedscope");
    return PYFLAME_ERR_IO;
}

/* A PYFLAME_* status; errno tells why it failed. */
static int add_entry(struct speedscope *s, struct profile *p, uint32_t tick, uint32_t node)
{
    if (!p || node == INDEX_SET_NONE)
        return PYFLAME_ERR_NOMEM;
    if (entry_log_add(&p->log, s->entries, (struct entry){tick, node}) != 0)
        return spool_failed(s);
    return PYFLAME_OK;
}

/* ---- the plugin ---- */

static void *speedscope_open(const pyflame_host *host, const pyflame_output_config *cfg)
{
    struct speedscope *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->host = host;
    s->out = cfg->out;
    s->pid = cfg->pid;
    s->idle_node = s->failed_node = s->threadless = INDEX_SET_NONE;
    uint64_t interval_ns = cfg->interval_s >= 1e-9 ? (uint64_t)(cfg->interval_s * 1e9 + 0.5) : 1;
    if (timeline_open(&s->timeline, interval_ns,
                      (cfg->flags & PYFLAME_OUT_EXCLUDE_IDLE) != 0) != 0 ||
        !(s->entries = entry_spool_new())) {
        if (host)
            spool_report(host, "speedscope");
        timeline_free(&s->timeline);
        free(s);
        return NULL;
    }
    return s;
}

static int speedscope_sample(void *state, const pyflame_sample *smp)
{
    struct speedscope *s = state;
    if (timeline_count(&s->timeline) >= INDEX_SET_NONE - 1) {
        if (!s->full && s->host && s->host->warn)
            s->host->warn(s->host->ctx, "speedscope: too many samples; the rest are left out");
        s->full = true;
        return PYFLAME_OK;
    }
    uint32_t tick = (uint32_t)timeline_count(&s->timeline);
    if (timeline_add(&s->timeline, smp->time_ns) != 0)
        return spool_failed(s);

    if (smp->status == PYFLAME_ERR_READ || smp->nthreads == 0) {
        /* No thread to tell about: it goes to the "pyflame" profile. */
        struct profile *p = profile_for(s, 0, 0);
        uint32_t node;
        if (smp->status == PYFLAME_ERR_READ) {
            node = special_node(s, &s->failed_node, "(failed)");
        } else {
            node = special_node(s, &s->idle_node, "(idle)");
        }
        return add_entry(s, p, tick, node);
    }
    /* A thread may be listed twice: a thread state that CPython has just
     * made for a new thread carries its parent's ids until the thread
     * runs.  Each thread's profile gets one stack a sample, the one running
     * Python if either is. */
    if (grow_array((void **)&s->picks, &s->cappicks, smp->nthreads, sizeof *s->picks) != 0)
        return PYFLAME_ERR_NOMEM;
    size_t npicks = 0;
    for (uint32_t i = 0; i < smp->nthreads; i++) {
        const pyflame_thread *t = &smp->threads[i];
        struct profile *p = profile_for(s, t->os_tid, t->ident);
        if (!p)
            return PYFLAME_ERR_NOMEM;
        if (p->mark == tick + 1) {
            uint32_t *picked = &s->picks[p->pick].thread;
            if (!pyflame_thread_shown(&smp->threads[*picked]) && pyflame_thread_shown(t))
                *picked = i;
            continue;
        }
        p->mark = tick + 1;
        p->pick = (uint32_t)npicks;
        s->picks[npicks++] = (struct pick){(uint32_t)(p - s->profiles), i};
    }
    for (size_t k = 0; k < npicks; k++) {
        struct profile *p = &s->profiles[s->picks[k].profile];
        const pyflame_thread *t = &smp->threads[s->picks[k].thread];
        /* A thread's first known name is kept. */
        if (t->name && !p->name && !(p->name = strdup(t->name)))
            return PYFLAME_ERR_NOMEM;
        /* Like the aggregate: a thread not running Python is idle. */
        uint32_t node;
        if (pyflame_thread_shown(t)) {
            node = stack_node(s, t);
        } else {
            node = special_node(s, &s->idle_node, "(idle)");
        }
        int rc = add_entry(s, p, tick, node);
        if (rc != PYFLAME_OK)
            return rc;
    }
    return PYFLAME_OK;
}

/* ---- reading the samples back ---- */

/* A profile's entries in the order taken: its own and those merged in. */
struct stream {
    struct entry_reader r[2];
    struct entry head[2];
    bool more[2];
};

static void stream_start(struct stream *st, const struct speedscope *s, const struct profile *p)
{
    entry_reader_start(&st->r[0], &p->log, s->entries);
    entry_reader_start(&st->r[1], &p->merged, s->entries);
    for (int i = 0; i < 2; i++)
        st->more[i] = entry_reader_next(&st->r[i], &st->head[i]);
}

static bool stream_next(struct stream *st, struct entry *e)
{
    int i = st->more[0] && (!st->more[1] || st->head[0].tick <= st->head[1].tick) ? 0 : 1;
    if (!st->more[i])
        return false;
    *e = st->head[i];
    st->more[i] = entry_reader_next(&st->r[i], &st->head[i]);
    return true;
}

static bool stream_failed(const struct stream *st)
{
    return st->r[0].failed || st->r[1].failed;
}

/* With exactly one thread seen, samples without a thread go to its profile
 * (unless both have the same sample, which threads without ids could). */
static int merge_threadless(struct speedscope *s)
{
    if (s->nprofiles != 2)
        return 0;
    struct profile *a = &s->profiles[0], *b = &s->profiles[1];
    struct profile *none = !a->os_tid && !a->ident ? a : !b->os_tid && !b->ident ? b : NULL;
    if (!none)
        return 0;
    struct profile *thread = none == a ? b : a;
    struct profile keep = *thread;
    keep.merged = none->log;
    struct stream st;
    struct entry e;
    uint64_t last = UINT64_MAX;
    stream_start(&st, s, &keep);
    while (stream_next(&st, &e)) {
        if (e.tick == last)
            return 0; /* the same sample in both: keep them apart */
        last = e.tick;
    }
    if (stream_failed(&st))
        return -1;
    free(none->name);
    s->profiles[0] = keep;
    s->nprofiles = 1;
    return 0;
}

/* What a profile's samples add up to, in ns. */
struct extent {
    uint64_t start; /* offset of its first sample */
    uint64_t total; /* the time they stand for */
    uint64_t busy;  /* of which Python code ran */
};

static int measure(struct speedscope *s, const struct profile *p, struct extent *x)
{
    struct stream st;
    struct entry e;
    struct span sp;
    *x = (struct extent){0};
    stream_start(&st, s, p);
    for (bool first = true; stream_next(&st, &e); first = false) {
        if (timeline_span(&s->timeline, e.tick, &sp) != 0)
            return -1;
        if (first)
            x->start = sp.offset;
        x->total += sp.weight;
        if (e.node != s->idle_node && e.node != s->failed_node)
            x->busy += sp.weight;
    }
    return stream_failed(&st) ? -1 : 0;
}

/* ---- JSON ---- */

/* Numbers are most of the file: written without printf. */
static void put_uint(FILE *out, uint64_t v)
{
    char buf[24], *p = buf + sizeof buf;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    fwrite(p, 1, (size_t)(buf + sizeof buf - p), out);
}

/* A time in ns, written exactly in microseconds. */
static void put_us(FILE *out, uint64_t ns)
{
    put_uint(out, ns / 1000);
    unsigned frac = (unsigned)(ns % 1000);
    if (frac) {
        char digits[4];
        snprintf(digits, sizeof digits, "%03u", frac);
        for (int i = 2; i > 0 && digits[i] == '0'; i--)
            digits[i] = '\0';
        fprintf(out, ".%s", digits);
    }
}

/* Named as the core labels threads for --thread-names. */
static void put_profile_name(FILE *out, const struct profile *p)
{
    if (!p->os_tid && !p->ident) {
        json_put_string(out, "pyflame");
        return;
    }
    const char *name = p->name ? p->name : "";
    size_t len = strlen(name) + 48;
    char *text = malloc(len), small[48];
    if (!text) {
        name = "";
        text = small;
        len = sizeof small;
    }
    pyflame_thread_label(text, len, name, p->os_tid, p->ident);
    json_put_string(out, text);
    if (text != small)
        free(text);
}

/* Writes a stack root first; path[] has room for the deepest stack. */
static void put_stack(FILE *out, const struct speedscope *s, uint32_t node, uint32_t *path)
{
    uint32_t depth = 0;
    for (uint32_t n = node; n != INDEX_SET_NONE; n = s->nodes[n].parent)
        path[depth++] = s->nodes[n].frame;
    putc('[', out);
    for (uint32_t i = depth; i-- > 0;) {
        if (i + 1 != depth)
            putc(',', out);
        put_uint(out, path[i]);
    }
    putc(']', out);
}

/* Returns 0, or -1 if the samples could not be read back. */
static int put_profile(FILE *out, struct speedscope *s, const struct profile *p,
                       const struct extent *x, uint32_t *path)
{
    struct stream st;
    struct entry e;
    struct span sp;
    fputs("{\"type\":\"sampled\",\"name\":", out);
    put_profile_name(out, p);
    fputs(",\"unit\":\"microseconds\",\"startValue\":", out);
    put_us(out, x->start);
    fputs(",\"endValue\":", out);
    put_us(out, x->start + x->total);
    fputs(",\n \"samples\":[", out);
    stream_start(&st, s, p);
    for (bool first = true; stream_next(&st, &e); first = false) {
        if (!first)
            putc(',', out);
        put_stack(out, s, e.node, path);
    }
    if (stream_failed(&st))
        return -1;
    fputs("],\n \"weights\":[", out);
    stream_start(&st, s, p);
    for (bool first = true; stream_next(&st, &e); first = false) {
        if (timeline_span(&s->timeline, e.tick, &sp) != 0)
            return -1;
        if (!first)
            putc(',', out);
        put_us(out, sp.weight);
    }
    if (stream_failed(&st))
        return -1;
    fputs("]}", out);
    return 0;
}

/* The profile that ran Python code the longest: the one speedscope opens. */
static size_t busiest(const struct speedscope *s, const struct extent *x)
{
    size_t best = 0;
    for (size_t i = 1; i < s->nprofiles; i++)
        if (x[i].busy > x[best].busy)
            best = i;
    return best;
}

/* Everything the file needs that the samples on disk must tell first.
 * Returns 0, or -1 with errno set. */
static int gather(struct speedscope *s, struct extent **extents)
{
    for (size_t i = 0; i < s->nprofiles; i++)
        if (entry_log_flush(&s->profiles[i].log, s->entries) != 0)
            return -1;
    if (timeline_finish(&s->timeline) != 0 || merge_threadless(s) != 0)
        return -1;
    if (!(*extents = calloc(s->nprofiles ? s->nprofiles : 1, sizeof **extents)))
        return -1;
    for (size_t i = 0; i < s->nprofiles; i++)
        if (measure(s, &s->profiles[i], &(*extents)[i]) != 0)
            return -1;
    return 0;
}

static int write_file(struct speedscope *s)
{
    FILE *out = s->out;
    struct extent *extents = NULL;
    uint32_t maxdepth = 1;
    for (size_t i = 0; i < s->nnodes; i++)
        if (s->nodes[i].depth > maxdepth)
            maxdepth = s->nodes[i].depth;
    uint32_t *path = malloc(maxdepth * sizeof *path);
    if (!path || gather(s, &extents) != 0) {
        int rc = spool_failed(s);
        free(extents);
        free(path);
        return rc;
    }

    int rc = PYFLAME_OK;
    fputs("{\"$schema\":\"" SCHEMA "\",\n\"shared\":{\"frames\":[", out);
    for (size_t i = 0; i < s->nframes; i++) {
        const struct frame *f = &s->frames[i];
        fputs(i ? ",\n {\"name\":" : "\n {\"name\":", out);
        json_put_string(out, f->name);
        if (f->file) {
            fputs(",\"file\":", out);
            json_put_string(out, f->file);
        }
        if (f->line)
            fprintf(out, ",\"line\":%" PRIu32, f->line);
        putc('}', out);
    }
    fputs("]},\n\"profiles\":[", out);
    if (s->nprofiles == 0) {
        /* Nothing was sampled (or all of it was left out): one empty
         * profile, which speedscope opens without complaint. */
        struct profile empty = {0};
        fputs("\n", out);
        put_profile(out, s, &empty, extents, path);
    }
    for (size_t i = 0; i < s->nprofiles && rc == PYFLAME_OK; i++) {
        fputs(i ? ",\n" : "\n", out);
        if (put_profile(out, s, &s->profiles[i], &extents[i], path) != 0)
            rc = spool_failed(s);
    }
    char name[64];
    snprintf(name, sizeof name, "pyflame (pid %d)", s->pid);
    fputs("],\n\"name\":", out);
    json_put_string(out, name);
    fprintf(out, ",\"activeProfileIndex\":%zu,\"exporter\":\"pyflame\"}\n",
            busiest(s, extents));
    free(extents);
    free(path);
    return rc == PYFLAME_OK ? output_status(out) : rc;
}

static int speedscope_close(void *state)
{
    struct speedscope *s = state;
    int rc = write_file(s);
    if (output_flush(s->out) != PYFLAME_OK)
        rc = PYFLAME_ERR_IO;
    for (size_t i = 0; i < s->nframes; i++)
        free(s->frames[i].name); /* the file shares its block */
    free(s->frames);
    index_set_free(&s->frame_set);
    free(s->nodes);
    index_set_free(&s->node_set);
    timeline_free(&s->timeline);
    spool_free(s->entries);
    for (size_t i = 0; i < s->nprofiles; i++) {
        entry_log_free(&s->profiles[i].log);
        entry_log_free(&s->profiles[i].merged);
        free(s->profiles[i].name);
    }
    free(s->profiles);
    free(s->picks);
    index_set_free(&s->tid_set);
    index_set_free(&s->ident_set);
    free(s);
    return rc == PYFLAME_OK ? PYFLAME_OK : PYFLAME_ERR_IO;
}

FORMAT_PLUGIN(speedscope,
              .description = "speedscope JSON (www.speedscope.app), one profile per thread",
              .open = speedscope_open,
              .write_sample = speedscope_sample,
              .close = speedscope_close,
              .features = PYFLAME_OUT_ONE_DOCUMENT,
              .file_extension = "speedscope.json");
