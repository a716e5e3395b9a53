/* A process's command line as one string, for titles. */
#ifndef PYFLAME_COMMAND_LINE_H
#define PYFLAME_COMMAND_LINE_H

#include <stddef.h>
#include <sys/types.h>

/* Writes the arguments of argv (NULL-terminated), or else of process pid
 * as /proc/PID/cmdline has them, joined by spaces, into buf[len], cut to
 * fit.  Returns buf, or NULL when there is none to tell (a kernel thread,
 * a process gone). */
const char *command_line(pid_t pid, char *const argv[], char *buf, size_t len);

#endif
