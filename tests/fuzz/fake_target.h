/* The address space fuzz_walker hands to the walker: one memory image,
 * taken from the fuzzer's input and mapped at FAKE_BASE, with the
 * runtime's symbols at fixed places inside it.  Pointers in the image that
 * point back into it let the fuzzer build object graphs, chains and cycles;
 * everything outside the image is unreadable.
 *
 * gen_walker_corpus.py builds seed images against the same constants: keep
 * the two in step. */
#ifndef PYFLAME_FUZZ_FAKE_TARGET_H
#define PYFLAME_FUZZ_FAKE_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pyflame/pyflame.h>

/* Where the image starts in the fake target. */
#define FAKE_BASE 0x10000000u
/* _PyRuntime's offset in the image; the small symbols come before it. */
#define FAKE_RUNTIME_OFFSET 0x100u

struct fake_target {
    uint8_t *image; /* a copy, exactly `size` bytes: ASan sees overruns */
    size_t size;
    uint32_t absent; /* bit i: symbol i of the table is not found */
    /* A swap armed to happen under the reader (fake_target_arm). */
    bool armed, changed;
    unsigned after, reads;
    size_t tear_a, tear_b;
};

/* Copies `len` bytes of `data` as the image.  Returns -1 if out of memory. */
int fake_target_init(struct fake_target *t, const uint8_t *data, size_t len,
                     uint32_t absent);
void fake_target_free(struct fake_target *t);

/* The host services over `t`: read_memory, find_symbol and warn. */
pyflame_host fake_target_host(struct fake_target *t);

/* Swaps the 8-byte words at image offsets `a` and `b` (when both are inside
 * the image): lets one input change the target between two samples.
 * Returns whether the image changed (both inside, the words different). */
bool fake_target_swap(struct fake_target *t, size_t a, size_t b);

/* Arms the same swap to happen while the target is read: just before the
 * read that follows the first `after` reads from now (every read of a
 * batch counts), so that a reader sees the target before and after it.
 * `after` 0 arms nothing. */
void fake_target_arm(struct fake_target *t, unsigned after, size_t a, size_t b);

/* Disarms; returns whether the armed swap changed the image and a read
 * came after it, so the reader may have seen two different targets. */
bool fake_target_disarm(struct fake_target *t);

#endif
