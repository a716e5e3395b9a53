/* test_options: command line parsing (options.c).
 *
 * Defaults, every option in short and long form, the legacy positional
 * PID, -t ending pyflame's options, and rejection of bad input: each error
 * returns -1 with a one-line message naming what was wrong.  Parsing twice
 * in one process must work (getopt state is reset). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "options.h"

static char err[512];

static int parse_argv(struct options *o, char **argv)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    memset(err, 0, sizeof err);
    return options_parse(argc, argv, o, err, sizeof err);
}

/* PARSE(&o, "-p", "5") parses {"pyflame", "-p", "5"}. */
#define PARSE(o, ...) parse_argv((o), (char *[]){"pyflame", __VA_ARGS__, NULL})

/* Asserts that argv is refused with a message containing `needle`. */
#define REJECT(needle, ...) reject((needle), (char *[]){"pyflame", __VA_ARGS__, NULL})

static void reject(const char *needle, char **argv)
{
    struct options o;
    int rc = parse_argv(&o, argv);
    if (rc != -1) {
        char all[256] = "";
        for (int i = 1; argv[i]; i++)
            strcat(strcat(all, " "), argv[i]);
        fail_msg("accepted:%s", all);
    }
    assert_true(strlen(err) > 0);
    assert_null(strchr(err, '\n'));
    if (needle && !strstr(err, needle))
        fail_msg("message '%s' does not mention '%s'", err, needle);
}

static void defaults(void **state)
{
    (void)state;
    struct options o;
    assert_int_equal(PARSE(&o, "-p", "4242"), 0);
    assert_int_equal(o.action, ACTION_PROFILE);
    assert_int_equal(o.pid, 4242);
    assert_false(o.legacy_pid);
    assert_null(o.command);
    assert_true(o.seconds == 1.0);
    assert_true(o.interval == 0.001);
    assert_string_equal(o.format, "folded");
    assert_null(o.format_options);
    assert_null(o.output);
    assert_null(o.abi);
    assert_false(o.exclude_idle);
    assert_false(o.no_line_numbers);
    assert_false(o.threads);
    assert_false(o.gil);
}

static void every_option(void **state)
{
    (void)state;
    struct options o;
    assert_int_equal(PARSE(&o, "-s", "2.5", "-r", "0.01", "-o", "out.txt", "-f",
                           "speedscope", "-nx", "--threads", "--gil", "--abi", "312",
                           "-p", "77"),
                     0);
    assert_int_equal(o.pid, 77);
    assert_true(o.seconds == 2.5);
    assert_true(o.interval == 0.01);
    assert_string_equal(o.output, "out.txt");
    assert_string_equal(o.format, "speedscope");
    assert_true(o.no_line_numbers && o.exclude_idle && o.threads && o.gil);
    assert_string_equal(o.abi, "312");

    assert_int_equal(PARSE(&o, "--pid=78", "--seconds=3", "--rate", "0.5",
                           "--output=o", "--format=x", "--no-line-numbers",
                           "--exclude-idle", "--abi=311"),
                     0);
    assert_int_equal(o.pid, 78);
    assert_true(o.seconds == 3 && o.interval == 0.5);
    assert_string_equal(o.output, "o");
    assert_string_equal(o.format, "x");
    assert_true(o.no_line_numbers && o.exclude_idle && !o.threads && !o.gil);
    assert_string_equal(o.abi, "311");

    /* Range limits are inclusive. */
    assert_int_equal(PARSE(&o, "-p", "1", "-r", "1e-6", "-s", "31622400"), 0);
    assert_int_equal(PARSE(&o, "-p", "1", "-r", "3600"), 0);
    assert_int_equal(PARSE(&o, "-p", "2147483647"), 0);
    assert_int_equal(o.pid, 2147483647);
}

