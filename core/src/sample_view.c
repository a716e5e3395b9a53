/* A sample as the profile shows it (sample_view.h). */
#include "sample_view.h"

#include <stdlib.h>

#include "grow.h"
#include "stop_policy.h"
#include "thread_ids.h"

/* The leaf frame of a thread running without the GIL (not with --gil). */
static const char NO_GIL[] = "(no GIL)";
/* The leaf frame of an idle thread under its label (--thread-names). */
static const char IDLE_LEAF[] = "(idle)";

/* A frame the core adds (PYFLAME_FRAME_LABEL): a thread's label, or a
 * leaf such as NO_GIL. */
static pyflame_frame label_frame(const char *name, uint32_t flags)
{
    return (pyflame_frame){.file = "", .name = name, .flags = PYFLAME_FRAME_LABEL | flags};
}

/* Copies the thread's frames into v->frames[at...], with line numbers
 * cleared (-n), a leaf frame `leaf` (unless NULL) and a root frame naming
 * the thread (`label`, --thread-names). */
static void rewrite_frames(struct sample_view *v, pyflame_thread *t, size_t at, const char *leaf,
                           const char *label)
{
    uint32_t n = 0;
    if (leaf)
        v->frames[at + n++] = label_frame(leaf, 0);
    for (uint32_t i = 0; i < t->nframes; i++) {
        v->frames[at + n] = t->frames[i];
        if (v->opt->no_line_numbers)
            v->frames[at + n].line = 0;
        n++;
    }
    if (label)
        v->frames[at + n++] = label_frame(label, 0);
    t->frames = v->frames + at;
    t->nframes = n;
}

/* Marks the threads of smp running or idle as the kernel says.  For one
 * stack, keeps the GIL's holder if it runs, else one of the threads
 * running without it, in turn, else none: the sample is idle. */
static void judge_threads(struct sample_view *v, pyflame_sample *smp)
{
    uint32_t running = 0, holder = UINT32_MAX;
    for (uint32_t i = 0; i < smp->nthreads; i++) {
        pyflame_thread *t = &v->threads[i];
        bool idle = t->nframes == 0 || !look_runs(v->look, t);
        t->flags = idle ? t->flags | PYFLAME_THREAD_IDLE : t->flags & ~PYFLAME_THREAD_IDLE;
        if (idle)
            continue;
        if (t->flags & PYFLAME_THREAD_HOLDS_GIL)
            holder = i;
        running++;
    }
    if (one_stack(v->opt)) {
        uint32_t pick = holder, skip = running ? (uint32_t)(v->turn++ % running) : 0;
        for (uint32_t i = 0; pick == UINT32_MAX && i < smp->nthreads; i++)
            if (!(v->threads[i].flags & PYFLAME_THREAD_IDLE) && skip-- == 0)
                pick = i;
        if (pick != UINT32_MAX)
            v->threads[0] = v->threads[pick];
        smp->nthreads = running ? 1 : 0;
    }
    smp->status = running ? PYFLAME_OK : PYFLAME_IDLE;
}

/* Room for smp's threads, their labels, and `frames` frames. */
static bool make_room(struct sample_view *v, const pyflame_sample *smp, size_t frames)
{
    return grow_array((void **)&v->threads, &v->capthreads, smp->nthreads + 1,
                      sizeof *v->threads) == 0 &&
           grow_array((void **)&v->labels, &v->caplabels, smp->nthreads + 1,
                      sizeof *v->labels) == 0 &&
           grow_array((void **)&v->frames, &v->capframes, frames + 1, sizeof *v->frames) == 0;
}

/* Copies smp's threads into v, each with the host's kernel id: threads
 * running Python code claim their ids first.  With --tid only those
 * listed are kept (one whose id cannot be told is not), and a sample of
 * none of them running is idle. */
