/* --list-plugins: the search path, then every plugin file found, loaded
 * to tell its API and description, or why it cannot be used. */
#include "plugin_loader.h"

#include "plugin_files.h"

#include <limits.h>
#include <string.h>

struct list_state {
    const struct plugin_dirs *dirs;
    FILE *out;
    enum plugin_kind kind;
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

static void list_one(void *arg, const char *name, const char *path)
{
    struct list_state *ls = arg;
    struct loaded_plugin p;
    char err[512], used[PATH_MAX];
    plugin_path_used(ls->dirs, ls->kind, name, used, sizeof used);
    if (used[0] && strcmp(used, path) != 0) {
        fprintf(ls->out, "%-7s %-11s %-6s %-*s  (not used: %s comes first)\n",
                plugin_kinds[ls->kind].label, name, "-", ls->path_width, path, used);
        return;
    }
    if (plugin_load_file(ls->kind, path, name, &p, err, sizeof err) != 0) {
        fprintf(ls->out, "%-7s %-11s %-6s %-*s  (cannot be loaded) %s\n",
                plugin_kinds[ls->kind].label, name, "-", ls->path_width, path, err);
        ls->failures++;
        return;
    }
    const char *desc = ls->kind == KIND_ABI ? p.u.abi->description : p.u.output->description;
    const char *pname = ls->kind == KIND_ABI ? p.u.abi->name : p.u.output->name;
    /* The description last: its length varies most. */
    fprintf(ls->out, "%-7s %-11s API %-2u %-*s  %s\n", plugin_kinds[ls->kind].label, pname,
            p.api_version, ls->path_width, path, desc ? desc : "");
    plugin_unload(&p);
}

int plugin_list(const struct plugin_dirs *d, FILE *out)
{
    fprintf(out, "Plugin directories, searched in this order:\n");
    for (size_t i = 0; i < d->n; i++)
        fprintf(out, "  %s\n", d->v[i]);
    struct list_state ls = {d, out, KIND_ABI, 0, (int)strlen("PATH")};
    plugin_each_file(d, KIND_ABI, widest_path, &ls);
    plugin_each_file(d, KIND_OUTPUT, widest_path, &ls);
    fprintf(out, "\n%-7s %-11s %-6s %-*s  %s\n", "KIND", "NAME", "API", ls.path_width, "PATH",
            "DESCRIPTION");
    plugin_each_file(d, KIND_ABI, list_one, &ls);
    ls.kind = KIND_OUTPUT;
    plugin_each_file(d, KIND_OUTPUT, list_one, &ls);
    return ls.failures;
}
