/* The memory map of a process, from /proc/PID/maps. */
#ifndef PYFLAME_PROC_MAPS_H
#define PYFLAME_PROC_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct mapping {
    uint64_t start, end, offset;
    char perms[5];
    char *path; /* "" for anonymous mappings */
};

struct maps {
    struct mapping *v;
    size_t n;
};

/* Parses one line of a maps file.  Returns 0, or -1 if it is malformed.
 * On success m->path is malloc'd. */
int maps_parse_line(const char *line, struct mapping *m);

/* Reads /proc/PID/maps.  Returns 0, or -1 with errno set. */
int maps_read(pid_t pid, struct maps *maps);
void maps_free(struct maps *maps);

/* A hash of the file-backed code mappings of /proc/PID/maps (addresses,
 * device, inode and path): it changes when a program or library is mapped
 * as code or unmapped, seldom otherwise.  Returns 0, or -1 with errno set
 * (the process is gone, or has no memory left). */
int maps_code_signature(pid_t pid, uint64_t *sig);

/* The lowest mapping of `path`, or NULL. */
const struct mapping *maps_first_of(const struct maps *maps, const char *path);

/* Whether `path` is mapped as code: a file mapped only to be read (another
 * pyflame's view of a libpython, say) is not loaded by the process. */
bool maps_has_code(const struct maps *maps, const char *path);

#endif
