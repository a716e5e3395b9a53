/* Chrome DevTools CPU profile (.cpuprofile), the JSON that DevTools'
 * "Load profile" and speedscope read, and that Pyflame's flame-chart-json
 * script produced from -T output:
 *
 *     {"nodes":[
 *     {"id":1,"callFrame":{"functionName":"(root)","scriptId":"0","url":"",
 *      "lineNumber":-1,"columnNumber":-1},"hitCount":0,"children":[2]},
 *     {"id":2,"callFrame":{"functionName":"<module>","scriptId":"2",
 *      "url":"/app/main.py","lineNumber":19,"columnNumber":0},...},
 *     ...],
 *     "startTime":1700000000000000,"endTime":1700000001000000,
 *     "samples":[3,3,4,...],
 *     "timeDeltas":[1002,1000,998,...]}
 *
 * Node 1 is "(root)"; below it the call tree, one node per distinct
 * (caller path, file, function, line), lineNumber 0-based (-1: unknown),
 * scriptId the same for the frames of one file ("0": no file).
 * "samples" holds the leaf node of each sample, "timeDeltas" the time since
 * the previous sample (the first: since startTime, when the profile began),
 * in microseconds, from the real sample times; endTime is the last sample's
 * time.  Samples without Python code go to "(idle)", unreadable ones to
 * "(failed)", both children of the root.
 *
 * A sample of several threads (--threads) gives one sample per thread
 * running Python code, all at the sample's time (delta 0 for all but the
 * first).  Stacks hang under a node "thread NAME (TID)" of their thread when
 * the profile saw more than one thread that has a name or kernel thread id;
 * with a single thread that level carries no information and is left out.
 * With --thread-names the core begins every stack with such a frame itself
 * (PYFLAME_FRAME_LABEL), and that frame is the thread's node, always kept.
 * Label frames have no url and lineNumber -1.
 *
 * Memory: the call tree (bounded by the distinct stacks), the distinct
 * strings, and the two per-sample arrays the format itself consists of.
 * Everything is written at close(). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pyflame/output.h>

#include "clock.h"
#include "grow.h"
#include "index_set.h"
#include "../common/format.h"
#include "../common/spool.h"
#include "../common/text.h"

#define ROOT 0u /* index of (root); a node's id is its index + 1 */

/* ---- Distinct strings ---------------------------------------------------- */

struct strings {
    char **items; /* the copies; an item's id (scriptId of a file) is its index + 1 */
    size_t count, cap;
    struct index_set set;
};

static bool string_eq(const void *ctx, uint32_t i, const void *key)
{
    const struct strings *t = ctx;
    return strcmp(t->items[i], key) == 0;
}

/* The one copy of `s`, made on first sight, and its id; NULL when out of
 * memory.  The copy lives as long as the table. */
static const char *intern(struct strings *t, const char *s, uint32_t *id)
{
    uint32_t h = index_hash_str(0xcbf29ce484222325ull, s);
    size_t slot;
    uint32_t i = index_set_find(&t->set, h, string_eq, t, s, &slot);
    if (i == INDEX_SET_NONE) {
        size_t n = strlen(s) + 1;
        char *copy = t->count < INDEX_SET_NONE - 1 ? malloc(n) : NULL;
        if (!copy || grow_array((void **)&t->items, &t->cap, t->count + 1, sizeof *t->items) ||
            index_set_put(&t->set, slot, h, (uint32_t)t->count) != 0) {
            free(copy);
            return NULL;
        }
        memcpy(copy, s, n);
        i = (uint32_t)t->count++;
        t->items[i] = copy;
    }
    *id = i + 1;
    return t->items[i];
}

static void strings_free(struct strings *t)
{
    for (size_t i = 0; i < t->count; i++)
        free(t->items[i]);
    free(t->items);
    index_set_free(&t->set);
}

/* ---- The call tree ------------------------------------------------------- */

struct node {
    const char *file; /* interned; NULL for (root), (idle), (failed), labels */
    const char *name; /* interned function name or label */
    uint32_t file_id; /* scriptId; 0 for the nodes without a file */
    uint32_t line;    /* 1-based, 0 unknown */
    uint32_t parent;
    uint32_t first_child, last_child, next_sibling; /* in order of creation */
    uint64_t hits;
};

