/* The SVG document: header, title and controls, then one group per frame
 * (a <title> for the tooltip, the rectangle, the label), root at the
 * bottom like flamegraph.pl.
 *
 * Licensed under the Apache License, Version 2.0. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "svg.h"

#define GRAPH_WIDTH (SVG_WIDTH - 2 * SVG_XPAD)
#define MIN_LABEL_PX 21.0 /* frames narrower get no label */
#define LABEL_PAD_PX 3.0  /* between the label and the box, each side */
#define DOTS_PX 8.0       /* ".." after a shortened label */

struct writer {
    FILE *out;
    const struct svg_tree *t;
    int lines;
    double px_per_sample;
    unsigned height;
    struct svg_buf name, label;
    size_t short_len; /* of the label's function name */
};

static int node_order(const void *pa, const void *pb)
{
    const struct svg_node *a = pa, *b = pb;
    if (a->depth != b->depth)
        return a->depth < b->depth ? -1 : 1;
    return a->start < b->start ? -1 : a->start > b->start;
}

static const char *basename_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

/* The frame's full name (file:function:line) and its label (function
 * (file.py:line)), both clean UTF-8, not yet escaped; short_len is the
 * length of the label's first part, the function. */
static int describe(struct writer *w, const struct svg_node *n)
{
    struct svg_buf *name = &w->name, *label = &w->label;
    name->len = label->len = 0;
    const char *fixed = n->kind == SVG_NODE_ROOT   ? "all"
                        : n->kind == SVG_NODE_IDLE ? "(idle)"
                        : n->kind == SVG_NODE_FAILED ? "(failed)"
                                                     : NULL;
    if (fixed) {
        w->short_len = strlen(fixed);
        return svg_buf_add(name, fixed, strlen(fixed)) || svg_buf_add(label, fixed, strlen(fixed));
    }
    const pyflame_frame *f = n->frame;
    if (f->flags & PYFLAME_FRAME_LABEL) {
        /* The core's frames ("thread NAME (TID)", "(no GIL)"): a name. */
        if (svg_buf_add_text(name, f->name) || svg_buf_add_text(label, f->name))
            return -1;
        w->short_len = label->len;
        return 0;
    }
    char line[16] = "";
    if (w->lines)
        snprintf(line, sizeof line, ":%" PRIu32, f->line);
    if (svg_buf_add_text(name, f->file) || svg_buf_add(name, ":", 1) ||
        svg_buf_add_text(name, f->name) || svg_buf_add(name, line, strlen(line)) ||
        svg_buf_add_text(label, f->name))
        return -1;
    w->short_len = label->len;
    return svg_buf_add(label, " (", 2) || svg_buf_add_text(label, basename_of(f->file)) ||
           svg_buf_add(label, line, strlen(line)) || svg_buf_add(label, ")", 1);
}

static int write_node(struct writer *w, const struct svg_node *n)
{
    if (describe(w, n))
        return -1;
    FILE *out = w->out;
    const struct svg_tree *t = w->t;
    double x = SVG_XPAD + (double)n->start * w->px_per_sample;
    double width = n->kind == SVG_NODE_ROOT ? GRAPH_WIDTH : (double)n->count * w->px_per_sample;
    unsigned y = w->height - SVG_BOTTOM - (n->depth + 1) * SVG_FRAME_HEIGHT;
    char count[32], colour[32];
    svg_colour(colour, n->kind, n->frame ? n->frame->name : "");

    /* The label, shortened to what fits; the script measures it again in
     * the browser's own font, and needs the whole label for that. */
    int whole = 0, dots = 0;
    size_t keep = 0;
    double room = width - 2 * LABEL_PAD_PX;
    if (width >= MIN_LABEL_PX) {
        keep = svg_label_fit(w->label.p, w->label.len, room, &whole);
        if (!whole) {
            /* The function alone, else the start of it. */
            int all;
            keep = svg_label_fit(w->label.p, w->short_len, room, &all);
            if (!all) {
                keep = svg_label_fit(w->label.p, w->short_len, room - DOTS_PX, &all);
                dots = keep > 0;
            }
        }
    }

    fprintf(out, "<g data-s=\"%" PRIu64 "\" data-n=\"%" PRIu64 "\"", n->start, n->count);
    if (!whole) {
        fputs(" data-l=\"", out);
        svg_put_xml(out, w->label.p, w->label.len);
        putc('"', out);
    }
    fputs("><title>", out);
    svg_put_xml(out, w->name.p, w->name.len);
    fprintf(out, " (%s samples, %.2f%%)</title>", svg_thousands(count, n->count),
            t->total ? 100.0 * (double)n->count / (double)t->total : 100.0);
    fprintf(out, "<rect x=\"%.2f\" y=\"%u\" width=\"%.2f\" height=\"%d\" fill=\"%s\" rx=\"2\" ry=\"2\"/>",
            x, y, width, SVG_FRAME_HEIGHT - 1, colour);
    fprintf(out, "<text x=\"%.2f\" y=\"%.1f\">", x + LABEL_PAD_PX, y + 11.5);
    svg_put_xml(out, w->label.p, keep);
    if (dots)
        fputs("..", out);
    fputs("</text></g>\n", out);
    return 0;
}

