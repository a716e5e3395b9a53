/* The kernel id in glibc's struct pthread (glibc_pthread.h). */
#include "glibc_pthread.h"

#include "memory.h"

/* Where struct pthread keeps the kernel's thread id (its `tid`) on
 * x86_64. */
#define GLIBC_PTHREAD_TID_OFFSET 0x2d0

bool glibc_pthread_tid(struct target_memory *mem, uint64_t pthread_self, pid_t *tid)
{
    int32_t raw;
    if (memory_read(mem, pthread_self + GLIBC_PTHREAD_TID_OFFSET, &raw, sizeof raw) != 0)
        return false;
    *tid = (pid_t)raw;
    return true;
}