struct chrome {
    FILE *out;
    const pyflame_host *host;
    struct strings strings;
    struct node *nodes;
    size_t nnodes, capnodes;
    struct index_set children; /* node indices by (parent, frame) */
    uint32_t idle, failed; /* their nodes, INDEX_SET_NONE until needed */
    uint32_t nthread_nodes, thread_node; /* thread_node: the first one */
    int root_has_stacks; /* a stack hangs directly under the root */
    /* The samples, on disk until the end: a run of an hour at 1 kHz would
     * otherwise hold tens of MB. */
    struct spool *samples;
    uint64_t start_us, last_us;
    int started; /* a sample has been seen */
    char *label;
    size_t caplabel;
};

static uint32_t child_hash(uint32_t parent, const char *file, const char *name,
                           uint32_t line)
{
    uint64_t h = parent * 0x9e3779b97f4a7c15ull;
    h ^= (uint64_t)(uintptr_t)file * 0xc2b2ae3d27d4eb4full;
    h = (h << 29 | h >> 35) ^ (uint64_t)(uintptr_t)name * 0x165667b19e3779f9ull;
    return index_hash_u64(h ^ line * 0xd6e8feb86659fd93ull);
}

/* A child being looked for: interned file and name, so compared as pointers. */
struct child_key {
    uint32_t parent, line;
    const char *file, *name;
};

static bool child_eq(const void *ctx, uint32_t i, const void *key)
{
    const struct node *n = &((const struct chrome *)ctx)->nodes[i];
    const struct child_key *k = key;
    return n->parent == k->parent && n->file == k->file && n->name == k->name &&
           n->line == k->line;
}

/* The child of `parent` for this file (interned, or NULL) with its id,
 * name (interned) and line, created if new.  INDEX_SET_NONE when out of memory. */
static uint32_t child(struct chrome *c, uint32_t parent, const char *f, uint32_t file_id,
                      const char *name, uint32_t line)
{
    struct child_key key = {parent, line, f, name};
    uint32_t h = child_hash(parent, f, name, line);
    size_t slot;
    uint32_t found = index_set_find(&c->children, h, child_eq, c, &key, &slot);
    if (found != INDEX_SET_NONE)
        return found;
    if (c->nnodes + 1 >= INDEX_SET_NONE ||
        grow_array((void **)&c->nodes, &c->capnodes, c->nnodes + 1, sizeof *c->nodes) != 0 ||
        index_set_put(&c->children, slot, h, (uint32_t)c->nnodes) != 0)
        return INDEX_SET_NONE;
    uint32_t id = (uint32_t)c->nnodes++;
    c->nodes[id] = (struct node){f, name, file_id, line, parent,
                                 INDEX_SET_NONE, INDEX_SET_NONE, INDEX_SET_NONE, 0};
    struct node *p = &c->nodes[parent];
    if (p->last_child == INDEX_SET_NONE)
        p->first_child = id;
    else
        c->nodes[p->last_child].next_sibling = id;
    p->last_child = id;
    return id;
}

/* A child of the root without a file: (idle), (failed), a thread. */
static uint32_t special(struct chrome *c, const char *label)
{
    uint32_t id;
    const char *s = intern(&c->strings, label, &id);
    return s ? child(c, ROOT, NULL, 0, s, 0) : INDEX_SET_NONE;
}

/* ---- Samples ------------------------------------------------------------- */

/* One sample: leaf node index and time since the previous sample (us). */
struct sample_record {
    uint32_t leaf;
    int64_t delta;
};

static int add_sample(struct chrome *c, uint32_t leaf, int64_t delta)
{
    c->nodes[leaf].hits++;
    struct sample_record r = {leaf, delta};
    if (spool_put(c->samples, &r) != 0) {
        spool_report(c->host, "chrome");
        return -1;
    }
    return 0;
}

/* The node of thread `t` under the root, or ROOT if it has neither name nor
 * kernel id.  Named like the core's --thread-names frames. */
static uint32_t thread_node(struct chrome *c, const pyflame_thread *t)
{
    if (!t->os_tid && !t->name)
        return ROOT;
    size_t need = (t->name ? strlen(t->name) : 0) + 48;
    if (grow_array((void **)&c->label, &c->caplabel, need, 1) != 0)
        return INDEX_SET_NONE;
    pyflame_thread_label(c->label, need, t->name, t->os_tid, t->ident);
    size_t before = c->nnodes;
    uint32_t id = special(c, c->label);
    if (id != INDEX_SET_NONE && c->nnodes > before && c->nthread_nodes++ == 0)
        c->thread_node = id;
    return id;
}

