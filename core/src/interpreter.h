/* The target's Python: its runtime found (python_runtime.c), the ABI
 * plugin for its version loaded and opened on it (sampler.c), all
 * forgotten when the target calls exec.  With -t the runtime may come
 * later than the program: it is searched for as the program maps code. */
#ifndef PYFLAME_INTERPRETER_H
#define PYFLAME_INTERPRETER_H

#include <stdbool.h>
#include <stdint.h>

#include "options.h"
#include "plugin_loader.h"
#include "python_runtime.h"

struct tracee;
struct target_memory;
struct sampler;

struct interpreter {
    const struct options *opt;
    const struct plugin_dirs *dirs;
    const struct tracee *tracee;
    struct target_memory *mem;
    struct sampler *sampler; /* where the ABI plugin is opened */
    struct loaded_plugin abi;
    struct python_runtime rt;
    bool found;      /* the runtime is found and its plugin loaded */
    bool ever_found; /* -t: the program ran Python at some point */
    bool opened;     /* the ABI plugin found the interpreter at least once */
    /* -t while no interpreter is found (interpreter_search) */
    bool searched;      /* code_maps holds the code searched last */
    uint64_t code_maps; /* maps_code_signature of that search */
    uint64_t search_gap_ns, search_next_ns; /* the back-off */
    char last_error[512]; /* why the ABI plugin could not open, last */
};

/* Finds the runtime and loads its plugin.  Returns 1 when found, 0 when
 * the target has no Python runtime (yet; told only unless
 * quiet_if_absent), -1 on a fatal error (told). */
int interpreter_find(struct interpreter *in, bool quiet_if_absent);

/* -t, while no interpreter is found: interpreter_find when the program's
 * code has changed since it last looked, and the back-off allows.
 * Returns as interpreter_find. */
int interpreter_search(struct interpreter *in);

/* Opens the ABI plugin on the target.  1: ready, 0: not yet, -1: fatal
 * (told). */
int interpreter_open(struct interpreter *in);

/* Forgets the runtime and its plugin, and the search's back-off: the
 * target called exec. */
void interpreter_forget(struct interpreter *in);

void interpreter_free(struct interpreter *in);

#endif
