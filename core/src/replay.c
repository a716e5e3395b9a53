/* --input: a recorded profile read back (replay.h). */
#include "replay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "grow.h"
#include "plugin_loader.h"
#include "profile_output.h"

/* Counts past these are no profile pyflame wrote: the totals of the
 * aggregate stay far below 2^64. */
#define MAX_COUNT 1000000000000000ull  /* one line's, 10^15 */
#define MAX_TOTAL 1000000000000000000ull /* all lines', 10^18 */
/* Frames of one stack, threads of one sample: far above what a real
 * profile holds, low enough to bound the memory a hostile file costs. */
#define MAX_FRAMES 100000u
#define MAX_THREADS 100000u

struct replay {
    const struct options *opt;
    char *text; /* the input, whole, NUL-terminated */
    size_t len;
    bool timed;     /* timestamped, not folded */
    bool has_lines; /* some frame has its line number */
    /* Set while feeding the output, NULL while checking the input. */
    struct profile_output *out;
    uint64_t idle_left_out; /* -x */
    uint64_t total;
    size_t lineno;
    /* A copy of the line being checked, cut into frames. */
    char *line;
    size_t capline;
    pyflame_frame *frames;
    size_t nframes, capframes;
    /* The sample being gathered (timestamped): its time and threads. */
    uint64_t time_ns;
    int status;
    pyflame_thread *threads;
    size_t nthreads, capthreads;
    size_t *first_frame; /* of each thread, in frames[] */
    size_t capfirst;
    size_t *name_at; /* of each thread, in names[]; SIZE_MAX: none */
    size_t capname_at;
    char *names;
    size_t nnames, capnames;
};

__attribute__((format(printf, 2, 3)))
static int bad_line(const struct replay *r, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    pf_error("--input %s, line %zu: %s", options_input_name(r->opt), r->lineno, why);
    return -1;
}

