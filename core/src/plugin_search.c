/* Where plugins are looked for (the search path of plugin_loader.h), and
 * the plugin files of each kind found there. */
#include "plugin_files.h"

#include <dirent.h>
#include <limits.h>
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

const struct plugin_kind_names plugin_kinds[] = {
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

void plugin_path(const struct plugin_dirs *d, size_t i, enum plugin_kind kind, const char *name,
                 char *path, size_t len)
{
    snprintf(path, len, "%s/%s%s.so", d->v[i], plugin_kinds[kind].prefix, name);
}

void plugin_each_file(const struct plugin_dirs *d, enum plugin_kind kind,
                      void (*fn)(void *arg, const char *name, const char *path),
                      void *arg)
{
    const char *prefix = plugin_kinds[kind].prefix;
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

void plugin_path_used(const struct plugin_dirs *d, enum plugin_kind kind, const char *name,
                      char *buf, size_t len)
{
    buf[0] = '\0';
    for (size_t i = 0; i < d->n && !buf[0]; i++) {
        plugin_path(d, i, kind, name, buf, len);
        if (access(buf, F_OK) != 0)
            buf[0] = '\0';
    }
}
