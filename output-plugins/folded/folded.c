/* The folded output format of Uber's Pyflame and Brendan Gregg's
 * stackcollapse scripts, read by flamegraph.pl:
 *
 *     file:function:line;file:function:line 42
 *
 * one line per distinct stack, root first, then the number of samples;
 * "(idle) N" and "(failed) N" for samples without a stack. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <pyflame/output.h>

#include "../common/format.h"
#include "../common/text.h"

struct folded {
    FILE *out;
    int lines;
};

static void *folded_open(const pyflame_host *host, const pyflame_output_config *cfg)
{
    (void)host;
    struct folded *f = malloc(sizeof *f);
    if (!f)
        return NULL;
    f->out = cfg->out;
    f->lines = !(cfg->flags & PYFLAME_OUT_NO_LINE_NUMBERS);
    return f;
}

static int folded_profile(void *state, const pyflame_profile *p)
{
    struct folded *f = state;
    for (size_t i = 0; i < p->nstacks; i++) {
        const pyflame_stack_count *st = &p->stacks[i];
        for (uint32_t k = 0; k < st->nframes; k++) {
            if (k)
                putc(';', f->out);
            folded_put_frame(f->out, st->frames[k], f->lines);
        }
        fprintf(f->out, " %" PRIu64 "\n", st->count);
    }
    if (p->idle)
        fprintf(f->out, "(idle) %" PRIu64 "\n", p->idle);
    if (p->failed)
        fprintf(f->out, "(failed) %" PRIu64 "\n", p->failed);
    return output_status(f->out);
}

static int folded_close(void *state)
{
    struct folded *f = state;
    int rc = output_flush(f->out);
    free(f);
    return rc;
}

FORMAT_PLUGIN(folded,
              .description = "folded stacks for flamegraph.pl",
              .open = folded_open,
              .write_profile = folded_profile,
              .close = folded_close);
