/* The formats of this tree take no options (-f NAME:OPTIONS): each one's
 * check_options refuses them, so that a typo or an option meant for
 * another plugin is an error before anything starts, rather than silently
 * ignored.  Inline: it is one test and one message. */
#ifndef PYFLAME_OUTPUT_NO_OPTIONS_H
#define PYFLAME_OUTPUT_NO_OPTIONS_H

#include <pyflame/output.h>

static inline int refuse_options(const pyflame_host *host, const char *options,
                                 const char *format)
{
    if (!options)
        return PYFLAME_OK;
    host->error(host->ctx, "the %s format takes no options, got '%s'", format, options);
    return PYFLAME_ERR_UNSUPPORTED;
}

/* Defines NAME_check_options, for pyflame_output_plugin.check_options. */
#define NO_OPTIONS_CHECK(NAME)                                                      \
    static int NAME##_check_options(const pyflame_host *host, const char *options) \
    {                                                                               \
        return refuse_options(host, options, #NAME);                               \
    }

#endif
