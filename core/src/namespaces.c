#include "namespaces.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "grow.h"

enum { NS_UNPROBED, NS_SAME, NS_OTHER };

struct ns_tid_pair {
    pid_t host, ns;
    bool seen; /* listed by the last scan */
};

/* Do pyflame and `pid` share namespace `kind` ("mnt", "pid")?  Without
 * the files (no namespaces in this kernel) there is only one. */
static bool same_ns(pid_t pid, const char *kind)
{
    char mine[64], theirs[64];
    struct stat a, b;
    snprintf(mine, sizeof mine, "/proc/self/ns/%s", kind);
    snprintf(theirs, sizeof theirs, "/proc/%d/ns/%s", (int)pid, kind);
    if (stat(mine, &a) != 0 || stat(theirs, &b) != 0)
        return true;
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* The target sees the files we see: same mount namespace, same root. */
static bool shares_root(pid_t pid, int root_fd)
{
    struct stat ours, theirs;
    return same_ns(pid, "mnt") && stat("/", &ours) == 0 && fstat(root_fd, &theirs) == 0 &&
           ours.st_dev == theirs.st_dev && ours.st_ino == theirs.st_ino;
}

int ns_open_in_root(pid_t pid, const char *path)
{
    char root[64];
    snprintf(root, sizeof root, "/proc/%d/root", (int)pid);
    int dir = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return -1;
    /* Plain /proc/PID/root/PATH would follow an absolute symlink planted
     * in a container to the host's file of that name.  Magic links
     * (/proc/N/root inside the container) could lead anywhere too. */
    struct open_how how = {.flags = O_RDONLY | O_CLOEXEC,
                           .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
    int fd = (int)syscall(SYS_openat2, dir, path, &how, sizeof how);
    if (fd < 0 && errno == ENOSYS) {
        /* Before Linux 5.6: safe only when the target's root is ours. */
        if (shares_root(pid, dir))
            fd = open(path, O_RDONLY | O_CLOEXEC);
        else
            errno = EXDEV;
    }
    int saved = errno;
    close(dir);
    errno = saved;
    return fd;
}

/* The id thread `tid` of `pid` has in its own PID namespace: the last
 * field of NSpid (Linux 4.1+), 0 if unknown. */
static pid_t own_ns_tid(pid_t pid, pid_t tid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/task/%d/status", (int)pid, (int)tid);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    pid_t id = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "NSpid:", 6) != 0)
            continue;
        char *last = strrchr(line, '\t');
        id = last ? (pid_t)atoi(last + 1) : 0;
        break;
    }
    fclose(f);
    return id;
}

static struct ns_tid_pair *by_host(struct ns_tids *m, pid_t host)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->v[i].host == host)
            return &m->v[i];
    return NULL;
}

static int add_pair(struct ns_tids *m, pid_t host, pid_t ns)
{
    if (grow_array((void **)&m->v, &m->cap, m->n + 1, sizeof *m->v) != 0)
        return -1;
    m->v[m->n++] = (struct ns_tid_pair){host, ns, true};
    return 0;
}

/* Lists the threads again: status files are read for new threads only,
 * and threads that are gone are forgotten (their ids may be reused). */
static void rescan(struct ns_tids *m, pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return;
    for (size_t i = 0; i < m->n; i++)
        m->v[i].seen = false;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        pid_t host = (pid_t)atoi(e->d_name), ns;
        struct ns_tid_pair *p = host > 0 ? by_host(m, host) : NULL;
        if (p)
            p->seen = true;
        else if (host > 0 && (ns = own_ns_tid(pid, host)) > 0 && add_pair(m, host, ns) != 0)
            break;
    }
    closedir(d);
    for (size_t i = 0; i < m->n;)
        if (m->v[i].seen)
            i++;
        else
            m->v[i] = m->v[--m->n];
}

static pid_t lookup(const struct ns_tids *m, pid_t pid, pid_t ns_tid)
{
    char path[64];
    struct stat st;
    for (size_t i = 0; i < m->n; i++) {
        if (m->v[i].ns != ns_tid)
            continue;
        snprintf(path, sizeof path, "/proc/%d/task/%d", (int)pid, (int)m->v[i].host);
        return stat(path, &st) == 0 ? m->v[i].host : 0;
    }
    return 0;
}

pid_t ns_tids_host(struct ns_tids *m, pid_t pid, pid_t ns_tid)
{
    if (ns_tid <= 0)
        return 0;
    if (m->mode == NS_UNPROBED)
        m->mode = same_ns(pid, "pid") ? NS_SAME : NS_OTHER;
    if (m->mode == NS_SAME)
        return ns_tid;
    pid_t host = lookup(m, pid, ns_tid);
    if (host)
        return host;
    rescan(m, pid);
    return lookup(m, pid, ns_tid);
}

void ns_tids_free(struct ns_tids *m)
{
    free(m->v);
    *m = (struct ns_tids){0};
}
