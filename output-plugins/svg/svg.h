/* The svg output plugin: an interactive flame graph in one SVG file.
 *
 *   tree.c    merges the aggregated stacks into a tree of frames and lays
 *             them out (which sample range, which depth), leaving out
 *             frames too narrow to see
 *   text.c    UTF-8 clean-up, XML escaping, label fitting, numbers
 *   writer.c  the SVG document
 *   script.c  the CSS and JavaScript embedded in it
 *   svg.c     the plugin entry points
 *
 * Licensed under the Apache License, Version 2.0. */
#ifndef PYFLAME_SVG_H
#define PYFLAME_SVG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <pyflame/output.h>

/* Geometry of the image, in pixels. */
#define SVG_WIDTH 1200
#define SVG_XPAD 10            /* left and right margin */
#define SVG_FRAME_HEIGHT 16    /* one stack level */
#define SVG_TOP 64             /* title, subtitle, buttons */
#define SVG_BOTTOM 34          /* the details line */
#define SVG_MIN_FRAME_PX 0.1   /* narrower frames are left out */

enum svg_kind {
    SVG_NODE_ROOT,   /* "all", depth 0 */
    SVG_NODE_PYTHON, /* a Python frame, or a label of the core's */
    SVG_NODE_IDLE,   /* the (idle) tower, or a thread's (idle) above its label */
    SVG_NODE_FAILED, /* the (failed) tower */
};

/* A frame of the graph: the samples [start, start + count) at one depth. */
struct svg_node {
    const pyflame_frame *frame; /* SVG_NODE_PYTHON only */
    uint64_t start, count;
    uint32_t depth;
    enum svg_kind kind;
};

struct svg_tree {
    struct svg_node *nodes; /* root first, then the others in no order */
    size_t nnodes, capnodes;
    uint64_t total;   /* width of the root: stacks + idle + failed */
    uint64_t python;  /* samples with a Python stack */
    uint64_t idle, failed;
    uint32_t max_depth;
    size_t omitted;   /* frames left out as too narrow */
};

/* Builds the tree of `p`, keeping the frames of at least `min_count`
 * samples (their samples still count in their parents).  Returns 0, or
 * -1 when out of memory. */
int svg_tree_build(struct svg_tree *t, const pyflame_profile *p, double min_count);
void svg_tree_free(struct svg_tree *t);

/* A growing string. */
struct svg_buf {
    char *p;
    size_t len, cap;
};

int svg_buf_add(struct svg_buf *b, const char *s, size_t n);
/* Appends `s` made safe for XML: invalid UTF-8 and characters XML cannot
 * hold become U+FFFD; valid UTF-8 passes through unchanged. */
int svg_buf_add_text(struct svg_buf *b, const char *s);
void svg_buf_free(struct svg_buf *b);

/* Writes n bytes of (clean) UTF-8 with & < > ' " escaped. */
void svg_put_xml(FILE *out, const char *s, size_t n);
/* Length in bytes of the longest prefix of the clean UTF-8 `s` (n bytes)
 * that fits in `px` pixels of the label font, estimated; sets *whole when
 * all of `s` fits. */
size_t svg_label_fit(const char *s, size_t n, double px, int *whole);
/* 1234567 -> "1,234,567" */
const char *svg_thousands(char buf[32], uint64_t v);

/* Colour of a frame: a warm colour from the function name, or grey. */
void svg_colour(char buf[32], enum svg_kind kind, const char *name);

struct svg_meta {
    uint32_t flags;    /* PYFLAME_OUT_* */
    double interval_s;
    int pid;
    struct svg_buf command; /* the target's command line, clean; may be empty */
    uint64_t idle_left_out; /* idle samples -x left out (pyflame_profile) */
};

/* Writes the whole document.  Returns 0, or -1 when out of memory. */
int svg_write(FILE *out, const struct svg_tree *t, const struct svg_meta *m);

/* Lines of the embedded CSS and script, NULL-terminated. */
extern const char *const svg_css[];
extern const char *const svg_script[];

#endif
