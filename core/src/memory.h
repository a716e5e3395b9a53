/* Reading the target's memory. */
#ifndef PYFLAME_MEMORY_H
#define PYFLAME_MEMORY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct target_memory {
    pid_t pid;
    int mem_fd; /* /proc/PID/mem once process_vm_readv was refused, else -1 */
};

void memory_init(struct target_memory *m, pid_t pid);
void memory_close(struct target_memory *m);

/* Copies len bytes at addr.  Returns 0, or -1 if any byte is unreadable. */
int memory_read(struct target_memory *m, uint64_t addr, void *buf, size_t len);

#endif
