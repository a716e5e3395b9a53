/* Finding the CPython runtime in a process: which file holds it (libpython
 * or the executable), where it is loaded, and which version it is. */
#ifndef PYFLAME_PYTHON_RUNTIME_H
#define PYFLAME_PYTHON_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "memory.h"

struct python_runtime {
    char *path;          /* the file, as the target names it */
    struct elf_file *elf;
    uint64_t bias;       /* load bias of that file */
    int major, minor;    /* 0, 0 if the version could not be told */
    const char *version_source; /* how the version was told, for messages */
    bool version_certain;       /* not merely guessed from a file name */
    bool free_threaded;         /* built without the GIL (3.13+: "313t") */
};

enum runtime_status {
    RUNTIME_FOUND = 0,
    RUNTIME_NO_PROCESS = -1, /* the process is gone */
    RUNTIME_NOT_PYTHON = -2, /* no Python runtime in it (yet) */
    RUNTIME_ERROR = -3,      /* something else; see the message */
    RUNTIME_NO_PERMISSION = -4, /* we may not look into the process */
};

/* Looks for the runtime in process `pid`.  On failure writes a one-line
 * reason to err. */
enum runtime_status python_runtime_find(pid_t pid, struct target_memory *mem,
                                        struct python_runtime *rt, char *err,
                                        size_t errlen);

/* Address of a symbol of the runtime in the target, 0 if absent. */
uint64_t python_runtime_symbol(const struct python_runtime *rt,
                               const char *name);

void python_runtime_close(struct python_runtime *rt);

#endif
