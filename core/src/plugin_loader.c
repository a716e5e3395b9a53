/* Loading a plugin: dlopen() of the file that plugin_trust.c opened, the
 * checks of its symbol, API version and struct, and the messages that say
 * why a plugin was not found or not loaded. */
#include "plugin_loader.h"

#include "abi_name.h"
#include "diag.h"
#include "plugin_files.h"
#include "plugin_trust.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A plugin is selected by the name in its file name, and listed and
 * known by the name in its struct: they must be one.  An ABI plugin's
 * name also says the CPython version it reads (311: 3.11; 313t: 3.13's
 * free-threaded build).  Returns why not, into why[len], or NULL. */
static const char *misnamed(enum plugin_kind kind, const void *sym, const char *file_name,
                            char *why, size_t len)
{
    const char *name = kind == KIND_ABI ? ((const pyflame_abi_plugin *)sym)->name
                                        : ((const pyflame_output_plugin *)sym)->name;
    if (strcmp(name, file_name) != 0) {
        snprintf(why, len, "it calls itself '%.64s' but its file is named for '%.64s' "
                 "(rename the file %s%.64s.so, or fix the plugin's name)",
                 name, file_name, plugin_kinds[kind].prefix, name);
        return why;
    }
    if (kind == KIND_ABI) {
        const pyflame_abi_plugin *p = sym;
        bool free_threaded = p->api_version >= 5 && (p->py_build & PYFLAME_PY_FREE_THREADED);
        char version[32];
        abi_name_of(version, sizeof version, p->py_major, p->py_minor, free_threaded);
        if (strcmp(version, name) != 0) {
            snprintf(why, len, "it is named '%.64s' but reads CPython %d.%d%s",
                     name, p->py_major, p->py_minor, free_threaded ? " (free-threaded)" : "");
            return why;
        }
    }
    return NULL;
}

/* Checks what the plugin struct holds beyond its version. */
static const char *incomplete(enum plugin_kind kind, const void *sym)
{
    if (kind == KIND_ABI) {
        const pyflame_abi_plugin *p = sym;
        if (!p->name || !p->open || !p->sample || !p->close)
            return "it lacks name, open, sample or close";
    } else {
        const pyflame_output_plugin *p = sym;
        if (!p->name || !p->open || !p->close || (!p->write_sample && !p->write_profile))
            return "it lacks name, open, close, or both write functions";
    }
    return NULL;
}

/* dlopen()s the file open on fd, by the name /proc/self/fd/N of a copy of
 * it, fresh: glibc knows a loaded object by the name it was opened by and
 * hands that object back for the same name, so no two loads may share a
 * name.  The copy stays open while the object is loaded (let_go() closes
 * it), which keeps its number from any other load. */
static void *dlopen_fd(int fd, int *fresh, char *name, size_t len)
{
    *fresh = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (*fresh < 0)
        return NULL;
    snprintf(name, len, "/proc/self/fd/%d", *fresh);
    void *h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        close(*fresh);
    return h;
}

/* Unloads what dlopen_fd() loaded.  An object glibc keeps loaded (marked
 * not to be deleted, or used by another) keeps its name: its descriptor is
 * then left open for good, so that no later plugin is given that name. */
static void let_go(void *h, int fresh)
{
    dlclose(h);
    char name[64];
    snprintf(name, sizeof name, "/proc/self/fd/%d", fresh);
    void *kept = dlopen(name, RTLD_NOW | RTLD_NOLOAD);
    if (kept)
        dlclose(kept);
    else
        close(fresh);
}

/* Loads the plugin `path`, named `name` by its file, that plugin_open_trusted()
 * opened on fd; closes fd. */
