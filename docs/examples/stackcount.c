/* An output plugin built outside pyflame's tree, against the installed
 * header only (pkg-config --cflags pyflame).  It streams one line per
 * sample with the leaf function, then a summary:
 *
 *     leaf hot_leaf
 *     idle
 *     summary samples=1000 ok=990 idle=10 failed=0
 *
 * STACKCOUNT_API_VERSION lets the tests build it for a wrong API. */
#include <inttypes.h>
#include <stdlib.h>

#include <pyflame/output.h>

#ifndef STACKCOUNT_API_VERSION
#define STACKCOUNT_API_VERSION PYFLAME_API_VERSION
#endif

struct counts {
    FILE *out;
    uint64_t ok, idle, failed;
};

static void *sc_open(const pyflame_host *host, const pyflame_output_config *cfg)
{
    (void)host;
    struct counts *c = calloc(1, sizeof *c);
    if (c)
        c->out = cfg->out;
    return c;
}

static int sc_sample(void *state, const pyflame_sample *s)
{
    struct counts *c = state;
    if (s->status == PYFLAME_ERR_READ) {
        c->failed++;
        fputs("failed\n", c->out);
    } else if (s->status == PYFLAME_IDLE || s->nthreads == 0 ||
               s->threads[0].nframes == 0) {
        c->idle++;
        fputs("idle\n", c->out);
    } else {
        c->ok++;
        fprintf(c->out, "leaf %s\n", s->threads[0].frames[0].name);
    }
    return PYFLAME_OK;
}

static int sc_close(void *state)
{
    struct counts *c = state;
    fprintf(c->out, "summary samples=%" PRIu64 " ok=%" PRIu64 " idle=%" PRIu64
            " failed=%" PRIu64 "\n", c->ok + c->idle + c->failed, c->ok, c->idle,
            c->failed);
    free(c);
    return PYFLAME_OK;
}

__attribute__((visibility("default")))
const pyflame_output_plugin pyflame_output_entry = {
    .api_version = STACKCOUNT_API_VERSION,
    .name = "stackcount",
    .description = "leaf per sample (out-of-tree example)",
    .open = sc_open,
    .write_sample = sc_sample,
    .write_profile = NULL,
    .close = sc_close,
};
