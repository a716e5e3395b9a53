#include "dump.h"

#include <inttypes.h>
#include <stdbool.h>

#include "thread_states.h"

/* Each thread opens with "TID:", "TID*:" for the GIL's holder, in the
 * first column, as Uber's Pyflame printed it: scripts split dumps there.
 * Then what the kernel says it does, and the GIL, apart: a thread may run
 * without the GIL, or hold it asleep.  A build without a GIL has no word
 * on it. */
static void print_thread(FILE *out, const pyflame_thread *t, char state, bool gil_less)
{
    bool holder = (t->flags & PYFLAME_THREAD_HOLDS_GIL) != 0;
    fprintf(out, "%" PRIu64 "%s:", t->os_tid ? t->os_tid : t->ident, holder ? "*" : "");
    if (t->name)
        fprintf(out, " \"%s\"", t->name);
    fprintf(out, " (%s%s%s)\n", thread_state_name(state),
            gil_less ? "" : holder ? ", holds the GIL" : ", without the GIL",
            t->nframes ? "" : ", no Python code");
    for (uint32_t i = 0; i < t->nframes; i++) {
        const pyflame_frame *f = &t->frames[i];
        if (f->flags & PYFLAME_FRAME_LABEL)
            continue;
        fprintf(out, "    %s (%s:%" PRIu32 ")\n", f->name, f->file, f->line);
    }
}

int dump_print(FILE *out, const pyflame_sample *smp, const char *states, int pid,
               const char *python, bool gil_less)
{
    fprintf(out, "Process %d: %s\n", pid, python);
    if (smp->status == PYFLAME_ERR_READ) {
        fprintf(out, "(failed: the stacks could not be read)\n");
    } else {
        uint32_t holders = 0;
        for (uint32_t i = 0; i < smp->nthreads; i++)
            holders += (smp->threads[i].flags & PYFLAME_THREAD_HOLDS_GIL) != 0;
        fprintf(out, "%" PRIu32 " thread%s, %s\n", smp->nthreads, smp->nthreads == 1 ? "" : "s",
                gil_less ? "no GIL" : holders ? "one holds the GIL" : "none holds the GIL");
        for (uint32_t i = 0; i < smp->nthreads; i++) {
            fprintf(out, "\n");
            print_thread(out, &smp->threads[i], states[i], gil_less);
        }
    }
    return ferror(out) ? -1 : 0;
}
