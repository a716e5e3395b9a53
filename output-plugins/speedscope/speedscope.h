/* The speedscope output plugin (speedscope.c tells the format):
 *
 *   speedscope.c       the plugin entry points: each sample's stacks go to
 *                      its threads' profiles, on disk
 *   stacks.c           the frames and stacks of every sample, each kept once
 *   thread_profiles.c  the profile of each thread
 *   timeline.c         when each sample was taken, and the time it stands for
 *   entry_log.c        each profile's samples, on disk
 *   read_back.c        the samples read back at the end, and measured
 *   writer.c           the JSON document
 *
 * This header is what they share. */
#ifndef PYFLAME_SPEEDSCOPE_H
#define PYFLAME_SPEEDSCOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <pyflame/output.h>

#include "index_set.h"
#include "entry_log.h"
#include "timeline.h"

struct frame {
    char *file; /* NULL for (idle), (failed) and the core's labels */
    char *name;
    uint32_t line;
};

/* A stack, as a node of a tree: the frame on top of the stack `parent`. */
struct node {
    uint32_t parent; /* INDEX_SET_NONE at the root */
    uint32_t frame;
    uint32_t depth; /* frames in the stack, this one included */
};

struct profile {
    uint64_t os_tid, ident; /* both 0: the "pyflame" profile */
    char *name;             /* the thread's name, NULL while unknown */
    uint32_t mark, pick;    /* in the sample being added: tick + 1, picks[] */
    struct entry_log log;
    struct entry_log merged; /* the threadless samples (merge_threadless) */
};

/* The thread of a sample that stands for a profile. */
struct pick {
    uint32_t profile, thread;
};

struct speedscope {
    const pyflame_host *host;
    FILE *out;
    int pid;

    struct frame *frames;
    size_t nframes, capframes;
    struct index_set frame_set;

    struct node *nodes;
    size_t nnodes, capnodes;
    struct index_set node_set;
    uint32_t idle_node, failed_node;

    struct timeline timeline; /* when each sample was taken */
    struct spool *entries;    /* of every profile's entry_log */
    bool full;                /* warned that no more samples fit */

    struct profile *profiles;
    size_t nprofiles, capprofiles;
    struct index_set tid_set;   /* by (os_tid, ident), for os_tid != 0 */
    struct index_set ident_set; /* the latest profile of each ident */
    uint32_t threadless;        /* the "pyflame" profile, INDEX_SET_NONE until needed */
    struct pick *picks;         /* scratch of speedscope_sample() */
    size_t cappicks;
};

/* ---- stacks.c ---- */

/* A stack of one special frame: (idle) or (failed). */
uint32_t special_node(struct speedscope *s, uint32_t *cache, const char *name);

/* The node of a thread's stack (its frames come leaf first). */
uint32_t stack_node(struct speedscope *s, const pyflame_thread *t);

/* ---- thread_profiles.c ---- */

/* The profile of the thread (os_tid, ident), made when new; (0, 0): the
 * "pyflame" profile.  NULL when out of memory. */
struct profile *profile_for(struct speedscope *s, uint64_t os_tid, uint64_t ident);

/* ---- speedscope.c ---- */

/* The status of a failure of the spool or of memory (errno), told. */
int spool_failed(const struct speedscope *s);

/* ---- read_back.c ---- */

/* A profile's entries in the order taken: its own and those merged in. */
struct stream {
    struct entry_reader r[2];
    struct entry head[2];
    bool more[2];
};

void stream_start(struct stream *st, const struct speedscope *s, const struct profile *p);
/* The next entry into *e; false at the end or on a read error (then
 * stream_failed()). */
bool stream_next(struct stream *st, struct entry *e);
bool stream_failed(const struct stream *st);

/* What a profile's samples add up to, in ns. */
struct extent {
    uint64_t start; /* offset of its first sample */
    uint64_t total; /* the time they stand for */
    uint64_t busy;  /* of which Python code ran */
};

/* Everything the file needs that the samples on disk must tell first.
 * Returns 0, or -1 with errno set. */
int gather(struct speedscope *s, struct extent **extents);

/* ---- writer.c ---- */

/* Writes the whole file.  Returns a PYFLAME_* status. */
int write_file(struct speedscope *s);

#endif
