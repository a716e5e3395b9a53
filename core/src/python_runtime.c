#include "python_runtime.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "elf_symbols.h"
#include "proc_maps.h"

/* Symbols only a CPython runtime defines. */
static const char *const runtime_symbols[] = {
    "_PyRuntime", "_PyThreadState_Current", "interp_head", "Py_Version",
};


static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Opens a file the target has mapped.  map_files is the mapping itself
 * (right even if the file was replaced on disk); /proc/PID/root resolves
 * the path in the target's mount namespace. */
static struct elf_file *open_mapped(pid_t pid, const struct mapping *m)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "/proc/%d/map_files/%llx-%llx", (int)pid,
             (unsigned long long)m->start, (unsigned long long)m->end);
    struct elf_file *elf = elf_file_open(path);
    if (elf)
        return elf;
    snprintf(path, sizeof path, "/proc/%d/root%s", (int)pid, m->path);
    elf = elf_file_open(path);
    return elf ? elf : elf_file_open(m->path);
}

static int has_runtime_symbols(struct elf_file *elf)
{
    uint64_t v;
    for (size_t i = 0; i < sizeof runtime_symbols / sizeof *runtime_symbols; i++)
        if (elf_file_symbol(elf, runtime_symbols[i], &v) == 0)
            return 1;
    return 0;
}

static int is_libpython(const char *path, int *major, int *minor)
{
    return sscanf(base_name(path), "libpython%d.%d", major, minor) == 2;
}

/* The version as the runtime states it (3.11+: Py_Version). */
static void version_from_memory(struct python_runtime *rt,
                                struct target_memory *mem)
{
    uint64_t addr = python_runtime_symbol(rt, "Py_Version");
    uint32_t hex;
    if (addr && memory_read(mem, addr, &hex, sizeof hex) == 0 && (hex >> 24) >= 2) {
        rt->major = (int)(hex >> 24);
        rt->minor = (int)((hex >> 16) & 0xff);
    }
}

static enum runtime_status use_mapping(pid_t pid, const struct mapping *m,
                                       struct python_runtime *rt)
{
    rt->elf = open_mapped(pid, m);
    if (!rt->elf)
        return RUNTIME_ERROR;
    if (elf_file_load_bias(rt->elf, m->start, m->offset, &rt->bias) != 0 ||
        !has_runtime_symbols(rt->elf)) {
        elf_file_close(rt->elf);
        rt->elf = NULL;
        return RUNTIME_NOT_PYTHON;
    }
    rt->path = strdup(m->path);
    return rt->path ? RUNTIME_FOUND : RUNTIME_ERROR;
}

enum runtime_status python_runtime_find(pid_t pid, struct target_memory *mem,
                                        struct python_runtime *rt, char *err,
                                        size_t errlen)
{
    *rt = (struct python_runtime){0};
    char exe_link[64], exe[PATH_MAX];
    snprintf(exe_link, sizeof exe_link, "/proc/%d/exe", (int)pid);
    ssize_t n = readlink(exe_link, exe, sizeof exe - 1);
    if (n < 0) {
        if (errno == ENOENT || errno == ESRCH) {
            reason(err, errlen, "no process with PID %d", (int)pid);
            return RUNTIME_NO_PROCESS;
        }
        if (errno == EACCES || errno == EPERM) {
            reason(err, errlen, "not permitted to read %s", exe_link);
            return RUNTIME_NO_PERMISSION;
        }
        reason(err, errlen, "cannot read %s: %s", exe_link, strerror(errno));
        return RUNTIME_ERROR;
    }
    exe[n] = '\0';

    struct maps maps;
    if (maps_read(pid, &maps) != 0) {
        reason(err, errlen, "no process with PID %d", (int)pid);
        return RUNTIME_NO_PROCESS;
    }

    enum runtime_status st = RUNTIME_NOT_PYTHON;
    int major = 0, minor = 0;
    /* A libpython, if loaded, holds the runtime (also when embedded). */
    for (size_t i = 0; i < maps.n && st != RUNTIME_FOUND; i++) {
        const struct mapping *m = &maps.v[i];
        if (is_libpython(m->path, &major, &minor) &&
            m == maps_first_of(&maps, m->path)) {
            st = use_mapping(pid, m, rt);
            if (st == RUNTIME_FOUND) {
                rt->major = major;
                rt->minor = minor;
            }
        }
    }
    if (st != RUNTIME_FOUND) {
        const struct mapping *m = maps_first_of(&maps, exe);
        if (m)
            st = use_mapping(pid, m, rt);
        if (st == RUNTIME_FOUND &&
            sscanf(base_name(exe), "python%d.%d", &major, &minor) == 2) {
            rt->major = major;
            rt->minor = minor;
        }
    }
    maps_free(&maps);

    if (st == RUNTIME_FOUND) {
        version_from_memory(rt, mem);
        return RUNTIME_FOUND;
    }
    python_runtime_close(rt);
    if (st == RUNTIME_NOT_PYTHON)
        reason(err, errlen,
              "process %d (%s) is not a Python process: no libpython is "
              "loaded and the executable has no CPython runtime symbols",
              (int)pid, exe);
    else
        reason(err, errlen, "cannot read the executable of process %d (%s): %s",
              (int)pid, exe, strerror(errno));
    return st;
}

uint64_t python_runtime_symbol(const struct python_runtime *rt,
                               const char *name)
{
    uint64_t value;
    if (!rt->elf || elf_file_symbol(rt->elf, name, &value) != 0)
        return 0;
    return value + rt->bias;
}

void python_runtime_close(struct python_runtime *rt)
{
    elf_file_close(rt->elf);
    free(rt->path);
    *rt = (struct python_runtime){0};
}
