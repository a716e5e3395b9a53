#include "interpreter.h"

#include <string.h>

#include "cycle.h"
#include "reason.h"
#include "remote.h"
#include "walker.h"

/* Checks that the target is the release the layout describes, as far as
 * the target lets us tell. */
static int check_version(const struct py_layout *l, const pyflame_host *h,
                         const struct py_anchors *a, char *err, size_t errlen)
{
    uint64_t py_version = h->find_symbol(h->ctx, "Py_Version");
    uint32_t hex;
    if (py_version && remote_read(h, py_version, &hex, sizeof hex) == 0) {
        int major = (int)(hex >> 24), minor = (int)((hex >> 16) & 0xff);
        if (major != l->major || minor != l->minor) {
            reason(err, errlen, "target is CPython %d.%d, not %d.%d", major,
                   minor, l->major, l->minor);
            return PYFLAME_ERR_UNSUPPORTED;
        }
    }
    if (a->runtime && l->runtime.debug_cookie >= 0) {
        static const char zero[8];
        char cookie[8];
        /* Unreadable or still zero: the loader is mapping the library. */
        if (remote_read(h, a->runtime + (uint64_t)l->runtime.debug_cookie,
                        cookie, sizeof cookie) != 0 ||
            memcmp(cookie, zero, sizeof zero) == 0) {
            reason(err, errlen, "_PyRuntime cannot be read yet");
            return PYFLAME_ERR_NOT_READY;
        }
        if (memcmp(cookie, "xdebugpy", 8) != 0) {
            reason(err, errlen, "_PyRuntime has no debug cookie: not CPython %d.%d",
                   l->major, l->minor);
            return PYFLAME_ERR_UNSUPPORTED;
        }
    }
    return PYFLAME_OK;
}

/* Finds the runtime's anchors: _PyRuntime (3.7+), or the current thread
 * state and interpreter list (2.7, 3.6). */
static int find_anchors(const struct py_layout *l, const pyflame_host *h,
                        struct py_anchors *a, char *err, size_t errlen)
{
    if (l->symbols.runtime) {
        a->runtime = h->find_symbol(h->ctx, l->symbols.runtime);
        if (!a->runtime) {
            reason(err, errlen, "no %s symbol", l->symbols.runtime);
            return PYFLAME_ERR_UNSUPPORTED;
        }
        return PYFLAME_OK;
    }
    a->tstate_current = h->find_symbol(h->ctx, l->symbols.tstate_current);
    if (!a->tstate_current || h->find_symbol(h->ctx, "_PyRuntime")) {
        reason(err, errlen, "no %s symbol, or a newer runtime", l->symbols.tstate_current);
        return PYFLAME_ERR_UNSUPPORTED;
    }
    /* A static symbol: only where .symtab survived.  Without it, the
     * interpreter is found through the thread holding the GIL. */
    a->interp_head = h->find_symbol(h->ctx, l->symbols.interp_head);
    return PYFLAME_OK;
}

/* Is the interpreter initialised?  Before, its stacks are not worth
 * reading (trace mode waits for this). */
static int check_ready(const struct py_layout *l, const pyflame_host *h,
                       const struct py_anchors *a, char *err, size_t errlen)
{
    int32_t initialized = 1;
    uint64_t interp = 1;
    int rc = 0;
    if (a->runtime)
        rc = remote_read(h, a->runtime + (uint64_t)l->runtime.initialized,
                         &initialized, sizeof initialized) |
             remote_read_ptr(h, a->runtime + (uint64_t)l->runtime.interp_head, &interp);
    else if (a->interp_head)
        rc = remote_read_ptr(h, a->interp_head, &interp);
    if (rc != 0) {
        reason(err, errlen, "cannot read the interpreter's state");
        return PYFLAME_ERR_READ;
    }
    if (!initialized || !interp) {
        reason(err, errlen, "the interpreter is not initialised yet");
        return PYFLAME_ERR_NOT_READY;
    }
    return PYFLAME_OK;
}

