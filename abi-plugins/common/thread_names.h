/* Python thread names (threading.Thread.name), looked up by thread ident.
 *
 * The names live in threading._active, a dict from ident to Thread object
 * in each interpreter's sys.modules["threading"].  Reading it takes a few
 * hundred reads, so the names are cached and the dict is read again only
 * when a thread appears that the cache does not know, now and then for a
 * thread without a name (threading registers a new thread a moment after
 * it starts), and periodically to pick up renamed threads. */
#ifndef PYFLAME_ABI_THREAD_NAMES_H
#define PYFLAME_ABI_THREAD_NAMES_H

#include <stdint.h>

#include "pyobject.h"

/* Longest name kept, in bytes of UTF-8; longer ones are cut at a
 * character boundary. */
#define THREAD_NAME_MAX_BYTES 200

struct thread_names;

struct thread_names *pyflame_thread_names_new(const struct py_objects *objects);
void pyflame_thread_names_free(struct thread_names *names);

/* Starts a sample: names handed out before may be freed now. */
void pyflame_thread_names_begin_sample(struct thread_names *names);

/* The name of the thread `ident` of interpreter `interp`, NULL if it has
 * none (not started by threading, or threading not imported).  Valid until
 * the next pyflame_thread_names_begin_sample(). */
const char *pyflame_thread_names_get(struct thread_names *names, uint64_t interp, uint64_t ident);

#endif
