#include "python_runtime.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "elf_symbols.h"
#include "namespaces.h"
#include "proc_maps.h"

/* Symbols that first appeared in a CPython release, newest first: the
 * first entry whose symbols are all present tells the version.  3.11+ say
 * their version in Py_Version.  tests/functional/test_embedding.py runs
 * every version where nothing else tells it (static and renamed runtimes). */
static const struct fingerprint {
    const char *symbols[2];
    int major, minor;
} fingerprints[] = {
    {{"Py_NewRef", NULL}, 3, 10},
    {{"PyObject_CallNoArgs", NULL}, 3, 9},
    {{"PyConfig_InitPythonConfig", NULL}, 3, 8},
    {{"_PyRuntime", NULL}, 3, 7},
    {{"PyOS_FSPath", NULL}, 3, 6},
    {{"PyString_Type", "PyCapsule_New"}, 2, 7},
};

/* Bound on the other mapped files searched for a runtime. */
#define MAX_OTHER_FILES 256

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
 * (right even if the file was replaced on disk, and in any container) but
 * needs CAP_SYS_ADMIN; else the path, looked up inside the target's root,
 * never among pyflame's own files. */
static struct elf_file *open_mapped(pid_t pid, const struct mapping *m)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/map_files/%llx-%llx", (int)pid,
             (unsigned long long)m->start, (unsigned long long)m->end);
    struct elf_file *elf = elf_file_open(path);
    if (elf)
        return elf;
    int fd = ns_open_in_root(pid, m->path);
    return fd < 0 ? NULL : elf_file_open_fd(fd);
}

/* 3.14+ keep _PyRuntime in a section of its own, which stripping leaves. */
#define RUNTIME_SECTION ".PyRuntime"

static int has_runtime_symbols(struct elf_file *elf)
{
    uint64_t v;
    for (size_t i = 0; i < sizeof runtime_symbols / sizeof *runtime_symbols; i++)
        if (elf_file_symbol(elf, runtime_symbols[i], &v) == 0)
            return 1;
    return elf_file_section(elf, RUNTIME_SECTION, &v) == 0;
}

static int is_libpython(const char *path, int *major, int *minor)
{
    return sscanf(base_name(path), "libpython%d.%d", major, minor) == 2;
}

static void set_version(struct python_runtime *rt, int major, int minor,
                        const char *source, bool certain)
{
    rt->major = major;
    rt->minor = minor;
    rt->version_source = source;
    rt->version_certain = certain;
}

/* The head of the table a 3.13+ runtime publishes at the start of
 * _PyRuntime (_Py_DebugOffsets): the same in every release since. */
struct published_head {
    char cookie[8]; /* "xdebugpy" once the runtime is loaded */
    uint64_t version; /* PY_VERSION_HEX */
    uint64_t free_threaded;
};

/* Is `path` named as a free-threaded build's file: python3.13t..., or
 * libpython3.13t...? */
static bool named_free_threaded(const char *path)
{
    const char *name = base_name(path);
    int major, minor, end = 0;
    if (strncmp(name, "lib", 3) == 0)
        name += 3;
    return sscanf(name, "python%d.%dt%n", &major, &minor, &end) == 2 && end > 0;
}

