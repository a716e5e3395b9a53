/* pyflame: a sampling profiler for CPython. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "options.h"
#include "plugin_loader.h"
#include "session.h"

#ifndef PYFLAME_VERSION
#define PYFLAME_VERSION "unknown"
#endif

static void on_signal(int sig)
{
    session_stop_signal = sig;
}

/* SIGINT, SIGTERM and SIGHUP end the run cleanly: detach, then write. */
static void install_signal_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a closed pipe is a write error, not death */
}

static int list_plugins(void)
{
    struct plugin_dirs dirs;
    if (plugin_dirs_init(&dirs) != 0) {
        pf_error("out of memory");
        return 1;
    }
    int failures = plugin_list(&dirs, stdout);
    plugin_dirs_free(&dirs);
    return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
    struct options opt;
    char err[512];
    if (options_parse(argc, argv, &opt, err, sizeof err) != 0) {
        pf_error("%s", err);
        fprintf(stderr, "Try 'pyflame --help' for more information.\n");
        return 2;
    }
    switch (opt.action) {
    case ACTION_HELP:
        fputs(options_usage, stdout);
        return 0;
    case ACTION_VERSION:
        printf("pyflame %s (plugin API %d)\n", PYFLAME_VERSION, PYFLAME_API_VERSION);
        return 0;
    case ACTION_LIST_PLUGINS:
        return list_plugins();
    case ACTION_PROFILE:
        break;
    }
    if (opt.legacy_pid)
        pf_warn("giving the PID without -p is deprecated; use 'pyflame -p %d'", opt.pid);
    if (opt.rate_maybe_hz)
        pf_warn("-r %g takes one sample every %g seconds; for %g samples per second, "
                "write --hz %g", opt.interval, opt.interval, opt.interval, opt.interval);
    install_signal_handlers();
    return session_run(&opt);
}
