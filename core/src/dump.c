#include "dump.h"

#include <inttypes.h>
#include <stdbool.h>

/* Each thread opens with "TID:", "TID*:" for the GIL's holder, in the
 * first column, as Uber's Pyflame printed it: scripts split dumps there. */
static void print_thread(FILE *out, const pyflame_thread *t)
{
    bool holder = (t->flags & PYFLAME_THREAD_HOLDS_GIL) != 0;
    fprintf(out, "%" PRIu64 "%s:", t->os_tid ? t->os_tid : t->ident, holder ? "*" : "");
    if (t->name)
        fprintf(out, " \"%s\"", t->name);
    if (holder)
        fprintf(out, " (holds the GIL)");
    else if (t->nframes)
        fprintf(out, " (idle: waiting, without the GIL)");
    else
        fprintf(out, " (idle: no Python code)");
    fprintf(out, "\n");
    for (uint32_t i = 0; i < t->nframes; i++) {
        const pyflame_frame *f = &t->frames[i];
        if (f->flags & PYFLAME_FRAME_LABEL)
            continue;
        fprintf(out, "    %s (%s:%" PRIu32 ")\n", f->name, f->file, f->line);
    }
}

int dump_print(FILE *out, const pyflame_sample *smp, int pid, const char *python)
{
    fprintf(out, "Process %d: %s\n", pid, python);
    if (smp->status == PYFLAME_ERR_READ) {
        fprintf(out, "(failed: the stacks could not be read)\n");
    } else {
        uint32_t holders = 0;
        for (uint32_t i = 0; i < smp->nthreads; i++)
            holders += (smp->threads[i].flags & PYFLAME_THREAD_HOLDS_GIL) != 0;
        fprintf(out, "%" PRIu32 " thread%s, %s\n", smp->nthreads, smp->nthreads == 1 ? "" : "s",
                holders ? "one holds the GIL" : "none holds the GIL");
        for (uint32_t i = 0; i < smp->nthreads; i++) {
            fprintf(out, "\n");
            print_thread(out, &smp->threads[i]);
        }
    }
    return ferror(out) ? -1 : 0;
}
