/* libFuzzer target: the ABI plugins' stack walker over a fake target.
 *
 * Linked with one layout table (abi-plugins/layouts/pyXY.c, the global
 * py_layout), so there is one fuzzer per CPython ABI.  An input is
 *
 *   byte 0     sample flags: bits 0-3 for even samples, bits 4-7 for odd
 *              ones (PYFLAME_SAMPLE_ALL_THREADS, _THREAD_NAMES, _NONBLOCKING,
 *              _GIL_HOLDER_ONLY)
 *   byte 1     samples to take, minus one (mod 8)
 *   bytes 2-3  symbols to hide (little endian; bits as in fake_target.c)
 *   bytes 4-5, 6-7  two 8-byte words of the image, counted in words
 *              (little endian), swapped between samples, or during them:
 *   bytes 8-9  0: between samples; N: in every sample, after its first N
 *              reads of the target (little endian)
 *   bytes 10-  the memory image, at FAKE_BASE
 *
 * Several samples per input: the code cache and the thread-name cache
 * keep state from one to the next, and the swap changes the target under
 * them (a freed code object reused, a thread renamed).  A swap during a
 * sample changes the target under the walk itself, as a running target
 * does under --nonblocking: that sample may then be torn, and only then.
 * A GIL-holder probe must leave the sample before it as it was: that one
 * is checked again after it.  And it must read the target as it is now,
 * not as the last sample's lines held it: it answers what a new walker's
 * probe does, unless the target changed under it. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pyflame/abi.h>

#include "fake_target.h"
#include "layout.h"
#include "sample_check.h"
#include "walker.h"

extern const struct py_layout py_layout;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HEADER 10
#define MAX_SAMPLES 8

static unsigned le16(const uint8_t *p)
{
    return p[0] | (unsigned)p[1] << 8;
}

/* A probe's answer is the one a walker that never sampled gives, if one
 * can be opened on the target as it is now. */
static void check_probe_is_fresh(const pyflame_host *host, int rc, const pyflame_sample *s)
{
    int status;
    char err[256];
    void *fresh = pyflame_walker_open(&py_layout, host, &status, err, sizeof err);
    if (!fresh)
        return;
    pyflame_sample again;
    int rc2 = pyflame_walker_sample(fresh,
                                    PYFLAME_SAMPLE_NONBLOCKING | PYFLAME_SAMPLE_GIL_HOLDER_ONLY,
                                    &again);
    if (rc2 != rc || (rc == PYFLAME_OK && (again.threads[0].os_tid != s->threads[0].os_tid ||
                                           again.threads[0].ident != s->threads[0].ident)))
        abort();
    pyflame_walker_close(fresh);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HEADER)
        return 0;
    struct fake_target target;
    if (fake_target_init(&target, data + HEADER, size - HEADER, le16(data + 2)) != 0)
        abort();
    pyflame_host host = fake_target_host(&target);
    int status = 1;
    char err[256];
    memset(err, 'x', sizeof err); /* open must write a message on failure */
    void *w = pyflame_walker_open(&py_layout, &host, &status, err, sizeof err);
    open_check(w, status, err, sizeof err);
    if (w) {
        struct frame_keys *keys = frame_keys_new();
        unsigned samples = 1 + data[1] % MAX_SAMPLES;
        size_t swap_a = 8 * (size_t)le16(data + 4), swap_b = 8 * (size_t)le16(data + 6);
        unsigned tear = le16(data + 8);
        pyflame_sample last; /* the last full sample, once there is one */
        uint32_t last_flags = 0;
        int last_rc = 0;
        bool have_last = false, last_changed = false;
        for (unsigned i = 0; i < samples; i++) {
            uint32_t flags = (i % 2 ? data[0] >> 4 : data[0]) &
                             (PYFLAME_SAMPLE_ALL_THREADS | PYFLAME_SAMPLE_THREAD_NAMES |
                              PYFLAME_SAMPLE_NONBLOCKING | PYFLAME_SAMPLE_GIL_HOLDER_ONLY);
            pyflame_sample s;
            memset(&s, 0xa5, sizeof s); /* garbage: a field left unset shows */
            fake_target_arm(&target, tear, swap_a, swap_b);
            int rc = pyflame_walker_sample(w, flags, &s);
            bool changed = fake_target_disarm(&target);
            sample_check(&s, rc, flags, changed, keys);
            if (flags & PYFLAME_SAMPLE_GIL_HOLDER_ONLY) {
                if (!changed)
                    check_probe_is_fresh(&host, rc, &s);
                if (have_last)
                    sample_check(&last, last_rc, last_flags, last_changed, keys);
            } else {
                last = s;
                last_flags = flags;
                last_rc = rc;
                last_changed = changed;
                have_last = true;
            }
            if (!tear)
                fake_target_swap(&target, swap_a, swap_b);
        }
        frame_keys_free(keys);
        pyflame_walker_close(w);
    }
    fake_target_free(&target);
    return 0;
}
