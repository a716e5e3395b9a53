#include "diag.h"

#include <stdarg.h>
#include <stdio.h>

static void say(const char *kind, const char *fmt, va_list ap)
{
    fprintf(stderr, "pyflame: %s", kind);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void pf_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pf_verror(fmt, ap);
    va_end(ap);
}

void pf_verror(const char *fmt, va_list ap)
{
    say("error: ", fmt, ap);
}

void pf_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say("warning: ", fmt, ap);
    va_end(ap);
}

void pf_host_warn(void *ctx, const char *fmt, ...)
{
    (void)ctx;
    va_list ap;
    va_start(ap, fmt);
    say("warning: ", fmt, ap);
    va_end(ap);
}
