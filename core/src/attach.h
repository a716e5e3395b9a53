/* Attaching to a running process, and telling the user why the kernel
 * would not let us, and what would. */
#ifndef PYFLAME_ATTACH_H
#define PYFLAME_ATTACH_H

#include <stddef.h>
#include <sys/types.h>

struct tracee;

/* Seizes every thread of process `pid` into *t.  Returns 0, or -1 with
 * the reason told. */
int attach_process(struct tracee *t, pid_t pid);

/* --tid: checks that each of tids[n] is a thread of process `pid`.
 * Returns 0, or -1 with the first that is not told, and why. */
int attach_check_threads(pid_t pid, const pid_t *tids, size_t n);

/* Tells why the kernel refused to let us trace (or look into) process
 * `pid`, and what would let us. */
void permission_error(pid_t pid);

#endif
