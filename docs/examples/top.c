/* An example output plugin: a table of the functions that took the most
 * samples, like py-spy's "top", printed once at the end of the run:
 *
 *     samples 1000, idle 8, failed 2
 *            own   %own      total %total  function (file)
 *            950  95.0%        950  95.0%  hot_leaf (/app/work.py)
 *             40   4.0%        990  99.0%  main (/app/work.py)
 *
 * "own" counts the samples in which the function is the leaf, "total"
 * those in which it is anywhere on the stack (once per sample, however
 * deep it recurses); the percentages are of all samples.  A function is a
 * file and a name.  The frames pyflame adds are not functions: thread
 * labels, "(no GIL)" above a thread running without the GIL, an idle
 * thread's "(idle)"; a stack's leaf is its innermost Python frame.
 *
 * Options (-f top:rows=30,sort=total): rows=N, how many functions to show
 * (default 20); sort=own (the default: own, then total) or sort=total.
 *
 * Built outside pyflame's tree, from the installed SDK only:
 *
 *     cc -std=c11 -shared -fPIC $(pkg-config --cflags pyflame) top.c \
 *        -o pyflame-output-top.so
 *     PYFLAME_PLUGIN_PATH=$PWD pyflame -f top:rows=10 -p 1234 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <pyflame/output.h>

struct top {
    FILE *out;
    size_t rows;
    int by_total; /* sort=total */
};

/* One function of the profile.  Its strings point into the profile, so
 * the table lives only as long as the write_profile call. */
struct func {
    const char *file, *name;
    uint64_t own, total;
    size_t last_stack; /* 1 + the stack that counted it last: once per stack */
};

/* The functions, in a hash table of open addressing. */
struct table {
    struct func *slots; /* name NULL: free */
    size_t cap, n;      /* cap is a power of two */
};

/* The N of "rows=N", the len characters at s: a positive number (one
 * too big for an unsigned long: every row), else 0. */
static size_t rows_of(const char *s, size_t len)
{
    if (len == 0 || strspn(s, "0123456789") != len)
        return 0;
    return strtoul(s, NULL, 10);
}

/* Reads "rows=N,sort=own|total" into t.  Returns 0, or -1 after telling
 * the user which option it cannot use. */
static int parse_options(struct top *t, const pyflame_host *host, const char *opts)
{
    while (opts) {
        size_t len = strcspn(opts, ",");
        size_t rows = strncmp(opts, "rows=", 5) == 0 ? rows_of(opts + 5, len - 5) : 0;
        if (rows) {
            t->rows = rows;
        } else if (len == 8 && strncmp(opts, "sort=own", len) == 0) {
            t->by_total = 0;
        } else if (len == 10 && strncmp(opts, "sort=total", len) == 0) {
            t->by_total = 1;
        } else {
            host->error(host->ctx, "top: unknown option '%.*s': top takes rows=N (N > 0) and "
                        "sort=own or sort=total", (int)len, opts);
            return -1;
        }
        opts = opts[len] == ',' ? opts + len + 1 : NULL;
    }
    return 0;
}

/* pyflame asks this before anything starts, so that a wrong option costs
 * the user nothing; open() reads them again for their values. */
static int top_check_options(const pyflame_host *host, const char *options)
{
    struct top scratch;
    return parse_options(&scratch, host, options) == 0 ? PYFLAME_OK : PYFLAME_ERR_UNSUPPORTED;
}

static void *top_open(const pyflame_host *host, const pyflame_output_config *cfg)
{
    struct top *t = malloc(sizeof *t);
    if (!t)
        return NULL;
    *t = (struct top){.out = cfg->out, .rows = 20, .by_total = 0};
    /* Hosts before API 4 have no options (and no error()).  The options
     * string is only ours during open(): what it says is kept in *t. */
    if (host->api_version >= 4 && parse_options(t, host, cfg->options) != 0) {
        free(t);
        return NULL;
    }
    return t;
}

/* FNV-1a of s, going on from h. */
static uint64_t hash(const char *s, uint64_t h)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

/* The slot of function (file, name): its own, or the free one where it
 * goes. */
static struct func *slot_of(const struct table *tb, const char *file, const char *name)
{
    size_t i = (size_t)hash(name, hash(file, 14695981039346656037u)) & (tb->cap - 1);
    while (tb->slots[i].name &&
           (strcmp(tb->slots[i].name, name) != 0 || strcmp(tb->slots[i].file, file) != 0))
        i = (i + 1) & (tb->cap - 1);
    return &tb->slots[i];
}

