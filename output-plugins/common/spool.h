/* Records of one size, kept in an unlinked temporary file rather than in
 * memory.  A per-sample format that can only write its output at the end
 * (the two parallel arrays of one JSON object, say) keeps a long run's
 * samples on disk, so its memory stays bounded however long pyflame runs. */
#ifndef PYFLAME_OUTPUT_SPOOL_H
#define PYFLAME_OUTPUT_SPOOL_H

#include <stddef.h>

#include <pyflame/pyflame.h>

struct spool;

/* A spool in $TMPDIR (else /tmp); NULL with errno set if none can be made. */
struct spool *spool_new(size_t record_size);

/* Tells the user why a spool of plugin `format` could not be made,
 * written or read back (errno): the directory, and what to do.  An error
 * (pyflame_host.error, API 4; a warning from older hosts): the plugin's
 * call then fails. */
void spool_report(const pyflame_host *host, const char *format);

void spool_free(struct spool *s);

/* Appends a record, or n records.  Returns 0, or -1 (disk full: see
 * errno). */
int spool_put(struct spool *s, const void *record);
int spool_put_many(struct spool *s, const void *records, size_t n);

size_t spool_count(const struct spool *s);

/* Reads the records again from the first: spool_rewind, then spool_get
 * once per record.  Both return 0, or -1 on a read error. */
int spool_rewind(struct spool *s);
int spool_get(struct spool *s, void *record);

/* Reads records first .. first + n - 1 into records[], wherever spool_get
 * stands, and leaves it there.  Returns 0, or -1 (a read error, or fewer
 * records than asked for). */
int spool_read(struct spool *s, size_t first, size_t n, void *records);

#endif
