#include "plugin_loader.h"

#include "diag.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef PYFLAME_PLUGIN_DIR
#define PYFLAME_PLUGIN_DIR "/usr/local/lib/pyflame"
#endif
#ifndef PYFLAME_PLUGIN_DIR_FROM_BIN
#define PYFLAME_PLUGIN_DIR_FROM_BIN "../lib/pyflame"
#endif
/* Where the build tree keeps plugins, relative to the pyflame binary. */
#define BUILD_TREE_PLUGINS "plugins"

enum kind { KIND_ABI, KIND_OUTPUT };

static const struct {
    const char *prefix, *symbol, *label;
} kinds[] = {
    [KIND_ABI] = {"pyflame-abi-", PYFLAME_ABI_SYMBOL, "ABI"},
    [KIND_OUTPUT] = {"pyflame-output-", PYFLAME_OUTPUT_SYMBOL, "output"},
};


static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int push(struct plugin_dirs *d, const char *dir)
{
    char **v = realloc(d->v, (d->n + 1) * sizeof *v);
    if (!v)
        return -1;
    d->v = v;
    if (!(d->v[d->n] = strdup(dir)))
        return -1;
    d->n++;
    return 0;
}

int plugin_dirs_init(struct plugin_dirs *d)
{
    *d = (struct plugin_dirs){0};
    const char *env = getenv("PYFLAME_PLUGIN_PATH");
    if (env) {
        char *copy = strdup(env), *save = NULL;
        if (!copy)
            return -1;
        for (char *tok = strtok_r(copy, ":", &save); tok; tok = strtok_r(NULL, ":", &save))
            if (*tok && push(d, tok) != 0) {
                free(copy);
                return -1;
            }
        free(copy);
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            char dir[PATH_MAX + sizeof PYFLAME_PLUGIN_DIR_FROM_BIN + 1];
            snprintf(dir, sizeof dir, "%s/%s", exe, BUILD_TREE_PLUGINS);
            if (is_dir(dir))
                return push(d, dir);
            snprintf(dir, sizeof dir, "%s/%s", exe, PYFLAME_PLUGIN_DIR_FROM_BIN);
            char real[PATH_MAX];
            if (is_dir(dir) && realpath(dir, real))
                return push(d, real);
        }
    }
    return push(d, PYFLAME_PLUGIN_DIR);
}

void plugin_dirs_free(struct plugin_dirs *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->v[i]);
    free(d->v);
    *d = (struct plugin_dirs){0};
}

/* A plugin is selected by the name in its file name, and listed and
 * known by the name in its struct: they must be one.  An ABI plugin's
 * name also says the CPython version it reads (311: 3.11).  Returns why
 * not, into why[len], or NULL. */
static const char *misnamed(enum kind kind, const void *sym, const char *file_name, char *why,
                            size_t len)
{
    const char *name = kind == KIND_ABI ? ((const pyflame_abi_plugin *)sym)->name
                                        : ((const pyflame_output_plugin *)sym)->name;
    if (strcmp(name, file_name) != 0) {
        snprintf(why, len, "it calls itself '%.64s' but its file is named for '%.64s' "
                 "(rename the file %s%.64s.so, or fix the plugin's name)",
                 name, file_name, kinds[kind].prefix, name);
        return why;
    }
    if (kind == KIND_ABI) {
        const pyflame_abi_plugin *p = sym;
        char version[32];
        snprintf(version, sizeof version, "%d%d", p->py_major, p->py_minor);
        if (strcmp(version, name) != 0) {
            snprintf(why, len, "it is named '%.64s' but reads CPython %d.%d",
                     name, p->py_major, p->py_minor);
            return why;
        }
    }
    return NULL;
}

/* Checks what the plugin struct holds beyond its version. */
static const char *incomplete(enum kind kind, const void *sym)
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

