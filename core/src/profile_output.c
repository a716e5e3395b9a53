/* The profile's output: plugin, aggregate and file (profile_output.h). */
#include "profile_output.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "aggregate.h"
#include "command_line.h"
#include "diag.h"

/* Fields of API 3 are read only from plugins built for it, as
 * plugin_abi_features does for ABI plugins. */
static uint32_t output_features(const struct loaded_plugin *p)
{
    return p->api_version >= 3 ? p->u.output->features : 0;
}

static const char *output_extension(const struct loaded_plugin *p)
{
    const char *ext = p->api_version >= 3 ? p->u.output->file_extension : NULL;
    return ext && *ext && !strchr(ext, '/') ? ext : p->u.output->name;
}

/* An output plugin's failure of its own (pyflame_host.error): the one
 * error line of the run's output. */
__attribute__((format(printf, 2, 3)))
static void host_error(void *ctx, const char *fmt, ...)
{
    struct profile_output *o = ctx;
    if (o->failed)
        return;
    o->failed = true;
    va_list ap;
    va_start(ap, fmt);
    pf_verror(fmt, ap);
    va_end(ap);
}

void profile_output_init(struct profile_output *o, const struct options *opt)
{
    *o = (struct profile_output){.opt = opt};
    o->host = (pyflame_host){.api_version = PYFLAME_API_VERSION, .ctx = o,
                             .warn = pf_host_warn, .error = host_error};
}

void profile_output_failed(struct profile_output *o)
{
    const char *where = o->file.name ? o->file.name : "standard output";
    if (o->failed)
        return;
    o->failed = true;
    if (errno)
        pf_error("cannot write the profile to %s: %s", where, strerror(errno));
    else
        pf_error("cannot write the profile to %s: the %s output plugin failed without "
                 "saying why", where, o->plugin.u.output->name);
}

/* -t without -o: the command writes to pyflame's standard output too, and
 * its lines would break a format that is one document.  Such a format goes
 * to a file that we name (output_file_defer). */
static bool to_default_file(const struct profile_output *o)
{
    const struct options *opt = o->opt;
    return opt->command && !opt->output && !opt->output_stdout &&
           (output_features(&o->plugin) & PYFLAME_OUT_ONE_DOCUMENT);
}

/* Options are judged before anything starts, by a plugin that can.
 * Returns 0, or -1 with the error told. */
static int check_options(struct profile_output *o)
{
    const char *options = o->opt->format_options;
    if (options && o->plugin.api_version < 4) { /* it could not read them */
        pf_error("the %s output plugin takes no options: it was built for plugin API %" PRIu32
                 ", and options came with API 4", o->opt->format, o->plugin.api_version);
        return -1;
    }
    int (*check)(const pyflame_host *, const char *) =
        options ? o->plugin.u.output->check_options : NULL;
    if (check && check(&o->host, options) != PYFLAME_OK) {
        if (!o->failed) /* else it told why */
            pf_error("the %s output plugin refuses the options '%s'", o->opt->format, options);
        return -1;
    }
    return 0;
}

int profile_output_load(struct profile_output *o, const struct plugin_dirs *dirs)
{
    char err[512];
    if (plugin_load_output(dirs, o->opt->format, &o->plugin, err, sizeof err) != 0) {
        pf_error("%s", err);
        return -1;
    }
    if (check_options(o) != 0)
        return -1;
    if (to_default_file(o))
        return output_file_defer(&o->file, o->opt->format);
    return output_file_open(&o->file, o->opt->output);
}

