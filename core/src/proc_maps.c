#include "proc_maps.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"

/* Generous bound: a process with more mappings than this is not sane. */
#define MAX_MAPPINGS (1u << 20)

int maps_parse_line(const char *line, struct mapping *m)
{
    unsigned long long start, end, offset, inode;
    char perms[5];
    int path_at = -1;
    if (sscanf(line, "%llx-%llx %4s %llx %*x:%*x %llu %n", &start, &end, perms,
               &offset, &inode, &path_at) < 5 ||
        path_at < 0 || end < start)
        return -1;
    const char *path = line + path_at;
    size_t len = strcspn(path, "\n");
    m->path = strndup(path, len);
    if (!m->path)
        return -1;
    m->start = start;
    m->end = end;
    m->offset = offset;
    memcpy(m->perms, perms, sizeof perms);
    return 0;
}

int maps_read(pid_t pid, struct maps *maps)
{
    char name[64];
    *maps = (struct maps){0};
    snprintf(name, sizeof name, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(name, "re");
    if (!f)
        return -1;
    size_t cap = 0;
    char *line = NULL;
    size_t linecap = 0;
    while (getline(&line, &linecap, f) > 0 && maps->n < MAX_MAPPINGS) {
        if (grow_array((void **)&maps->v, &cap, maps->n + 1, sizeof *maps->v) != 0)
            break;
        if (maps_parse_line(line, &maps->v[maps->n]) == 0)
            maps->n++;
    }
    free(line);
    fclose(f);
    if (maps->n == 0) {
        maps_free(maps);
        errno = ESRCH;
        return -1;
    }
    return 0;
}

void maps_free(struct maps *maps)
{
    for (size_t i = 0; i < maps->n; i++)
        free(maps->v[i].path);
    free(maps->v);
    *maps = (struct maps){0};
}

/* FNV-1a, 64 bits. */
static uint64_t hash_bytes(uint64_t h, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 0x100000001b3ull;
    return h;
}

int maps_code_signature(pid_t pid, uint64_t *sig)
{
    char name[64];
    snprintf(name, sizeof name, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(name, "re");
    if (!f)
        return -1;
    uint64_t h = 0xcbf29ce484222325ull;
    size_t lines = 0;
    char *line = NULL;
    size_t linecap = 0;
    ssize_t len;
    while ((len = getline(&line, &linecap, f)) > 0 && lines < MAX_MAPPINGS) {
        lines++;
        /* "start-end perms offset dev inode path": code is 'x' in perms,
         * a file's path begins with '/'. */
        const char *perms = strchr(line, ' ');
        const char *path = strchr(line, '/');
        if (perms && strlen(perms) > 4 && perms[3] == 'x' && path)
            h = hash_bytes(h, line, (size_t)len);
    }
    free(line);
    fclose(f);
    if (!lines) {
        errno = ESRCH;
        return -1;
    }
    *sig = h;
    return 0;
}

const struct mapping *maps_first_of(const struct maps *maps, const char *path)
{
    const struct mapping *best = NULL;
    for (size_t i = 0; i < maps->n; i++)
        if (strcmp(maps->v[i].path, path) == 0 &&
            (!best || maps->v[i].start < best->start))
            best = &maps->v[i];
    return best;
}

bool maps_has_code(const struct maps *maps, const char *path)
{
    for (size_t i = 0; i < maps->n; i++)
        if (maps->v[i].perms[2] == 'x' && strcmp(maps->v[i].path, path) == 0)
            return true;
    return false;
}
