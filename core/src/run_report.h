/* What pyflame tells as a run ends: where the profile went and what it
 * holds, the samples that could not be read and why, -x leaving out
 * everything, and a target stopped for much of its time. */
#ifndef PYFLAME_RUN_REPORT_H
#define PYFLAME_RUN_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "options.h"
#include "output_file.h"

/* What a run did, for its report. */
struct run_tally {
    uint64_t taken, failed;
    uint64_t shown;         /* samples kept with Python code in them */
    uint64_t idle_left_out; /* idle samples (threads, with --threads) -x left out */
    uint64_t over_budget;   /* failed samples that hit the read budget */
    uint64_t torn;          /* failed samples still torn when retried */
    uint64_t held_ns;       /* stop mode: how long the target was held in all */
    uint64_t sampling_ns;   /* how long sampling took */
};

/* Every sample of an attached target failed: pyflame could not read it,
 * an error.  With -t it is a warning: a short program may give one
 * sample, taken while it starts or ends, and -t reports the program's
 * run (its exit status), not pyflame's. */
bool none_read(const struct run_tally *t, const struct options *o);

/* Where the profile went, when pyflame named the file itself; and on a
 * terminal, a line of what it holds. */
void report_written(const struct run_tally *t, const struct options *o,
                    const struct output_file *f);

/* The samples that could not be read, and why; `last_error` is the ABI
 * plugin's last word ("" if none). */
void report_failures(const struct run_tally *t, const struct options *o,
                     const char *last_error);

/* -x that left out every sample: the profile is empty, which pyflame
 * says rather than exit as if all went well. */
void report_idle_left_out(const struct run_tally *t, const struct options *o);

/* Stop mode: a warning when stopping the target took much of its time (at
 * high rates, or with many threads to stop): it then ran slower by more
 * than that (docs/performance.md). */
void report_held(const struct run_tally *t);

#endif
