/* --ready-fd: telling the program that started pyflame that sampling has
 * begun, with one line, "ready", on a descriptor it handed down. */
#ifndef PYFLAME_READY_FD_H
#define PYFLAME_READY_FD_H

/* Checks that descriptor `fd` is open for writing, and keeps it from the
 * command of -t (close-on-exec: the flag is pyflame's descriptor's, not
 * the caller's).  Returns 0, or -1 with the reason told. */
int ready_fd_check(int fd);

/* Writes "ready\n" to `fd` and closes it; a failed write is warned of,
 * and sampling goes on. */
void ready_fd_tell(int fd);

#endif