static int load_fd(enum plugin_kind kind, const char *path, const char *name_of_file, int fd,
                   struct loaded_plugin *out, char *err, size_t errlen)
{
    char name[64] = "";
    int fresh = -1;
    errno = 0;
    void *h = dlopen_fd(fd, &fresh, name, sizeof name);
    int e = errno;
    close(fd);
    if (!h) {
        if (!name[0])
            return reason(err, errlen, "cannot load plugin %s: %s", path, strerror(e));
        const char *why = dlerror();
        size_t nlen = strlen(name);
        if (why && strncmp(why, name, nlen) == 0 && strncmp(why + nlen, ": ", 2) == 0)
            why += nlen + 2; /* the descriptor's name says nothing: the path does */
        return reason(err, errlen, "cannot load plugin %s: %s", path, why ? why : "unknown");
    }
    const uint32_t *sym = dlsym(h, plugin_kinds[kind].symbol);
    if (!sym) {
        let_go(h, fresh);
        return reason(err, errlen, "%s is not a pyflame %s plugin: it has no '%s' symbol",
                     path, plugin_kinds[kind].label, plugin_kinds[kind].symbol);
    }
    if (*sym > PYFLAME_API_VERSION) {
        uint32_t v = *sym;
        let_go(h, fresh);
        return reason(err, errlen,
                     "plugin %s was built for plugin API %u, newer than this pyflame's (%d): "
                     "upgrade pyflame, or use a build of the plugin for API %d",
                     path, v, PYFLAME_API_VERSION, PYFLAME_API_VERSION);
    }
    if (*sym < PYFLAME_API_OLDEST) {
        uint32_t v = *sym;
        let_go(h, fresh);
        return reason(err, errlen,
                     "plugin %s was built for plugin API %u, older than any this pyflame "
                     "speaks (%d to %d): rebuild the plugin against this pyflame's headers",
                     path, v, PYFLAME_API_OLDEST, PYFLAME_API_VERSION);
    }
    char named[512];
    const char *why = incomplete(kind, sym);
    if (!why)
        why = misnamed(kind, sym, name_of_file, named, sizeof named);
    if (why) {
        let_go(h, fresh);
        return reason(err, errlen, "plugin %s is broken: %s", path, why);
    }
    *out = (struct loaded_plugin){
        .handle = h, .fd = fresh, .path = strdup(path), .api_version = *sym};
    if (kind == KIND_ABI)
        out->u.abi = (const pyflame_abi_plugin *)sym;
    else
        out->u.output = (const pyflame_output_plugin *)sym;
    return 0;
}

int plugin_load_file(enum plugin_kind kind, const char *path, const char *name,
                     struct loaded_plugin *out, char *err, size_t errlen)
{
    bool absent;
    int fd = plugin_open_trusted(path, &absent, err, errlen);
    return fd < 0 ? -1 : load_fd(kind, path, name, fd, out, err, errlen);
}

struct name_list {
    char text[512];
    size_t len;
};

static void add_name(void *arg, const char *name, const char *path)
{
    (void)path;
    struct name_list *nl = arg;
    size_t len = strlen(name);
    for (const char *p = nl->text; (p = strstr(p, name)) != NULL; p++)
        if ((p == nl->text || p[-1] == ' ') && (p[len] == ',' || p[len] == '\0'))
            return; /* in two directories */
    if (nl->len < sizeof nl->text)
        nl->len += (size_t)snprintf(nl->text + nl->len, sizeof nl->text - nl->len, "%s%s",
                                    nl->len ? ", " : "", name);
}

/* The first directory holding a file for plugin `name` wins, whatever it
 * holds: load() loads or refuses that file, plugin_path_used() names it. */
static int load(const struct plugin_dirs *d, enum plugin_kind kind, const char *name,
                struct loaded_plugin *out, char *err, size_t errlen)
{
    for (size_t i = 0; i < d->n; i++) {
        char path[PATH_MAX];
        plugin_path(d, i, kind, name, path, sizeof path);
        bool absent;
        int fd = plugin_open_trusted(path, &absent, err, errlen);
        if (fd >= 0)
            return load_fd(kind, path, name, fd, out, err, errlen);
        if (!absent && access(path, F_OK) == 0)
            return -1; /* there, and refused */
        /* Not here (an untrusted directory without it is no matter). */
    }
    if (kind == KIND_OUTPUT) { /* -f: name the formats there are */
        struct name_list nl = {.len = 0};
        plugin_each_file(d, kind, add_name, &nl);
        return reason(err, errlen, "no output plugin '%s' found: -f takes one of %s "
                      "(see pyflame --list-plugins)", name, nl.len ? nl.text : "(none found)");
    }
    return reason(err, errlen, "no %s plugin '%s' found (see pyflame --list-plugins)",
                 plugin_kinds[kind].label, name);
}

int plugin_load_abi(const struct plugin_dirs *d, const char *name,
                    struct loaded_plugin *out, char *err, size_t errlen)
{
    return load(d, KIND_ABI, name, out, err, errlen);
}

int plugin_load_output(const struct plugin_dirs *d, const char *name,
                       struct loaded_plugin *out, char *err, size_t errlen)
{
    return load(d, KIND_OUTPUT, name, out, err, errlen);
}

void plugin_unload(struct loaded_plugin *p)
{
    if (p->handle)
        let_go(p->handle, p->fd);
    free(p->path);
    *p = (struct loaded_plugin){0};
}

uint32_t plugin_abi_features(const struct loaded_plugin *p)
{
    return p->api_version >= 2 ? p->u.abi->features : 0;
}
