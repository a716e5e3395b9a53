/* pyflame: a sampling profiler for CPython. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "options.h"
#include "plugin_loader.h"
#include "replay.h"
#include "session.h"

#ifndef PYFLAME_VERSION
#define PYFLAME_VERSION "unknown"
#endif
#ifndef PYFLAME_COMMIT
#define PYFLAME_COMMIT "unknown"
#endif
#ifndef PYFLAME_HOST
#define PYFLAME_HOST "unknown"
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
    for (size_t i = 0; i < sizeof session_stop_signals / sizeof *session_stop_signals; i++)
        sigaction(session_stop_signals[i], &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a closed pipe is a write error, not death */
    signal(SIGXFSZ, SIG_IGN); /* and so is a file past its size limit */
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

/* The shape of Uber's Pyflame, which scripts parse for the ABI list:
 * "pyflame VERSION (commit HASH) OS ARCH (ABI list: 27 36 ... 313)", the
 * ABIs being the plugins found. */
static int print_version(void)
{
    struct plugin_dirs dirs;
    char versions[512], abis[512];
    if (plugin_dirs_init(&dirs) != 0) {
        pf_error("out of memory");
        return 1;
    }
    plugin_supported_versions(&dirs, versions, sizeof versions);
    plugin_dirs_free(&dirs);
    /* "2.7, 3.6, 3.10" as Uber wrote ABIs, "27 36 310"; empty if none. */
    size_t n = 0;
    if (versions[0] >= '0' && versions[0] <= '9')
        for (const char *c = versions; *c && n + 1 < sizeof abis; c++)
            if (*c != '.' && *c != ',')
                abis[n++] = *c;
    abis[n] = '\0';
    printf("pyflame %s (commit %s) %s (ABI list: %s)\n", PYFLAME_VERSION, PYFLAME_COMMIT,
           PYFLAME_HOST, abis);
    return 0;
}

int main(int argc, char **argv)
{
    struct options opt;
    char err[512];
    if (options_parse(argc, argv, &opt, err, sizeof err) != 0) {
        pf_error("%s", err);
        fprintf(stderr, "Try 'pyflame --help' for more information.\n");
        return 1; /* as Uber's Pyflame */
    }
    switch (opt.action) {
    case ACTION_HELP:
        fputs(options_usage, stdout);
        return 0;
    case ACTION_VERSION:
        return print_version();
    case ACTION_LIST_PLUGINS:
        return list_plugins();
    case ACTION_PROFILE:
        break;
    }
    if (opt.legacy_pid) /* worded for scripts that look for Uber's "WARNING: " */
        fprintf(stderr, "WARNING: pyflame: giving the PID without -p is deprecated; "
                        "use 'pyflame -p %d'\n", opt.pid);
    if (opt.seconds_ignored)
        pf_warn("-s is ignored with -t: the command is profiled until it exits");
    if (opt.rate_maybe_hz)
        pf_warn("-r %g takes one sample every %g seconds; for %g samples per second, "
                "write --hz %g", opt.interval, opt.interval, opt.interval, opt.interval);
    if (opt.input)
        return replay_run(&opt);
    install_signal_handlers();
    return session_run(&opt);
}
