/* What pyflame tells as a run ends (run_report.h). */
#include "run_report.h"

#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "diag.h"
#include "memory.h"
#include "sampler.h"

/* A stopped target for at least this share of the run is warned of. */
#define HELD_WARN_PERCENT 10

bool none_read(const struct run_tally *t, const struct options *o)
{
    return t->failed && t->failed == t->taken && !o->command;
}

void report_failures(const struct run_tally *t, const struct options *o,
                     const char *last_error)
{
    char budget[256] = "", torn[256] = "";
    if (t->over_budget)
        snprintf(budget, sizeof budget,
                 "; %" PRIu64 " of them would have read more than %u times or %u MB "
                 "(the limit of one sample): the target's structures look corrupted",
                 t->over_budget, SAMPLE_MAX_READS, SAMPLE_MAX_BYTES >> 20);
    if (t->torn)
        snprintf(torn, sizeof torn,
                 "; %" PRIu64 " of them were torn %d times in a row: the target changed "
                 "its stack while it was read (--nonblocking)",
                 t->torn, TORN_RETRIES + 1);
    if (none_read(t, o))
        pf_error("none of the %" PRIu64 " samples could be read%s%s%s%s", t->taken,
                 last_error[0] ? ": " : "", last_error, budget, torn);
    else if (t->failed)
        pf_warn("%" PRIu64 " of %" PRIu64 " samples could not be read%s%s", t->failed,
                t->taken, budget, torn);
}

void report_written(const struct run_tally *t, const struct options *o,
                    const struct output_file *f)
{
    const char *where = f->name ? f->name : "standard output";
    if (!isatty(STDERR_FILENO)) {
        if (f->to_default)
            fprintf(stderr, "pyflame: profile written to %s\n", where);
        return;
    }
    uint64_t idle = t->taken - t->failed - t->shown;
    fprintf(stderr, "pyflame: %" PRIu64 " sample%s in %.1f s: %" PRIu64 " with Python code "
            "running, %" PRIu64 " idle%s, %" PRIu64 " failed; profile written to %s\n",
            t->taken, t->taken == 1 ? "" : "s", (double)t->sampling_ns / 1e9, t->shown, idle,
            o->exclude_idle ? " (left out, -x)" : "", t->failed, where);
}

void report_idle_left_out(const struct run_tally *t, const struct options *o)
{
    if (!o->exclude_idle || t->shown || !t->idle_left_out)
        return;
    uint64_t n = t->taken - t->failed;
    char count[48] = "the one sample";
    if (n != 1)
        snprintf(count, sizeof count, "all %" PRIu64 " samples", n);
    pf_warn("-x left out %s%s as idle, taken while no Python code ran: the profile is "
            "empty; leave out -x to see them", count, t->failed ? " that could be read" : "");
}

void report_held(const struct run_tally *t)
{
    /* A run whose every sample failed has its error to tell; under a
     * second, a busy machine's few slow stops would be most of it. */
    if (t->sampling_ns < 1000000000ull || t->failed == t->taken ||
        t->held_ns * 100 < t->sampling_ns * HELD_WARN_PERCENT)
        return;
    pf_warn("the target was stopped for %.0f%% of the run to be read (%" PRIu64
            " samples in %.1f s): sample less often (-r), or use --nonblocking, which "
            "does not stop it", 100.0 * (double)t->held_ns / (double)t->sampling_ns,
            t->taken, (double)t->sampling_ns / 1e9);
}