/* Makes room for `more` functions, keeping the table at most half full.
 * Returns 0, or -1 out of memory. */
static int reserve(struct table *tb, size_t more)
{
    size_t cap = tb->cap ? tb->cap : 256;
    while (2 * (tb->n + more) > cap)
        cap *= 2;
    if (cap == tb->cap)
        return 0;
    struct table bigger = {calloc(cap, sizeof(struct func)), cap, tb->n};
    if (!bigger.slots)
        return -1;
    for (size_t i = 0; i < tb->cap; i++)
        if (tb->slots[i].name)
            *slot_of(&bigger, tb->slots[i].file, tb->slots[i].name) = tb->slots[i];
    free(tb->slots);
    *tb = bigger;
    return 0;
}

/* Most first: -1 when a comes before b. */
static int more_first(uint64_t a, uint64_t b)
{
    return (a < b) - (a > b);
}

/* Ties go by name, then file, so that the table is the same every time. */
static int by_name(const struct func *x, const struct func *y)
{
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->file, y->file);
}

static int by_own(const void *a, const void *b)
{
    const struct func *x = a, *y = b;
    int c = more_first(x->own, y->own);
    c = c ? c : more_first(x->total, y->total);
    return c ? c : by_name(x, y);
}

static int by_total(const void *a, const void *b)
{
    const struct func *x = a, *y = b;
    int c = more_first(x->total, y->total);
    c = c ? c : more_first(x->own, y->own);
    return c ? c : by_name(x, y);
}

static double percent(uint64_t n, uint64_t of)
{
    return of ? 100.0 * (double)n / (double)of : 0.0;
}

static int top_profile(void *state, const pyflame_profile *p)
{
    struct top *t = state;
    struct table tb = {NULL, 0, 0};
    uint64_t idle = p->idle;
    for (size_t i = 0; i < p->nstacks; i++) {
        const pyflame_stack_count *st = &p->stacks[i];
        if (reserve(&tb, st->nframes) != 0) {
            free(tb.slots);
            return PYFLAME_ERR_NOMEM;
        }
        struct func *leaf = NULL;
        for (uint32_t k = 0; k < st->nframes; k++) { /* root first */
            const pyflame_frame *fr = st->frames[k];
            if (fr->flags & PYFLAME_FRAME_LABEL)
                continue;
            struct func *f = slot_of(&tb, fr->file, fr->name);
            if (!f->name) {
                *f = (struct func){.file = fr->file, .name = fr->name};
                tb.n++;
            }
            if (f->last_stack != i + 1) {
                f->last_stack = i + 1;
                f->total += st->count;
            }
            leaf = f;
        }
        if (leaf)
            leaf->own += st->count;
        else if (st->nframes && (st->frames[st->nframes - 1]->flags & PYFLAME_FRAME_IDLE))
            idle += st->count; /* --thread-names: an idle thread under its label */
    }

    /* The functions to the front of the table, then in order. */
    size_t n = 0;
    for (size_t i = 0; i < tb.cap; i++)
        if (tb.slots[i].name)
            tb.slots[n++] = tb.slots[i];
    if (n)
        qsort(tb.slots, n, sizeof *tb.slots, t->by_total ? by_total : by_own);

    fprintf(t->out, "samples %" PRIu64 ", idle %" PRIu64 ", failed %" PRIu64 "\n", p->samples,
            idle, p->failed);
    fprintf(t->out, "%10s %6s %10s %6s  %s\n", "own", "%own", "total", "%total",
            "function (file)");
    for (size_t i = 0; i < n && i < t->rows; i++) {
        const struct func *f = &tb.slots[i];
        fprintf(t->out, "%10" PRIu64 " %5.1f%% %10" PRIu64 " %5.1f%%  %s (%s)\n", f->own,
                percent(f->own, p->samples), f->total, percent(f->total, p->samples), f->name,
                f->file);
    }
    free(tb.slots);
    return ferror(t->out) ? PYFLAME_ERR_IO : PYFLAME_OK;
}

static int top_close(void *state)
{
    struct top *t = state;
    int rc = fflush(t->out) == 0 && !ferror(t->out) ? PYFLAME_OK : PYFLAME_ERR_IO;
    free(t);
    return rc;
}

const pyflame_output_plugin pyflame_output_entry = {
    .api_version = PYFLAME_API_VERSION,
    .name = "top",
    .description = "functions by own and total samples, like py-spy top (example)",
    .open = top_open,
    .write_sample = NULL,
    .write_profile = top_profile,
    .close = top_close,
    .features = 0, /* lines of text */
    .file_extension = NULL,
    .check_options = top_check_options,
};
