#include "options.h"

#include "diag.h"
#include "abi_name.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    OPT_ABI = 256,
    OPT_THREADS,
    OPT_LIST_PLUGINS,
    OPT_THREAD_NAMES,
    OPT_HZ,
    OPT_NONBLOCKING,
    OPT_GIL,
    OPT_TID,
    OPT_READY_FD,
    OPT_INPUT,
};

#define TIMESTAMPED_FORMAT "timestamped"

static const struct option long_options[] = {
    {"pid", required_argument, NULL, 'p'},
    {"trace", no_argument, NULL, 't'},
    {"abi", required_argument, NULL, OPT_ABI},
    {"tid", required_argument, NULL, OPT_TID},
    {"seconds", required_argument, NULL, 's'},
    {"rate", required_argument, NULL, 'r'},
    {"hz", required_argument, NULL, OPT_HZ},
    {"threads", no_argument, NULL, OPT_THREADS},
    {"nonblocking", no_argument, NULL, OPT_NONBLOCKING},
    {"gil", no_argument, NULL, OPT_GIL},
    {"thread-names", no_argument, NULL, OPT_THREAD_NAMES},
    {"dump", no_argument, NULL, 'd'},
    {"output", required_argument, NULL, 'o'},
    {"format", required_argument, NULL, 'f'},
    {"timestamp", no_argument, NULL, 'T'},
    {"flamechart", no_argument, NULL, 'T'},
    {"no-line-numbers", no_argument, NULL, 'n'},
    {"exclude-idle", no_argument, NULL, 'x'},
    {"ready-fd", required_argument, NULL, OPT_READY_FD},
    {"input", required_argument, NULL, OPT_INPUT},
    {"list-plugins", no_argument, NULL, OPT_LIST_PLUGINS},
    {"version", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};


/* The positive decimal number s[0..len) up to INT_MAX (an id), or 0. */
static int parse_id(const char *s, size_t len)
{
    long v = 0;
    if (len == 0 || strspn(s, "0123456789") < len)
        return 0;
    for (size_t i = 0; i < len && v <= INT_MAX; i++)
        v = v * 10 + (s[i] - '0');
    return v <= INT_MAX ? (int)v : 0;
}

static int parse_pid(const char *s, int *pid, char *err, size_t errlen)
{
    if (!(*pid = parse_id(s, strlen(s))))
        return reason(err, errlen, "invalid PID '%s': expected a positive process id", s);
    return 0;
}

/* --tid TID[,TID...]: added to those of an earlier --tid, each kept once. */
static int parse_tids(const char *arg, struct options *o, char *err, size_t errlen)
{
    const char *s = arg;
    do {
        size_t len = strcspn(s, ",");
        pid_t tid = parse_id(s, len);
        if (!tid)
            return reason(err, errlen,
                          "invalid --tid '%s': give kernel thread ids, as /proc/PID/task "
                          "lists them, separated by commas: --tid=1234,1235", arg);
        size_t i = 0;
        while (i < o->ntids && o->tids[i] != tid)
            i++;
        if (i == o->ntids && o->ntids == MAX_TIDS)
            return reason(err, errlen, "--tid lists more than %d threads: leave --tid out "
                          "to profile every thread", MAX_TIDS);
        if (i == o->ntids)
            o->tids[o->ntids++] = tid;
        s += len;
    } while (*s++ == ',');
    return 0;
}

/* --ready-fd FD: a descriptor of its own, not one of pyflame's standard
 * streams, which it would close under pyflame. */
static int parse_ready_fd(const char *s, int *fd, char *err, size_t errlen)
{
    *fd = parse_id(s, strlen(s));
    if (*fd < 3)
        return reason(err, errlen, "--ready-fd needs a file descriptor of 3 or more, got '%s' "
                      "(0, 1 and 2 are pyflame's standard streams)", s);
    return 0;
}

const char *options_input_name(const struct options *o)
{
    return strcmp(o->input, "-") == 0 ? "standard input" : o->input;
}

/* An option about sampling a process, which --input does not do: the
 * first one given is named in the error. */
static void sampling_option(const char **first, const char *name)
{
    if (!*first)
        *first = name;
}

/* A plain decimal number of `unit` between min and max. */
static int parse_number(const char *opt, const char *unit, const char *s, double min,
                        double max, double *out, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    /* Plain decimal only: no blanks, no hexadecimal, no "inf". */
    if (*s == '\0' || strspn(s, "0123456789.eE+-") != strlen(s) || *end != '\0' ||
        errno || !isfinite(v))
        return reason(err, errlen, "%s needs a number of %s, got '%s'", opt, unit, s);
    if (v < min || v > max)
        return reason(err, errlen, "%s %s is out of range: give between %g and %g %s",
                     opt, s, min, max, unit);
    *out = v;
    return 0;
}

/* -s: 0 takes exactly one sample, and a negative number (-1) samples until
 * pyflame is stopped or the target ends: both as in Uber's Pyflame. */
static int parse_seconds(const char *s, double *out, char *err, size_t errlen)
{
    double v;
    if (parse_number("-s", "seconds", s, -HUGE_VAL, 0, &v, NULL, 0) == 0 && v < 0) {
        *out = SECONDS_UNTIL_STOPPED;
        return 0;
    }
    return parse_number("-s", "seconds", s, 0, MAX_SECONDS, out, err, errlen);
}

static int parse_abi(const char *s, char *err, size_t errlen)
{
    if (!abi_name_valid(s))
        return reason(err, errlen,
                     "invalid --abi '%s': give the CPython version as digits, e.g. 311 for 3.11, "
                     "and a 't' for a free-threaded build, e.g. 313t", s);
    return 0;
}

/* -f NAME or -f NAME:OPTIONS.  The options are the plugin's to read and
 * judge: pyflame only wants something on either side of the colon. */
static int parse_format(const char *arg, struct options *o, char *err, size_t errlen)
{
    size_t len = strcspn(arg, ":");
    if (arg[0] == ':')
        return reason(err, errlen, "-f '%s' names no format before the ':'", arg);
    if (len == 0 || memchr(arg, '/', len))
        return reason(err, errlen, "invalid format name '%.*s'", (int)len, arg);
    if (len > FORMAT_NAME_MAX)
        return reason(err, errlen, "format name '%.32s...' is too long: at most %zu bytes",
                      arg, (size_t)FORMAT_NAME_MAX);
    if (arg[len] == ':' && !arg[len + 1])
        return reason(err, errlen, "-f '%s' gives no options after the ':'", arg);
    memcpy(o->format, arg, len);
    o->format[len] = '\0';
    o->format_options = arg[len] == ':' ? arg + len + 1 : NULL;
    return 0;
}

/* The number of single-letter edits that turn a[0..na) into b. */
static size_t edit_distance(const char *a, size_t na, const char *b)
{
    size_t nb = strlen(b), row[64];
    if (na >= 64 || nb >= 64)
        return SIZE_MAX;
    for (size_t j = 0; j <= nb; j++)
        row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[nb];
}

/* "--name" or "--name=value" that getopt refused: a flag given a value,
 * or a name that is not ours, with the nearest one suggested. */
static int unknown_long_option(const char *arg, char *err, size_t errlen)
{
    const char *name = arg + 2;
    size_t len = strcspn(name, "=");
    const struct option *nearest = NULL;
    size_t best = SIZE_MAX;
    for (const struct option *lo = long_options; lo->name; lo++) {
        if (strlen(lo->name) == len && strncmp(lo->name, name, len) == 0)
            return reason(err, errlen, "option '--%s' takes no value", lo->name);
        size_t d = edit_distance(name, len, lo->name);
        if (d < best) {
            best = d;
            nearest = lo;
        }
    }
    /* Close enough to be a typo: one edit, and one more per 5 letters. */
    if (nearest && best > 0 && best <= 1 + len / 5)
        return reason(err, errlen, "unknown option '--%.*s'; did you mean '--%s'?", (int)len,
                      name, nearest->name);
    return reason(err, errlen, "unknown option '--%.*s'", (int)len, name);
}

/* True when an option's value is a separate argument that looks like an
 * option ("-o -p 12"): a forgotten value, not a file named "-p". */
static bool value_is_option(const char *value, char **argv, int optind)
{
    return value[0] == '-' && value[1] && value == argv[optind - 1];
}

int options_parse(int argc, char **argv, struct options *o, char *err,
                  size_t errlen)
{
    *o = (struct options){
        .action = ACTION_PROFILE,
        .seconds = DEFAULT_SECONDS,
        .interval = DEFAULT_INTERVAL,
        .format = DEFAULT_FORMAT,
        .ready_fd = -1,
    };
    bool trace = false, timestamp = false, format_given = false;
    const char *sampling = NULL; /* the first option --input has no use for */
    int rate_given = 0;
    optind = 0; /* full reset of GNU getopt */
    opterr = 0;
    int c, at = 1;
    /* Arguments that are not options, in order.  getopt is told to stop at
     * each ('+') so that we see them: options may follow a legacy PID, but
     * nothing before -t may be dropped silently. */
    const char *positional = NULL;
    int npositional = 0;
    for (;;) {
        if (trace)
            break;
        c = getopt_long(argc, argv, "+:p:ts:r:o:f:Tdnxvh", long_options, NULL);
        if (c == -1) {
            bool after_dashes = optind > 1 && strcmp(argv[optind - 1], "--") == 0;
            if (optind >= argc)
                break;
            if (!npositional++)
                positional = argv[optind];
            else
                return reason(err, errlen, "unexpected argument '%s'", argv[optind]);
            optind++;
            at = optind;
            if (after_dashes) {
                if (optind < argc)
                    return reason(err, errlen, "unexpected argument '%s'", argv[optind]);
                break;
            }
            continue;
        }
        switch (c) {
        case 'p':
            sampling_option(&sampling, "-p");
            if (o->pid)
                return reason(err, errlen, "more than one PID given: pyflame profiles one process");
            if (parse_pid(optarg, &o->pid, err, errlen))
                return -1;
            break;
        case 't':
            sampling_option(&sampling, "-t");
            /* getopt stays on a cluster until its last letter: "-tx". */
            if (optind == at && optind < argc)
                return reason(err, errlen,
                              "in '%s', -t must be the last letter: everything after -t is the command",
                              argv[optind]);
            trace = true;
            break;
        case OPT_TID:
            sampling_option(&sampling, "--tid");
            if (parse_tids(optarg, o, err, errlen))
                return -1;
            break;
        case OPT_READY_FD:
            sampling_option(&sampling, "--ready-fd");
            if (parse_ready_fd(optarg, &o->ready_fd, err, errlen))
                return -1;
            break;
        case OPT_ABI:
            sampling_option(&sampling, "--abi");
            if (parse_abi(optarg, err, errlen))
                return -1;
            o->abi = optarg;
            break;
        case 's':
            sampling_option(&sampling, "-s");
            if (parse_seconds(optarg, &o->seconds, err, errlen))
                return -1;
            o->seconds_given = true;
            break;
        case 'r':
            if (rate_given++)
                return reason(err, errlen, "-r and --hz both set the rate: give one of them");
            if (parse_number("-r", "seconds", optarg, MIN_INTERVAL, MAX_INTERVAL, &o->interval,
                             err, errlen))
                return -1;
            /* "-r 100" from py-spy's habit means one sample every 100 s. */
            o->rate_maybe_hz = o->interval >= 1.0;
            break;
        case OPT_HZ: {
            double hz;
            if (rate_given++)
                return reason(err, errlen, "-r and --hz both set the rate: give one of them");
            if (parse_number("--hz", "samples per second", optarg, 1.0 / MAX_INTERVAL,
                             1.0 / MIN_INTERVAL, &hz, err, errlen))
                return -1;
            o->interval = 1.0 / hz;
            break;
        }
        case OPT_THREADS:
            sampling_option(&sampling, "--threads");
            o->threads = true;
            break;
        case OPT_THREAD_NAMES:
            sampling_option(&sampling, "--thread-names");
            o->threads = o->thread_names = true;
            break;
        case OPT_NONBLOCKING:
            sampling_option(&sampling, "--nonblocking");
            o->nonblocking = true;
            break;
        case OPT_GIL:
            sampling_option(&sampling, "--gil");
            o->gil = true;
            break;
        case 'd':
            sampling_option(&sampling, "-d");
            o->dump = o->threads = true;
            break;
        case 'o':
            if (!*optarg)
                return reason(err, errlen, "-o needs a file name");
            if (value_is_option(optarg, argv, optind))
                return reason(err, errlen,
                              "-o needs a file name, got the option '%s' (for a file of that name write ./%s)",
                              optarg, optarg);
            /* "-o -" is standard output, as for most tools. */
            o->output_stdout = strcmp(optarg, "-") == 0;
            o->output = o->output_stdout ? NULL : optarg;
            break;
        case 'f':
            if (value_is_option(optarg, argv, optind))
                return reason(err, errlen, "-f needs a format name, got the option '%s'", optarg);
            if (parse_format(optarg, o, err, errlen))
                return -1;
            format_given = true;
            break;
        case 'T':
            timestamp = true;
            break;
        case 'n':
            o->no_line_numbers = true;
            break;
        case 'x':
            o->exclude_idle = true;
            break;
        case OPT_INPUT:
            if (!*optarg || value_is_option(optarg, argv, optind))
                return reason(err, errlen, "--input needs the file of a profile recorded "
                              "before ('-' for standard input)");
            o->input = optarg;
            break;
        case OPT_LIST_PLUGINS:
            o->action = ACTION_LIST_PLUGINS;
            return 0;
        case 'v':
            o->action = ACTION_VERSION;
            return 0;
        case 'h':
            o->action = ACTION_HELP;
            return 0;
        case ':':
            return reason(err, errlen, "option '%s' needs a value", argv[optind - 1]);
        default: {
            const char *arg = argv[optind - 1];
            if (optopt > 0 && optopt < 128 && strncmp(arg, "--", 2) != 0)
                return reason(err, errlen, "unknown option '-%c'", optopt);
            return unknown_long_option(arg, err, errlen);
        }
        }
        at = optind > 0 ? optind : 1;
    }

    if (timestamp) {
        if (format_given && strcmp(o->format, TIMESTAMPED_FORMAT) != 0)
            return reason(err, errlen, "-T selects the %s format; it cannot go with -f %s",
                          TIMESTAMPED_FORMAT, o->format);
        snprintf(o->format, sizeof o->format, "%s", TIMESTAMPED_FORMAT);
    }
    if (o->input) {
        if (sampling)
            return reason(err, errlen, "%s has no use with --input, which reads a profile "
                          "recorded before instead of sampling a process", sampling);
        if (npositional)
            return reason(err, errlen, "unexpected argument '%s': --input reads one profile",
                          positional);
        return 0;
    }
    if (trace && o->dump)
        return reason(err, errlen, "-d dumps a running process: use it with -p, not -t");
    if (trace && o->ntids)
        return reason(err, errlen, "--tid picks threads of a running process: use it with -p, "
                      "not -t, whose command has no threads before it starts");
    if (o->dump && o->ready_fd >= 0)
        return reason(err, errlen, "--ready-fd tells when sampling begins; -d takes one look "
                      "and exits: give one of them");
    if (trace && npositional)
        return reason(err, errlen, "unexpected argument '%s' before -t", positional);
    if (trace) {
        if (o->pid)
            return reason(err, errlen, "-t and -p cannot be used together: -t runs a new command, -p attaches to a running one");
        if (optind >= argc)
            return reason(err, errlen, "-t needs a command to run");
        o->command = &argv[optind];
        const char *slash = strrchr(o->command[0], '/');
        if (strcmp(slash ? slash + 1 : o->command[0], "pyflame") == 0)
            return reason(err, errlen,
                          "-t %s would profile pyflame itself, which runs no Python: give "
                          "the Python command, e.g. pyflame -t python3 script.py",
                          o->command[0]);
        o->seconds_ignored = o->seconds_given;
        return 0;
    }
    if (o->pid) {
        if (npositional)
            return reason(err, errlen, "unexpected argument '%s'", positional);
        return 0;
    }
    if (!npositional)
        return reason(err, errlen, "nothing to profile: give -p PID or -t COMMAND (or "
                      "--input FILE for a profile recorded before)");
    if (parse_pid(positional, &o->pid, err, errlen))
        return -1;
    o->legacy_pid = true;
    return 0;
}
