/* The profile's output: the output plugin, loaded and started on its
 * file (output_file.c), handed each sample kept and, for plugins that
 * write totals, the samples aggregated by stack at the end.  A failure of
 * the output is told once, by the plugin or by us. */
#ifndef PYFLAME_PROFILE_OUTPUT_H
#define PYFLAME_PROFILE_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <pyflame/output.h>

#include "options.h"
#include "output_file.h"
#include "plugin_loader.h"

struct profile_output {
    const struct options *opt;
    struct loaded_plugin plugin;
    void *state;           /* the plugin's, from start to finish */
    pyflame_host host;     /* lent to the plugin; ctx is this output */
    struct aggregate *agg; /* for a plugin that writes totals */
    struct output_file file;
    /* The output failed: its error was told (by the plugin, through
     * host.error, or by profile_output_failed), and no other will be. */
    bool failed;
};

void profile_output_init(struct profile_output *o, const struct options *opt);

/* Loads the output plugin, has it judge its options, and opens the file
 * (output_file_open, output_file_defer).  Returns 0, or -1 with the error
 * told. */
int profile_output_load(struct profile_output *o, const struct plugin_dirs *dirs);

/* Empties -o FILE (or creates the file we name) and starts the plugin:
 * process `pid` is ours (0 for a profile read back, --input).  Returns 0,
 * or -1 with the error told. */
int profile_output_start(struct profile_output *o, pid_t pid);

/* Hands a sample kept to the plugin (and the aggregate), as `count`
 * samples alike: more than 1 only for a plugin that writes totals alone
 * (profile_output_writes_samples false), from a profile read back.
 * Returns 0, or -1 when the output failed. */
int profile_output_record(struct profile_output *o, const pyflame_sample *smp, uint64_t count);

/* The plugin writes each sample, with its time (not only totals). */
bool profile_output_writes_samples(const struct profile_output *o);

/* Writes what was aggregated (with `idle_left_out`, -x) and closes the
 * plugin and the file.  Returns 0, or -1 with the error told, the file
 * taken back. */
int profile_output_finish(struct profile_output *o, uint64_t idle_left_out);

/* The output failed (errno tells why, if anything does): says so once,
 * naming the stream, unless the plugin has told its own cause. */
void profile_output_failed(struct profile_output *o);

void profile_output_free(struct profile_output *o);

#endif
