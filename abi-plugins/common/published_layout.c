#include "published_layout.h"

#include <string.h>

#include "code_cache.h"
#include "frame.h"
#include "pystring.h"
#include "reason.h"
#include "remote.h"

/* The largest _Py_DebugOffsets read, and the largest structure one of its
 * groups may describe: PyInterpreterState is the big one (tens of KB). */
#define MAX_PUBLISHED_TABLE 4096
#define MAX_PUBLISHED_STRUCT (1u << 22)

static uint64_t table_u64(const uint8_t *t, int32_t at)
{
    uint64_t v;
    memcpy(&v, t + at, sizeof v);
    return v;
}

static int32_t *layout_field(struct py_layout *l, int16_t field)
{
    return (int32_t *)(void *)((char *)l + field);
}

int pyflame_layout_follow_published(struct py_layout *l, const pyflame_host *h,
                                    uint64_t runtime, char *err, size_t errlen)
{
    if (l->published.size <= 0)
        return PYFLAME_OK;
    uint8_t t[MAX_PUBLISHED_TABLE];
    size_t size = (size_t)l->published.size;
    if (size > sizeof t || l->published.version < 0 ||
        (size_t)l->published.version + 8 > size) {
        reason(err, errlen, "the published-offsets entry of this plugin is out of bounds");
        return PYFLAME_ERR_UNSUPPORTED;
    }
    if (remote_read(h, runtime, t, size) != 0) {
        reason(err, errlen, "cannot read the offsets _PyRuntime publishes");
        return PYFLAME_ERR_READ;
    }
    uint64_t hex = table_u64(t, l->published.version);
    int major = (int)(hex >> 24 & 0xff), minor = (int)(hex >> 16 & 0xff);
    if (major != l->major || minor != l->minor) {
        reason(err, errlen, "_PyRuntime says CPython %d.%d, not %d.%d", major, minor,
               l->major, l->minor);
        return PYFLAME_ERR_UNSUPPORTED;
    }
    if (l->published.free_threaded >= 0 &&
        (size_t)l->published.free_threaded + 8 <= size &&
        table_u64(t, l->published.free_threaded) != (uint64_t)l->free_threaded) {
        reason(err, errlen, "the target is a %s build of CPython %d.%d, and this plugin "
               "reads the %s one", l->free_threaded ? "default (GIL)" : "free-threaded",
               major, minor, l->free_threaded ? "free-threaded" : "default");
        return PYFLAME_ERR_UNSUPPORTED;
    }
    for (uint32_t i = 0; i < l->published.count; i++) {
        const struct py_published_offset *p = &l->published.offsets[i];
        const int16_t ats[] = {p->at, p->group, p->minus};
        for (size_t k = 0; k < 3; k++)
            if ((ats[k] < 0 && k < 2) || (ats[k] >= 0 && (size_t)ats[k] + 8 > size)) {
                reason(err, errlen, "published offset %u of this plugin is out of bounds", i);
                return PYFLAME_ERR_UNSUPPORTED;
            }
        uint64_t group = table_u64(t, p->group), at = table_u64(t, p->at);
        uint64_t minus = p->minus >= 0 ? table_u64(t, p->minus) : 0;
        /* Inside its structure, and (less `minus`) something the walker
         * can read: checked again as a whole by pyflame_layout_sound(). */
        if (group == 0 || group > MAX_PUBLISHED_STRUCT || at >= group || minus > at ||
            at - minus > INT32_MAX) {
            reason(err, errlen, "the target publishes an offset this plugin cannot use "
                   "(%" PRIu64 " - %" PRIu64 " in a structure of %" PRIu64 " bytes, "
                   "entry %u of CPython %d.%d's table): its layout is not the one this "
                   "plugin knows", at, minus, group, i, major, minor);
            return PYFLAME_ERR_UNSUPPORTED;
        }
        *layout_field(l, p->field) = (int32_t)(at - minus);
    }
    return PYFLAME_OK;
}

/* Does every field `offs` names (each `width` bytes, -1 absent) end within
 * `room` bytes? */
static bool within(const int32_t *offs, size_t n, size_t width, int32_t room)
{
    return room >= 0 && fields_end(offs, n, width) <= (size_t)room;
}

#define WITHIN(width, room, ...)                                                         \
    within((const int32_t[]){__VA_ARGS__},                                               \
           sizeof((const int32_t[]){__VA_ARGS__}) / sizeof(int32_t), width, room)

int pyflame_layout_sound(const struct py_layout *l, char *err, size_t errlen)
{
    bool ok = l->object.ob_type >= 0 && l->object.ob_size >= 0;
    if (l->frame_model == PY_FRAMES_INTERPRETER)
        ok = ok && l->iframe.size <= MAX_STRUCT_READ &&
             WITHIN(8, l->iframe.size, l->iframe.code, l->iframe.previous, l->iframe.instr,
                    l->iframe.stackpointer) &&
             WITHIN(4, l->iframe.size, l->iframe.stacktop, l->iframe.slots,
                    l->iframe.tlbc_index) &&
             WITHIN(1, l->iframe.size, l->iframe.owner);
    else
        ok = ok && l->frame.size <= MAX_STRUCT_READ &&
             WITHIN(8, l->frame.size, l->frame.back, l->frame.code, l->object.ob_size) &&
             WITHIN(4, l->frame.size, l->frame.lasti);
    ok = ok && l->code.size <= CODE_HEAD_MAX &&
         WITHIN(8, l->code.size, l->object.ob_type, l->object.ob_size, l->code.filename,
                l->code.name, l->code.linetable, l->code.tlbc) &&
         WITHIN(4, l->code.size, l->code.firstlineno);
    ok = ok && l->bytes.data <= PY_BYTES_HEAD_MAX &&
         WITHIN(8, l->bytes.data, l->object.ob_type, l->bytes.size);
    if (l->string_model == PY_STRINGS_UNICODE)
        ok = ok && l->unicode.compact_data <= PY_STR_HEAD_MAX &&
             WITHIN(8, l->unicode.ascii_data, l->object.ob_type, l->unicode.length) &&
             WITHIN(4, l->unicode.ascii_data, l->unicode.state) &&
             l->unicode.ascii_data <= l->unicode.compact_data &&
             l->unicode.kind_shift >= 0 && l->unicode.kind_shift <= 29 &&
             l->unicode.compact_shift >= 0 && l->unicode.compact_shift <= 31 &&
             l->unicode.ascii_shift >= 0 && l->unicode.ascii_shift <= 31;
    if (!ok)
        reason(err, errlen, "the layout of CPython %d.%d this plugin would read "
               "does not fit its reads", l->major, l->minor);
    return ok ? PYFLAME_OK : PYFLAME_ERR_UNSUPPORTED;
}
