/* Small helpers for reading the target through the host and picking fields
 * out of the bytes read.  Field offsets come from the layout table. */
#ifndef PYFLAME_ABI_REMOTE_H
#define PYFLAME_ABI_REMOTE_H

#include <stdint.h>
#include <string.h>

#include <pyflame/pyflame.h>

/* ob_refcnt, first in an object of every build with a GIL: the walker
 * reads it in frame objects (2.7-3.10) alone.  Where ob_type and ob_size
 * are, the layout says (free-threaded builds differ). */
#define PY_OB_REFCNT 0

static inline int remote_read(const pyflame_host *host, uint64_t addr,
                              void *buf, size_t len)
{
    if (addr == 0 || addr + len < addr)
        return -1;
    return host->read_memory(host->ctx, addr, buf, len);
}

/* reads[0..n) at once if the host can batch them, else one by one.
 * Returns how many, from the first, were done in full. */
static inline size_t remote_read_many(const pyflame_host *host, const pyflame_read *reads,
                                      size_t n)
{
    if (host->api_version >= 2 && host->read_many)
        return host->read_many(host->ctx, reads, n);
    size_t done = 0;
    while (done < n && remote_read(host, reads[done].addr, reads[done].buf, reads[done].len) == 0)
        done++;
    return done;
}

static inline int remote_read_ptr(const pyflame_host *host, uint64_t addr,
                                  uint64_t *out)
{
    return remote_read(host, addr, out, sizeof *out);
}

/* Bytes to read so that every field at offs[0..n) (each `width` bytes, -1
 * for absent) is inside. */
static inline size_t fields_end(const int32_t *offs, size_t n, size_t width)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (offs[i] >= 0 && (size_t)offs[i] + width > m)
            m = (size_t)offs[i] + width;
    return m;
}

static inline uint64_t field_ptr(const uint8_t *buf, int32_t off)
{
    uint64_t v;
    memcpy(&v, buf + off, sizeof v);
    return v;
}

static inline int32_t field_i32(const uint8_t *buf, int32_t off)
{
    int32_t v;
    memcpy(&v, buf + off, sizeof v);
    return v;
}

static inline int64_t field_i64(const uint8_t *buf, int32_t off)
{
    int64_t v;
    memcpy(&v, buf + off, sizeof v);
    return v;
}

#endif
