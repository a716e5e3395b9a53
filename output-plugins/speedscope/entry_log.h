/* One thread's samples, in the order taken, kept on disk: the thread's
 * stack at each sample it was in.  The logs of all threads share one spool
 * and write it in chunks, so memory holds only each thread's unwritten
 * chunk (at most CHUNK_MAX entries) and where its chunks went (16 bytes per
 * chunk: about 4 bytes per thousand samples). */
#ifndef PYFLAME_SPEEDSCOPE_ENTRY_LOG_H
#define PYFLAME_SPEEDSCOPE_ENTRY_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/spool.h"

/* A thread's stack at one sample. */
struct entry {
    uint32_t tick; /* index of the sample */
    uint32_t node; /* the stack (stacks.c's tree of nodes) */
};

struct chunk {
    uint64_t first; /* in the spool, counted in entries */
    uint64_t count;
};

struct entry_log {
    struct entry *pending; /* not yet in the spool */
    size_t npending, cap;  /* cap doubles up to CHUNK_MAX: idle threads stay small */
    struct chunk *chunks;
    size_t nchunks, capchunks;
    uint64_t count; /* entries in all, written or not */
};

/* The spool that the logs share: records of struct entry. */
struct spool *entry_spool_new(void);

/* Appends e, whose tick must be later than the log's last.  Returns 0, or
 * -1 with errno set (ENOMEM, or the spool's write error). */
int entry_log_add(struct entry_log *log, struct spool *s, struct entry e);

/* Writes the unwritten chunk, so that readers see every entry. */
int entry_log_flush(struct entry_log *log, struct spool *s);

void entry_log_free(struct entry_log *log);

/* Reads a flushed log from the first entry. */
struct entry_reader {
    const struct entry_log *log;
    struct spool *spool;
    size_t chunk;       /* chunks[] being read */
    uint64_t done;      /* of that chunk, entries already in buf[] */
    struct entry buf[256];
    size_t nbuf, at;
    bool failed;        /* a read error: the reader stops early */
};

void entry_reader_start(struct entry_reader *r, const struct entry_log *log, struct spool *s);

/* The next entry into *e; false at the end or on a read error (then
 * r->failed). */
bool entry_reader_next(struct entry_reader *r, struct entry *e);

#endif
