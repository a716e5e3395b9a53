/* Opening a plugin file safely.
 *
 * pyflame runs as root against other users' processes: it must not load
 * code that someone else could have replaced, nor check one file and load
 * another.  So a plugin is opened once, by descriptor, from / down:
 *
 * - every directory on the way belongs to root or to us, and is writable
 *   by its owner alone, or is sticky (as /tmp: others cannot rename what
 *   it holds);
 * - a symbolic link on the way belongs to root or to us (whoever owns it
 *   chooses where it points); it is read by descriptor and its target is
 *   walked again from /, checked the same way;
 * - the directory that holds the plugin is writable by its owner alone,
 *   sticky or not;
 * - the plugin is a regular file of root or of us, writable by its owner
 *   alone, opened without following links or blocking;
 *
 * and the descriptor so checked is what dlopen() loads (/proc/self/fd/N).
 * Each step opens a name relative to the directory checked before it, so
 * nothing can be swapped between the check and the load. */
#include "plugin_trust.h"

#include "diag.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LINKS 40 /* as the kernel's ELOOP */

static bool trusted_owner(uid_t uid)
{
    return uid == 0 || uid == geteuid();
}

static const char *file_type(mode_t mode)
{
    return S_ISFIFO(mode) ? "a FIFO" : S_ISSOCK(mode) ? "a socket"
         : S_ISCHR(mode) ? "a character device" : S_ISBLK(mode) ? "a block device"
         : S_ISDIR(mode) ? "a directory" : "of another type";
}

/* Checks the directory or file `st` at `where` for plugin `path`.  `held`:
 * the plugin itself or the directory holding it, which nobody else may
 * write to even with the sticky bit. */
static int check_node(const struct stat *st, const char *where, bool held, const char *path,
                      char *err, size_t errlen)
{
    if (!trusted_owner(st->st_uid))
        return reason(err, errlen,
                      "refusing plugin %s: %s belongs to uid %u, neither root nor you, who "
                      "could replace what it holds; install plugins in a directory you own",
                      path, where, (unsigned)st->st_uid);
    bool others_write = (st->st_mode & (S_IWGRP | S_IWOTH)) != 0;
    if (others_write && (held || !(st->st_mode & S_ISVTX)))
        return reason(err, errlen,
                      "refusing plugin %s: %s is writable by others than its owner "
                      "(mode %04o), who could replace the plugin; chmod go-w %s",
                      path, where, (unsigned)(st->st_mode & 07777), where);
    return 0;
}

static int join(char *buf, size_t len, const char *a, const char *b, const char *c)
{
    int n = snprintf(buf, len, "%s%s%s", a, b, c);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

int plugin_open_trusted(const char *path, bool *absent, char *err, size_t errlen)
{
    char todo[2 * PATH_MAX]; /* what is left to walk, from / */
    char done[PATH_MAX];     /* what has been walked and checked, links resolved */
    char here[PATH_MAX];     /* done and the name being looked at */
    *absent = false;
    if (path[0] == '/') {
        if (join(todo, sizeof todo, path, "", "") != 0)
            return reason(err, errlen, "plugin path %s is too long", path);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd))
            return reason(err, errlen, "cannot resolve plugin path %s: %s", path,
                          strerror(errno));
        if (join(todo, sizeof todo, cwd, "/", path) != 0)
            return reason(err, errlen, "plugin path %s is too long", path);
    }
    int links = 0;
