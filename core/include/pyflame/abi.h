/* pyflame ABI plugins: readers of one CPython version's stacks.
 *
 * An ABI plugin is a shared object named pyflame-abi-NAME.so that exports
 *
 *     const pyflame_abi_plugin pyflame_abi_entry = { .api_version = PYFLAME_API_VERSION, ... };
 *
 * The core picks the plugin whose py_major/py_minor match the target (or the
 * one named with --abi), calls open() until it stops answering
 * PYFLAME_ERR_NOT_READY, then sample() once per tick, and close() at the end.
 * Every read of the target goes through host->read_memory and must be
 * treated as hostile: bounded lengths, bounded depth, cycles detected.
 *
 * Licensed under the Apache License, Version 2.0. */
#ifndef PYFLAME_ABI_H
#define PYFLAME_ABI_H

#include <pyflame/pyflame.h>

#ifdef __cplusplus
extern "C" {
#endif

/* sample() flags */
#define PYFLAME_SAMPLE_ALL_THREADS 0x1u /* every thread, not only the GIL holder */
/* Fill pyflame_thread.name too.  Costs extra reads now and then (names
 * are cached); plugins that cannot tell names leave them NULL. */
#define PYFLAME_SAMPLE_THREAD_NAMES 0x2u
/* API 2: the target is running while it is read (--nonblocking).  Given
 * only to plugins that set PYFLAME_ABI_DETECTS_TORN. */
#define PYFLAME_SAMPLE_NONBLOCKING 0x4u
/* API 2: only which thread holds the GIL, read from the running target as
 * it is now, never from what an earlier sample read (the core asks before
 * it stops that thread alone, and again after reading a sample of every
 * thread): one thread with its ids and flags and no frames, status
 * PYFLAME_OK, or PYFLAME_IDLE when no thread holds it or when some
 * interpreter has a GIL of its own (3.12+), so that stopping one thread
 * cannot keep every other one from running Python code.  A plugin that
 * also sets PYFLAME_ABI_PROBE_TELLS_FREE_GIL answers the latter with
 * PYFLAME_ERR_UNSUPPORTED instead.  Given only to plugins that set
 * PYFLAME_ABI_PROBES_GIL_HOLDER. */
#define PYFLAME_SAMPLE_GIL_HOLDER_ONLY 0x8u

/* pyflame_abi_plugin.features */
/* With PYFLAME_SAMPLE_NONBLOCKING, sample() checks that the target did not
 * change what it read while it read it, and returns PYFLAME_ERR_TORN if it
 * did: a stack is never made of frames that did not coexist. */
#define PYFLAME_ABI_DETECTS_TORN 0x1u
/* sample() knows PYFLAME_SAMPLE_GIL_HOLDER_ONLY, and such a sample leaves
 * everything that the previous full sample's *out points to as it was (and
 * the plugin's caches too, so that the next full sample costs what it
 * would have). */
#define PYFLAME_ABI_PROBES_GIL_HOLDER 0x2u
/* With PYFLAME_ABI_PROBES_GIL_HOLDER: a probe's PYFLAME_IDLE means that no
 * thread held the GIL, and more than one GIL is PYFLAME_ERR_UNSUPPORTED;
 * the core may then take PYFLAME_IDLE as an idle sample, with no thread
 * stopped. */
#define PYFLAME_ABI_PROBE_TELLS_FREE_GIL 0x4u

typedef struct pyflame_abi_plugin {
    uint32_t api_version;    /* PYFLAME_API_VERSION */
    const char *name;        /* --abi value, e.g. "311" */
    const char *description; /* e.g. "CPython 3.11" */
    int py_major, py_minor;  /* the CPython release it reads */

    /* Find the interpreter in the target.  Returns the plugin's state, or
     * NULL with *status set (PYFLAME_ERR_NOT_READY: try again later) and a
     * one-line reason in err[errlen]. */
    void *(*open)(const pyflame_host *host, int *status, char *err,
                  size_t errlen);

    /* Take one sample into *out.  Returns PYFLAME_OK, PYFLAME_IDLE,
     * PYFLAME_ERR_READ or (API 2) PYFLAME_ERR_TORN, or for a probe of
     * PYFLAME_SAMPLE_GIL_HOLDER_ONLY PYFLAME_ERR_UNSUPPORTED (see
     * PYFLAME_ABI_PROBE_TELLS_FREE_GIL), also stored in out->status.
     * Everything *out points to stays valid until the next sample() or
     * close() on this state. */
    int (*sample)(void *state, uint32_t flags, pyflame_sample *out);

    void (*close)(void *state);

    /* API 2.  PYFLAME_ABI_* bits.  Read only from plugins whose api_version
     * is 2 or more: older ones have no such field. */
    uint32_t features;

    /* API 5.  PYFLAME_PY_* bits: which build of the release it reads.
     * Read only from plugins whose api_version is 5 or more: older ones
     * read the default build. */
    uint32_t py_build;
} pyflame_abi_plugin;

/* pyflame_abi_plugin.py_build */
/* A free-threaded build (--disable-gil, 3.13+): the plugin's name ends in
 * "t", as "313t", and pyflame picks it for targets whose runtime says it
 * was built so. */
#define PYFLAME_PY_FREE_THREADED 0x1u

/* The symbol every ABI plugin exports. */
#define PYFLAME_ABI_SYMBOL "pyflame_abi_entry"

/* Declared here, so that a plugin's definition has external C linkage in
 * C and C++ alike, and is exported from a plugin built with hidden
 * visibility (as pyflame_output_entry). */
extern __attribute__((visibility("default"))) const pyflame_abi_plugin pyflame_abi_entry;

#ifdef __cplusplus
}
#endif

#endif
