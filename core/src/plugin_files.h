/* What the plugin loader's files share (plugin_loader.h is what the rest
 * of pyflame sees): the two kinds of plugin, the plugin files of each kind
 * on the search path (plugin_search.c), and the loading of one such file
 * (plugin_loader.c). */
#ifndef PYFLAME_PLUGIN_FILES_H
#define PYFLAME_PLUGIN_FILES_H

#include <stddef.h>

#include "plugin_loader.h"

enum plugin_kind { KIND_ABI, KIND_OUTPUT };

/* Of each kind: its files' names begin with `prefix`, its struct is the
 * symbol `symbol`, and messages call it `label`. */
struct plugin_kind_names {
    const char *prefix, *symbol, *label;
};

extern const struct plugin_kind_names plugin_kinds[];

/* Where plugin `name` of `kind` would be in directory i of d. */
void plugin_path(const struct plugin_dirs *d, size_t i, enum plugin_kind kind, const char *name,
                 char *path, size_t len);

/* Calls fn(name, path) for each plugin file of `kind`, directory order,
 * then by name with numbers in numeric order (27, 36, 310). */
void plugin_each_file(const struct plugin_dirs *d, enum plugin_kind kind,
                      void (*fn)(void *arg, const char *name, const char *path),
                      void *arg);

/* The file that -f or --abi NAME loads: the first one of that name in
 * search order, as plugin_load_abi() and plugin_load_output() find it;
 * "" when there is none. */
void plugin_path_used(const struct plugin_dirs *d, enum plugin_kind kind, const char *name,
                      char *buf, size_t len);

/* Loads the plugin file `path` of `kind`, named `name` by its file, if it
 * passes the checks of plugin_trust.h.  Returns 0, or -1 with a one-line
 * reason in err. */
int plugin_load_file(enum plugin_kind kind, const char *path, const char *name,
                     struct loaded_plugin *out, char *err, size_t errlen);

#endif
