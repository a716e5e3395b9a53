/* Finding and loading plugins.
 *
 * Plugins are files named pyflame-abi-NAME.so and pyflame-output-NAME.so,
 * looked up in each directory of $PYFLAME_PLUGIN_PATH, then in plugins/
 * next to the pyflame binary when it runs from its build tree, else in the
 * installed plugin directory (found relative to the binary, then at the
 * configured path).  The first file found for a name wins.
 *
 * plugin_search.c keeps the search path and finds the files on it,
 * plugin_trust.c opens one safely, plugin_loader.c loads and checks it,
 * plugin_versions.c tells the CPython versions there are plugins for, and
 * plugin_list.c is --list-plugins; plugin_files.h is what they share. */
#ifndef PYFLAME_PLUGIN_LOADER_H
#define PYFLAME_PLUGIN_LOADER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <pyflame/abi.h>
#include <pyflame/output.h>

struct plugin_dirs {
    char **v;
    size_t n;
};

int plugin_dirs_init(struct plugin_dirs *dirs);
void plugin_dirs_free(struct plugin_dirs *dirs);

struct loaded_plugin {
    void *handle;
    int fd;     /* the descriptor whose /proc/self/fd name it was loaded by */
    char *path;
    uint32_t api_version; /* the plugin's: fields of later APIs are absent */
    union {
        const pyflame_abi_plugin *abi;
        const pyflame_output_plugin *output;
    } u;
};

/* Loads the ABI plugin called `name` (e.g. "311").  Returns 0, or -1 with
 * a one-line reason in err. */
int plugin_load_abi(const struct plugin_dirs *dirs, const char *name,
                    struct loaded_plugin *out, char *err, size_t errlen);
int plugin_load_output(const struct plugin_dirs *dirs, const char *name,
                       struct loaded_plugin *out, char *err, size_t errlen);
void plugin_unload(struct loaded_plugin *p);

/* The PYFLAME_ABI_* features of a loaded ABI plugin: 0 before API 2. */
uint32_t plugin_abi_features(const struct loaded_plugin *p);

/* What to install for the ABI plugin `abi` ("312") when it is missing, by
 * the packages this pyflame was built for (PYFLAME_ABI_PACKAGE, with
 * {abi} and {version} filled in: "pyflame-abi-312", "3.12"), into
 * buf[len]; "" when the build names no package or has no such plugin. */
void plugin_package_hint(const char *abi, char *buf, size_t len);

/* The CPython versions the ABI plugins found can read, e.g. "3.11, 3.12". */
void plugin_supported_versions(const struct plugin_dirs *dirs, char *buf,
                               size_t len);

/* Prints every plugin found, one per line.  Returns the number of plugins
 * that failed to load. */
int plugin_list(const struct plugin_dirs *dirs, FILE *out);

#endif