static int read_input(struct replay *r)
{
    const char *path = r->opt->input;
    bool stdin_ = strcmp(path, "-") == 0;
    int fd = stdin_ ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        pf_error("cannot open --input %s: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 0;
    ssize_t n;
    for (;;) {
        if (grow_array((void **)&r->text, &cap, r->len + 65536 + 1, 1) != 0) {
            n = -1;
            break;
        }
        n = read(fd, r->text + r->len, cap - r->len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        r->len += (size_t)n;
    }
    int saved = errno;
    if (!stdin_)
        close(fd);
    if (n < 0) {
        pf_error("cannot read --input %s: %s", options_input_name(r->opt), strerror(saved));
        return -1;
    }
    r->text[r->len] = '\0';
    if (memchr(r->text, '\0', r->len)) {
        pf_error("--input %s is no profile: it holds NUL bytes (give a folded or timestamped "
                 "profile, as pyflame -f folded or -T writes)", options_input_name(r->opt));
        return -1;
    }
    return 0;
}

static bool all_digits(const char *s)
{
    return *s && strspn(s, "0123456789") == strlen(s);
}

/* The decimal number s, if it is at most max. */
static bool parse_count(const char *s, uint64_t max, uint64_t *v)
{
    if (!all_digits(s) || strlen(s) > 20)
        return false;
    errno = 0;
    unsigned long long x = strtoull(s, NULL, 10);
    if (errno || x > max)
        return false;
    *v = x;
    return true;
}

/* One frame as the folded format writes it (folded_put_frame): tok is
 * cut in place into file, name and line. */
static pyflame_frame parse_frame(struct replay *r, char *tok)
{
    size_t len = strlen(tok);
    char *colon = strrchr(tok, ':');
    bool thread_label = strncmp(tok, "thread ", 7) == 0 && tok[len - 1] == ')';
    if (!colon || thread_label)
        return (pyflame_frame){.file = "", .name = tok, .flags = PYFLAME_FRAME_LABEL};
    *colon = '\0';
    char *prev = strrchr(tok, ':');
    uint64_t line;
    if (prev && parse_count(colon + 1, UINT32_MAX, &line)) {
        *prev = '\0';
        r->has_lines = true;
        return (pyflame_frame){.file = tok, .name = prev + 1,
                               .line = r->opt->no_line_numbers ? 0 : (uint32_t)line};
    }
    return (pyflame_frame){.file = tok, .name = colon + 1};
}

/* Appends the frames of `stack` (root first, joined by ';', a last ';'
 * allowed) to r->frames, leaf first.  Returns how many, or -1 told. */
static long parse_stack(struct replay *r, char *stack)
{
    size_t first = r->nframes;
    char *end = stack + strlen(stack);
    if (end > stack && end[-1] == ';')
        *--end = '\0';
    if (end == stack)
        return bad_line(r, "an empty stack");
    for (char *tok = stack; tok;) {
        char *semi = strchr(tok, ';');
        if (semi)
            *semi = '\0';
        if (!*tok)
            return bad_line(r, "an empty frame (two ';' in a row)");
        if (r->nframes - first == MAX_FRAMES)
            return bad_line(r, "a stack of more than %u frames", MAX_FRAMES);
        if (grow_array((void **)&r->frames, &r->capframes, r->nframes + 1, sizeof *r->frames))
            return bad_line(r, "out of memory");
        r->frames[r->nframes++] = parse_frame(r, tok);
        tok = semi ? semi + 1 : NULL;
    }
    /* Root first as read, leaf first as samples have them. */
    for (size_t i = first, j = r->nframes - 1; i < j; i++, j--) {
        pyflame_frame t = r->frames[i];
        r->frames[i] = r->frames[j];
        r->frames[j] = t;
    }
    /* A thread's idle time under its label (--thread-names) ends in (idle). */
    pyflame_frame *leaf = &r->frames[first];
    if ((leaf->flags & PYFLAME_FRAME_LABEL) && strcmp(leaf->name, "(idle)") == 0)
        leaf->flags |= PYFLAME_FRAME_IDLE;
    return (long)(r->nframes - first);
}

static int count_samples(struct replay *r, uint64_t count)
{
    if (count > MAX_TOTAL - r->total)
        return bad_line(r, "the counts add up to more than %llu samples",
                        (unsigned long long)MAX_TOTAL);
    r->total += count;
    return 0;
}

/* Hands the sample gathered in r (its status, threads and their frames)
 * to the output as `count` samples, leaving idle ones out for -x. */
static int record(struct replay *r, uint64_t count)
{
    bool exclude = r->opt->exclude_idle;
    size_t kept = 0, idle = 0;
    for (size_t i = 0; i < r->nthreads; i++) {
        pyflame_thread t = r->threads[i];
        t.frames = r->frames + r->first_frame[i];
        t.name = r->name_at[i] == SIZE_MAX ? NULL : r->names + r->name_at[i];
        if (t.frames[0].flags & PYFLAME_FRAME_IDLE)
            t.flags |= PYFLAME_THREAD_IDLE;
        if (exclude && (t.flags & PYFLAME_THREAD_IDLE))
            idle++;
        else
            r->threads[kept++] = t;
    }
    if (exclude && (r->status == PYFLAME_IDLE || (idle && !kept))) {
        r->idle_left_out += count * (idle ? idle : 1);
        return 0;
    }
    r->idle_left_out += count * idle;
    pyflame_sample smp = {.time_ns = r->time_ns, .status = r->status,
                          .nthreads = (uint32_t)kept, .threads = r->threads};
    if (profile_output_record(r->out, &smp, count) != 0) {
        profile_output_failed(r->out);
        return -1;
    }
    return 0;
}

static void start_sample(struct replay *r, int status)
{
    r->status = status;
    r->nthreads = 0;
    r->nframes = 0;
    r->nnames = 0;
}

/* A root frame "thread NAME (TID)", or "thread NAME (0xIDENT)", as
 * --thread-names writes it, gives the thread gathered last its ids and
 * name back (the name kept in r->names until the sample is recorded). */
static int name_thread(struct replay *r, const pyflame_frame *root)
{
    const char *label = root->name, *open = strrchr(label, '(');
    pyflame_thread *t = &r->threads[r->nthreads];
    if (!(root->flags & PYFLAME_FRAME_LABEL) || strncmp(label, "thread ", 7) != 0 || !open)
        return 0;
    char id[24];
    size_t len = strlen(open + 1) - 1; /* up to the last ')' */
    if (len == 0 || len >= sizeof id)
        return 0;
    memcpy(id, open + 1, len);
    id[len] = '\0';
    bool hex = strncmp(id, "0x", 2) == 0 && id[2] && strspn(id + 2, "0123456789abcdef") == len - 2;
    if (hex)
        t->ident = strtoull(id + 2, NULL, 16);
    else if (!parse_count(id, UINT32_MAX, &t->os_tid))
        return 0;
    const char *name = label + 7, *name_end = open > name ? open - 1 : name;
    if (name_end <= name)
        return 0;
    size_t n = (size_t)(name_end - name);
    if (grow_array((void **)&r->names, &r->capnames, r->nnames + n + 1, 1) != 0)
        return bad_line(r, "out of memory");
    memcpy(r->names + r->nnames, name, n);
    r->names[r->nnames + n] = '\0';
    r->name_at[r->nthreads] = r->nnames;
    r->nnames += n + 1;
    return 0;
}

/* Adds the stack line `stack` as a thread of the sample gathered. */
static int add_thread(struct replay *r, char *stack)
{
    if (r->nthreads == MAX_THREADS)
        return bad_line(r, "a sample of more than %u threads", MAX_THREADS);
    if (grow_array((void **)&r->threads, &r->capthreads, r->nthreads + 1, sizeof *r->threads) ||
        grow_array((void **)&r->first_frame, &r->capfirst, r->nthreads + 1,
                   sizeof *r->first_frame) ||
        grow_array((void **)&r->name_at, &r->capname_at, r->nthreads + 1, sizeof *r->name_at))
        return bad_line(r, "out of memory");
    size_t first = r->nframes;
    long n = parse_stack(r, stack);
    if (n < 0)
        return -1;
    r->first_frame[r->nthreads] = first;
    r->threads[r->nthreads] = (pyflame_thread){.nframes = (uint32_t)n};
    r->name_at[r->nthreads] = SIZE_MAX;
    if (name_thread(r, &r->frames[r->nframes - 1]) != 0)
        return -1;
    r->nthreads++;
    return 0;
}

/* A line of the folded format: STACK COUNT. */
static int folded_line(struct replay *r, char *line)
{
    char *space = strrchr(line, ' ');
    uint64_t count;
    if (!space || !parse_count(space + 1, MAX_COUNT, &count))
        return bad_line(r, "not a folded stack: frames joined by ';', a space, then the "
                        "number of samples (at most %llu)", (unsigned long long)MAX_COUNT);
    while (space > line && space[-1] == ' ')
        space--;
    *space = '\0';
    if (count_samples(r, count) != 0)
        return -1;
    if (strcmp(line, "(idle)") == 0)
        start_sample(r, PYFLAME_IDLE);
    else if (strcmp(line, "(failed)") == 0)
        start_sample(r, PYFLAME_ERR_READ);
    else {
        start_sample(r, PYFLAME_OK);
        if (add_thread(r, line) != 0)
            return -1;
    }
    return r->out && count ? record(r, count) : 0;
}

/* The sample gathered so far ends (timestamped). */
static int end_sample(struct replay *r)
{
    if (r->status == PYFLAME_OK && r->nthreads == 0)
        return bad_line(r, "a time with no stack, (idle) or (failed) line after it");
    return r->out ? record(r, 1) : 0;
}

/* A line of the timestamped format: a time, or a line of the sample
 * whose time came last. */
static int timed_line(struct replay *r, char *line, bool *in_sample)
{
    uint64_t us;
    if (all_digits(line)) {
        if (*in_sample && end_sample(r) != 0)
            return -1;
        if (!parse_count(line, UINT64_MAX / 1000u, &us))
            return bad_line(r, "a time out of range");
        if (count_samples(r, 1) != 0)
            return -1;
        start_sample(r, PYFLAME_OK);
        r->time_ns = us * 1000u;
        *in_sample = true;
        return 0;
    }
    if (!*in_sample)
        return bad_line(r, "a stack before the first time: a timestamped profile begins "
                        "with the time of its first sample");
    bool idle = strcmp(line, "(idle)") == 0, failed = strcmp(line, "(failed)") == 0;
    if ((idle || failed) && (r->nthreads || r->status != PYFLAME_OK))
        return bad_line(r, "%s among other lines of one sample", line);
    if (r->status != PYFLAME_OK)
        return bad_line(r, "a stack after (idle) or (failed) in one sample");
    if (idle || failed) {
        r->status = idle ? PYFLAME_IDLE : PYFLAME_ERR_READ;
        return 0;
    }
    return add_thread(r, line);
}

/* Reads every line: to check them (r->out NULL), or to feed them to the
 * output.  Frames point into their line, which must last as long as the
 * sample being gathered: to check, each line is cut up in a copy; to feed,
 * the last use of the text, it is cut up in place.  Returns 0, or -1 told. */
static int walk(struct replay *r)
{
    bool in_sample = false, decided = false;
    r->lineno = 0;
    r->total = 0;
    for (char *p = r->text, *end = r->text + r->len; p < end;) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        char *line = p;
        r->lineno++;
        p = nl ? nl + 1 : end;
        if (!r->out) {
            if (grow_array((void **)&r->line, &r->capline, len + 1, 1) != 0)
                return bad_line(r, "out of memory");
            line = memcpy(r->line, line, len);
        }
        if (len && line[len - 1] == '\r')
            len--;
        line[len] = '\0';
        if (len == 0 || strspn(line, " \t") == len)
            continue;
        if (!decided) {
            r->timed = all_digits(line);
            decided = true;
        }
        if ((r->timed ? timed_line(r, line, &in_sample) : folded_line(r, line)) != 0)
            return -1;
    }
    return in_sample ? end_sample(r) : 0;
}

static void free_replay(struct replay *r)
{
    free(r->text);
    free(r->line);
    free(r->frames);
    free(r->threads);
    free(r->first_frame);
    free(r->name_at);
    free(r->names);
}

int replay_run(const struct options *opt)
{
    struct replay r = {.opt = opt};
    struct plugin_dirs dirs = {0};
    struct profile_output out;
    /* Frames without line numbers are written without, as they came. */
    struct options shown = *opt;
    int status = 1;
    profile_output_init(&out, &shown);
    if (read_input(&r) != 0 || walk(&r) != 0)
        goto done;
    if (!r.has_lines)
        shown.no_line_numbers = true;
    if (plugin_dirs_init(&dirs) != 0) {
        pf_error("out of memory");
        goto done;
    }
    if (profile_output_load(&out, &dirs) != 0)
        goto done;
    if (!r.timed && r.total && profile_output_writes_samples(&out)) {
        pf_error("the %s format writes each sample with its time, which the folded profile "
                 "%s does not have: record the profile with -T (timestamped) to write it as %s",
                 opt->format, options_input_name(opt), opt->format);
        goto done;
    }
    if (profile_output_start(&out, 0) != 0)
        goto done;
    r.out = &out;
    int fed = walk(&r);
    if (fed != 0)
        out.failed = true; /* told: the output is taken back */
    if (profile_output_finish(&out, r.idle_left_out) == 0 && fed == 0)
        status = 0;
    if (!r.total)
        pf_warn("--input %s holds no samples: the profile written is empty",
                options_input_name(opt));
done:
    profile_output_free(&out);
    plugin_dirs_free(&dirs);
    free_replay(&r);
    return status;
}
