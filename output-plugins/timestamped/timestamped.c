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

#include "../common/format.h"
#include "../common/text.h"

struct timestamped {
    FILE *out;
    int lines; /* print line numbers */
};

static void *ts_open(const pyflame_host *host, const pyflame_output_config *cfg)
{
    struct timestamped *t = malloc(sizeof *t);
    if (!t) {
        warn_out_of_memory(host, "timestamped");
        return NULL;
    }
    t->out = cfg->out;
    t->lines = !(cfg->flags & PYFLAME_OUT_NO_LINE_NUMBERS);
    return t;
}

static void put_stack(const struct timestamped *t, const pyflame_thread *th)
{
    for (uint32_t i = th->nframes; i-- > 0;) {
        folded_put_frame(t->out, &th->frames[i], t->lines);
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
    return output_status(t->out);
}

static int ts_close(void *state)
{
    struct timestamped *t = state;
    int rc = output_flush(t->out);
    free(t);
    return rc;
}

FORMAT_PLUGIN(timestamped,
              .description = "each sample with its time, for flame charts (Pyflame -T)",
              .open = ts_open,
              .write_sample = ts_sample,
              .close = ts_close);
