#include "spool.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct spool {
    FILE *f;
    size_t size, count;
};

static const char *spool_dir(void)
{
    const char *dir = getenv("TMPDIR");
    return dir && *dir ? dir : "/tmp";
}

void spool_report(const pyflame_host *host, const char *format)
{
    int err = errno ? errno : EIO; /* a short read sets none */
    void (*report)(void *, const char *, ...) =
        host->api_version >= 4 && host->error ? host->error : host->warn;
    report(host->ctx,
           "%s: cannot keep the samples in a temporary file in %s ($TMPDIR, else /tmp): %s; "
           "point TMPDIR at a writable directory with room",
           format, spool_dir(), strerror(err));
}

struct spool *spool_new(size_t record_size)
{
    const char *dir = spool_dir();
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/pyflame-spool-XXXXXX", dir) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    struct spool *s = calloc(1, sizeof *s);
    int fd = s ? mkstemp(path) : -1;
    if (fd < 0) {
        free(s);
        return NULL;
    }
    unlink(path); /* gone with the last descriptor, whatever happens */
    if (!(s->f = fdopen(fd, "w+b"))) {
        close(fd);
        free(s);
        return NULL;
    }
    s->size = record_size;
    return s;
}

void spool_free(struct spool *s)
{
    if (!s)
        return;
    fclose(s->f);
    free(s);
}

int spool_put(struct spool *s, const void *record)
{
    return spool_put_many(s, record, 1);
}

int spool_put_many(struct spool *s, const void *records, size_t n)
{
    if (n && fwrite(records, s->size, n, s->f) != n)
        return -1;
    s->count += n;
    return 0;
}

size_t spool_count(const struct spool *s)
{
    return s->count;
}

int spool_rewind(struct spool *s)
{
    return fflush(s->f) == 0 && fseek(s->f, 0, SEEK_SET) == 0 ? 0 : -1;
}

int spool_get(struct spool *s, void *record)
{
    return fread(record, s->size, 1, s->f) == 1 ? 0 : -1;
}

int spool_read(struct spool *s, size_t first, size_t n, void *records)
{
    if (first > s->count || n > s->count - first)
        return -1;
    if (fflush(s->f) != 0) /* what fwrite holds back must reach the file */
        return -1;
    int fd = fileno(s->f);
    char *to = records;
    size_t len = n * s->size;
    off_t at = (off_t)(first * s->size);
    while (len) {
        ssize_t got = pread(fd, to, len, at);
        if (got <= 0) {
            if (got < 0 && errno == EINTR)
                continue;
            return -1;
        }
        to += got;
        at += got;
        len -= (size_t)got;
    }
    return 0;
}