/* pyflame runs as root against other users' processes: it must not load
 * code that someone else could have replaced, nor check one file and load
 * another.  So a plugin is opened once, by descriptor, from / down:
 *
 * - every directory on the way belongs to root or to us, and is writable
 *   by its owner alone, or is sticky (as /tmp: others cannot rename what
 *   it holds);
 * - a symbolic link on the way belongs to root or to us (whoever owns it
 *   chooses where it points); it is read by descriptor and its target is
 *   walked again from /, checked the same way;
 * - the directory that holds the plugin is writable by its owner alone,
 *   sticky or not;
 * - the plugin is a regular file of root or of us, writable by its owner
 *   alone, opened without following links or blocking;
 *
 * and the descriptor so checked is what dlopen() loads (/proc/self/fd/N).
 * Each step opens a name relative to the directory checked before it, so
 * nothing can be swapped between the check and the load. */

#define MAX_LINKS 40 /* as the kernel's ELOOP */

static bool trusted_owner(uid_t uid)
{
    return uid == 0 || uid == geteuid();
}

static const char *file_type(mode_t mode)
{
    return S_ISFIFO(mode) ? "a FIFO" : S_ISSOCK(mode) ? "a socket"
         : S_ISCHR(mode) ? "a character device" : S_ISBLK(mode) ? "a block device"
         : S_ISDIR(mode) ? "a directory" : "of another type";
}

/* Checks the directory or file `st` at `where` for plugin `path`.  `held`:
 * the plugin itself or the directory holding it, which nobody else may
 * write to even with the sticky bit. */
static int check_node(const struct stat *st, const char *where, bool held, const char *path,
                      char *err, size_t errlen)
{
    if (!trusted_owner(st->st_uid))
        return reason(err, errlen,
                      "refusing plugin %s: %s belongs to uid %u, neither root nor you, who "
                      "could replace what it holds; install plugins in a directory you own",
                      path, where, (unsigned)st->st_uid);
    bool others_write = (st->st_mode & (S_IWGRP | S_IWOTH)) != 0;
    if (others_write && (held || !(st->st_mode & S_ISVTX)))
        return reason(err, errlen,
                      "refusing plugin %s: %s is writable by others than its owner "
                      "(mode %04o), who could replace the plugin; chmod go-w %s",
                      path, where, (unsigned)(st->st_mode & 07777), where);
    return 0;
}

static int join(char *buf, size_t len, const char *a, const char *b, const char *c)
{
    int n = snprintf(buf, len, "%s%s%s", a, b, c);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* Opens plugin `path` for reading as described above: returns the file's
 * descriptor, or -1 with a reason in err and *absent set when the reason
 * is that a file or directory on the way does not exist. */
static int open_trusted(const char *path, bool *absent, char *err, size_t errlen)
{
    char todo[2 * PATH_MAX]; /* what is left to walk, from / */
    char done[PATH_MAX];     /* what has been walked and checked, links resolved */
    char here[PATH_MAX];     /* done and the name being looked at */
    *absent = false;
    if (path[0] == '/') {
        if (join(todo, sizeof todo, path, "", "") != 0)
            return reason(err, errlen, "plugin path %s is too long", path);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd))
            return reason(err, errlen, "cannot resolve plugin path %s: %s", path,
                          strerror(errno));
        if (join(todo, sizeof todo, cwd, "/", path) != 0)
            return reason(err, errlen, "plugin path %s is too long", path);
    }
    int links = 0;
