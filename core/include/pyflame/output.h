/* pyflame output plugins: writers of one profile format.
 *
 * An output plugin is a shared object named pyflame-output-NAME.so that
 * exports
 *
 *     const pyflame_output_plugin pyflame_output_entry = { .api_version = PYFLAME_API_VERSION, ... };
 *
 * The core calls open() once, then write_sample() for every sample kept (if
 * the plugin has it), then write_profile() once with the samples aggregated
 * by stack (if the plugin has it; the core aggregates only for plugins that
 * do), then close().  Idle samples are never passed when the user asked to
 * exclude them; line numbers are already 0 when the user asked for none.
 *
 * What a call is handed is lent for that call only (the config and its
 * strings to open(), a sample to write_sample(), the profile to
 * write_profile()): copy what you keep.  The host and the config's `out`
 * last until close() returns.
 *
 * Fields marked "API 3" are absent from plugins built for an older API: the
 * core reads them only from a plugin whose api_version is 3 or more.
 *
 * Licensed under the Apache License, Version 2.0. */
#ifndef PYFLAME_OUTPUT_H
#define PYFLAME_OUTPUT_H

#include <stdio.h>

#include <pyflame/pyflame.h>

#ifdef __cplusplus
extern "C" {
#endif

/* pyflame_output_config.flags */
#define PYFLAME_OUT_NO_LINE_NUMBERS 0x1u /* -n: print frames without lines */
/* -x: samples in which no thread ran Python code are left out, so the time
 * between two samples handed in may hide such samples. */
#define PYFLAME_OUT_EXCLUDE_IDLE 0x2u

/* pyflame_output_plugin.features (API 3) */
/* The output is one document (XML, JSON) that anything else written into
 * the same stream breaks, unlike lines of text.  With -t and no -o the
 * traced command shares pyflame's standard output, so the core writes such
 * a format to a file it names, pyflame-PID.EXTENSION, instead. */
#define PYFLAME_OUT_ONE_DOCUMENT 0x1u

typedef struct pyflame_output_config {
    FILE *out;            /* where to write; owned by the core */
    uint32_t flags;       /* PYFLAME_OUT_* */
    double interval_s;    /* requested time between samples */
    int pid;              /* the target; 0 for a profile read back (--input) */
    /* API 4: the target's command line, arguments joined by spaces (-t: the
     * command run; -p: as the process has it; --input: the name of the file
     * read back), for a title; bytes that may
     * not be UTF-8; NULL when unknown.  Read it only when the host's
     * api_version is 4 or more, and copy it: it lives until open() returns. */
    const char *command;
    /* API 4: the plugin's options, what follows the format's name in
     * -f NAME:OPTIONS ("rows=30,sort=total" of -f top:rows=30,sort=total),
     * as the user typed it; NULL when none were given.  A plugin refuses an
     * option it does not know: it tells so with host->error, naming the
     * option, and open() returns NULL.  Read it only when the host's
     * api_version is 4 or more, and copy it: it lives until open() returns. */
    const char *options;
} pyflame_output_config;

/* A distinct stack and how many samples had it. */
typedef struct pyflame_stack_count {
    uint64_t count;
    uint32_t nframes;
    const pyflame_frame *const *frames; /* root first */
} pyflame_stack_count;

/* Everything collected, aggregated by stack. */
typedef struct pyflame_profile {
    uint64_t samples; /* samples taken, idle and failed included */
    /* Samples without Python code running (0 with -x); (API 4) with
     * --thread-names a thread's idle samples are stacks instead, under its
     * label, ending in a frame flagged PYFLAME_FRAME_IDLE. */
    uint64_t idle;
    uint64_t failed;  /* samples that could not be read */
    size_t nstacks;
    const pyflame_stack_count *stacks; /* most frequent first */
    /* API 3: samples without Python code running that -x left out, not
     * counted in `samples` (with --threads, threads, as `idle` counts). */
    uint64_t idle_left_out;
} pyflame_profile;

typedef struct pyflame_output_plugin {
    uint32_t api_version;    /* PYFLAME_API_VERSION */
    const char *name;        /* --format value, e.g. "folded" */
    const char *description; /* one line for --list-plugins */

    /* Returns the plugin's state, or NULL on failure, after telling why
     * when it can (host->error from API 4, e.g. naming an option it
     * refuses; host->warn before). */
    void *(*open)(const pyflame_host *host, const pyflame_output_config *cfg);
    /* Each sample as taken; NULL if the format only needs the aggregate. */
    int (*write_sample)(void *state, const pyflame_sample *sample);
    /* The aggregate at the end; NULL if the format does not need it. */
    int (*write_profile)(void *state, const pyflame_profile *profile);
    /* Flush and free.  Returns PYFLAME_OK or PYFLAME_ERR_IO. */
    int (*close)(void *state);
    /* API 3: PYFLAME_OUT_ONE_DOCUMENT, or 0 for lines of text. */
    uint32_t features;
    /* API 3, may be NULL: the end of the name of a file in this format,
     * without the dot ("svg", "speedscope.json"), for the file the core
     * names itself; NULL for the format's name. */
    const char *file_extension;
    /* API 4, may be NULL: judges the options of -f NAME:OPTIONS (as
     * pyflame_output_config.options has them) before anything starts: no
     * target attached or command run, no -o file emptied.  Returns
     * PYFLAME_OK, or an error status after host->error naming the option
     * it refuses.  pyflame calls it whenever options are given, before
     * open(); without it, open() is the first to see them. */
    int (*check_options)(const pyflame_host *host, const char *options);
} pyflame_output_plugin;

/* The symbol every output plugin exports. */
#define PYFLAME_OUTPUT_SYMBOL "pyflame_output_entry"

/* Declared here, so that a plugin's definition has external C linkage in
 * C and C++ alike (a namespace-scope const would be internal in C++), and
 * is exported from a plugin built with hidden visibility. */
extern __attribute__((visibility("default"))) const pyflame_output_plugin pyflame_output_entry;

#ifdef __cplusplus
}
#endif

#endif
