#include "command_line.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Appends s[n] to buf[len] at *at, after a space unless first.  Returns
 * false when it did not fit: then what fits of it is in, cut between two
 * UTF-8 characters, with no space before nothing. */
static bool append(char *buf, size_t len, size_t *at, const char *s, size_t n)
{
    if (n == 0)
        return true; /* an empty argument shows as nothing, not as spaces */
    size_t sep = *at ? 1 : 0;
    if (*at + sep >= len - 1)
        return false;
    size_t room = len - 1 - *at - sep;
    bool whole = n <= room;
    if (!whole) {
        n = room;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
        if (n == 0)
            return false;
    }
    if (sep)
        buf[(*at)++] = ' ';
    memcpy(buf + *at, s, n);
    *at += n;
    buf[*at] = '\0';
    return whole;
}

const char *command_line(pid_t pid, char *const argv[], char *buf, size_t len)
{
    size_t at = 0;
    if (len == 0)
        return NULL;
    buf[0] = '\0';
    if (argv) {
        for (size_t i = 0; argv[i]; i++)
            if (!append(buf, len, &at, argv[i], strlen(argv[i])))
                break;
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
        if (!append(buf, len, &at, raw + i, arg))
            break;
        i += (ssize_t)arg + 1;
    }
    return at ? buf : NULL;
}
