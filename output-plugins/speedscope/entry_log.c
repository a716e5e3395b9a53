#include "entry_log.h"

#include <stdlib.h>
#include <string.h>

#include "grow.h"

#define CHUNK_MAX 4096

struct spool *entry_spool_new(void)
{
    return spool_new(sizeof(struct entry));
}

int entry_log_flush(struct entry_log *log, struct spool *s)
{
    if (!log->npending)
        return 0;
    struct chunk c = {spool_count(s), log->npending};
    if (grow_array((void **)&log->chunks, &log->capchunks, log->nchunks + 1,
                   sizeof *log->chunks) != 0)
        return -1;
    if (spool_put_many(s, log->pending, log->npending) != 0)
        return -1;
    log->chunks[log->nchunks++] = c;
    log->npending = 0;
    return 0;
}

int entry_log_add(struct entry_log *log, struct spool *s, struct entry e)
{
    /* The unwritten chunk doubles from 16 entries up to CHUNK_MAX. */
    if (log->npending == CHUNK_MAX && entry_log_flush(log, s) != 0)
        return -1;
    if (grow_array((void **)&log->pending, &log->cap, log->npending + 1,
                   sizeof *log->pending) != 0)
        return -1;
    log->pending[log->npending++] = e;
    log->count++;
    return 0;
}

void entry_log_free(struct entry_log *log)
{
    free(log->pending);
    free(log->chunks);
    memset(log, 0, sizeof *log);
}

void entry_reader_start(struct entry_reader *r, const struct entry_log *log, struct spool *s)
{
    r->log = log;
    r->spool = s;
    r->chunk = 0;
    r->done = 0;
    r->nbuf = r->at = 0;
    r->failed = false;
}

bool entry_reader_next(struct entry_reader *r, struct entry *e)
{
    if (r->at == r->nbuf) {
        const struct entry_log *log = r->log;
        while (r->chunk < log->nchunks && r->done == log->chunks[r->chunk].count) {
            r->chunk++;
            r->done = 0;
        }
        if (r->failed || r->chunk == log->nchunks)
            return false;
        const struct chunk *c = &log->chunks[r->chunk];
        size_t n = sizeof r->buf / sizeof r->buf[0];
        if (n > c->count - r->done)
            n = (size_t)(c->count - r->done);
        if (spool_read(r->spool, (size_t)(c->first + r->done), n, r->buf) != 0) {
            r->failed = true;
            return false;
        }
        r->done += n;
        r->nbuf = n;
        r->at = 0;
    }
    *e = r->buf[r->at++];
    return true;
}
