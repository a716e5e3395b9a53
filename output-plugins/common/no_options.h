/* The formats of this tree take no options (-f NAME:OPTIONS): each one's
 * open() refuses them, so that a typo or an option meant for another
 * plugin is an error rather than silently ignored.  Inline: it is one
 * test and one message. */
#ifndef PYFLAME_OUTPUT_NO_OPTIONS_H
#define PYFLAME_OUTPUT_NO_OPTIONS_H

#include <pyflame/output.h>

/* Returns 0 when cfg gives no options; else tells the user that `format`
 * takes none (pyflame_host.error) and returns -1, for open() to fail. */
static inline int refuse_options(const pyflame_host *host, const pyflame_output_config *cfg,
                                 const char *format)
{
    /* Hosts before API 4 have neither options nor error(). */
    if (host->api_version < 4 || !cfg->options)
        return 0;
    host->error(host->ctx, "the %s format takes no options, got '%s'", format, cfg->options);
    return -1;
}

#endif
