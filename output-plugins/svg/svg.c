/* The svg output format: an interactive flame graph in one self-contained
 * SVG file (inline CSS and JavaScript, nothing to fetch), for a browser.
 * Frames are boxes as wide as their share of the samples, the root at the
 * bottom; hover for the details, click to zoom, Ctrl-F to search.
 *
 * Licensed under the Apache License, Version 2.0. */
#include <stdlib.h>

#include "../common/format.h"
#include "svg.h"

struct svg_state {
    const pyflame_host *host;
    FILE *out;
    struct svg_meta meta;
};

static void *svg_open(const pyflame_host *host, const pyflame_output_config *cfg)
{
    struct svg_state *s = malloc(sizeof *s);
    if (!s) {
        warn_out_of_memory(host, "svg");
        return NULL;
    }
    s->host = host;
    s->out = cfg->out;
    s->meta = (struct svg_meta){.flags = cfg->flags, .interval_s = cfg->interval_s,
                                .pid = cfg->pid};
    /* The title names the program, from hosts of API 4 on. */
    if (host->api_version >= 4 && cfg->command &&
        svg_buf_add_text(&s->meta.command, cfg->command) != 0) {
        warn_out_of_memory(host, "svg");
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
        warn_out_of_memory(s->host, "svg");
        return PYFLAME_ERR_NOMEM;
    }
    svg_tree_free(&tree);
    return output_status(s->out);
}

static int svg_close(void *state)
{
    struct svg_state *s = state;
    int rc = output_flush(s->out);
    svg_buf_free(&s->meta.command);
    free(s);
    return rc;
}

FORMAT_PLUGIN(svg,
              .description = "interactive flame graph, one self-contained SVG file",
              .open = svg_open,
              .write_profile = svg_profile,
              .close = svg_close,
              .features = PYFLAME_OUT_ONE_DOCUMENT,
              .file_extension = "svg");
