#include "dump.h"

#include <inttypes.h>

static void print_thread(FILE *out, const pyflame_thread *t)
{
    fprintf(out, "Thread ");
    if (t->os_tid)
        fprintf(out, "%" PRIu64, t->os_tid);
    else
        fprintf(out, "0x%" PRIx64, t->ident);
    if (t->name)
        fprintf(out, " \"%s\"", t->name);
    if (t->flags & PYFLAME_THREAD_HOLDS_GIL)
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
