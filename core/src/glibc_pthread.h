/* glibc's struct pthread, whose address is a thread's pthread_t
 * (pthread_self()): what CPython before 3.11 records as the thread's id,
 * and where glibc keeps the thread's kernel id.  The one place pyflame
 * reads glibc's own structures. */
#ifndef PYFLAME_GLIBC_PTHREAD_H
#define PYFLAME_GLIBC_PTHREAD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct target_memory;

/* Reads the kernel id that the target's glibc keeps for the thread whose
 * pthread_t is `pthread_self`, as the target knows it (in a container,
 * not the host's).  Returns false if it cannot be read; what it reads is
 * to be trusted only if it names one of the target's threads. */
bool glibc_pthread_tid(struct target_memory *mem, uint64_t pthread_self, pid_t *tid);

#endif
