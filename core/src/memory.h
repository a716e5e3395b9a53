/* Reading the target's memory. */
#ifndef PYFLAME_MEMORY_H
#define PYFLAME_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct target_memory {
    pid_t pid;
    int mem_fd; /* /proc/PID/mem once process_vm_readv was refused, else -1 */
    int pin_fd; /* /proc/PID/mem on the address space memory_pin saw, else -1 */
};

void memory_init(struct target_memory *m, pid_t pid);
void memory_close(struct target_memory *m);

/* Remembers the target's address space as it is now, unless one is
 * remembered already (memory_close forgets it). */
void memory_pin(struct target_memory *m);

/* Is the address space pinned gone (the target exited or called exec
 * since), or has the target none left (it is exiting)?  Then a read that
 * failed tells nothing about the program read. */
bool memory_gone(struct target_memory *m);

/* Copies len bytes at addr.  Returns 0, or -1 if any byte is unreadable. */
int memory_read(struct target_memory *m, uint64_t addr, void *buf, size_t len);

/* The n reads of reads[] (pyflame_host.read_many), in one system call
 * per 256 of them.  Returns how many, from the first, were done in full. */
struct pyflame_read;
size_t memory_read_many(struct target_memory *m, const struct pyflame_read *reads, size_t n);

/* What one sample may read of the target.  A sample of a real program,
 * even a thousand threads deep in a cold cache, stays far below; corrupted
 * or hostile structures (a million code objects, a dict shared by every
 * thread) would otherwise make one sample take seconds and gigabytes. */
#define SAMPLE_MAX_READS (1u << 18)
#define SAMPLE_MAX_BYTES (32u << 20)

struct read_budget {
    uint32_t reads;
    uint64_t bytes;
    bool exceeded; /* a read was refused since the last reset */
};

static inline void read_budget_reset(struct read_budget *b)
{
    *b = (struct read_budget){0};
}

/* Uncounts a read that was counted but not made. */
static inline void read_budget_give_back(struct read_budget *b, size_t len)
{
    b->reads--;
    b->bytes -= len;
}

/* Counts a read of len bytes: true if it fits the budget. */
static inline bool read_budget_take(struct read_budget *b, size_t len)
{
    if (b->reads >= SAMPLE_MAX_READS || len > SAMPLE_MAX_BYTES - b->bytes) {
        b->exceeded = true;
        return false;
    }
    b->reads++;
    b->bytes += len;
    return true;
}

#endif