/* The leaf node of a thread's stack, built root first (frames come leaf
 * first).  A stack that begins with the core's thread frame
 * (--thread-names) needs no thread node of ours. */
static uint32_t stack_leaf(struct chrome *c, const pyflame_thread *t)
{
    uint32_t at = t->frames[t->nframes - 1].flags & PYFLAME_FRAME_LABEL
                      ? ROOT : thread_node(c, t);
    if (at == ROOT && !(t->frames[t->nframes - 1].flags & PYFLAME_FRAME_LABEL))
        c->root_has_stacks = 1; /* a thread without name or kernel id */
    for (uint32_t i = t->nframes; at != INDEX_SET_NONE && i-- > 0;) {
        const pyflame_frame *f = &t->frames[i];
        uint32_t file_id = 0, name_id;
        const char *file = NULL, *name;
        if (!(f->flags & PYFLAME_FRAME_LABEL) &&
            !(file = intern(&c->strings, f->file, &file_id)))
            return INDEX_SET_NONE;
        name = intern(&c->strings, f->name, &name_id);
        at = name ? child(c, at, file, file_id, name, file ? f->line : 0) : INDEX_SET_NONE;
    }
    return at;
}

static int chrome_sample(void *state, const pyflame_sample *s)
{
    struct chrome *c = state;
    uint64_t now = s->time_ns / 1000u;
    if (!c->started && now < c->start_us)
        c->start_us = now; /* the clock went back since open() */
    int64_t delta = (int64_t)(now - (c->started ? c->last_us : c->start_us));
    uint32_t running = 0;
    if (s->status != PYFLAME_ERR_READ)
        for (uint32_t i = 0; i < s->nthreads; i++)
            running += (uint32_t)pyflame_thread_shown(&s->threads[i]);

    if (running == 0) {
        uint32_t *slot = s->status == PYFLAME_ERR_READ ? &c->failed : &c->idle;
        if (*slot == INDEX_SET_NONE)
            *slot = special(c, s->status == PYFLAME_ERR_READ ? "(failed)" : "(idle)");
        if (*slot == INDEX_SET_NONE)
            return PYFLAME_ERR_NOMEM;
        if (add_sample(c, *slot, delta) != 0)
            return PYFLAME_ERR_IO;
    } else {
        /* All threads' stacks first, so that a failure adds no sample. */
        uint32_t leaves[64], *leaf = running <= 64 ? leaves : malloc(running * sizeof *leaf);
        if (!leaf)
            return PYFLAME_ERR_NOMEM;
        uint32_t n = 0;
        for (uint32_t i = 0; i < s->nthreads; i++) {
            if (!pyflame_thread_shown(&s->threads[i]))
                continue;
            if ((leaf[n++] = stack_leaf(c, &s->threads[i])) == INDEX_SET_NONE) {
                if (leaf != leaves)
                    free(leaf);
                return PYFLAME_ERR_NOMEM;
            }
        }
        int rc = 0;
        for (uint32_t i = 0; i < n && rc == 0; i++)
            rc = add_sample(c, leaf[i], i ? 0 : delta);
        if (leaf != leaves)
            free(leaf);
        if (rc != 0)
            return PYFLAME_ERR_IO;
    }
    c->started = 1;
    c->last_us = now;
    return PYFLAME_OK;
}

/* ---- Output -------------------------------------------------------------- */

/* A lone thread's node is left out, its stacks shown under the root,
 * unless stacks already hang there: merging would repeat their frames. */
static int drop_thread_level(const struct chrome *c)
{
    return c->nthread_nodes == 1 && !c->root_has_stacks;
}

static int elided(const struct chrome *c, uint32_t i)
{
    return drop_thread_level(c) && i == c->thread_node;
}

/* The id written for node i: ids stay 1, 2, ... without the elided node. */
static uint32_t out_id(const struct chrome *c, uint32_t i)
{
    return i + 1 - (drop_thread_level(c) && i > c->thread_node);
}

static void put_children(const struct chrome *c, uint32_t i, int *first)
{
    for (uint32_t k = c->nodes[i].first_child; k != INDEX_SET_NONE; k = c->nodes[k].next_sibling) {
        if (elided(c, k)) {
            put_children(c, k, first);
            continue;
        }
        fprintf(c->out, *first ? "%" PRIu32 : ",%" PRIu32, out_id(c, k));
        *first = 0;
    }
}

