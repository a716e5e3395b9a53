/* A profiling session: the target, the plugins, and the sampling loop. */
#ifndef PYFLAME_SESSION_H
#define PYFLAME_SESSION_H

#include <signal.h>

#include "options.h"

/* Runs the session described by `opt` and returns pyflame's exit status. */
int session_run(const struct options *opt);

/* Set from signal handlers: stop sampling, detach, write what we have. */
extern volatile sig_atomic_t session_stop_signal;

/* The signals that set it (main.c): each ends the run, the profile
 * written, and pyflame exits 128 plus its number. */
static const int session_stop_signals[] = {SIGINT, SIGTERM, SIGHUP};

#endif