restart:
    strcpy(done, "/");
    int dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    struct stat st;
    if (dir < 0 || fstat(dir, &st) != 0) {
        int e = errno;
        if (dir >= 0)
            close(dir);
        return reason(err, errlen, "cannot check /: %s", strerror(e));
    }
    if (check_node(&st, "/", false, path, err, errlen) != 0)
        goto fail;
    for (const char *rest = todo;;) {
        rest += strspn(rest, "/");
        size_t len = strcspn(rest, "/");
        if (len == 0) {
            reason(err, errlen, "cannot load plugin %s: %s is a directory", path, done);
            goto fail;
        }
        char name[NAME_MAX + 1];
        if (len > NAME_MAX) {
            reason(err, errlen, "cannot load plugin %s: %s", path, strerror(ENAMETOOLONG));
            goto fail;
        }
        memcpy(name, rest, len);
        name[len] = '\0';
        rest += len;
        bool last = rest[strspn(rest, "/")] == '\0';
        if (strcmp(name, ".") == 0 && !last)
            continue;
        if (strcmp(name, "..") == 0) { /* the parent of what was checked: walk it again */
            char next[sizeof todo];
            const char *slash = strrchr(done, '/');
            if (snprintf(next, sizeof next, "%.*s/%s", (int)(slash - done), done, rest) >=
                (int)sizeof next) {
                reason(err, errlen, "plugin path %s is too long", path);
                goto fail;
            }
            memcpy(todo, next, sizeof todo);
            close(dir);
            goto restart;
        }
        if (join(here, sizeof here, done, strcmp(done, "/") ? "/" : "", name) != 0) {
            reason(err, errlen, "plugin path %s is too long", path);
            goto fail;
        }
        int fd = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) != 0) {
            int e = errno;
            if (fd >= 0)
                close(fd);
            *absent = e == ENOENT || e == ENOTDIR;
            reason(err, errlen, "cannot open plugin %s: %s: %s", path, here, strerror(e));
            goto fail;
        }
        if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX], next[sizeof todo];
            ssize_t n = -1;
            if (!trusted_owner(st.st_uid))
                reason(err, errlen,
                       "refusing plugin %s: the symbolic link %s belongs to uid %u, neither "
                       "root nor you, who could point it elsewhere; name the directory it "
                       "points to instead", path, here, (unsigned)st.st_uid);
            else if (++links > MAX_LINKS)
                reason(err, errlen, "cannot open plugin %s: %s", path, strerror(ELOOP));
            else if ((n = readlinkat(fd, "", target, sizeof target)) < 0 ||
                     (size_t)n >= sizeof target)
                reason(err, errlen, "cannot read the link %s: %s", here,
                       n < 0 ? strerror(errno) : "too long");
            close(fd);
            if (n < 0 || (size_t)n >= sizeof target)
                goto fail;
            target[n] = '\0';
            /* A relative link is relative to the directory that holds it. */
            int m = target[0] == '/'
                ? snprintf(next, sizeof next, "%s/%s", target, rest)
                : snprintf(next, sizeof next, "%s/%s/%s", done, target, rest);
            if (m < 0 || (size_t)m >= sizeof next) {
                reason(err, errlen, "plugin path %s is too long", path);
                goto fail;
            }
            memcpy(todo, next, sizeof todo);
            close(dir);
            goto restart;
        }
        if (S_ISDIR(st.st_mode) && !last) {
            close(dir);
            dir = fd;
            if (check_node(&st, here, false, path, err, errlen) != 0)
                goto fail;
            memcpy(done, here, sizeof done);
            continue;
        }
        close(fd);
        if (!last) {
            reason(err, errlen, "cannot open plugin %s: %s: %s", path, here, strerror(ENOTDIR));
            *absent = true;
            goto fail;
        }
        /* The plugin: never opened unless it is a regular file, so that a
         * FIFO or a device in its place cannot block or act. */
        if (!S_ISREG(st.st_mode)) {
            reason(err, errlen, "refusing plugin %s: %s is %s, not a regular file", path, here,
                   file_type(st.st_mode));
            goto fail;
        }
        struct stat dst, fst;
        if (fstat(dir, &dst) != 0) {
            reason(err, errlen, "cannot check %s: %s", done, strerror(errno));
            goto fail;
        }
        if (check_node(&dst, done, true, path, err, errlen) != 0 ||
            check_node(&st, here, true, path, err, errlen) != 0)
            goto fail;
        int file = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (file < 0 || fstat(file, &fst) != 0) {
            int e = errno;
            if (file >= 0)
                close(file);
            reason(err, errlen, "cannot open plugin %s: %s", path, strerror(e));
            goto fail;
        }
        close(dir);
        if (fst.st_dev != st.st_dev || fst.st_ino != st.st_ino) { /* cannot happen: dir is ours */
            close(file);
            return reason(err, errlen, "refusing plugin %s: %s changed while it was checked",
                          path, here);
        }
        return file;
    }
