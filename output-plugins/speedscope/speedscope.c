/* The speedscope output plugin's entry points: open, each sample's stacks
 * to its threads' profiles on disk, and close, which writes the file (the
 * other files and their jobs: speedscope.h).
 *
 * The file is speedscope's own format
 * (https://www.speedscope.app/file-format-schema.json):
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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pyflame/output.h>

#include "grow.h"
#include "../common/format.h"
#include "../common/spool.h"
#include "speedscope.h"

int spool_failed(const struct speedscope *s)
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
