/* The svg output format: an interactive flame graph in one self-contained
 * SVG file (inline CSS and JavaScript, nothing to fetch), for a browser.
 * Frames are boxes as wide as their share of the samples, the root at the
 * bottom; hover for the details, click to zoom, Ctrl-F to search.
 *
 * Licensed under the Apache License, Version 2.0. */
#include <stdlib.h>

#include "../common/no_options.h"
#include "svg.h"

struct svg_state {
    const pyflame_host *host;
    FILE *out;
    struct svg_meta meta;
};

NO_OPTIONS_CHECK(svg)

static void *svg_open(const pyflame_host *host, const pyflame_output_config *cfg)
{
    struct svg_state *s = malloc(sizeof *s);
    if (!s) {
        host->warn(host->ctx, "svg: out of memory");
        return NULL;
    }
    s->host = host;
    s->out = cfg->out;
    s->meta = (struct svg_meta){.flags = cfg->flags, .interval_s = cfg->interval_s,
                                .pid = cfg->pid};
    /* The title names the program, from hosts of API 4 on. */
    if (host->api_version >= 4 && cfg->command &&
        svg_buf_add_text(&s->meta.command, cfg->command) != 0) {
        host->warn(host->ctx, "svg: out of memory");
        free(s);
        return NULL;
    }
    return s;
}

static int svg_profile(void *state, const pyflame_profile *p)
{
    struct svg_state *s = state;
    /* Frames narrower than SVG_MIN_FRAME_PX at full width are left out. */
    uint64_t total = p->idle + p->failed;
    for (size_t i = 0; i < p->nstacks; i++)
        total += p->stacks[i].count;
    double min_count = SVG_MIN_FRAME_PX * (double)total / (SVG_WIDTH - 2 * SVG_XPAD);

    s->meta.idle_left_out = p->idle_left_out;
    struct svg_tree tree;
    if (svg_tree_build(&tree, p, min_count) || svg_write(s->out, &tree, &s->meta)) {
        svg_tree_free(&tree);
        s->host->warn(s->host->ctx, "svg: out of memory");
        return PYFLAME_ERR_NOMEM;
    }
    svg_tree_free(&tree);
    return ferror(s->out) ? PYFLAME_ERR_IO : PYFLAME_OK;
}

static int svg_close(void *state)
{
    struct svg_state *s = state;
    int rc = fflush(s->out) == 0 && !ferror(s->out) ? PYFLAME_OK : PYFLAME_ERR_IO;
    svg_buf_free(&s->meta.command);
    free(s);
    return rc;
}

__attribute__((visibility("default")))
const pyflame_output_plugin pyflame_output_entry = {
    .api_version = PYFLAME_API_VERSION,
    .name = "svg",
    .description = "interactive flame graph, one self-contained SVG file",
    .open = svg_open,
    .write_sample = NULL,
    .write_profile = svg_profile,
    .close = svg_close,
    .features = PYFLAME_OUT_ONE_DOCUMENT,
    .file_extension = "svg",
    .check_options = svg_check_options,
};