fail:
    close(dir);
    return -1;
}

/* dlopen()s the file open on fd.  glibc knows a loaded object by the name
 * it was opened by and hands that object back for the same name, so each
 * load gets a descriptor number no earlier load used: /proc/self/fd/N of
 * a plugin closed before must not stand for another. */
static void *dlopen_fd(int fd, char *name, size_t len)
{
    static int lowest = 3;
    int fresh = fcntl(fd, F_DUPFD_CLOEXEC, lowest);
    if (fresh < 0)
        return NULL;
    lowest = fresh + 1;
    snprintf(name, len, "/proc/self/fd/%d", fresh);
    void *h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    close(fresh);
    return h;
}

/* Loads the plugin `path`, named `name` by its file, that open_trusted()
 * opened on fd; closes fd. */
static int load_fd(enum kind kind, const char *path, const char *name_of_file, int fd,
                   struct loaded_plugin *out, char *err, size_t errlen)
{
    char name[64] = "";
    errno = 0;
    void *h = dlopen_fd(fd, name, sizeof name);
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
    const uint32_t *sym = dlsym(h, kinds[kind].symbol);
    if (!sym) {
        dlclose(h);
        return reason(err, errlen, "%s is not a pyflame %s plugin: it has no '%s' symbol",
                     path, kinds[kind].label, kinds[kind].symbol);
    }
    if (*sym > PYFLAME_API_VERSION) {
        uint32_t v = *sym;
        dlclose(h);
        return reason(err, errlen,
                     "plugin %s was built for plugin API %u, newer than this pyflame's (%d): "
                     "upgrade pyflame, or use a build of the plugin for API %d",
                     path, v, PYFLAME_API_VERSION, PYFLAME_API_VERSION);
    }
    if (*sym < PYFLAME_API_OLDEST) {
        uint32_t v = *sym;
        dlclose(h);
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
        dlclose(h);
        return reason(err, errlen, "plugin %s is broken: %s", path, why);
    }
    *out = (struct loaded_plugin){.handle = h, .path = strdup(path), .api_version = *sym};
    if (kind == KIND_ABI)
        out->u.abi = (const pyflame_abi_plugin *)sym;
    else
        out->u.output = (const pyflame_output_plugin *)sym;
    return 0;
}

static int load_file(enum kind kind, const char *path, const char *name,
                     struct loaded_plugin *out, char *err, size_t errlen)
{
    bool absent;
    int fd = open_trusted(path, &absent, err, errlen);
    return fd < 0 ? -1 : load_fd(kind, path, name, fd, out, err, errlen);
}

static void each_file(const struct plugin_dirs *d, enum kind kind,
                      void (*fn)(void *arg, const char *name, const char *path),
                      void *arg);

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

/* Where plugin `name` of `kind` would be in directory i of d. */
static void plugin_path(const struct plugin_dirs *d, size_t i, enum kind kind, const char *name,
                        char *path, size_t len)
{
    snprintf(path, len, "%s/%s%s.so", d->v[i], kinds[kind].prefix, name);
}

/* The first directory holding a file for plugin `name` wins, whatever it
 * holds: load() loads or refuses that file, path_used() names it. */