int pyflame_first_interpreter(const struct py_layout *l, const struct py_anchors *a,
                              const pyflame_host *h, uint64_t *interp)
{
    if (a->runtime)
        return remote_read_ptr(h, a->runtime + (uint64_t)l->runtime.interp_head,
                               interp);
    if (a->interp_head)
        return remote_read_ptr(h, a->interp_head, interp);
    uint64_t tstate;
    if (remote_read_ptr(h, a->tstate_current, &tstate) != 0)
        return -1;
    *interp = 0;
    return tstate ? remote_read_ptr(h, tstate + (uint64_t)l->tstate.interp, interp) : 0;
}

int pyflame_gils_differ(const struct py_layout *l, const pyflame_host *h, uint64_t interp,
                        uint64_t gil)
{
    uint64_t other;
    struct cycle cyc = CYCLE_INIT;
    if (l->interp.gil_ptr < 0)
        return 0;
    for (int i = 0; i < WALK_MAX_INTERPRETERS; i++) {
        if (cycle_seen(&cyc, interp) ||
            remote_read_ptr(h, interp + (uint64_t)l->interp.next, &interp) != 0)
            return PYFLAME_ERR_READ;
        if (!interp)
            return 0;
        if (remote_read_ptr(h, interp + (uint64_t)l->interp.gil_ptr, &other) != 0)
            return PYFLAME_ERR_READ;
        if (other != gil)
            return 1;
    }
    return PYFLAME_ERR_READ; /* more interpreters than any walk reads */
}

int pyflame_gil_holder(const struct py_layout *l, const struct py_anchors *a,
                       const pyflame_host *h, uint64_t interp, uint64_t *holder, uint64_t *at)
{
    uint64_t gil = 0;
    if (at)
        *at = 0;
    if (a->tstate_current)
        return remote_read_ptr(h, a->tstate_current, holder) == 0
                   ? PYFLAME_OK : PYFLAME_ERR_READ;
    if (l->runtime.gil >= 0)
        gil = a->runtime + (uint64_t)l->runtime.gil;
    else if (remote_read_ptr(h, interp + (uint64_t)l->interp.gil_ptr, &gil) != 0)
        return PYFLAME_ERR_READ;
    uint8_t g[32];
    size_t len = (size_t)(l->gil.locked > l->gil.last_holder ? l->gil.locked + 4
                                                             : l->gil.last_holder + 8);
    if (len > sizeof g || remote_read(h, gil, g, len) != 0)
        return PYFLAME_ERR_READ;
    *holder = field_i32(g, l->gil.locked) ? field_ptr(g, l->gil.last_holder) : 0;
    if (at)
        *at = gil;
    return PYFLAME_OK;
}

int pyflame_gil_off(const struct py_layout *l, const pyflame_host *h, uint64_t interp)
{
    uint64_t gil;
    int32_t enabled;
    if (l->gil.enabled < 0)
        return 0;
    if (remote_read_ptr(h, interp + (uint64_t)l->interp.gil_ptr, &gil) != 0 ||
        remote_read(h, gil + (uint64_t)l->gil.enabled, &enabled, sizeof enabled) != 0)
        return PYFLAME_ERR_READ;
    return enabled == 0;
}

int pyflame_anchors_find(const struct py_layout *l, const pyflame_host *h,
                         struct py_anchors *a, char *err, size_t errlen)
{
    int rc;
    *a = (struct py_anchors){0, 0, 0};
    if ((rc = find_anchors(l, h, a, err, errlen)) != PYFLAME_OK)
        return rc;
    return check_version(l, h, a, err, errlen);
}

int pyflame_anchors_ready(const struct py_layout *l, const pyflame_host *h,
                          const struct py_anchors *a, char *err, size_t errlen)
{
    return check_ready(l, h, a, err, errlen);
}