static void put_lines(FILE *out, const char *const *lines)
{
    for (; *lines; lines++)
        fputs(*lines, out);
}

static void format_interval(char buf[32], double s)
{
    if (s >= 1)
        snprintf(buf, 32, "%g s", s);
    else if (s >= 1e-3)
        snprintf(buf, 32, "%g ms", s * 1e3);
    else
        snprintf(buf, 32, "%g \xc2\xb5s", s * 1e6);
}

/* Room for the program's name in the title, in pixels of the 12 px font
 * that svg_label_fit measures: the title's 17 px font, centred between
 * the buttons at either side. */
#define TITLE_COMMAND_PX ((SVG_WIDTH - 2 * 130) * 12.0 / 17.0)

/* The command line as the title shows it, into b: an argument that is a
 * path from the root by its last part alone ("/usr/bin/python3 /srv/app.py"
 * is "python3 app.py"); the tooltip has it whole. */
static int short_command(struct svg_buf *b, const struct svg_buf *command)
{
    const char *p = command->p, *end = p + command->len;
    while (p < end) {
        const char *arg_end = memchr(p, ' ', (size_t)(end - p));
        if (!arg_end)
            arg_end = end;
        const char *from = p;
        if (*p == '/')
            for (const char *q = p; q < arg_end; q++)
                if (*q == '/' && q + 1 < arg_end)
                    from = q + 1;
        if ((b->len && svg_buf_add(b, " ", 1)) || svg_buf_add(b, from, (size_t)(arg_end - from)))
            return -1;
        p = arg_end < end ? arg_end + 1 : end;
    }
    return 0;
}

/* "Flame graph of COMMAND (PID N)", the command shortened to fit, with a
 * tooltip of it whole; "Flame graph of PID N" when it is unknown.  A
 * profile read back (PID 0) names its file as the command. */
static int write_title(FILE *out, const struct svg_meta *m)
{
    fprintf(out, "<text id=\"pf-title\" x=\"%d\" y=\"24\">Flame graph", SVG_WIDTH / 2);
    if (!m->command.len) {
        if (m->pid)
            fprintf(out, " of PID %d", m->pid);
        fputs("</text>\n", out);
        return 0;
    }
    fputs(" of ", out);
    struct svg_buf shown = {0};
    if (short_command(&shown, &m->command) != 0) {
        svg_buf_free(&shown);
        return -1;
    }
    int whole;
    size_t keep = svg_label_fit(shown.p, shown.len, TITLE_COMMAND_PX, &whole);
    if (!whole)
        keep = svg_label_fit(shown.p, shown.len, TITLE_COMMAND_PX - DOTS_PX, &whole);
    svg_put_xml(out, shown.p, keep);
    fputs(whole ? "" : "\xe2\x80\xa6", out);
    if (m->pid)
        fprintf(out, " (PID %d)", m->pid);
    fputs("<title>", out);
    svg_put_xml(out, m->command.p, m->command.len);
    fputs("</title></text>\n", out);
    svg_buf_free(&shown);
    return 0;
}