static int load(const struct plugin_dirs *d, enum kind kind, const char *name,
                struct loaded_plugin *out, char *err, size_t errlen)
{
    for (size_t i = 0; i < d->n; i++) {
        char path[PATH_MAX];
        plugin_path(d, i, kind, name, path, sizeof path);
        bool absent;
        int fd = open_trusted(path, &absent, err, errlen);
        if (fd >= 0)
            return load_fd(kind, path, name, fd, out, err, errlen);
        if (!absent && access(path, F_OK) == 0)
            return -1; /* there, and refused */
        /* Not here (an untrusted directory without it is no matter). */
    }
    if (kind == KIND_OUTPUT) { /* -f: name the formats there are */
        struct name_list nl = {.len = 0};
        each_file(d, kind, add_name, &nl);
        return reason(err, errlen, "no output plugin '%s' found: -f takes one of %s "
                      "(see pyflame --list-plugins)", name, nl.len ? nl.text : "(none found)");
    }
    return reason(err, errlen, "no %s plugin '%s' found (see pyflame --list-plugins)",
                 kinds[kind].label, name);
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
        dlclose(p->handle);
    free(p->path);
    *p = (struct loaded_plugin){0};
}

uint32_t plugin_abi_features(const struct loaded_plugin *p)
{
    return p->api_version >= 2 ? p->u.abi->features : 0;
}

/* Calls fn(name, path) for each plugin file of `kind`, directory order,
 * then by name with numbers in numeric order (27, 36, 310). */
static void each_file(const struct plugin_dirs *d, enum kind kind,
                      void (*fn)(void *arg, const char *name, const char *path),
                      void *arg)
{
    const char *prefix = kinds[kind].prefix;
    size_t plen = strlen(prefix);
    for (size_t i = 0; i < d->n; i++) {
        struct dirent **list;
        int n = scandir(d->v[i], &list, NULL, versionsort);
        for (int k = 0; k < n; k++) {
            const char *f = list[k]->d_name;
            size_t len = strlen(f);
            if (len > plen + 3 && strncmp(f, prefix, plen) == 0 &&
                strcmp(f + len - 3, ".so") == 0) {
                char name[NAME_MAX + 1], path[PATH_MAX];
                snprintf(name, sizeof name, "%.*s", (int)(len - plen - 3), f + plen);
                snprintf(path, sizeof path, "%s/%s", d->v[i], f);
                fn(arg, name, path);
            }
            free(list[k]);
        }
        if (n >= 0)
            free(list);
    }
}

struct version_list {
    char names[64][16];
    size_t n;
};

/* "3.12" of ABI name "312" (two or three digits) into v[16]. */
static void abi_version(const char *abi, char v[16])
{
    snprintf(v, 16, "%c.%.2s", abi[0], abi + 1);
}

static void collect_version(void *arg, const char *name, const char *path)
{
    (void)path;
    struct version_list *vl = arg;
    size_t len = strlen(name);
    if (len < 2 || len > 3 || strspn(name, "0123456789") != len || vl->n == 64)
        return;
    char v[16];
    abi_version(name, v);
    for (size_t i = 0; i < vl->n; i++)
        if (strcmp(vl->names[i], v) == 0)
            return;
    memcpy(vl->names[vl->n++], v, sizeof v);
}

static int by_version(const void *a, const void *b)
{
    int ma, na, mb, nb;
    sscanf(a, "%d.%d", &ma, &na);
    sscanf(b, "%d.%d", &mb, &nb);
    return ma != mb ? ma - mb : na - nb;
}

#ifndef PYFLAME_ABI_PACKAGE
#define PYFLAME_ABI_PACKAGE ""
#endif
#ifndef PYFLAME_BUILT_ABIS
#define PYFLAME_BUILT_ABIS ""
#endif

void plugin_package_hint(const char *abi, char *buf, size_t len)
{
    char padded[16], version[16];
    snprintf(padded, sizeof padded, " %.8s ", abi);
    buf[0] = '\0';
    if (!*PYFLAME_ABI_PACKAGE || strlen(abi) < 2 || !strstr(" " PYFLAME_BUILT_ABIS " ", padded))
        return;
    abi_version(abi, version); /* one of PYFLAME_BUILT_ABIS: two or three digits */
    size_t at = 0;
    for (const char *t = PYFLAME_ABI_PACKAGE; *t && at + 1 < len;) {
        const char *fill = strncmp(t, "{abi}", 5) == 0       ? abi
                           : strncmp(t, "{version}", 9) == 0 ? version
                                                             : NULL;
        if (fill) {
            at += (size_t)snprintf(buf + at, len - at, "%s", fill);
            t += fill == abi ? 5 : 9;
        } else {
            buf[at++] = *t++;
        }
        if (at >= len)
            at = len - 1;
    }
    buf[at] = '\0';
}