restart:
    strcpy(done, "/");
    int dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    struct stat st;
    if (dir < 0 || fstat(dir, &st) != 0) {
        int e = errno;
        if (dir >= 0)
            close(dir);
        return reason(err, errlen, "cannot check /: %s", strerror(e));
    }
    if (check_node(&st, "/", false, path, err, errlen) != 0)
        goto fail;
    for (const char *rest = todo;;) {
        rest += strspn(rest, "/");
        size_t len = strcspn(rest, "/");
        if (len == 0) {
            reason(err, errlen, "cannot load plugin %s: %s is a directory", path, done);
            goto fail;
        }
        char name[NAME_MAX + 1];
        if (len > NAME_MAX) {
            reason(err, errlen, "cannot load plugin %s: %s", path, strerror(ENAMETOOLONG));
            goto fail;
        }
        memcpy(name, rest, len);
        name[len] = '\0';
        rest += len;
        bool last = rest[strspn(rest, "/")] == '\0';
        if (strcmp(name, ".") == 0 && !last)
            continue;
        if (strcmp(name, "..") == 0) { /* the parent of what was checked: walk it again */
            char next[sizeof todo];
            const char *slash = strrchr(done, '/');
            if (snprintf(next, sizeof next, "%.*s/%s", (int)(slash - done), done, rest) >=
                (int)sizeof next) {
                reason(err, errlen, "plugin path %s is too long", path);
                goto fail;
            }
            memcpy(todo, next, sizeof todo);
            close(dir);
            goto restart;
        }
        if (join(here, sizeof here, done, strcmp(done, "/") ? "/" : "", name) != 0) {
            reason(err, errlen, "plugin path %s is too long", path);
            goto fail;
        }
        int fd = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) != 0) {
            int e = errno;
            if (fd >= 0)
                close(fd);
            *absent = e == ENOENT || e == ENOTDIR;
            reason(err, errlen, "cannot open plugin %s: %s: %s", path, here, strerror(e));
            goto fail;
        }
        if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX], next[sizeof todo];
            ssize_t n = -1;
            if (!trusted_owner(st.st_uid))
                reason(err, errlen,
                       "refusing plugin %s: the symbolic link %s belongs to uid %u, neither "
                       "root nor you, who could point it elsewhere; name the directory it "
                       "points to instead", path, here, (unsigned)st.st_uid);
            else if (++links > MAX_LINKS)
                reason(err, errlen, "cannot open plugin %s: %s", path, strerror(ELOOP));
            else if ((n = readlinkat(fd, "", target, sizeof target)) < 0 ||
                     (size_t)n >= sizeof target)
                reason(err, errlen, "cannot read the link %s: %s", here,
                       n < 0 ? strerror(errno) : "too long");
            close(fd);
            if (n < 0 || (size_t)n >= sizeof target)
                goto fail;
            target[n] = '\0';
            /* A relative link is relative to the directory that holds it. */
            int m = target[0] == '/'
                ? snprintf(next, sizeof next, "%s/%s", target, rest)
                : snprintf(next, sizeof next, "%s/%s/%s", done, target, rest);
            if (m < 0 || (size_t)m >= sizeof next) {
                reason(err, errlen, "plugin path %s is too long", path);
                goto fail;
            }
            memcpy(todo, next, sizeof todo);
            close(dir);
            goto restart;
        }
        if (S_ISDIR(st.st_mode) && !last) {
            close(dir);
            dir = fd;
            if (check_node(&st, here, false, path, err, errlen) != 0)
                goto fail;
            memcpy(done, here, sizeof done);
            continue;
        }
        close(fd);
        if (!last) {
            reason(err, errlen, "cannot open plugin %s: %s: %s", path, here, strerror(ENOTDIR));
            *absent = true;
            goto fail;
        }
        /* The plugin: never opened unless it is a regular file, so that a
         * FIFO or a device in its place cannot block or act. */
        if (!S_ISREG(st.st_mode)) {
            reason(err, errlen, "refusing plugin %s: %s is %s, not a regular file", path, here,
                   file_type(st.st_mode));
            goto fail;
        }
        struct stat dst, fst;
        if (fstat(dir, &dst) != 0) {
            reason(err, errlen, "cannot check %s: %s", done, strerror(errno));
            goto fail;
        }
        if (check_node(&dst, done, true, path, err, errlen) != 0 ||
            check_node(&st, here, true, path, err, errlen) != 0)
            goto fail;
        int file = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (file < 0 || fstat(file, &fst) != 0) {
            int e = errno;
            if (file >= 0)
                close(file);
            reason(err, errlen, "cannot open plugin %s: %s", path, strerror(e));
            goto fail;
        }
        close(dir);
        if (fst.st_dev != st.st_dev || fst.st_ino != st.st_ino) { /* cannot happen: dir is ours */
            close(file);
            return reason(err, errlen, "refusing plugin %s: %s changed while it was checked",
                          path, here);
        }
        return file;
    }
fail:
    close(dir);
    return -1;
}
