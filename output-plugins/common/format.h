/* What every format of this tree does alike, written once: its entry
 * point, its refusal of options, the status of its output stream and its
 * word when memory runs out.  Not part of the public plugin API.  Inline:
 * each is a test or two and a message. */
#ifndef PYFLAME_OUTPUT_FORMAT_H
#define PYFLAME_OUTPUT_FORMAT_H

#include <stdio.h>

#include <pyflame/output.h>

/* The formats of this tree take no options (-f NAME:OPTIONS): each one's
 * check_options refuses them, so that a typo or an option meant for
 * another plugin is an error before anything starts, rather than silently
 * ignored. */
static inline int refuse_options(const pyflame_host *host, const char *options,
                                 const char *format)
{
    if (!options)
        return PYFLAME_OK;
    host->error(host->ctx, "the %s format takes no options, got '%s'", format, options);
    return PYFLAME_ERR_UNSUPPORTED;
}

/* Defines the entry point of format NAME (pyflame-output-NAME.so, the
 * same name in the struct), which takes no options; the arguments are its
 * other fields, designated (.description = ..., .open = ..., ...). */
#define FORMAT_PLUGIN(NAME, ...)                                                    \
    static int NAME##_check_options(const pyflame_host *host, const char *options) \
    {                                                                               \
        return refuse_options(host, options, #NAME);                               \
    }                                                                               \
    const pyflame_output_plugin pyflame_output_entry = {                            \
        .api_version = PYFLAME_API_VERSION,                                         \
        .name = #NAME,                                                              \
        .check_options = NAME##_check_options,                                      \
        __VA_ARGS__                                                                 \
    }

/* The status of a call that wrote to `out`: PYFLAME_ERR_IO once a write
 * failed (the plugin says nothing: the core names the file), else
 * PYFLAME_OK. */
static inline int output_status(FILE *out)
{
    return ferror(out) ? PYFLAME_ERR_IO : PYFLAME_OK;
}

/* The same for close(), once what the stream holds back reached the file. */
static inline int output_flush(FILE *out)
{
    return fflush(out) == 0 ? output_status(out) : PYFLAME_ERR_IO;
}

/* Tells the user that `format` ran out of memory; its call then fails. */
static inline void warn_out_of_memory(const pyflame_host *host, const char *format)
{
    host->warn(host->ctx, "%s: out of memory", format);
}

#endif
