/* The timestamped ("flame chart") format of Uber's Pyflame, selected by
 * -T, --timestamp, --flamechart or -f timestamped.  Every sample is two
 * lines: the time it was taken, in microseconds since the Unix epoch, then
 * its stack from the root to the leaf with each frame followed by ';':
 *
 *     1700000000123456
 *     /app/main.py:<module>:20;/app/main.py:main:16;/app/main.py:work:10;
 *     1700000000124501
 *     (idle)
 *     1700000000125533
 *     (failed)
 *
 * Frames are file:function:line, or file:function with -n; the frames the
 * core adds (--thread-names: "thread NAME (TID)") are their name alone.  A
 * sample of several threads (--threads) has one stack line per thread
 * running Python code under its time line (with --thread-names, per idle
 * thread too: "thread NAME (TID);(idle);"), or (idle) if none was.  Written
 * as samples come: the plugin keeps nothing between samples. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <pyflame/output.h>

#include "../common/no_options.h"

struct timestamped {
    FILE *out;
    int lines; /* print line numbers */
};

NO_OPTIONS_CHECK(timestamped)

static void *ts_open(const pyflame_host *host, const pyflame_output_config *cfg)
{
    struct timestamped *t = malloc(sizeof *t);
    if (!t) {
        host->warn(host->ctx, "timestamped: out of memory");
        return NULL;
    }
    t->out = cfg->out;
    t->lines = !(cfg->flags & PYFLAME_OUT_NO_LINE_NUMBERS);
    return t;
}

/* A name, with the characters that would break the format (the frame
 * separator, line breaks) replaced by '_'. */
static void put_name(FILE *out, const char *s)
{
    for (; *s; s++)
        putc(*s == ';' || *s == '\n' || *s == '\r' ? '_' : *s, out);
}

static void put_stack(const struct timestamped *t, const pyflame_thread *th)
{
    for (uint32_t i = th->nframes; i-- > 0;) {
        const pyflame_frame *f = &th->frames[i];
        if (f->flags & PYFLAME_FRAME_LABEL) {
            put_name(t->out, f->name); /* "thread NAME (TID)", --thread-names */
            putc(';', t->out);
            continue;
        }
        put_name(t->out, f->file);
        putc(':', t->out);
        put_name(t->out, f->name);
        if (t->lines)
            fprintf(t->out, ":%" PRIu32, f->line);
        putc(';', t->out);
    }
    putc('\n', t->out);
}

static int ts_sample(void *state, const pyflame_sample *s)
{
    struct timestamped *t = state;
    fprintf(t->out, "%" PRIu64 "\n", s->time_ns / 1000u);
    if (s->status == PYFLAME_ERR_READ) {
        fputs("(failed)\n", t->out);
    } else {
        int printed = 0;
        if (s->status != PYFLAME_ERR_READ) {
            for (uint32_t i = 0; i < s->nthreads; i++) {
                if (pyflame_thread_shown(&s->threads[i])) {
                    put_stack(t, &s->threads[i]);
                    printed = 1;
                }
            }
        }
        if (!printed)
            fputs("(idle)\n", t->out);
    }
    return ferror(t->out) ? PYFLAME_ERR_IO : PYFLAME_OK;
}

static int ts_close(void *state)
{
    struct timestamped *t = state;
    int rc = fflush(t->out) == 0 && !ferror(t->out) ? PYFLAME_OK : PYFLAME_ERR_IO;
    free(t);
    return rc;
}

__attribute__((visibility("default")))
const pyflame_output_plugin pyflame_output_entry = {
    .api_version = PYFLAME_API_VERSION,
    .name = "timestamped",
    .description = "each sample with its time, for flame charts (Pyflame -T)",
    .open = ts_open,
    .write_sample = ts_sample,
    .write_profile = NULL,
    .close = ts_close,
    .check_options = timestamped_check_options,
};