int profile_output_start(struct profile_output *o, pid_t pid)
{
    struct output_file *f = &o->file;
    if (f->to_default && output_file_create(f, pid, output_extension(&o->plugin)) != 0)
        return -1;
    bool created = f->created;
    if (output_file_claim(f) != 0)
        return -1;
    const pyflame_output_plugin *op = o->plugin.u.output;
    if (op->write_profile && !(o->agg = aggregate_new()))
        return -1;
    char command[512];
    const struct options *opt = o->opt;
    pyflame_output_config cfg = {
        .out = f->out,
        .flags = (opt->no_line_numbers ? PYFLAME_OUT_NO_LINE_NUMBERS : 0) |
                 (opt->exclude_idle ? PYFLAME_OUT_EXCLUDE_IDLE : 0),
        .interval_s = opt->interval,
        .pid = (int)pid,
        /* A profile read back names its file where a run names its command. */
        .command = opt->input ? options_input_name(opt)
                              : command_line(pid, opt->command, command, sizeof command),
        .options = opt->format_options,
    };
    if (!(o->state = op->open(&o->host, &cfg))) {
        if (!o->failed) /* else it told why */
            pf_error("the %s output plugin failed to start", op->name);
        f->created = created; /* nothing written: a file we made goes */
        return -1;
    }
    return 0;
}

int profile_output_record(struct profile_output *o, const pyflame_sample *smp, uint64_t count)
{
    const pyflame_output_plugin *op = o->plugin.u.output;
    if (op->write_sample && count != 1) { /* a plugin that writes each sample */
        errno = EINVAL;
        return -1;
    }
    if (o->agg) {
        if (smp->status == PYFLAME_ERR_READ) {
            aggregate_add_failed(o->agg, count);
        } else if (smp->nthreads == 0) {
            aggregate_add_idle(o->agg, count);
        } else {
            /* Each thread counts: idle, or the stack it shows. */
            for (uint32_t i = 0; i < smp->nthreads; i++) {
                const pyflame_thread *t = &smp->threads[i];
                if (!pyflame_thread_shown(t))
                    aggregate_add_idle(o->agg, count);
                else if (aggregate_add(o->agg, t->frames, t->nframes, count) != 0)
                    return -1;
            }
        }
    }
    errno = 0; /* a plugin that fails without a cause gets no stale one */
    if (op->write_sample && op->write_sample(o->state, smp) != PYFLAME_OK)
        return -1;
    return 0;
}

bool profile_output_writes_samples(const struct profile_output *o)
{
    return o->plugin.u.output->write_sample != NULL;
}

/* One step of finishing the output, which `done` or not: the first that
 * fails is told (errno, as it left it, tells why).  Returns whether every
 * step so far was done, as `ok` tells of those before. */
static bool finish_step(struct profile_output *o, bool ok, bool done)
{
    if (ok && !done)
        profile_output_failed(o);
    return ok && done;
}

/* Has the plugin write the aggregated profile.  Returns whether it did. */
static bool write_profile(struct profile_output *o, uint64_t idle_left_out)
{
    pyflame_profile prof;
    if (aggregate_profile(o->agg, &prof) != 0)
        return false;
    prof.idle_left_out = idle_left_out;
    errno = 0; /* a plugin that fails without a cause gets no stale one */
    return o->plugin.u.output->write_profile(o->state, &prof) == PYFLAME_OK;
}

int profile_output_finish(struct profile_output *o, uint64_t idle_left_out)
{
    const pyflame_output_plugin *op = o->plugin.u.output;
    bool ok = !o->failed; /* else the run ended on it: close, quietly */
    if (ok && o->agg && op->write_profile)
        ok = finish_step(o, ok, write_profile(o, idle_left_out));
    errno = 0;
    ok = finish_step(o, ok, op->close(o->state) == PYFLAME_OK);
    o->state = NULL;
    ok = finish_step(o, ok, output_file_flush(&o->file) == 0);
    if (!ok)
        output_file_discard(&o->file);
    ok = finish_step(o, ok, output_file_close(&o->file) == 0);
    return ok ? 0 : -1;
}

void profile_output_free(struct profile_output *o)
{
    if (o->state)
        o->plugin.u.output->close(o->state);
    o->state = NULL;
    output_file_free(&o->file);
    aggregate_free(o->agg);
    o->agg = NULL;
    plugin_unload(&o->plugin);
}
