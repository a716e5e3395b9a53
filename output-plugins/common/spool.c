#include "spool.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct spool {
    FILE *f;
    size_t size, count;
};

struct spool *spool_new(size_t record_size)
{
    const char *dir = getenv("TMPDIR");
    char path[PATH_MAX];
    if (!dir || !*dir)
        dir = "/tmp";
    if (snprintf(path, sizeof path, "%s/pyflame-spool-XXXXXX", dir) >= (int)sizeof path)
        return NULL;
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
    if (fwrite(record, s->size, 1, s->f) != 1)
        return -1;
    s->count++;
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
