#include "sample_check.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pyflame/abi.h>

#include "pystring.h"
#include "thread_names.h"
#include "walker.h"

#define CHECK(cond)                                                         \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "%s:%d: walker broke a promise: %s\n",          \
                    __FILE__, __LINE__, #cond);                             \
            abort();                                                        \
        }                                                                   \
    } while (0)

/* Is `s` valid UTF-8 of at most `max` bytes?  Reads no further than that. */
static bool valid_utf8(const char *s, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i <= max && p[i]) {
        unsigned char b = p[i];
        size_t len;
        uint32_t cp, min;
        if (b < 0x80) {
            i++;
            continue;
        }
        if ((b & 0xE0) == 0xC0)
            len = 2, cp = b & 0x1F, min = 0x80;
        else if ((b & 0xF0) == 0xE0)
            len = 3, cp = b & 0x0F, min = 0x800;
        else if ((b & 0xF8) == 0xF0)
            len = 4, cp = b & 0x07, min = 0x10000;
        else
            return false;
        for (size_t j = 1; j < len; j++) {
            if ((p[i + j] & 0xC0) != 0x80) /* the NUL ends here too */
                return false;
            cp = (cp << 6) | (p[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return i <= max;
}

void open_check(const void *state, int status, const char *err, size_t errlen)
{
    if (state) {
        CHECK(status == PYFLAME_OK);
        return;
    }
    CHECK(status == PYFLAME_ERR_NOT_READY || status == PYFLAME_ERR_UNSUPPORTED ||
          status == PYFLAME_ERR_READ || status == PYFLAME_ERR_NOMEM);
    CHECK(memchr(err, '\0', errlen) != NULL && err[0] != '\0');
}

/* Longest text of a frame: every character of a cut str as 4 bytes. */
#define MAX_TEXT_BYTES (4 * PY_STRING_MAX_CHARS)

static void check_thread(const pyflame_thread *t, uint32_t flags,
                         struct frame_keys *keys)
{
    CHECK(t->nframes <= WALK_MAX_DEPTH + 1);
    CHECK(t->nframes == 0 || t->frames);
    /* Only the GIL holder runs Python code; no frames is idle too. */
    CHECK((t->flags & PYFLAME_THREAD_HOLDS_GIL) || (t->flags & PYFLAME_THREAD_IDLE));
    CHECK(t->nframes > 0 || (t->flags & PYFLAME_THREAD_IDLE));
    if (t->name) {
        CHECK(flags & PYFLAME_SAMPLE_THREAD_NAMES);
        CHECK(valid_utf8(t->name, THREAD_NAME_MAX_BYTES));
    }
    for (uint32_t i = 0; i < t->nframes; i++) {
        const pyflame_frame *f = &t->frames[i];
        CHECK(f->file && f->name);
        CHECK(valid_utf8(f->file, MAX_TEXT_BYTES));
        CHECK(valid_utf8(f->name, MAX_TEXT_BYTES));
        CHECK(f->flags == 0);
        frame_keys_check(keys, f);
    }
}

void sample_check(const pyflame_sample *s, int rc, uint32_t flags, bool changed,
                  struct frame_keys *keys)
{
    /* A sample may be torn only if read while running (--nonblocking) and
     * the target did change under it: a check that calls a steady stack
     * torn is a bug. */
    CHECK(rc == PYFLAME_OK || rc == PYFLAME_IDLE || rc == PYFLAME_ERR_READ ||
          /* a probe of more than one GIL */
          (rc == PYFLAME_ERR_UNSUPPORTED && (flags & PYFLAME_SAMPLE_GIL_HOLDER_ONLY)) ||
          (rc == PYFLAME_ERR_TORN && changed && (flags & PYFLAME_SAMPLE_NONBLOCKING)));
    CHECK(s->status == rc);
    if (rc < 0) {
        CHECK(s->nthreads == 0 && s->threads == NULL);
        return;
    }
    CHECK(s->nthreads <= WALK_MAX_THREADS);
    CHECK(s->nthreads == 0 || s->threads);
    if (flags & PYFLAME_SAMPLE_GIL_HOLDER_ONLY) {
        /* The holder alone, without frames; OK when there is one. */
        CHECK(s->nthreads == (rc == PYFLAME_OK ? 1u : 0u));
        if (s->nthreads)
            CHECK(s->threads[0].flags == PYFLAME_THREAD_HOLDS_GIL && s->threads[0].nframes == 0);
        return;
    }
    if (!(flags & PYFLAME_SAMPLE_ALL_THREADS))
        CHECK(s->nthreads <= 1);
    size_t total = 0;
    bool running = false;
    for (uint32_t i = 0; i < s->nthreads; i++) {
        const pyflame_thread *t = &s->threads[i];
        check_thread(t, flags, keys);
        total += t->nframes;
        running |= !(t->flags & PYFLAME_THREAD_IDLE);
    }
    CHECK(total <= WALK_MAX_FRAMES);
    /* OK means some thread was running Python code, IDLE that none was. */
    CHECK((rc == PYFLAME_OK) == running);
}
