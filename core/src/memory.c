#include "memory.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/uio.h>
#include <unistd.h>

void memory_init(struct target_memory *m, pid_t pid)
{
    m->pid = pid;
    m->mem_fd = -1;
}

void memory_close(struct target_memory *m)
{
    if (m->mem_fd >= 0)
        close(m->mem_fd);
    m->mem_fd = -1;
}

static int read_proc_mem(struct target_memory *m, uint64_t addr, void *buf,
                         size_t len)
{
    if (m->mem_fd < 0) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/mem", (int)m->pid);
        m->mem_fd = open(path, O_RDONLY | O_CLOEXEC);
        if (m->mem_fd < 0)
            return -1;
    }
    ssize_t n = pread(m->mem_fd, buf, len, (off_t)addr);
    return n == (ssize_t)len ? 0 : -1;
}

int memory_read(struct target_memory *m, uint64_t addr, void *buf, size_t len)
{
    if (len == 0)
        return 0;
    if (addr + len < addr || addr > (uint64_t)INT64_MAX)
        return -1;
    if (m->mem_fd >= 0)
        return read_proc_mem(m, addr, buf, len);
    struct iovec local = {buf, len};
    struct iovec remote = {(void *)(uintptr_t)addr, len};
    ssize_t n = process_vm_readv(m->pid, &local, 1, &remote, 1, 0);
    if (n == (ssize_t)len)
        return 0;
    /* Some kernels and seccomp profiles refuse the system call; /proc/PID/mem
     * works wherever ptrace does. */
    if (n < 0 && (errno == ENOSYS || errno == EPERM))
        return read_proc_mem(m, addr, buf, len);
    return -1;
}
