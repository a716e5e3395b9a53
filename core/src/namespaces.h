/* Reading a target that runs in other mount and PID namespaces (a
 * container): its files live under its own root, and the thread ids it
 * keeps in its memory are ids in its own PID namespace. */
#ifndef PYFLAME_NAMESPACES_H
#define PYFLAME_NAMESPACES_H

#include <stddef.h>
#include <sys/types.h>

/* Opens `path`, as process `pid` names it, read-only inside that
 * process's root (/proc/PID/root): symlinks and ".." resolve within it,
 * never to pyflame's own files.  Returns a file descriptor, or -1 with
 * errno set; EXDEV: the kernel (before Linux 5.6) cannot confine the
 * lookup and the target does not share pyflame's root. */
int ns_open_in_root(pid_t pid, const char *path);

/* Thread ids of one process as it knows them, mapped to the host's (the
 * ids in pyflame's /proc).  Zero-initialise; free with ns_tids_free. */
struct ns_tids {
    int mode; /* unprobed, same namespace, or another one */
    struct ns_tid_pair *v;
    size_t n, cap;
};

/* The host's id of the thread that process `pid` knows as `ns_tid`: the
 * same id if it shares pyflame's PID namespace, else 0 when none of its
 * threads has that id. */
pid_t ns_tids_host(struct ns_tids *m, pid_t pid, pid_t ns_tid);
void ns_tids_free(struct ns_tids *m);

#endif
