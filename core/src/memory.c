#include "memory.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/uio.h>
#include <unistd.h>

#include <pyflame/pyflame.h>

void memory_init(struct target_memory *m, pid_t pid)
{
    m->pid = pid;
    m->mem_fd = -1;
    m->pin_fd = -1;
}

void memory_close(struct target_memory *m)
{
    if (m->mem_fd >= 0)
        close(m->mem_fd);
    if (m->pin_fd >= 0)
        close(m->pin_fd);
    m->mem_fd = -1;
    m->pin_fd = -1;
}

void memory_pin(struct target_memory *m)
{
    char path[64];
    if (m->pin_fd >= 0)
        return;
    snprintf(path, sizeof path, "/proc/%d/mem", (int)m->pid);
    m->pin_fd = open(path, O_RDONLY | O_CLOEXEC);
}

bool memory_gone(struct target_memory *m)
{
    /* An open /proc/PID/mem keeps its address space, not the pages in it:
     * once no task uses that space, every read returns 0 bytes (a live
     * space refuses address 0 with EIO instead). */
    char c;
    if (m->pin_fd >= 0 && pread(m->pin_fd, &c, 1, 0) == 0)
        return true;
    /* A task that has left its address space on the way out is refused
     * with ESRCH, before any address is looked at. */
    struct iovec local = {&c, 1}, remote = {NULL, 1};
    return process_vm_readv(m->pid, &local, 1, &remote, 1, 0) < 0 && errno == ESRCH;
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

/* Where a read may go: inside the user half of the address space, without
 * wrapping around. */
static bool plausible(uint64_t addr, size_t len)
{
    return len > 0 && addr + len >= addr && addr + len <= (uint64_t)INT64_MAX;
}

int memory_read(struct target_memory *m, uint64_t addr, void *buf, size_t len)
{
    if (len == 0)
        return 0;
    if (!plausible(addr, len))
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

/* Reads per process_vm_readv (the kernel takes up to 1024). */
#define BATCH_MAX 256

size_t memory_read_many(struct target_memory *m, const struct pyflame_read *reads, size_t n)
{
    struct iovec local[BATCH_MAX], remote[BATCH_MAX]; /* one system call per BATCH_MAX reads */
    size_t done = 0;
    while (done < n && m->mem_fd < 0) {
        size_t k = 0, nremote = 0;
        for (; k < BATCH_MAX && done + k < n; k++) {
            const struct pyflame_read *r = &reads[done + k];
            if (!plausible(r->addr, r->len))
                break;
            local[k] = (struct iovec){r->buf, r->len};
            /* Reads that continue one another are one range for the
             * kernel: it looks up and pins the target's pages per range. */
            struct iovec *last = nremote ? &remote[nremote - 1] : NULL;
            if (last && (uintptr_t)last->iov_base + last->iov_len == r->addr)
                last->iov_len += r->len;
            else
                remote[nremote++] = (struct iovec){(void *)(uintptr_t)r->addr, r->len};
        }
        if (k == 0)
            return done;
        ssize_t got = process_vm_readv(m->pid, local, (unsigned long)k, remote,
                                       (unsigned long)nremote, 0);
        if (got < 0 && (errno == ENOSYS || errno == EPERM))
            break; /* memory_read falls back to /proc/PID/mem */
        /* Only reads copied in full count; a short one ends the batch. */
        size_t i = 0;
        for (; i < k && got >= (ssize_t)local[i].iov_len; i++)
            got -= (ssize_t)local[i].iov_len;
        done += i;
        if (i < k)
            return done;
    }
    while (done < n && memory_read(m, reads[done].addr, reads[done].buf, reads[done].len) == 0)
        done++;
    return done;
}
