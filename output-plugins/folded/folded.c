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

#include "../common/no_options.h"

struct folded {
    FILE *out;
    int lines;
};

NO_OPTIONS_CHECK(folded)

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

/* Writes a name with the characters that would break the format (the
 * frame separator, line breaks) replaced. */
static void put_name(FILE *out, const char *s)
{
    for (; *s; s++) {
        char c = *s;
        putc(c == ';' || c == '\n' || c == '\r' ? '_' : c, out);
    }
}

static int folded_profile(void *state, const pyflame_profile *p)
{
    struct folded *f = state;
    for (size_t i = 0; i < p->nstacks; i++) {
        const pyflame_stack_count *st = &p->stacks[i];
        for (uint32_t k = 0; k < st->nframes; k++) {
            const pyflame_frame *fr = st->frames[k];
            if (k)
                putc(';', f->out);
            if (fr->flags & PYFLAME_FRAME_LABEL) {
                put_name(f->out, fr->name); /* e.g. "thread MainThread (12345)" */
                continue;
            }
            put_name(f->out, fr->file);
            putc(':', f->out);
            put_name(f->out, fr->name);
            if (f->lines)
                fprintf(f->out, ":%" PRIu32, fr->line);
        }
        fprintf(f->out, " %" PRIu64 "\n", st->count);
    }
    if (p->idle)
        fprintf(f->out, "(idle) %" PRIu64 "\n", p->idle);
    if (p->failed)
        fprintf(f->out, "(failed) %" PRIu64 "\n", p->failed);
    return ferror(f->out) ? PYFLAME_ERR_IO : PYFLAME_OK;
}

static int folded_close(void *state)
{
    struct folded *f = state;
    int rc = fflush(f->out) == 0 && !ferror(f->out) ? PYFLAME_OK : PYFLAME_ERR_IO;
    free(f);
    return rc;
}

__attribute__((visibility("default")))
const pyflame_output_plugin pyflame_output_entry = {
    .api_version = PYFLAME_API_VERSION,
    .name = "folded",
    .description = "folded stacks for flamegraph.pl",
    .open = folded_open,
    .write_sample = NULL,
    .write_profile = folded_profile,
    .close = folded_close,
    .check_options = folded_check_options,
};
