/* The command line. */
#ifndef PYFLAME_OPTIONS_H
#define PYFLAME_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The longest output plugin name: its file, pyflame-output-NAME.so, is
 * one name of at most 255 bytes. */
#define FORMAT_NAME_MAX (255 - sizeof "pyflame-output-.so" + 1)

enum action {
    ACTION_PROFILE,
    ACTION_HELP,
    ACTION_VERSION,
    ACTION_LIST_PLUGINS,
};

/* The most threads --tid lists. */
#define MAX_TIDS 256

struct options {
    enum action action;
    int pid;              /* -p, or the legacy positional PID; 0 if none */
    bool legacy_pid;      /* given without -p: deprecated */
    char **command;       /* -t: NULL-terminated argv, or NULL */
    double seconds;       /* -s; 0 for a single sample, SECONDS_UNTIL_STOPPED */
    bool seconds_given;   /* -s was given */
    bool seconds_ignored; /* -s was given with -t, which ignores it */
    double interval;      /* -r (or 1 / --hz), seconds between samples */
    bool rate_maybe_hz;   /* -r of a second or more: perhaps meant as --hz */
    const char *output;   /* -o FILE, NULL if not given or "-" */
    bool output_stdout;   /* -o -: standard output, asked for */
    const char *abi;      /* --abi, NULL to detect */
    /* -f NAME[:OPTIONS]: the output plugin's name, and the options for
     * it to read (NULL if none), as typed after the colon. */
    char format[FORMAT_NAME_MAX + 1];
    const char *format_options;
    bool exclude_idle;    /* -x */
    bool no_line_numbers; /* -n */
    bool threads;         /* --threads */
    bool thread_names;    /* --thread-names: a root frame per thread */
    bool gil;             /* --gil: only the GIL's holder runs; others are idle */
    bool dump;            /* -d: print every thread's stack once */
    bool nonblocking;     /* read the target without stopping it */
    /* --tid: the only threads of the target profiled, by kernel id, each
     * once; ntids 0: every thread. */
    pid_t tids[MAX_TIDS];
    size_t ntids;
    int ready_fd; /* --ready-fd: told "ready" once sampling began; -1: none */
    /* --input: a profile recorded before, read back instead of sampling;
     * "-" is standard input.  NULL: sample a process. */
    const char *input;
};

#define DEFAULT_SECONDS 1.0
/* -s -1, or any negative number: until pyflame is stopped or the target
 * ends, as in Uber's Pyflame. */
#define SECONDS_UNTIL_STOPPED (-1.0)
#define DEFAULT_INTERVAL 0.001
#define DEFAULT_FORMAT "folded"
/* Limits that catch typos rather than restrict use. */
#define MAX_SECONDS (366.0 * 24 * 3600)
#define MIN_INTERVAL 1e-6
#define MAX_INTERVAL 3600.0

/* Parses argv into *o.  Returns 0, or -1 with a one-line message in err.
 * Reentrant: resets getopt's state first. */
int options_parse(int argc, char **argv, struct options *o, char *err,
                  size_t errlen);

/* The file of --input as a message names it. */
const char *options_input_name(const struct options *o);

/* The --help text (options_usage.c). */
extern const char options_usage[];

#endif
