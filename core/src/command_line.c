#include "command_line.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Appends s[n] to buf[len] at *at, after a space unless first; cuts what
 * does not fit. */
static void append(char *buf, size_t len, size_t *at, const char *s, size_t n)
{
    if (*at && *at + 1 < len)
        buf[(*at)++] = ' ';
    size_t room = len - 1 - *at;
    if (n > room)
        n = room;
    memcpy(buf + *at, s, n);
    *at += n;
    buf[*at] = '\0';
}

const char *command_line(pid_t pid, char *const argv[], char *buf, size_t len)
{
    size_t at = 0;
    if (len == 0)
        return NULL;
    buf[0] = '\0';
    if (argv) {
        for (size_t i = 0; argv[i]; i++)
            append(buf, len, &at, argv[i], strlen(argv[i]));
        return at ? buf : NULL;
    }
    char path[64], raw[4096];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    ssize_t n = read(fd, raw, sizeof raw);
    close(fd);
    /* Arguments end with '\0'; the last may be cut short by the read. */
    for (ssize_t i = 0; i < n;) {
        size_t arg = strnlen(raw + i, (size_t)(n - i));
        append(buf, len, &at, raw + i, arg);
        i += (ssize_t)arg + 1;
    }
    return at ? buf : NULL;
}