static int write_header(struct writer *w, const struct svg_meta *m)
{
    FILE *out = w->out;
    const struct svg_tree *t = w->t;
    unsigned h = w->height;
    char total[32], python[32], idle[32], failed[32], interval[32], left_out[64] = "";
    if (m->flags & PYFLAME_OUT_EXCLUDE_IDLE) {
        char n[32];
        svg_thousands(n, m->idle_left_out);
        snprintf(left_out, sizeof left_out, "; %s idle left out (-x)", n);
    }
    svg_thousands(total, t->total);
    svg_thousands(python, t->python);
    svg_thousands(idle, t->idle);
    svg_thousands(failed, t->failed);
    format_interval(interval, m->interval_s);

    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n", out);
    fprintf(out,
            "<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%u\" "
            "viewBox=\"0 0 %d %u\" onload=\"pf_init(evt)\" data-total=\"%" PRIu64 "\" "
            "data-x0=\"%d\" data-width=\"%d\" data-frame-height=\"%d\" data-omitted=\"%zu\">\n",
            SVG_WIDTH, h, SVG_WIDTH, h, t->total, SVG_XPAD, GRAPH_WIDTH, SVG_FRAME_HEIGHT,
            t->omitted);
    fprintf(out,
            "<!-- Flame graph written by pyflame: one box per frame, the root (all) at the "
            "bottom, callees above their callers, widths in proportion to samples.  "
            "%zu frames narrower than %g px are left out (their samples still count in "
            "their callers). -->\n",
            t->omitted, SVG_MIN_FRAME_PX);
    fputs("<defs><linearGradient id=\"pf-background\" x1=\"0\" y1=\"0\" x2=\"0\" y2=\"1\">"
          "<stop offset=\"0%\" stop-color=\"#fafaf7\"/><stop offset=\"100%\" "
          "stop-color=\"#f1e7cc\"/></linearGradient></defs>\n",
          out);
    fputs("<style type=\"text/css\"><![CDATA[\n", out);
    put_lines(out, svg_css);
    fputs("]]></style>\n<script type=\"text/ecmascript\"><![CDATA[\n", out);
    put_lines(out, svg_script);
    fputs("]]></script>\n", out);
    fputs("<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"url(#pf-background)\"/>\n",
          out);
    if (write_title(out, m) != 0)
        return -1;
    fprintf(out,
            "<text id=\"pf-subtitle\" x=\"%d\" y=\"44\">%s samples: %s in Python code, %s idle, "
            "%s failed; one every %s%s%s</text>\n",
            SVG_WIDTH / 2, total, python, idle, failed, interval, left_out,
            (m->flags & PYFLAME_OUT_NO_LINE_NUMBERS) ? "; without line numbers" : "");
    fprintf(out, "<text id=\"pf-unzoom\" class=\"pf-button pf-off\" x=\"%d\" y=\"24\">Reset zoom</text>\n",
            SVG_XPAD);
    fprintf(out, "<text id=\"pf-search\" class=\"pf-button\" x=\"%d\" y=\"24\">Search</text>\n",
            SVG_WIDTH - SVG_XPAD);
    fprintf(out, "<text id=\"pf-matched\" x=\"%d\" y=\"%u\"> </text>\n", SVG_WIDTH - SVG_XPAD,
            h - 12);
    fprintf(out, "<text id=\"pf-details\" x=\"%d\" y=\"%u\">Click a frame to zoom, "
                 "Ctrl-F to search</text>\n",
            SVG_XPAD, h - 12);
    return 0;
}

int svg_write(FILE *out, const struct svg_tree *t, const struct svg_meta *m)
{
    struct writer w = {
        .out = out,
        .t = t,
        .lines = !(m->flags & PYFLAME_OUT_NO_LINE_NUMBERS),
        .px_per_sample = t->total ? (double)GRAPH_WIDTH / (double)t->total : 0,
        .height = SVG_TOP + (t->max_depth + 1) * SVG_FRAME_HEIGHT + SVG_BOTTOM,
    };
    /* Document order: by depth, then left to right. */
    struct svg_node *nodes = malloc((t->nnodes ? t->nnodes : 1) * sizeof *nodes);
    if (!nodes)
        return -1;
    memcpy(nodes, t->nodes, t->nnodes * sizeof *nodes);
    qsort(nodes, t->nnodes, sizeof *nodes, node_order);

    int rc = write_header(&w, m);
    fputs("<g id=\"pf-frames\">\n", out);
    for (size_t i = 0; i < t->nnodes && !rc; i++)
        rc = write_node(&w, &nodes[i]);
    fputs("</g>\n</svg>\n", out);
    free(nodes);
    svg_buf_free(&w.name);
    svg_buf_free(&w.label);
    return rc;
}