static void copy_threads(struct sample_view *v, pyflame_sample *smp)
{
    for (uint32_t i = 0; i < smp->nthreads; i++)
        v->threads[i] = smp->threads[i];
    smp->threads = v->threads;
    for (int with_frames = 1; with_frames >= 0; with_frames--)
        for (uint32_t i = 0; i < smp->nthreads; i++)
            if ((v->threads[i].nframes > 0) == with_frames)
                thread_ids_resolve(v->ids, &v->threads[i], v->threads, smp->nthreads);
    if (!v->opt->ntids)
        return;
    uint32_t kept = 0;
    bool runs = false;
    for (uint32_t i = 0; i < smp->nthreads; i++) {
        if (!stop_policy_shows(v->look, (pid_t)v->threads[i].os_tid))
            continue;
        runs |= !(v->threads[i].flags & PYFLAME_THREAD_IDLE);
        v->threads[kept++] = v->threads[i];
    }
    smp->nthreads = kept;
    if (!runs && smp->status == PYFLAME_OK)
        smp->status = PYFLAME_IDLE;
}

/* Nothing of an idle thread is shown but, with its label, where its idle
 * time goes: its frames become those at v->frames[at...].  Returns how
 * many. */
static size_t show_idle(struct sample_view *v, pyflame_thread *t, size_t at, const char *label)
{
    t->nframes = 0;
    if (!label || !v->idle_leaves)
        return 0;
    v->frames[at] = label_frame(IDLE_LEAF, PYFLAME_FRAME_IDLE);
    v->frames[at + 1] = label_frame(label, 0);
    t->frames = v->frames + at;
    t->nframes = 2;
    return 2;
}

bool sample_view_make(struct sample_view *v, pyflame_sample *smp)
{
    const struct options *o = v->opt;
    if (smp->status == PYFLAME_ERR_READ)
        return true;
    size_t total = 0;
    for (uint32_t i = 0; i < smp->nthreads; i++)
        total += smp->threads[i].nframes + 2;
    if (!make_room(v, smp, total))
        return false;
    copy_threads(v, smp);
    if (kernel_view(o) && (smp->nthreads || one_stack(o)))
        judge_threads(v, smp);
    if (smp->status == PYFLAME_IDLE && o->exclude_idle) {
        v->idle_left_out += smp->nthreads ? smp->nthreads : 1;
        return false;
    }
    uint32_t kept = 0;
    for (uint32_t i = 0; i < smp->nthreads; i++)
        if (!(smp->threads[i].flags & PYFLAME_THREAD_IDLE) || !o->exclude_idle)
            v->threads[kept++] = smp->threads[i];
    v->idle_left_out += smp->nthreads - kept;
    size_t at = 0;
    for (uint32_t i = 0; i < kept; i++) {
        pyflame_thread *t = &v->threads[i];
        const char *label = NULL, *leaf = NULL;
        if (o->thread_names) {
            pyflame_thread_label(v->labels[i], sizeof v->labels[i], t->name, t->os_tid,
                                 t->ident);
            label = v->labels[i];
        }
        if ((t->flags & PYFLAME_THREAD_IDLE) && !o->dump) {
            at += show_idle(v, t, at, label);
            continue;
        }
        if (!t->nframes)
            label = NULL;
        if (kernel_view(o) && !o->dump && !v->gil_less && t->nframes &&
            !(t->flags & (PYFLAME_THREAD_IDLE | PYFLAME_THREAD_HOLDS_GIL)))
            leaf = NO_GIL;
        if (o->no_line_numbers || label || leaf) {
            rewrite_frames(v, t, at, leaf, label);
            at += t->nframes;
        }
    }
    smp->nthreads = kept;
    return smp->status == PYFLAME_IDLE || kept > 0 || !o->exclude_idle;
}

void sample_view_free(struct sample_view *v)
{
    free(v->frames);
    free(v->threads);
    free(v->labels);
    v->frames = NULL;
    v->threads = NULL;
    v->labels = NULL;
    v->capframes = v->capthreads = v->caplabels = 0;
}