static void put_node(const struct chrome *c, uint32_t i)
{
    const struct node *n = &c->nodes[i];
    fprintf(c->out, "{\"id\":%" PRIu32 ",\"callFrame\":{\"functionName\":", out_id(c, i));
    json_put_string(c->out, n->name);
    fprintf(c->out, ",\"scriptId\":\"%" PRIu32 "\",\"url\":", n->file_id);
    json_put_string(c->out, n->file ? n->file : "");
    if (n->line)
        fprintf(c->out, ",\"lineNumber\":%" PRIu32 ",\"columnNumber\":0}", n->line - 1);
    else
        fputs(",\"lineNumber\":-1,\"columnNumber\":-1}", c->out);
    fprintf(c->out, ",\"hitCount\":%" PRIu64 ",\"children\":[", n->hits);
    int first = 1;
    put_children(c, i, &first);
    fputs("]}", c->out);
}

/* Writes one of the per-sample arrays, from the spool. */
static int put_samples(const struct chrome *c, int deltas)
{
    size_t n = spool_count(c->samples);
    if (spool_rewind(c->samples) != 0) {
        spool_report(c->host, "chrome");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        struct sample_record r;
        if (spool_get(c->samples, &r) != 0) {
            spool_report(c->host, "chrome");
            return -1;
        }
        if (i)
            fputc(',', c->out);
        if (deltas)
            fprintf(c->out, "%" PRId64, r.delta);
        else
            fprintf(c->out, "%" PRIu32, out_id(c, r.leaf));
    }
    return 0;
}

static int write_json(const struct chrome *c)
{
    FILE *out = c->out;
    fputs("{\"nodes\":[\n", out);
    int first = 1;
    for (uint32_t i = 0; i < c->nnodes; i++) {
        if (elided(c, i))
            continue;
        if (!first)
            fputs(",\n", out);
        first = 0;
        put_node(c, i);
    }
    fprintf(out, "],\n\"startTime\":%" PRIu64 ",\"endTime\":%" PRIu64 ",\n\"samples\":[",
            c->start_us, c->started ? c->last_us : c->start_us);
    if (put_samples(c, 0) != 0)
        return -1;
    fputs("],\n\"timeDeltas\":[", out);
    if (put_samples(c, 1) != 0)
        return -1;
    fputs("]}\n", out);
    return 0;
}

/* ---- Plugin -------------------------------------------------------------- */

static void chrome_free(struct chrome *c)
{
    strings_free(&c->strings);
    free(c->nodes);
    index_set_free(&c->children);
    spool_free(c->samples);
    free(c->label);
    free(c);
}

static void *chrome_open(const pyflame_host *host, const pyflame_output_config *cfg)
{
    struct chrome *c = calloc(1, sizeof *c);
    const char *root = NULL;
    uint32_t root_id;
    if (!c || !(c->nodes = malloc(64 * sizeof *c->nodes)) ||
        !(root = intern(&c->strings, "(root)", &root_id))) {
        if (c)
            chrome_free(c);
        warn_out_of_memory(host, "chrome");
        return NULL;
    }
    c->host = host;
    if (!(c->samples = spool_new(sizeof(struct sample_record)))) {
        spool_report(host, "chrome");
        chrome_free(c);
        return NULL;
    }
    c->out = cfg->out;
    c->capnodes = 64;
    c->nnodes = 1;
    c->nodes[ROOT] = (struct node){NULL, root, 0, 0, INDEX_SET_NONE,
                                   INDEX_SET_NONE, INDEX_SET_NONE, INDEX_SET_NONE, 0};
    c->idle = c->failed = INDEX_SET_NONE;
    c->thread_node = INDEX_SET_NONE;
    /* The profile starts now; the first time delta counts from here. */
    c->start_us = now_ns(CLOCK_REALTIME) / 1000u;
    return c;
}

static int chrome_close(void *state)
{
    struct chrome *c = state;
    int rc = write_json(c) == 0 ? output_flush(c->out) : PYFLAME_ERR_IO;
    chrome_free(c);
    return rc;
}

FORMAT_PLUGIN(chrome,
              .description = "Chrome DevTools .cpuprofile JSON (DevTools, speedscope)",
              .open = chrome_open,
              .write_sample = chrome_sample,
              .close = chrome_close,
              .features = PYFLAME_OUT_ONE_DOCUMENT,
              .file_extension = "cpuprofile");
