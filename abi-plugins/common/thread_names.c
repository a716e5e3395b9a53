#include "thread_names.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "pystring.h"
#include "remote.h"
#include "walker.h"

/* Samples between two reads of threading._active while a thread has no
 * name: starts short and doubles, so a thread that never gets one (started
 * without threading, or threading not imported) soon costs nothing. */
#define RETRY_FIRST 4
/* Samples between two reads that pick up renamed threads. */
#define REREAD_ALL 1024
/* Threads remembered per interpreter; more are left nameless. */
#define MAX_NAMED_THREADS 4096

struct entry {
    uint64_t interp, ident;
    char *name; /* NULL: known to have none */
};

struct interp_state {
    uint64_t interp;
    uint64_t last_read; /* sample number, 0 = never */
    uint64_t retry;     /* samples before a nameless thread is looked up again */
};

struct thread_names {
    struct py_objects obj;
    uint64_t sample;
    struct entry *entries;
    size_t n, cap;
    struct interp_state interps[WALK_MAX_INTERPRETERS];
    size_t ninterps;
    /* Names replaced during this sample, freed at the next one: a thread
     * of this sample may still point to them. */
    char **retired;
    size_t nretired, capretired;
};

struct thread_names *pyflame_thread_names_new(const struct py_objects *objects)
{
    struct thread_names *tn = calloc(1, sizeof *tn);
    if (tn)
        tn->obj = *objects;
    return tn;
}

static void free_retired(struct thread_names *tn)
{
    for (size_t i = 0; i < tn->nretired; i++)
        free(tn->retired[i]);
    tn->nretired = 0;
}

void pyflame_thread_names_free(struct thread_names *tn)
{
    if (!tn)
        return;
    free_retired(tn);
    for (size_t i = 0; i < tn->n; i++)
        free(tn->entries[i].name);
    free(tn->entries);
    free(tn->retired);
    free(tn);
}

void pyflame_thread_names_begin_sample(struct thread_names *tn)
{
    free_retired(tn);
    tn->sample++;
}

static struct entry *find(struct thread_names *tn, uint64_t interp, uint64_t ident)
{
    for (size_t i = 0; i < tn->n; i++)
        if (tn->entries[i].interp == interp && tn->entries[i].ident == ident)
            return &tn->entries[i];
    return NULL;
}

static struct entry *add(struct thread_names *tn, uint64_t interp, uint64_t ident, char *name)
{
    if (tn->n >= MAX_NAMED_THREADS * 2 ||
        grow_array((void **)&tn->entries, &tn->cap, tn->n + 1, sizeof *tn->entries) != 0) {
        free(name);
        return NULL;
    }
    tn->entries[tn->n] = (struct entry){interp, ident, name};
    return &tn->entries[tn->n++];
}

/* Drops what is known of `interp`; its names are freed next sample. */
static bool forget(struct thread_names *tn, uint64_t interp)
{
    size_t kept = 0;
    bool all = true;
    for (size_t i = 0; i < tn->n; i++) {
        struct entry *e = &tn->entries[i];
        bool keep = e->interp != interp;
        /* A name that cannot be retired (no memory) stays, entry and all:
         * every name is in one place, never freed twice. */
        if (!keep && e->name &&
            grow_array((void **)&tn->retired, &tn->capretired, tn->nretired + 1,
                       sizeof *tn->retired) != 0) {
            all = false;
            keep = true;
        }
        if (keep)
            tn->entries[kept++] = *e;
        else if (e->name)
            tn->retired[tn->nretired++] = e->name;
    }
    tn->n = kept;
    return all;
}

/* Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence. */
static void cut_utf8(char *s, size_t max)
{
    size_t len = strlen(s);
    if (len <= max)
        return;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    s[max] = '\0';
}

struct reading {
    struct thread_names *tn;
    uint64_t interp;
    size_t count;
};

static int add_thread(void *arg, uint64_t key, uint64_t thread)
{
    struct reading *r = arg;
    struct thread_names *tn = r->tn;
    const struct py_objects *o = &tn->obj;
    uint64_t ident;
    if (pyflame_py_int_value(o, key, &ident) != 0 || find(tn, r->interp, ident))
        return 0;
    uint64_t name_obj = pyflame_py_object_attr(o, thread, o->layout->threading.name_attr);
    char *name = name_obj ? pyflame_py_read_text(o->host, o->layout, o->str_type, name_obj) : NULL;
    if (name)
        cut_utf8(name, THREAD_NAME_MAX_BYTES);
    if (!add(tn, r->interp, ident, name))
        return 1;
    return ++r->count >= MAX_NAMED_THREADS;
}

/* Reads threading._active of `interp` again. */
static void reread(struct thread_names *tn, struct interp_state *is)
{
    const struct py_objects *o = &tn->obj;
    const struct py_layout *l = o->layout;
    is->last_read = tn->sample;
    if (!forget(tn, is->interp))
        return;
    uint64_t modules, threading_dict;
    if (remote_read_ptr(o->host, is->interp + (uint64_t)l->interp.modules, &modules) != 0)
        return;
    uint64_t threading = pyflame_py_dict_get(o, modules, "threading");
    if (!threading ||
        remote_read_ptr(o->host, threading + (uint64_t)l->module.dict, &threading_dict) != 0)
        return;
    uint64_t active = pyflame_py_dict_get(o, threading_dict, "_active");
    struct reading r = {tn, is->interp, 0};
    if (active)
        pyflame_py_dict_each(o, active, add_thread, &r);
}

static struct interp_state *interp_state(struct thread_names *tn, uint64_t interp)
{
    for (size_t i = 0; i < tn->ninterps; i++)
        if (tn->interps[i].interp == interp)
            return &tn->interps[i];
    if (tn->ninterps == WALK_MAX_INTERPRETERS)
        return NULL;
    tn->interps[tn->ninterps] = (struct interp_state){interp, 0, RETRY_FIRST};
    return &tn->interps[tn->ninterps++];
}

const char *pyflame_thread_names_get(struct thread_names *tn, uint64_t interp, uint64_t ident)
{
    struct entry *e = find(tn, interp, ident);
    struct interp_state *is = interp_state(tn, interp);
    if (!is)
        return e ? e->name : NULL;
    uint64_t age = tn->sample - is->last_read;
    bool stale = is->last_read == 0 || age >= REREAD_ALL;
    if (!e && age > 0) { /* a thread not seen before */
        stale = true;
        is->retry = RETRY_FIRST;
    } else if (e && !e->name && age >= is->retry) {
        stale = true;
        is->retry = is->retry * 2 < REREAD_ALL ? is->retry * 2 : REREAD_ALL;
    }
    if (stale) {
        reread(tn, is);
        e = find(tn, interp, ident);
    }
    if (!e) /* remembered as nameless until the next retry */
        e = add(tn, interp, ident, NULL);
    return e ? e->name : NULL;
}
