/* The JSON document, written at the end: the frames, then each profile's
 * samples (stacks root first) and weights. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../common/format.h"
#include "../common/text.h"
#include "speedscope.h"

#define SCHEMA "https://www.speedscope.app/file-format-schema.json"

/* Numbers are most of the file: written without printf. */
static void put_uint(FILE *out, uint64_t v)
{
    char buf[24], *p = buf + sizeof buf;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    fwrite(p, 1, (size_t)(buf + sizeof buf - p), out);
}

/* A time in ns, written exactly in microseconds. */
static void put_us(FILE *out, uint64_t ns)
{
    put_uint(out, ns / 1000);
    unsigned frac = (unsigned)(ns % 1000);
    if (frac) {
        char digits[4];
        snprintf(digits, sizeof digits, "%03u", frac);
        for (int i = 2; i > 0 && digits[i] == '0'; i--)
            digits[i] = '\0';
        fprintf(out, ".%s", digits);
    }
}

/* Named as the core labels threads for --thread-names. */
static void put_profile_name(FILE *out, const struct profile *p)
{
    if (!p->os_tid && !p->ident) {
        json_put_string(out, "pyflame");
        return;
    }
    const char *name = p->name ? p->name : "";
    size_t len = strlen(name) + 48;
    char *text = malloc(len), small[48];
    if (!text) {
        name = "";
        text = small;
        len = sizeof small;
    }
    pyflame_thread_label(text, len, name, p->os_tid, p->ident);
    json_put_string(out, text);
    if (text != small)
        free(text);
}

/* Writes a stack root first; path[] has room for the deepest stack. */
static void put_stack(FILE *out, const struct speedscope *s, uint32_t node, uint32_t *path)
{
    uint32_t depth = 0;
    for (uint32_t n = node; n != INDEX_SET_NONE; n = s->nodes[n].parent)
        path[depth++] = s->nodes[n].frame;
    putc('[', out);
    for (uint32_t i = depth; i-- > 0;) {
        if (i + 1 != depth)
            putc(',', out);
        put_uint(out, path[i]);
    }
    putc(']', out);
}

/* Returns 0, or -1 if the samples could not be read back. */
static int put_profile(FILE *out, struct speedscope *s, const struct profile *p,
                       const struct extent *x, uint32_t *path)
{
    struct stream st;
    struct entry e;
    struct span sp;
    fputs("{\"type\":\"sampled\",\"name\":", out);
    put_profile_name(out, p);
    fputs(",\"unit\":\"microseconds\",\"startValue\":", out);
    put_us(out, x->start);
    fputs(",\"endValue\":", out);
    put_us(out, x->start + x->total);
    fputs(",\n \"samples\":[", out);
    stream_start(&st, s, p);
    for (bool first = true; stream_next(&st, &e); first = false) {
        if (!first)
            putc(',', out);
        put_stack(out, s, e.node, path);
    }
    if (stream_failed(&st))
        return -1;
    fputs("],\n \"weights\":[", out);
    stream_start(&st, s, p);
    for (bool first = true; stream_next(&st, &e); first = false) {
        if (timeline_span(&s->timeline, e.tick, &sp) != 0)
            return -1;
        if (!first)
            putc(',', out);
        put_us(out, sp.weight);
    }
    if (stream_failed(&st))
        return -1;
    fputs("]}", out);
    return 0;
}

/* The profile that ran Python code the longest: the one speedscope opens. */
static size_t busiest(const struct speedscope *s, const struct extent *x)
{
    size_t best = 0;
    for (size_t i = 1; i < s->nprofiles; i++)
        if (x[i].busy > x[best].busy)
            best = i;
    return best;
}

int write_file(struct speedscope *s)
{
    FILE *out = s->out;
    struct extent *extents = NULL;
    uint32_t maxdepth = 1;
    for (size_t i = 0; i < s->nnodes; i++)
        if (s->nodes[i].depth > maxdepth)
            maxdepth = s->nodes[i].depth;
    uint32_t *path = malloc(maxdepth * sizeof *path);
    if (!path || gather(s, &extents) != 0) {
        int rc = spool_failed(s);
        free(extents);
        free(path);
        return rc;
    }

    int rc = PYFLAME_OK;
    fputs("{\"$schema\":\"" SCHEMA "\",\n\"shared\":{\"frames\":[", out);
    for (size_t i = 0; i < s->nframes; i++) {
        const struct frame *f = &s->frames[i];
        fputs(i ? ",\n {\"name\":" : "\n {\"name\":", out);
        json_put_string(out, f->name);
        if (f->file) {
            fputs(",\"file\":", out);
            json_put_string(out, f->file);
        }
        if (f->line)
            fprintf(out, ",\"line\":%" PRIu32, f->line);
        putc('}', out);
    }
    fputs("]},\n\"profiles\":[", out);
    if (s->nprofiles == 0) {
        /* Nothing was sampled (or all of it was left out): one empty
         * profile, which speedscope opens without complaint. */
        struct profile empty = {0};
        fputs("\n", out);
        put_profile(out, s, &empty, extents, path);
    }
    for (size_t i = 0; i < s->nprofiles && rc == PYFLAME_OK; i++) {
        fputs(i ? ",\n" : "\n", out);
        if (put_profile(out, s, &s->profiles[i], &extents[i], path) != 0)
            rc = spool_failed(s);
    }
    char name[64];
    if (s->pid)
        snprintf(name, sizeof name, "pyflame (pid %d)", s->pid);
    else /* a profile read back (--input) */
        snprintf(name, sizeof name, "pyflame");
    fputs("],\n\"name\":", out);
    json_put_string(out, name);
    fprintf(out, ",\"activeProfileIndex\":%zu,\"exporter\":\"pyflame\"}\n",
            busiest(s, extents));
    free(extents);
    free(path);
    return rc == PYFLAME_OK ? output_status(out) : rc;
}