void plugin_supported_versions(const struct plugin_dirs *d, char *buf, size_t len)
{
    struct version_list vl = {.n = 0};
    each_file(d, KIND_ABI, collect_version, &vl);
    qsort(vl.names, vl.n, sizeof vl.names[0], by_version);
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < vl.n && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "", vl.names[i]);
    if (vl.n == 0)
        snprintf(buf, len, "none (no ABI plugin found)");
}

struct list_state {
    const struct plugin_dirs *dirs;
    FILE *out;
    enum kind kind;
    int failures;
    int path_width; /* the longest path: the descriptions line up after it */
};

static void widest_path(void *arg, const char *name, const char *path)
{
    (void)name;
    struct list_state *ls = arg;
    int len = (int)strlen(path);
    if (len > ls->path_width)
        ls->path_width = len;
}

/* The file that -f or --abi NAME loads: the first one of that name in
 * search order, as load() finds it. */
static void path_used(const struct plugin_dirs *d, enum kind kind, const char *name, char *buf,
                      size_t len)
{
    buf[0] = '\0';
    for (size_t i = 0; i < d->n && !buf[0]; i++) {
        plugin_path(d, i, kind, name, buf, len);
        if (access(buf, F_OK) != 0)
            buf[0] = '\0';
    }
}

static void list_one(void *arg, const char *name, const char *path)
{
    struct list_state *ls = arg;
    struct loaded_plugin p;
    char err[512], used[PATH_MAX];
    path_used(ls->dirs, ls->kind, name, used, sizeof used);
    if (used[0] && strcmp(used, path) != 0) {
        fprintf(ls->out, "%-7s %-11s %-6s %-*s  (not used: %s comes first)\n",
                kinds[ls->kind].label, name, "-", ls->path_width, path, used);
        return;
    }
    if (load_file(ls->kind, path, name, &p, err, sizeof err) != 0) {
        fprintf(ls->out, "%-7s %-11s %-6s %-*s  (cannot be loaded) %s\n",
                kinds[ls->kind].label, name, "-", ls->path_width, path, err);
        ls->failures++;
        return;
    }
    const char *desc = ls->kind == KIND_ABI ? p.u.abi->description : p.u.output->description;
    const char *pname = ls->kind == KIND_ABI ? p.u.abi->name : p.u.output->name;
    /* The description last: its length varies most. */
    fprintf(ls->out, "%-7s %-11s API %-2u %-*s  %s\n", kinds[ls->kind].label, pname,
            p.api_version, ls->path_width, path, desc ? desc : "");
    plugin_unload(&p);
}

int plugin_list(const struct plugin_dirs *d, FILE *out)
{
    fprintf(out, "Plugin directories, searched in this order:\n");
    for (size_t i = 0; i < d->n; i++)
        fprintf(out, "  %s\n", d->v[i]);
    struct list_state ls = {d, out, KIND_ABI, 0, (int)strlen("PATH")};
    each_file(d, KIND_ABI, widest_path, &ls);
    each_file(d, KIND_OUTPUT, widest_path, &ls);
    fprintf(out, "\n%-7s %-11s %-6s %-*s  %s\n", "KIND", "NAME", "API", ls.path_width, "PATH",
            "DESCRIPTION");
    each_file(d, KIND_ABI, list_one, &ls);
    ls.kind = KIND_OUTPUT;
    each_file(d, KIND_OUTPUT, list_one, &ls);
    return ls.failures;
}