/* Tells the version from the best source the target offers. */
static void tell_version(struct python_runtime *rt, struct target_memory *mem,
                         const char *exe)
{
    int major, minor;
    struct published_head head;
    uint64_t runtime = python_runtime_symbol(rt, "_PyRuntime");
    bool published = runtime && memory_read(mem, runtime, &head, sizeof head) == 0 &&
                     memcmp(head.cookie, "xdebugpy", 8) == 0 && (head.version >> 24) == 3;
    /* Where the table cannot be read yet (the loader still mapping the
     * library), the name of a free-threaded build says it: python3.13t,
     * libpython3.13t.so. */
    rt->free_threaded = published ? head.free_threaded == 1
                                  : named_free_threaded(rt->path) || named_free_threaded(exe);
    /* 3.11+ state it: Py_Version. */
    uint64_t addr = python_runtime_symbol(rt, "Py_Version");
    uint32_t hex;
    if (addr && memory_read(mem, addr, &hex, sizeof hex) == 0 && (hex >> 24) >= 2) {
        set_version(rt, (int)(hex >> 24), (int)((hex >> 16) & 0xff), "Py_Version", true);
        return;
    }
    if (published) {
        set_version(rt, 3, (int)(head.version >> 16 & 0xff), "the table _PyRuntime publishes",
                    true);
        return;
    }
    if (is_libpython(rt->path, &major, &minor)) {
        set_version(rt, major, minor, "the name of its libpython", true);
        return;
    }
    for (size_t i = 0; i < sizeof fingerprints / sizeof *fingerprints; i++) {
        const struct fingerprint *f = &fingerprints[i];
        if (python_runtime_symbol(rt, f->symbols[0]) &&
            (!f->symbols[1] || python_runtime_symbol(rt, f->symbols[1]))) {
            set_version(rt, f->major, f->minor, "the symbols it defines", true);
            return;
        }
    }
    if (sscanf(base_name(exe), "python%d.%d", &major, &minor) == 2)
        set_version(rt, major, minor, "the name of its executable", false);
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

/* The kernel's PF_KTHREAD, in the flags of /proc/PID/stat. */
#define PF_KTHREAD 0x00200000u

/* Why process pid, which exists, has no executable (/proc/PID/exe): a
 * kernel thread, a process whose main thread has exited while others run
 * on (pthread_exit), or a zombie. */
static enum runtime_status explain_no_exe(pid_t pid, char *err, size_t errlen)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    /* The name in parentheses may hold anything, ')' too: the fields
     * follow the last one. */
    const char *p = strrchr(buf, ')');
    char state;
    unsigned flags;
    long threads;
    if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %u %*u %*u %*u %*u %*u %*u "
                     "%*d %*d %*d %*d %ld", &state, &flags, &threads) != 3) {
        reason(err, errlen, "no process with PID %d", (int)pid);
        return RUNTIME_NO_PROCESS;
    }
    if (flags & PF_KTHREAD) {
        reason(err, errlen, "process %d is a kernel thread, not a program: it runs no Python",
               (int)pid);
        return RUNTIME_NOT_PYTHON;
    }
    if ((state == 'Z' || state == 'X') && threads > 1) {
        reason(err, errlen, "the main thread of process %d has exited (pthread_exit) while "
               "%ld of its threads run on: pyflame reads a process through its main "
               "thread, and cannot profile this one", (int)pid, threads - 1);
        return RUNTIME_NO_PROCESS;
    }
    if (state == 'Z' || state == 'X')
        reason(err, errlen, "process %d has exited: its parent has not yet reaped it "
               "(a zombie)", (int)pid);
    else
        reason(err, errlen, "no process with PID %d", (int)pid);
    return RUNTIME_NO_PROCESS;
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
        if (errno == ENOENT || errno == ESRCH)
            return explain_no_exe(pid, err, errlen);
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
    int major, minor;
    /* A libpython, if loaded, holds the runtime (also when embedded). */
    for (size_t i = 0; i < maps.n && st != RUNTIME_FOUND; i++) {
        const struct mapping *m = &maps.v[i];
        if (is_libpython(m->path, &major, &minor) && m == maps_first_of(&maps, m->path) &&
            maps_has_code(&maps, m->path))
            st = use_mapping(pid, m, rt);
    }
    if (st != RUNTIME_FOUND) {
        const struct mapping *m = maps_first_of(&maps, exe);
        if (m)
            st = use_mapping(pid, m, rt);
    }
    /* Last, any other file mapped as code (once each: a file has one code
     * mapping): an embedder may load the runtime under another name. */
    size_t tried = 0;
    for (size_t i = 0; i < maps.n && st != RUNTIME_FOUND && tried < MAX_OTHER_FILES; i++) {
        const struct mapping *m = &maps.v[i];
        if (m->perms[2] == 'x' && m->path[0] == '/' && strcmp(m->path, exe) != 0 &&
            !is_libpython(m->path, &major, &minor)) {
            tried++;
            if (use_mapping(pid, maps_first_of(&maps, m->path), rt) == RUNTIME_FOUND)
                st = RUNTIME_FOUND;
        }
    }
    maps_free(&maps);

    if (st == RUNTIME_FOUND) {
        tell_version(rt, mem, exe);
        return RUNTIME_FOUND;
    }
    python_runtime_close(rt);
    if (st == RUNTIME_NOT_PYTHON)
        reason(err, errlen,
              "process %d (%s) is not a Python process: it has loaded no "
              "libpython, and neither its executable nor its libraries "
              "define CPython's runtime symbols",
              (int)pid, exe);
    else if (errno == EXDEV)
        reason(err, errlen,
              "cannot read the files of process %d (%s) safely: it runs under "
              "another root (a container) and this kernel lacks openat2 (Linux "
              "5.6+); run pyflame as root or with CAP_SYS_ADMIN, to read them "
              "through /proc/%d/map_files", (int)pid, exe, (int)pid);
    else
        reason(err, errlen, "cannot read the executable of process %d (%s): %s",
              (int)pid, exe, strerror(errno));
    return st;
}

uint64_t python_runtime_symbol(const struct python_runtime *rt,
                               const char *name)
{
    uint64_t value;
    if (!rt->elf)
        return 0;
    if (elf_file_symbol(rt->elf, name, &value) != 0 &&
        (strcmp(name, "_PyRuntime") != 0 ||
         elf_file_section(rt->elf, RUNTIME_SECTION, &value) != 0))
        return 0;
    return value + rt->bias;
}

void python_runtime_close(struct python_runtime *rt)
{
    elf_file_close(rt->elf);
    free(rt->path);
    *rt = (struct python_runtime){0};
}