static void rate_in_hz(void **state)
{
    (void)state;
    struct options o;
    assert_int_equal(PARSE(&o, "--hz", "250", "-p", "1"), 0);
    assert_true(o.interval == 1.0 / 250);
    assert_false(o.rate_maybe_hz);
    assert_int_equal(PARSE(&o, "--hz=1e6", "-p", "1"), 0);
    assert_true(o.interval == 1e-6);
    /* -r of a second or more is legal, and flagged for a warning. */
    assert_int_equal(PARSE(&o, "-r", "100", "-p", "1"), 0);
    assert_true(o.interval == 100 && o.rate_maybe_hz);
    assert_int_equal(PARSE(&o, "-r", "0.5", "-p", "1"), 0);
    assert_false(o.rate_maybe_hz);
    static const char *const bad[] = {"0", "-5", "abc", "", "inf", "2e6", "1e-4"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        REJECT(bad[i], "-p", "1", "--hz", (char *)bad[i]);
    REJECT("both set the rate", "-p", "1", "-r", "0.01", "--hz", "100");
    REJECT("both set the rate", "-p", "1", "--hz", "100", "-r", "0.01");
}

/* Uber's Pyflame took exactly one sample with -s 0. */
static void zero_seconds_is_one_sample(void **state)
{
    (void)state;
    struct options o;
    assert_int_equal(PARSE(&o, "-s", "0", "-p", "1"), 0);
    assert_true(o.seconds == 0 && o.seconds_given && !o.seconds_ignored);
    assert_int_equal(PARSE(&o, "-s", "1e-7", "-p", "1"), 0);
    assert_true(o.seconds == 1e-7);
    assert_int_equal(PARSE(&o, "-p", "1"), 0);
    assert_false(o.seconds_given);
}

/* A negative -s samples until pyflame is stopped, as in Uber's Pyflame,
 * whose loop had no end for -s -1; -0 is 0, one sample. */
static void negative_seconds_until_stopped(void **state)
{
    (void)state;
    struct options o;
    static const char *const until[] = {"-1", "-0.5", "-3600", "--seconds=-1"};
    for (size_t i = 0; i < sizeof until / sizeof *until; i++) {
        if (until[i][1] == '-')
            assert_int_equal(PARSE(&o, (char *)until[i], "-p", "1"), 0);
        else
            assert_int_equal(PARSE(&o, "-s", (char *)until[i], "-p", "1"), 0);
        assert_true(o.seconds == SECONDS_UNTIL_STOPPED && o.seconds_given);
    }
    assert_int_equal(PARSE(&o, "-s", "-0", "-p", "1"), 0);
    assert_true(o.seconds == 0);
}

/* --tid TID[,TID...], repeatable: each thread kept once, in order; only
 * with a process to attach to. */
static void thread_lists(void **state)
{
    (void)state;
    struct options o;
    assert_int_equal(PARSE(&o, "-p", "1"), 0);
    assert_int_equal(o.ntids, 0);
    assert_int_equal(PARSE(&o, "--tid", "12", "-p", "1"), 0);
    assert_int_equal(o.ntids, 1);
    assert_int_equal(o.tids[0], 12);
    assert_int_equal(PARSE(&o, "--tid=12,13", "--tid", "14,12", "--tid=13", "-p", "1"), 0);
    assert_int_equal(o.ntids, 3);
    assert_int_equal(o.tids[0], 12);
    assert_int_equal(o.tids[1], 13);
    assert_int_equal(o.tids[2], 14);
    assert_int_equal(PARSE(&o, "--tid=7", "42"), 0); /* the legacy PID */
    assert_true(o.legacy_pid && o.ntids == 1);
    static const char *const bad[] = {"", "0", "-1", "1,", ",1", "1,,2", "a", "1.5",
                                      " 1", "2147483648", "1,x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        REJECT("invalid --tid", "-p", "1", "--tid", (char *)bad[i]);
    REJECT("option '--tid' needs a value", "-p", "1", "--tid");
    REJECT("use it with -p, not -t", "--tid", "5", "-t", "python3");
    /* Up to MAX_TIDS threads. */
    char list[MAX_TIDS * 8 + 16];
    size_t at = 0;
    for (int i = 1; i <= MAX_TIDS; i++)
        at += (size_t)snprintf(list + at, sizeof list - at, "%s%d", i > 1 ? "," : "", i);
    assert_int_equal(PARSE(&o, "--tid", list, "-p", "1"), 0);
    assert_int_equal(o.ntids, MAX_TIDS);
    assert_int_equal(o.tids[MAX_TIDS - 1], MAX_TIDS);
    snprintf(list + at, sizeof list - at, ",%d", MAX_TIDS + 1);
    REJECT("more than 256 threads", "--tid", list, "-p", "1");
}

/* --ready-fd FD: a descriptor of 3 or more; none by default; not with
 * -d, which takes one look and ends. */
static void ready_descriptor(void **state)
{
    (void)state;
    struct options o;
    assert_int_equal(PARSE(&o, "-p", "1"), 0);
    assert_int_equal(o.ready_fd, -1);
    assert_int_equal(PARSE(&o, "--ready-fd", "3", "-p", "1"), 0);
    assert_int_equal(o.ready_fd, 3);
    assert_int_equal(PARSE(&o, "--ready-fd=17", "-t", "python3"), 0);
    assert_int_equal(o.ready_fd, 17);
    static const char *const bad[] = {"0", "1", "2", "-1", "", "abc", "3x", "2147483648"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        REJECT("--ready-fd needs a file descriptor of 3 or more", "-p", "1", "--ready-fd",
               (char *)bad[i]);
    REJECT("give one of them", "-d", "--ready-fd", "3", "-p", "1");
}

/* -t runs until the command exits: an -s before it is flagged for a
 * warning, one after it belongs to the command. */
static void seconds_with_trace_is_flagged(void **state)
{
    (void)state;
    struct options o;
    assert_int_equal(PARSE(&o, "-s", "5", "-t", "python3"), 0);
    assert_true(o.seconds_ignored);
    assert_int_equal(PARSE(&o, "-t", "python3", "-s", "5"), 0);
    assert_false(o.seconds_ignored);
    assert_int_equal(PARSE(&o, "-s", "5", "-p", "1"), 0);
    assert_false(o.seconds_ignored);
}

/* Profiling pyflame with pyflame is refused, as Uber's Pyflame did. */
static void trace_of_pyflame_itself(void **state)
{
    (void)state;
    REJECT("would profile pyflame itself", "-t", "pyflame", "-p", "1");
    REJECT("would profile pyflame itself", "-t", "/usr/local/bin/pyflame");
    REJECT("would profile pyflame itself", "-x", "-t", "./pyflame", "--help");
    struct options o;
    assert_int_equal(PARSE(&o, "-t", "pyflame-wrapper.py"), 0);
    assert_int_equal(PARSE(&o, "-t", "python3", "pyflame"), 0);
}

static void legacy_positional_pid(void **state)
{
    (void)state;
    struct options o;
    assert_int_equal(PARSE(&o, "1234"), 0);
    assert_int_equal(o.pid, 1234);
    assert_true(o.legacy_pid);
    assert_null(o.command);
    assert_int_equal(PARSE(&o, "-s", "2", "1234"), 0);
    assert_int_equal(o.pid, 1234);
    assert_true(o.legacy_pid && o.seconds == 2);
    assert_int_equal(PARSE(&o, "1234", "-x"), 0); /* options may follow */
    assert_true(o.legacy_pid && o.exclude_idle);
    assert_int_equal(PARSE(&o, "-p", "1234"), 0);
    assert_false(o.legacy_pid);
}

static void trace_ends_the_options(void **state)
{
    (void)state;
    struct options o;
    assert_int_equal(PARSE(&o, "-x", "-s", "9", "-t", "python3", "-c", "pass",
                           "-p", "5", "--help", "-t"),
                     0);
    assert_int_equal(o.action, ACTION_PROFILE);
    assert_true(o.exclude_idle && o.seconds == 9);
    assert_int_equal(o.pid, 0);
    assert_false(o.legacy_pid);
    static const char *const want[] = {"python3", "-c", "pass", "-p", "5",
                                       "--help", "-t"};
    assert_non_null(o.command);
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        assert_string_equal(o.command[i], want[i]);
    assert_null(o.command[sizeof want / sizeof *want]);

    assert_int_equal(PARSE(&o, "--trace", "./app", "--"), 0);
    assert_string_equal(o.command[0], "./app");
    assert_string_equal(o.command[1], "--");
    assert_null(o.command[2]);
}

static void trace_errors(void **state)
{
    (void)state;
    REJECT("-t", "-p", "5", "-t", "python3");
    REJECT("-t", "-t");
    REJECT("-t", "-x", "--trace");
}

/* A PID given before -t, without -p, is no more acceptable than with -p;
 * nor is any other argument that would be silently dropped. */
static void trace_after_positional_argument(void **state)
{
    (void)state;
    REJECT(NULL, "1234", "-t", "python3");
    REJECT(NULL, "stray", "-t", "python3");
}

/* "-tx cmd": the command is "cmd" (or the line is refused), never "-tx". */
static void trace_inside_option_cluster(void **state)
{
    (void)state;
    static const char *const clusters[] = {"-tx", "-tp5", "-ts1"};
    for (size_t i = 0; i < sizeof clusters / sizeof *clusters; i++) {
        struct options o;
        if (PARSE(&o, (char *)clusters[i], "cmd") == 0) {
            assert_non_null(o.command);
            assert_string_equal(o.command[0], "cmd");
        }
    }
}

/* "--threads=1": the message names the option as given, in plain text. */
static void value_for_a_flag(void **state)
{
    (void)state;
    static const char *const args[] = {"--threads=1", "--list-plugins=x",
                                       "--help=yes", "--trace=x"};
    for (size_t i = 0; i < sizeof args / sizeof *args; i++) {
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(args[i], "="), args[i]);
        REJECT(name, "-p", "1", (char *)args[i]);
        for (const char *c = err; *c; c++)
            assert_true(*c >= 0x20 && *c < 0x7f);
    }
}

static void bad_numbers(void **state)
{
    (void)state;
    static const char *const bad[] = {"abc", "-1", "1e400", "nan", "inf", "", "1x",
                                      "-1e400", "-inf", "-abc"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *v = (char *)bad[i];
        if (strcmp(v, "-1") != 0) /* -s -1: until stopped */
            REJECT(v, "-p", "1", "-s", v);
        REJECT(v, "-p", "1", "-r", v);
        REJECT(v, "-p", "1", "--rate", v);
    }
    /* -s 0 is one sample; the rate cannot be 0. */
    REJECT("0", "-p", "1", "-r", "0");
    REJECT("1e-7", "-p", "1", "-r", "1e-7");
    REJECT("3601", "-p", "1", "-r", "3601");        /* over an hour */
    REJECT("31622401", "-p", "1", "-s", "31622401"); /* over a year */
}

static void bad_pids(void **state)
{
    (void)state;
    static const char *const bad[] = {"0", "-1", "1099511627776", "2147483648",
                                      "abc", "", "12abc", "1.5", "0x10"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *v = (char *)bad[i];
        REJECT(v, "-p", v);
        REJECT(v, "--pid", v);
        if (v[0] != '-')
            REJECT(v, v); /* legacy form */
    }
    REJECT("-1", "-1"); /* taken as an option */
}

static void abi_names(void **state)
{
    (void)state;
    struct options o;
    assert_int_equal(PARSE(&o, "-p", "1", "--abi", "313"), 0);
    assert_string_equal(o.abi, "313");
    assert_int_equal(PARSE(&o, "-p", "1", "--abi=39"), 0);
    assert_string_equal(o.abi, "39");
    static const char *const bad[] = {"3.11", "3", "3111", "abc", "", "31a",
                                      "-311", "311 "};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        REJECT(bad[i], "-p", "1", "--abi", (char *)bad[i]);
}

static void output_and_format_names(void **state)
{
    (void)state;
    REJECT("-o", "-p", "1", "-o", "");
    REJECT("format", "-p", "1", "-f", "");
    REJECT("../plugin", "-p", "1", "-f", "../plugin");
    REJECT("a/b", "-p", "1", "--format=a/b");
    /* "-o -" is standard output, not a file named "-"; the last -o wins. */
    struct options o;
    assert_int_equal(PARSE(&o, "-p", "1", "-o", "-"), 0);
    assert_null(o.output);
    assert_true(o.output_stdout);
    assert_int_equal(PARSE(&o, "-o", "-", "--output=x", "-p", "1"), 0);
    assert_string_equal(o.output, "x");
    assert_false(o.output_stdout);
    assert_int_equal(PARSE(&o, "-p", "1"), 0);
    assert_false(o.output_stdout);
}

/* -f NAME:OPTIONS: the name selects the plugin, the options after the
 * first colon go to it untouched (commas, '=', '/', more colons). */
static void format_options(void **state)
{
    (void)state;
    struct options o;
    char *argv[] = {"pyflame", "-f", "top:rows=30,sort=total", "-p", "1", NULL};
    assert_int_equal(parse_argv(&o, argv), 0);
    assert_string_equal(o.format, "top");
    assert_ptr_equal(o.format_options, argv[2] + 4); /* as typed, no copy */
    assert_int_equal(PARSE(&o, "--format=x:path=/a/b:c,flag", "-p", "1"), 0);
    assert_string_equal(o.format, "x");
    assert_string_equal(o.format_options, "path=/a/b:c,flag");
    /* None given: NULL, also when a later -f replaces one with options. */
    assert_int_equal(PARSE(&o, "-p", "1"), 0);
    assert_null(o.format_options);
    assert_int_equal(PARSE(&o, "-f", "top:rows=3", "-f", "svg", "-p", "1"), 0);
    assert_string_equal(o.format, "svg");
    assert_null(o.format_options);
    /* -T is -f timestamped, whose options the plugin judges. */
    assert_int_equal(PARSE(&o, "-T", "-f", "timestamped:x=1", "-p", "1"), 0);
    assert_string_equal(o.format, "timestamped");
    assert_string_equal(o.format_options, "x=1");
    REJECT("-f folded", "-T", "-f", "folded:x=1", "-p", "1");

    REJECT("'top:' gives no options", "-p", "1", "-f", "top:");
    REJECT("'::' names no format", "-p", "1", "-f", "::");
    REJECT("names no format before the ':'", "-p", "1", "-f", ":rows=3");
    REJECT("'a/b'", "-p", "1", "-f", "a/b:x=1");
    /* A name longer than a plugin's file name can hold. */
    char name[FORMAT_NAME_MAX + 8];
    memset(name, 'a', sizeof name);
    name[FORMAT_NAME_MAX] = '\0';
    argv[2] = name;
    assert_int_equal(parse_argv(&o, argv), 0);
    assert_int_equal(strlen(o.format), FORMAT_NAME_MAX);
    assert_null(o.format_options);
    strcpy(name + FORMAT_NAME_MAX, ":k=v");
    assert_int_equal(parse_argv(&o, argv), 0);
    assert_string_equal(o.format_options, "k=v");
    memset(name, 'a', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    reject("too long", argv);
}

static void information_actions(void **state)
{
    (void)state;
    struct options o;
    static const struct {
        const char *arg;
        enum action action;
    } cases[] = {
        {"--help", ACTION_HELP},       {"-h", ACTION_HELP},
        {"--version", ACTION_VERSION}, {"-v", ACTION_VERSION},
        {"--list-plugins", ACTION_LIST_PLUGINS},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        assert_int_equal(PARSE(&o, (char *)cases[i].arg), 0); /* no PID needed */
        assert_int_equal(o.action, cases[i].action);
        assert_int_equal(PARSE(&o, "-p", "5", (char *)cases[i].arg), 0);
        assert_int_equal(o.action, cases[i].action);
    }
    assert_non_null(strstr(options_usage, "Usage:"));
}

static void unknown_options_and_missing_values(void **state)
{
    (void)state;
    REJECT("-z", "-p", "1", "-z");
    REJECT("-z", "-p", "1", "-nz");
    REJECT("--bogus", "-p", "1", "--bogus");
    REJECT("--bogus", "--bogus=1", "-p", "1");
    REJECT("'--bogus'", "--bogus=1", "-p", "1"); /* not "takes no value" */
    REJECT("takes no value", "--threads=1", "-p", "1");
    REJECT("-p", "-p");
    REJECT("--pid", "--pid");
    REJECT("-s", "-p", "1", "-s");
    REJECT("-r", "-p", "1", "-r");
    REJECT("--abi", "-p", "1", "--abi");
    REJECT("-o", "-p", "1", "-o");
    REJECT("--format", "-p", "1", "--format");
}

/* A long option that does not exist: the nearest one is suggested when
 * it is close enough to be a typo, nothing otherwise. */
static void nearest_long_option(void **state)
{
    (void)state;
    REJECT("unknown option '--thread'; did you mean '--threads'?", "--thread", "-p", "1");
    REJECT("did you mean '--seconds'?", "--secnds=2", "-p", "1");
    REJECT("did you mean '--exclude-idle'?", "--exclude-idel", "-p", "1");
    REJECT("did you mean '--thread-names'?", "--threadnames", "-p", "1");
    REJECT("did you mean '--list-plugins'?", "--list-plugns");
    struct options o;
    static char *const far[] = {"--bogus", "--native", "--x", "--frobnicate-everything"};
    for (size_t i = 0; i < sizeof far / sizeof *far; i++) {
        assert_int_equal(parse_argv(&o, (char *[]){"pyflame", far[i], "-p", "1", NULL}), -1);
        if (strstr(err, "did you mean"))
            fail_msg("'%s' got a suggestion: %s", far[i], err);
    }
}

static void wrong_number_of_targets(void **state)
{
    (void)state;
    struct options o;
    assert_int_equal(parse_argv(&o, (char *[]){"pyflame", NULL}), -1);
    assert_true(strlen(err) > 0);
    REJECT(NULL, "-x", "-s", "2");
    REJECT("2", "1", "2");
    REJECT("2", "-p", "1", "2");
    REJECT("x", "-p", "1", "x");
}

/* getopt keeps state between calls; options_parse must reset it, even
 * after an error in the middle of "-nz". */
static void parse_again(void **state)
{
    (void)state;
    struct options o;
    REJECT("-z", "-nzx", "-p", "1");
    assert_int_equal(PARSE(&o, "-p", "9"), 0);
    assert_int_equal(o.pid, 9);
    assert_false(o.no_line_numbers);
    assert_false(o.exclude_idle); /* the 'x' left over from "-nzx" */
    assert_int_equal(PARSE(&o, "-x", "-t", "a", "b"), 0);
    assert_string_equal(o.command[0], "a");
    assert_int_equal(PARSE(&o, "-n", "88"), 0);
    assert_int_equal(o.pid, 88);
    assert_true(o.legacy_pid && o.no_line_numbers && !o.exclude_idle);
    assert_null(o.command);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(every_option),
        cmocka_unit_test(legacy_positional_pid),
        cmocka_unit_test(zero_seconds_is_one_sample),
        cmocka_unit_test(seconds_with_trace_is_flagged),
        cmocka_unit_test(negative_seconds_until_stopped),
        cmocka_unit_test(thread_lists),
        cmocka_unit_test(ready_descriptor),
        cmocka_unit_test(trace_of_pyflame_itself),
        cmocka_unit_test(nearest_long_option),
        cmocka_unit_test(rate_in_hz),
        cmocka_unit_test(trace_ends_the_options),
        cmocka_unit_test(trace_errors),
        cmocka_unit_test(trace_after_positional_argument),
        cmocka_unit_test(trace_inside_option_cluster),
        cmocka_unit_test(value_for_a_flag),
        cmocka_unit_test(bad_numbers),
        cmocka_unit_test(bad_pids),
        cmocka_unit_test(abi_names),
        cmocka_unit_test(output_and_format_names),
        cmocka_unit_test(format_options),
        cmocka_unit_test(information_actions),
        cmocka_unit_test(unknown_options_and_missing_values),
        cmocka_unit_test(wrong_number_of_targets),
        cmocka_unit_test(parse_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
