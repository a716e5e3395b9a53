/* Attaching to a running process, and telling the user why the kernel
 * would not let us, and what would. */
#ifndef PYFLAME_ATTACH_H
#define PYFLAME_ATTACH_H

#include <sys/types.h>

struct tracee;

/* Seizes every thread of process `pid` into *t.  Returns 0, or -1 with
 * the reason told. */
int attach_process(struct tracee *t, pid_t pid);

/* Tells why the kernel refused to let us trace (or look into) process
 * `pid`, and what would let us. */
void permission_error(pid_t pid);

#endif
